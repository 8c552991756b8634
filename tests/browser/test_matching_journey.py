"""In a real headless Chromium, on a phone and on a desktop: hub staff start a run and approve a proposal; the
provider accepts; both sides confirm completion, the organisation sees its provider's contact and sends its
feedback without a comment (an optional field). Every page visited passes the accessibility gate (axe-core and
the checks of tests/browser/a11y.py); screenshots are saved under test-artifacts/."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser.a11y import audit
from tests.browser.conftest import ARTIFACTS, confirmed_user, nav_link, sign_in, sign_out

pytestmark = pytest.mark.browser


# Each width runs in its own département, so that the engine pairs each need with its own run's offer.
PLACES = {
    "w390": {"org": "83137", "provider": "83069", "departement": "83 — Var"},  # Toulon, Hyères
    "w1280": {"org": "84007", "provider": "84031", "departement": "84 — Vaucluse"},  # Avignon, Carpentras
}


def _seed(app, tag: str, places: dict) -> dict:
    """Users, an offer and a need of their own for one run of the journey (`tag`: the screen width)."""
    from app.core.jobs import commit
    from app.core.models import PublicationStatus as PS
    from app.directory.services import create_offer, create_organisation, create_provider, move_offer, move_provider
    from app.needs.services import create_need

    with app.app_context():
        user = confirmed_user

        staff = user(f"equipe-{tag}@hub.example.org", "Inès Équipe", staff=True)
        org_user = user(f"cabinet-{tag}@toulon.example.org", "Dr Laure Martin")
        provider_user = user(f"cyber-{tag}@var.example.org", "Karim Cyber")
        org = create_organisation(
            org_user,
            {
                "name": f"Cabinet infirmier du Mourillon {tag}",
                "kind": "profession_liberale",
                "size": "2_9",
                "commune_insee": places["org"],
            },
        )
        provider = create_provider(
            provider_user,
            {
                "name": f"Cyber Var Solidaire {tag}",
                "kind": "expert_benevole",
                "commune_insee": places["provider"],
                "radius_km": 40,
                "remote_capable": False,
                "languages": ["fr"],
                "presentation": "Sécurité informatique.",
            },
        )
        move_provider(staff, provider, PS.PUBLISHED)
        offer = create_offer(
            provider_user,
            provider,
            {
                "title": f"Audit de sécurité de vos postes {tag}",
                "description": "Un diagnostic et un plan d'action.",
                "category": "audit",
                "skills": ["securite.cybersecurite", "securite.sauvegarde"],
                "modality": "on_site",
                "duration_hours": 3,
                "capacity_per_month": 2,
                "price_mode": "volunteer",
                "price_cents": None,
            },
            submit=True,
        )
        move_offer(staff, offer, PS.PUBLISHED)
        create_need(
            org_user,
            org,
            {
                "title": f"Protéger les dossiers de nos patients {tag}",
                "description": "Trois postes.",
                "skills": ["securite.cybersecurite"],
                "categories": ["audit"],
                "commune_insee": places["org"],
                "modality": "on_site",
                "funding_mode": "volunteer",
                "contact_name": "Laure Martin",
                "contact_email": f"cabinet-{tag}@toulon.example.org",
            },
        )
        commit()
    return {
        "staff": f"equipe-{tag}@hub.example.org",
        "org": f"cabinet-{tag}@toulon.example.org",
        "provider": f"cyber-{tag}@var.example.org",
    }


def test_run_approve_accept_and_complete(live_app, any_page):
    page = any_page
    base = live_app.config["LIVE_URL"]
    tag = f"w{page.viewport_size['width']}"
    who = _seed(live_app, tag, PLACES[tag])
    need, offer = f"Protéger les dossiers de nos patients {tag}", f"Audit de sécurité de vos postes {tag}"
    ARTIFACTS.mkdir(exist_ok=True)

    sign_in(page, base, who["staff"])
    nav_link(page, "Mise en relation").click()
    audit(page, "mise en relation (formulaire)")
    page.get_by_label("Proximité des descriptions (IA)").fill("0")  # keep the browser test fast
    page.get_by_label(PLACES[tag]["departement"]).check()
    page.get_by_role("button", name="Lancer la mise en relation").click()
    card = page.locator("article.proposal", has_text=need)
    card.wait_for()
    assert offer in card.inner_text()
    assert "couvre : cybersécurité" in card.inner_text()
    audit(page, "mise en relation (propositions)")
    card.get_by_role("button", name="Approuver et envoyer").click()
    page.get_by_text("approuvée et envoyée au prestataire").wait_for()
    sign_out(page)

    sign_in(page, base, who["provider"])
    audit(page, "espace prestataire")
    nav_link(page, "Propositions").click()
    page.get_by_text(need).wait_for()
    audit(page, "propositions du prestataire")
    page.locator("article", has_text=need).get_by_role("button", name="Accepter la mission").click()
    page.get_by_text("Mission acceptée").wait_for()
    audit(page, "mission acceptée (prestataire)")
    # the contact of the organisation is given to the provider once the mission is accepted
    assert who["org"] in page.locator("main").inner_text()
    page.get_by_role("button", name="Confirmer la réalisation").click()
    page.get_by_text("Mission mise à jour").wait_for()
    sign_out(page)

    sign_in(page, base, who["org"])
    nav_link(page, "Missions").click()
    audit(page, "missions de la structure")
    page.get_by_role("link", name=need).click()
    assert who["provider"] in page.locator("main").inner_text()  # and the provider's contact to the organisation
    page.get_by_role("button", name="Confirmer la réalisation").click()
    page.get_by_text("Réalisée").first.wait_for()
    audit(page, "mission réalisée (structure)")
    page.get_by_label("5", exact=True).check()
    assert page.get_by_label("Votre commentaire").input_value() == ""  # optional: sent empty
    page.get_by_role("button", name="Envoyer mon avis").click()
    page.get_by_text("Merci pour votre avis").wait_for()
    audit(page, "avis envoyé")

    from app.extensions import db
    from app.matches.models import Mission, MissionStatus

    with live_app.app_context():
        # this journey's mission (other browser modules share the live database)
        mission = db.session.scalars(select(Mission).where(Mission.need.has(title=need))).one()
        assert mission.status == MissionStatus.DONE
        assert [(f.rating, f.comment or "") for f in mission.feedback] == [(5, "")]
