"""Helpers shared by the payments tests (imported as ``payments_helpers``; see conftest.py)."""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Session

from payments.models import bind_models, use_models

NAMING_CONVENTION = {  # the app's (app/extensions.py), copied: payments tests never import app
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class PaymentsTestBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


MODELS = bind_models(PaymentsTestBase, default=False)

PG_BASE = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
_CHOSEN = os.environ.get("TEST_DATABASE")
BACKENDS = [_CHOSEN] if _CHOSEN in ("sqlite", "postgresql") else ["sqlite", "postgresql"]

WEBHOOK_SECRET = "whsec_payments_tests"
API_KEY = "sk_test_payments_tests"
ENVIRONMENT = "test"


def new_session(engine, **kwargs) -> Session:
    """A session on ``engine`` using the test binding (for tests that commit, e.g. concurrency)."""
    return use_models(Session(engine, **kwargs), MODELS)


def localstripe_post(base: str, path: str, data: dict, *, key: str = API_KEY) -> dict:
    """A raw form POST to localstripe (what Stripe.js does in the browser)."""
    body = urllib.parse.urlencode(data).encode()
    request = urllib.request.Request(base + path, data=body, method="POST", headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def stripe_js_post(base: str, path: str, payload: dict, *, publishable_key: str = "pk_test_payments_tests") -> dict:
    """A POST as localstripe's fake Stripe.js sends it from the browser: a JSON body with the
    publishable key, no Authorization header."""
    body = json.dumps({"key": publishable_key, **payload}).encode()
    request = urllib.request.Request(base + path, data=body, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def card_payment_method(base: str, number: str) -> str:
    """A PaymentMethod for a test card number, created as Stripe.js would (the app never sees card numbers)."""
    pm = localstripe_post(
        base,
        "/v1/payment_methods",
        {"type": "card", "card[number]": number, "card[exp_month]": "12", "card[exp_year]": "2034", "card[cvc]": "123"},
    )
    return pm["id"]


def browser_confirms(base: str, payment_intent_id: str, payment_method: str = "pm_card_visa") -> dict:
    """Stand-in for the browser confirming an intent created with confirm=False (localstripe
    answers 500 to confirm(payment_method=...): attach the method, then confirm)."""
    localstripe_post(base, f"/v1/payment_intents/{payment_intent_id}", {"payment_method": payment_method})
    return localstripe_post(base, f"/v1/payment_intents/{payment_intent_id}/confirm", {})
