"""One card error mapping (`app.billing.messages`): each Stripe error, as Stripe.js or the API gives
it (decline code, error code, error type, a 3-D Secure outcome), gets a sentence that says what
happened and what to do, in French and in English; the payment pages get the same table."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from flask_babel import force_locale

from app.billing.messages import card_error_key, card_error_message, card_error_messages, payment_message
from tests.conftest import login
from tests.library.library_helpers import paid_offer, producer, resource

CHECK_THE_CARD = "vérifiez le numéro, la date"


@pytest.mark.parametrize(
    ("error", "words"),
    [
        # a bank decline, the way Stripe.js and the API give it
        ({"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds"}, "solde ou le plafond"),
        (
            {"type": "card_error", "code": "card_declined", "decline_code": "generic_decline"},
            "sans en donner la raison",
        ),
        ({"type": "card_error", "code": "card_declined", "decline_code": "do_not_honor"}, "sans en donner la raison"),
        ({"type": "card_error", "code": "card_declined", "decline_code": "lost_card"}, "déclarée perdue"),
        ({"type": "card_error", "code": "card_declined", "decline_code": "stolen_card"}, "déclarée volée"),
        ({"type": "card_error", "code": "expired_card"}, "Cette carte a expiré"),
        ({"type": "card_error", "code": "incorrect_cvc"}, "cryptogramme (les 3 chiffres au dos"),
        ({"type": "card_error", "code": "processing_error"}, "erreur est survenue chez la banque"),
        ({"type": "card_error", "code": "card_declined", "decline_code": "card_velocity_exceeded"}, "plafond"),
        # localstripe: a card declined when it is saved (no decline code)
        (
            {"type": "invalid_request_error", "code": "card_declined", "message": "Your card was declined."},
            "Votre carte a été refusée par votre banque",
        ),
        # 3-D Secure refused or cancelled: Stripe's codes, and localstripe's words without a code
        ({"type": "invalid_request_error", "code": "setup_intent_authentication_failure"}, "3-D Secure a échoué"),
        ({"type": "invalid_request_error", "code": "payment_intent_authentication_failure"}, "3-D Secure a échoué"),
        (
            {"message": "The latest attempt to set up the payment method has failed because authentication failed."},
            "3-D Secure a échoué",
        ),
        # Stripe.js checks of what was typed
        ({"type": "validation_error", "code": "incomplete_number"}, "incomplètes"),
        ({"type": "validation_error", "code": "invalid_number"}, "numéro de carte est incorrect"),
        ({"type": "validation_error", "code": "invalid_expiry_year_past"}, "date d'expiration"),
        # not the card's fault
        ({"type": "rate_limit_error"}, "Trop de tentatives"),
        ({"type": "api_connection_error"}, "injoignable"),
        ({"type": "card_error", "code": "card_declined", "decline_code": "a_code_stripe_adds_later"}, "refusée"),
        ({}, "Le paiement n'a pas abouti"),
    ],
)
def test_each_stripe_error_says_what_happened(app, error, words):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        message = card_error_message(error)
        assert words in message
        assert CHECK_THE_CARD not in message
        assert message == card_error_messages()[card_error_key(error)]


def test_a_decline_and_a_cancelled_3d_secure_say_different_things(app):
    with app.test_request_context():
        declined = card_error_message({"code": "card_declined", "decline_code": "generic_decline"})
        cancelled = card_error_message({"code": "setup_intent_authentication_failure"})
    assert declined != cancelled
    assert "3-D Secure" in cancelled and "3-D Secure" not in declined


def test_the_server_words_a_failed_payment_with_the_same_sentences(app):
    with app.test_request_context():
        assert payment_message("insufficient_funds") == card_error_message({"decline_code": "insufficient_funds"})
        assert payment_message("do_not_honor") == card_error_message({"decline_code": "do_not_honor"})
        assert payment_message("payment_intent_authentication_failure") == card_error_message(
            {"code": "payment_intent_authentication_failure"}
        )


def test_every_sentence_is_translated(app):
    with app.test_request_context():
        with force_locale("en"):
            english = card_error_messages()
        french = card_error_messages()
    untranslated = [key for key in french if english[key] == french[key]]
    assert not untranslated, untranslated
    assert "Your bank" in english["generic_decline"] or "bank" in english["generic_decline"]


def test_the_payment_page_gets_the_table(app, client, factory, db_session):
    seller, buyer = factory.user(), factory.user()
    r = resource(seller, producer(seller), title="Atelier payant", licence="LicenseRef-licence-usage")
    offer = paid_offer(seller, r)
    login(client, buyer)
    html = client.get(f"/r/{r.identifier}/licences/{offer.id}/acheter").get_data(as_text=True)
    raw = re.search(r"data-card-errors='([^']*)'", html)
    assert raw, "the page carries the card error table"
    table = json.loads(unescape(raw.group(1)))
    with app.test_request_context():
        assert table == card_error_messages()
    assert "vérifiez ses informations" not in html
