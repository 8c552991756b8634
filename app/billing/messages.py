"""The sentences the payer reads, by the payments library's codes (`payments.codes.PaymentFailure`:
Stripe's decline codes, the PaymentIntent statuses worth a word, ``PaymentsError.code``). The library
answers codes; the app words them here, in French first, through gettext. An unknown code (Stripe
adds some) gets the generic sentence rather than an English Stripe message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from payments.codes import PaymentFailure, PaymentStatus

GENERIC = _l(
    "Le paiement n'a pas abouti. Aucun montant n'a été débité ; vous pouvez réessayer ou utiliser une autre carte."
)

# The card errors, in one place: what happened and what to do, by Stripe's decline code, error code,
# or error type (Stripe.js in the page and the API on the server give the same codes). The payment
# pages get this table (`card_error_messages`) and pick a sentence by the same rule as
# `card_error_key`; the server words a failed PaymentIntent by its decline code through
# `payment_message`.
_DECLINED = _l("Votre carte a été refusée par votre banque. Aucun montant n'a été débité ; essayez une autre carte.")
_BANK_REFUSED = _l(
    "Votre banque a refusé ce paiement sans en donner la raison. Aucun montant n'a été débité : "
    "essayez une autre carte ou appelez votre banque."
)
_NOT_ALLOWED = _l(
    "Votre banque n'autorise pas ce type de paiement avec cette carte (paiement en ligne ou plafond). "
    "Aucun montant n'a été débité : utilisez une autre carte ou autorisez le paiement dans l'application de votre banque."
)
_AUTH_FAILED = _l(
    "L'authentification 3-D Secure a échoué ou a été annulée. Aucun montant n'a été débité : "
    "cliquez de nouveau sur « Payer » et validez la demande de votre banque, ou utilisez une autre carte."
)
_NUMBER = _l("Le numéro de carte est incorrect : corrigez-le, puis cliquez de nouveau sur « Payer ».")
_EXPIRY = _l("La date d'expiration de la carte est incorrecte : corrigez-la, puis cliquez de nouveau sur « Payer ».")
_CVC = _l(
    "Le cryptogramme (les 3 chiffres au dos de la carte) est incorrect : corrigez-le, "
    "puis cliquez de nouveau sur « Payer »."
)
_INCOMPLETE = _l(
    "Les informations de la carte sont incomplètes : indiquez le numéro, la date d'expiration et le cryptogramme."
)
_PROCESSING_ERROR = _l(
    "Une erreur est survenue chez la banque pendant le paiement. Aucun montant n'a été débité : "
    "réessayez dans quelques instants."
)
_TOO_MANY = _l("Trop de tentatives de paiement en peu de temps. Attendez une minute, puis réessayez.")
_UNAVAILABLE = _l("Le service de paiement est momentanément injoignable. Réessayez dans quelques instants.")

MESSAGES = {
    PaymentFailure.CARD_DECLINED: _DECLINED,
    PaymentFailure.GENERIC_DECLINE: _BANK_REFUSED,
    PaymentFailure.INSUFFICIENT_FUNDS: _l(
        "Le solde ou le plafond de votre carte est insuffisant pour ce montant. Aucun montant n'a été débité : "
        "utilisez une autre carte, ou réessayez après avoir relevé votre plafond auprès de votre banque."
    ),
    PaymentFailure.LOST_CARD: _l(
        "Cette carte a été déclarée perdue : la banque refuse tout paiement. Aucun montant n'a été débité ; "
        "utilisez une autre carte."
    ),
    PaymentFailure.STOLEN_CARD: _l(
        "Cette carte a été déclarée volée : la banque refuse tout paiement. Aucun montant n'a été débité ; "
        "utilisez une autre carte."
    ),
    PaymentFailure.EXPIRED_CARD: _l(
        "Cette carte a expiré. Aucun montant n'a été débité : vérifiez la date d'expiration ou utilisez une autre carte."
    ),
    PaymentFailure.INCORRECT_CVC: _CVC,
    PaymentFailure.INCORRECT_NUMBER: _NUMBER,
    PaymentFailure.INVALID_EXPIRY_MONTH: _EXPIRY,
    PaymentFailure.INVALID_EXPIRY_YEAR: _EXPIRY,
    PaymentFailure.PROCESSING_ERROR: _PROCESSING_ERROR,
    PaymentFailure.AUTHENTICATION_REQUIRED: _l(
        "Votre banque demande une authentification (3-D Secure). Validez le paiement dans la fenêtre de votre banque."
    ),
    PaymentFailure.AUTHENTICATION_FAILURE: _AUTH_FAILED,
    PaymentFailure.REQUIRES_ACTION: _l(
        "Votre banque demande une authentification (3-D Secure) pour finaliser le paiement."
    ),
    PaymentFailure.PROCESSING: _l("Le paiement est en cours de traitement ; vous recevrez une confirmation."),
    PaymentFailure.CANCELED: _l("Le paiement a été annulé. Aucun montant n'a été débité."),
    PaymentFailure.GATEWAY_ERROR: _l("Le service de paiement a renvoyé une erreur. Réessayez dans quelques instants."),
    PaymentFailure.GATEWAY_UNAVAILABLE: _UNAVAILABLE,
    PaymentFailure.REFUND_TOO_LARGE: _l("Le remboursement dépasse le montant encore remboursable."),
    PaymentFailure.VOUCHER_CODE_INVALID: _l(
        "Ce code de chèque est invalide : vérifiez chaque caractère (une faute de frappe est probable)."
    ),
    PaymentFailure.VOUCHER_NOT_FOUND: _l("Aucun chèque ne porte ce code."),
    PaymentFailure.VOUCHER_ALREADY_REDEEMED: _l("Ce chèque a déjà été utilisé."),
    PaymentFailure.VOUCHER_ALREADY_RESERVED: _l("Ce chèque est déjà réservé pour une autre mission."),
    PaymentFailure.VOUCHER_NOT_RESERVED: _l("Ce chèque n'est pas réservé pour une mission."),
    PaymentFailure.VOUCHER_BLOCKED: _l("Ce chèque arrive à expiration et ne peut plus être réservé."),
    PaymentFailure.VOUCHER_EXPIRED: _l("Ce chèque a expiré."),
    PaymentFailure.VOUCHER_NOT_YET_VALID: _l("Ce chèque n'est pas encore valable."),
    PaymentFailure.VOUCHER_WRONG_RESERVATION: _l("Ce chèque est réservé pour une autre mission."),
    PaymentFailure.VOUCHER_NOT_FOR_MISSION: _l(
        "Ce chèque ne peut pas payer cette mission : l'offre est gratuite, n'accepte pas les chèques, ou son prix est déjà couvert."
    ),
    PaymentFailure.VOUCHER_ILLEGAL_MOVE: _l("Cette opération n'est pas possible pour ce chèque dans son état actuel."),
    PaymentFailure.PROGRAMME_NOT_FUNDED: _l(
        "Le programme n'est pas encore financé : aucun chèque ne peut être émis avant la réception du paiement."
    ),
    PaymentFailure.PROGRAMME_INSUFFICIENT_FUNDS: _l(
        "Le budget restant du programme ne permet pas d'émettre ces chèques."
    ),
    PaymentFailure.PROGRAMME_NOT_ELIGIBLE: _l("Votre structure ne remplit pas les conditions de ce programme."),
}


#: Stripe's other card codes (decline codes, Stripe.js and API error codes, error types), worded
#: by the sentences above.
CARD_CODES = {
    # decline codes (https://docs.stripe.com/declines/codes)
    "do_not_honor": _BANK_REFUSED,
    "do_not_try_again": _BANK_REFUSED,
    "call_issuer": _BANK_REFUSED,
    "fraudulent": _BANK_REFUSED,
    "pickup_card": _BANK_REFUSED,
    "restricted_card": _BANK_REFUSED,
    "security_violation": _BANK_REFUSED,
    "service_not_allowed": _NOT_ALLOWED,
    "transaction_not_allowed": _NOT_ALLOWED,
    "card_not_supported": _NOT_ALLOWED,
    "currency_not_supported": _NOT_ALLOWED,
    "card_velocity_exceeded": _NOT_ALLOWED,
    "withdrawal_count_limit_exceeded": _NOT_ALLOWED,
    "invalid_amount": _NOT_ALLOWED,
    "invalid_account": _NUMBER,
    "invalid_cvc": _CVC,
    "invalid_number": _NUMBER,
    "invalid_expiry_year_past": _EXPIRY,
    "incomplete_number": _INCOMPLETE,
    "incomplete_expiry": _INCOMPLETE,
    "incomplete_cvc": _INCOMPLETE,
    "incomplete_zip": _INCOMPLETE,
    "try_again_later": _PROCESSING_ERROR,
    "reenter_transaction": _PROCESSING_ERROR,
    "issuer_not_available": _PROCESSING_ERROR,
    "approve_with_id": _PROCESSING_ERROR,
    # the 3-D Secure outcome of a card saved (SetupIntent) or a payment (PaymentIntent)
    "setup_intent_authentication_failure": _AUTH_FAILED,
    "authentication_failure": _AUTH_FAILED,
    # error types and codes that are not the card's fault
    "rate_limit": _TOO_MANY,
    "rate_limit_error": _TOO_MANY,
    "api_connection_error": _UNAVAILABLE,
    "api_error": _PROCESSING_ERROR,
    "card_error": _DECLINED,
}

#: Words of an error that names no code: localstripe's stand-in of Stripe.js says only "…because
#: authentication failed." when 3-D Secure is cancelled while the card is saved.
_AUTHENTICATION_WORDS = "authenticat"


#: The `PaymentFailure` codes that are about the card (the others are vouchers' and the gateway's).
CARD_FAILURES = (
    PaymentFailure.CARD_DECLINED,
    PaymentFailure.GENERIC_DECLINE,
    PaymentFailure.INSUFFICIENT_FUNDS,
    PaymentFailure.LOST_CARD,
    PaymentFailure.STOLEN_CARD,
    PaymentFailure.EXPIRED_CARD,
    PaymentFailure.INCORRECT_CVC,
    PaymentFailure.INCORRECT_NUMBER,
    PaymentFailure.INVALID_EXPIRY_MONTH,
    PaymentFailure.INVALID_EXPIRY_YEAR,
    PaymentFailure.PROCESSING_ERROR,
    PaymentFailure.AUTHENTICATION_FAILURE,
)


def card_error_key(error: Mapping[str, Any] | None) -> str:
    """The key of ``error`` (a Stripe error as Stripe.js or the API gives it: ``decline_code``,
    ``code``, ``type``, ``message``) in `card_error_messages`: its decline code if worded, else its
    code, else a cancelled 3-D Secure told only in words, else its type, else ``"default"``.
    `app/static/card-pay.js` applies the same rule in the page."""
    error = error or {}
    for name in ("decline_code", "code"):
        key = error.get(name)
        if key and (key in MESSAGES or key in CARD_CODES):
            return str(key)
    if not error.get("code") and _AUTHENTICATION_WORDS in str(error.get("message") or "").lower():
        return "authentication_failure"
    key = error.get("type")
    if key and key in CARD_CODES:
        return str(key)
    return "default"


def card_error_messages() -> dict[str, str]:
    """Every card sentence by its key (translated): the table the payment pages get (JSON)."""
    table = {str(code): str(MESSAGES[code]) for code in CARD_FAILURES}
    table.update({code: str(message) for code, message in CARD_CODES.items()})
    table["default"] = str(GENERIC)
    return table


def card_error_message(error: Mapping[str, Any] | None) -> str:
    """The sentence for a Stripe card error (see `card_error_key`)."""
    return card_error_messages()[card_error_key(error)]


def payment_message(code: str | None) -> str:
    """The French sentence (translated) for a `PaymentFailure` code or another Stripe card code;
    the generic one otherwise."""
    if not code:
        return str(GENERIC)
    return str(MESSAGES.get(code) or CARD_CODES.get(code) or GENERIC)


def info_message(info) -> str | None:
    """What to tell the payer about a PaymentIntent (`payments.interface.PaymentIntentInfo`), or None."""
    code = info.message_code
    return payment_message(code) if code else None


def payment_state(payments: list) -> dict:
    """The status of the latest of ``payments`` (newest first) and, when it failed, why: what the
    payment pages poll while the webhook is on its way."""
    latest = payments[0] if payments else None
    return {
        "payment": latest.status if latest else None,
        "message": payment_message(latest.failure_code)
        if latest is not None and latest.status == PaymentStatus.FAILED
        else None,
    }
