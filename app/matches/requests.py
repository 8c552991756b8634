"""Direct requests: an organisation asks for an offer from the offer's page.

A request is a proposal of origin "request": the organisation chose the offer itself, so no
hub-staff arbitration stands between them and the provider. It is born *approved* (sent to the
provider with the usual deadline), and from there lives the life of every proposal: the provider
accepts (a mission, contacts shared) or declines with a reason; the sweep reminds and expires it;
a refusal or expiry sends the need back to matching, and that pair is never proposed again. The
engine keeps it as a fixed pair while it waits (`instance.fixed_pairs`).

The need is either a new one, prefilled from the offer and reviewed by the person, or one of the
organisation's open needs. A form carries a key: the same key twice (a double click) is one
request. Services flush, never commit."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from app.accounts.models import Membership, User
from app.core.errors import Conflict, Forbidden, NotFound, ServiceError
from app.core.models import utcnow
from app.core.urls import absolute_url
from app.directory.models import Offer, Organisation
from app.directory.vocab import MODALITIES, PRICE_MODES
from app.extensions import db
from app.matches.models import Proposal, ProposalOrigin
from app.matches.models import ProposalStatus as P
from app.matches.services import _log, _move, _notify_provider, _response_days
from app.needs.models import Need
from app.needs.models import NeedStatus as NS
from app.needs.services import can_see_need, create_need, move_need

#: A need the organisation may link to an offer: open, or waiting only for hub staff.
LINKABLE = (NS.OPEN, NS.PROPOSED)
#: Pairs the provider already answered or let expire: asking again is refused.
ANSWERED = (P.DECLINED, P.EXPIRED, P.REJECTED, P.REPLACED)


def new_request_key() -> str:
    return secrets.token_urlsafe(24)


def organisations_of(user: User) -> list[Organisation]:
    ids = user.organisation_ids if user.is_authenticated else set()
    if not ids:
        return []
    return list(db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)))


def is_own_offer(user: User, offer: Offer) -> bool:
    """The user is a member of the offer's provider."""
    return user.is_authenticated and offer.provider_id in user.provider_ids


def _shares_a_member(organisation: Organisation, offer: Offer) -> bool:
    """An organisation one of whose members belongs to the provider (as the engine never proposes)."""
    provider_members = select(Membership.user_id).where(Membership.provider_id == offer.provider_id)
    return bool(
        db.session.scalar(
            select(
                exists().where(Membership.organisation_id == organisation.id, Membership.user_id.in_(provider_members))
            )
        )
    )


def check_can_request(actor: User, offer: Offer, organisation: Organisation | None = None) -> None:
    """Refusals, in the order a person meets them."""
    if not actor.is_authenticated:
        raise Forbidden(_("Connectez-vous pour demander cet accompagnement."))
    if not offer.is_public:
        raise NotFound(_("Cette offre n'est pas publiée."))
    if is_own_offer(actor, offer):
        raise Forbidden(_("Vous ne pouvez pas demander votre propre offre."))
    if not actor.organisation_ids:
        raise Forbidden(_("Déclarez d'abord votre structure : la demande est faite en son nom."))
    if organisation is not None:
        if organisation.id not in actor.organisation_ids:
            raise Forbidden(_("Vous ne gérez pas cette structure."), field="organisation_id")
        if _shares_a_member(organisation, offer):
            raise Forbidden(_("Cette structure et ce prestataire ont un membre en commun : demandez à un autre."))


def prefill(offer: Offer, organisation: Organisation, user: User) -> dict:
    """The need a request starts from: the offer's subject, the organisation's place and contact."""
    return {
        "title": offer.title,
        "description": _(
            "Nous aimerions être accompagnés par %(provider)s pour « %(offer)s ».\n\n"
            "Notre situation et nos attentes : ",
            provider=offer.provider.name,
            offer=offer.title,
        ),
        "skills": list(offer.skills or []),
        "categories": [offer.category] if offer.category else [],
        "commune_insee": organisation.commune_insee,
        "modality": offer.modality if offer.modality in MODALITIES else "both",
        "funding_mode": offer.price_mode if offer.price_mode in PRICE_MODES else "volunteer",
        "contact_name": user.full_name,
        "contact_email": organisation.contact_email or user.email,
        "contact_phone": organisation.contact_phone or "",
    }


def linkable_needs(user: User, offer: Offer) -> list[Need]:
    """The user's organisations' needs that may be linked to this offer: open (or waiting for staff
    only), no provider considering them already, and not already answered by this offer."""
    ids = user.organisation_ids if user.is_authenticated else set()
    if not ids:
        return []
    waiting = select(Proposal.need_id).where(Proposal.status == P.APPROVED)
    answered = select(Proposal.need_id).where(Proposal.offer_id == offer.id, Proposal.status.in_(ANSWERED))
    return list(
        db.session.scalars(
            select(Need)
            .where(
                Need.organisation_id.in_(ids),
                Need.status.in_(LINKABLE),
                Need.id.not_in(waiting),
                Need.id.not_in(answered),
            )
            .order_by(Need.created_at.desc())
        )
    )


def by_key(key: str | None) -> Proposal | None:
    if not key:
        return None
    return db.session.scalar(select(Proposal).where(Proposal.request_key == key))


