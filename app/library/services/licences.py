"""Usage licences: offers on a paid resource, grants (given by hand or paid by card), revocations.

The card payment itself is `app.library.purchase`; it calls `grant_licence` and `revoke_licence`."""

from __future__ import annotations

import calendar
import secrets
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.accounts.services import get_user_by_email
from app.core.errors import Conflict, Forbidden, NotFound, ServiceError
from app.core.mail import send_mail
from app.core.models import utcnow
from app.core.states import StateMachine
from app.core.urls import absolute_url
from app.extensions import db
from app.library.models import GrantStatus, LicenceGrant, LicenceOffer, Producer, Resource
from app.library.models import ResourceStatus as RS
from app.library.services.history import log_event
from app.library.services.rights import can_manage_grant, is_producer_member, require_editable
from app.library.vocab import LICENCE_OFFER_KINDS

OFFER_FIELDS = ("kind", "label", "terms", "price_cents", "duration_months")
GRANT_STATES = StateMachine(
    "licence grant",
    {
        GrantStatus.ACTIVE: frozenset({GrantStatus.REVOKED}),
        GrantStatus.REVOKED: frozenset(),
    },
)


def add_licence_offer(actor: User, resource: Resource, values: dict) -> LicenceOffer:
    """A producer offers a usage licence on a paid resource, sold by one of its producers."""
    require_editable(actor, resource)
    if not resource.is_paid:
        raise Conflict(_("Seule une ressource sous licence d'usage peut proposer des licences payantes."))
    if values.get("kind") not in LICENCE_OFFER_KINDS:
        raise ServiceError(_("Choisissez le type de licence."), field="kind")
    price = values.get("price_cents")
    if not isinstance(price, int) or isinstance(price, bool) or not 100 <= price <= 10_000_000:
        raise ServiceError(_("Indiquez un prix entre 1 € et 100 000 €."), field="price")
    duration = values.get("duration_months")
    if duration is not None and (not isinstance(duration, int) or not 1 <= duration <= 120):
        raise ServiceError(
            _("Indiquez une durée entre 1 et 120 mois, ou laissez vide pour une licence sans fin."),
            field="duration_months",
        )
    seller = db.session.get(Producer, int(values.get("producer_id") or 0))
    if seller is None or seller not in resource.producers:
        raise ServiceError(_("Le vendeur doit être l'un des producteurs de la ressource."), field="producer_id")
    if not (actor.is_staff or is_producer_member(actor, seller)):
        raise Forbidden(
            _("Vous ne pouvez vendre qu'au nom d'un producteur dont vous êtes membre."), field="producer_id"
        )
    label = (values.get("label") or "").strip() or str(LICENCE_OFFER_KINDS[values["kind"]])
    offer = LicenceOffer(
        resource=resource,
        producer=seller,
        kind=values["kind"],
        label=label[:200],
        terms=(values.get("terms") or "").strip()[:5000],
        price_cents=price,
        currency="EUR",
        duration_months=duration,
        active=True,
    )
    db.session.add(offer)
    db.session.flush()
    log_event(resource, actor, "offer_added", {"licence_offers": {"before": None, "after": _offer_summary(offer)}})
    db.session.flush()
    return offer


def set_offer_active(actor: User, offer: LicenceOffer, active: bool) -> None:
    require_editable(actor, offer.resource)
    if active and not offer.resource.is_paid:
        raise Conflict(_("La ressource n'est plus sous licence d'usage."))
    if offer.active == active:
        return
    before = _offer_summary(offer)
    offer.active = active
    log_event(
        offer.resource, actor, "offer_changed", {"licence_offers": {"before": before, "after": _offer_summary(offer)}}
    )
    db.session.flush()


def _offer_summary(offer: LicenceOffer) -> str:
    price = f"{offer.price_cents / 100:.2f} €".replace(".", ",")
    duration = _("%(n)d mois", n=offer.duration_months) if offer.duration_months else _("sans fin")
    state = _("en vente") if offer.active else _("retirée de la vente")
    return f"{offer.label} — {price} — {duration} — {state}"


def _add_months(moment: datetime, months: int) -> datetime:
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def grant_licence(
    offer: LicenceOffer,
    holder: User,
    *,
    holder_name: str | None = None,
    payment_ref: str | None = None,
    amount_cents: int | None = None,
    currency: str | None = None,
    actor: User | None = None,
    now: datetime | None = None,
    notify: bool = True,
) -> LicenceGrant:
    """Give `holder` the licence of `offer`. The payment side calls it when a PaymentIntent
    for a licence succeeds (payment_ref: its id; a second call with the same id returns the
    same grant, so a webhook delivered twice grants once); producers call it through
    `give_licence`. Writes no ledger entry: the payment side does."""
    if payment_ref:
        existing = db.session.scalar(select(LicenceGrant).where(LicenceGrant.payment_ref == payment_ref))
        if existing is not None:
            if existing.offer_id != offer.id or existing.holder_id != holder.id:
                raise Conflict(_("Ce paiement correspond déjà à une autre licence."))
            return existing
    resource = offer.resource
    if resource.status in (RS.DELETED, RS.MERGED):
        raise Conflict(_("Cette ressource n'est plus disponible."))
    if not offer.active and payment_ref is None:
        raise Conflict(_("Cette licence n'est plus proposée."))
    amount = offer.price_cents if amount_cents is None else amount_cents
    if payment_ref and amount != offer.price_cents:
        raise Conflict(_("Le montant payé ne correspond pas au prix de la licence."))
    starts = now or utcnow()
    grant = LicenceGrant(
        code=f"LIC-{secrets.token_hex(5).upper()}",
        offer=offer,
        resource=resource,
        holder_id=holder.id,
        holder_name=((holder_name or "").strip() or holder.full_name)[:200],
        status=GrantStatus.ACTIVE,
        starts_at=starts,
        ends_at=_add_months(starts, offer.duration_months) if offer.duration_months else None,
        amount_cents=amount,
        currency=(currency or offer.currency).upper(),
        payment_ref=payment_ref,
        granted_by_id=actor.id if actor else None,
    )
    db.session.add(grant)
    db.session.flush()
    if notify:
        send_mail(
            holder.email,
            _("Votre licence d'usage — %(id)s — Hub du Sud", id=resource.identifier),
            _(
                "Bonjour,\n\nVous disposez désormais de la licence « %(licence)s » sur la ressource %(id)s "
                "« %(title)s ».\n\nTéléchargez la ressource : %(url)s\nVotre certificat de licence : %(cert)s\n",
                licence=offer.label,
                id=resource.identifier,
                title=resource.title,
                url=absolute_url("library.resolve", ident=resource.identifier),
                cert=absolute_url("library.certificate", grant_id=grant.id),
            ),
        )
    return grant


