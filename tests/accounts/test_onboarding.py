"""Onboarding by role: sign-up asks what the person comes for, and their space shows that first, and only
that; the funder choice grants nothing; the login refusal shows once; the terms are a page, linked."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.core.mail import OutboxEmail
from app.core.models import utcnow
from app.library.services.producers import create_producer
from app.vouchers.funders import add_funder_member, create_funder, is_funder_member
from tests.conftest import login, page_text, post_form

PASSWORD = "une phrase de passe"


def sign_up(client, db_session, intent: str, email: str) -> User:
    response = post_form(
        client,
        "/inscription",
        {"full_name": "Inès Martin", "email": email, "password": PASSWORD, "intent": intent, "accept": "y"},
    )
    assert response.status_code == 200 and "Vérifiez vos e-mails" in page_text(response)
    user = db_session.scalar(select(User).where(User.email == email))
    user.email_confirmed_at = utcnow()
    db_session.flush()
    return user


def actions(client) -> tuple[str, str]:
    """(the first button of the space, the whole text of the space)."""
    label, _href, main = first_button(client)
    return label, main


def first_button(client) -> tuple[str, str, str]:
    """(label, address) of the first button of the space, and the space's text."""
    page = client.get("/espace").get_data(as_text=True)
    main = page[page.index("<main") : page.index("</main>")]
    first = re.search(r'<a class="button" href="([^"]+)">([^<]+)</a>', main)
    assert first, main
    return html.unescape(first.group(2)), html.unescape(first.group(1)), html.unescape(main)


NEVER_FOR = {
    # what each newcomer's space must not offer
    "organisation": ("Créer ma fiche prestataire", "Créer un jeton", "Créer un programme", "espace producteur"),
    "provider": ("Décrire mon besoin", "Créer un jeton", "Créer un programme", "espace producteur"),
    "funder": ("Créer ma fiche prestataire", "Décrire mon besoin", "Créer un jeton", "Créer un programme"),
    "producer": ("Créer ma fiche prestataire", "Décrire mon besoin", "Créer un jeton", "Créer un programme"),
}
FIRST_FOR = {
    "organisation": ("Décrire mon besoin", "/structure/nouvelle"),
    "provider": ("Créer ma fiche prestataire", "/prestataire/nouveau"),
    "funder": ("Demander à représenter un financeur", "#financer"),
    "producer": ("Créer mon espace producteur", "/bibliotheque/producteurs/nouveau"),
}


@pytest.mark.parametrize("intent", ["organisation", "provider", "funder", "producer"])
def test_sign_up_per_intent_shows_only_that(client, db_session, intent):
    page = page_text(client.get(f"/inscription?profil={intent}"))
    assert re.search(rf'<input checked [^>]*value="{intent}"', page)  # the link's choice, already ticked
    user = sign_up(client, db_session, intent, f"{intent}@exemple.fr")
    assert user.intent == intent
    login(client, user)
    first, href, space = first_button(client)
    assert (first, href.removeprefix("/espace")) == FIRST_FOR[intent]
    for absent in NEVER_FOR[intent]:
        assert absent not in space, (intent, absent)
    # The API token lives in the account settings, linked from the space.
    assert "/espace/parametres" in space
    assert "Créer un jeton" in page_text(client.get("/espace/parametres"))


def test_the_funder_choice_grants_nothing_and_asks_the_staff(client, db_session, factory):
    staff = factory.staff()
    user = sign_up(client, db_session, "funder", "agent@ville.example.org")
    login(client, user)
    _first, space = actions(client)
    assert "l'équipe du Hub rattache elle-même chaque compte" in space
    assert client.get("/financeur/").status_code == 403
    assert client.get("/financeur/programmes/nouveau").status_code == 403

    refused = post_form(client, "/espace/financeur", {"organisation": "", "message": ""})
    assert refused.status_code == 422 and "Indiquez l'organisme que vous représentez." in page_text(refused)
    response = post_form(
        client, "/espace/financeur", {"organisation": "Ville de Digne-les-Bains", "message": "Chèques seniors"}
    )
    assert response.status_code == 302
    mail = db_session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == staff.email)).one()
    assert "Ville de Digne-les-Bains" in mail.body and user.email in mail.body
    db_session.expire_all()
    assert not is_funder_member(db_session.get(User, user.id))
    assert client.get("/financeur/").status_code == 403


