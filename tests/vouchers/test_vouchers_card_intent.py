"""One card intent = one payment (programme funding, the rest of a mission), a Stripe customer
that Stripe lost, webhooks from the future and webhooks about objects nobody knows: through the
app's routes against a REAL localstripe. (Concurrent clicks over HTTP: tests/attack.)"""

from __future__ import annotations

import json
import logging
import time
import urllib.request

import pytest
from sqlalchemy import func, select

from app.models import Payment, StripeEvent
from app.vouchers import funders, missions, services
from payments import ledger
from payments.testing import FakeGateway
from tests.conftest import login, post_form
from tests.vouchers.test_vouchers_stripe import _deliver, _pay
from tests.vouchers.vouchers_helpers import (
    CARD_3DS,
    CARD_DECLINED,
    WEBHOOK_SECRET,
    card_payment_method,
    confirm_card_setup,
    funded_programme,
    make_programme,
)


@pytest.fixture
def earlier(stripe) -> set:
    """The PaymentIntents localstripe held before the test (our ids repeat from test to test)."""
    return {pi.id for pi in stripe.gateway.list_payment_intents()}


def _intents_at_stripe(stripe, reference: str, earlier: set) -> list:
    """This test's PaymentIntents at localstripe for one of our references."""
    return [
        pi
        for pi in stripe.gateway.list_payment_intents()
        if pi.id not in earlier and pi.metadata.get("hub_reference") == reference
    ]


def _wipe(stripe) -> None:
    """localstripe forgets every object (what a restart from scratch does); webhooks stay registered."""
    urllib.request.urlopen(urllib.request.Request(stripe.base + "/_config/data", method="DELETE"), timeout=10).read()


def _event(pi_id: str, *, created: int | None = None, event_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "id": event_id or f"evt_test_{time.time_ns()}",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": created or int(time.time()),
            "livemode": False,
            "data": {
                "object": {
                    "id": pi_id,
                    "object": "payment_intent",
                    "amount": 1000,
                    "currency": "eur",
                    "status": "succeeded",
                    "metadata": {},
                }
            },
        }
    ).encode()


def _sign(payload: bytes, timestamp: int | None = None) -> str:
    return FakeGateway(webhook_secret=WEBHOOK_SECRET).sign(payload, timestamp)


# ---------------------------------------------------------------- one intent, one payment


def test_a_second_click_during_3ds_reuses_the_pending_payment_intent(client, db_session, stripe, funder_setup, earlier):
    """The funder clicks twice with the same card while the bank asks for 3-D Secure: the second
    click answers the same PaymentIntent (no second one at Stripe) and says it is in progress."""
    funder, member = funder_setup
    programme = make_programme(funder, member)
    login(client, member)
    card = card_payment_method(stripe.base, CARD_3DS)
    first = _pay(client, programme, card).get_json()
    second = _pay(client, programme, card)
    assert first["status"] == "requires_action"
    assert second.status_code == 200 and second.get_json()["status"] == "requires_action"
    assert second.get_json()["client_secret"] == first["client_secret"]  # the same PaymentIntent
    assert second.get_json()["in_progress"] is True
    assert len(_intents_at_stripe(stripe, f"programme:{programme.id}", earlier)) == 1
    db_session.expire_all()
    assert [p.status for p in funders.programme_payments(programme)] == ["requires_action"]
    # The bank says yes: paid once; a third click is refused with a French message, nothing charged.
    pi_id = first["client_secret"].split("_secret_")[0]
    from tests.vouchers.vouchers_helpers import stripe_js_post

    stripe_js_post(
        stripe.base,
        f"/v1/payment_intents/{pi_id}/_authenticate?success=true",
        {"client_secret": first["client_secret"]},
    )
    third = _pay(client, programme, card)
    assert third.status_code == 409 and third.get_json() == {
        "status": "refused",
        "message": "Ce programme est déjà payé.",
    }
    db_session.expire_all()
    assert programme.status == "funded"
    assert ledger.balance(db_session, f"programme:{programme.id}:fund", natural=True) == programme.budget_cents
    assert len(_intents_at_stripe(stripe, f"programme:{programme.id}", earlier)) == 1


def test_the_idempotency_key_is_the_intent_and_a_declined_card_allows_a_new_attempt(
    client, db_session, stripe, funder_setup
):
    from app.billing.card import idempotency_key
    from app.billing.models import CardIntent

    funder, member = funder_setup
    programme = make_programme(funder, member)
    login(client, member)
    declined = _pay(client, programme, card_payment_method(stripe.base, CARD_DECLINED))
    assert declined.status_code == 402 and "refusée" in declined.get_json()["message"]
    intent = db_session.scalar(select(CardIntent).where(CardIntent.item_ref == f"programme:{programme.id}"))
    assert (intent.buyer_ref, intent.attempt) == (f"funder:{funder.id}", 1)
    assert idempotency_key(intent) == f"card:programme_funding:funder:{funder.id}:programme:{programme.id}:1"
    ok = _pay(client, programme, "pm_card_visa")
    assert ok.status_code == 200 and ok.get_json()["status"] == "succeeded"
    db_session.expire_all()
    assert intent.attempt == 2
    assert sorted(p.status for p in funders.programme_payments(programme)) == ["failed", "succeeded"]
    assert (
        db_session.scalar(
            select(func.count()).select_from(CardIntent).where(CardIntent.item_ref == f"programme:{programme.id}")
        )
        == 1
    )


