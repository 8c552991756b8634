"""The sentences the payer reads, by the payments library's codes (`payments.codes.PaymentFailure`:
Stripe's decline codes, the PaymentIntent statuses worth a word, ``PaymentsError.code``). The library
answers codes; the app words them here, in French first, through gettext. An unknown code (Stripe
adds some) gets the generic sentence rather than an English Stripe message."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from payments.codes import PaymentFailure, PaymentStatus

GENERIC = _l(
    "Le paiement n'a pas abouti. Aucun montant n'a été débité ; vous pouvez réessayer ou utiliser une autre carte."
)

MESSAGES = {
    PaymentFailure.CARD_DECLINED: _l(
        "Votre carte a été refusée par votre banque. Aucun montant n'a été débité ; essayez une autre carte."
    ),
    PaymentFailure.GENERIC_DECLINE: _l(
        "Votre carte a été refusée par votre banque. Aucun montant n'a été débité ; essayez une autre carte."
    ),
    PaymentFailure.INSUFFICIENT_FUNDS: _l("Le solde de votre carte est insuffisant. Aucun montant n'a été débité."),
    PaymentFailure.LOST_CARD: _l("Cette carte a été déclarée perdue. Utilisez une autre carte."),
    PaymentFailure.STOLEN_CARD: _l("Cette carte a été déclarée volée. Utilisez une autre carte."),
    PaymentFailure.EXPIRED_CARD: _l("Votre carte a expiré. Utilisez une autre carte."),
    PaymentFailure.INCORRECT_CVC: _l("Le cryptogramme (CVC) est incorrect."),
    PaymentFailure.INCORRECT_NUMBER: _l("Le numéro de carte est incorrect."),
    PaymentFailure.INVALID_EXPIRY_MONTH: _l("Le mois d'expiration de la carte est invalide."),
    PaymentFailure.INVALID_EXPIRY_YEAR: _l("L'année d'expiration de la carte est invalide."),
    PaymentFailure.PROCESSING_ERROR: _l("Une erreur est survenue chez la banque. Réessayez dans quelques instants."),
    PaymentFailure.AUTHENTICATION_REQUIRED: _l(
        "Votre banque demande une authentification (3-D Secure). Validez le paiement dans la fenêtre de votre banque."
    ),
    PaymentFailure.AUTHENTICATION_FAILURE: _l(
        "L'authentification 3-D Secure a échoué ou a été annulée. Aucun montant n'a été débité."
    ),
    PaymentFailure.REQUIRES_ACTION: _l(
        "Votre banque demande une authentification (3-D Secure) pour finaliser le paiement."
    ),
    PaymentFailure.PROCESSING: _l("Le paiement est en cours de traitement ; vous recevrez une confirmation."),
    PaymentFailure.CANCELED: _l("Le paiement a été annulé. Aucun montant n'a été débité."),
    PaymentFailure.GATEWAY_ERROR: _l("Le service de paiement a renvoyé une erreur. Réessayez dans quelques instants."),
    PaymentFailure.GATEWAY_UNAVAILABLE: _l(
        "Le service de paiement est momentanément injoignable. Réessayez dans quelques instants."
    ),
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


def payment_message(code: str | None) -> str:
    """The French sentence (translated) for a `PaymentFailure` code; the generic one otherwise."""
    return str(MESSAGES.get(code, GENERIC)) if code else str(GENERIC)


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
