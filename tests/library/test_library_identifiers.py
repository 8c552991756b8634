"""Public identifiers (R + number): assigned once, never reused (also after deletion and merge);
/r/R42 resolves with content negotiation; merged duplicates redirect; JSON-LD fields."""

from __future__ import annotations

import json

import pytest
from library_helpers import PDF, paid_offer, producer, resource, upload
from sqlalchemy import delete, select

from app.core.errors import ServiceError
from app.library.models import IdentifierCounter, Resource
from app.library.models import ResourceStatus as RS
from app.library.services.identifiers import parse_identifier, parse_identifiers
from app.library.services.moderation import merge_resources
from app.library.services.resources import move_resource
from tests.conftest import login, page_text


def test_numbers_are_consecutive_and_formatted(producer_user, prod):
    a = resource(producer_user, prod)
    b = resource(producer_user, prod, title="Deuxième")
    assert b.number == a.number + 1
    assert a.identifier == f"R{a.number}"
    assert parse_identifier("R42") == 42 and parse_identifier("r42") == 42
    for bad in ("R0", "R-1", "42", "Q42", "R4x", "", None, "R" + "9" * 19):
        assert parse_identifier(bad) is None
    assert parse_identifiers("R1, r2 ;R3|R1") == [1, 2, 3]
    with pytest.raises(ValueError):
        parse_identifiers("R1, Q2")


def test_numbers_are_never_reused_after_deletion(db_session, producer_user, prod, factory):
    staff = factory.staff()
    a = resource(producer_user, prod)
    move_resource(producer_user, a, RS.DELETED)
    b = resource(producer_user, prod, title="Après la suppression")
    assert b.number == a.number + 1
    # Even a row removed from the table does not free its number: the counter never goes back.
    last = b.number
    db_session.execute(delete(Resource).where(Resource.id == b.id))
    db_session.flush()
    c = resource(producer_user, prod, title="Après une suppression en base")
    assert c.number == last + 1
    assert (
        db_session.scalar(select(IdentifierCounter.last_value).where(IdentifierCounter.name == "resource")) == c.number
    )
    # A deleted resource restored by staff keeps its own number.
    move_resource(staff, a, RS.DRAFT)
    assert a.number < c.number and a.status == RS.DRAFT


def test_numbers_are_never_reused_after_merge(factory, producer_user, prod):
    staff = factory.staff()
    a = resource(producer_user, prod)
    b = resource(producer_user, prod, title="Doublon")
    merge_resources(staff, b, a)
    c = resource(producer_user, prod, title="Nouvelle")
    assert c.number == b.number + 1
    assert b.status == RS.MERGED and b.number != c.number


def test_a_failed_creation_takes_no_number(db_session, producer_user, prod):
    a = resource(producer_user, prod)
    with pytest.raises(ServiceError), db_session.begin_nested():
        resource(producer_user, prod, themes=["inconnu"])
    assert resource(producer_user, prod, title="Suivante").number == a.number + 1


