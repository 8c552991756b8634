"""The gateway's edges, against a real localstripe: a customer Stripe no longer knows is named as
such (`CustomerNotFound`, not any 404); webhooks signed or created in the future are refused
beyond the tolerance; a signed event about a PaymentIntent nobody knows is acknowledged
("ignored"), stored once, never a 500."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from payments_helpers import API_KEY, ENVIRONMENT, WEBHOOK_SECRET

from payments.errors import CustomerNotFound, NotFound, WebhookSignatureError
from payments.gateway import StripeGateway
from payments.testing import FakeGateway
from payments.webhooks import WebhookProcessor
from tests.localstripe_server import start_localstripe, stop_localstripe


@pytest.fixture(scope="module")
def wiped_stripe(tmp_path_factory):
    """A localstripe of this module's own: its data are wiped here."""
    process, base, log = start_localstripe(tmp_path_factory.mktemp("localstripe") / "localstripe.log")
    yield base
    stop_localstripe(process, log)


def _event(pi_id: str, *, created: int | None = None, event_id: str = "evt_edges_1") -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": created or int(time.time()),
            "livemode": False,
            "data": {
                "object": {
                    "id": pi_id,
                    "object": "payment_intent",
                    "amount": 500,
                    "currency": "eur",
                    "status": "succeeded",
                    "metadata": {},
                }
            },
        }
    ).encode()


def _signed(payload: bytes, timestamp: int | None = None) -> str:
    return FakeGateway(webhook_secret=WEBHOOK_SECRET).sign(payload, timestamp)


def test_a_customer_lost_by_stripe_is_customer_not_found(wiped_stripe):
    gateway = StripeGateway(API_KEY, api_base=wiped_stripe, webhook_secret=WEBHOOK_SECRET, environment=ENVIRONMENT)
    customer = gateway.create_customer(email="payeur@exemple.fr").id
    assert gateway.create_payment_intent(500, customer=customer, payment_method="pm_card_visa", confirm=True).succeeded
    # Another missing object (the card) with a living customer is not "customer not found".
    with pytest.raises(NotFound) as other:
        gateway.create_payment_intent(500, customer=customer, payment_method="pm_unknown_card", confirm=True)
    assert not isinstance(other.value, CustomerNotFound)

    urllib.request.urlopen(urllib.request.Request(wiped_stripe + "/_config/data", method="DELETE"), timeout=10).read()
    with pytest.raises(CustomerNotFound) as lost:
        gateway.create_payment_intent(500, customer=customer, payment_method="pm_card_visa", confirm=True)
    assert lost.value.customer == customer and lost.value.code == "customer_not_found"
    fresh = gateway.create_customer(email="payeur@exemple.fr").id
    assert gateway.create_payment_intent(500, customer=fresh, payment_method="pm_card_visa", confirm=True).succeeded


def test_webhooks_from_the_future_are_refused_beyond_the_tolerance(gateway):
    now = int(time.time())
    payload = _event("pi_whatever")
    for header in (_signed(payload, now + 3600), _signed(payload, now + 301)):
        with pytest.raises(WebhookSignatureError, match="future"):
            gateway.verify_webhook(payload, header)
    created_ahead = _event("pi_whatever", created=now + 3600)
    with pytest.raises(WebhookSignatureError, match="future"):
        gateway.verify_webhook(created_ahead, _signed(created_ahead, now))
    assert gateway.verify_webhook(payload, _signed(payload, now + 60)).id == "evt_edges_1"  # clocks a little apart
    assert gateway.verify_webhook(payload, _signed(payload, now - 60)).id == "evt_edges_1"


@pytest.mark.parametrize("refetch", [True, False])
def test_a_signed_event_for_an_unknown_payment_intent_is_ignored_and_stored_once(db, models, gateway, refetch):
    processor = WebhookProcessor(gateway, refetch=refetch)
    payload = _event("pi_unknown_to_everyone", event_id=f"evt_unknown_{refetch}")
    outcome = processor.process(db, payload, _signed(payload))
    assert (outcome.status, outcome.http_status) == ("ignored", 200)
    assert "pi_unknown_to_everyone" in outcome.detail
    row = db.get(models.StripeEvent, f"evt_unknown_{refetch}")
    assert row.status == "ignored" and "pi_unknown_to_everyone" in row.detail
    assert processor.process(db, payload, _signed(payload)).status == "duplicate"
    assert db.query(models.Payment).filter_by(stripe_id="pi_unknown_to_everyone").count() == 0