def test_the_rest_of_a_mission_second_click_reuses_then_nothing_left_to_pay(
    client, db_session, factory, stripe, org, org_user, earlier
):
    programme = funded_programme(factory, face_value_cents=3_000)
    services.request_voucher(org_user, programme, org)
    provider = factory.provider()
    factory.offer(provider=provider, price_mode="voucher", price_cents=8_000)
    need = factory.need(organisation=org, user=org_user, funding_mode="voucher")
    _run, _proposal, mission = factory.mission(need, provider.memberships[0].user)
    login(client, org_user)
    page = client.get(f"/cheques/missions/{mission.id}/paiement").get_data(as_text=True)
    secret = page.split('data-client-secret="')[1].split('"')[0]
    card = confirm_card_setup(stripe.base, secret, CARD_3DS)
    url = f"/cheques/missions/{mission.id}/paiement"
    first = post_form(client, url, {"payment_method": card}).get_json()
    second = post_form(client, url, {"payment_method": card}).get_json()
    assert first["status"] == second["status"] == "requires_action"
    assert first["client_secret"] == second["client_secret"]
    assert len(_intents_at_stripe(stripe, f"mission:{mission.id}", earlier)) == 1
    # Another card replaces the unfinished 3-D Secure (cancelled at Stripe), and pays.
    ok = post_form(client, url, {"payment_method": "pm_card_visa"})
    assert ok.get_json()["status"] == "succeeded"
    again = post_form(client, url, {"payment_method": "pm_card_visa"})
    assert again.status_code == 409
    assert again.get_json()["message"] == "Il ne reste rien à payer pour cette mission."
    db_session.expire_all()
    assert sorted(p.status for p in missions.card_payments(mission)) == ["canceled", "succeeded"]
    assert ledger.balance(db_session, f"provider:{provider.id}:payable", natural=True) == 5_000
    at_stripe = _intents_at_stripe(stripe, f"mission:{mission.id}", earlier)
    assert sorted(pi.status for pi in at_stripe) == ["canceled", "succeeded"]


# ---------------------------------------------------------------- a customer Stripe lost


def test_a_funder_customer_lost_by_stripe_is_created_again(client, db_session, stripe, funder_setup, earlier):
    """localstripe restarted from scratch: the funder's saved customer no longer exists. The next
    payment creates a new customer, stores it and goes through (it was a 402 for ever)."""
    funder, member = funder_setup
    first = make_programme(funder, member, name="Pass 2026")
    login(client, member)
    client.get(f"/financeur/programmes/{first.id}/paiement")
    db_session.refresh(funder)
    old_customer = funder.stripe_customer_id
    assert _pay(client, first, "pm_card_visa").get_json()["status"] == "succeeded"

    _wipe(stripe)
    second = make_programme(funder, member, name="Pass 2027")
    page = client.get(f"/financeur/programmes/{second.id}/paiement").get_data(as_text=True)
    secret = page.split('data-client-secret="')[1].split('"')[0]
    card = confirm_card_setup(stripe.base, secret, "4242424242424242")
    answer = _pay(client, second, card)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["status"] == "succeeded"
    db_session.expire_all()
    assert second.status == "funded"
    assert funder.stripe_customer_id != old_customer and funder.stripe_customer_id.startswith("cus_")
    [intent] = _intents_at_stripe(stripe, f"programme:{second.id}", earlier)
    assert intent.customer == funder.stripe_customer_id and intent.status == "succeeded"


# ---------------------------------------------------------------- webhooks


def test_a_webhook_signed_in_the_future_is_refused_like_a_bad_signature(client, db_session, stripe):
    pi = stripe.gateway.create_payment_intent(1000, payment_method="pm_card_visa", confirm=True)
    now = int(time.time())
    hour_ahead = _event(pi.id)
    answer = _deliver(client, hour_ahead, _sign(hour_ahead, now + 3600))
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "bad_signature"
    created_ahead = _event(pi.id, created=now + 3600)
    assert _deliver(client, created_ahead, _sign(created_ahead, now)).status_code == 400
    assert db_session.scalar(select(func.count()).select_from(StripeEvent).where(StripeEvent.object_id == pi.id)) == 0
    # Clocks a little apart (within the 5-minute tolerance) still work.
    slightly = _event(pi.id)
    assert _deliver(client, slightly, _sign(slightly, now + 60)).status_code == 200


def test_a_signed_webhook_for_an_unknown_payment_intent_is_acknowledged_and_logged(
    client, db_session, stripe, caplog, monkeypatch
):
    # Alembic's fileConfig (the migrations run in this process) disabled the loggers that existed then.
    monkeypatch.setattr(logging.getLogger("payments.webhooks"), "disabled", False)
    payload = _event("pi_nobody_knows_this_one", event_id="evt_unknown_object_1")
    with caplog.at_level(logging.WARNING, logger="payments.webhooks"):
        first = _deliver(client, payload, _sign(payload))
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json() == {"status": "ignored", "event": "evt_unknown_object_1"}
    assert "pi_nobody_knows_this_one" in caplog.text
    row = db_session.get(StripeEvent, "evt_unknown_object_1")
    assert row.status == "ignored" and "pi_nobody_knows_this_one" in row.detail
    again = _deliver(client, payload, _sign(payload))  # Stripe delivers it again: stored once
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    assert (
        db_session.scalar(select(func.count()).select_from(StripeEvent).where(StripeEvent.id == "evt_unknown_object_1"))
        == 1
    )
    assert (
        db_session.scalar(
            select(func.count()).select_from(Payment).where(Payment.stripe_id == "pi_nobody_knows_this_one")
        )
        == 0
    )
    # A PaymentIntent Stripe knows but that is not ours (no metadata of ours): ignored too.
    foreign = stripe.gateway.create_payment_intent(1000, payment_method="pm_card_visa", confirm=True)
    body = _event(foreign.id)
    answer = _deliver(client, body, _sign(body))
    assert answer.status_code == 200 and answer.get_json()["status"] == "ignored"
