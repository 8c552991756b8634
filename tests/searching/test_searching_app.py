"""Search in the app: the index follows the database after each commit (never a
rolled-back change), the pages and the API search with facets and distance, and
needs stay private to hub staff."""

from __future__ import annotations

import re

import pytest

from app.core.jobs import PENDING, commit
from app.core.models import PublicationStatus as PS
from app.directory.services import move_offer
from app.searching.documents import offer_document, provider_document
from app.searching.services import SearchRequest, build_query, get_backend, reindex_documents
from search import FIELDS, PUBLIC_FACET_FIELDS
from tests.conftest import login, page_text


def visible(response) -> str:
    """The page's text as read (tags removed: highlights split words into <mark> elements)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page_text(response)))


def _search(text="", **kw):
    query, _commune = build_query(SearchRequest(text=text, **kw), staff=kw.get("kind") == "need")
    return get_backend().search(query)


@pytest.fixture
def offers(factory):
    aix = factory.provider(name="Médiation Aixoise", commune="13001", radius_km=40)
    nice = factory.provider(name="Nice Numérique", commune="06088", radius_km=30)
    site = factory.offer(
        provider=aix,
        title="Créer le site web de votre association",
        description="Un site WordPress simple, que vous mettez à jour vous-mêmes.",
        skills=["presence.site_web"],
        category="atelier",
        price_mode="volunteer",
    )
    rgpd = factory.offer(
        provider=nice,
        title="Audit RGPD pour les commerces",
        description="Registre, mentions légales, cookies.",
        skills=["securite.rgpd"],
        category="audit",
        price_mode="paid",
        price_cents=40000,
    )
    commit()  # indexing runs after the commit, as after any request
    return {"site": site, "rgpd": rgpd, "aix": aix}


def test_index_follows_commits_and_accents_typos_prefixes_work(offers):
    assert [h.title for h in _search("mediation aixoise").hits] == ["Créer le site web de votre association"]
    assert _search("wordpres").total == 1
    assert _search("associ").total == 1
    assert _search("rgpd commerce").hits[0].title == "Audit RGPD pour les commerces"


def test_a_rolled_back_change_is_never_indexed(offers, factory, db_session):
    from app.extensions import db

    factory.offer(provider=offers["aix"], title="Atelier tablette pour les seniors", publish=True)
    db.session.rollback()
    commit()
    assert _search("tablette seniors").total == 0


def test_unpublished_offers_leave_the_index(offers, factory):
    staff = factory.staff()
    move_offer(staff, offers["site"], PS.ARCHIVED)
    commit()
    assert _search("site web").total == 0


def test_search_page_shows_highlights_facets_and_distance(client, offers):
    page = page_text(client.get("/recherche?q=site+web+asso&commune=Marseille&rayon=50&tri=distance"))
    assert "Créer le <mark>site</mark> <mark>web</mark>" in client.get(
        "/recherche?q=site+web+asso&commune=Marseille&rayon=50"
    ).get_data(as_text=True)
    assert re.search(r"à \d+ km", page)
    assert "Audit RGPD" not in page  # Nice is 160 km away
    visible = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Atelier (1)" in visible
    empty = page_text(client.get("/recherche?q=rgpd&commune=Marseille&rayon=10"))
    assert "Élargir à 50 km ?" in empty


def test_catalogue_links_keep_working(client, offers):
    r = client.get("/catalogue?category=audit&q=rgpd")
    assert r.status_code == 301 and "categorie=audit" in r.headers["Location"]
    page = visible(client.get(r.headers["Location"]))
    assert "Audit RGPD pour les commerces" in page and "Créer le site" not in page


def test_api_search_and_its_errors(client, offers):
    body = client.get("/api/v1/search?q=site&commune=13055&tri=distance").get_json()
    assert body["total"] == 1 and body["items"][0]["distance_km"] > 0
    assert body["facets"]["category"] == {"atelier": 1}
    assert client.get("/api/v1/search?tri=distance").status_code == 422  # well formed, but no commune to measure from
    assert client.get("/api/v1/search?categorie=magie").status_code == 400
    assert client.get("/api/v1/search?type=need").status_code == 403


def test_needs_are_found_by_staff_only(client, factory):
    need = factory.need(title="Former nos bénévoles à la cybersécurité", skills=["securite.cybersecurite"])
    commit()
    login(client, factory.user())
    assert client.get("/recherche?type=need&q=cybersecurite").status_code == 403
    login(client, factory.staff())
    page = visible(client.get("/recherche?type=need&q=cybersecurite"))
    assert "Former nos bénévoles" in page
    assert need.contact_email not in page


def test_cursor_pagination_has_no_duplicates(client, factory):
    provider = factory.provider(name="Ateliers en série", commune="84007")
    for i in range(7):
        factory.offer(provider=provider, title=f"Atelier numérique numéro {i}", skills=["competences.bureautique"])
    commit()
    seen, url = [], "/api/v1/search?q=atelier&par_page=3&tri=date"
    while url:
        body = client.get(url).get_json()
        seen += [item["id"] for item in body["items"]]
        url = (
            f"/api/v1/search?q=atelier&par_page=3&tri=date&suite={body['next_cursor']}" if body["next_cursor"] else None
        )
    assert len(seen) == len(set(seen)) == 7


def test_staff_are_told_when_meilisearch_is_down(app, client, offers, factory, monkeypatch):
    # No Meilisearch server can run here: a closed port stands for one that is down.
    monkeypatch.setitem(app.config, "MEILI_URL", "http://127.0.0.1:9")
    login(client, factory.staff())
    page = visible(client.get("/recherche?q=site"))
    assert "Créer le site web" in page  # served by the SQL fallback
    assert "ne répond pas" in page


def test_reindex_command(app, offers):
    result = app.test_cli_runner().invoke(args=["hub", "reindex"])
    assert result.exit_code == 0, result.output
    assert "offer" in result.output


def test_site_web_asso_near_marseille_finds_websites_when_no_offer_has_every_word(client, offers, factory):
    """The issue's check: "site web asso" near Marseille finds the right offers, ranked sensibly."""
    factory.offer(
        provider=offers["aix"],
        title="Refonte d'un site vieillissant",
        description="Un site plus rapide et accessible.",
        skills=["presence.site_web"],
    )
    commit()
    body = client.get("/api/v1/search?q=site+web+asso&commune=13055&rayon=50").get_json()
    titles = [item["title"] for item in body["items"]]
    assert titles[0] == "Créer le site web de votre association"  # every word
    assert "Refonte d'un site vieillissant" in titles and body["all_words_total"] == 1
    body = client.get("/api/v1/search?q=site+web+asso+rgpd&commune=13055&rayon=50").get_json()
    assert body["all_words_total"] == 0 and body["items"][0]["title"] == "Créer le site web de votre association"
    page = visible(client.get("/recherche?q=site+web+asso+rgpd&commune=Marseille&rayon=50"))
    assert "au moins un" in page


