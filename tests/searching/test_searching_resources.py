"""Knowledge-base resources (R42) in the public search: indexed once published, by
the job that follows each commit; drafts, merged duplicates and deleted resources
are not (or no longer) found; the page and the API show the identifier, the
producer and the licence, and link to /r/R42."""

from __future__ import annotations

import re

import pytest

from app.core.jobs import commit
from app.library.models import ResourceStatus as RS
from app.library.services.licences import add_licence_offer
from app.library.services.moderation import merge_resources
from app.library.services.producers import update_producer
from app.library.services.resources import move_resource, update_resource
from app.searching.documents import resource_document
from app.searching.services import SearchRequest, build_query, get_backend
from tests.conftest import page_text
from tests.library.library_helpers import producer, resource


def visible(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page_text(response)))


def _search(text="", kind="resource", **kw):
    query, _commune = build_query(SearchRequest(text=text, kind=kind, **kw))
    return get_backend().search(query)


def _titles(text="", kind="resource", **kw) -> list[str]:
    return [hit.title for hit in _search(text, kind, **kw).hits]


@pytest.fixture
def library(factory):
    user = factory.user(name="Nadia Productrice", intent="provider")
    prod = producer(user, name="Collectif Médiation Sud")
    smartphone = resource(
        user,
        prod,
        title="Atelier : sécuriser son smartphone",
        description="Un **atelier** de deux heures sur les *mises à jour* et les sauvegardes.",
    )
    theatre = resource(
        user,
        prod,
        title="Théâtre-forum sur le cyberharcèlement",
        themes=["education_medias"],
        audiences=["jeunes"],
        formats=["video"],
        licence="CC0-1.0",
    )
    draft = resource(user, prod, publish=False, title="Brouillon : écrans et sommeil des enfants")
    commit()  # indexing runs after the commit, as after any request
    return {"user": user, "producer": prod, "smartphone": smartphone, "theatre": theatre, "draft": draft}


def test_a_published_resource_is_found_by_a_word_of_its_title_accents_folded(library):
    assert _titles("securiser") == ["Atelier : sécuriser son smartphone"]
    assert _titles("theatre") == ["Théâtre-forum sur le cyberharcèlement"]
    assert _titles("cyberharcel") == ["Théâtre-forum sur le cyberharcèlement"]  # a prefix


def test_metadata_and_the_identifier_are_searchable(library):
    assert set(_titles("collectif mediation sud")) == {
        "Atelier : sécuriser son smartphone",
        "Théâtre-forum sur le cyberharcèlement",
    }
    assert _titles("domaine public") == ["Théâtre-forum sur le cyberharcèlement"]  # licence label
    assert _titles("education aux medias") == ["Théâtre-forum sur le cyberharcèlement"]  # theme label
    assert _titles(library["smartphone"].identifier) == ["Atelier : sécuriser son smartphone"]
    assert _titles("sauvegardes") == ["Atelier : sécuriser son smartphone"]  # the description, as plain text


def test_the_kind_filter_keeps_resources_apart(library, factory):
    factory.offer(title="Atelier smartphone pour les seniors")
    commit()
    assert _titles("smartphone", kind="resource") == ["Atelier : sécuriser son smartphone"]
    assert _titles("smartphone", kind="offer") == ["Atelier smartphone pour les seniors"]
    both = _search("smartphone", kind=None)  # every public kind
    assert {h.kind for h in both.hits} == {"offer", "resource"}


def test_the_document_is_plain_text_with_display_data(library):
    doc = resource_document(library["smartphone"])
    assert doc.kind == "resource" and "**" not in doc.body and "atelier de deux heures" in doc.body
    assert doc.lat is None and doc.commune_insee is None and doc.skills == []
    identifier = library["smartphone"].identifier
    assert doc.extra["url"] == f"/r/{identifier}" and doc.extra["identifier"] == identifier
    assert doc.extra["producer"] == "Collectif Médiation Sud" and doc.extra["licence"] == "CC-BY-SA-4.0"
    assert doc.extra["paid"] is False and doc.extra["price_from_cents"] is None
    assert resource_document(library["draft"]) is None


def test_drafts_are_not_indexed_until_published(library):
    assert _titles("sommeil") == []
    move_resource(library["user"], library["draft"], RS.PUBLISHED)
    commit()
    assert _titles("sommeil") == ["Brouillon : écrans et sommeil des enfants"]


def test_unpublished_deleted_and_merged_resources_leave_the_index(library, factory):
    user, staff = library["user"], factory.staff()
    move_resource(user, library["smartphone"], RS.DRAFT)
    commit()
    assert _titles("securiser") == []
    move_resource(user, library["smartphone"], RS.PUBLISHED)
    commit()
    assert _titles("securiser") == ["Atelier : sécuriser son smartphone"]
    move_resource(user, library["smartphone"], RS.DELETED)
    commit()
    assert _titles("securiser") == []
    merge_resources(staff, library["theatre"], library["draft"])
    commit()
    assert _titles("theatre") == []  # the duplicate redirects; the survivor is still a draft
    assert get_backend().health().documents.get("resource", 0) == 0


