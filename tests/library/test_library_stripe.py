"""The full paid path against a REAL localstripe process: buy a licence by card, the webhook, the
grant, the download; a refund revokes the grant and the download is refused; a forged webhook
changes nothing; the ledger stays balanced. (localstripe and its webhook receiver: tests/library/conftest.py.)"""

from __future__ import annotations

import json

import pytest
from library_helpers import ODT, paid_offer, resource, upload
from sqlalchemy import func, select

from app.core.errors import Conflict
from app.library import purchase
from app.library.models import GrantStatus, LicenceGrant
from app.library.services.licences import give_licence, set_offer_active
from app.models import LedgerTransaction, Payment, StripeEvent
from payments import ledger
from tests.conftest import login, page_text, post_form
from tests.vouchers.vouchers_helpers import (
    CARD_3DS,
    CARD_DECLINED,
    CARD_OK,
    card_payment_method,
    confirm_card_setup,
    stripe_js_post,
)

USAGE = "LicenseRef-licence-usage"


@pytest.fixture
def sale(producer_user, prod):
    """A published paid resource with a file and a 49 € licence offer."""
    r = resource(producer_user, prod, title="Programme « Aidants numériques »", licence=USAGE)
    file = upload(producer_user, r, "programme.odt", ODT)
    offer = paid_offer(producer_user, r, price_cents=4900, duration_months=12)
    return r, file, offer


def _urls(r, offer):
    base = f"/r/{r.identifier}/licences/{offer.id}/acheter"
    return base, base + "/carte", base + "/etat"


def _card(client, stripe, r, offer, number=CARD_OK) -> str:
    """What the page's script does: ask our server for a SetupIntent, save the card on it with Stripe.js."""
    _page, card_url, _state = _urls(r, offer)
    answer = post_form(client, card_url, {}, headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    secret = answer.get_json()["client_secret"]
    assert secret.startswith("seti_")
    return confirm_card_setup(stripe.base, secret, number)


def _pay(client, r, offer, payment_method, holder_name="Médiathèque de Manosque"):
    page, _card_url, _state = _urls(r, offer)
    return post_form(
        client,
        page,
        {"payment_method": payment_method, "holder_name": holder_name},
        headers={"Accept": "application/json"},
    )


def _deliver(client, body: bytes, signature: str):
    return client.post(
        "/stripe/webhook", data=body, headers={"Stripe-Signature": signature, "Content-Type": "application/json"}
    )


def _grants(session, offer):
    return session.scalars(select(LicenceGrant).where(LicenceGrant.offer_id == offer.id)).all()


def test_buy_by_card_webhook_grant_download_then_refund_revokes(
    client, db_session, factory, stripe, sale, producer_user, prod
):
    r, file, offer = sale
    download = f"/r/{r.identifier}/fichiers/{file.id}"
    buyer = factory.user(name="Lucie Médiatrice")
    login(client, buyer)
    assert client.get(download).status_code == 403
    page = client.get(_urls(r, offer)[0])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'<script src="{stripe.base}/js.stripe.com/v3/"></script>' in html
    assert "Payer 49 €" in page_text(page)

    answer = _pay(client, r, offer, _card(client, stripe, r, offer))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["status"] == "succeeded"
    db_session.expire_all()
    [grant] = _grants(db_session, offer)
    assert grant.holder_id == buyer.id and grant.holder_name == "Médiathèque de Manosque"
    assert grant.status == GrantStatus.ACTIVE and grant.amount_cents == 4900 and grant.payment_ref.startswith("pi_")
    payment = db_session.scalar(select(Payment).where(Payment.stripe_id == grant.payment_ref))
    assert payment.purpose == "licence_sale" and payment.status == "succeeded"
    # The ledger: the producer's share and the platform's fee (10 %), balanced.
    assert ledger.balance(db_session, f"producer:{prod.id}:payable", natural=True) == 4410
    assert ledger.balance(db_session, "platform:fees", natural=True) >= 490
    assert ledger.trial_balance(db_session).balanced
    # The file downloads; the certificate names the holder; the producer sees the sale and what is owed.
    assert client.get(download).status_code == 200
    assert b"Manosque" in client.get(f"/bibliotheque/licences/{grant.id}/certificat.pdf").data

    # Stripe's webhook arrives (twice): applied once, no second grant, no second settlement.
    body, signature = stripe.receiver.wait_for_object("payment_intent.succeeded", grant.payment_ref)
    first, second = _deliver(client, body, signature), _deliver(client, body, signature)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.get_json()["status"] == "duplicate"
    assert (
        db_session.scalar(select(func.count()).select_from(StripeEvent).where(StripeEvent.id == json.loads(body)["id"]))
        == 1
    )
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(LedgerTransaction)
            .where(LedgerTransaction.idempotency_key == f"payment:{grant.payment_ref}:settle")
        )
        == 1
    )
    db_session.expire_all()
    assert len(_grants(db_session, offer)) == 1

    login(client, producer_user)
    space = page_text(client.get(f"/bibliotheque/producteurs/{prod.id}/espace"))
    assert "Médiathèque de Manosque" in space and "44,10 €" in space
    # The producer refunds: the grant is revoked, the ledger gives back both shares, still balanced.
    refund = post_form(client, f"/bibliotheque/licences/{grant.id}/rembourser", {"reason": "Achat en double"})
    assert refund.status_code == 302
    db_session.expire_all()
    assert grant.status == GrantStatus.REVOKED and "Achat en double" in grant.revoke_reason
    assert payment.refunded_cents == 4900
    assert ledger.balance(db_session, f"producer:{prod.id}:payable", natural=True) == 0
    assert ledger.trial_balance(db_session).balanced
    login(client, buyer)
    assert client.get(download).status_code == 403
    # A second refund is refused.
    login(client, producer_user)
    again = post_form(client, f"/bibliotheque/licences/{grant.id}/rembourser", {"reason": "Encore"})
    assert again.status_code == 302
    db_session.expire_all()
    assert payment.refunded_cents == 4900


