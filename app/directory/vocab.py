"""Closed vocabularies of the directory, with their French labels.

Codes are stable (stored in the database and the API); labels go through the
translation catalogues.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ORGANISATION_KINDS = {
    "association": _l("Association"),
    "commerce": _l("Commerce"),
    "tpe": _l("TPE (moins de 10 salariés)"),
    "pme": _l("PME"),
    "artisan": _l("Artisan"),
    "profession_liberale": _l("Profession libérale"),
    "commune": _l("Commune ou village"),
    "ong": _l("ONG"),
    "compagnie_artistique": _l("Compagnie artistique"),
}

ORGANISATION_SIZES = {
    "solo": _l("1 personne"),
    "2_9": _l("2 à 9 personnes"),
    "10_49": _l("10 à 49 personnes"),
    "50_249": _l("50 à 249 personnes"),
    "benevoles": _l("Uniquement des bénévoles"),
}

PROVIDER_KINDS = {
    "expert_benevole": _l("Expert·e bénévole"),
    "mediateur": _l("Médiateur·rice numérique"),
    "equipe_mediation": _l("Équipe de médiation numérique"),
    "tiers_lieu": _l("Tiers-lieu"),
    "expert_libre": _l("Expert·e du Libre"),
    "entreprise": _l("Entreprise ou indépendant·e du numérique"),
}

OFFER_CATEGORIES = {
    "atelier": _l("Atelier"),
    "audit": _l("Audit"),
    "conseil": _l("Conseil"),
    "installation": _l("Installation"),
    "formation": _l("Formation"),
    "conference": _l("Conférence"),
    "transfert": _l("Transfert de savoir-faire"),
    "tiers_lieu": _l("Accompagnement à la création de tiers-lieu"),
    "espace": _l("Espace ou équipement"),
}

MODALITIES = {
    "on_site": _l("Sur place"),
    "remote": _l("À distance"),
    "both": _l("Sur place ou à distance"),
}

PRICE_MODES = {
    "volunteer": _l("Bénévole (gratuit)"),
    "voucher": _l("Chèque d'accompagnement numérique"),
    "paid": _l("Payant"),
}

LANGUAGES = {
    "fr": _l("Français"),
    "en": _l("Anglais"),
    "es": _l("Espagnol"),
    "it": _l("Italien"),
    "ar": _l("Arabe"),
    "oc": _l("Occitan"),
    "de": _l("Allemand"),
    "lsf": _l("Langue des signes française"),
}


def choices(vocab: dict) -> list[tuple[str, str]]:
    return list(vocab.items())


def label(vocab: dict, code: str | None) -> str:
    return str(vocab.get(code, code or ""))
