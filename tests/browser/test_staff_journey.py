"""In a real headless Chromium, at 390 px and 1280 px: hub staff work through a run of 25 proposals.
They filter it, go to page 2, refuse without a reason (the message names the proposal, nothing
reloads), refuse with one, approve without a page jump, approve two at once with the bulk form,
choose an alternative through its confirmation page, and visit the moderation queue. axe and the
other checks run on every page (tests/browser/a11y.py)."""

from __future__ import annotations

import re

import pytest

from tests.browser.a11y import audit
from tests.browser.conftest import confirmed_user, sign_in

pytestmark = pytest.mark.browser

#: One territory per width, so that the two runs of the test do not share needs.
TERRITORY = {390: ("84", "84007", "Avignon"), 1280: ("04", "04070", "Digne")}


def _seed_run(app, dep: str, insee: str, town: str) -> tuple[str, int]:
    """25 open needs and three offers in one département, and a run over them; returns the staff
    e-mail and the run's id."""
    from app.core.jobs import commit
    from app.core.models import PublicationStatus as PS
    from app.directory.services import (
        create_offer,
        create_organisation,
        create_provider,
        move_offer,
        move_organisation,
        move_provider,
    )
    from app.extensions import db
    from app.matches import runs as match_runs
    from app.needs.services import create_need

    with app.app_context():
        user = confirmed_user

        staff_email = f"arbitrage-{dep}@hub.example.org"
        staff = user(staff_email, f"Équipe {town}", staff=True)
        for n in range(3):
            owner = user(f"presta{n}-{dep}@exemple.fr", f"Prestataire {n}")
            provider = create_provider(
                owner,
                {
                    "name": f"Numérique {town} {n}",
                    "kind": "expert_benevole",
                    "commune_insee": insee,
                    "radius_km": 40,
                    "remote_capable": False,
                    "languages": ["fr"],
                    "presentation": "Sécurité informatique.",
                },
            )
            move_provider(staff, provider, PS.PUBLISHED)
            offer = create_offer(
                owner,
                provider,
                {
                    "title": f"Audit {town} {n}",
                    "description": "Un diagnostic et un plan d'action.",
                    "category": "audit",
                    "skills": ["securite.cybersecurite"],
                    "modality": "on_site",
                    "duration_hours": 3,
                    "capacity_per_month": 30,
                    "price_mode": "volunteer",
                    "price_cents": None,
                },
                submit=True,
            )
            move_offer(staff, offer, PS.PUBLISHED)
        owner = user(f"asso-{dep}@exemple.fr", "Responsable")
        org = create_organisation(
            owner,
            {
                "name": f"Maison des associations {town}",
                "kind": "association",
                "size": "benevoles",
                "commune_insee": insee,
            },
        )
        move_organisation(staff, org, PS.PUBLISHED)
        for i in range(25):
            create_need(
                owner,
                org,
                {
                    "title": f"Sécuriser le poste {i:02d} à {town}",
                    "description": "Un ordinateur partagé.",
                    "skills": ["securite.cybersecurite"],
                    "categories": ["audit"],
                    "commune_insee": insee,
                    "modality": "on_site",
                    "funding_mode": "volunteer",
                    "contact_name": "Responsable",
                    "contact_email": f"asso-{dep}@exemple.fr",
                },
            )
        run = match_runs.start_run(staff, {"skills": 1, "distance": 1, "semantic": 0}, dep_codes=[dep])
        commit()
        run_id = run.id
        db.session.remove()
    return staff_email, run_id


