"""Clearing: what the platform owes each provider and how it pays it.

- a monthly statement per provider: the vouchers redeemed for it in the month and the
  card payments of its missions (the money is owed through the ledger account
  ``provider:{id}:payable``);
- a payout batch built by hub staff from the providers' payables (minus what an
  unconfirmed batch already carries): a SEPA credit-transfer file pain.001 (sepaxml,
  IBANs checked with schwifty); providers without an IBAN are listed, not paid;
- the treasurer (hub staff) confirms the batch once the bank took the file: each line
  posts `payments.rules.payout_lines` (payable → bank) with an idempotency key of its
  own, so confirming twice changes nothing.

`PayoutMethod` is the interface a batch is paid through: `SepaPayouts` here;
`StripeConnectPayouts` would make Stripe Connect transfers in production (localstripe
has no Connect: that path is not exercised by the tests).

Refunds: `refund_card_payment` (hub staff) refunds a card payment through
`payments.checkout.refund_payment`, which reverses its ledger effect.
Services take the acting user, flush, never commit.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sepaxml import SepaTransfer
from sqlalchemy import select

from app.core.errors import Conflict, Forbidden, ServiceError
from app.core.models import utcnow
from app.directory.models import Provider
from app.extensions import db
from app.ledger import Payment, Voucher
from app.matches.models import Mission
from app.vouchers.missions import MISSION_PAYMENT
from app.vouchers.models import PayoutBatch, PayoutLine
from payments import ledger, rules
from payments.checkout import refund_payment
from payments.codes import PaymentStatus, VoucherStatus
from payments.errors import GatewayError, PaymentStateError, RefundTooLarge

PARIS = ZoneInfo("Europe/Paris")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
PAIN_NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
DEFAULT_DEBTOR = {"name": "Hub du Sud", "IBAN": "FR7630006000011234567890189", "BIC": "AGRIFRPP"}


# ------------------------------------------------------------------ months


def previous_month(today: date | None = None) -> str:
    today = today or utcnow().astimezone(PARIS).date()
    first = today.replace(day=1) - timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def month_of(moment: datetime) -> str:
    local = rules.utc(moment).astimezone(PARIS)
    return f"{local.year:04d}-{local.month:02d}"


def parse_month(raw: str | None) -> str | None:
    """``"2026-10"`` or None when it is not a month."""
    raw = (raw or "").strip()
    return raw if MONTH.match(raw) and 2000 <= int(raw[:4]) <= 2100 else None


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of a month in Paris time, as aware UTC datetimes (SQLite stores naive UTC)."""
    year, number = int(month[:4]), int(month[5:7])
    start = datetime.combine(date(year, number, 1), time(), tzinfo=PARIS)
    following = date(year + number // 12, number % 12 + 1, 1)
    end = datetime.combine(following, time(), tzinfo=PARIS)
    return start.astimezone(UTC), end.astimezone(UTC)


# ------------------------------------------------------------------ statements


@dataclass
class StatementLine:
    at: datetime
    kind: str  # "voucher" | "card"
    label: str
    amount_cents: int
    refunded_cents: int = 0


@dataclass
class Statement:
    provider: Provider
    month: str
    lines: list[StatementLine] = field(default_factory=list)
    payable_cents: int = 0  # owed now, all months together (the ledger)
    pending_cents: int = 0  # already in an unconfirmed payout batch

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents - line.refunded_cents for line in self.lines)

    @property
    def payable_now_cents(self) -> int:
        return max(0, self.payable_cents - self.pending_cents)


def payable_cents(provider_id: int) -> int:
    return ledger.balance(db.session, rules.provider_payable(provider_id), natural=True)


def pending_cents(provider_id: int) -> int:
    return sum(
        db.session.scalars(
            select(PayoutLine.amount_cents)
            .join(PayoutBatch, PayoutBatch.id == PayoutLine.batch_id)
            .where(PayoutLine.provider_id == provider_id, PayoutBatch.confirmed_at.is_(None))
        )
    )


def _provider_share(payment, provider_id: int) -> int:
    code = rules.provider_payable(provider_id)
    return -sum(int(cents) for account, cents in (payment.settlement or []) if account == code)


