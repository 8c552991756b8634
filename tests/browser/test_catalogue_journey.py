"""In a real headless Chromium, at 390 px and 1280 px (issue 12, points 1 and 2): a person
searches "site web asso" near Marseille within 20 km, narrows to a facet, widens to 50 km,
goes back, turns to page 2 and back, the commune box always saying "Marseille" (today's main
answers 400 to the facet link, whose query string carries `q=['site web asso']`); then an
organisation is declared with a postal code that covers two communes and the person picks
hers. axe-core and the hub's own checks run on every page visited."""

from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import select

from tests.browser.a11y import audit
from tests.browser.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.browser

MARSEILLE_OFFERS = 22  # more than a page (20): there is a page 2
FORMATIONS = 3  # of which, in the "Formation" category
_users = itertools.count(1)


def _user(email: str):
    from app.accounts.models import User
    from app.accounts.services import hash_password
    from app.core.models import utcnow
    from app.extensions import db

    user = User(
        email=email, password_hash=hash_password(PASSWORD), full_name="Nadia Collines", email_confirmed_at=utcnow()
    )
    db.session.add(user)
    db.session.flush()
    return user


@pytest.fixture(scope="module")
def catalogue(live_app):
    """Two providers: one in Marseille (22 offers about web sites for associations), one in
    Aix-en-Provence, about 25 km away (one offer: found only once the search is widened)."""
    from app.core.jobs import commit
    from app.core.models import PublicationStatus as PS
    from app.directory.services import create_offer, create_provider, move_offer, move_provider
    from app.extensions import db

    with live_app.app_context():
        staff = _user("equipe.catalogue@hub.example.org")
        staff.is_staff = True
        for email, name, insee, titles in (
            (
                "phoceen@catalogue.example.org",
                "Atelier Numérique Phocéen",
                "13055",
                [f"Site web pour votre asso, étape {n}" for n in range(1, MARSEILLE_OFFERS + 1)],
            ),
            ("aixois@catalogue.example.org", "Clic Aixois", "13001", ["Site web asso au pays d'Aix"]),
        ):
            owner = _user(email)
            provider = create_provider(
                owner,
                {
                    "name": name,
                    "kind": "association",
                    "commune_insee": insee,
                    "radius_km": 30,
                    "remote_capable": False,
                    "languages": ["fr"],
                    "presentation": "Accompagnement au numérique des associations.",
                },
            )
            move_provider(staff, provider, PS.PUBLISHED)
            for n, title in enumerate(titles):
                offer = create_offer(
                    owner,
                    provider,
                    {
                        "title": title,
                        "description": "Créer et tenir à jour le site web de votre association.",
                        "category": "formation" if n < FORMATIONS else "atelier",
                        "skills": ["presence.site_web"],
                        "modality": "on_site",
                        "duration_hours": 2,
                        "capacity_per_month": 4,
                        "price_mode": "volunteer",
                        "price_cents": None,
                    },
                    submit=True,
                )
                move_offer(staff, offer, PS.PUBLISHED)
        commit()
        db.session.remove()
    return live_app


def _follow(page, locator) -> None:
    """Click a link as a person would; the page it leads to must answer 200."""
    with page.expect_navigation() as navigation:
        locator.click()
    assert navigation.value.status == 200, navigation.value.url


def _results_heading(page) -> str:
    return page.locator("#resultats").inner_text()


def _titles(page) -> list[str]:
    return [t.strip() for t in page.locator("article.hit h3").all_inner_texts()]


def _open_facets(page) -> None:
    """The "Affiner" panel is closed on a phone (the results come first) and open beside them on a desktop."""
    panel = page.locator("details#affiner")
    phone = page.viewport_size["width"] < 600
    assert panel.evaluate("d => d.open") is (not phone)
    if phone:
        page.get_by_text("Affiner", exact=True).click()