def test_staff_filter_a_run_page_through_and_decide_in_place(live_app, any_page):
    page = any_page
    base = live_app.config["LIVE_URL"]
    dep, insee, town = TERRITORY[page.viewport_size["width"]]
    staff_email, run_id = _seed_run(live_app, dep, insee, town)
    sign_in(page, base, staff_email)
    page.goto(f"{base}/mise-en-relation/runs/{run_id}")
    audit(page, f"execution {dep}")

    # Filter: this département, proposals still to decide.
    page.get_by_label("Département").fill(dep)
    page.get_by_label("Statut").select_option("proposed")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url(re.compile(rf"dep={dep}"))
    page.get_by_text("25 propositions — page 1 sur 2").wait_for()
    assert page.locator("article.proposal").count() == 20
    audit(page, f"execution filtree {dep}")

    page.get_by_role("link", name="Page suivante →").click()
    page.wait_for_url(re.compile(r"page=2"))
    page.get_by_text("25 propositions — page 2 sur 2").wait_for()
    assert page.locator("article.proposal").count() == 5
    audit(page, f"execution page 2 {dep}")
    url_of_page_2 = page.url
    loads = []
    page.on("framenavigated", lambda frame: loads.append(frame.url) if frame == page.main_frame else None)

    # "Refuser" without a reason: the message names the proposal; nothing reloads.
    card = page.locator("article.proposal").nth(0)
    pid = card.get_attribute("id").split("-")[1]
    title = card.locator("h3 a").inner_text()
    card.get_by_role("button", name="Refuser").click()
    live = page.locator("[data-decision-message]")
    live.get_by_text(f"Proposition n° {pid} « {title} »").wait_for()
    assert "Indiquez la raison du refus" in live.inner_text()
    audit(page, f"refus sans raison {dep}")
    card = page.locator(f"#proposition-{pid}")
    card.get_by_label("Raison (obligatoire pour un refus)").fill("Besoin déjà couvert localement.")
    card.get_by_role("button", name="Refuser").click()
    live.get_by_text(f"Proposition n° {pid} « {title} » → ").wait_for()
    page.locator(f"#proposition-{pid}").get_by_text("Refusé").wait_for()

    # Approve another one: no page jump, the card shows its new status, the focus is on it.
    other = page.locator("article.proposal").nth(1)
    oid = other.get_attribute("id").split("-")[1]
    other.get_by_role("button", name="Approuver et envoyer").click()
    page.locator(f"#proposition-{oid}").get_by_text("Approuvée, envoyée").wait_for()
    assert "approuvée et envoyée au prestataire" in live.inner_text()
    box = page.locator(f"#proposition-{oid}").bounding_box()
    assert box and box["y"] < page.viewport_size["height"] and box["y"] + box["height"] > 0  # still in view
    assert page.evaluate("document.activeElement.id") == f"proposition-{oid}"
    assert loads == [] and page.url == url_of_page_2
    audit(page, f"approbation sans saut {dep}")

    # Two at once with the bulk form (keyboard: tick, then the button).
    boxes = page.get_by_role("checkbox", name=re.compile("Sélectionner la proposition"))
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="Approuver et envoyer la sélection").click()
    page.get_by_text("2 propositions approuvées et envoyées aux prestataires.").wait_for()
    assert f"dep={dep}" in page.url  # back on the filtered run page
    audit(page, f"approbation groupee {dep}")

    # Choose an alternative: a confirmation page first.
    page.goto(f"{base}/mise-en-relation/runs/{run_id}?dep={dep}&statut=proposed")
    card = page.locator("article.proposal").nth(0)
    card.locator("summary", has_text="alternative").click()
    card.get_by_role("link", name="Choisir plutôt celle-ci…").first.click()
    page.get_by_role("heading", name=re.compile("Choisir une autre offre pour")).wait_for()
    audit(page, f"confirmation remplacement {dep}")
    page.get_by_role("button", name="Confirmer : remplacer et envoyer").click()
    page.get_by_text("remplacée ; la nouvelle proposition est envoyée au prestataire").wait_for()
    assert f"/mise-en-relation/runs/{run_id}" in page.url

    page.goto(f"{base}/moderation/")
    page.get_by_role("heading", name="Modération", exact=True).wait_for()
    audit(page, f"moderation {dep}")
