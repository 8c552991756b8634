"""What the rest of the code sees of Stripe: plain, frozen dataclasses and the
`PaymentGateway` protocol. Importing this module does not import `stripe`
(only `payments.gateway` does), so the app, the webhook processor and the
reconciliation can be written, and tested, against any implementation of the
protocol."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

#: Metadata key the gateway adds to every object it creates: the environment
#: marker ("dev", "test", "staging", "prod"...). Events about objects carrying
#: another marker are ignored by the webhook processor.
ENV_METADATA_KEY = "hub_env"

#: Stripe PaymentIntent statuses.
SUCCEEDED = "succeeded"
REQUIRES_ACTION = "requires_action"
REQUIRES_PAYMENT_METHOD = "requires_payment_method"
REQUIRES_CONFIRMATION = "requires_confirmation"
REQUIRES_CAPTURE = "requires_capture"
PROCESSING = "processing"
CANCELED = "canceled"


@dataclass(frozen=True)
class PaymentIntentInfo:
    id: str
    status: str
    amount: int  # cents
    currency: str  # lower case, as Stripe spells it ("eur")
    client_secret: str | None = None
    customer: str | None = None
    payment_method: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    livemode: bool = False
    created: int = 0  # unix seconds
    amount_received: int = 0
    amount_refunded: int = 0
    latest_charge: str | None = None
    failure_code: str | None = None  # Stripe decline code of the last attempt
    next_action: str | None = None  # e.g. "use_stripe_sdk" (3-D Secure)

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCEEDED

    @property
    def requires_action(self) -> bool:
        return self.status == REQUIRES_ACTION

    @property
    def failed(self) -> bool:
        """The last attempt failed (declined, authentication failed): the intent waits for another card."""
        return self.status == REQUIRES_PAYMENT_METHOD and self.failure_code is not None

    @property
    def message_code(self) -> str | None:
        """What the payer should be told, as a code (`codes.PaymentFailure`, or an unknown Stripe
        decline code): the decline code of a failed attempt, the status of a payment that waits
        (3-D Secure, processing) or was cancelled; None when there is nothing to say. The app words it."""
        if self.failed:
            return self.failure_code
        if self.status in (REQUIRES_ACTION, PROCESSING, CANCELED):
            return self.status
        return None

    @property
    def environment(self) -> str | None:
        return self.metadata.get(ENV_METADATA_KEY)


@dataclass(frozen=True)
class CustomerInfo:
    id: str
    email: str | None = None
    name: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundInfo:
    id: str
    payment_intent: str | None
    amount: int
    currency: str
    status: str  # "succeeded", "pending", "failed", "canceled"
    metadata: Mapping[str, str] = field(default_factory=dict)
    created: int = 0


@dataclass(frozen=True)
class SetupIntentInfo:
    id: str
    status: str
    client_secret: str | None = None
    payment_method: str | None = None
    customer: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookEvent:
    """A verified Stripe event, as plain data."""

    id: str
    type: str
    created: int
    livemode: bool
    data_object: Mapping[str, Any]
    api_version: str | None = None
    payload: bytes = b""  # the raw body, as received and verified

    @property
    def object_id(self) -> str | None:
        return self.data_object.get("id")

    @property
    def object_metadata(self) -> Mapping[str, str]:
        return self.data_object.get("metadata") or {}


# ---------------------------------------------------------------- parsers (Stripe JSON -> plain data)


def _id_of(value: Any) -> str | None:
    """A Stripe reference that may come expanded (localstripe always expands latest_charge)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    ident = value.get("id")
    return None if ident is None else str(ident)


def payment_intent_info(data: Mapping[str, Any]) -> PaymentIntentInfo:
    """A PaymentIntent as plain data (from an API answer or an event's data.object)."""
    charge = data.get("latest_charge")
    charge = charge if isinstance(charge, dict) else None
    error = data.get("last_payment_error") or {}
    status = data.get("status") or ""
    amount = int(data.get("amount") or 0)
    received = data.get("amount_received")
    if received is None:  # localstripe does not send it
        received = amount if status == "succeeded" else 0
    refunded = int(charge.get("amount_refunded") or 0) if charge else 0
    next_action = data.get("next_action") or None
    failure = error.get("decline_code") or error.get("code")
    if failure is None and charge and charge.get("status") == "failed":
        failure = charge.get("failure_code") or "card_declined"
    return PaymentIntentInfo(
        id=data["id"],
        status=status,
        amount=amount,
        currency=(data.get("currency") or "").lower(),
        client_secret=data.get("client_secret"),
        customer=_id_of(data.get("customer")),
        payment_method=_id_of(data.get("payment_method")),
        metadata=dict(data.get("metadata") or {}),
        livemode=bool(data.get("livemode")),
        created=int(data.get("created") or 0),
        amount_received=int(received),
        amount_refunded=refunded,
        latest_charge=_id_of(data.get("latest_charge")),
        failure_code=failure if status == "requires_payment_method" else None,
        next_action=next_action.get("type") if isinstance(next_action, dict) else None,
    )


def _refund_info(data: Mapping[str, Any]) -> RefundInfo:
    return RefundInfo(
        id=data["id"],
        payment_intent=_id_of(data.get("payment_intent")),
        amount=int(data.get("amount") or 0),
        currency=(data.get("currency") or "").lower(),
        status=data.get("status") or "",
        metadata=dict(data.get("metadata") or {}),
        created=int(data.get("created") or 0),
    )


def _setup_intent_info(data: Mapping[str, Any]) -> SetupIntentInfo:
    return SetupIntentInfo(
        id=data["id"],
        status=data.get("status") or "",
        client_secret=data.get("client_secret"),
        payment_method=_id_of(data.get("payment_method")),
        customer=_id_of(data.get("customer")),
        metadata=dict(data.get("metadata") or {}),
    )


@runtime_checkable
class PaymentGateway(Protocol):
    """Everything the payments package asks of Stripe. `payments.gateway.StripeGateway`
    implements it against the API (or localstripe); tests and the app may swap it."""

    environment: str
    livemode: bool

    def create_payment_intent(
        self,
        amount_cents: int,
        *,
        currency: str = "eur",
        metadata: Mapping[str, str] | None = None,
        customer: str | None = None,
        payment_method: str | None = None,
        confirm: bool = False,
        capture_method: str | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentIntentInfo: ...

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo: ...

    def cancel_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo: ...

    def list_payment_intents(self, *, created_gte: int | None = None) -> Iterator[PaymentIntentInfo]: ...

    def create_customer(
        self,
        *,
        email: str | None = None,
        name: str | None = None,
        metadata: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> CustomerInfo: ...

    def create_refund(
        self,
        payment_intent_id: str,
        *,
        amount_cents: int | None = None,
        metadata: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> RefundInfo: ...

    def create_setup_intent(
        self, *, customer: str | None = None, metadata: Mapping[str, str] | None = None
    ) -> SetupIntentInfo: ...

    def retrieve_setup_intent(self, setup_intent_id: str) -> SetupIntentInfo: ...

    def verify_webhook(self, payload: bytes, sig_header: str) -> WebhookEvent: ...
