"""Buying a licence: one intent = one payment (a second click during 3-D Secure reuses the pending
PaymentIntent; after the payment, no second charge; a declined card allows a new attempt) and a
Stripe customer lost by Stripe (localstripe wiped) created again. Against a REAL localstripe of
this module's own (tests/library/conftest.py: its data are wiped here). Concurrent clicks over
HTTP: tests/attack."""

from __future__ import annotations

import urllib.request

import pytest
from library_helpers import paid_offer, resource
from sqlalchemy import select

from app.library.models import LicenceBuyer, LicenceGrant
from tests.conftest import login, post_form
from tests.vouchers.vouchers_helpers import (
    CARD_3DS,
    CARD_DECLINED,
    card_payment_method,
    confirm_card_setup,
    stripe_js_post,
)

USAGE = "LicenseRef-licence-usage"


@pytest.fixture
def gateway(stripe):
    """The app's gateway on this module's localstripe; the PaymentIntents already there are not this test's."""
    stripe.gateway.earlier = {pi.id for pi in stripe.gateway.list_payment_intents()}
    return stripe.gateway


def _offer(producer_user, prod, title="Kit « Démarches en ligne »", price_cents=4900):
    r = resource(producer_user, prod, title=title, licence=USAGE)
    return r, paid_offer(producer_user, r, price_cents=price_cents, duration_months=12)


def _card(client, localstripe, r, offer, number="4242424242424242") -> str:
    answer = post_form(
        client, f"/r/{r.identifier}/licences/{offer.id}/acheter/carte", {}, headers={"Accept": "application/json"}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return confirm_card_setup(localstripe, answer.get_json()["client_secret"], number)


def _pay(client, r, offer, payment_method):
    return post_form(
        client,
        f"/r/{r.identifier}/licences/{offer.id}/acheter",
        {"payment_method": payment_method, "holder_name": "Médiathèque de Forcalquier"},
        headers={"Accept": "application/json"},
    )


def _intents(gateway, offer) -> list:
    """This test's PaymentIntents for the offer, at localstripe."""
    return [
        pi
        for pi in gateway.list_payment_intents()
        if pi.id not in gateway.earlier and pi.metadata.get("hub_reference", "").startswith(f"licence:{offer.id}:")
    ]


def _grants(session, offer):
    return session.scalars(select(LicenceGrant).where(LicenceGrant.offer_id == offer.id)).all()


def test_a_second_click_during_3ds_reuses_the_payment_then_the_licence_is_not_bought_twice(
    client, db_session, factory, gateway, localstripe, producer_user, prod
):
    r, offer = _offer(producer_user, prod)
    buyer = factory.user()
    login(client, buyer)
    card = card_payment_method(localstripe, CARD_3DS)
    first = _pay(client, r, offer, card).get_json()
    second = _pay(client, r, offer, card)
    assert first["status"] == "requires_action"
    assert second.status_code == 200 and second.get_json()["client_secret"] == first["client_secret"]
    assert second.get_json()["in_progress"] is True
    assert len(_intents(gateway, offer)) == 1  # not a second PaymentIntent waiting for its 3-D Secure
    # The bank says yes; a new click does not charge again: the licence is held.
    pi_id = first["client_secret"].split("_secret_")[0]
    stripe_js_post(
        localstripe,
        f"/v1/payment_intents/{pi_id}/_authenticate?success=true",
        {"client_secret": first["client_secret"]},
    )
    third = _pay(client, r, offer, "pm_card_visa")
    assert third.status_code == 409
    assert third.get_json() == {"status": "refused", "message": "Vous détenez déjà cette licence."}
    db_session.expire_all()
    [grant] = _grants(db_session, offer)
    assert grant.payment_ref == pi_id and grant.holder_id == buyer.id
    assert [pi.status for pi in _intents(gateway, offer)] == ["succeeded"]


def test_a_declined_card_then_another_card_pays_once(
    client, db_session, factory, gateway, localstripe, producer_user, prod
):
    r, offer = _offer(producer_user, prod)
    login(client, factory.user())
    declined = _pay(client, r, offer, _card(client, localstripe, r, offer, CARD_DECLINED))
    assert declined.status_code == 402 and "Aucun montant n'a été débité" in declined.get_json()["message"]
    assert _grants(db_session, offer) == []
    ok = _pay(client, r, offer, _card(client, localstripe, r, offer))
    assert ok.status_code == 200 and ok.get_json()["status"] == "succeeded"
    again = _pay(client, r, offer, "pm_card_visa")
    assert again.status_code == 409 and again.get_json()["message"] == "Vous détenez déjà cette licence."
    db_session.expire_all()
    assert len(_grants(db_session, offer)) == 1
    assert sorted(pi.status for pi in _intents(gateway, offer)) == ["requires_payment_method", "succeeded"]


def test_a_buyer_customer_lost_by_stripe_is_created_again(
    client, db_session, factory, gateway, localstripe, producer_user, prod
):
    """localstripe restarted from scratch (its data wiped): the buyer's saved customer no longer exists.
    The next purchase creates a new customer, stores it and goes through (it was a 402 for ever)."""
    r1, first = _offer(producer_user, prod, title="Guide « Premiers pas »")
    r2, second = _offer(producer_user, prod, title="Guide « Messagerie »", price_cents=2900)
    buyer = factory.user()
    login(client, buyer)
    assert _pay(client, r1, first, _card(client, localstripe, r1, first)).get_json()["status"] == "succeeded"
    old_customer = db_session.get(LicenceBuyer, buyer.id).stripe_customer_id

    urllib.request.urlopen(urllib.request.Request(localstripe + "/_config/data", method="DELETE"), timeout=10).read()
    answer = _pay(client, r2, second, _card(client, localstripe, r2, second))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["status"] == "succeeded"
    db_session.expire_all()
    new_customer = db_session.get(LicenceBuyer, buyer.id).stripe_customer_id
    assert new_customer != old_customer and new_customer.startswith("cus_")
    [intent] = _intents(gateway, second)
    assert intent.customer == new_customer and intent.status == "succeeded"
    assert len(_grants(db_session, second)) == 1
