"""What the privacy policy page says, built from the register (French and English) and from what
the app really does (its cookies, its throttling by IP address)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.privacy.register import register

LEGAL_BASIS_LABELS = {
    "contract": _l("Exécution du contrat (les conditions d'utilisation du service) — RGPD, art. 6.1.b"),
    "consent": _l("Votre consentement, que vous pouvez retirer à tout moment — RGPD, art. 6.1.a"),
    "legal_obligation": _l("Obligation légale — RGPD, art. 6.1.c"),
    "public_task": _l("Mission d'intérêt public — RGPD, art. 6.1.e"),
    "legitimate_interest": _l("Intérêt légitime du Hub — RGPD, art. 6.1.f"),
}


@dataclass(frozen=True)
class Cookie:
    name: str
    purpose: str
    lifetime: str


def cookies() -> list[Cookie]:
    """Every cookie the app sets (tests/privacy checks the list against real responses)."""
    config = current_app.config
    remember_days = config.get("REMEMBER_COOKIE_DURATION")
    days = remember_days.days if remember_days is not None else 365  # Flask-Login's default
    return [
        Cookie(
            config.get("SESSION_COOKIE_NAME") or "session",
            str(
                _l(
                    "Votre session : la connexion à votre compte, le jeton anti-falsification des formulaires (CSRF), "
                    "la langue choisie et les messages affichés une fois."
                )
            ),
            str(_l("Jusqu'à la fermeture du navigateur.")),
        ),
        Cookie(
            config.get("REMEMBER_COOKIE_NAME") or "remember_token",
            str(_l("Seulement si vous cochez « Rester connecté·e » : vous garder connecté·e sur cet appareil.")),
            str(_l("%(days)d jours, ou jusqu'à la déconnexion.", days=days)),
        ),
    ]


def policy_context(locale: str) -> dict:
    reg = register()
    return {
        "register": reg,
        "locale": "en" if locale.startswith("en") else "fr",
        "legal_basis_labels": LEGAL_BASIS_LABELS,
        "cookies": cookies(),
        "contact": current_app.config.get("PRIVACY_CONTACT", ""),
    }
