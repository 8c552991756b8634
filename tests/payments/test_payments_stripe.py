"""Against a real localstripe process: payments, 3-D Secure, declines, refunds, signed
webhooks received by a real HTTP server (valid, forged, twice, out of order, other
environment), reconciliation, and the Stripe.js browser path."""

from __future__ import annotations

import json
import uuid

import pytest
from payments_helpers import (
    API_KEY,
    ENVIRONMENT,
    WEBHOOK_SECRET,
    browser_confirms,
    card_payment_method,
    stripe_js_post,
)
from sqlalchemy import func, select

from payments import checkout, ledger, rules, vouchers
from payments.errors import GatewayError, NotFound, RefundTooLarge, WebhookSignatureError
from payments.gateway import StripeGateway
from payments.reconcile import reconcile
from payments.rules import Eligibility, OrganisationFacts
from payments.testing import FakeGateway
from payments.webhooks import WebhookProcessor

CARD_3DS = "4000002500003155"
CARD_DECLINED = "4000000000000341"
ORG = OrganisationFacts(id=4, kind="association", commune_insee="13055", siret="73282932000074")


def count(db, model):
    return db.execute(select(func.count()).select_from(model)).scalar_one()


def new_programme(db, count_=5, face=1_000):
    return vouchers.create_programme(
        db,
        funder_id=5,
        name="Pass numérique Sud",
        face_value_cents=face,
        voucher_count=count_,
        eligibility=Eligibility(departements=["13"]),
    )


@pytest.fixture
def processor(gateway):
    return WebhookProcessor(gateway)


# ---------------------------------------------------------------- paid, webhook applied once


def test_programme_paid_webhook_verified_and_applied_once(
    db, models, gateway, webhook_receiver, processor, localstripe
):
    programme = new_programme(db)
    payment, info = vouchers.start_programme_funding(db, gateway, programme)  # the browser will confirm
    assert info.status == "requires_payment_method" and info.client_secret and payment.status == "created"
    assert programme.status == "awaiting_payment"
    browser_confirms(localstripe, info.id)
    assert count(db, models.LedgerTransaction) == 0  # nothing until Stripe tells us

    body, headers = webhook_receiver.wait_for_object("payment_intent.succeeded", info.id)
    outcome = processor.process(db, body, headers["Stripe-Signature"])
    assert outcome.status == "applied"
    assert payment.status == "succeeded" and programme.status == "funded"
    assert ledger.balance(db, "stripe:clearing") == 5_000
    assert vouchers.available_cents(db, programme) == 5_000
    transactions = count(db, models.LedgerTransaction)

    again = processor.process(db, body, headers["Stripe-Signature"])  # the same delivery, twice
    assert again.status == "duplicate"
    assert count(db, models.LedgerTransaction) == transactions
    assert count(db, models.StripeEvent) == 1
    assert ledger.balance(db, "stripe:clearing") == 5_000
    assert vouchers.issue_vouchers(db, programme, ORG)  # usable now
    stored = db.get(models.StripeEvent, outcome.event_id)
    assert json.loads(stored.payload)["data"]["object"]["id"] == info.id and stored.status == "applied"


def test_forged_signature_refused_nothing_changes(db, models, gateway, webhook_receiver, processor, localstripe):
    programme = new_programme(db)
    payment, info = vouchers.start_programme_funding(db, gateway, programme)
    browser_confirms(localstripe, info.id)
    body, headers = webhook_receiver.wait_for_object("payment_intent.succeeded", info.id)
    signature = headers["Stripe-Signature"]
    forged_body = body.replace(b'"amount": 5000', b'"amount": 500000')
    assert forged_body != body
    attempts = [
        (forged_body, signature),  # altered payload
        (body, FakeGateway().sign(body, secret="whsec_not_ours")),  # signed with another secret
        (body, ""),
        (body, "t=1,v1=deadbeef"),
    ]
    for payload, header in attempts:
        with pytest.raises(WebhookSignatureError):
            processor.process(db, payload, header)
    stale = FakeGateway().sign(body, timestamp=1_000_000_000, secret=WEBHOOK_SECRET)  # valid but far too old
    with pytest.raises(WebhookSignatureError):
        processor.process(db, body, stale)
    assert count(db, models.StripeEvent) == 0
    assert count(db, models.LedgerTransaction) == 0
    assert payment.status == "created" and programme.status == "awaiting_payment"
    unsigned = StripeGateway(API_KEY, api_base=localstripe, webhook_secret=None, environment=ENVIRONMENT)
    with pytest.raises(WebhookSignatureError):  # no secret configured: never accept
        unsigned.verify_webhook(body, signature)