def test_bootstrap_rebuilds_an_empty_index_of_a_database_with_content(app, client, offers):
    """After migration 0008 (which recreates the search tables) or a database
    restored without its index, `flask hub bootstrap` fills the index again."""
    from app.searching.services import get_backend

    for kind in ("offer", "provider", "need", "resource"):
        get_backend().clear(kind)
    commit()
    assert client.get("/api/v1/search?q=site").get_json()["items"] == []
    result = app.test_cli_runner().invoke(args=["hub", "bootstrap"])
    assert result.exit_code == 0, result.output
    assert "search index rebuilt" in result.output
    assert "Créer le site web de votre association" in [
        i["title"] for i in client.get("/api/v1/search?q=site").get_json()["items"]
    ]
    assert "open data files written" in result.output  # /donnees offers its files from the first start
    assert "lieux-mediation-numerique.csv" in client.get("/donnees").get_data(as_text=True)
    again = app.test_cli_runner().invoke(args=["hub", "bootstrap"])
    assert "search index rebuilt" not in again.output and "open data files written" not in again.output


def test_changes_of_several_flushes_make_one_reindex_job(offers, factory, db_session):
    """The index is kept in step through enqueue (coalesce): one job per transaction."""
    offers["site"].title = "Créer le site de votre association"
    db_session.flush()
    offers["rgpd"].title = "Audit RGPD des commerces"
    db_session.flush()
    jobs = [job for job in db_session.info.get(PENDING, []) if job[0] is reindex_documents]
    assert len(jobs) == 1
    _func, _args, kwargs, queue = jobs[0]
    assert queue == "search"
    assert {offers["site"].id, offers["rgpd"].id} <= set(kwargs["offer_ids"])
    commit()
    assert _search("audit commerces").hits[0].title == "Audit RGPD des commerces"


def test_filters_and_public_facets_come_from_the_search_fields():
    query, _commune = build_query(
        SearchRequest(category="atelier", skills=["presence.site_web"], dep_code="13", modality="on_site")
    )
    assert query.filters == {
        "category": ["atelier"],
        "skills": ["presence.site_web"],
        "dep_code": ["13"],
        "modality": ["both", "on_site"],
    }
    assert (
        set(query.facets)
        == set(PUBLIC_FACET_FIELDS)
        == {
            "category",
            "skills",
            "dep_code",
            "modality",
            "price_mode",
            "charter_level",
        }
    )


def test_documents_fill_the_fields_declared_for_their_kind(offers):
    """search.base.FIELDS says which kinds fill each field; the app's builders agree."""
    for doc in (offer_document(offers["site"]), provider_document(offers["aix"])):
        for field in FIELDS:
            value = getattr(doc, field.name)
            if doc.kind not in field.kinds:
                assert value in (None, "", []), (doc.kind, field.name)
        assert all(getattr(doc, f.name) not in (None, "", []) for f in FIELDS if f.kind == "text" and f.weight == "A")
