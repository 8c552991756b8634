"""In a real headless Chromium, at 390 px and 1280 px: a visitor opens an offer from the catalogue,
clicks "Demander cet accompagnement", logs in, reviews the need prefilled from the offer, sends it and
lands on the confirmation; the provider signs in and finds the request on its space and its proposals
page. axe-core and the checks of `audit` run on every page visited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.browser.a11y import audit
from tests.browser.conftest import PASSWORD, confirmed_user, sign_in, sign_out

pytestmark = pytest.mark.browser


def _seed(app, tag: str) -> dict:
    """A published provider and offer in the Alpes-de-Haute-Provence, an organisation member; `tag`
    keeps the phone and the desktop runs apart (one database for the session)."""
    from app.core.jobs import commit
    from app.core.models import PublicationStatus as PS
    from app.directory.services import create_offer, create_organisation, create_provider, move_offer, move_provider

    with app.app_context():
        user = confirmed_user

        staff = user(f"moderation-{tag}@hub.example.org", "Inès Modération", staff=True)
        member = user(f"epicerie-{tag}@digne.example.org", "Paul Giraud")
        provider_user = user(f"fablab-{tag}@manosque.example.org", "Léa Fabre")
        create_organisation(
            member,
            {
                "name": f"Épicerie solidaire {tag}",
                "kind": "association",
                "size": "benevoles",
                "commune_insee": "04070",
                "contact_email": f"epicerie-{tag}@digne.example.org",
            },
        )
        provider = create_provider(
            provider_user,
            {
                "name": f"Fablab de Haute-Provence {tag}",
                "kind": "tiers_lieu",
                "commune_insee": "04112",
                "radius_km": 80,
                "remote_capable": True,
                "languages": ["fr"],
                "presentation": "Un tiers-lieu numérique.",
            },
        )
        move_provider(staff, provider, PS.PUBLISHED)
        offer = create_offer(
            provider_user,
            provider,
            {
                "title": f"Atelier tableur pour associations {tag}",
                "description": "Tenir sa comptabilité et ses adhésions dans un tableur, en deux séances.",
                "category": "atelier",
                "skills": ["competences.bureautique"],
                "modality": "both",
                "duration_hours": 4,
                "capacity_per_month": 3,
                "price_mode": "volunteer",
                "price_cents": None,
            },
            submit=True,
        )
        move_offer(staff, offer, PS.PUBLISHED)
        commit()
        return {"member": member.email, "provider": provider_user.email, "offer": offer.title, "id": offer.id}


def test_a_visitor_asks_for_an_offer_and_the_provider_sees_it(live_app, any_page):
    page = any_page
    base = live_app.config["LIVE_URL"]
    tag = "tel" if page.viewport_size["width"] < 700 else "bureau"
    seed = _seed(live_app, tag)

    # A visitor finds the offer in the catalogue and opens it.
    page.goto(base + "/catalogue?q=" + "tableur")
    audit(page, "catalogue tableur")
    page.get_by_role("link", name=seed["offer"]).first.click()
    page.get_by_role("heading", name=seed["offer"]).wait_for()
    audit(page, "offre a demander")
    page.get_by_role("link", name="Demander cet accompagnement").click()

    # Not signed in: the login page, then straight back to the request.
    page.get_by_role("heading", name="Se connecter").wait_for()
    assert "next=" in page.url
    audit(page, "connexion pour demander")
    page.get_by_label("Adresse e-mail").fill(seed["member"])
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name=re.compile("Demander « Atelier tableur")).wait_for()
    audit(page, "demande preremplie")

    # The need comes prefilled from the offer and the organisation: the person reviews it and sends it.
    assert page.get_by_label("Titre du besoin").input_value() == seed["offer"]
    assert page.get_by_label("Commune").input_value().startswith("Digne-les-Bains")
    assert page.get_by_label("Bureautique", exact=True).is_checked()
    assert page.get_by_label("E-mail de contact").input_value() == seed["member"]
    description = page.get_by_label("Décrivez votre besoin")
    assert "Fablab de Haute-Provence" in description.input_value()
    description.fill(description.input_value() + "Nos bénévoles tiennent les adhésions sur papier.")
    page.get_by_role("button", name="Envoyer ma demande").click()

    page.get_by_role("heading", name=re.compile("Demande d'accompagnement")).wait_for()
    assert page.get_by_text(re.compile("Votre demande est envoyée à Fablab de Haute-Provence")).first.is_visible()
    audit(page, "demande envoyee")
    page.get_by_role("link", name=seed["offer"]).first.wait_for()
    sign_out(page)

    # The provider signs in: its space says a request waits; its proposals page shows it.
    sign_in(page, base, seed["provider"])
    audit(page, "espace prestataire demande")
    page.get_by_role("link", name=re.compile("proposition de mission attend votre réponse")).click()
    card = page.locator("article.card", has_text=seed["offer"])
    card.wait_for()
    assert "Demande directe" in card.inner_text() and f"Épicerie solidaire {tag}" in card.inner_text()
    assert seed["member"] not in page.content()  # no contact before acceptance
    audit(page, "propositions prestataire demande")

    from app.extensions import db
    from app.matches.models import Proposal, ProposalOrigin

    with live_app.app_context():
        requests = db.session.scalars(
            select(Proposal).where(Proposal.offer_id == seed["id"], Proposal.origin == ProposalOrigin.REQUEST)
        ).all()
        assert len(requests) == 1 and "papier" in requests[0].need.description
