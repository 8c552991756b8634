"""Closed vocabularies of the knowledge base, with their French labels.

Codes are stable (stored in the database, the CSV and JSON dumps, the CSV
import); labels go through the translation catalogues.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.directory.vocab import LANGUAGES  # noqa: F401  (same languages as the directory)

RESOURCE_TYPES = {
    "programme": _l("Programme de formation"),
    "methode": _l("Méthode"),
    "atelier": _l("Support d'atelier"),
    "fiche": _l("Fiche pratique ou tutoriel"),
    "guide": _l("Guide"),
    "communication": _l("Document de communication"),
    "modele": _l("Modèle de projet"),
    "jeu": _l("Jeu ou kit pédagogique"),
    "media": _l("Média (vidéo, podcast)"),
    "etude": _l("Étude ou rapport"),
    "outil": _l("Outil ou logiciel"),
}

THEMES = {
    "demarches": _l("Démarches en ligne et accès aux droits"),
    "premiers_pas": _l("Premiers pas avec le numérique"),
    "materiel": _l("Ordinateur, smartphone et tablette"),
    "internet": _l("Internet et messagerie"),
    "securite": _l("Sécurité et cybermalveillance"),
    "donnees": _l("Données personnelles et vie privée"),
    "reseaux_sociaux": _l("Réseaux sociaux"),
    "parentalite": _l("Parentalité et écrans"),
    "education_medias": _l("Éducation aux médias et à l'information"),
    "ia": _l("Intelligence artificielle"),
    "bureautique": _l("Bureautique"),
    "presence_en_ligne": _l("Présence en ligne (site, fiche, boutique)"),
    "creation": _l("Création de contenus"),
    "libre": _l("Logiciels libres et communs"),
    "sobriete": _l("Numérique responsable"),
    "accessibilite": _l("Accessibilité numérique"),
    "emploi": _l("Emploi et insertion"),
    "gestion_structure": _l("Gestion d'une structure"),
    "tiers_lieux": _l("Tiers-lieux"),
    "mediation": _l("Pratique de la médiation numérique"),
}

AUDIENCES = {
    "mediateurs": _l("Médiateurs et médiatrices numériques"),
    "formateurs": _l("Formateurs et formatrices"),
    "aidants": _l("Aidants numériques et travailleurs sociaux"),
    "grand_public": _l("Grand public"),
    "seniors": _l("Seniors"),
    "jeunes": _l("Jeunes"),
    "familles": _l("Parents et familles"),
    "demandeurs_emploi": _l("Personnes en recherche d'emploi"),
    "handicap": _l("Personnes en situation de handicap"),
    "allophones": _l("Personnes allophones"),
    "associations": _l("Associations"),
    "entreprises": _l("Commerçants, artisans et TPE"),
    "collectivites": _l("Élus et agents des collectivités"),
}

FORMATS = {
    "texte": _l("Document texte"),
    "diaporama": _l("Diaporama"),
    "tableur": _l("Tableur"),
    "image": _l("Image ou affiche"),
    "video": _l("Vidéo"),
    "audio": _l("Audio"),
    "imprimable": _l("Support imprimable"),
    "web": _l("Page ou site web"),
    "logiciel": _l("Logiciel"),
    "archive": _l("Archive de fichiers"),
}

#: The usage licence sold by the producer: an SPDX "LicenseRef-" (a licence that
#: is not on the SPDX list, defined by this platform).
USAGE_LICENCE = "LicenseRef-licence-usage"

LICENCES = {
    "etalab-2.0": _l("Licence Ouverte Etalab 2.0"),
    "CC0-1.0": _l("CC0 1.0 (domaine public)"),
    "CC-BY-4.0": _l("CC BY 4.0 (attribution)"),
    "CC-BY-SA-4.0": _l("CC BY-SA 4.0 (attribution, partage dans les mêmes conditions)"),
    "CC-BY-NC-SA-4.0": _l("CC BY-NC-SA 4.0 (attribution, pas d'usage commercial, partage à l'identique)"),
    USAGE_LICENCE: _l("Licence d'usage vendue par le producteur"),
}

#: Where each free licence is published (schema.org wants `license` as a URL).
LICENCE_URLS = {
    "etalab-2.0": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC-BY-NC-SA-4.0": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
}

PRODUCER_KINDS = {
    "person": _l("Une personne"),
    "structure": _l("Une structure"),
}

LICENCE_OFFER_KINDS = {
    "individuel": _l("Usage individuel"),
    "structure": _l("Usage par une structure"),
    "reseau": _l("Usage par un réseau"),
}

REPORT_REASONS = {
    "inappropriate": _l("Contenu inapproprié"),
    "outdated": _l("Contenu obsolète"),
    "error": _l("Erreur dans le contenu ou les métadonnées"),
    "duplicate": _l("Doublon d'une autre ressource"),
}

#: BCP 47 tags for JSON-LD `inLanguage` (French Sign Language is "fsl").
LANGUAGE_TAGS = {"lsf": "fsl"}


def canonical_licence(value: str | None) -> str | None:
    """An SPDX identifier as we store it, matched case-insensitively (SPDX ids are); None if unknown."""
    wanted = (value or "").strip().lower()
    if wanted in ("licence d'usage", "licence d’usage", "licence-usage", "usage"):
        return USAGE_LICENCE
    for code in LICENCES:
        if code.lower() == wanted:
            return code
    return None