def test_edits_producer_renames_and_licence_prices_are_followed(library):
    user, smartphone = library["user"], library["smartphone"]
    update_resource(user, smartphone, {"title": "Atelier : protéger son téléphone"})
    commit()
    assert _titles("proteger telephone") == ["Atelier : protéger son téléphone"]
    assert "Atelier : sécuriser son smartphone" not in _titles("atelier")  # the old title is gone
    update_producer(user, library["producer"], {"name": "Les Médiateurs du Var"})
    commit()
    assert len(_titles("mediateurs var")) == 2 and _titles("collectif") == []
    update_resource(user, smartphone, {"licence": "LicenseRef-licence-usage"})
    add_licence_offer(
        user,
        smartphone,
        {
            "kind": "structure",
            "label": "",
            "terms": "",
            "price_cents": 4900,
            "duration_months": None,
            "producer_id": library["producer"].id,
        },
    )
    commit()
    hit = _search("proteger").hits[0]
    assert hit.extra["paid"] is True and hit.extra["price_from_cents"] == 4900


def test_a_rolled_back_resource_is_never_indexed(library, db_session):
    resource(library["user"], library["producer"], title="Podcast sur la fracture numérique")
    db_session.rollback()
    commit()
    assert _titles("podcast") == []


def test_search_page_shows_identifier_producer_licence_and_link(client, library):
    identifier = library["smartphone"].identifier
    html = page_text(client.get("/recherche?type=resource&q=securiser"))
    assert f'href="/r/{identifier}"' in html
    text = visible(client.get("/recherche?type=resource&q=securiser"))
    assert identifier in text and "Collectif Médiation Sud" in text
    assert "Licence : CC BY-SA 4.0" in text and "Support d'atelier" in text
    assert '<option value="resource" selected>Ressources</option>' in html
    english = visible(client.get("/recherche?type=resource&q=securiser", headers={"Accept-Language": "en"}))
    assert "Resources" in english and "Licence:" in english


def test_resources_have_no_place(client, library):
    # A commune left in the form from an offer search does not hide every resource.
    text = visible(client.get("/recherche?type=resource&q=securiser&commune=Marseille&rayon=10&tri=distance"))
    assert "Atelier : sécuriser son smartphone" in text and "ne s'appliquent pas" in text
    body = client.get("/api/v1/search?type=resource&q=securiser&commune=13055&rayon=10").get_json()
    assert body["total"] == 1 and body["near"] is None


def test_api_returns_resources(client, library):
    body = client.get("/api/v1/search?type=resource&q=theatre").get_json()
    assert body["total"] == 1
    item = body["items"][0]
    identifier = library["theatre"].identifier
    assert item["kind"] == "resource" and item["title"] == "Théâtre-forum sur le cyberharcèlement"
    assert item["identifier"] == identifier and item["url"] == f"/r/{identifier}"
    assert item["producer"] == "Collectif Médiation Sud" and item["licence"] == "CC0-1.0"
    assert client.get("/api/v1/search?type=ressource").status_code == 400
    spec = client.get("/api/v1/openapi.json").get_json()
    kinds = next(p for p in spec["paths"]["/api/v1/search"]["get"]["parameters"] if p["name"] == "type")
    assert "resource" in kinds["schema"]["enum"]


def test_reindex_rebuilds_resources(app, library):
    get_backend().clear("resource")
    assert _titles("securiser") == []
    result = app.test_cli_runner().invoke(args=["hub", "reindex"])
    assert result.exit_code == 0, result.output
    assert "2 resource" in result.output
    assert _titles("securiser") == ["Atelier : sécuriser son smartphone"]


def test_the_demo_resources_are_indexed_by_its_commit(db_session):
    from app.demo import load_demo

    counts = load_demo("mot de passe de la démo")
    commit()  # as `flask hub bootstrap` and `flask hub demo` do: the commit dispatches the indexing job
    result = _search()
    assert result.total == counts["ressources"] == 6
    assert _search("ameli").hits[0].extra["producer"] == "Collectif Médiation Sud"


def test_labels_are_indexed_in_french_whoever_makes_the_change(app, library):
    from flask_babel import get_locale

    from app.accounts.models import User
    from app.extensions import db
    from app.library.models import Resource

    with app.test_request_context("/", headers={"Accept-Language": "en"}):  # its own session
        assert str(get_locale()) == "en"
        user, theatre = db.session.get(User, library["user"].id), db.session.get(Resource, library["theatre"].id)
        update_resource(user, theatre, {"themes": ["sobriete"]})
        commit()  # the in-process job runs here, in an English request
    assert _titles("numerique responsable") == ["Théâtre-forum sur le cyberharcèlement"]


def test_suggestions_follow_the_chosen_type_and_never_list_needs(client, library, factory):
    factory.offer(title="Atelier smartphone pour débuter")
    commit()
    assert client.get("/recherche/suggestions?q=smartph&type=resource").get_json() == [
        "Atelier : sécuriser son smartphone"
    ]
    assert client.get("/recherche/suggestions?q=smartph").get_json() == ["Atelier smartphone pour débuter"]
    assert client.get("/recherche/suggestions?q=smartph&type=need").get_json() == []
    assert client.get("/recherche/suggestions?q=smartph&type=nimportequoi").get_json() == []