# ---------------------------------------------------------------- 3-D Secure, declines


def test_3d_secure_requires_action_then_authenticated(db, models, gateway, webhook_receiver, processor, localstripe):
    programme = new_programme(db)
    pm = card_payment_method(localstripe, CARD_3DS)
    payment, info = vouchers.start_programme_funding(db, gateway, programme, payment_method=pm, confirm=True)
    assert info.status == "requires_action" and info.next_action == "use_stripe_sdk"
    assert payment.status == "requires_action" and info.message_code == "requires_action"  # the app words it
    assert count(db, models.LedgerTransaction) == 0
    # what Stripe.js confirmCardPayment(client_secret) does in the browser (localstripe's fake Stripe.js)
    done = stripe_js_post(
        localstripe, f"/v1/payment_intents/{info.id}/_authenticate?success=true", {"client_secret": info.client_secret}
    )
    assert done["status"] == "succeeded"
    body, headers = webhook_receiver.wait_for_object("payment_intent.succeeded", info.id)
    assert processor.process(db, body, headers["Stripe-Signature"]).status == "applied"
    assert payment.status == "succeeded" and programme.status == "funded"
    assert ledger.balance(db, rules.programme_account(programme.id), natural=True) == 5_000


def test_declined_card_clear_message_nothing_paid(db, models, gateway, webhook_receiver, processor, localstripe):
    programme = new_programme(db)
    pm = card_payment_method(localstripe, CARD_DECLINED)
    payment, info = vouchers.start_programme_funding(db, gateway, programme, payment_method=pm, confirm=True)
    assert info.failed and info.failure_code == "card_declined"
    assert info.message_code == "card_declined"  # the app words it (tests/vouchers/test_vouchers_messages.py)
    assert payment.status == "failed" and payment.failure_code == "card_declined"
    body, headers = webhook_receiver.wait_for_object("payment_intent.payment_failed", info.id)
    outcome = processor.process(db, body, headers["Stripe-Signature"])
    assert outcome.status == "applied" and payment.status == "failed"
    assert programme.status == "awaiting_payment"
    assert count(db, models.LedgerTransaction) == 0
    assert ledger.trial_balance(db).totals == {}


# ---------------------------------------------------------------- refunds


def test_refund_partial_then_full(db, gateway):
    programme = new_programme(db, count_=10)
    payment, info = vouchers.start_programme_funding(
        db, gateway, programme, payment_method="pm_card_visa", confirm=True
    )
    assert info.succeeded and programme.status == "funded"
    checkout.refund_payment(db, gateway, payment, 2_500, reason="budget revu")
    assert payment.refunded_cents == 2_500
    assert ledger.balance(db, "stripe:clearing") == 7_500
    assert vouchers.available_cents(db, programme) == 7_500
    assert gateway.retrieve_payment_intent(info.id).amount_refunded == 2_500
    vouchers.issue_vouchers(db, programme, ORG, count=3)  # 3 000 spent from the fund
    with pytest.raises(RefundTooLarge):  # the rest would take the fund below zero
        checkout.refund_payment(db, gateway, payment)
    with pytest.raises(RefundTooLarge):
        checkout.refund_payment(db, gateway, payment, 10_000)
    checkout.refund_payment(db, gateway, payment, 4_500)
    assert vouchers.available_cents(db, programme) == 0
    refund = checkout.refund_payment(db, gateway, payment, absorb=True, reason="geste commercial")  # the last 3 000
    assert refund.amount_cents == 3_000 and payment.refunded_cents == 10_000
    assert ledger.balance(db, "refunds") == 3_000 and ledger.balance(db, "stripe:clearing") == 0
    assert gateway.retrieve_payment_intent(info.id).amount_refunded == 10_000
    with pytest.raises(RefundTooLarge):
        checkout.refund_payment(db, gateway, payment, 1)
    assert ledger.trial_balance(db).balanced


