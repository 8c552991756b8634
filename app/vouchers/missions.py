"""Vouchers in missions: what vouchers do when `app.matches` announces a mission's events
(`app.core.signals`: ``mission_accepted``, ``mission_done``, ``mission_cancelled``; the receivers
are connected at the end of this module, imported with the blueprint):

- the provider accepts a mission whose need is funded by vouchers and whose offer
  takes them (price mode "voucher", not free): the organisation's issued vouchers
  are reserved for it, soonest expiry first, up to the offer's price and never
  above it (one voucher when the offer has no price) —
  `payments.vouchers.mission_voucher_refusal` is the rule, checked again by the
  library's ``reserve`` and ``redeem``; no voucher for a free mission;
- both sides confirm completion: the reserved vouchers are redeemed, their value
  becomes owed to the provider (``provider:X:payable``);
- the mission is cancelled: they are released (back to issued).

Every move goes through `payments.vouchers` (compare-and-set, ledger in the same
transaction). A refusal of the library never blocks the mission itself (a
voucher that expired during a long mission stays expired): it is logged, and the
mission page shows what each voucher became.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app.billing import card
from app.billing.messages import payment_state
from app.core.errors import Conflict, NotFound
from app.core.models import utcnow
from app.core.signals import mission_accepted, mission_cancelled, mission_done
from app.extensions import db
from app.ledger import Payment, Voucher
from app.matches.models import MissionStatus
from payments import rules
from payments import vouchers as pv
from payments.codes import MissionRefusal, PaymentStatus, VoucherStatus
from payments.errors import IllegalVoucherMove, VoucherNotForMission

log = logging.getLogger(__name__)

VOUCHER_FUNDING = "voucher"


def mission_ref(mission) -> str:
    return f"mission:{mission.id}"


def is_voucher_funded(mission) -> bool:
    return mission.need is not None and mission.need.funding_mode == VOUCHER_FUNDING


def terms(mission) -> pv.MissionTerms:
    """The price terms of the mission's offer (see `payments.vouchers.mission_voucher_refusal`)."""
    offer = mission.offer
    if offer is None:
        return pv.MissionTerms(None, None)
    return pv.MissionTerms(offer.price_mode, None if offer.price_cents is None else int(offer.price_cents))


#: Refusals that no voucher can lift: the offer is free or takes no voucher.
_NEVER = (MissionRefusal.FREE, MissionRefusal.NOT_VOUCHER)


def offer_refusal(mission) -> MissionRefusal | None:
    """`MISSION_FREE` / `MISSION_NOT_VOUCHER` when the mission's offer takes no voucher at all."""
    code = pv.mission_voucher_refusal(terms(mission), 1)
    return code if code in _NEVER else None


def takes_vouchers(mission) -> bool:
    """The need is funded by vouchers and the offer takes them (not free, voucher-priced)."""
    return is_voucher_funded(mission) and offer_refusal(mission) is None


def price_cents(mission) -> int | None:
    """What the mission costs, when its offer says so."""
    offer = mission.offer
    if offer is not None and offer.price_mode in ("voucher", "paid") and offer.price_cents:
        return int(offer.price_cents)
    return None


def vouchers_for(mission) -> list:
    """The vouchers reserved for the mission, or redeemed or expired while reserved for it."""
    return list(
        db.session.scalars(select(Voucher).where(Voucher.reserved_for == mission_ref(mission)).order_by(Voucher.id))
    )


def usable_vouchers(organisation_id: int, now: datetime | None = None) -> list:
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Voucher)
            .where(
                Voucher.organisation_id == organisation_id,
                Voucher.status == VoucherStatus.ISSUED.value,
                Voucher.valid_from <= now,
                Voucher.blocks_at > now,
            )
            .order_by(Voucher.expires_at, Voucher.id)
        )
    )


def covered_cents(mission) -> int:
    return sum(
        v.face_value_cents
        for v in vouchers_for(mission)
        if v.status in (VoucherStatus.RESERVED, VoucherStatus.REDEEMED)
    )


def reserve_for_mission(mission, now: datetime | None = None) -> list:
    """Reserve the organisation's usable vouchers for the mission, soonest expiry first, while
    `payments.vouchers.mission_voucher_refusal` allows: none for a free offer or one that
    takes no voucher, never above the offer's price (one voucher when it has none)."""
    now = now or utcnow()
    ref = mission_ref(mission)
    mission_terms = terms(mission)
    covered = covered_cents(mission)
    reserved = []
    for voucher in usable_vouchers(mission.need.organisation_id, now):
        code = pv.mission_voucher_refusal(mission_terms, voucher.face_value_cents, covered)
        if code in _NEVER or code == MissionRefusal.COVERED:
            log.info("no voucher reserved for %s: %s", ref, code)
            break
        if code == MissionRefusal.OVER_PRICE:  # a smaller voucher may still fit
            continue
        try:
            pv.reserve(db.session, voucher, ref, now=now, terms=mission_terms, covered_cents=covered)
        except IllegalVoucherMove as error:  # taken by another mission meanwhile
            log.info("voucher %s not reserved for %s: %s", voucher.id, ref, error.code)
            continue
        reserved.append(voucher)
        covered += voucher.face_value_cents
    return reserved


