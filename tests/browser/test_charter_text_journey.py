"""The charter written together, in Chromium at 390 px and 1280 px: a member proposes an amendment (an empty
one is refused first), another member supports it, the committee closes the consultation, adopts the
amendment and publishes the next version; the changelog lists it and the comparison shows the new words.
Then a provider labelled under the previous version re-assesses against the new one, two reviewers validate,
and the public registry shows its label under the new version. axe-core and the other checks of
tests/browser/a11y.py run on every page visited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.browser.a11y import audit
from tests.browser.conftest import PASSWORD, sign_in, sign_out

pytestmark = pytest.mark.browser


def _seed(app, width: int) -> dict:
    """Three accounts (an author, a supporter, a committee member), the charter's v1 if there is none yet, and
    a consultation open on the current version."""
    from app.accounts.models import User
    from app.accounts.services import hash_password
    from app.charter import text
    from app.charter.label_demo import label_demo_subjects
    from app.charter.models import SubjectKind
    from app.core.jobs import commit
    from app.core.models import PublicationStatus as PS
    from app.core.models import utcnow
    from app.directory.services import create_provider, move_provider
    from app.extensions import db

    with app.app_context():
        password = hash_password(PASSWORD)
        people = {}
        for key, name, staff in (
            ("author", "Amélie Autrice", False),
            ("fan", "Bruno Soutien", False),
            ("staff", "Équipe Charte", True),
            ("committee", "Claire Comité", False),
            ("staff2", "Équipe Relecture", True),
            ("provider", "Paul Prestataire", False),
        ):
            user = User(
                email=f"charte-{key}-{width}@exemple.fr",
                password_hash=password,
                full_name=name,
                email_confirmed_at=utcnow(),
                is_staff=staff,
            )
            db.session.add(user)
            db.session.flush()
            people[key] = user.email
        staff = db.session.query(User).filter_by(email=people["staff"]).one()
        if text.current_version() is None:
            themes = {
                code: text.create_theme(code, name, position=i)
                for i, (code, name) in enumerate(
                    [("libre", "Logiciels libres et licences libres"), ("donnees", "Données personnelles")]
                )
            }
            version = text.new_draft()
            text.add_criterion(
                version,
                themes["libre"],
                {"wording": "Les outils recommandés sont des logiciels libres.", "evidence": "La liste des outils."},
            )
            text.add_criterion(
                version,
                themes["donnees"],
                {"wording": "Seules les données nécessaires sont collectées.", "evidence": "Le registre."},
            )
            db.session.refresh(version)
            text.adopt_version(staff, version, "Première version.")
        # a provider labelled under the current version (assessed, then validated by two staff reviewers)
        owner = db.session.query(User).filter_by(email=people["provider"]).one()
        provider = create_provider(
            owner,
            {
                "name": f"Atelier libre {width}",
                "kind": "equipe_mediation",
                "commune_insee": "13055",
                "radius_km": 30,
                "remote_capable": True,
                "languages": ["fr"],
                "presentation": "Des logiciels libres pour les associations.",
            },
        )
        move_provider(staff, provider, PS.PUBLISHED)
        reviewers = (staff, db.session.query(User).filter_by(email=people["staff2"]).one())
        assert label_demo_subjects([(owner, SubjectKind.PROVIDER, provider.id)], reviewers)
        people["provider_name"] = provider.name
        now = utcnow()
        text.open_consultation(
            staff,
            {"title": f"Révision {width}", "opens_at": now - timedelta(hours=1), "closes_at": now + timedelta(days=9)},
        )
        people["base"] = text.current_version().number
        commit()
    return people


def test_an_amendment_goes_from_proposal_to_the_next_version(live_app, any_page):
    page, base = any_page, live_app.config["LIVE_URL"]
    width = page.viewport_size["width"]
    people = _seed(live_app, width)
    next_label = f"v{people['base'] + 1}"
    # each width's run amends the version the previous run published: its own new words
    word = {390: "maintenus", 1280: "traduits"}[width]

    # Hub staff give the committee role through their page.
    sign_in(page, base, people["staff"], PASSWORD)
    page.goto(base + "/moderation/comite-charte")
    page.get_by_role("heading", name="Comité de la charte", level=1).wait_for()
    audit(page, "charte comite")
    page.get_by_label("E-mail du compte").fill("personne@exemple.fr")
    page.get_by_role("button", name="Ajouter au comité").click()
    page.locator(".error-summary").wait_for()
    assert "Aucun compte n'a cette adresse e-mail." in page.locator(".error-summary").inner_text()
    audit(page, "charte comite erreur")
    page.get_by_label("E-mail du compte").fill(people["committee"])
    page.get_by_role("button", name="Ajouter au comité").click()
    page.get_by_text("Compte ajouté au comité de la charte.").wait_for()
    assert "Claire Comité" in page.locator("main table").inner_text()
    sign_out(page)

    # A member reads the charter and proposes to change its first criterion.
    sign_in(page, base, people["author"], PASSWORD)
    page.goto(base + "/charte")
    page.get_by_role("heading", name="Charte du numérique éthique", level=1).wait_for()
    audit(page, "charte texte")
    page.get_by_role("link", name=f"Consultation en cours : Révision {width}").click()
    page.get_by_role("heading", name=f"Révision {width}", level=1).wait_for()
    audit(page, "charte consultation ouverte")
    page.get_by_role("link", name="Proposer un amendement").click()
    page.get_by_role("heading", name="Proposer un amendement", level=1).wait_for()
    audit(page, "charte amendement formulaire")
    page.get_by_label("Ajouter un critère").check()
    page.get_by_role("button", name="Déposer l'amendement").click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert "Expliquez pourquoi vous proposez cet amendement." in summary.inner_text()
    audit(page, "charte amendement erreurs")
    page.get_by_label("Modifier un critère").check()
    page.get_by_label("Critère concerné (modifier, retirer)").select_option(index=1)
    page.get_by_label("Texte proposé du critère").fill(
        f"Les outils recommandés sont des logiciels libres, {word} et documentés en français."
    )
    page.get_by_label("Exposé des motifs").fill("Un logiciel libre abandonné n'aide personne.")
    page.get_by_role("button", name="Déposer l'amendement").click()
    page.get_by_text("Amendement déposé. Merci !").wait_for()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert "Modifier un critère" in heading
    amendment_url = page.url
    audit(page, "charte amendement depose")
    sign_out(page)

    # Another member supports it (once).
    sign_in(page, base, people["fan"], PASSWORD)
    page.goto(amendment_url)
    page.get_by_role("button", name="Soutenir cet amendement").click()
    page.get_by_text("Votre soutien est enregistré.").wait_for()
    assert page.get_by_text("1 soutien", exact=True).count() == 1
    assert page.get_by_role("button", name="Retirer mon soutien").count() == 1
    audit(page, "charte amendement soutenu")
    sign_out(page)

    # The committee closes the consultation, adopts the amendment and publishes the next version.
    sign_in(page, base, people["committee"], PASSWORD)
    page.goto(base + "/charte/consultations")
    audit(page, "charte consultations")
    page.get_by_role("link", name=f"Révision {width}").click()
    page.get_by_role("button", name="Clore la consultation maintenant").click()
    page.get_by_text("Consultation close").first.wait_for()
    audit(page, "charte consultation close")
    page.locator("table").get_by_role("link", name=re.compile("Modifier un critère")).click()
    page.get_by_label("Adopté", exact=True).check()
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.get_by_text("Décision enregistrée.").wait_for()
    audit(page, "charte amendement decide")
    page.get_by_role("link", name=f"Révision {width}").click()
    page.get_by_role("button", name=f"Publier la version {next_label}").click()
    page.get_by_role("heading", name=f"Charte, version {next_label}", level=1).wait_for()
    assert f"{word} et documentés en français" in page.locator("main").inner_text()
    audit(page, "charte nouvelle version")

    # The changelog lists the version and its amendment; the comparison marks the new words.
    page.locator("main").get_by_role("link", name="Versions", exact=True).click()
    page.get_by_role("heading", name="Versions de la charte", level=1).wait_for()
    section = page.locator("section", has=page.get_by_role("heading", name=f"Version {next_label}"))
    assert "Amendement n°" in section.inner_text()
    audit(page, "charte versions")
    section.get_by_role("link", name=re.compile("Ce qui a changé depuis")).click()
    page.get_by_role("heading", name="Critères modifiés").wait_for()
    added = page.locator(".diff ins").all_inner_texts()
    assert any(word in words for words in added), added
    audit(page, "charte comparaison")

    # The labelled provider re-assesses against the new version; two reviewers validate; the registry shows it.
    sign_out(page)
    name = people["provider_name"]
    sign_in(page, base, people["provider"], PASSWORD)
    page.goto(base + "/charte/labellises")
    page.get_by_role("link", name="Évaluer ma structure ou relire une évaluation").click()
    page.get_by_role("link", name=f"Évaluer {name}").click()
    page.get_by_text(f"Version {next_label} de la charte").wait_for()
    audit(page, "charte reevaluation")
    fieldsets = page.locator("fieldset.card")
    for index in range(fieldsets.count()):
        fieldsets.nth(index).get_by_label("Oui").check()
    page.get_by_role("button", name="Envoyer en relecture").click()
    page.get_by_text("Évaluation envoyée").wait_for()
    sign_out(page)
    for reviewer in (people["committee"], people["staff2"]):
        sign_in(page, base, reviewer, PASSWORD)
        page.goto(base + "/charte/labellises")
        page.get_by_role("link", name="Évaluer ma structure ou relire une évaluation").click()
        page.get_by_role("link", name=f"Relire l'évaluation de {name}").click()
        page.get_by_label("Valider").check()
        page.get_by_role("button", name="Enregistrer ma relecture").click()
        page.get_by_role("heading", name="Évaluations de la charte du numérique éthique").wait_for()
        sign_out(page)
    page.goto(base + "/charte/labellises?departement=13")
    row = page.locator("tr", has_text=name).filter(has_text=next_label)
    row.wait_for()
    assert "niveau 5" in row.inner_text()
    audit(page, "charte registre nouvelle version")
