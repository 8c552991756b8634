"""The view helpers every card payment shares (`app.billing.responses`): the payment page's
SetupIntent, the confirm step's JSON and the status poll's JSON."""

from __future__ import annotations

from types import SimpleNamespace

from app.billing.card import CardResult, PaymentInProgress
from app.billing.responses import card_confirm_answer, card_payment_answer, card_setup, card_state_answer
from app.core.errors import Conflict
from payments.interface import PaymentIntentInfo


def _info(status, failure_code=None):
    return PaymentIntentInfo(
        id="pi_1", status=status, amount=500, currency="eur", client_secret="pi_1_secret", failure_code=failure_code
    )


def _result(status, failure_code=None, reused=False):
    return CardResult(SimpleNamespace(status=status), _info(status, failure_code), reused=reused)


def _answer(response):
    body, status = (response, 200) if not isinstance(response, tuple) else response
    return body.get_json(), status


def test_card_setup_answers_the_setup_or_the_refusal(app, db_session):
    with app.test_request_context():
        assert card_setup(lambda: "seti_1") == ("seti_1", None)

        def refuse():
            raise Conflict("Ce programme est déjà payé.")

        assert card_setup(refuse) == (None, "Ce programme est déjà payé.")


def test_the_confirm_step_answers_each_outcome(app, db_session):
    with app.test_request_context():
        body, status = _answer(
            card_payment_answer(lambda: _result("succeeded"), redirect="/fait", success_message="ok")
        )
        assert (body, status) == ({"status": "succeeded", "redirect": "/fait"}, 200)
        body, status = _answer(
            card_payment_answer(lambda: _result("requires_action"), redirect="/", success_message="")
        )
        assert body["status"] == "requires_action" and body["client_secret"] == "pi_1_secret"
        assert "3-D Secure" in body["message"] and body["in_progress"] is False
        body, status = _answer(
            card_payment_answer(
                lambda: _result("requires_payment_method", "card_declined"), redirect="/", success_message=""
            )
        )
        assert status == 402 and body["status"] == "failed" and "refusée" in body["message"]

        def busy():
            raise PaymentInProgress("Un paiement est déjà en cours.")

        body, status = _answer(card_payment_answer(busy, redirect="/", success_message=""))
        assert (body, status) == ({"status": "in_progress", "message": "Un paiement est déjà en cours."}, 409)

        def paid():
            raise Conflict("Ce programme est déjà payé.")

        body, status = _answer(card_payment_answer(paid, redirect="/", success_message=""))
        assert (body, status) == ({"status": "refused", "message": "Ce programme est déjà payé."}, 409)


def test_an_invalid_confirm_form_charges_nothing(app, db_session):
    calls = []
    form = SimpleNamespace(validate_on_submit=lambda: False)
    with app.test_request_context():
        body, status = _answer(card_confirm_answer(form, lambda: calls.append(1), redirect="/", success_message=""))
    assert status == 400 and body["status"] == "invalid" and "Moyen de paiement invalide" in body["message"]
    assert calls == []


def test_the_poll_says_where_to_go_once_done(app):
    with app.test_request_context():
        assert _answer(card_state_answer({"done": False}, redirect="/fait"))[0] == {"done": False}
        assert _answer(card_state_answer({"done": True}, redirect="/fait"))[0] == {"done": True, "redirect": "/fait"}