def give_licence(actor: User, offer: LicenceOffer, email: str, holder_name: str = "") -> LicenceGrant:
    """A producer (or staff) gives a licence without payment, e.g. to a partner."""
    if not (actor.is_staff or is_producer_member(actor, offer.producer)):
        raise Forbidden(_("Seul le producteur qui vend cette licence peut l'attribuer."))
    holder = get_user_by_email(email)
    if holder is None:
        raise NotFound(
            _("Aucun compte n'existe avec cette adresse : la personne doit d'abord s'inscrire."), field="email"
        )
    if len((holder_name or "").strip()) > 200:
        raise ServiceError(_("Le nom est trop long."), field="holder_name")
    return grant_licence(offer, holder, holder_name=holder_name, amount_cents=0, actor=actor)


def revoke_licence(
    grant: LicenceGrant, *, actor: User | None = None, reason: str = "", now: datetime | None = None
) -> LicenceGrant:
    """Revoke a grant (a refund, or the seller's decision). Revoking a revoked grant is a no-op,
    so a refund webhook delivered twice revokes once."""
    if grant.status == GrantStatus.REVOKED:
        return grant
    if actor is not None and not can_manage_grant(actor, grant):
        raise Forbidden(_("Vous ne gérez pas cette licence."))
    reason = (reason or "").strip()
    if actor is not None and not reason:
        raise ServiceError(_("Indiquez la raison de la révocation."), field="reason")
    GRANT_STATES.check(grant.status, GrantStatus.REVOKED)
    grant.status = GrantStatus.REVOKED
    grant.revoked_at = now or utcnow()
    grant.revoked_by_id = actor.id if actor else None
    grant.revoke_reason = reason[:2000]
    db.session.flush()
    return grant


def revoke_licence_for_payment(payment_ref: str, reason: str = "") -> LicenceGrant | None:
    """What a refund handler calls: the grant paid by that PaymentIntent, revoked (None if there is none)."""
    grant = db.session.scalar(select(LicenceGrant).where(LicenceGrant.payment_ref == payment_ref))
    if grant is None:
        return None
    return revoke_licence(grant, reason=reason or _("Paiement remboursé."))


LICENCE_PAYMENT_PURPOSE = "library_licence"


def licence_payment_metadata(offer: LicenceOffer, holder: User, holder_name: str = "") -> dict[str, str]:
    """The metadata a PaymentIntent for a licence carries (Stripe metadata: strings only)."""
    return {
        "purpose": LICENCE_PAYMENT_PURPOSE,
        "licence_offer_id": str(offer.id),
        "holder_id": str(holder.id),
        "holder_name": (holder_name or holder.full_name)[:200],
        "resource": offer.resource.identifier,
    }


def grant_from_payment(metadata: dict, payment_ref: str, amount_cents: int, currency: str) -> LicenceGrant:
    """The handler for a succeeded PaymentIntent whose metadata says it pays a licence."""
    if metadata.get("purpose") != LICENCE_PAYMENT_PURPOSE:
        raise ServiceError(_("Ce paiement ne concerne pas une licence."))
    try:
        offer = db.session.get(LicenceOffer, int(metadata["licence_offer_id"]))
        holder = db.session.get(User, int(metadata["holder_id"]))
    except (KeyError, TypeError, ValueError):
        raise ServiceError(_("Ce paiement ne désigne pas de licence.")) from None
    if offer is None or holder is None:
        raise NotFound(_("Licence ou acheteur introuvable."))
    return grant_licence(
        offer,
        holder,
        holder_name=metadata.get("holder_name"),
        payment_ref=payment_ref,
        amount_cents=int(amount_cents),
        currency=currency,
    )


def grants_for_holder(user: User) -> list[LicenceGrant]:
    stmt = (
        select(LicenceGrant)
        .where(LicenceGrant.holder_id == user.id)
        .options(selectinload(LicenceGrant.resource), selectinload(LicenceGrant.offer))
        .order_by(LicenceGrant.starts_at.desc())
    )
    return list(db.session.scalars(stmt))


def sales_for_producer(producer: Producer) -> list[LicenceGrant]:
    stmt = (
        select(LicenceGrant)
        .join(LicenceOffer)
        .where(LicenceOffer.producer_id == producer.id)
        .options(
            selectinload(LicenceGrant.resource), selectinload(LicenceGrant.offer), selectinload(LicenceGrant.holder)
        )
        .order_by(LicenceGrant.starts_at.desc())
    )
    return list(db.session.scalars(stmt))
