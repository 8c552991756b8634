"""The app words the payments library's codes: each code keeps the French sentence the library
used to build itself (the library now answers codes only)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.billing.messages import GENERIC, MESSAGES, info_message, payment_message, payment_state
from app.vouchers.messages import eligibility_message, eligibility_messages, mission_refusal_message
from payments.codes import EligibilityRefusal, Ineligibility, MissionRefusal, PaymentFailure
from payments.interface import PaymentIntentInfo

GENERIC_TEXT = (
    "Le paiement n'a pas abouti. Aucun montant n'a été débité ; vous pouvez réessayer ou utiliser une autre carte."
)


def test_payment_messages_are_french_and_never_raw():
    assert payment_message("insufficient_funds").startswith("Le solde")
    assert payment_message("some_new_stripe_code") == GENERIC_TEXT == str(GENERIC)
    assert payment_message(None) == GENERIC_TEXT
    assert (
        payment_message(PaymentFailure.CARD_DECLINED)
        == "Votre carte a été refusée par votre banque. Aucun montant n'a été débité ; essayez une autre carte."
    )
    assert payment_message("programme_not_funded") == (
        "Le programme n'est pas encore financé : aucun chèque ne peut être émis avant la réception du paiement."
    )


def test_every_payment_failure_code_has_its_own_sentence():
    assert set(MESSAGES) == set(PaymentFailure)
    assert all(payment_message(code) != GENERIC_TEXT for code in PaymentFailure)


def _info(status, failure_code=None):
    return PaymentIntentInfo(id="pi_1", status=status, amount=100, currency="eur", failure_code=failure_code)


def test_what_the_payer_is_told_of_a_payment_intent():
    assert "refusée" in info_message(_info("requires_payment_method", "card_declined"))
    assert "3-D Secure" in info_message(_info("requires_action"))
    assert info_message(_info("canceled")) == "Le paiement a été annulé. Aucun montant n'a été débité."
    assert info_message(_info("succeeded")) is None


def test_payment_state_says_why_the_latest_failed():
    failed = SimpleNamespace(status="failed", failure_code="insufficient_funds")
    assert payment_state([]) == {"payment": None, "message": None}
    assert payment_state([failed])["message"].startswith("Le solde")
    assert payment_state([SimpleNamespace(status="succeeded", failure_code=None), failed]) == {
        "payment": "succeeded",
        "message": None,
    }


@pytest.mark.parametrize(
    ("reason", "sentence"),
    [
        (Ineligibility(EligibilityRefusal.ORGANISATION_KIND), "Ce programme ne s'adresse pas à ce type de structure."),
        (Ineligibility(EligibilityRefusal.TERRITORY), "Votre commune n'est pas couverte par ce programme."),
        (
            Ineligibility(EligibilityRefusal.SIRET_INVALID),
            "Un numéro SIRET valide (14 chiffres) est nécessaire pour ce programme.",
        ),
        (
            Ineligibility(EligibilityRefusal.SIRET_SHARED),
            "Ce SIRET est déjà utilisé par une autre structure dans ce programme.",
        ),
        (Ineligibility(EligibilityRefusal.LIMIT_REACHED, limit=3), "Ce programme limite à 3 chèque(s) par structure."),
    ],
)
def test_each_eligibility_refusal_has_its_sentence(reason, sentence):
    assert eligibility_message(reason) == sentence
    assert eligibility_messages([reason, reason]) == [sentence, sentence]


def test_every_eligibility_code_is_worded():
    for code in EligibilityRefusal:
        assert eligibility_message(Ineligibility(code, limit=1))


def test_mission_refusals_are_worded():
    assert "gratuite" in mission_refusal_message(MissionRefusal.FREE)
    assert "n'accepte pas" in mission_refusal_message(MissionRefusal.NOT_VOUCHER)
    assert "prix restant" in mission_refusal_message(MissionRefusal.OVER_PRICE)
    assert "déjà couvert" in mission_refusal_message(MissionRefusal.COVERED)
    assert mission_refusal_message(None) == "Cette mission n'est pas financée par chèque, ou elle est terminée."