def statement(provider: Provider, month: str) -> Statement:
    """The vouchers redeemed for ``provider`` in ``month`` and its missions' card payments."""
    start, end = month_bounds(month)
    result = Statement(
        provider=provider,
        month=month,
        payable_cents=payable_cents(provider.id),
        pending_cents=pending_cents(provider.id),
    )
    for voucher in db.session.scalars(
        select(Voucher)
        .where(
            Voucher.provider_id == provider.id,
            Voucher.status == VoucherStatus.REDEEMED.value,
            Voucher.redeemed_at >= start,
            Voucher.redeemed_at < end,
        )
        .order_by(Voucher.redeemed_at, Voucher.id)
    ):
        result.lines.append(
            StatementLine(
                rules.utc(voucher.redeemed_at),
                "voucher",
                _("Chèque %(code)s", code=voucher.code),
                voucher.face_value_cents,
            )
        )
    mission_refs = [
        f"mission:{m}" for m in db.session.scalars(select(Mission.id).where(Mission.provider_id == provider.id))
    ]
    if mission_refs:
        for payment in db.session.scalars(
            select(Payment)
            .where(
                Payment.purpose == MISSION_PAYMENT,
                Payment.status == PaymentStatus.SUCCEEDED.value,
                Payment.reference.in_(mission_refs),
                Payment.created_at >= start,
                Payment.created_at < end,
            )
            .order_by(Payment.created_at, Payment.id)
        ):
            share = _provider_share(payment, provider.id)
            refunded = share * payment.refunded_cents // payment.amount_cents if payment.amount_cents else 0
            result.lines.append(
                StatementLine(
                    rules.utc(payment.created_at),
                    "card",
                    _("Paiement par carte, mission n° %(id)s", id=payment.reference.split(":")[1]),
                    share,
                    refunded,
                )
            )
    result.lines.sort(key=lambda line: line.at)
    return result


def providers_with_activity() -> list[Provider]:
    """The providers that have a payable account in the ledger."""
    ids = [
        int(code.split(":")[1]) for code in ledger.balances(db.session, prefix="provider:") if code.endswith(":payable")
    ]
    if not ids:
        return []
    return list(db.session.scalars(select(Provider).where(Provider.id.in_(ids)).order_by(Provider.name)))


# ------------------------------------------------------------------ payout interface


class PayoutMethod:
    """How a batch reaches the providers. ``source`` is the ledger account the payouts leave."""

    name = ""
    source = rules.BANK

    def document(self, batch: PayoutBatch) -> str:  # pragma: no cover - interface
        raise NotImplementedError


class SepaPayouts(PayoutMethod):
    """A SEPA credit-transfer file pain.001.001.03 the treasurer uploads to the bank."""

    name = "sepa"
    source = rules.BANK

    def __init__(self, debtor: dict | None = None):
        self.debtor = debtor or debtor_config()

    def document(self, batch: PayoutBatch) -> str:
        config = {"name": self.debtor["name"], "IBAN": self.debtor["IBAN"], "batch": True, "currency": "EUR"}
        if self.debtor.get("BIC"):
            config["BIC"] = self.debtor["BIC"]
        transfer = SepaTransfer(config, schema="pain.001.001.03", clean=True)
        today = utcnow().astimezone(PARIS).date()
        for line in batch.lines:
            payment = {
                "name": line.holder[:70],
                "IBAN": line.iban,
                "amount": line.amount_cents,
                "execution_date": today,
                "description": f"Hub du Sud releve {batch.month}"[:140],
                "endtoend_id": f"HUB-{batch.id}-{line.provider_id}"[:35],
            }
            if line.bic:
                payment["BIC"] = line.bic
            transfer.add_payment(payment)
        return transfer.export(validate=True).decode("utf-8")


class StripeConnectPayouts(PayoutMethod):  # pragma: no cover - localstripe has no Connect
    """Production alternative: one Stripe Connect Transfer per line to the provider's connected
    account, paid from our Stripe balance. Not wired: the providers' connected accounts are not
    onboarded yet, and localstripe cannot exercise Connect."""

    name = "stripe_connect"
    source = rules.CLEARING

    def document(self, batch: PayoutBatch) -> str:
        raise NotImplementedError("Stripe Connect transfers need connected accounts")


PAYOUT_METHODS = {"sepa": SepaPayouts}


def debtor_config() -> dict:
    config = current_app.config
    return {
        "name": config.get("SEPA_DEBTOR_NAME") or DEFAULT_DEBTOR["name"],
        "IBAN": config.get("SEPA_DEBTOR_IBAN") or DEFAULT_DEBTOR["IBAN"],
        "BIC": config.get("SEPA_DEBTOR_BIC", DEFAULT_DEBTOR["BIC"]) or None,
    }


# ------------------------------------------------------------------ batches


def _require_staff(actor) -> None:
    if not getattr(actor, "is_staff", False):
        raise Forbidden(_("Réservé à l'équipe du Hub."))


@dataclass
class BatchPlan:
    payable: list[tuple[Provider, int]] = field(default_factory=list)
    without_iban: list[tuple[Provider, int]] = field(default_factory=list)


def plan_batch() -> BatchPlan:
    """Who would be paid now (a positive balance not already in a pending batch, an IBAN),
    and who is owed money but has no IBAN."""
    plan = BatchPlan()
    for provider in providers_with_activity():
        amount = payable_cents(provider.id) - pending_cents(provider.id)
        if amount <= 0:
            continue
        (plan.payable if provider.iban else plan.without_iban).append((provider, amount))
    return plan


