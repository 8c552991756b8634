"""The demo's only writer: one small function per kind of row, each through its domain's services, so the
publication and need state machines and the services' checks apply as they do for people. Flush, never commit.

A domain service renamed elsewhere is fixed here, in one place per domain.
"""

from __future__ import annotations

import io
from datetime import date, datetime

from app.accounts.models import User
from app.charter import text as charter
from app.core.models import PublicationStatus as PS
from app.directory.models import Offer, Organisation, Provider
from app.directory.services import (
    create_offer,
    create_organisation,
    create_provider,
    move_offer,
    move_organisation,
    move_provider,
)
from app.extensions import db
from app.library.models import Producer, Resource
from app.library.services.files import add_file
from app.library.services.licences import add_licence_offer
from app.library.services.producers import create_producer
from app.library.services.resources import create_resource
from app.needs.models import Need
from app.needs.models import NeedStatus as NS
from app.needs.services import create_need, move_need
from app.vouchers.funders import add_funder_member, create_funder, create_programme, pay_programme
from app.vouchers.models import Funder
from payments.interface import PaymentGateway

# ---------------------------------------------------------------- accounts


def add_user(
    email: str,
    full_name: str,
    password_hash: str,
    confirmed_at: datetime,
    *,
    intent: str = "organisation",
    staff: bool = False,
    admin: bool = False,
    flush: bool = False,
) -> User:
    """A confirmed account with a password hash computed once for the whole demo (argon2 costs ~50 ms a hash)."""
    account = User(
        email=email,
        password_hash=password_hash,
        full_name=full_name,
        intent=intent,
        locale="fr",
        email_confirmed_at=confirmed_at,
        is_staff=staff,
        is_admin=admin,
    )
    db.session.add(account)
    if flush:
        db.session.flush()
    return account


# ---------------------------------------------------------------- directory


def add_provider(owner: User, moderator: User, values: dict, publish: bool) -> Provider:
    provider = create_provider(owner, values)
    if publish:
        move_provider(moderator, provider, PS.PUBLISHED)
    return provider


def add_offer(
    owner: User,
    moderator: User,
    provider: Provider,
    values: dict,
    status: str,
    reason: str | None = None,
    published_at: datetime | None = None,
) -> Offer:
    """An offer in `status` (draft, submitted, published or rejected with `reason`), moved there by the moderator."""
    offer = create_offer(owner, provider, values, submit=status != "draft")
    if status == "published":
        move_offer(moderator, offer, PS.PUBLISHED)
        offer.published_at = published_at
    elif status == "rejected":
        move_offer(moderator, offer, PS.REJECTED, reason=reason)
    return offer


def add_organisation(owner: User, moderator: User, values: dict, publish: bool) -> Organisation:
    organisation = create_organisation(owner, values)
    if publish:
        move_organisation(moderator, organisation, PS.PUBLISHED)
    return organisation


# ---------------------------------------------------------------- needs


def add_need(owner: User, organisation: Organisation, values: dict, answers: list[str], publish: bool) -> Need:
    return create_need(owner, organisation, values, answers=answers, publish=publish)


def end_need(owner: User, need: Need, fate: str, reason: str) -> None:
    """The owner cancels (`fate` "cancelled") or closes ("closed") the need."""
    move_need(owner, need, NS.CANCELLED if fate == "cancelled" else NS.CLOSED, reason=reason)


# ---------------------------------------------------------------- vouchers


def add_funder(staff: User, values: dict, member_email: str) -> Funder:
    """A funder created by the hub staff, who attach the account `member_email` to it."""
    funder = create_funder(staff, values)
    add_funder_member(staff, funder, member_email)
    return funder


def add_programme(member: User, funder: Funder, values: dict, today: date):
    return create_programme(member, funder, values, today=today)


def pay_by_card(member: User, programme, gateway: PaymentGateway) -> None:
    """The funder's member pays the programme with Stripe's test card, through the same service as the
    payment page (`pay_programme`): the payment, its settlement in the ledger and the programme funded by
    the payments' success hook, as after a real card payment."""
    result = pay_programme(member, programme, "pm_card_visa", gateway)
    if not result.info.succeeded:
        raise RuntimeError(f"demo: the card payment of programme {programme.id} did not succeed")


# ---------------------------------------------------------------- library


def add_producer(member: User, values: dict) -> Producer:
    return create_producer(member, values)


def add_resource(
    member: User, values: dict, licence_offers: list[dict], files: dict[str, bytes] | None = None
) -> Resource:
    """A published resource, its files (name -> content) and the usage licences it sells."""
    resource = create_resource(member, values, publish=True)
    for name, content in (files or {}).items():
        add_file(member, resource, name, io.BytesIO(content))
    for offer in licence_offers:
        add_licence_offer(member, resource, offer)
    return resource


# ---------------------------------------------------------------- the charter


def add_charter_version(moderator: User, themes: list[dict], summary: str):
    """The themes and the first version of the charter, adopted (criteria numbered in the order given)."""
    version = charter.new_draft()
    for position, spec in enumerate(themes):
        theme = charter.create_theme(spec["code"], spec["name"], spec.get("description", ""), position)
        for values in spec["criteria"]:
            charter.add_criterion(version, theme, values)
    db.session.refresh(version)
    return charter.adopt_version(moderator, version, summary)


def add_committee_member(staff: User, email: str) -> None:
    charter.grant_committee(staff, email)


def add_consultation(committee: User, values: dict):
    return charter.open_consultation(committee, values)


def add_amendment(author: User, consultation, values: dict, supporters: list[User]):
    amendment = charter.propose_amendment(author, consultation, values)
    for user in supporters:
        charter.support(user, amendment)
    return amendment
