"""Webhook processing, storage-agnostic and framework-free.

``WebhookProcessor(gateway).process(session, payload, sig_header)``:

1. verifies the signature (`WebhookSignatureError` → the route answers 400 and
   nothing is stored or applied);
2. stores the raw event once, keyed by Stripe's event id (a SAVEPOINT insert:
   a duplicate — redelivered, or delivered twice at once — is reported as
   ``duplicate`` and applied no more);
3. ignores events of another environment: ``livemode`` different from the
   gateway's, or a ``hub_env`` metadata marker different from ours (a test
   endpoint receiving production events, two dev machines sharing an account);
4. dispatches to the handler registered for the event type, in the caller's
   transaction. If a handler raises, the exception propagates: the caller
   rolls back (the stored event too) and answers 500, so Stripe delivers again.

Out-of-order deliveries: the PaymentIntent handlers do not trust the event's
snapshot. They retrieve the PaymentIntent from the gateway and apply its
*current* status (`checkout.apply_payment_intent`), so a
``payment_intent.payment_failed`` arriving after the ``succeeded`` of the
retried intent changes nothing, and a ``succeeded`` arriving after a later
``payment_failed`` still settles. Success is final, and the settlement's
ledger key makes it happen once. With ``refetch=False`` (no call to Stripe) the
snapshot is applied only if its event ``created`` is not older than the last
one applied — coarser (Stripe's ``created`` has one-second resolution), hence
not the default.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import checkout
from .errors import NotFound
from .interface import ENV_METADATA_KEY, PaymentGateway, WebhookEvent, payment_intent_info
from .models import models_for

log = logging.getLogger(__name__)

Handler = Callable[[Session, WebhookEvent, "WebhookProcessor"], "str | None"]

PAYMENT_INTENT_EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.processing",
    "payment_intent.requires_action",
    "payment_intent.amount_capturable_updated",
)


@dataclass(frozen=True)
class WebhookOutcome:
    event_id: str
    type: str
    status: str  # "applied", "duplicate", "ignored", "unhandled"
    detail: str | None = None

    @property
    def http_status(self) -> int:
        """What the route answers: 200 for all of them (Stripe must not retry)."""
        return 200


class IgnoredEvent(Exception):
    """Raised by a handler for a correctly signed event about an object that neither Stripe nor
    we know (or that is not ours): acknowledged (200, ``ignored``), stored once and logged,
    never retried by Stripe and never a 500."""


def handle_payment_intent(session: Session, event: WebhookEvent, processor: WebhookProcessor) -> str | None:
    """Apply a PaymentIntent's state (see the module docstring about ordering)."""
    pi_id = event.data_object.get("id")
    if not isinstance(pi_id, str) or not pi_id:
        raise IgnoredEvent("the event names no payment intent")
    if processor.refetch:
        try:
            info = processor.gateway.retrieve_payment_intent(pi_id)
        except NotFound:
            raise IgnoredEvent(f"payment intent {pi_id} unknown to Stripe") from None
        payment = checkout.apply_payment_intent(session, info, environment=processor.environment)
    else:
        info = payment_intent_info(event.data_object)
        payment = checkout.apply_payment_intent(
            session, info, environment=processor.environment, event_created=event.created
        )
    if payment is None:
        raise IgnoredEvent(f"payment intent {info.id} is not one of ours")
    return f"payment {payment.id} is {payment.status}"


class WebhookProcessor:
    """Verifies, stores once, filters by environment and dispatches Stripe events."""

    def __init__(
        self,
        gateway: PaymentGateway,
        *,
        refetch: bool = True,
        environment: str | None = None,
        livemode: bool | None = None,
    ):
        self.gateway = gateway
        self.refetch = refetch
        self.environment = environment if environment is not None else gateway.environment
        self.livemode = livemode if livemode is not None else gateway.livemode
        self.handlers: dict[str, Handler] = dict.fromkeys(PAYMENT_INTENT_EVENTS, handle_payment_intent)

    def register(self, event_type: str, handler: Handler) -> None:
        self.handlers[event_type] = handler

    def on(self, event_type: str) -> Callable[[Handler], Handler]:
        """Decorator form of `register`."""

        def decorator(handler: Handler) -> Handler:
            self.register(event_type, handler)
            return handler

        return decorator

    def foreign(self, event: WebhookEvent) -> str | None:
        """Why the event belongs to another environment, or None."""
        if event.livemode != self.livemode:
            return f"livemode {event.livemode} on a {'live' if self.livemode else 'test'} endpoint"
        marker = event.object_metadata.get(ENV_METADATA_KEY)
        if marker is not None and marker != self.environment:
            return f"environment {marker!r}, not {self.environment!r}"
        return None

    def process(self, session: Session, payload: bytes, sig_header: str) -> WebhookOutcome:
        """Verify then `apply`; raises `WebhookSignatureError` before touching the database."""
        event = self.gateway.verify_webhook(payload, sig_header)
        return self.apply(session, event)

    def apply(self, session: Session, event: WebhookEvent) -> WebhookOutcome:
        """Store once and apply a verified event, in the caller's transaction."""
        m = models_for(session)
        if session.get(m.StripeEvent, event.id) is not None:
            return WebhookOutcome(event.id, event.type, "duplicate")
        payload = (
            event.payload.decode("utf-8")
            if event.payload
            else json.dumps(
                {
                    "id": event.id,
                    "type": event.type,
                    "created": event.created,
                    "livemode": event.livemode,
                    "data": {"object": dict(event.data_object)},
                }
            )
        )
        try:
            with session.begin_nested():
                row = m.StripeEvent(
                    id=event.id,
                    type=event.type,
                    livemode=event.livemode,
                    created=event.created,
                    object_id=event.object_id,
                    payload=payload,
                    status="applied",
                )
                session.add(row)
        except IntegrityError:  # the same event, delivered concurrently, was stored first
            if session.execute(select(m.StripeEvent.id).where(m.StripeEvent.id == event.id)).first() is None:
                raise
            return WebhookOutcome(event.id, event.type, "duplicate")
        reason = self.foreign(event)
        if reason is not None:
            row.status, row.detail = "ignored", reason[:500]
            session.flush()
            return WebhookOutcome(event.id, event.type, "ignored", reason)
        handler = self.handlers.get(event.type)
        if handler is None:
            row.status = "unhandled"
            session.flush()
            return WebhookOutcome(event.id, event.type, "unhandled")
        try:
            detail = handler(session, event, self)
        except IgnoredEvent as ignored:
            log.warning("stripe event %s (%s) ignored: %s", event.id, event.type, ignored)
            row.status, row.detail = "ignored", str(ignored)[:500]
            session.flush()
            return WebhookOutcome(event.id, event.type, "ignored", str(ignored))
        row.detail = (detail or "")[:500] or None
        session.flush()
        return WebhookOutcome(event.id, event.type, "applied", detail)