def test_licence_sale_refund_splits_fee_and_share(db, gateway):
    settlement = rules.licence_sale_settlement(3, 1_999, fee_bps=1_000)
    assert settlement == [("producer:3:payable", -1_799), ("platform:fees", -200)]
    payment, _info = checkout.start_payment(
        db,
        gateway,
        amount_cents=1_999,
        purpose="licence_sale",
        settlement=settlement,
        reference="licence:12",
        payment_method="pm_card_visa",
        confirm=True,
    )
    assert payment.status == "succeeded"
    checkout.refund_payment(db, gateway, payment, 1_000)
    checkout.refund_payment(db, gateway, payment)
    assert ledger.balance(db, "producer:3:payable") == 0 and ledger.balance(db, "platform:fees") == 0
    assert ledger.balance(db, "stripe:clearing") == 0


# ---------------------------------------------------------------- ordering, early webhooks, environments


def _signed(event: dict) -> tuple[bytes, str]:
    payload = json.dumps(event).encode()
    return payload, FakeGateway().sign(payload, secret=WEBHOOK_SECRET)


@pytest.mark.parametrize("refetch", [True, False])
def test_out_of_order_deliveries_apply_once(db, models, gateway, webhook_receiver, localstripe, refetch):
    processor = WebhookProcessor(gateway, refetch=refetch)
    programme = new_programme(db)
    payment, info = vouchers.start_programme_funding(db, gateway, programme)
    browser_confirms(localstripe, info.id)
    body, headers = webhook_receiver.wait_for_object("payment_intent.succeeded", info.id)
    succeeded = json.loads(body)
    # The earlier failed attempt of this retried intent, delivered late (older `created`).
    failed = json.loads(body)
    failed.update(
        id=f"evt_{uuid.uuid4().hex[:14]}", type="payment_intent.payment_failed", created=succeeded["created"] - 5
    )
    failed["data"]["object"].update(
        status="requires_payment_method",
        last_payment_error={"code": "card_declined", "message": "Your card was declined."},
    )
    late_failed = _signed(failed)

    assert processor.process(db, body, headers["Stripe-Signature"]).status == "applied"
    assert processor.process(db, *late_failed).status == "applied"  # stored, but changes nothing
    assert payment.status == "succeeded"
    assert ledger.balance(db, "stripe:clearing") == 5_000
    assert count(db, models.LedgerTransaction) == 1 and count(db, models.StripeEvent) == 2


def test_failed_first_then_succeeded_settles_once(db, models, gateway, webhook_receiver, localstripe):
    processor = WebhookProcessor(gateway)  # refetch: the intent's own status decides
    programme = new_programme(db)
    payment, info = vouchers.start_programme_funding(db, gateway, programme)
    browser_confirms(localstripe, info.id)
    body, headers = webhook_receiver.wait_for_object("payment_intent.succeeded", info.id)
    failed = json.loads(body)
    failed.update(id=f"evt_{uuid.uuid4().hex[:14]}", type="payment_intent.payment_failed")
    failed["data"]["object"].update(status="requires_payment_method", last_payment_error={"code": "card_declined"})
    assert processor.process(db, *_signed(failed)).status == "applied"
    assert payment.status == "succeeded"  # Stripe's current state, not the snapshot
    assert processor.process(db, body, headers["Stripe-Signature"]).status == "applied"
    assert count(db, models.LedgerTransaction) == 1 and ledger.balance(db, "stripe:clearing") == 5_000


