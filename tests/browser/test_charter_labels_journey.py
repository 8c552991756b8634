"""A provider earns a charter label, in Chromium, on a phone and on a desktop: it assesses itself against
the current version, two committee members validate, and the public registry, the verification page and
the badge show its level. axe-core and the checks of tests/browser/a11y.py run on every page visited."""

from __future__ import annotations

import pytest

from tests.browser.a11y import audit
from tests.browser.conftest import confirmed_user, sign_in, sign_out

pytestmark = pytest.mark.browser


def _seed(app, tag: str) -> dict:
    from app.charter.assessments import current_version
    from app.charter.models import CommitteeMember
    from app.core.jobs import commit
    from app.core.models import PublicationStatus as PS
    from app.directory.services import create_provider, move_provider
    from app.extensions import db
    from tests.charter.labels_helpers import tiny_version

    with app.app_context():
        if current_version() is None:
            tiny_version()  # the charter's text is another slice's; a tiny adopted version is enough here

        user = confirmed_user

        staff = user(f"moderation-{tag}@hub.example.org", "Modération", staff=True)
        owner = user(f"libre-{tag}@marseille.example.org", "Awa Libre")
        reviewers = [user(f"comite{n}-{tag}@hub.example.org", f"Comité {n}") for n in (1, 2)]
        for reviewer in reviewers:
            db.session.add(CommitteeMember(user_id=reviewer.id))
        provider = create_provider(
            owner,
            {
                "name": f"Libres à Marseille {tag}",
                "kind": "equipe_mediation",
                "commune_insee": "13055",
                "radius_km": 30,
                "remote_capable": True,
                "languages": ["fr"],
                "presentation": "Des logiciels libres pour les associations.",
            },
        )
        move_provider(staff, provider, PS.PUBLISHED)
        commit()
        return {"owner": owner.email, "reviewers": [r.email for r in reviewers], "name": provider.name}


def test_a_provider_assesses_two_reviewers_validate_and_the_registry_shows_its_level(live_app, any_page):
    page, base = any_page, live_app.config["LIVE_URL"]
    seed = _seed(live_app, f"w{page.viewport_size['width']}")
    name = seed["name"]

    sign_in(page, base, seed["owner"])
    page.goto(base + "/charte/labellises")
    audit(page, "labels registre avant")
    page.get_by_role("link", name="Évaluer ma structure ou relire une évaluation").click()
    page.get_by_role("heading", name="Évaluations de la charte du numérique éthique").wait_for()
    audit(page, "labels mes evaluations")
    page.get_by_role("link", name=f"Évaluer {name}").click()
    page.get_by_role("heading", name=f"Évaluation de la charte : {name}").wait_for()
    audit(page, "labels formulaire")
    # A web address that is not one: a French error, and the answers are still there to correct.
    fieldsets = page.locator("fieldset.card")
    for index in range(fieldsets.count()):
        fieldsets.nth(index).get_by_label("Oui").check()
    fieldsets.nth(1).get_by_label("Adresse web de la preuve").fill("notre-site")
    page.get_by_role("button", name="Envoyer en relecture").click()
    page.locator(".error-summary").wait_for()
    assert "adresse web complète" in page.locator(".error-summary").inner_text()
    audit(page, "labels formulaire erreur")
    fieldsets.nth(1).get_by_label("Adresse web de la preuve").fill("https://libres.example.org/depots")
    page.get_by_role("button", name="Envoyer en relecture").click()
    page.get_by_text("Évaluation envoyée").wait_for()
    audit(page, "labels evaluation envoyee")
    sign_out(page)

    for email in seed["reviewers"]:
        sign_in(page, base, email)
        page.goto(base + "/charte/labellises")
        page.get_by_role("link", name="Évaluer ma structure ou relire une évaluation").click()
        page.get_by_role("link", name=f"Relire l'évaluation de {name}").click()
        page.get_by_role("heading", name=f"Relire l'évaluation de {name}").wait_for()
        assert "https://libres.example.org/depots" in page.locator("main").inner_text()
        audit(page, "labels relecture")
        page.get_by_label("Valider").check()
        page.get_by_role("button", name="Enregistrer ma relecture").click()
        page.get_by_role("heading", name="Évaluations de la charte du numérique éthique").wait_for()
        audit(page, "labels apres relecture")
        sign_out(page)

    page.goto(base + "/charte/labellises?departement=13")
    row = page.locator("tr", has_text=name)
    row.wait_for()
    assert "niveau 5" in row.inner_text()
    audit(page, "labels registre")
    row.get_by_role("link", name="L-").click()
    page.get_by_text("Ce label est valide").wait_for()
    assert "niveau 5 sur 5" in page.locator("main").inner_text()
    audit(page, "labels verification")
