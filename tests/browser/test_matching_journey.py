"""In a real headless Chromium: hub staff start a run and approve a proposal; the
provider accepts; both sides confirm completion. Saves screenshots."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser.conftest import ARTIFACTS, PASSWORD, nav_link, sign_in, sign_out

pytestmark = pytest.mark.browser


def _seed(app) -> dict:
    from app.accounts.models import User
    from app.accounts.services import hash_password
    from app.core.jobs import commit
    from app.core.models import PublicationStatus as PS
    from app.core.models import utcnow
    from app.directory.services import create_offer, create_organisation, create_provider, move_offer, move_provider
    from app.extensions import db
    from app.needs.services import create_need

    with app.app_context():

        def user(email, name, staff=False):
            u = User(
                email=email,
                password_hash=hash_password(PASSWORD),
                full_name=name,
                email_confirmed_at=utcnow(),
                is_staff=staff,
            )
            db.session.add(u)
            db.session.flush()
            return u

        staff = user("equipe@hub.example.org", "Inès Équipe", staff=True)
        org_user = user("cabinet@toulon.example.org", "Dr Laure Martin")
        provider_user = user("cyber@var.example.org", "Karim Cyber")
        org = create_organisation(
            org_user,
            {
                "name": "Cabinet infirmier du Mourillon",
                "kind": "profession_liberale",
                "size": "2_9",
                "commune_insee": "83137",
            },
        )
        provider = create_provider(
            provider_user,
            {
                "name": "Cyber Var Solidaire",
                "kind": "expert_benevole",
                "commune_insee": "83069",
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
                "title": "Audit de sécurité de vos postes",
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
                "title": "Protéger les dossiers de nos patients",
                "description": "Trois postes.",
                "skills": ["securite.cybersecurite"],
                "categories": ["audit"],
                "commune_insee": "83137",
                "modality": "on_site",
                "funding_mode": "volunteer",
                "contact_name": "Laure Martin",
                "contact_email": "cabinet@toulon.example.org",
            },
        )
        commit()
    return {"staff": "equipe@hub.example.org", "org": "cabinet@toulon.example.org", "provider": "cyber@var.example.org"}


def _logout(page):
    sign_out(page)


def test_run_approve_accept_and_complete(live_app, page):
    base = live_app.config["LIVE_URL"]
    who = _seed(live_app)
    ARTIFACTS.mkdir(exist_ok=True)

    sign_in(page, base, who["staff"])
    nav_link(page, "Mise en relation").click()
    page.get_by_label("Proximité des descriptions (IA)").fill("0")  # keep the browser test fast
    page.get_by_label("83 — Var").check()
    page.get_by_role("button", name="Lancer la mise en relation").click()
    card = page.locator("article.proposal", has_text="Protéger les dossiers de nos patients")
    card.wait_for()
    assert "Audit de sécurité de vos postes" in card.inner_text()
    assert "couvre : cybersécurité" in card.inner_text()
    page.screenshot(path=str(ARTIFACTS / "mise-en-relation.png"), full_page=True)
    card.get_by_role("button", name="Approuver et envoyer").click()
    page.get_by_text("approuvée et envoyée au prestataire").wait_for()
    _logout(page)

    sign_in(page, base, who["provider"])
    nav_link(page, "Propositions").click()
    page.get_by_text("Protéger les dossiers de nos patients").wait_for()
    page.get_by_role("button", name="Accepter la mission").click()
    page.get_by_text("Mission acceptée").wait_for()
    page.get_by_role("button", name="Confirmer la réalisation").click()
    page.get_by_text("Mission mise à jour").wait_for()
    _logout(page)

    sign_in(page, base, who["org"])
    nav_link(page, "Missions").click()
    page.get_by_role("link", name="Protéger les dossiers de nos patients").click()
    page.get_by_role("button", name="Confirmer la réalisation").click()
    page.get_by_text("Réalisée").first.wait_for()
    page.get_by_label("5", exact=True).check()
    page.get_by_label("Votre commentaire").fill("Diagnostic clair, sauvegardes en place.")
    page.get_by_role("button", name="Envoyer mon avis").click()
    page.get_by_text("Merci pour votre avis").wait_for()
    page.screenshot(path=str(ARTIFACTS / "mission-realisee.png"), full_page=True)

    from app.extensions import db
    from app.matches.models import Mission, MissionStatus

    with live_app.app_context():
        # this journey's mission (other browser modules share the live database)
        mission = db.session.scalars(
            select(Mission).where(Mission.need.has(title="Protéger les dossiers de nos patients"))
        ).one()
        assert mission.status == MissionStatus.DONE
        assert [f.rating for f in mission.feedback] == [5]
