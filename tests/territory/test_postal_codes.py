"""Postal codes (issue 12, point 2): what a person types is read as a postal code, from the
postal-code index; a code covering several communes gives a choice, never the first one;
Marseille, Paris and Lyon's codes (their arrondissements') give the commune; INSEE codes only
when typed as such ("INSEE 13055"). Today's main reads 13001 as Aix-en-Provence and 13002 as
Allauch (INSEE codes), and knows no 84000, 83000 or 06000."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.directory.models import Organisation
from app.territory.services import around_commune, commune_text, insee_reference, lookup_commune
from tests.conftest import login, page_text, post_form


def _insee(value: str) -> str | None:
    found = lookup_commune(value)
    return found.commune.insee if found.commune else None


@pytest.mark.parametrize(
    ("typed", "insee"),
    [
        ("84000", "84007"),  # Avignon
        ("83000", "83137"),  # Toulon
        ("06000", "06088"),  # Nice
        ("06 000", "06088"),
        (" 84140 ", "84007"),
        ("75116", "75056"),  # an arrondissement of Paris: Paris
        ("69003", "69123"),  # Lyon
        ("Aix-en-Provence", "13001"),
        ("aix en provence", "13001"),
        ("Marseille (13001)", "13055"),  # an autocomplete label
        ("INSEE 13002", "13002"),  # an INSEE code typed as such: Allauch
        ("insee:13001", "13001"),
        ("code INSEE 84007", "84007"),
        ("2A004", "2A004"),  # Ajaccio: a Corsican INSEE code looks like no postal code
    ],
)
def test_postal_codes_names_and_typed_insee_codes(db_session, typed, insee):
    assert _insee(typed) == insee


@pytest.mark.parametrize("arrondissement", range(1, 17))
def test_every_marseille_postal_code_is_marseille(db_session, arrondissement):
    assert _insee(f"130{arrondissement:02d}") == "13055"


def test_a_postal_code_covering_several_communes_gives_a_choice(db_session):
    found = lookup_commune("04210")
    assert found.commune is None
    assert {c.name for c in found.candidates} == {"Valensole", "Brunet"}
    assert "04210" in found.error and "plusieurs communes" in found.error
    assert len(lookup_commune("04200").candidates) == 19  # never cut


def test_a_bare_insee_code_is_not_taken_but_offered(db_session):
    found = lookup_commune("13055")  # no postal code is 13055: Marseille's INSEE code
    assert found.commune is None and [c.name for c in found.candidates] == ["Marseille"]
    assert "INSEE" in found.error and "Marseille" in found.error
    found = lookup_commune("84001")  # a typo of 84000 must not land in Althen-des-Paluds
    assert found.commune is None and [c.insee for c in found.candidates] == ["84001"]


def test_unknown_codes_and_names_are_clear_errors(db_session):
    found = lookup_commune("99999")
    assert found.commune is None and not found.candidates
    assert found.error == "Aucune commune n'a le code postal 99999 : vérifiez-le ou tapez le nom de la commune."
    assert lookup_commune("INSEE 99999").error == "Aucune commune n'a le code INSEE 99999."
    assert "Commune introuvable" in lookup_commune("Atlantide").error
    same_name = lookup_commune("Apremont")  # six communes share the name
    assert same_name.commune is None and len(same_name.candidates) == 6 and "Apremont" in same_name.error
    assert not lookup_commune("   ").error


def test_autocomplete_lists_the_communes_of_a_postal_code_never_an_insee_code(client):
    names = [c["name"] for c in client.get("/communes?q=04210").get_json()]
    assert sorted(names) == ["Brunet", "Valensole"]
    assert [c["name"] for c in client.get("/communes?q=13001").get_json()] == ["Marseille"]
    assert [c["name"] for c in client.get("/communes?q=84000").get_json()] == ["Avignon"]
    assert [c["name"] for c in client.get("/communes?q=INSEE 13002").get_json()] == ["Allauch"]
    assert "Marseille" in [c["name"] for c in client.get("/communes?q=130").get_json()]


def test_commune_box_text_reads_back_as_the_same_commune(db_session):
    for typed in ("13001", "INSEE 13002", "Apremont (01)", "04210"):
        commune = lookup_commune(typed).commune or lookup_commune(typed).candidates[0]
        assert lookup_commune(commune_text(commune)).commune is commune
    assert commune_text(lookup_commune("13001").commune) == "Marseille"


def test_around_a_commune_in_correct_french(app):
    with app.test_request_context():
        assert around_commune("Aix-en-Provence") == "autour d'Aix-en-Provence"
        assert around_commune("Marseille") == "autour de Marseille"
        assert around_commune("Le Cannet") == "autour du Cannet"
        assert around_commune("Les Pennes-Mirabeau") == "autour des Pennes-Mirabeau"
        assert around_commune("La Ciotat") == "autour de La Ciotat"
        assert around_commune("L'Isle-sur-la-Sorgue") == "autour de L'Isle-sur-la-Sorgue"
        assert around_commune("Évry-Courcouronnes") == "autour d'Évry-Courcouronnes"


def test_api_commune_stays_an_insee_code():
    assert insee_reference("13001") == "INSEE 13001"
    assert insee_reference("2a004") == "INSEE 2A004"
    assert insee_reference("Marseille (13001)") == "Marseille (13001)"


ORG = {"name": "Association des Collines", "kind": "association", "size": "2_9"}


def test_organisation_with_a_shared_postal_code_asks_which_commune(client, factory, db_session):
    user = factory.user()
    login(client, user)
    r = post_form(client, "/structure/nouvelle", {**ORG, "commune": "04210"})
    assert r.status_code == 422 and db_session.scalar(select(Organisation)) is None
    html = page_text(r)
    assert "couvre plusieurs communes" in html
    choices = dict(re.findall(r'name="commune-insee" value="([^"]+)"[^>]*> ([^<(]+) \(', html))
    assert set(choices.values()) == {"Valensole", "Brunet"}
    valensole = next(code for code, name in choices.items() if name == "Valensole")
    # a choice that is not among the candidates of what the box says is not taken
    r = post_form(client, "/structure/nouvelle", {**ORG, "commune": "04210", "commune-insee": "13055"})
    assert r.status_code == 422 and db_session.scalar(select(Organisation)) is None
    r = post_form(client, "/structure/nouvelle", {**ORG, "commune": "04210", "commune-insee": valensole})
    assert r.status_code == 302
    assert db_session.scalar(select(Organisation)).commune.name == "Valensole"


@pytest.mark.parametrize(("typed", "town"), [("13002", "Marseille"), ("84000", "Avignon"), ("INSEE 13002", "Allauch")])
def test_organisation_saved_in_the_town_of_its_postal_code(client, factory, db_session, typed, town):
    login(client, factory.user())
    r = post_form(client, "/structure/nouvelle", {**ORG, "commune": typed})
    assert r.status_code == 302
    assert db_session.scalar(select(Organisation)).commune.name == town


def test_organisation_with_a_bare_insee_code_is_not_saved_silently(client, factory, db_session):
    login(client, factory.user())
    r = post_form(client, "/structure/nouvelle", {**ORG, "commune": "13055"})
    assert r.status_code == 422 and db_session.scalar(select(Organisation)) is None
    assert "code INSEE de Marseille" in page_text(r)


def test_search_page_with_a_postal_code(client):
    r = client.get("/recherche?q=atelier&commune=13001&rayon=20")
    assert r.status_code == 200
    html = page_text(r)
    assert "autour de Marseille" in html and 'value="Marseille"' in html
    assert "autour d'Aix-en-Provence" in page_text(client.get("/recherche?q=atelier&commune=13090"))
    r = client.get("/recherche?q=atelier&commune=04210")
    assert r.status_code == 400
    links = re.findall(r'href="(/recherche\?[^"]*)"[^>]*>(Valensole|Brunet)<', page_text(r))
    assert len(links) == 2
    assert client.get(links[0][0].replace("&amp;", "&")).status_code == 200
    body = client.get("/api/v1/search?q=atelier&commune=Apremont").get_json()  # six communes
    assert len(body["error"]["candidates"]) == 6
    assert client.get("/api/v1/search?q=atelier&commune=13001").get_json()["near"]["name"] == "Aix-en-Provence"


def test_english_pages_say_around_and_which_municipality(client):
    with client.session_transaction() as session:
        session["lang"] = "en"
    html = page_text(client.get("/recherche?q=atelier&commune=13090"))
    assert "around Aix-en-Provence" in html
    assert "around Le Cannet" in page_text(client.get("/recherche?q=atelier&commune=Le+Cannet"))
    r = client.get("/recherche?q=atelier&commune=04210")
    assert "The postal code 04210 covers several municipalities: choose yours." in page_text(r)


def test_need_form_offers_the_same_choice(client, factory, db_session):
    from app.needs.models import Need

    user = factory.user()
    org = factory.organisation(owner=user)
    login(client, user)
    need = {
        "organisation_id": str(org.id),
        "title": "Un site pour le club",
        "description": "Présenter nos activités.",
        "skills": ["presence.site_web"],
        "modality": "both",
        "funding_mode": "volunteer",
        "contact_name": "A",
        "contact_email": "a@b.fr",
    }
    r = post_form(client, "/besoins/nouveau", {**need, "commune": "04160"})  # Château-Arnoux-Saint-Auban, L'Escale
    assert r.status_code == 422 and 'name="commune-insee"' in page_text(r)
    assert db_session.scalar(select(Need)) is None
    r = post_form(client, "/besoins/nouveau", {**need, "commune": "04160", "commune-insee": "04079"})
    assert r.status_code == 302
    assert db_session.scalar(select(Need)).commune.name == "L'Escale"
