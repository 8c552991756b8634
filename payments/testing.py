"""An in-memory `PaymentGateway` for unit tests of the app (no process, no network).

It follows what localstripe and Stripe do for the cases the app meets:
``pm_card_visa`` (or any other id) succeeds, ``pm_card_declined`` /
``pm_card_chargeDeclined`` are declined, ``pm_card_authenticationRequired``
needs 3-D Secure (then `authenticate`). Webhooks are produced with
`event_for` (already "verified"); `verify_webhook` accepts payloads signed by
`sign` with the fake's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace

from .errors import InvalidRequest, NotFound, WebhookSignatureError
from .interface import ENV_METADATA_KEY, CustomerInfo, PaymentIntentInfo, RefundInfo, SetupIntentInfo, WebhookEvent

DECLINED = {"pm_card_declined", "pm_card_chargeDeclined", "pm_card_visa_chargeDeclined"}
NEEDS_3DS = {"pm_card_authenticationRequired", "pm_card_threeDSecure2Required"}


class FakeGateway:
    def __init__(self, *, environment: str = "test", livemode: bool = False, webhook_secret: str = "whsec_fake"):
        self.environment = environment
        self.livemode = livemode
        self.webhook_secret = webhook_secret
        self.intents: dict[str, PaymentIntentInfo] = {}
        self.refunds: dict[str, RefundInfo] = {}
        self._ids = itertools.count(1)
        self.calls: list[str] = []

    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):08d}"

    def _meta(self, metadata: Mapping[str, str] | None) -> dict[str, str]:
        data = {str(k): str(v) for k, v in (metadata or {}).items()}
        data.setdefault(ENV_METADATA_KEY, self.environment)
        return data

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
    ) -> PaymentIntentInfo:
        self.calls.append("create_payment_intent")
        if not isinstance(amount_cents, int) or amount_cents <= 0:
            raise ValueError("amount_cents must be a positive integer")
        pi_id = self._id("pi")
        status, failure, action = "requires_payment_method", None, None
        if payment_method:
            status = "requires_confirmation"
        if confirm:
            if payment_method in DECLINED:
                status, failure = "requires_payment_method", "card_declined"
            elif payment_method in NEEDS_3DS:
                status, action = "requires_action", "use_stripe_sdk"
            else:
                status = "succeeded"
        info = PaymentIntentInfo(
            id=pi_id,
            status=status,
            amount=amount_cents,
            currency=currency.lower(),
            client_secret=f"{pi_id}_secret_fake",
            customer=customer,
            payment_method=payment_method,
            metadata=self._meta(metadata),
            livemode=self.livemode,
            created=int(time.time()),
            amount_received=amount_cents if status == "succeeded" else 0,
            failure_code=failure,
            next_action=action,
        )
        self.intents[pi_id] = info
        return info

    def authenticate(self, payment_intent_id: str, success: bool = True) -> PaymentIntentInfo:
        info = self.retrieve_payment_intent(payment_intent_id)
        if info.status != "requires_action":
            raise InvalidRequest("not requiring action", http_status=400)
        if success:
            info = replace(info, status="succeeded", next_action=None, amount_received=info.amount)
        else:
            info = replace(
                info,
                status="requires_payment_method",
                next_action=None,
                payment_method=None,
                failure_code="payment_intent_authentication_failure",
            )
        self.intents[info.id] = info
        return info

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo:
        try:
            return self.intents[payment_intent_id]
        except KeyError:
            raise NotFound("Not Found", http_status=404) from None

    def cancel_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo:
        info = self.retrieve_payment_intent(payment_intent_id)
        if info.status == "succeeded":
            raise InvalidRequest("cannot cancel a succeeded intent", http_status=400)
        info = replace(info, status="canceled")
        self.intents[info.id] = info
        return info

    def list_payment_intents(self, *, created_gte: int | None = None) -> Iterator[PaymentIntentInfo]:
        for info in list(self.intents.values()):
            if created_gte is None or info.created >= created_gte:
                yield info

    def create_customer(
        self,
        *,
        email: str | None = None,
        name: str | None = None,
        metadata: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> CustomerInfo:
        return CustomerInfo(id=self._id("cus"), email=email, name=name, metadata=self._meta(metadata))

    def create_refund(
        self,
        payment_intent_id: str,
        *,
        amount_cents: int | None = None,
        metadata: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> RefundInfo:
        info = self.retrieve_payment_intent(payment_intent_id)
        if info.status != "succeeded":
            raise InvalidRequest("Cannot refund a failed payment.", http_status=400)
        amount = info.amount - info.amount_refunded if amount_cents is None else amount_cents
        if amount <= 0 or info.amount_refunded + amount > info.amount:
            raise InvalidRequest("refund exceeds the charge", http_status=400)
        self.intents[info.id] = replace(info, amount_refunded=info.amount_refunded + amount)
        refund = RefundInfo(
            id=self._id("re"),
            payment_intent=info.id,
            amount=amount,
            currency=info.currency,
            status="succeeded",
            metadata=self._meta(metadata),
            created=int(time.time()),
        )
        self.refunds[refund.id] = refund
        return refund

    def create_setup_intent(
        self, *, customer: str | None = None, metadata: Mapping[str, str] | None = None
    ) -> SetupIntentInfo:
        seti = self._id("seti")
        return SetupIntentInfo(
            id=seti,
            status="requires_payment_method",
            client_secret=f"{seti}_secret_fake",
            customer=customer,
            metadata=self._meta(metadata),
        )

    def retrieve_setup_intent(self, setup_intent_id: str) -> SetupIntentInfo:
        raise NotFound("Not Found", http_status=404)

    # ------------------------------------------------------------ webhooks

    def event_for(
        self, event_type: str, info: PaymentIntentInfo, *, created: int | None = None, event_id: str | None = None
    ) -> WebhookEvent:
        data = {
            "id": info.id,
            "object": "payment_intent",
            "amount": info.amount,
            "currency": info.currency,
            "status": info.status,
            "metadata": dict(info.metadata),
            "livemode": info.livemode,
            "created": info.created,
            "customer": info.customer,
            "payment_method": info.payment_method,
            "last_payment_error": {"code": info.failure_code} if info.failure_code else None,
        }
        ident = event_id or self._id("evt")
        stamp = created or int(time.time())
        event = {
            "id": ident,
            "object": "event",
            "type": event_type,
            "created": stamp,
            "livemode": self.livemode,
            "data": {"object": data},
        }
        payload = json.dumps(event).encode()
        return WebhookEvent(
            id=ident,
            type=event_type,
            created=stamp,
            livemode=self.livemode,
            data_object=data,
            payload=payload,
        )

    def sign(self, payload: bytes, timestamp: int | None = None, secret: str | None = None) -> str:
        timestamp = timestamp or int(time.time())
        signature = hmac.new(
            (secret or self.webhook_secret).encode(), b"%d.%s" % (timestamp, payload), hashlib.sha256
        ).hexdigest()
        return f"t={timestamp},v1={signature}"

    def verify_webhook(self, payload: bytes, sig_header: str) -> WebhookEvent:
        try:
            parts = dict(item.split("=", 1) for item in (sig_header or "").split(","))
            expected = self.sign(payload, int(parts["t"]))
        except (ValueError, KeyError) as exc:
            raise WebhookSignatureError("malformed signature header") from exc
        if not hmac.compare_digest(expected, sig_header):
            raise WebhookSignatureError("signature mismatch")
        data = json.loads(payload)
        return WebhookEvent(
            id=data["id"],
            type=data["type"],
            created=int(data["created"]),
            livemode=bool(data.get("livemode")),
            data_object=data["data"]["object"],
            payload=payload,
        )