def test_webhook_before_the_payment_row_exists(db, models, gateway, webhook_receiver, processor, localstripe):
    """The request that created the intent has not committed yet: the intent's metadata suffices."""
    settlement = rules.mission_payment_settlement(7, 4_200)
    info = gateway.create_payment_intent(
        4_200, metadata=checkout._metadata("mission_payment", "mission:9", settlement, "organisation:4", None)
    )
    browser_confirms(localstripe, info.id)
    body, headers = webhook_receiver.wait_for_object("payment_intent.succeeded", info.id)
    assert processor.process(db, body, headers["Stripe-Signature"]).status == "applied"
    payment = checkout.get_payment(db, info.id)
    assert (payment.purpose, payment.reference, payment.status) == ("mission_payment", "mission:9", "succeeded")
    assert ledger.balance(db, "provider:7:payable", natural=True) == 4_200
    late = checkout._insert_payment(
        db,
        info,
        purpose="mission_payment",
        reference="mission:9",
        settlement=settlement,
        payer_ref=None,
        environment=ENVIRONMENT,
    )
    assert late.id == payment.id  # the request's own insert finds the row


def test_events_of_another_environment_are_ignored(db, models, gateway, webhook_receiver, localstripe):
    staging = StripeGateway(API_KEY, api_base=localstripe, webhook_secret=WEBHOOK_SECRET, environment="staging")
    settlement = rules.programme_funding_settlement(1, 3_000)
    info = staging.create_payment_intent(
        3_000,
        payment_method="pm_card_visa",
        confirm=True,
        metadata=checkout._metadata("programme_funding", "programme:1", settlement, None, None),
    )
    assert info.succeeded and info.environment == "staging"
    body, headers = webhook_receiver.wait_for_object("payment_intent.succeeded", info.id)
    outcome = WebhookProcessor(gateway).process(db, body, headers["Stripe-Signature"])
    assert outcome.status == "ignored" and "staging" in outcome.detail
    assert checkout.get_payment(db, info.id) is None
    assert count(db, models.LedgerTransaction) == 0
    assert db.get(models.StripeEvent, outcome.event_id).status == "ignored"
    live = WebhookProcessor(gateway, livemode=True, environment="staging")
    assert live.apply(db, live.gateway.verify_webhook(body, headers["Stripe-Signature"])).status == "duplicate"
    other = json.loads(body)
    other["id"] = f"evt_{uuid.uuid4().hex[:14]}"
    assert live.process(db, *_signed(other)).status == "ignored"  # livemode mismatch


# ---------------------------------------------------------------- reconciliation


def test_reconciliation_reports_and_fixes(db, localstripe):
    env = f"rec-{uuid.uuid4().hex[:8]}"
    gw = StripeGateway(API_KEY, api_base=localstripe, webhook_secret=WEBHOOK_SECRET, environment=env)
    ok, _ = checkout.start_payment(
        db,
        gw,
        amount_cents=1_000,
        purpose="licence_sale",
        settlement=rules.licence_sale_settlement(3, 1_000),
        payment_method="pm_card_visa",
        confirm=True,
    )
    pm = card_payment_method(localstripe, CARD_3DS)
    lagging, info = checkout.start_payment(
        db,
        gw,
        amount_cents=2_000,
        purpose="licence_sale",
        settlement=rules.licence_sale_settlement(3, 2_000),
        payment_method=pm,
        confirm=True,
    )
    stripe_js_post(
        localstripe, f"/v1/payment_intents/{info.id}/_authenticate?success=true", {"client_secret": info.client_secret}
    )
    orphan = gw.create_payment_intent(
        3_000,
        payment_method="pm_card_visa",
        confirm=True,
        metadata=checkout._metadata("licence_sale", "licence:1", rules.licence_sale_settlement(3, 3_000), None, None),
    )
    refunded, _ = checkout.start_payment(
        db,
        gw,
        amount_cents=4_000,
        purpose="licence_sale",
        settlement=rules.licence_sale_settlement(3, 4_000),
        payment_method="pm_card_visa",
        confirm=True,
    )
    gw.create_refund(refunded.stripe_id, amount_cents=500)  # behind the ledger's back
    ghost, _ = checkout.start_payment(
        db,
        FakeGateway(environment=env),
        amount_cents=900,
        purpose="licence_sale",
        settlement=rules.licence_sale_settlement(3, 900),
    )
    report = reconcile(db, gw)
    kinds = {kind: [d.stripe_id for d in items] for kind, items in report.by_kind().items()}
    assert kinds == {
        "status_mismatch": [lagging.stripe_id],
        "refund_mismatch": [refunded.stripe_id],
        "missing_in_stripe": [ghost.stripe_id],
        "missing_locally": [orphan.id],
    }
    assert report.checked_stripe == 4 and report.checked_local == 4 and not report.ok
    fixed = reconcile(db, gw, apply_fixes=True)
    assert all(d.fixed for d in fixed.differences if d.kind in ("status_mismatch", "missing_locally"))
    assert lagging.status == "succeeded" and checkout.get_payment(db, orphan.id).status == "succeeded"
    assert {d.kind for d in reconcile(db, gw).differences} == {"refund_mismatch", "missing_in_stripe"}
    assert ok.status == "succeeded" and ledger.trial_balance(db).balanced


