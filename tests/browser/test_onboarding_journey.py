"""A new association's first minutes, in Chromium, on a phone and on a desktop: from the front page to
sign-up (what it comes for is already chosen; the terms are a page), the confirmation link read from the
outbox, login, and its space offering "Décrire mon besoin" first and nothing that is not for it.
axe-core and the checks of tests/browser/a11y.py run on every page visited. No request of the whole journey
leaves 127.0.0.1 (no third party: issue 18)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.browser.a11y import audit

pytestmark = pytest.mark.browser

PASSWORD = "les jardins de la treille"


def confirmation_link(app, email: str) -> str:
    from app.core.mail import OutboxEmail
    from app.extensions import db

    with app.app_context():
        mail = db.session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == email)).first()
        assert mail is not None, f"no confirmation e-mail to {email}"
        return re.search(r"https?://\S+(/confirmer/\S+)", mail.body).group(1)


def test_a_new_association_signs_up_and_is_offered_to_describe_its_need(live_app, any_page):
    page, base = any_page, live_app.config["LIVE_URL"]
    width = page.viewport_size["width"]
    email = f"martine.{width}@jardins-treille.example.org"
    outside: list[str] = []  # every request the browser makes elsewhere than this machine
    page.on(
        "request",
        lambda request: (
            None
            if urlsplit(request.url).hostname == "127.0.0.1" or request.url.startswith(("data:", "blob:"))
            else outside.append(request.url)
        ),
    )

    page.goto(base + "/")
    audit(page, "onboarding accueil")
    page.get_by_role("link", name="J'ai besoin d'aide").click()

    page.get_by_role("heading", name="Créer un compte").wait_for()
    assert page.get_by_label("Une association ou une petite structure").is_checked()
    audit(page, "onboarding inscription")

    # The terms are a real page, linked from the checkbox: the version in force, with its number and date.
    page.locator("main").get_by_role("link", name="conditions d'utilisation").click()
    page.get_by_role("heading", name="Conditions d'utilisation", level=1).wait_for()
    assert "Version 1, en vigueur depuis le" in page.locator("main").inner_text()
    audit(page, "onboarding conditions")
    page.go_back()

    # One submit with every mistake: every error at once.
    page.get_by_label("Adresse e-mail").fill("pas-une-adresse")
    page.get_by_label("Mot de passe").fill("court")
    page.get_by_role("button", name="Créer mon compte").click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    for message in (
        "Indiquez votre nom.",
        "Adresse e-mail invalide.",
        "au moins 10 caractères",
        "accepter les conditions",
    ):
        assert message in summary.inner_text(), message
    audit(page, "onboarding inscription erreurs")

    page.get_by_label("Nom et prénom").fill("Martine Carbonel")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_label("J'accepte les").check()
    page.get_by_role("button", name="Créer mon compte").click()
    page.get_by_role("heading", name="Vérifiez vos e-mails").wait_for()
    audit(page, "onboarding verifiez vos e-mails")

    # Logging in before confirming: one clear refusal.
    page.goto(base + "/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.locator(".error-summary").wait_for()
    assert page.get_by_text("Confirmez d'abord votre adresse e-mail").count() == 1
    audit(page, "onboarding connexion non confirmee")

    page.goto(base + confirmation_link(live_app, email))
    page.get_by_text("Votre adresse est confirmée").wait_for()
    audit(page, "onboarding connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.get_by_role("heading", name="Bonjour Martine Carbonel").wait_for()
    main = page.locator("main")
    first_button = main.locator("a.button, button.button").first
    assert first_button.inner_text().strip() == "Décrire mon besoin"
    text = main.inner_text()
    for absent in ("Créer ma fiche prestataire", "Créer un jeton", "Créer un programme"):
        assert absent not in text, absent
    audit(page, "onboarding mon espace")

    first_button.click()
    page.get_by_role("heading", name=re.compile("structure", re.I)).first.wait_for()
    assert page.get_by_label("Nom de la structure").is_visible()
    audit(page, "onboarding ma structure")
    assert outside == [], f"requests to another site: {outside}"