def _replay(actor: User, key: str | None) -> Proposal | None:
    """The request this key already made (a double click), or None."""
    existing = by_key(key)
    if existing is not None and existing.requested_by_id != actor.id:
        raise Conflict(_("Ce formulaire a déjà servi : rechargez la page."))
    return existing


def _pending_for(organisation_id: int, offer: Offer) -> Proposal | None:
    return db.session.scalar(
        select(Proposal)
        .join(Need, Proposal.need_id == Need.id)
        .where(
            Need.organisation_id == organisation_id,
            Proposal.offer_id == offer.id,
            Proposal.origin == ProposalOrigin.REQUEST,
            Proposal.status == P.APPROVED,
        )
        .limit(1)
    )


def pending_requests(user: User, offer: Offer) -> list[Proposal]:
    """The requests of the user's organisations for this offer that wait for the provider."""
    ids = user.organisation_ids if user.is_authenticated else set()
    if not ids:
        return []
    return [p for p in (_pending_for(org_id, offer) for org_id in sorted(ids)) if p is not None]


def _lock(organisation: Organisation) -> None:
    """Two requests of one organisation at once (a double click): the second waits for the first
    on the organisation's row (PostgreSQL), then finds its request by the key."""
    db.session.flush()
    db.session.refresh(organisation, with_for_update=True)


def request_with_new_need(
    actor: User, offer: Offer, organisation: Organisation, values: dict, key: str | None = None
) -> Proposal:
    """Create the (reviewed) need, published, and send it to the offer's provider as a request."""
    check_can_request(actor, offer, organisation)
    _lock(organisation)
    existing = _replay(actor, key)
    if existing is not None:
        return existing
    _refuse_second_pending(organisation, offer)
    need = create_need(actor, organisation, values, publish=True)
    return _send(actor, offer, need, key)


def request_with_need(actor: User, offer: Offer, need: Need, key: str | None = None) -> Proposal:
    """Send one of the organisation's open needs to the offer's provider as a request."""
    if (
        not actor.is_authenticated
        or not can_see_need(actor, need)
        or need.organisation_id not in actor.organisation_ids
    ):
        raise Forbidden(_("Vous ne gérez pas ce besoin."), field="need_id")
    check_can_request(actor, offer, need.organisation)
    _lock(need.organisation)
    existing = _replay(actor, key)
    if existing is not None:
        return existing
    _refuse_second_pending(need.organisation, offer)
    if need.id not in {n.id for n in linkable_needs(actor, offer)}:
        raise ServiceError(
            _("Ce besoin ne peut pas être demandé à cette offre : il est déjà en cours de mise en relation."),
            field="need_id",
        )
    return _send(actor, offer, need, key)


def _refuse_second_pending(organisation: Organisation, offer: Offer) -> None:
    if _pending_for(organisation.id, offer) is not None:
        raise Conflict(
            _("Votre structure a déjà une demande en attente pour cette offre : le prestataire va vous répondre.")
        )


def _send(actor: User, offer: Offer, need: Need, key: str | None) -> Proposal:
    now = utcnow()
    # The organisation chose: what the engine proposed for this need and staff have not decided yet stops.
    for old in db.session.scalars(select(Proposal).where(Proposal.need_id == need.id, Proposal.status == P.PROPOSED)):
        _move(old, actor, P.SUPERSEDED, "superseded", details={"requested_offer_id": offer.id})
    proposal = Proposal(
        need_id=need.id,
        offer_id=offer.id,
        provider_id=offer.provider_id,
        origin=ProposalOrigin.REQUEST,
        status=P.APPROVED,
        requested_by_id=actor.id,
        request_key=key or None,
        score=0.0,
        components={},
        explanation="",
        alternatives=[],
        sent_at=now,
        deadline_at=now + timedelta(days=_response_days()),
    )
    db.session.add(proposal)
    db.session.flush()
    _log(proposal, actor, "requested", None, P.APPROVED, details={"offer_id": offer.id})
    if need.status == NS.OPEN:
        move_need(None, need, NS.PROPOSED, system=True)
    _notify_provider(
        proposal,
        _l("Une structure demande votre accompagnement — Hub du Sud"),
        _l(
            "Bonjour,\n\n%(org)s (%(commune)s) demande votre offre « %(offer)s » pour son besoin « %(need)s ».\n\n"
            "Lisez sa demande et répondez avant le %(deadline)s : %(url)s\n\n"
            "Ses coordonnées vous seront données dès que vous aurez accepté.",
            org=need.organisation.name,
            commune=need.commune.name,
            offer=offer.title,
            need=need.title,
            deadline=proposal.deadline_at.strftime("%d/%m/%Y"),
            url=absolute_url("matches.provider_proposals"),
        ),
    )
    return proposal


def can_see_request(user: User, proposal: Proposal) -> bool:
    """The requesting organisation's members, the provider's members, hub staff."""
    if not user.is_authenticated or proposal.origin != ProposalOrigin.REQUEST:
        return False
    return (
        user.is_staff
        or proposal.need.organisation_id in user.organisation_ids
        or proposal.provider_id in user.provider_ids
    )