# ---------------------------------------------------------------- the browser path and the gateway itself


def test_stripe_js_setup_then_pay_path(db, gateway, localstripe):
    """The flow that works with real Stripe.js and localstripe's fake one: confirmCardSetup
    collects the card on a SetupIntent, the server pays with the saved method, and
    confirmCardPayment handles 3-D Secure."""
    customer = gateway.create_customer(email="tresorerie@metropole.example.fr", name="Métropole")
    for number, needs_action in (("4242424242424242", False), (CARD_3DS, True)):
        seti = gateway.create_setup_intent(customer=customer.id)
        body = {
            "client_secret": seti.client_secret,
            "use_stripe_sdk": True,
            "payment_method_data": {
                "type": "card",
                "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
            },
        }
        answer = stripe_js_post(localstripe, f"/v1/setup_intents/{seti.id}/confirm", body)
        if answer["status"] == "requires_action":  # the fake Stripe.js then confirms again after its 3-D Secure modal
            answer = stripe_js_post(
                localstripe,
                f"/v1/setup_intents/{seti.id}/confirm",
                {"client_secret": seti.client_secret, "use_stripe_sdk": True},
            )
        assert answer["status"] == "succeeded"
        assert gateway.retrieve_setup_intent(seti.id).payment_method == answer["payment_method"]
        payment, info = checkout.start_payment(
            db,
            gateway,
            amount_cents=1_500,
            purpose="mission_payment",
            settlement=rules.mission_payment_settlement(7, 1_500),
            customer=customer.id,
            payment_method=answer["payment_method"],
            confirm=True,
        )
        if needs_action:
            assert info.requires_action
            stripe_js_post(
                localstripe,
                f"/v1/payment_intents/{info.id}/_authenticate?success=true",
                {"client_secret": info.client_secret},
            )
            info = gateway.retrieve_payment_intent(info.id)
            checkout.apply_payment_intent(db, info, environment=gateway.environment)  # what the webhook does
        assert info.succeeded and payment.status == "succeeded"
    assert ledger.balance(db, "provider:7:payable", natural=True) == 3_000


def test_gateway_plain_values_and_errors(gateway):
    info = gateway.create_payment_intent(700, metadata={"a": "1"})
    assert info.metadata == {"a": "1", "hub_env": ENVIRONMENT} and info.status == "requires_payment_method"
    assert info.livemode is False and not info.failed
    canceled = gateway.cancel_payment_intent(info.id)
    assert canceled.status == "canceled" and checkout.local_status(canceled) == "canceled"
    assert any(i.id == info.id for i in gateway.list_payment_intents(created_gte=info.created))
    with pytest.raises(NotFound):
        gateway.retrieve_payment_intent("pi_doesnotexist")
    with pytest.raises(GatewayError):
        gateway.create_refund(info.id)  # nothing was paid
    with pytest.raises(ValueError):
        gateway.create_payment_intent(10.5)
    with pytest.raises(ValueError):
        gateway.create_payment_intent(100, confirm=True)  # confirm needs a payment method here
