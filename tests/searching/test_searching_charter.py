"""Search and the charter's labels: a "labellisé charte" facet filters offers, providers and resources
(any level, or one level), results show the level, and a label granted or ended reindexes its subject
(an offer without its own label takes its provider's). Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import re

import pytest

from app.charter.models import LabelStatus, SubjectKind
from app.charter.signals import label_ended
from app.core.jobs import commit
from app.searching.services import SearchRequest, build_query, get_backend
from search import PUBLIC_FACET_FIELDS
from tests.charter_effects_helpers import grant_label
from tests.conftest import page_text, post_form
from tests.library.library_helpers import producer, resource


def visible(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page_text(response)))


def _search(**kw):
    return get_backend().search(build_query(SearchRequest(**kw))[0])


@pytest.fixture
def world(factory):
    libre = factory.provider(name="Libre Toulon", commune="83137")
    other = factory.provider(name="Cyber Var", commune="83137")
    labelled = factory.offer(provider=libre, title="Atelier logiciels libres")
    own = factory.offer(provider=other, title="Audit sobriété numérique")
    plain = factory.offer(provider=other, title="Atelier tableur")
    commit()
    grant_label(SubjectKind.PROVIDER, libre.id, 3)
    grant_label(SubjectKind.OFFER, own.id, 5)
    return {"libre": libre, "other": other, "labelled": labelled, "own": own, "plain": plain}


def test_the_charter_facet_is_public_and_filters(world):
    assert "charter_level" in PUBLIC_FACET_FIELDS
    everything = _search(kind="offer")
    assert everything.facets["charter_level"] == {"3": 1, "5": 1}
    labelled = _search(kind="offer", charter_level="labellise")
    assert {h.title for h in labelled.hits} == {"Atelier logiciels libres", "Audit sobriété numérique"}
    level5 = _search(kind="offer", charter_level="5")
    assert [h.title for h in level5.hits] == ["Audit sobriété numérique"]
    assert {h.title: h.extra["charter_level"] for h in everything.hits} == {
        "Atelier logiciels libres": 3,
        "Audit sobriété numérique": 5,
        "Atelier tableur": None,
    }
    providers = _search(kind="provider", charter_level="labellise")
    assert [h.title for h in providers.hits] == ["Libre Toulon"]


def test_the_search_page_offers_the_facet_and_shows_the_level(client, world):
    page = page_text(client.get("/recherche?type=offer"))
    assert "Charte du numérique éthique" in page
    link = re.search(r'<a href="([^"]*charte=labellise[^"]*)"[^>]*>\s*Labellisé charte <span class="count">\(2\)', page)
    assert link, "no facet link"
    filtered = client.get(link.group(1).replace("&amp;", "&"))
    text = visible(filtered)
    assert "2 résultats" in text and "Atelier tableur" not in text
    assert "Labellisé charte · niveau 3" in text and "Labellisé charte · niveau 5" in text
    assert 'aria-current="true"' in page_text(filtered)
    post_form(client, "/langue", {"lang": "en"})
    assert "Charter-labelled · level 5" in visible(client.get("/recherche?type=offer&charte=5"))


def test_a_bad_facet_value_is_refused(client, world):
    r = client.get("/recherche?type=offer&charte=9")
    assert r.status_code == 400 and "Valeur inconnue" in page_text(r)
    assert client.get("/api/v1/search?type=offer&charte=9").status_code == 400
    api = client.get("/api/v1/search?type=offer&charte=labellise").get_json()
    assert api["total"] == 2 and {i["charter_level"] for i in api["items"]} == {3, 5}


def test_an_ended_label_leaves_the_facet(world, db_session):
    label = grant_label(SubjectKind.PROVIDER, world["other"].id, 2, commit=False)
    commit()
    assert {h.title for h in _search(kind="offer", charter_level="2").hits} == {"Atelier tableur"}
    label.status = LabelStatus.REVOKED
    db_session.flush()
    label_ended.send(label)
    commit()
    assert _search(kind="offer", charter_level="2").total == 0
    assert _search(kind="provider", charter_level="labellise").total == 1


def test_resources_carry_their_label(app, factory, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path / "files"))
    user = factory.user()
    r = resource(user, producer(user), title="Guide de la sobriété numérique")
    commit()
    grant_label(SubjectKind.RESOURCE, r.id, 4)
    hits = _search(kind="resource", charter_level="4").hits
    assert [h.title for h in hits] == ["Guide de la sobriété numérique"] and hits[0].extra["charter_level"] == 4