def on_mission_accepted(mission) -> list:
    if not takes_vouchers(mission):
        return []
    return reserve_for_mission(mission)


def on_mission_done(mission) -> list:
    """Redeem the vouchers reserved for the mission, as far as the offer's terms allow (checked
    again now: the offer may have changed since); the others go back to the organisation."""
    mission_terms = terms(mission)
    vouchers = vouchers_for(mission)
    redeemed_cents = sum(v.face_value_cents for v in vouchers if v.status == VoucherStatus.REDEEMED)
    redeemed = []
    for voucher in vouchers:
        if voucher.status != VoucherStatus.RESERVED:
            continue
        try:
            redeemed.append(
                pv.redeem(
                    db.session,
                    voucher,
                    mission.provider_id,
                    mission_ref(mission),
                    terms=mission_terms,
                    covered_cents=redeemed_cents,
                )
            )
            redeemed_cents += voucher.face_value_cents
        except VoucherNotForMission as error:
            log.warning("voucher %s not redeemed for mission %s (%s): released", voucher.id, mission.id, error.reason)
            _release(voucher, mission)
        except IllegalVoucherMove as error:
            log.warning("voucher %s not redeemed for mission %s: %s", voucher.id, mission.id, error.code)
    return redeemed


def _release(voucher, mission):
    try:
        return pv.release(db.session, voucher, mission_ref(mission))
    except IllegalVoucherMove as error:
        log.warning("voucher %s not released for mission %s: %s", voucher.id, mission.id, error.code)
        return None


def on_mission_cancelled(mission) -> list:
    return [
        voucher
        for voucher in vouchers_for(mission)
        if voucher.status == VoucherStatus.RESERVED and _release(voucher, mission) is not None
    ]


# ------------------------------------------------------------------ the rest by card

MISSION_PAYMENT = "mission_payment"


def card_payments(mission) -> list:
    return list(
        db.session.scalars(
            select(Payment)
            .where(Payment.reference == mission_ref(mission), Payment.purpose == MISSION_PAYMENT)
            .order_by(Payment.id.desc())
        )
    )


def card_paid_cents(mission) -> int:
    return sum(p.amount_cents - p.refunded_cents for p in card_payments(mission) if p.status == PaymentStatus.SUCCEEDED)


def remainder_cents(mission) -> int:
    """What the organisation still pays by card: the offer's price minus the vouchers
    reserved or redeemed for the mission and the card payments already made."""
    price = price_cents(mission)
    if price is None or not is_voucher_funded(mission):
        return 0
    return max(0, price - covered_cents(mission) - card_paid_cents(mission))


def _payable(actor, mission) -> None:
    if mission.need.organisation_id not in actor.organisation_ids:
        raise NotFound(_("Mission introuvable."))
    if mission.status == MissionStatus.CANCELLED:
        raise Conflict(_("Cette mission est annulée : il n'y a rien à payer."))


def start_remainder_setup(actor, mission, gateway):
    """The payment page: a SetupIntent for Stripe.js ``confirmCardSetup`` (see `pay_remainder`)."""
    _payable(actor, mission)
    if remainder_cents(mission) == 0:
        raise Conflict(_("Il ne reste rien à payer pour cette mission."))
    return card.setup_card(gateway, metadata={"hub_reference": mission_ref(mission)})


def pay_remainder(actor, mission, payment_method: str, gateway):
    """The organisation pays the rest of the mission's price by card (card first, as for a
    programme), once whatever the number of clicks (`app.billing.card`): the provider's payable
    is credited when the payment succeeds. Returns a `CardResult`."""
    _payable(actor, mission)

    def charge() -> card.Charge:
        amount = remainder_cents(mission)  # under the lock: a click that waited finds it paid
        if amount == 0:
            raise Conflict(_("Il ne reste rien à payer pour cette mission."))
        return card.Charge(
            amount_cents=amount,
            settlement=rules.mission_payment_settlement(mission.provider_id, amount),
            reference=mission_ref(mission),
        )

    return card.pay_by_card(
        gateway,
        purpose=MISSION_PAYMENT,
        buyer_ref=f"organisation:{mission.need.organisation_id}",
        item_ref=mission_ref(mission),
        payment_method=payment_method,
        charge=charge,
        busy_message=_("Un paiement est déjà en cours pour cette mission : attendez sa confirmation."),
    )


def remainder_state(mission) -> dict:
    """What the mission's payment page polls while the webhook is on its way."""
    remainder = remainder_cents(mission)
    return {"remainder_cents": remainder, "done": remainder == 0, **payment_state(card_payments(mission))}


# ------------------------------------------------------------------ what vouchers do on mission events


@mission_accepted.connect
def _reserve_on_accept(mission, **_extra) -> None:
    on_mission_accepted(mission)  # a need funded by vouchers: reserve them


@mission_done.connect
def _redeem_on_done(mission, **_extra) -> None:
    on_mission_done(mission)  # reserved vouchers are redeemed for the provider


@mission_cancelled.connect
def _release_on_cancel(mission, **_extra) -> None:
    on_mission_cancelled(mission)  # reserved vouchers go back to the organisation