def test_the_intent_changes_later_and_grants_nothing(client, db_session, factory):
    user = factory.user(intent="organisation")
    login(client, user)
    assert actions(client)[0] == "Décrire mon besoin"
    assert post_form(client, "/espace/parametres", {"intent": "root"}).status_code == 422
    response = post_form(client, "/espace/parametres", {"intent": "provider"})
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(User, user.id).intent == "provider"
    first, space = actions(client)
    assert first == "Créer ma fiche prestataire" and "Décrire mon besoin" not in space
    post_form(client, "/espace/parametres", {"intent": "funder"})
    assert client.get("/financeur/").status_code == 403


def test_each_role_sees_its_next_useful_action_first(client, db_session, factory):
    # An organisation without a need: the boussole.
    org_user = factory.user()
    factory.organisation(owner=org_user)
    login(client, org_user)
    first, space = actions(client)
    assert first == "Décrire mon besoin" and 'href="/besoins/boussole"' in space
    assert '<a class="button" href="/besoins/boussole">Décrire mon besoin</a>' in page_text(client.get("/"))

    # A provider without an offer: publish one.
    provider_user = factory.user(intent="provider")
    provider = factory.provider(owner=provider_user)
    login(client, provider_user)
    first, space = actions(client)
    assert first == "Publier une offre" and f'href="/prestataire/{provider.id}/offres/nouvelle"' in space
    assert "Décrire mon besoin" not in space

    # A funder's member without an open programme: create one.
    staff = factory.staff()
    funder_user = factory.user(intent="funder")
    funder = create_funder(staff, {"name": "CAF du Var", "kind": "caf", "dep_code": "83"})
    add_funder_member(staff, funder, funder_user.email)
    login(client, funder_user)
    first, space = actions(client)
    assert first == "Créer un programme" and 'href="/financeur/programmes/nouveau"' in space
    assert "CAF du Var" in space

    # A producer: its space links to its producer space.
    producer_user = factory.user(intent="producer")
    producer = create_producer(producer_user, {"kind": "structure", "name": "Atelier Libre", "presentation": ""})
    login(client, producer_user)
    first, space = actions(client)
    assert first == "Ouvrir mon espace producteur"
    assert f'href="/bibliotheque/producteurs/{producer.id}/espace"' in space
    assert "Espace producteur : Atelier Libre" in space


def test_the_unconfirmed_login_error_shows_once(client, factory):
    factory.user(email="pas.confirmee@exemple.fr", confirmed=False)
    message = "Confirmez d'abord votre adresse e-mail : un lien vous a été envoyé."
    response = post_form(
        client, "/connexion", {"email": "pas.confirmee@exemple.fr", "password": "un mot de passe solide"}
    )
    page = page_text(response)
    assert response.status_code == 422 and page.count(message) == 1
    assert '<a href="#"></a>' not in page and "> : " not in page


def test_the_terms_are_a_page_linked_from_the_sign_up_checkbox(client):
    terms = client.get("/conditions-utilisation")
    assert terms.status_code == 200
    text = page_text(terms)
    assert "<h1>Conditions d'utilisation</h1>" in text and "Vos données personnelles" in text
    signup = page_text(client.get("/inscription"))
    checkbox = signup[signup.index('id="accept"') :]
    checkbox = checkbox[: checkbox.index("</label>")]
    assert 'href="/conditions-utilisation"' in checkbox


def test_every_page_links_the_terms_in_its_footer(client):
    page = client.get("/").get_data(as_text=True)
    footer = page[page.index('<footer class="site-footer">') :]
    assert 'href="/conditions-utilisation"' in footer
    assert client.get("/conditions-utilisation").status_code == 200
