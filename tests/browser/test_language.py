"""In Chromium, a visitor and hub staff switch the interface to English with the language button:
what users wrote (titles, descriptions, names) stays French and is marked lang="fr"; the engine's
explanations are in English. axe and the page checks of tests/browser/a11y.py run on every page."""

from __future__ import annotations

import re

import pytest

from tests.browser.a11y import audit
from tests.browser.conftest import confirmed_user, sign_in

pytestmark = pytest.mark.browser

OFFER = "Atelier réseaux sociaux pour commerçants"
NEED = "Faire connaître l'épicerie solidaire"
PROVIDER = "Les Amis du Numérique d'Hyères"


@pytest.fixture(scope="module")
def seeded(live_app) -> dict:
    from app.core.jobs import commit
    from app.core.models import PublicationStatus as PS
    from app.directory.services import create_offer, create_organisation, create_provider, move_offer, move_provider
    from app.matches import runs as match_runs
    from app.needs.services import create_need

    with live_app.app_context():
        user = confirmed_user

        staff = user("langue-equipe@hub.example.org", "Équipe Langues", staff=True)
        provider_user = user("langue-presta@hyeres.example.org", "Paul Presta")
        org_user = user("langue-asso@hyeres.example.org", "Awa Asso")
        provider = create_provider(
            provider_user,
            {
                "name": PROVIDER,
                "kind": "expert_benevole",
                "commune_insee": "83069",
                "radius_km": 30,
                "remote_capable": False,
                "languages": ["fr"],
                "presentation": "Des bénévoles qui aident les commerces du quartier.",
            },
        )
        move_provider(staff, provider, PS.PUBLISHED)
        offer = create_offer(
            provider_user,
            provider,
            {
                "title": OFFER,
                "description": "Deux séances pour ouvrir et animer une page.",
                "category": "atelier",
                "skills": ["presence.reseaux_sociaux"],
                "modality": "on_site",
                "duration_hours": 4,
                "capacity_per_month": 2,
                "price_mode": "volunteer",
                "price_cents": None,
            },
            submit=True,
        )
        move_offer(staff, offer, PS.PUBLISHED)
        org = create_organisation(
            org_user,
            {"name": "Épicerie solidaire des Salins", "kind": "association", "size": "2_9", "commune_insee": "83069"},
        )
        create_need(
            org_user,
            org,
            {
                "title": NEED,
                "description": "Nous voulons être visibles sur les réseaux.",
                "skills": ["presence.reseaux_sociaux"],
                "categories": ["atelier"],
                "commune_insee": "83069",
                "modality": "on_site",
                "funding_mode": "volunteer",
                "contact_name": "Awa Asso",
                "contact_email": "langue-asso@hyeres.example.org",
            },
        )
        commit()
        run = match_runs.start_run(staff, {"skills": 1, "distance": 1, "semantic": 0}, dep_codes=["83"])
        commit()  # in-process jobs: the run is done after the commit
        return {"offer_id": offer.id, "run_id": run.id, "staff": staff.email}


def _to_english(page) -> None:
    """Press the language button (in the menu when the header folds it away)."""
    button = page.get_by_role("button", name="English")
    if not button.is_visible():
        page.get_by_role("button", name=re.compile("menu", re.I)).click()
    button.click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"


def _french_marked(page, text: str) -> None:
    """``text`` is on the page, inside an element marked lang="fr"."""
    node = page.locator("[data-user-content]", has_text=text).first
    node.wait_for()
    assert node.evaluate("el => el.closest('[lang]').getAttribute('lang')") == "fr"


def test_user_content_is_marked_french_in_english_pages(live_app, any_page, seeded):
    page, base = any_page, live_app.config["LIVE_URL"]
    page.goto(f"{base}/offres/{seeded['offer_id']}")
    page.get_by_role("heading", name=OFFER).wait_for()
    assert page.locator("[data-user-content]").count() == 0  # a French page marks nothing
    audit(page, "langue-offre-fr")

    _to_english(page)
    page.get_by_role("heading", name=OFFER).wait_for()  # the same offer, now in an English page
    _french_marked(page, OFFER)
    _french_marked(page, "Deux séances pour ouvrir et animer une page.")
    assert "km around Hyères" in page.inner_text("main")
    audit(page, "langue-offre-en")

    page.get_by_role("link", name=PROVIDER).first.click()
    page.get_by_role("heading", name=PROVIDER).wait_for()
    _french_marked(page, "Des bénévoles qui aident les commerces du quartier.")
    audit(page, "langue-prestataire-en")


def test_staff_read_explanations_in_english(live_app, any_page, seeded):
    page, base = any_page, live_app.config["LIVE_URL"]
    sign_in(page, base, seeded["staff"])
    _to_english(page)
    page.goto(f"{base}/mise-en-relation/runs/{seeded['run_id']}")
    card = page.locator("article.proposal", has_text=NEED)
    card.wait_for()
    why = card.locator("p.why").inner_text()
    assert why.startswith("same municipality; covers: social networks"), why
    assert "couvre" not in why and "bénévole" not in why
    _french_marked(page, NEED)
    audit(page, "langue-execution-en")
