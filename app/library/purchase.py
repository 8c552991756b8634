"""Buying a usage licence by card, through `payments` (the only code that calls Stripe)
and the app's gateway (`app.billing.gateway`).

Card first, as the payments README recommends: the page asks for a SetupIntent
(`start_card_setup`), Stripe.js saves the card on it, the page posts the card's
PaymentMethod and the server confirms a PaymentIntent with it (`pay_licence`), once per buyer
and offer whatever the number of clicks (`app.billing.card`, shared by every card payment).
The PaymentIntent's purpose is ``licence_sale``, its reference names the
checkout (``licence:<offer>:<holder>:<checkout>``) and its settlement is the
producer's share and the platform fee (`payments.rules.licence_sale_settlement`).

When Stripe says it succeeded — at once, or later through the webhook after
3-D Secure — `payments.checkout` posts the settlement in the ledger, once, and
calls `on_licence_paid` in the same transaction: the licence is granted (once:
`grant_licence` is idempotent on the PaymentIntent id). `refund_licence`
refunds through `payments.checkout.refund_payment` (the ledger gives back each
share) and revokes the grant.
"""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.billing import card
from app.billing.messages import payment_message as message_for
from app.core.errors import Conflict, Forbidden, NotFound, ServiceError
from app.extensions import db
from app.library.models import LicenceBuyer, LicenceCheckout, LicenceGrant, LicenceOffer
from app.library.models import ResourceStatus as RS
from app.library.services.licences import grant_licence, licence_payment_metadata, revoke_licence
from app.library.services.rights import can_manage_grant, is_producer_member, valid_grant
from payments import ledger, rules
from payments.checkout import get_payment, refund_payment
from payments.errors import GatewayError, PaymentStateError, RefundTooLarge

log = logging.getLogger(__name__)

PURPOSE = "licence_sale"
DEFAULT_FEE_BPS = 1000  # the platform keeps 10 % of a licence sale


def fee_bps() -> int:
    return int(current_app.config.get("LIBRARY_FEE_BPS", DEFAULT_FEE_BPS))


def reference(offer: LicenceOffer, holder: User, checkout: LicenceCheckout) -> str:
    return f"licence:{offer.id}:{holder.id}:{checkout.id}"


def _parse_reference(value: str | None) -> tuple[int, int, int] | None:
    parts = (value or "").split(":")
    if len(parts) != 4 or parts[0] != "licence" or not all(p.isdigit() for p in parts[1:]):
        return None
    return int(parts[1]), int(parts[2]), int(parts[3])


def check_can_buy(actor: User, offer: LicenceOffer) -> None:
    """Refuse what cannot be bought: a withdrawn offer, an unpublished resource, one's own."""
    resource = offer.resource
    if not (actor and actor.is_authenticated):
        raise Forbidden(_("Connectez-vous pour acheter une licence."))
    if not offer.active or not resource.is_paid or resource.status != RS.PUBLISHED:
        raise Conflict(_("Cette licence n'est pas en vente."))
    if is_producer_member(actor, offer.producer) or any(is_producer_member(actor, p) for p in resource.producers):
        raise Conflict(_("Vous êtes l'un des producteurs de cette ressource : vous n'avez pas besoin de licence."))
    held = valid_grant(actor, resource)
    if held is not None and held.offer_id == offer.id:
        raise Conflict(_("Vous détenez déjà cette licence."))


def _customer(gateway, actor: User, *, fresh: bool = False) -> str:
    """The buyer's Stripe customer, created once (``fresh``: a new one, Stripe lost the old)."""
    buyer = db.session.get(LicenceBuyer, actor.id)
    if buyer is not None and not fresh:
        return buyer.stripe_customer_id
    customer = gateway.create_customer(email=actor.email, name=actor.full_name, metadata={"hub_user": str(actor.id)})
    if buyer is not None:
        buyer.stripe_customer_id = customer.id
        db.session.flush()
        return customer.id
    try:
        with db.session.begin_nested():
            db.session.add(LicenceBuyer(user_id=actor.id, stripe_customer_id=customer.id))
    except IntegrityError:  # the buyer's other tab saved one first: use it
        return db.session.get(LicenceBuyer, actor.id, populate_existing=True).stripe_customer_id
    return customer.id


def start_card_setup(actor: User, offer: LicenceOffer, gateway):
    """A SetupIntent on which Stripe.js saves the buyer's card (``confirmCardSetup``)."""
    check_can_buy(actor, offer)
    return card.setup_card(
        gateway,
        metadata={"hub_reference": f"licence_offer:{offer.id}"},
        customer=lambda fresh: _customer(gateway, actor, fresh=fresh),
    )


