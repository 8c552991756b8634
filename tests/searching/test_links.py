"""The one query-string builder of the catalogue's links (app/searching/links.py): repeated
keys for multi-valued parameters (never `q=['…']`), the position dropped when the query
changes, and the search page's every refinement link built with it."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.datastructures import MultiDict

from app.searching.links import merged_params, query_string, toggled, url_toggle, url_with


def test_multi_valued_parameters_stay_repeated_keys():
    args = MultiDict([("q", "site web asso"), ("competence", "a.b"), ("competence", "c.d"), ("commune", "Marseille")])
    qs = query_string(args, categorie="formation")
    assert parse_qs(qs) == {
        "q": ["site web asso"],
        "competence": ["a.b", "c.d"],
        "commune": ["Marseille"],
        "categorie": ["formation"],
    }
    assert "%5B" not in qs and "['" not in qs  # no list rendered as text


def test_a_change_replaces_every_value_none_removes_a_list_repeats():
    args = MultiDict([("q", "x"), ("competence", "a"), ("competence", "b"), ("rayon", "20")])
    assert merged_params(args, {"rayon": 50}) == [("q", "x"), ("competence", "a"), ("competence", "b"), ("rayon", "50")]
    assert merged_params(args, {"competence": None}) == [("q", "x"), ("rayon", "20")]
    assert merged_params(args, {"competence": ["b", "e"]}) == [
        ("q", "x"),
        ("rayon", "20"),
        ("competence", "b"),
        ("competence", "e"),
    ]
    assert merged_params(MultiDict([("q", ""), ("tri", "date")]), {}) == [("tri", "date")]  # empty values dropped


def test_the_position_is_dropped_when_anything_else_changes():
    args = MultiDict([("q", "atelier"), ("suite", "CURSOR"), ("page", "3")])
    assert merged_params(args, {"categorie": "formation"}) == [("q", "atelier"), ("categorie", "formation")]
    assert merged_params(args, {"rayon": 50}) == [("q", "atelier"), ("rayon", "50")]
    assert merged_params(args, {"suite": "NEXT"}) == [("q", "atelier"), ("page", "3"), ("suite", "NEXT")]
    assert merged_params(args, {"page": 4}) == [("q", "atelier"), ("suite", "CURSOR"), ("page", "4")]


def test_a_plain_dict_works_too():
    assert parse_qs(query_string({"q": "a b", "competence": ["x", "y"], "vide": None}, page=2)) == {
        "q": ["a b"],
        "competence": ["x", "y"],
        "page": ["2"],
    }


def test_toggling_a_facet_value():
    args = MultiDict([("categorie", "formation"), ("competence", "a"), ("competence", "b")])
    assert toggled(args, "categorie", "formation") is None  # on: the link turns it off
    assert toggled(args, "categorie", "atelier") == "atelier"  # another one replaces it
    assert toggled(args, "competence", "a", multiple=True) == ["b"]
    assert toggled(args, "competence", "c", multiple=True) == ["a", "b", "c"]


def test_url_with_and_url_toggle_read_the_current_request(app):
    with app.test_request_context("/recherche?q=site+web&commune=Marseille&rayon=20&suite=abc&competence=x"):
        link = url_with("searching.search_page", rayon=50)
        assert link.startswith("/recherche?")
        assert parse_qs(urlsplit(link).query) == {
            "q": ["site web"],
            "commune": ["Marseille"],
            "competence": ["x"],
            "rayon": ["50"],
        }
        link = url_toggle("searching.search_page", "competence", "y", multiple=True)
        assert parse_qs(urlsplit(link).query)["competence"] == ["x", "y"]
    with app.test_request_context("/bibliotheque/"):
        assert url_with("library.browse") == "/bibliotheque/"


def _links(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="(/recherche\?[^"]*)"', html)]


@pytest.fixture
def catalogue(factory):
    aix = factory.provider(name="Numérique Aixois", commune="13001", radius_km=40)
    for n in range(3):
        factory.offer(
            provider=aix,
            title=f"Atelier site web asso {n}",
            description="Créer le site web de votre association.",
            skills=["presence.site_web"],
            category="atelier" if n else "formation",
        )
    from app.core.jobs import commit

    commit()


def test_every_refinement_link_of_the_search_page_answers_200_and_keeps_the_commune(client, catalogue):
    """Today's main renders the facet links with `q=['site web asso']`: each answers 400."""
    url = "/recherche?q=site+web+asso&commune=Marseille&rayon=30&competence=presence.site_web&par_page=1"
    first = client.get(url)
    assert first.status_code == 200
    links = _links(first.get_data(as_text=True))
    assert len(links) >= 4  # facets, the next page
    assert "Bouches-du-Rhône (13)" in unescape(first.get_data(as_text=True))  # a département by its name
    for link in links:
        r = client.get(link)
        assert r.status_code == 200, link
        params = parse_qs(urlsplit(link).query)
        assert params["q"] == ["site web asso"] and params["commune"] == ["Marseille"], link
        assert 'value="Marseille"' in r.get_data(as_text=True)
    nxt = next(link for link in links if "suite=" in link)
    facet = next(link for link in links if "categorie=formation" in link)
    assert "suite=" not in facet  # a new facet starts again from the first page
    first_title = re.sub(r"<[^>]+>", "", first.get_data(as_text=True))
    second = re.sub(r"<[^>]+>", "", client.get(nxt).get_data(as_text=True))
    shown = [re.findall(r"Atelier site web asso \d", page) for page in (first_title, second)]
    assert len(shown[0]) == len(shown[1]) == 1 and shown[0] != shown[1]  # page 2 goes on


def test_knowledge_base_pages_keep_repeated_filters(app):
    from flask import render_template_string

    with app.test_request_context("/bibliotheque/?q=atelier&theme=a&page=2"):
        html = render_template_string("{{ url_with('library.browse', page=3) }}")
    assert parse_qs(urlsplit(unescape(html)).query) == {"q": ["atelier"], "theme": ["a"], "page": ["3"]}


def test_old_catalogue_links_keep_every_skill(client):
    r = client.get("/catalogue?q=site&skill=presence.site_web&skill=presence.referencement")
    assert r.status_code == 301
    params = parse_qs(urlsplit(r.headers["Location"]).query)
    assert params == {"q": ["site"], "competence": ["presence.site_web", "presence.referencement"]}


def test_widen_only_when_a_radius_narrows_the_search(client, catalogue):
    assert "Élargir à 50 km ?" in client.get("/recherche?q=introuvable&commune=Marseille&rayon=10").get_data(
        as_text=True
    )
    # without a radius the whole region is searched: "50 km" would narrow it
    assert "Élargir à 50 km ?" not in client.get("/recherche?q=introuvable&commune=Marseille").get_data(as_text=True)
