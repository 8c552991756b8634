"""The facts a legal page's Markdown may insert, and that staff do not write: they are measured or configured.

A body names a fact by its placeholder, alone or in a sentence: `[[name]]`. The page shows the fact, as
Markdown (a list, a link, a date), in the reader's language. The editing form lists these placeholders.
An unknown placeholder stays as written (the preview shows it, so its author sees the typo).

- `[[resultats-des-tests]]`: the automated accessibility gate of the browser tests (tests/browser/a11y.py runs
  the vendored axe-core, tests/browser/vendor/): its tool and version, rules and result. A test checks that
  AXE_CORE_VERSION is the vendored one.
- `[[pages-testees]]`: the pages that gate audits at 390 px and 1280 px (TESTED_PAGES).
- `[[contact-accessibilite]]`: the address where people report an accessibility problem (ACCESSIBILITY_CONTACT).
- `[[contact]]`: the hub's contact address (CONTACT_EMAIL).
- `[[date]]`: the version's publication date.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.legal.models import LegalVersion

AXE_CORE_VERSION = "4.14.1"
TESTED_PAGES = (
    _l("Accueil"),
    _l("Catalogue des offres et recherche"),
    _l("Fiche d'une offre"),
    _l("Annuaire et fiche d'un prestataire"),
    _l("Ressources, fiche d'une ressource et producteurs"),
    _l("Connexion, inscription et mot de passe oublié"),
    _l("Mon espace (structure, prestataire, financeur, producteur, équipe du Hub)"),
    _l("Déclaration d'un besoin (formulaire et boussole)"),
    _l("Propositions et missions"),
    _l("Chèques d'accompagnement et vérification d'un chèque"),
    _l("Espace financeur et page d'un programme"),
    _l("Mes licences et espace producteur"),
    _l("Modération, mise en relation et gestion des financeurs"),
    _l("Formulaires des fiches : structure, prestataire, offre, programme, ressource et producteur"),
    _l("Déclaration d'accessibilité"),
)

PLACEHOLDER = re.compile(r"\[\[([a-z-]+)\]\]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|])")


def _escape(text: str) -> str:
    """A fact's words inside Markdown: no markup of their own."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def _test_results(version: LegalVersion) -> str:
    lines = [
        _(
            "Outil : axe-core %(version)s (Deque Systems), exécuté dans le navigateur Chromium sur chaque page "
            "visitée par les tests de parcours, sur téléphone (390 px de large) et sur ordinateur (1280 px).",
            version=AXE_CORE_VERSION,
        ),
        _(
            "Règles appliquées : toutes les règles d'axe-core pour les WCAG 2.0, 2.1 et 2.2, niveaux A et AA, "
            "et ses bonnes pratiques."
        ),
        _(
            "Vérifications ajoutées, qu'axe-core ne fait pas : chaque lien, bouton et champ mesure au moins "
            "24 × 24 px (WCAG 2.2, critère 2.5.8), aucun attribut ne vaut « None », le texte français d'une "
            "page en anglais est marqué comme tel (attribut lang), aucune page ne défile horizontalement sur "
            "téléphone."
        ),
    ]
    result = _("Résultat : 0 erreur, quel que soit son niveau de gravité, sur les pages testées.")
    return "\n".join(f"- {_escape(line)}" for line in lines) + f"\n- **{_escape(result)}**"


def _tested_pages(version: LegalVersion) -> str:
    return "\n".join(f"- {_escape(page)}" for page in TESTED_PAGES)


def _mail_link(address: str, subject: str = "") -> str:
    query = f"?subject={urllib.parse.quote(subject)}" if subject else ""
    return f"[{_escape(address)}](mailto:{address}{query})"


def _accessibility_contact(version: LegalVersion) -> str:
    return _mail_link(current_app.config["ACCESSIBILITY_CONTACT"], _("Accessibilité du Hub du Sud"))


def _contact(version: LegalVersion) -> str:
    return _mail_link(current_app.config["CONTACT_EMAIL"])


def _date(version: LegalVersion) -> str:
    return _escape(format_date(version.published_at, "long"))


FACTS: dict[str, tuple[Callable[[LegalVersion], str], object]] = {
    "resultats-des-tests": (_test_results, _l("les résultats de la vérification automatique (axe-core)")),
    "pages-testees": (_tested_pages, _l("la liste des pages vérifiées")),
    "contact-accessibilite": (_accessibility_contact, _l("l'adresse où signaler un problème d'accessibilité")),
    "contact": (_contact, _l("l'adresse de contact du Hub")),
    "date": (_date, _l("la date de publication de la version")),
}


def insert_facts(markdown: str, version: LegalVersion, language: str) -> str:
    """The body with each known `[[placeholder]]` replaced by its fact, in `language` (the body's)."""

    def fact(match: re.Match) -> str:
        known = FACTS.get(match.group(1))
        return known[0](version) if known else match.group(0)

    with force_locale(language):
        return PLACEHOLDER.sub(fact, markdown or "")
