"""Paying a programme through the app against a REAL localstripe, and the /stripe/webhook route
fed with the signed events localstripe really sends (valid, twice, forged)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.core.errors import ServiceError
from app.models import LedgerTransaction, Payment, StripeEvent, Voucher
from app.vouchers import funders, services
from payments import ledger
from tests.conftest import login, page_text, post_form
from tests.vouchers.vouchers_helpers import (
    CARD_3DS,
    CARD_DECLINED,
    card_payment_method,
    confirm_card_setup,
    make_programme,
    stripe_js_post,
)


def _pay(client, programme, payment_method):
    return post_form(
        client,
        f"/financeur/programmes/{programme.id}/paiement",
        {"payment_method": payment_method},
        headers={"Accept": "application/json"},
    )


def _deliver(client, body: bytes, signature: str):
    return client.post(
        "/stripe/webhook", data=body, headers={"Stripe-Signature": signature, "Content-Type": "application/json"}
    )


def _count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_payment_page_uses_localstripe_stripe_js_and_a_setup_intent(client, db_session, stripe, funder_setup):
    funder, member = funder_setup
    programme = make_programme(funder, member)
    login(client, member)
    page = client.get(f"/financeur/programmes/{programme.id}/paiement")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'<script src="{stripe.base}/js.stripe.com/v3/"></script>' in html  # the only external script
    assert 'data-client-secret="seti_' in html and "_secret_" in html
    db_session.refresh(funder)
    assert funder.stripe_customer_id and funder.stripe_customer_id.startswith("cus_")
    # The fake Stripe.js really is served there.
    import urllib.request

    assert b"confirmCardSetup" in urllib.request.urlopen(f"{stripe.base}/js.stripe.com/v3/", timeout=5).read()
    # The card-first flow the page runs: confirmCardSetup on that SetupIntent, then our server pays with it.
    secret = html.split('data-client-secret="')[1].split('"')[0]
    payment_method = confirm_card_setup(stripe.base, secret, "4242424242424242")
    answer = _pay(client, programme, payment_method)
    assert answer.status_code == 200 and answer.get_json()["status"] == "succeeded"
    db_session.expire_all()
    assert programme.status == "funded"


def test_funding_with_pm_card_visa_then_the_webhook_delivered_twice_is_applied_once(
    client, db_session, stripe, funder_setup, org, org_user
):
    funder, member = funder_setup
    programme = make_programme(funder, member, voucher_count=4, face_value_cents=2_500)
    login(client, member)
    answer = _pay(client, programme, "pm_card_visa")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["status"] == "succeeded"
    db_session.expire_all()
    payment = db_session.scalar(select(Payment).where(Payment.reference == f"programme:{programme.id}"))
    assert payment.status == "succeeded" and programme.status == "funded"
    assert ledger.balance(db_session, f"programme:{programme.id}:fund", natural=True) == 10_000

    body, signature = stripe.receiver.wait_for_object("payment_intent.succeeded", payment.stripe_id)
    event_id = json.loads(body)["id"]
    first = _deliver(client, body, signature)
    second = _deliver(client, body, signature)  # Stripe delivers again (or twice at once)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.get_json()["status"] == "applied" and second.get_json()["status"] == "duplicate"
    assert _count(db_session, StripeEvent, StripeEvent.id == event_id) == 1
    assert (
        _count(
            db_session, LedgerTransaction, LedgerTransaction.idempotency_key == f"payment:{payment.stripe_id}:settle"
        )
        == 1
    )
    assert ledger.balance(db_session, f"programme:{programme.id}:fund", natural=True) == 10_000
    # Exactly the funded value is issuable: 4 vouchers, the fifth is refused.
    issued = [services.request_voucher(org_user, programme, org) for _ in range(4)]
    assert all(v.status == "issued" for v in issued)
    with pytest.raises(ServiceError) as refused:
        services.request_voucher(org_user, programme, org)
    assert str(refused.value) == "Ce programme n'a plus de chèque disponible."
    assert ledger.trial_balance(db_session).balanced


def test_3ds_programme_becomes_usable_only_when_the_webhook_arrives(
    client, db_session, stripe, funder_setup, org, org_user
):
    funder, member = funder_setup
    programme = make_programme(funder, member)
    login(client, member)
    answer = _pay(client, programme, card_payment_method(stripe.base, CARD_3DS))
    data = answer.get_json()
    assert data["status"] == "requires_action" and data["client_secret"].startswith("pi_")
    assert "3-D Secure" in data["message"]
    db_session.expire_all()
    assert programme.status == "awaiting_payment"
    with pytest.raises(ServiceError) as refused:
        services.request_voucher(org_user, programme, org)
    assert "pas encore financé" in str(refused.value)

    # The browser completes 3-D Secure (what localstripe's fake confirmCardPayment sends).
    pi_id = data["client_secret"].split("_secret_")[0]
    assert (
        stripe_js_post(
            stripe.base,
            f"/v1/payment_intents/{pi_id}/_authenticate?success=true",
            {"client_secret": data["client_secret"]},
        )["status"]
        == "succeeded"
    )
    state = client.get(f"/financeur/programmes/{programme.id}/paiement/etat").get_json()
    assert state == {
        "programme": "awaiting_payment",
        "funded": False,
        "done": False,
        "payment": "requires_action",
        "message": None,
    }

    body, signature = stripe.receiver.wait_for_object("payment_intent.succeeded", pi_id)
    assert _deliver(client, body, signature).get_json()["status"] == "applied"
    state = client.get(f"/financeur/programmes/{programme.id}/paiement/etat").get_json()
    assert state["funded"] is True and state["redirect"].endswith(f"/financeur/programmes/{programme.id}")
    db_session.expire_all()
    voucher = services.request_voucher(org_user, programme, org)
    assert voucher.status == "issued" and voucher.code.startswith("HUB-")
    # The funder is told by e-mail, once.
    from app.core.mail import OutboxEmail

    mails = db_session.scalars(
        select(OutboxEmail).where(OutboxEmail.recipient == member.email, OutboxEmail.subject.like("Paiement reçu%"))
    ).all()
    assert len(mails) == 1


def test_a_forged_webhook_is_refused_and_changes_nothing(client, db_session, stripe, funder_setup):
    funder, member = funder_setup
    programme = make_programme(funder, member)
    login(client, member)
    data = _pay(client, programme, card_payment_method(stripe.base, CARD_3DS)).get_json()
    pi_id = data["client_secret"].split("_secret_")[0]
    stripe_js_post(
        stripe.base, f"/v1/payment_intents/{pi_id}/_authenticate?success=true", {"client_secret": data["client_secret"]}
    )
    body, signature = stripe.receiver.wait_for_object("payment_intent.succeeded", pi_id)
    events_before = _count(db_session, StripeEvent)
    forged_body = body + b" "  # one byte more than what was signed
    wrong_secret = f"t={int(signature.split(',')[0][2:])},v1={'0' * 64}"
    for payload, header in ((forged_body, signature), (body, wrong_secret), (body, ""), (b"{}", signature)):
        answer = _deliver(client, payload, header)
        assert answer.status_code == 400, (payload[:40], header)
    assert _count(db_session, StripeEvent) == events_before
    db_session.expire_all()
    assert programme.status == "awaiting_payment"
    assert db_session.scalar(select(Payment.status).where(Payment.stripe_id == pi_id)) == "requires_action"
    # The genuine delivery still works afterwards.
    assert _deliver(client, body, signature).get_json()["status"] == "applied"
    db_session.expire_all()
    assert programme.status == "funded"


def test_a_declined_card_gives_the_french_message_and_nothing_is_paid(
    client, db_session, stripe, funder_setup, org, org_user
):
    funder, member = funder_setup
    programme = make_programme(funder, member)
    login(client, member)
    answer = _pay(client, programme, card_payment_method(stripe.base, CARD_DECLINED))
    assert answer.status_code == 402
    assert answer.get_json() == {
        "status": "failed",
        "message": "Votre carte a été refusée par votre banque. "
        "Aucun montant n'a été débité ; essayez une autre carte.",
    }
    db_session.expire_all()
    assert programme.status == "awaiting_payment"
    payment = db_session.scalar(select(Payment).where(Payment.reference == f"programme:{programme.id}"))
    assert payment.status == "failed"
    assert ledger.balance(db_session, f"programme:{programme.id}:fund") == 0
    assert _count(db_session, Voucher, Voucher.programme_id == programme.id) == 0
    # The failure event arrives too: still nothing paid; the page offers to pay again.
    body, signature = stripe.receiver.wait_for_object("payment_intent.payment_failed", payment.stripe_id)
    assert _deliver(client, body, signature).status_code == 200
    db_session.expire_all()
    assert programme.status == "awaiting_payment"
    state = client.get(f"/financeur/programmes/{programme.id}/paiement/etat").get_json()
    assert state["payment"] == "failed" and "refusée" in state["message"]
    page = client.get(f"/financeur/programmes/{programme.id}/paiement")
    assert page.status_code == 200 and "Payer 500 €" in page_text(page)
    # Another card then pays.
    assert _pay(client, programme, "pm_card_visa").get_json()["status"] == "succeeded"


def test_an_abandoned_3ds_is_replaced_by_a_new_attempt(client, db_session, stripe, funder_setup):
    funder, member = funder_setup
    programme = make_programme(funder, member)
    login(client, member)
    first = _pay(client, programme, card_payment_method(stripe.base, CARD_3DS)).get_json()
    assert first["status"] == "requires_action"
    second = _pay(client, programme, "pm_card_visa").get_json()
    assert second["status"] == "succeeded"
    db_session.expire_all()
    statuses = sorted(p.status for p in funders.programme_payments(programme))
    assert statuses == ["canceled", "succeeded"]
    assert ledger.balance(db_session, f"programme:{programme.id}:fund", natural=True) == programme.budget_cents
    # A paid programme is not paid twice.
    again = _pay(client, programme, "pm_card_visa")
    assert again.status_code == 409 and "déjà payé" in again.get_json()["message"]


def test_reconcile_reports_a_lost_webhook_and_fixes_it(app, client, db_session, stripe, funder_setup):
    funder, member = funder_setup
    programme = make_programme(funder, member)
    login(client, member)
    data = _pay(client, programme, card_payment_method(stripe.base, CARD_3DS)).get_json()
    pi_id = data["client_secret"].split("_secret_")[0]
    stripe_js_post(
        stripe.base, f"/v1/payment_intents/{pi_id}/_authenticate?success=true", {"client_secret": data["client_secret"]}
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["hub", "reconcile", "--days", "1"])
    assert result.exit_code == 0, result.output
    assert f"status_mismatch {pi_id}: ours=requires_action/50000 stripe=succeeded/50000" in result.output
    result = runner.invoke(args=["hub", "reconcile", "--days", "1", "--fix"])
    assert result.exit_code == 0 and f"status_mismatch {pi_id}" in result.output and "(fixed)" in result.output
    db_session.expire_all()
    assert programme.status == "funded"
    assert f"status_mismatch {pi_id}" not in runner.invoke(args=["hub", "reconcile", "--days", "1"]).output


def test_the_rest_of_a_mission_paid_with_3ds_is_settled_by_the_webhook(
    client, db_session, factory, stripe, org, org_user
):
    from app.vouchers import missions
    from tests.vouchers.vouchers_helpers import funded_programme

    programme = funded_programme(factory, face_value_cents=3_000)
    services.request_voucher(org_user, programme, org)
    provider = factory.provider()
    factory.offer(provider=provider, price_mode="voucher", price_cents=8_000)
    need = factory.need(organisation=org, user=org_user, funding_mode="voucher")
    _run, _proposal, mission = factory.mission(need, provider.memberships[0].user)
    login(client, org_user)
    page = client.get(f"/cheques/missions/{mission.id}/paiement").get_data(as_text=True)
    secret = page.split('data-client-secret="')[1].split('"')[0]
    payment_method = confirm_card_setup(stripe.base, secret, CARD_3DS)
    answer = post_form(
        client, f"/cheques/missions/{mission.id}/paiement", {"payment_method": payment_method}
    ).get_json()
    assert answer["status"] == "requires_action"
    pi_id = answer["client_secret"].split("_secret_")[0]
    stripe_js_post(
        stripe.base,
        f"/v1/payment_intents/{pi_id}/_authenticate?success=true",
        {"client_secret": answer["client_secret"]},
    )
    assert missions.remainder_cents(mission) == 5_000  # not before the webhook
    body, signature = stripe.receiver.wait_for_object("payment_intent.succeeded", pi_id)
    assert _deliver(client, body, signature).get_json()["status"] == "applied"
    db_session.expire_all()
    assert missions.remainder_cents(mission) == 0
    assert ledger.balance(db_session, f"provider:{provider.id}:payable", natural=True) == 5_000
    assert client.get(f"/cheques/missions/{mission.id}/paiement/etat").get_json()["done"] is True
