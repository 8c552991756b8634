"""In a real headless Chromium, on a phone and on a desktop: sign up as an organisation, confirm the e-mail,
declare the organisation, go through the boussole, post a need. Every page passes the accessibility gate
(tests/browser/a11y.py), whose screenshots are saved under test-artifacts/pages/."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.browser.a11y import audit

pytestmark = pytest.mark.browser


def _confirmation_link(app, email: str) -> str:
    from app.core.mail import OutboxEmail
    from app.extensions import db

    with app.app_context():
        mail = db.session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == email)).first()
        assert mail is not None
        return re.search(r"(https?://\S+/confirmer/\S+)", mail.body).group(1)


def test_sign_up_boussole_and_post_a_need(live_app, any_page):
    page = any_page
    base = live_app.config["LIVE_URL"]
    width = page.viewport_size["width"]
    email = f"marie.dupont.{width}@asso-calanques.example.org"
    title = "Créer notre premier site web"

    page.goto(base + "/")
    audit(page, "accueil")
    page.get_by_role("link", name="J'ai besoin d'aide").click()
    audit(page, "inscription")
    page.get_by_label("Nom et prénom").fill("Marie Dupont")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill("les calanques au printemps")
    page.get_by_label("J'accepte les conditions").check()
    page.get_by_role("button", name="Créer mon compte").click()
    page.get_by_role("heading", name="Vérifiez vos e-mails").wait_for()
    audit(page, "verifiez vos e-mails")

    link = _confirmation_link(live_app, email)
    page.goto(link.replace("http://localhost", base))
    page.get_by_text("Votre adresse est confirmée").wait_for()
    audit(page, "adresse confirmee")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill("les calanques au printemps")
    page.get_by_role("button", name="Se connecter").click()

    audit(page, "espace d'une nouvelle association")
    page.get_by_role("link", name="Décrire mon besoin").first.click()  # first: the structure, then the boussole
    audit(page, "declarer la structure")
    page.get_by_label("Nom de la structure").fill(f"Association Les Calanques Solidaires {width}")
    page.get_by_label("Type de structure").select_option("association")
    page.get_by_label("Taille").select_option("benevoles")
    commune = page.get_by_label("Commune")
    commune.fill("marseil")  # no accent, partial: the autocomplete proposes the commune
    page.locator("#communes-list option").first.wait_for(
        state="attached"
    )  # not wait_for_function: the CSP refuses eval
    commune.fill(page.eval_on_selector("#communes-list option", "o => o.value"))
    page.get_by_role("button", name="Enregistrer").click()

    # The boussole: one question per page.
    page.get_by_text("Qu'est-ce qui vous amène ?").wait_for()
    audit(page, "boussole")
    page.get_by_label("Être visible en ligne").check()
    page.get_by_role("button", name="Suivant").click()
    page.get_by_label("Je n'ai encore rien en ligne").check()
    page.get_by_role("button", name="Suivant").click()
    page.get_by_label("Sur place, dans nos locaux").check()
    page.get_by_role("button", name="Suivant").click()
    page.get_by_label("Avec un chèque d'accompagnement numérique").check()
    page.get_by_role("button", name="Suivant").click()

    # The need form comes prefilled from the answers.
    audit(page, "nouveau besoin")
    assert page.get_by_label("Titre du besoin").input_value() == "Créer notre premier site web"
    assert page.get_by_label("Site web", exact=True).is_checked()
    page.get_by_label("Décrivez votre besoin").fill(
        "Nous n'avons encore aucune présence en ligne. Nous voulons présenter nos maraudes et recruter des bénévoles."
    )
    page.get_by_role("button", name="Publier mon besoin").click()

    page.get_by_text("Votre besoin est publié").wait_for()
    assert page.get_by_role("heading", name=re.compile("Créer notre premier site web")).is_visible()
    assert page.get_by_text("Ouvert").first.is_visible()
    audit(page, "besoin publie")

    from app.extensions import db
    from app.needs.models import Need, NeedStatus

    with live_app.app_context():
        need = db.session.scalars(
            select(Need).where(
                Need.title == title, Need.organisation.has(name=f"Association Les Calanques Solidaires {width}")
            )
        ).one()
        assert need.status == NeedStatus.OPEN
        assert need.skills == ["presence.site_web", "presence.referencement"]
        assert need.funding_mode == "voucher" and need.modality == "on_site"
        assert need.commune.name == "Marseille"
