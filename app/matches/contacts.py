"""Contact details shared by the two sides of a mission, and only once the provider accepted.

Before acceptance, neither side sees the other's: the provider reads the need (its text,
commune, organisation) without its contact, the organisation reads the public listing. The
mission exists only once the provider accepted: from then on its page and the acceptance
e-mails give each side the other's contact. Hub staff see both, as they always did."""

from __future__ import annotations

from dataclasses import dataclass

from app.matches.models import Mission


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str | None
    structure: str  # the organisation's or the provider's name


def organisation_contact(mission: Mission) -> Contact:
    """The person the organisation named on its need."""
    need = mission.need
    return Contact(
        name=need.contact_name,
        email=need.contact_email,
        phone=need.contact_phone or None,
        structure=need.organisation.name,
    )


def provider_contact(mission: Mission) -> Contact:
    """The provider's member who accepted (else its first member), at the provider's contact
    address when it gave one, with its phone when it gave one."""
    provider = mission.provider
    person = mission.accepted_by or next((m.user for m in provider.memberships), None)
    return Contact(
        name=person.full_name if person is not None else provider.name,
        email=provider.contact_email or (person.email if person is not None else ""),
        phone=provider.contact_phone or None,
        structure=provider.name,
    )


@dataclass(frozen=True)
class MissionContacts:
    organisation: Contact
    provider: Contact


def mission_contacts(mission: Mission) -> MissionContacts:
    """Both sides' contacts: only ever asked for a mission, which exists once the provider accepted."""
    return MissionContacts(organisation=organisation_contact(mission), provider=provider_contact(mission))


def contact_lines(contact: Contact) -> str:
    """The contact as plain-text lines, for e-mails."""
    lines = [f"{contact.name} ({contact.structure})", contact.email]
    if contact.phone:
        lines.append(contact.phone)
    return "\n".join(line for line in lines if line)
