"""The Stripe gateway: the only module of the project that imports `stripe`.

`StripeGateway` wraps a `stripe.StripeClient` whose base address comes from
configuration (STRIPE_API_BASE: empty for the real API, ``http://127.0.0.1:8420``
for localstripe). Every method returns plain dataclasses from
`payments.interface`; Stripe exceptions are translated into
`payments.errors` ones, so no caller ever touches a Stripe object.

Network: the SDK retries idempotent-safe failures (connection errors, 409, 5xx)
``max_network_retries`` times with exponential back-off (POSTs get an automatic
idempotency key, so a retried create does not create twice on the real API);
each HTTP call has a connect timeout of 5 s and a read timeout of 20 s by
default.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import stripe
from stripe import RequestOptions
from stripe.params import (
    CustomerCreateParams,
    PaymentIntentCreateParams,
    PaymentIntentListParams,
    RefundCreateParams,
    SetupIntentCreateParams,
)

from .errors import CustomerNotFound, GatewayError, GatewayUnavailable, InvalidRequest, NotFound, WebhookSignatureError
from .interface import (
    ENV_METADATA_KEY,
    CustomerInfo,
    PaymentIntentInfo,
    RefundInfo,
    SetupIntentInfo,
    WebhookEvent,
    _id_of,
    _refund_info,
    _setup_intent_info,
    payment_intent_info,
)

DEFAULT_TIMEOUT = (5.0, 20.0)  # (connect, read) seconds
DEFAULT_RETRIES = 2


@contextmanager
def _translated() -> Iterator[None]:
    """Stripe exceptions become payments.errors ones (CardError is handled by the callers that expect it)."""
    try:
        yield
    except stripe.APIConnectionError as exc:
        raise GatewayUnavailable(str(exc.user_message or exc)) from exc
    except stripe.InvalidRequestError as exc:
        cls = NotFound if exc.http_status == 404 else InvalidRequest
        raise cls(str(exc.user_message or exc), http_status=exc.http_status, stripe_code=exc.code) from exc
    except stripe.StripeError as exc:
        raise GatewayError(str(exc.user_message or exc), http_status=exc.http_status, stripe_code=exc.code) from exc


def _plain(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return obj
    plain: dict[str, Any] = obj.to_dict()
    return plain


class StripeGateway:
    """`PaymentGateway` implementation over the official SDK.

    - ``api_key``: STRIPE_API_KEY (``sk_test_...`` / ``sk_live_...``).
    - ``api_base``: STRIPE_API_BASE; None or "" for the real API.
    - ``webhook_secret``: STRIPE_WEBHOOK_SECRET (``whsec_...``).
    - ``environment``: the marker written in every object's metadata (``hub_env``)
      and expected on incoming events ("dev", "test", "prod"...).
    - ``livemode``: defaults to what the key says (``sk_live_``/``rk_live_``).
    """

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str | None = None,
        webhook_secret: str | None = None,
        environment: str = "dev",
        livemode: bool | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        max_network_retries: int = DEFAULT_RETRIES,
        webhook_tolerance: int = 300,
        server_side_created_filter: bool | None = None,
    ):
        if not api_key:
            raise ValueError("STRIPE_API_KEY is empty")
        self.environment = environment
        self.livemode = api_key.startswith(("sk_live_", "rk_live_")) if livemode is None else livemode
        self.api_base = api_base or None
        self._webhook_secret = webhook_secret
        self._tolerance = webhook_tolerance
        # localstripe refuses `created[gte]` on list: filter on our side there.
        self._server_filter = (
            (self.api_base is None) if server_side_created_filter is None else server_side_created_filter
        )
        kwargs: dict[str, Any] = {}
        if self.api_base:
            kwargs["base_addresses"] = {"api": self.api_base.rstrip("/")}
        self._client = stripe.StripeClient(
            api_key,
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout),
            **kwargs,
        )
        self._v1 = self._client.v1

    # ----------------------------------------------------------- helpers

    def _metadata(self, metadata: Mapping[str, str] | None) -> dict[str, str]:
        data = {str(k): str(v) for k, v in (metadata or {}).items()}
        data.setdefault(ENV_METADATA_KEY, self.environment)
        return data

    @staticmethod
    def _options(idempotency_key: str | None) -> RequestOptions:
        return RequestOptions(idempotency_key=idempotency_key) if idempotency_key else RequestOptions()

    # ----------------------------------------------------------- payment intents

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
        """Create (and, with ``confirm=True`` and a ``payment_method``, confirm) a PaymentIntent.

        A declined card does not raise: the answer has ``status ==
        "requires_payment_method"``, ``failed`` true and ``failure_code`` (a code the
        app words, see ``message_code``). 3-D Secure gives ``status == "requires_action"``:
        the browser completes it with Stripe.js ``confirmCardPayment(client_secret)``.
        """
        if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0:
            raise ValueError("amount_cents must be a positive integer")
        params: PaymentIntentCreateParams = {
            "amount": amount_cents,
            "currency": currency.lower(),
            "metadata": self._metadata(metadata),
        }
        if customer:
            params["customer"] = customer
        if payment_method:
            params["payment_method"] = payment_method
        if capture_method:
            params["capture_method"] = capture_method
        if confirm:
            if not payment_method:
                raise ValueError("confirm=True needs a payment_method (the browser confirms otherwise)")
            params["confirm"] = True
        with self._customer_checked(customer), _translated():
            try:
                pi = self._v1.payment_intents.create(params=params, options=self._options(idempotency_key))
            except stripe.CardError as exc:
                return self._declined(exc)
        return payment_intent_info(_plain(pi))

    @contextmanager
    def _customer_checked(self, customer: str | None) -> Iterator[None]:
        """Turn "No such customer" into `CustomerNotFound`. Stripe says it with
        ``resource_missing`` on the ``customer`` parameter; localstripe only answers
        404: then the customer is looked up to tell it from another missing object."""
        try:
            yield
        except NotFound as error:
            if customer and self._customer_missing(customer, error):
                raise CustomerNotFound(
                    str(error), customer=customer, http_status=error.http_status, stripe_code=error.stripe_code
                ) from error
            raise
        except InvalidRequest as error:
            if customer and self._customer_missing(customer, error):
                raise CustomerNotFound(
                    str(error), customer=customer, http_status=error.http_status, stripe_code=error.stripe_code
                ) from error
            raise

    def _customer_missing(self, customer: str, error: GatewayError) -> bool:
        cause = error.__cause__
        param = getattr(cause, "param", None)
        if error.stripe_code == "resource_missing" and param is not None:
            return bool(param == "customer")
        if "no such customer" in str(error).lower():
            return True
        if error.http_status not in (400, 404):
            return False
        try:
            found = _plain(self._v1.customers.retrieve(customer))
        except stripe.InvalidRequestError as exc:
            return bool(exc.http_status == 404 or exc.code == "resource_missing")
        except stripe.StripeError:
            return False
        return bool(found.get("deleted"))

    def _declined(self, exc: stripe.CardError) -> PaymentIntentInfo:
        """The PaymentIntent behind a CardError (Stripe puts it in the error; localstripe only names the charge)."""
        error = _plain(exc.error) if exc.error is not None else {}
        pi_id = _id_of(error.get("payment_intent"))
        if pi_id is None and error.get("charge"):
            charge = _plain(self._v1.charges.retrieve(error["charge"]))
            pi_id = _id_of(charge.get("payment_intent"))
        if pi_id is None:
            raise GatewayError(str(exc.user_message or exc), http_status=exc.http_status, stripe_code=exc.code) from exc
        info = self.retrieve_payment_intent(pi_id)
        if info.failure_code is None:
            code = error.get("decline_code") or exc.code or "card_declined"
            info = replace(info, failure_code=code)
        return info

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo:
        with _translated():
            pi = self._v1.payment_intents.retrieve(payment_intent_id, params={"expand": ["latest_charge"]})
        return payment_intent_info(_plain(pi))

    def cancel_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo:
        with _translated():
            pi = self._v1.payment_intents.cancel(payment_intent_id)
        return payment_intent_info(_plain(pi))

    def list_payment_intents(self, *, created_gte: int | None = None) -> Iterator[PaymentIntentInfo]:
        """Every PaymentIntent (newest first on Stripe), paging transparently."""
        params: PaymentIntentListParams = {"limit": 100}
        if created_gte is not None and self._server_filter:
            params["created"] = {"gte": created_gte}
        with _translated():
            page = self._v1.payment_intents.list(params=params)
            for pi in page.auto_paging_iter():
                info = payment_intent_info(_plain(pi))
                if created_gte is not None and info.created < created_gte:
                    continue
                yield info

    # ----------------------------------------------------------- customers, refunds, setup intents

    def create_customer(
        self,
        *,
        email: str | None = None,
        name: str | None = None,
        metadata: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> CustomerInfo:
        params: CustomerCreateParams = {"metadata": self._metadata(metadata)}
        if email:
            params["email"] = email
        if name:
            params["name"] = name
        with _translated():
            customer = _plain(self._v1.customers.create(params=params, options=self._options(idempotency_key)))
        return CustomerInfo(
            id=customer["id"],
            email=customer.get("email"),
            name=customer.get("name"),
            metadata=dict(customer.get("metadata") or {}),
        )

    def create_refund(
        self,
        payment_intent_id: str,
        *,
        amount_cents: int | None = None,
        metadata: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> RefundInfo:
        """Refund all (``amount_cents=None``) or part of a succeeded PaymentIntent."""
        params: RefundCreateParams = {"payment_intent": payment_intent_id, "metadata": self._metadata(metadata)}
        if amount_cents is not None:
            if not isinstance(amount_cents, int) or amount_cents <= 0:
                raise ValueError("amount_cents must be a positive integer")
            params["amount"] = amount_cents
        with _translated():
            refund = self._v1.refunds.create(params=params, options=self._options(idempotency_key))
        return _refund_info(_plain(refund))

    def create_setup_intent(
        self, *, customer: str | None = None, metadata: Mapping[str, str] | None = None
    ) -> SetupIntentInfo:
        """For the browser flow that saves the card first (Stripe.js ``confirmCardSetup``), then pays with it."""
        params: SetupIntentCreateParams = {"metadata": self._metadata(metadata)}
        if customer:
            params["customer"] = customer
        with self._customer_checked(customer), _translated():
            seti = self._v1.setup_intents.create(params=params)
        return _setup_intent_info(_plain(seti))

    def retrieve_setup_intent(self, setup_intent_id: str) -> SetupIntentInfo:
        with _translated():
            seti = self._v1.setup_intents.retrieve(setup_intent_id)
        return _setup_intent_info(_plain(seti))

    # ----------------------------------------------------------- webhooks

    def verify_webhook(self, payload: bytes, sig_header: str) -> WebhookEvent:
        """Check the ``Stripe-Signature`` header against STRIPE_WEBHOOK_SECRET and parse
        the event. Raises `WebhookSignatureError` for a forged, altered, stale or
        unsigned payload (and for a missing secret: never accept unverified events)."""
        if not self._webhook_secret:
            raise WebhookSignatureError("STRIPE_WEBHOOK_SECRET is not configured")
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), sig_header or "", self._webhook_secret, self._tolerance
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
            raise WebhookSignatureError(str(exc)) from exc
        # The SDK refuses a timestamp older than the tolerance, not one in the future: a
        # payload signed "an hour from now" would stay replayable for that hour.
        now = time.time()
        if _signed_at(sig_header) > now + self._tolerance:
            raise WebhookSignatureError("timestamp in the future, outside the tolerance zone")
        try:
            data = json.loads(payload)
            event = WebhookEvent(
                id=data["id"],
                type=data["type"],
                created=int(data.get("created") or 0),
                livemode=bool(data.get("livemode")),
                data_object=(data.get("data") or {}).get("object") or {},
                api_version=data.get("api_version"),
                payload=payload,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise WebhookSignatureError(f"signed payload is not a Stripe event: {exc}") from exc
        if event.created > now + self._tolerance:
            raise WebhookSignatureError("event created in the future, outside the tolerance zone")
        return event


def _signed_at(sig_header: str) -> int:
    """The ``t=`` timestamp of a ``Stripe-Signature`` header (verified already)."""
    for item in (sig_header or "").split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            try:
                return int(value)
            except ValueError:
                break
    raise WebhookSignatureError("no timestamp in the signature header")