def test_search_refine_widen_page_and_back(catalogue, any_page):
    page = any_page
    base = catalogue.config["LIVE_URL"]
    page.goto(base + "/recherche")
    audit(page, "recherche vide")
    page.get_by_label("Que cherchez-vous ?").fill("site web asso")
    page.get_by_label("Près de").fill("Marseille")
    page.get_by_label("Rayon").select_option("20")
    _follow(page, page.get_by_role("button", name="Rechercher"))
    assert _results_heading(page) == f"{MARSEILLE_OFFERS} résultats autour de Marseille"
    assert page.get_by_label("Près de").input_value() == "Marseille"
    first_page = _titles(page)
    assert len(first_page) == 20
    if page.viewport_size["width"] < 600:  # on a phone, the first result is on the first screen
        assert page.locator("article.hit").first.bounding_box()["y"] < page.viewport_size["height"]
    audit(page, "recherche marseille 20 km")

    _open_facets(page)
    _follow(page, page.get_by_role("link", name=re.compile(rf"^Formation \({FORMATIONS}\)")))
    assert "categorie=formation" in page.url and "%5B" not in page.url
    assert _results_heading(page) == f"{FORMATIONS} résultats autour de Marseille"
    assert page.get_by_label("Près de").input_value() == "Marseille"
    assert page.get_by_label("Que cherchez-vous ?").input_value() == "site web asso"
    assert "Site web asso au pays d'Aix" not in _titles(page)  # 25 km away
    audit(page, "recherche facette formation")

    _follow(page, page.get_by_role("link", name="Élargir à 50 km ?"))
    assert page.get_by_label("Rayon").input_value() == "50"
    assert _results_heading(page) == f"{FORMATIONS + 1} résultats autour de Marseille"
    assert "Site web asso au pays d'Aix" in _titles(page)
    assert page.get_by_label("Près de").input_value() == "Marseille"
    audit(page, "recherche elargie 50 km")

    page.go_back()
    assert _results_heading(page) == f"{FORMATIONS} résultats autour de Marseille"
    page.go_back()
    assert _results_heading(page) == f"{MARSEILLE_OFFERS} résultats autour de Marseille"
    _follow(page, page.get_by_role("link", name="Résultats suivants"))
    second_page = _titles(page)
    assert len(second_page) == MARSEILLE_OFFERS - 20 and not set(second_page) & set(first_page)
    assert page.get_by_label("Près de").input_value() == "Marseille"
    assert page.get_by_label("Que cherchez-vous ?").input_value() == "site web asso"
    audit(page, "recherche page 2")
    page.go_back()
    assert _titles(page) == first_page


def test_organisation_with_a_postal_code_covering_two_communes(catalogue, any_page):
    from app.directory.models import Organisation
    from app.extensions import db

    page = any_page
    base = catalogue.config["LIVE_URL"]
    email = f"collines{next(_users)}-{page.viewport_size['width']}@catalogue.example.org"
    with catalogue.app_context():
        _user(email)
        db.session.commit()
        db.session.remove()
    sign_in(page, base, email)
    _follow(page, page.get_by_role("link", name="Décrire mon besoin").first)  # the next step: the structure first
    audit(page, "structure nouvelle")
    page.get_by_label("Nom de la structure").fill(f"Les Amis des Collines {email}")
    page.get_by_label("Type de structure").select_option("association")
    page.get_by_label("Taille").select_option("benevoles")
    page.get_by_role("combobox", name=re.compile(r"^Commune")).fill("04210")  # Valensole and Brunet share it
    page.get_by_role("button", name="Enregistrer").click()

    page.get_by_text("Le code postal 04210 couvre plusieurs communes").first.wait_for()
    choices = page.get_by_role("group", name="Quelle commune ?").get_by_role("radio")
    assert choices.count() == 2
    audit(page, "structure code postal ambigu")
    page.get_by_role("radio", name=re.compile(r"Valensole \(04210")).check()
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Qu'est-ce qui vous amène ?").wait_for()  # saved: the boussole comes next
    audit(page, "boussole apres structure")

    with catalogue.app_context():
        org = db.session.scalars(
            select(Organisation).where(Organisation.name == f"Les Amis des Collines {email}")
        ).one()
        assert org.commune.name == "Valensole" and org.commune.insee == "04230"
        db.session.remove()


def test_search_near_a_postal_code(catalogue, any_page):
    page = any_page
    base = catalogue.config["LIVE_URL"]
    page.goto(base + "/recherche")
    page.get_by_label("Que cherchez-vous ?").fill("site web asso")
    page.get_by_label("Près de").fill("13001")  # Marseille's 1st arrondissement, not Aix-en-Provence (INSEE 13001)
    page.get_by_label("Rayon").select_option("20")
    _follow(page, page.get_by_role("button", name="Rechercher"))
    assert _results_heading(page) == f"{MARSEILLE_OFFERS} résultats autour de Marseille"
    assert page.get_by_label("Près de").input_value() == "Marseille"

    page.get_by_label("Près de").fill("04210")  # Valensole and Brunet
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_text("Le code postal 04210 couvre plusieurs communes").wait_for()
    candidates = page.get_by_role("navigation", name="Communes possibles").get_by_role("link")
    assert sorted(candidates.all_inner_texts()) == ["Brunet", "Valensole"]
    audit(page, "recherche code postal ambigu")
    _follow(page, candidates.filter(has_text="Valensole"))
    assert _results_heading(page).endswith("autour de Valensole")
    assert page.get_by_label("Près de").input_value() == "Valensole"
    audit(page, "recherche autour de valensole")
