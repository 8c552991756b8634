"""The legal pages as versioned Markdown: a staff edit publishes a new version (the old one stays readable,
with the changes from one to the next), only staff may edit, the Markdown is sanitised, the accessibility
statement keeps its measured facts whatever its surrounding text; the terms accepted at sign-up are recorded
and a new version is asked for at the next page (not through the API)."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.accounts.services import create_api_token
from app.legal import services as legal
from app.legal.facts import AXE_CORE_VERSION
from app.legal.models import TERMS, LegalVersion, TermsAcceptance
from tests.conftest import login, page_text, post_form

EDIT = "/pages-legales/mentions-legales/modifier"


def _publish_notice(client, body_fr: str, summary: str = "Hébergeur renseigné.", body_en: str = ""):
    return post_form(client, EDIT, {"body_fr": body_fr, "body_en": body_en, "summary": summary})


def test_a_staff_edit_publishes_a_new_version_and_the_old_one_stays_readable(client, factory):
    staff = factory.staff()
    login(client, staff)
    first = legal.current("mentions-legales")
    assert first.number == 1 and "[À COMPLÉTER : nom de l'hébergeur]" in first.body_fr
    edited = first.body_fr.replace("[À COMPLÉTER : nom de l'hébergeur]", "Hébergeur Coopératif du Sud")
    response = _publish_notice(client, edited)
    assert response.status_code == 302 and response.headers["Location"].endswith("/versions")

    versions = legal.history("mentions-legales")
    assert [v.number for v in versions] == [2, 1]
    assert versions[0].author_id == staff.id and versions[0].summary == "Hébergeur renseigné."
    assert versions[1].body_fr == first.body_fr  # never overwritten

    public = page_text(client.get("/mentions-legales"))
    assert "Hébergeur Coopératif du Sud" in public and "Version 2, en vigueur depuis le" in public
    history = page_text(client.get("/pages-legales/mentions-legales/versions"))
    assert "Version 2" in history and "Version 1" in history and "Hébergeur renseigné." in history
    old = page_text(client.get("/pages-legales/mentions-legales/versions/1"))
    assert "[À COMPLÉTER : nom de l'hébergeur]" in old and "Cette version n'est plus en vigueur." in old
    changes = page_text(client.get("/pages-legales/mentions-legales/versions/2"))
    assert re.search(
        r"<del><span class=\"sr-only\">\[supprimé :\] </span>- Nom : \*\*\[À COMPLÉTER : nom de l'hé", changes
    )
    assert '<ins><span class="sr-only">[ajouté :] </span>- Nom : **Hébergeur Coopératif du Sud**</ins>' in changes
    assert client.get("/pages-legales/mentions-legales/versions/3").status_code == 404
    assert client.get("/pages-legales/inconnue/versions").status_code == 404

    # The same text again, or no summary: refused with a French message, nothing published.
    again = _publish_notice(client, edited)
    assert again.status_code == 422 and "identique à la version en vigueur" in page_text(again)
    assert _publish_notice(client, edited + "\nUne ligne.", summary="").status_code == 422
    assert legal.current("mentions-legales").number == 2


def test_only_staff_edit_a_legal_page(client, factory):
    member = factory.user()
    login(client, member)
    assert client.get(EDIT).status_code == 403
    assert _publish_notice(client, "Texte remplacé.").status_code == 403
    assert legal.current("mentions-legales").number == 1
    assert "Modifier ce texte" not in page_text(client.get("/mentions-legales"))


def test_markdown_is_sanitised(client, factory, db_session):
    login(client, factory.staff())
    body = (
        "## Titre\n\nAvant <script>alert('x')</script> après.\n\n"
        '[un lien](javascript:alert(1)) <img src="https://pisteur.example.com/p.gif"> '
        '<a href="https://exemple.fr" onclick="alert(2)">ailleurs</a>\n'
    )
    assert _publish_notice(client, body, summary="Essai.").status_code == 302
    text = client.get("/mentions-legales").get_data(as_text=True)
    content = text[text.index("<main") : text.index("</main>")]
    assert "<script" not in content and "alert(" not in content.replace("&#39;", "'").split("<h2")[0]
    assert "javascript:" not in content and "<img" not in content and "onclick" not in content
    assert "pisteur.example.com" not in content
    assert '<h2 id="titre">Titre</h2>' in content or "<h2>Titre</h2>" in content
    assert 'href="https://exemple.fr"' in content  # a plain link stays


def test_the_accessibility_statement_keeps_its_measured_facts_after_an_edit(client, factory):
    login(client, factory.staff())
    current = legal.current("accessibilite")
    assert "[[resultats-des-tests]]" in current.body_fr and "[[pages-testees]]" in current.body_fr
    body = current.body_fr.replace("Le Hub du Sud s'engage", "L'association du Hub du Sud s'engage")
    response = post_form(
        client,
        "/pages-legales/accessibilite/modifier",
        {"body_fr": body, "body_en": current.body_en, "summary": "Qui s'engage."},
    )
    assert response.status_code == 302
    text = page_text(client.get("/accessibilite"))
    assert "L'association du Hub du Sud s'engage" in text
    assert f"axe-core {AXE_CORE_VERSION}" in text and "0 erreur" in text and "[[" not in text
    assert "<li>Déclaration d'accessibilité</li>" in text  # the list of pages tested, generated


def test_a_page_without_english_shows_the_french_text_marked_as_french(client, factory):
    login(client, factory.staff())
    assert _publish_notice(client, "Texte seulement en français.", summary="Court.").status_code == 302
    post_form(client, "/langue", {"lang": "en"})
    text = page_text(client.get("/mentions-legales"))
    assert "<h1>Legal notice</h1>" in text
    assert '<div class="legal-text" lang="fr">' in text and "Texte seulement en français." in text


def test_the_terms_accepted_at_sign_up_are_recorded(client, db_session):
    signup = page_text(client.get("/inscription"))
    assert 'name="terms_version" type="hidden" value="1"' in signup
    response = post_form(
        client,
        "/inscription",
        {
            "intent": "organisation",
            "full_name": "Alix Nouvelle",
            "email": "alix.nouvelle@exemple.fr",
            "password": "une phrase de passe longue",
            "accept": "y",
            "terms_version": "1",
        },
    )
    assert response.status_code == 200
    from app.accounts.services import get_user_by_email

    user = get_user_by_email("alix.nouvelle@exemple.fr")
    rows = list(db_session.scalars(select(TermsAcceptance).where(TermsAcceptance.user_id == user.id)))
    assert [(r.version_number, r.accepted_at is not None) for r in rows] == [(1, True)]


def test_new_terms_are_asked_for_at_the_next_page_and_not_through_the_api(client, factory, db_session):
    member = factory.user()
    org = factory.organisation(owner=member)
    token = create_api_token(member)
    login(client, member)
    assert client.get("/espace").status_code == 200
    current = legal.current(TERMS)
    legal.publish(
        TERMS, current.body_fr + "\nUn nouvel article.\n", current.body_en, "Un nouvel article.", factory.staff()
    )
    db_session.flush()

    asked = client.get("/espace?onglet=1")
    assert asked.status_code == 302 and "/conditions-utilisation/accepter?next=" in asked.headers["Location"]
    page = page_text(client.get(asked.headers["Location"]))
    assert "version 2" in page and "Un nouvel article." in page
    assert client.get("/").status_code == 302  # every page asks, until accepted
    assert client.get("/conditions-utilisation").status_code == 200  # the terms stay readable meanwhile
    api = client.get(f"/api/v1/needs?organisation={org.id}", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200  # a token is not asked

    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = client.post(asked.headers["Location"], data={"version": "2", "csrf_token": csrf})
    assert accepted.status_code == 302
    done = client.get(accepted.headers["Location"])
    assert done.status_code == 302 and done.headers["Location"] == "/espace?onglet=1"
    assert client.get("/espace").status_code == 200
    numbers = [a.version_number for a in legal.acceptances(member)]
    assert numbers == [1, 2]


def test_an_account_without_any_record_is_asked_only_for_terms_newer_than_itself(factory, db_session):
    """Accounts made before acceptances were recorded ticked the fixed text that became version 1."""
    member = factory.user()
    db_session.execute(TermsAcceptance.__table__.delete().where(TermsAcceptance.user_id == member.id))
    first = db_session.scalar(select(LegalVersion).where(LegalVersion.slug == TERMS))
    member.created_at = first.published_at.replace(year=first.published_at.year - 1)
    assert legal.accepted_terms_number(member) == 1 and legal.terms_to_accept(member) == 0
    current = legal.current(TERMS)
    legal.publish(TERMS, current.body_fr + "\nNouvel article.\n", current.body_en, "Nouvel article.", None)
    assert legal.terms_to_accept(member) == 2
    newer = factory.user()  # made after version 2 and without a record: version 2 was in force
    db_session.execute(TermsAcceptance.__table__.delete().where(TermsAcceptance.user_id == newer.id))
    assert legal.accepted_terms_number(newer) == 2 and legal.terms_to_accept(newer) == 0