def pay_licence(actor: User, offer: LicenceOffer, payment_method: str, holder_name: str, gateway):
    """Confirm a PaymentIntent with the saved card, once per buyer and offer (`app.billing.card`).
    Returns a `CardResult`: ``info.succeeded`` (the licence is granted already),
    ``info.requires_action`` (3-D Secure in the browser, then the webhook grants) or
    ``info.failed`` (``info.message_code``)."""
    check_can_buy(actor, offer)
    holder_name = (holder_name or "").strip() or actor.full_name
    if len(holder_name) > 200:
        raise ServiceError(_("Le nom est trop long."), field="holder_name")

    def charge() -> card.Charge:
        check_can_buy(actor, offer)  # again under the lock: a click that waited finds the licence held
        attempt = LicenceCheckout(offer=offer, holder_id=actor.id, holder_name=holder_name)
        db.session.add(attempt)
        db.session.flush()
        return card.Charge(
            amount_cents=offer.price_cents,
            currency=offer.currency,
            settlement=rules.licence_sale_settlement(offer.producer_id, offer.price_cents, fee_bps=fee_bps()),
            reference=reference(offer, actor, attempt),
            metadata=licence_payment_metadata(offer, actor, holder_name),
        )

    result = card.pay_by_card(
        gateway,
        purpose=PURPOSE,
        buyer_ref=f"user:{actor.id}",
        item_ref=f"licence_offer:{offer.id}",
        payment_method=payment_method,
        charge=charge,
        customer=lambda fresh: _customer(gateway, actor, fresh=fresh),
        busy_message=_("Un paiement est déjà en cours pour cette licence : attendez sa confirmation."),
    )
    parsed = _parse_reference(result.payment.reference)
    attempt = db.session.get(LicenceCheckout, parsed[2]) if parsed else None
    if attempt is not None and attempt.payment_ref is None:
        attempt.payment_ref = result.info.id
        db.session.flush()
    return result


def on_licence_paid(session, payment) -> None:
    """`payments.checkout` success hook (purpose ``licence_sale``), in the transaction that settles
    the payment: grant the licence. Never raises for a licence it cannot grant (the money is in the
    ledger; a raise would make Stripe deliver again forever): it logs, staff refund."""
    parsed = _parse_reference(payment.reference)
    if parsed is None:
        log.error("licence payment %s: unreadable reference %r", payment.stripe_id, payment.reference)
        return
    offer_id, holder_id, checkout_id = parsed
    offer = session.get(LicenceOffer, offer_id)
    holder = session.get(User, holder_id)
    attempt = session.get(LicenceCheckout, checkout_id)
    if offer is None or holder is None:
        log.error("licence payment %s: offer %s or holder %s is gone", payment.stripe_id, offer_id, holder_id)
        return
    try:
        with session.begin_nested():
            grant = grant_licence(
                offer,
                holder,
                holder_name=attempt.holder_name if attempt else None,
                payment_ref=payment.stripe_id,
                amount_cents=payment.amount_cents,
                currency=payment.currency,
            )
    except ServiceError as error:
        log.error("licence payment %s not granted: %s", payment.stripe_id, error.message)
        return
    if attempt is not None:
        attempt.payment_ref = attempt.payment_ref or payment.stripe_id
        attempt.grant_id = grant.id


def checkout_state(actor: User, offer: LicenceOffer) -> dict:
    """What the payment page polls while the webhook is on its way."""
    attempt = db.session.scalars(
        select(LicenceCheckout)
        .where(
            LicenceCheckout.offer_id == offer.id,
            LicenceCheckout.holder_id == actor.id,
            LicenceCheckout.payment_ref.is_not(None),
        )
        .order_by(LicenceCheckout.id.desc())
    ).first()
    payment = get_payment(db.session, attempt.payment_ref) if attempt else None
    grant = valid_grant(actor, offer.resource)
    return {
        "granted": grant is not None and grant.offer_id == offer.id,
        "payment": payment.status if payment is not None else None,
        "message": message_for(payment.failure_code) if payment is not None and payment.status == "failed" else None,
    }


def payment_of(grant: LicenceGrant):
    return get_payment(db.session, grant.payment_ref) if grant.payment_ref else None


def refund_licence(actor: User, grant: LicenceGrant, gateway, reason: str, absorb: bool = False) -> LicenceGrant:
    """Refund the card payment of a grant and revoke it. The ledger takes back the producer's share
    and the fee; if the producer's share was already paid out, only staff can refund, the
    platform bearing it (``absorb``)."""
    if not can_manage_grant(actor, grant):
        raise Forbidden(_("Vous ne gérez pas cette licence."))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Indiquez la raison du remboursement."), field="reason")
    payment = payment_of(grant)
    if payment is None:
        raise Conflict(_("Cette licence a été attribuée sans paiement par carte : révoquez-la simplement."))
    if payment.status != "succeeded" or payment.refunded_cents >= payment.amount_cents:
        raise Conflict(_("Ce paiement a déjà été remboursé."))
    try:
        refund_payment(db.session, gateway, payment, absorb=bool(absorb and actor.is_staff), reason=reason[:200])
    except RefundTooLarge:
        raise Conflict(
            _(
                "La part du producteur a déjà été versée : seule l'équipe du Hub peut rembourser, "
                "la plateforme prenant la somme à sa charge."
            )
        ) from None
    except PaymentStateError:
        raise Conflict(_("Ce paiement ne peut pas être remboursé.")) from None
    except GatewayError as error:
        raise card.gateway_refusal(error) from None
    revoke_licence(grant, actor=actor, reason=_("Remboursement : %(reason)s", reason=reason))
    return grant


def producer_balance_cents(producer_id: int) -> int:
    """What the platform owes the producer (the ledger's producer payable), in cents."""
    return ledger.balance(db.session, rules.producer_payable(producer_id), natural=True)


def get_offer(offer_id: int) -> LicenceOffer:
    offer = db.session.get(LicenceOffer, offer_id)
    if offer is None:
        raise NotFound(_("Licence introuvable."))
    return offer
