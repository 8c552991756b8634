"""The sentences of the vouchers domain, by the payments library's codes: why an organisation may
not receive a programme's vouchers (`payments.codes.EligibilityRefusal`) and why a voucher may not
pay for a mission (`payments.codes.MissionRefusal`). The library judges and answers codes; the app
words them here, French first, through gettext. Adding an eligibility rule: its code in
`payments.codes`, its test in `payments.rules.eligibility_problems`, its sentence here."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _

from payments.codes import EligibilityRefusal, Ineligibility, MissionRefusal


def eligibility_message(reason: Ineligibility) -> str:
    """The French sentence (translated) of one eligibility refusal."""
    code = reason.code
    if code == EligibilityRefusal.ORGANISATION_KIND:
        return _("Ce programme ne s'adresse pas à ce type de structure.")
    if code == EligibilityRefusal.TERRITORY:
        return _("Votre commune n'est pas couverte par ce programme.")
    if code == EligibilityRefusal.SIRET_INVALID:
        return _("Un numéro SIRET valide (14 chiffres) est nécessaire pour ce programme.")
    if code == EligibilityRefusal.SIRET_SHARED:
        return _("Ce SIRET est déjà utilisé par une autre structure dans ce programme.")
    if code == EligibilityRefusal.LIMIT_REACHED:
        return _("Ce programme limite à %(n)d chèque(s) par structure.", n=reason.limit or 0)
    raise ValueError(f"no sentence for eligibility code {code!r}")  # a new code needs its sentence here


def eligibility_messages(reasons: Iterable[Ineligibility]) -> list[str]:
    return [eligibility_message(reason) for reason in reasons]


def mission_refusal_message(code: str | None) -> str:
    """The French sentence of a `payments.codes.MissionRefusal` (a generic one for None)."""
    if code == MissionRefusal.FREE:
        return _("Cette mission porte sur une offre gratuite : aucun chèque n'est utilisé.")
    if code == MissionRefusal.NOT_VOUCHER:
        return _("L'offre de cette mission n'accepte pas les chèques d'accompagnement numérique.")
    if code == MissionRefusal.OVER_PRICE:
        return _("Aucun de vos chèques ne tient dans le prix restant de la prestation.")
    if code == MissionRefusal.COVERED:
        return _("Le prix de cette mission est déjà couvert par chèque.")
    return _("Cette mission n'est pas financée par chèque, ou elle est terminée.")
