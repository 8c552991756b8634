"""French messages for the person paying or using a voucher, by stable code.

Stripe decline codes (``card_declined``, ``insufficient_funds``...) and our own
error codes (``PaymentsError.code``) map to one sentence each; the app shows
`message_for(code)` and logs the code. Unknown codes fall back to a generic
sentence rather than leaking an English Stripe message."""

from __future__ import annotations

GENERIC = (
    "Le paiement n'a pas abouti. Aucun montant n'a été débité ; vous pouvez réessayer ou utiliser une autre carte."
)

MESSAGES: dict[str, str] = {
    # Stripe decline and error codes
    "card_declined": "Votre carte a été refusée par votre banque. Aucun montant n'a été débité ; essayez une autre carte.",
    "generic_decline": "Votre carte a été refusée par votre banque. Aucun montant n'a été débité ; essayez une autre carte.",
    "insufficient_funds": "Le solde de votre carte est insuffisant. Aucun montant n'a été débité.",
    "lost_card": "Cette carte a été déclarée perdue. Utilisez une autre carte.",
    "stolen_card": "Cette carte a été déclarée volée. Utilisez une autre carte.",
    "expired_card": "Votre carte a expiré. Utilisez une autre carte.",
    "incorrect_cvc": "Le cryptogramme (CVC) est incorrect.",
    "incorrect_number": "Le numéro de carte est incorrect.",
    "invalid_expiry_month": "Le mois d'expiration de la carte est invalide.",
    "invalid_expiry_year": "L'année d'expiration de la carte est invalide.",
    "processing_error": "Une erreur est survenue chez la banque. Réessayez dans quelques instants.",
    "authentication_required": "Votre banque demande une authentification (3-D Secure). Validez le paiement dans la fenêtre de votre banque.",
    "payment_intent_authentication_failure": "L'authentification 3-D Secure a échoué ou a été annulée. Aucun montant n'a été débité.",
    "requires_action": "Votre banque demande une authentification (3-D Secure) pour finaliser le paiement.",
    "processing": "Le paiement est en cours de traitement ; vous recevrez une confirmation.",
    "canceled": "Le paiement a été annulé. Aucun montant n'a été débité.",
    # Our own error codes
    "gateway_error": "Le service de paiement a renvoyé une erreur. Réessayez dans quelques instants.",
    "gateway_unavailable": "Le service de paiement est momentanément injoignable. Réessayez dans quelques instants.",
    "refund_too_large": "Le remboursement dépasse le montant encore remboursable.",
    "voucher_code_invalid": "Ce code de chèque est invalide : vérifiez chaque caractère (une faute de frappe est probable).",
    "voucher_not_found": "Aucun chèque ne porte ce code.",
    "voucher_already_redeemed": "Ce chèque a déjà été utilisé.",
    "voucher_already_reserved": "Ce chèque est déjà réservé pour une autre mission.",
    "voucher_not_reserved": "Ce chèque n'est pas réservé pour une mission.",
    "voucher_blocked": "Ce chèque arrive à expiration et ne peut plus être réservé.",
    "voucher_expired": "Ce chèque a expiré.",
    "voucher_not_yet_valid": "Ce chèque n'est pas encore valable.",
    "voucher_wrong_reservation": "Ce chèque est réservé pour une autre mission.",
    "voucher_not_for_mission": "Ce chèque ne peut pas payer cette mission : l'offre est gratuite, n'accepte pas les chèques, ou son prix est déjà couvert.",
    "voucher_illegal_move": "Cette opération n'est pas possible pour ce chèque dans son état actuel.",
    "programme_not_funded": "Le programme n'est pas encore financé : aucun chèque ne peut être émis avant la réception du paiement.",
    "programme_insufficient_funds": "Le budget restant du programme ne permet pas d'émettre ces chèques.",
    "programme_not_eligible": "Votre structure ne remplit pas les conditions de ce programme.",
}


def message_for(code: str | None) -> str:
    """The French sentence for a Stripe decline code or a `PaymentsError.code`."""
    if not code:
        return GENERIC
    return MESSAGES.get(code, GENERIC)
