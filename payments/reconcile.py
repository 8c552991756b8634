"""Reconciliation: our recorded card payments against Stripe's PaymentIntents.

`reconcile(session, gateway)` lists the PaymentIntents of our environment
(``hub_env`` marker) and our `Payment` rows, and reports as plain data:

- ``missing_locally``: a PaymentIntent of ours with no row (the request that
  created it rolled back, or a webhook was lost before the row existed);
- ``missing_in_stripe``: a row whose PaymentIntent Stripe does not list;
- ``amount_mismatch`` / ``currency_mismatch``;
- ``status_mismatch``: e.g. Stripe says succeeded, we still say requires_action
  (a webhook never came);
- ``refund_mismatch``: the amounts refunded differ.

``apply_fixes=True`` also applies Stripe's state to the rows that lag behind
(`checkout.apply_payment_intent`, idempotent), in the caller's transaction,
and creates the missing rows of self-describing intents; the report still
lists what it found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import checkout
from .interface import PaymentGateway, PaymentIntentInfo
from .models import models_for


@dataclass(frozen=True)
class Difference:
    kind: str
    stripe_id: str
    ours: dict[str, Any] | None = None
    theirs: dict[str, Any] | None = None
    fixed: bool = False


@dataclass
class ReconciliationReport:
    checked_local: int = 0
    checked_stripe: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def by_kind(self) -> dict[str, list[Difference]]:
        result: dict[str, list[Difference]] = {}
        for difference in self.differences:
            result.setdefault(difference.kind, []).append(difference)
        return result


def _ours(payment: Any) -> dict[str, Any]:
    return {
        "id": payment.id,
        "amount_cents": payment.amount_cents,
        "currency": payment.currency,
        "status": payment.status,
        "refunded_cents": payment.refunded_cents,
        "purpose": payment.purpose,
        "reference": payment.reference,
    }


def _theirs(info: PaymentIntentInfo) -> dict[str, Any]:
    return {
        "amount": info.amount,
        "currency": info.currency,
        "status": info.status,
        "amount_refunded": info.amount_refunded,
        "created": info.created,
    }


def reconcile(
    session: Session, gateway: PaymentGateway, *, since: datetime | None = None, apply_fixes: bool = False
) -> ReconciliationReport:
    """Compare (see the module docstring). ``since``: only payments created from then on."""
    m = models_for(session)
    environment = gateway.environment
    created_gte = int(since.timestamp()) if since else None
    stripe_side = {
        info.id: info
        for info in gateway.list_payment_intents(created_gte=created_gte)
        if info.environment == environment
    }
    query = select(m.Payment).where(m.Payment.environment == environment).order_by(m.Payment.id)
    if since is not None:
        query = query.where(m.Payment.created_at >= since)
    local = {p.stripe_id: p for p in session.execute(query).scalars()}
    report = ReconciliationReport(checked_local=len(local), checked_stripe=len(stripe_side))

    for stripe_id, payment in local.items():
        info = stripe_side.get(stripe_id)
        if info is None:
            if since is not None and payment.stripe_created and payment.stripe_created < created_gte:
                continue
            report.differences.append(Difference("missing_in_stripe", stripe_id, ours=_ours(payment)))
            continue
        if info.amount != payment.amount_cents:
            report.differences.append(Difference("amount_mismatch", stripe_id, _ours(payment), _theirs(info)))
            continue
        if info.currency.lower() != payment.currency.lower():
            report.differences.append(Difference("currency_mismatch", stripe_id, _ours(payment), _theirs(info)))
            continue
        expected = checkout.local_status(info)
        if expected != payment.status:
            before = _ours(payment)
            fixed = False
            if apply_fixes and payment.status != "succeeded":
                checkout.apply_payment_intent(session, info, environment=environment)
                fixed = payment.status == expected
            report.differences.append(Difference("status_mismatch", stripe_id, before, _theirs(info), fixed))
        if info.amount_refunded != payment.refunded_cents:
            report.differences.append(Difference("refund_mismatch", stripe_id, _ours(payment), _theirs(info)))

    for stripe_id, info in stripe_side.items():
        if stripe_id in local:
            continue
        fixed = False
        if apply_fixes:
            fixed = checkout.apply_payment_intent(session, info, environment=environment) is not None
        report.differences.append(Difference("missing_locally", stripe_id, None, _theirs(info), fixed))
    return report