def test_resolve_html_for_people(client, producer_user, prod):
    r = resource(producer_user, prod)
    page = client.get(f"/r/{r.identifier}", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page_text(page)
    assert r.title in text and r.identifier in text and "Historique" in text
    assert "Accept" in page.headers["Vary"]
    # Embedded JSON-LD for search engines.
    assert '<script type="application/ld+json">' in page.get_data(as_text=True)
    # Lower-case or stray forms go to the canonical address; unknown ones are 404.
    lower = client.get(f"/r/r{r.number}")
    assert lower.status_code == 301 and lower.headers["Location"].endswith(f"/r/{r.identifier}")
    assert client.get("/r/R999999999").status_code == 404
    assert client.get("/r/Q42").status_code == 404
    assert client.get("/r/R0").status_code == 404


def test_drafts_are_seen_by_their_producers_only(client, factory, producer_user, prod):
    r = resource(producer_user, prod, publish=False)
    assert client.get(f"/r/{r.identifier}").status_code == 404
    assert client.get(f"/r/{r.identifier}", headers={"Accept": "application/ld+json"}).status_code == 404
    login(client, factory.user())
    assert client.get(f"/r/{r.identifier}").status_code == 404
    login(client, producer_user)
    assert client.get(f"/r/{r.identifier}").status_code == 200


@pytest.mark.parametrize(
    "accept,mimetype",
    [
        ("application/ld+json", "application/ld+json"),
        ("application/json", "application/json"),
        ("application/ld+json;q=1, text/html;q=0.5", "application/ld+json"),
    ],
)
def test_resolve_json_ld_for_machines(client, factory, producer_user, prod, accept, mimetype):
    other = producer(factory.user(), name="Camille Dupont", kind="person")
    base = resource(producer_user, prod, title="Méthode d'origine")
    near = resource(producer_user, prod, title="Ressource voisine")
    r = resource(producer_user, prod, languages=["fr", "lsf"], is_based_on=[base.number], is_related_to=[near.number])
    r.producers.append(other)
    upload(producer_user, r, "support.pdf", PDF)
    response = client.get(f"/r/{r.identifier}", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert "Accept" in response.headers["Vary"]
    data = json.loads(response.get_data(as_text=True))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "LearningResource"
    assert data["identifier"] == r.identifier
    assert data["@id"].endswith(f"/r/{r.identifier}") and data["@id"].startswith("http")
    assert data["name"] == r.title
    assert data["description"] == "Un atelier de deux heures."  # Markdown reduced to text
    assert data["license"] == "https://creativecommons.org/licenses/by-sa/4.0/"
    creators = {c["name"]: c["@type"] for c in data["creator"]}
    assert creators == {"Collectif Médiation Sud": "Organization", "Camille Dupont": "Person"}
    assert data["dateCreated"] == "2024"
    assert data["encodingFormat"] == ["application/pdf"]
    assert data["inLanguage"] == ["fr", "fsl"]
    assert {t["termCode"] for t in data["about"]} == {"securite", "materiel"}
    assert all(t["@type"] == "DefinedTerm" and t["name"] for t in data["about"])
    assert [a["@type"] for a in data["audience"]] == ["Audience", "Audience"]
    assert data["audience"][0]["audienceType"] == "Médiateurs et médiatrices numériques"
    assert data["isBasedOn"] == [{"@id": base_url} for base_url in [data["@id"].replace(r.identifier, base.identifier)]]
    assert data["isRelatedTo"][0]["@id"].endswith(f"/r/{near.identifier}")
    media = data["associatedMedia"][0]
    assert media["encodingFormat"] == "application/pdf" and len(media["sha256"]) == 64
    assert data["isAccessibleForFree"] is True
    assert data["learningResourceType"] == "Support d'atelier"


def test_json_ld_of_a_paid_resource_links_its_licence_terms(client, producer_user, prod):
    r = resource(producer_user, prod, licence="LicenseRef-licence-usage")
    paid_offer(producer_user, r, price_cents=4900)
    data = client.get(f"/r/{r.identifier}?format=jsonld").get_json(force=True)
    assert data["license"].endswith(f"/r/{r.identifier}#licences")
    assert data["isAccessibleForFree"] is False
    assert data["offers"][0]["price"] == "49.00" and data["offers"][0]["priceCurrency"] == "EUR"


def test_merged_duplicate_keeps_its_number_and_redirects(client, factory, producer_user, prod):
    staff = factory.staff()
    survivor = resource(producer_user, prod, title="Fiche : créer son adresse e-mail")
    duplicate = resource(producer_user, prod, title="Créer son adresse mail (doublon)")
    merge_resources(staff, duplicate, survivor)
    html = client.get(f"/r/{duplicate.identifier}")
    assert html.status_code == 301 and html.headers["Location"].endswith(f"/r/{survivor.identifier}")
    machine = client.get(f"/r/{duplicate.identifier}", headers={"Accept": "application/ld+json"})
    assert machine.status_code == 301 and "Accept" in machine.headers["Vary"]
    followed = client.get(
        f"/r/{duplicate.identifier}", headers={"Accept": "application/ld+json"}, follow_redirects=True
    )
    assert followed.get_json(force=True)["identifier"] == survivor.identifier
    # A chain collapses: merging the survivor again makes the first duplicate point to the last survivor.
    last = resource(producer_user, prod, title="Version de référence")
    merge_resources(staff, survivor, last)
    assert client.get(f"/r/{duplicate.identifier}").headers["Location"].endswith(f"/r/{last.identifier}")
    assert duplicate.merged_into_id == last.id


def test_deleted_resource_answers_410(client, producer_user, prod):
    r = resource(producer_user, prod)
    move_resource(producer_user, r, RS.DELETED)
    page = client.get(f"/r/{r.identifier}")
    assert page.status_code == 410 and "ne désignera jamais une autre ressource" in page_text(page)
    machine = client.get(f"/r/{r.identifier}", headers={"Accept": "application/ld+json"})
    assert machine.status_code == 410 and machine.get_json(force=True)["identifier"] == r.identifier
