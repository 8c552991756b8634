"""Stripe webhooks and reconciliation, as service functions (the route, the CLI and a
job call them). They run in the caller's transaction and never commit."""

from __future__ import annotations

from datetime import datetime

from app.billing.gateway import current_gateway
from app.extensions import db
from payments.reconcile import ReconciliationReport, reconcile
from payments.webhooks import WebhookOutcome, WebhookProcessor


def process_webhook(payload: bytes, signature: str) -> WebhookOutcome:
    """Verify the signature (`payments.errors.WebhookSignatureError` before any write),
    store the raw event once (Stripe's event id), apply it. PaymentIntent events
    re-read the intent from Stripe, so their order does not matter."""
    return WebhookProcessor(current_gateway()).process(db.session, payload, signature)


def reconcile_payments(since: datetime | None = None, apply_fixes: bool = False) -> ReconciliationReport:
    """Our card payments against Stripe's PaymentIntents; ``apply_fixes`` applies Stripe's
    state where ours lags (a lost webhook) and adopts intents we never recorded."""
    return reconcile(db.session, current_gateway(), since=since, apply_fixes=apply_fixes)