def create_batch(actor, month: str, method: PayoutMethod | None = None) -> PayoutBatch:
    _require_staff(actor)
    if parse_month(month) is None:
        raise ServiceError(_("Mois invalide (AAAA-MM)."), field="month")
    method = method or SepaPayouts()
    plan = plan_batch()
    if not plan.payable:
        raise Conflict(_("Aucun prestataire à payer : aucun solde positif avec un IBAN."))
    batch = PayoutBatch(
        month=month, method=method.name, message_id=f"pending-{utcnow().timestamp()}", created_by_id=actor.id
    )
    db.session.add(batch)
    for provider, amount in plan.payable:
        batch.lines.append(
            PayoutLine(
                provider_id=provider.id,
                amount_cents=amount,
                iban=provider.iban,
                bic=provider.bic or None,
                holder=(provider.bank_holder or provider.name)[:70],
            )
        )
    db.session.flush()
    batch.document = method.document(batch)
    batch.message_id = parse_pain001(batch.document)["message_id"][:35]
    db.session.flush()
    return batch


def confirm_batch(actor, batch: PayoutBatch) -> PayoutBatch:
    """The treasurer says the bank executed the batch: each line settles the provider's payable.
    Idempotent: a confirmed batch is left as it is; each line's ledger post has its own key."""
    _require_staff(actor)
    locked = db.session.scalar(
        select(PayoutBatch)
        .where(PayoutBatch.id == batch.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked.confirmed_at is not None:
        return locked
    method = PAYOUT_METHODS.get(locked.method, SepaPayouts)
    for line in locked.lines:
        ledger.post(
            db.session,
            "payout",
            rules.payout_lines(line.provider_id, line.amount_cents, source=method.source),
            f"payout:batch:{locked.id}:provider:{line.provider_id}",
            reference=f"payout_batch:{locked.id}",
            memo=f"payout batch {locked.id} ({locked.method}) to provider {line.provider_id}",
        )
    locked.confirmed_at = utcnow()
    locked.confirmed_by_id = actor.id
    db.session.flush()
    return locked


def batches() -> list[PayoutBatch]:
    return list(db.session.scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc())))


def parse_pain001(document: str | bytes) -> dict:
    """The facts of a pain.001.001.03 file: message id, debtor, transfers, control sum."""
    root = ET.fromstring(document.encode() if isinstance(document, str) else document)
    ns = {"p": PAIN_NS}
    if root.tag != f"{{{PAIN_NS}}}Document":
        raise ValueError("not a pain.001.001.03 document")
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", ns)
    info = root.find("p:CstmrCdtTrfInitn/p:PmtInf", ns)
    transfers = []
    for tx in info.findall("p:CdtTrfTxInf", ns):
        transfers.append(
            {
                "name": tx.findtext("p:Cdtr/p:Nm", namespaces=ns),
                "iban": tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=ns),
                "amount": tx.findtext("p:Amt/p:InstdAmt", namespaces=ns),
                "end_to_end": tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns),
            }
        )
    return {
        "message_id": header.findtext("p:MsgId", namespaces=ns),
        "count": int(header.findtext("p:NbOfTxs", namespaces=ns)),
        "control_sum": header.findtext("p:CtrlSum", namespaces=ns),
        "debtor": info.findtext("p:Dbtr/p:Nm", namespaces=ns),
        "debtor_iban": info.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=ns),
        "transfers": transfers,
    }


# ------------------------------------------------------------------ refunds


def refundable_payments() -> list:
    return list(
        db.session.scalars(
            select(Payment)
            .where(Payment.status == PaymentStatus.SUCCEEDED.value, Payment.refunded_cents < Payment.amount_cents)
            .order_by(Payment.id.desc())
            .limit(200)
        )
    )


def refund_card_payment(actor, payment, gateway, reason: str, absorb: bool = False):
    """Hub staff refund what is left of a card payment; the library reverses its ledger effect
    (each credited account gives back its share, or the platform bears it when ``absorb``)."""
    _require_staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Indiquez la raison du remboursement."), field="reason")
    if payment.status != PaymentStatus.SUCCEEDED or payment.refunded_cents >= payment.amount_cents:
        raise Conflict(_("Ce paiement a déjà été remboursé."))
    try:
        return refund_payment(db.session, gateway, payment, absorb=bool(absorb), reason=reason[:200])
    except RefundTooLarge:
        raise Conflict(
            _(
                "Une partie de cette somme a déjà été dépensée ou versée : cochez « à la charge "
                "de la plateforme » pour rembourser quand même."
            )
        ) from None
    except PaymentStateError:
        raise Conflict(_("Ce paiement ne peut pas être remboursé.")) from None
    except GatewayError:
        raise ServiceError(_("Le prestataire de paiement n'a pas pu rembourser. Réessayez plus tard.")) from None
