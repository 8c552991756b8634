"""Card payments: start a PaymentIntent with its settlement, apply what Stripe
says about it (exactly once), refund it.

The PaymentIntent is self-describing: its metadata carries the environment
marker, the purpose, the business reference and the settlement (compact JSON).
So a webhook that arrives before the request that created the intent has
committed its row (real Stripe answers in milliseconds) still knows what the
payment pays for, creates the row itself, and the request's own insert then
finds it (unique ``stripe_id``, SAVEPOINT on conflict).

Exactly once: the settlement is posted with the idempotency key
``payment:{pi}:settle`` and the payment row is locked (SELECT ... FOR UPDATE on
PostgreSQL) while a new state is applied; a succeeded payment never goes back
to failed, whatever order the events come in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import ledger, rules
from .errors import PaymentStateError, RefundTooLarge
from .interface import ENV_METADATA_KEY, PaymentGateway, PaymentIntentInfo
from .models import models_for, utcnow
from .programmes import on_programme_funded
from .rules import Settlement

PURPOSE_KEY = "hub_purpose"
REFERENCE_KEY = "hub_reference"
SETTLEMENT_KEY = "hub_settlement"
PAYER_KEY = "hub_payer"

SuccessHook = Callable[[Session, object], None]
_success_hooks: dict[str, list[SuccessHook]] = {}


def register_success_hook(purpose: str, hook: SuccessHook) -> None:
    """Call ``hook(session, payment)`` once, in the same transaction, when a payment of
    ``purpose`` succeeds (after its settlement is in the ledger)."""
    if hook not in _success_hooks.setdefault(purpose, []):
        _success_hooks[purpose].append(hook)


def _hooks(purpose: str) -> list[SuccessHook]:
    hooks = list(_success_hooks.get(purpose, []))
    if purpose == "programme_funding":
        hooks.insert(0, on_programme_funded)  # built in: a funded programme becomes usable
    return hooks


def local_status(info: PaymentIntentInfo) -> str:
    """Our status for a Stripe PaymentIntent status."""
    if info.status == "succeeded":
        return "succeeded"
    if info.status == "canceled":
        return "canceled"
    if info.status == "requires_action":
        return "requires_action"
    if info.status in ("processing", "requires_capture"):
        return "processing"
    if info.failed:
        return "failed"
    return "created"


def _metadata(
    purpose: str, reference: str | None, settlement: Settlement, payer_ref: str | None, extra: Mapping[str, str] | None
) -> dict[str, str]:
    data = {str(k): str(v) for k, v in (extra or {}).items()}
    data[PURPOSE_KEY] = purpose
    if reference:
        data[REFERENCE_KEY] = reference
    if payer_ref:
        data[PAYER_KEY] = payer_ref
    encoded = json.dumps(settlement, separators=(",", ":"))
    if len(encoded) > 500:  # Stripe's limit per metadata value
        raise ValueError("settlement too long for the PaymentIntent metadata")
    data[SETTLEMENT_KEY] = encoded
    return data


def get_payment(session: Session, stripe_id: str, *, lock: bool = False) -> Any:
    m = models_for(session)
    query = select(m.Payment).where(m.Payment.stripe_id == stripe_id)
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def _insert_payment(
    session: Session,
    info: PaymentIntentInfo,
    *,
    purpose: str,
    reference: str | None,
    settlement: Settlement,
    payer_ref: str | None,
    environment: str,
) -> Any:
    m = models_for(session)
    try:
        with session.begin_nested():
            payment = m.Payment(
                stripe_id=info.id,
                purpose=purpose,
                reference=reference,
                payer_ref=payer_ref,
                amount_cents=info.amount,
                currency=info.currency.upper(),
                status="created",
                settlement=[list(item) for item in settlement],
                environment=environment,
                customer=info.customer,
                stripe_created=info.created,
                refunded_cents=0,
            )
            session.add(payment)
    except IntegrityError:
        payment = get_payment(session, info.id)
        if payment is None:
            raise
    return payment


def start_payment(
    session: Session,
    gateway: PaymentGateway,
    *,
    amount_cents: int,
    purpose: str,
    settlement: Settlement,
    reference: str | None = None,
    payer_ref: str | None = None,
    customer: str | None = None,
    payment_method: str | None = None,
    confirm: bool = False,
    currency: str = "eur",
    metadata: Mapping[str, str] | None = None,
    idempotency_key: str | None = None,
) -> tuple[Any, PaymentIntentInfo]:
    """Create the PaymentIntent and our `Payment` row; returns ``(payment, info)``.

    Browser flow: ``confirm=False``, hand ``info.client_secret`` to Stripe.js.
    Server flow (saved card, tests): ``payment_method=...``, ``confirm=True``; the
    answer may already be succeeded (settled at once), requires_action
    (3-D Secure in the browser) or failed (``info.message_code``, worded by the app)."""
    items = rules.check_settlement(amount_cents, settlement)
    info = gateway.create_payment_intent(
        amount_cents,
        currency=currency,
        customer=customer,
        payment_method=payment_method,
        confirm=confirm,
        metadata=_metadata(purpose, reference, items, payer_ref, metadata),
        idempotency_key=idempotency_key,
    )
    payment = _insert_payment(
        session,
        info,
        purpose=purpose,
        reference=reference,
        settlement=items,
        payer_ref=payer_ref,
        environment=gateway.environment,
    )
    apply_payment_intent(session, info, environment=gateway.environment)
    return payment, info


def _from_metadata(session: Session, info: PaymentIntentInfo, environment: str) -> Any:
    """Create the payment row from a self-describing PaymentIntent (webhook before commit)."""
    meta = info.metadata
    if meta.get(ENV_METADATA_KEY) != environment or PURPOSE_KEY not in meta or SETTLEMENT_KEY not in meta:
        return None
    try:
        settlement = rules.check_settlement(info.amount, json.loads(meta[SETTLEMENT_KEY]))
    except (ValueError, TypeError):
        return None
    return _insert_payment(
        session,
        info,
        purpose=meta[PURPOSE_KEY],
        reference=meta.get(REFERENCE_KEY),
        settlement=settlement,
        payer_ref=meta.get(PAYER_KEY),
        environment=environment,
    )


def apply_payment_intent(
    session: Session, info: PaymentIntentInfo, *, environment: str, event_created: int | None = None
) -> Any:
    """Bring our payment in line with ``info`` (Stripe's view); returns the payment or
    None when the intent is not ours. Idempotent; settles on the first success.

    ``event_created``: when ``info`` is an event's snapshot rather than a fresh
    retrieve, an older snapshot than the last one applied is ignored."""
    payment = get_payment(session, info.id, lock=True)
    if payment is None:
        payment = _from_metadata(session, info, environment)
        if payment is None:
            return None
        payment = get_payment(session, info.id, lock=True)
    if payment.amount_cents != info.amount or payment.currency.lower() != info.currency.lower():
        raise PaymentStateError(
            f"payment {info.id}: Stripe says {info.amount} {info.currency}, "
            f"we recorded {payment.amount_cents} {payment.currency}"
        )
    if event_created is not None:
        if payment.last_event_created is not None and event_created < payment.last_event_created:
            return payment  # an older snapshot arriving late: the newer one was already applied
        payment.last_event_created = event_created
    status = local_status(info)
    if payment.status == "succeeded" or payment.status == status:
        return payment  # succeeded is final (refunds are tracked apart)
    payment.status = status
    payment.failure_code = info.failure_code if status == "failed" else None
    if status == "succeeded":
        payment.succeeded_at = utcnow()
        ledger.post(
            session,
            f"payment:{payment.purpose}",
            rules.settlement_lines(payment.amount_cents, payment.settlement, payment.currency),
            f"payment:{payment.stripe_id}:settle",
            reference=payment.reference or f"payment:{payment.stripe_id}",
            memo=f"card payment {payment.stripe_id}",
        )
        for hook in _hooks(payment.purpose):
            hook(session, payment)
    session.flush()
    return payment


def refund_payment(
    session: Session,
    gateway: PaymentGateway,
    payment: Any,
    amount_cents: int | None = None,
    *,
    absorb: bool = False,
    reason: str | None = None,
) -> Any:
    """Refund all or part of a succeeded payment through Stripe and reverse its ledger
    effect (each credited account gives back its share; ``absorb=True``: the
    platform bears it on ``refunds``). Refuses (`RefundTooLarge`) a refund beyond
    what is left, or one that would take an account below zero (money already
    spent: vouchers issued from the fund, provider already paid) unless absorbed."""
    m = models_for(session)
    payment = get_payment(session, payment.stripe_id, lock=True)
    if payment.status != "succeeded":
        raise PaymentStateError(f"payment {payment.stripe_id} is {payment.status}: nothing to refund")
    remaining = payment.amount_cents - payment.refunded_cents
    amount = remaining if amount_cents is None else amount_cents
    if not isinstance(amount, int) or amount <= 0 or amount > remaining:
        raise RefundTooLarge(f"refund of {amount} refused: {remaining} left to refund")
    lines = rules.refund_lines(
        payment.settlement,
        payment.amount_cents,
        already_refunded=payment.refunded_cents,
        refund_cents=amount,
        absorbed=absorb,
        currency=payment.currency,
    )
    for line in lines:
        if (
            line.amount_cents > 0
            and ledger.account_type(line.account) in ledger.CREDIT_NORMAL
            and ledger.balance(session, line.account, natural=True) < line.amount_cents
        ):
            raise RefundTooLarge(
                f"{line.account} holds less than {line.amount_cents} cents: "
                "refund with absorb=True if the platform bears it"
            )
    info = gateway.create_refund(
        payment.stripe_id,
        amount_cents=amount,
        metadata={"hub_payment": str(payment.id)},
        idempotency_key=f"refund:{payment.stripe_id}:{payment.refunded_cents}:{amount}",
    )
    refund = m.PaymentRefund(
        payment_id=payment.id,
        stripe_id=info.id,
        amount_cents=amount,
        status=info.status,
        absorbed=absorb,
        reason=reason,
    )
    session.add(refund)
    payment.refunded_cents += amount
    session.flush()
    ledger.post(
        session,
        "refund",
        lines,
        f"refund:{info.id}",
        reference=payment.reference,
        memo=f"refund {info.id} of card payment {payment.stripe_id}" + (f": {reason}" if reason else ""),
    )
    return refund