def test_3ds_grants_only_when_the_webhook_arrives(client, db_session, factory, stripe, sale):
    r, file, offer = sale
    buyer = factory.user()
    login(client, buyer)
    data = _pay(client, r, offer, card_payment_method(stripe.base, CARD_3DS)).get_json()
    assert data["status"] == "requires_action" and data["client_secret"].startswith("pi_")
    db_session.expire_all()
    assert _grants(db_session, offer) == []
    assert client.get(f"/r/{r.identifier}/fichiers/{file.id}").status_code == 403
    state_url = _urls(r, offer)[2]
    assert client.get(state_url).get_json() == {"granted": False, "payment": "requires_action", "message": None}
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
    body, signature = stripe.receiver.wait_for_object("payment_intent.succeeded", pi_id)
    assert _deliver(client, body, signature).get_json()["status"] == "applied"
    state = client.get(state_url).get_json()
    assert state["granted"] is True and state["redirect"].endswith("/bibliotheque/mes-licences")
    db_session.expire_all()
    [grant] = _grants(db_session, offer)
    assert grant.payment_ref == pi_id and grant.holder_name == "Médiathèque de Manosque"
    assert client.get(f"/r/{r.identifier}/fichiers/{file.id}").status_code == 200
    assert ledger.trial_balance(db_session).balanced


def test_a_forged_webhook_changes_nothing(client, db_session, factory, stripe, sale):
    r, file, offer = sale
    login(client, factory.user())
    data = _pay(client, r, offer, card_payment_method(stripe.base, CARD_3DS)).get_json()
    pi_id = data["client_secret"].split("_secret_")[0]
    stripe_js_post(
        stripe.base, f"/v1/payment_intents/{pi_id}/_authenticate?success=true", {"client_secret": data["client_secret"]}
    )
    body, signature = stripe.receiver.wait_for_object("payment_intent.succeeded", pi_id)
    events = db_session.scalar(select(func.count()).select_from(StripeEvent))
    transactions = ledger.trial_balance(db_session).rows
    timestamp = int(signature.split(",")[0][2:])
    wrong = f"t={timestamp},v1={'0' * 64}"
    for payload, header in ((body + b" ", signature), (body, wrong), (body, ""), (b"{}", signature)):
        assert _deliver(client, payload, header).status_code == 400
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(StripeEvent)) == events
    assert _grants(db_session, offer) == []
    assert ledger.trial_balance(db_session).rows == transactions
    assert client.get(f"/r/{r.identifier}/fichiers/{file.id}").status_code == 403
    # The genuine delivery still grants.
    assert _deliver(client, body, signature).get_json()["status"] == "applied"
    db_session.expire_all()
    assert len(_grants(db_session, offer)) == 1


def test_a_declined_card_grants_nothing(client, db_session, factory, stripe, sale, prod):
    r, _file, offer = sale
    login(client, factory.user())
    answer = _pay(client, r, offer, card_payment_method(stripe.base, CARD_DECLINED))
    assert answer.status_code == 402 and "refusée" in answer.get_json()["message"]
    db_session.expire_all()
    assert _grants(db_session, offer) == []
    assert ledger.balance(db_session, f"producer:{prod.id}:payable") == 0
    assert client.get(_urls(r, offer)[2]).get_json()["payment"] == "failed"


def test_what_cannot_be_bought(client, db_session, factory, stripe, sale, producer_user):
    r, _file, offer = sale
    login(client, producer_user)  # one's own resource
    page = client.get(_urls(r, offer)[0])
    assert page.status_code == 200 and "vous n'avez pas besoin de licence" in page_text(page)
    refused = post_form(client, _urls(r, offer)[1], {}, headers={"Accept": "application/json"})
    assert refused.status_code == 409
    set_offer_active(producer_user, offer, False)
    buyer = factory.user()
    login(client, buyer)
    assert _pay(client, r, offer, "pm_card_visa").status_code == 409  # withdrawn
    assert client.get(f"/r/{r.identifier}/licences/999999/acheter").status_code == 404
    set_offer_active(producer_user, offer, True)
    assert _pay(client, r, offer, "pm_card_visa").get_json()["status"] == "succeeded"
    again = _pay(client, r, offer, "pm_card_visa")  # already held
    assert again.status_code == 409 and "déjà" in again.get_json()["message"]
    # A licence given without payment cannot be "refunded": it is revoked instead.
    given = give_licence(producer_user, offer, factory.user().email)
    with pytest.raises(Conflict):
        purchase.refund_licence(producer_user, given, None, "x")
