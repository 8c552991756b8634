"""The contract every backend honours: SQL on SQLite and on PostgreSQL always,
Meilisearch when MEILI_URL is set (skipped otherwise — see conftest.py)."""

from __future__ import annotations

import pytest
from search_helpers import AIX, AVIGNON, MARSEILLE, NICE, day, offer

from search import PrivateKindError, SearchQuery
from search.text import haversine_km


def ids(result, kind="offer"):
    return [h.id for h in result.hits if h.kind == kind]


def find(backend, text, **kw):
    return backend.search(SearchQuery(text=text, **kw))


# ---------------------------------------------------------------- words


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mediation", "1"),
        ("Médiation", "1"),
        ("MÉDIATION", "1"),
        ("médiation", "1"),
        ("theatre", "3"),
        ("Théâtre", "3"),
        ("THEATRE", "3"),
        ("théatre", "3"),
        ("securite", "5"),
        ("comptabilite", "6"),
        ("WordPress", "2"),
        ("wordpress", "2"),
    ],
)
def test_accents_and_case(corpus, text, expected):
    assert expected in ids(find(corpus, text, kind="offer"))


@pytest.mark.parametrize(
    "text, expected",
    [("numéri", {"1", "3"}), ("numeri", {"1", "3"}), ("seni", {"1"}), ("compta", {"6"}), ("Théâ", {"3"})],
)
def test_prefixes(corpus, text, expected):
    assert expected <= set(ids(find(corpus, text, kind="offer")))


@pytest.mark.parametrize(
    "text, expected",
    [("wordpres", "2"), ("wrodpress", "2"), ("wordpresss", "2"), ("comptabilte", "6"), ("mediatoin", "1")],
)
def test_typos(corpus, text, expected):
    assert expected in ids(find(corpus, text, kind="offer"))


def test_unknown_word_finds_nothing(corpus):
    result = find(corpus, "zzqxw", kind="offer")
    assert result.hits == [] and result.total == 0


def test_several_words_rank_the_best_match_first(corpus):
    result = find(corpus, "site web asso", kind="offer", near=MARSEILLE)
    assert result.hits[0].id == "2"
    result = find(corpus, "site web", kind="offer")
    assert {"2", "4"} <= set(ids(result))
    assert result.hits[0].id == "4"  # both words in the title beats one


def test_every_public_kind_by_default(corpus):
    result = find(corpus, "mediation")
    assert {(h.kind, h.id) for h in result.hits} >= {("offer", "1"), ("provider", "1")}
    result = find(corpus, "site web", kind=["offer", "resource"])
    assert {"offer", "resource"} == {h.kind for h in result.hits}


# ---------------------------------------------------------------- facets

ALL_FACETS = ["dep_code", "commune_insee", "category", "skills", "modality", "price_mode"]


def test_facet_counts_over_everything(corpus):
    result = corpus.search(SearchQuery(kind="offer", facets=ALL_FACETS))
    assert result.total == 6
    assert result.facets == {
        "dep_code": {"13": 3, "06": 1, "84": 1},
        "commune_insee": {"13055": 2, "06088": 1, "13001": 1, "84007": 1},
        "category": {"atelier": 2, "formation": 2, "audit": 1, "conseil": 1},
        "skills": {
            "presence.site_web": 2,
            "gestion.compta_facturation": 1,
            "mediation.loisirs_creation": 1,
            "mediation.outils_quotidien": 1,
            "presence.reseaux_sociaux": 1,
            "securite.bonnes_pratiques": 1,
        },
        "modality": {"both": 2, "on_site": 2, "remote": 2},
        "price_mode": {"paid": 2, "volunteer": 2, "voucher": 2},
    }


def test_kind_facet(corpus):
    result = corpus.search(SearchQuery(facets=["kind"]))
    assert result.facets == {"kind": {"offer": 6, "provider": 1, "resource": 1}}


@pytest.mark.parametrize(
    "filters, expected_ids, facet, counts",
    [
        ({"dep_code": "13"}, {"1", "2", "5"}, "category", {"atelier": 2, "audit": 1}),
        ({"commune_insee": "13055"}, {"1", "5"}, "price_mode", {"volunteer": 2}),
        ({"category": ["formation", "conseil"]}, {"3", "4", "6"}, "dep_code", {"06": 1, "84": 1}),
        ({"skills": "presence.site_web"}, {"2", "4"}, "dep_code", {"13": 1, "06": 1}),
        (
            {"skills": ["presence.reseaux_sociaux", "gestion.compta_facturation"]},
            {"4", "6"},
            "skills",
            {"gestion.compta_facturation": 1, "presence.reseaux_sociaux": 1, "presence.site_web": 1},
        ),
        ({"modality": "remote"}, {"3", "6"}, "category", {"formation": 2}),
        ({"price_mode": "voucher", "dep_code": "13"}, {"2"}, "modality", {"both": 1}),
    ],
)
def test_each_filter_and_the_facets_it_leaves(corpus, filters, expected_ids, facet, counts):
    result = corpus.search(SearchQuery(kind="offer", filters=filters, facets=[facet]))
    assert set(ids(result)) == expected_ids
    assert result.total == len(expected_ids)
    assert result.facets[facet] == counts


def test_facets_follow_the_text(corpus):
    result = find(corpus, "site", kind="offer", facets=["category", "skills"])
    assert set(ids(result)) == {"2", "4"}
    assert result.facets["category"] == {"atelier": 1, "conseil": 1}
    assert result.facets["skills"] == {"presence.site_web": 2, "presence.reseaux_sociaux": 1}


# ---------------------------------------------------------------- distance


def test_radius_filter_and_distance_sort(corpus):
    result = corpus.search(SearchQuery(kind="offer", near=MARSEILLE, radius_km=40, sort="distance"))
    assert ids(result)[:2] in (["1", "5"], ["5", "1"]) and ids(result)[2:] == ["2"]
    aix = result.hits[2]
    assert aix.distance_km == pytest.approx(haversine_km(*MARSEILLE, *AIX), abs=0.1)
    assert 25 < aix.distance_km < 28
    assert result.hits[0].distance_km == pytest.approx(0, abs=0.01)


def test_radius_widens(corpus):
    within_100 = corpus.search(SearchQuery(kind="offer", near=MARSEILLE, radius_km=100, sort="distance"))
    assert set(ids(within_100)) == {"1", "2", "3", "5"}  # Avignon ~86 km, not Nice ~160 km
    assert haversine_km(*MARSEILLE, *AVIGNON) < 100 < haversine_km(*MARSEILLE, *NICE)


def test_distance_sort_without_radius_puts_unlocated_last(corpus):
    result = corpus.search(SearchQuery(kind="offer", near=NICE, sort="distance"))
    assert ids(result)[0] == "4"
    assert ids(result)[-1] == "6" and result.hits[-1].distance_km is None
    distances = [h.distance_km for h in result.hits if h.distance_km is not None]
    assert distances == sorted(distances)


def test_text_near_a_place(corpus):
    result = find(corpus, "site web", kind="offer", near=MARSEILLE, radius_km=50, sort="distance")
    assert ids(result) == ["2"]


def test_date_sort(corpus):
    result = corpus.search(SearchQuery(kind="offer", sort="date"))
    assert ids(result) == ["6", "5", "4", "3", "2", "1"]
    assert result.hits[0].published_at == day(60)


# ---------------------------------------------------------------- cursor


def _all_pages(backend, query_kwargs, between=None, limit=3):
    seen, cursor, pages = [], None, 0
    while True:
        result = backend.search(SearchQuery(limit=limit, cursor=cursor, **query_kwargs))
        seen.extend((h.kind, h.id) for h in result.hits)
        pages += 1
        assert pages < 100
        if not result.next_cursor:
            return seen
        if between:
            between(pages)
        cursor = result.next_cursor


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "offer", "sort": "date"},
        {"kind": "offer", "near": MARSEILLE, "sort": "distance"},
        {"text": "numérique", "kind": "offer"},
        {},
    ],
    ids=["date", "distance", "relevance", "all-kinds"],
)
def test_cursor_walks_everything_once(corpus, query):
    expected = corpus.search(SearchQuery(limit=100, **query))
    seen = _all_pages(corpus, query, limit=2)
    assert seen == [(h.kind, h.id) for h in expected.hits]


def _numbered(i):
    title = ["Atelier numérique", "Découverte du numérique en famille", "Permanence"][i % 3]
    lat, lon = [MARSEILLE, AIX, NICE, AVIGNON][i % 4]
    return offer(
        100 + i,
        f"{title} {i}",
        at=(lat + i * 0.001, lon),
        commune="13055",
        dep="13",
        keywords="numérique" if i % 3 == 2 and i % 2 else "",
        body=f"Séance {i} : le numérique au quotidien.",
        published=day(100 + (i * 7) % 40),
    )


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "offer", "sort": "date"},
        {"kind": "offer", "near": MARSEILLE, "sort": "distance"},
        {"text": "numérique", "kind": "offer"},
        {"text": "numérique", "kind": "offer", "near": AIX, "radius_km": 500, "sort": "distance"},
    ],
    ids=["date", "distance", "relevance", "text-distance"],
)
def test_cursor_over_a_changing_index(backend, query):
    if not backend.stable_cursor:
        pytest.skip(
            f"{backend.name}: offset-based cursor, documented limitation (a concurrent change may shift one document)"
        )
    originals = [_numbered(i) for i in range(30)]
    backend.index("offer", originals)
    added, deleted = [], set()

    def churn(page):
        # Documents that sort before and after the cursor appear; unseen and seen ones disappear;
        # one is updated in place without changing its sort key.
        new = [_numbered(30 + 2 * page), _numbered(31 + 2 * page)]
        backend.index("offer", new)
        added.extend(d.id for d in new)
        victim = originals[(page * 5 + 3) % 30].id
        backend.delete("offer", [victim])
        deleted.add(victim)
        same = originals[(page * 7) % 30]
        backend.index("offer", [same])

    seen = [i for _, i in _all_pages(backend, query, between=churn, limit=4)]
    assert len(seen) == len(set(seen)), "a document came twice"
    survivors = {d.id for d in originals} - deleted
    assert survivors <= set(seen), f"missed: {sorted(survivors - set(seen))}"
    assert set(seen) <= {d.id for d in originals} | set(added)


def test_cursor_belongs_to_its_query(corpus):
    from search import InvalidCursor

    first = corpus.search(SearchQuery(kind="offer", sort="date", limit=2))
    with pytest.raises(InvalidCursor):
        corpus.search(SearchQuery(kind="offer", sort="date", limit=2, cursor=first.next_cursor + "x!"))
    with pytest.raises(InvalidCursor):
        corpus.search(SearchQuery(kind="offer", sort="date", filters={"dep_code": "13"}, cursor=first.next_cursor))


# ---------------------------------------------------------------- writes


def test_deletion(corpus):
    corpus.delete("offer", ["1", "999"])
    assert "1" not in ids(find(corpus, "mediation", kind="offer"))
    result = corpus.search(SearchQuery(kind="offer", facets=["commune_insee"]))
    assert result.total == 5 and result.facets["commune_insee"]["13055"] == 1
    corpus.delete("offer", [])


def test_upsert_replaces(corpus):
    corpus.index(
        "offer",
        [
            offer(
                2,
                "Boutique en ligne pour artisans",
                at=AIX,
                commune="13001",
                dep="13",
                skills=["presence.boutique"],
                published=day(20),
            )
        ],
    )
    assert "2" not in ids(find(corpus, "wordpress", kind="offer"))
    assert ids(find(corpus, "boutique artisans", kind="offer")) == ["2"]
    result = corpus.search(SearchQuery(kind="offer", facets=["skills"]))
    assert result.total == 6
    assert result.facets["skills"]["presence.site_web"] == 1 and result.facets["skills"]["presence.boutique"] == 1


def test_clear_one_kind(corpus):
    corpus.clear("offer")
    assert corpus.search(SearchQuery(kind="offer")).total == 0
    assert corpus.search(SearchQuery(kind="provider")).total == 1


# ---------------------------------------------------------------- needs


def test_needs_need_the_flag(corpus):
    with pytest.raises(PrivateKindError):
        SearchQuery(text="théâtre", kind="need")
    with pytest.raises(ValueError):
        SearchQuery(kind=["offer", "need"], include_private=True)
    query = SearchQuery(text="théâtre", kind="offer")
    query.kind = "need"  # tampered after construction: the backend checks again
    with pytest.raises(PrivateKindError):
        corpus.search(query)


def test_needs_never_in_public_results(corpus):
    for q in (
        SearchQuery(text="théâtre"),
        SearchQuery(text="site"),
        SearchQuery(include_private=True),
        SearchQuery(text="compagnie théâtre", include_private=True, facets=["kind"]),
        SearchQuery(near=MARSEILLE, radius_km=5, sort="distance"),
    ):
        result = corpus.search(q)
        assert all(h.kind != "need" for h in result.hits)
        assert "need" not in result.facets.get("kind", {})


def test_staff_find_needs(corpus):
    result = corpus.search(SearchQuery(text="theatre", kind="need", include_private=True))
    assert [(h.kind, h.id) for h in result.hits] == [("need", "1")]


# ---------------------------------------------------------------- highlight


def test_highlight_marks_the_matched_words(corpus):
    hit = find(corpus, "mediation", kind="offer").hits[0]
    assert "<mark>Médiation</mark>" in hit.highlight["title"]
    hit = find(corpus, "numéri", kind="offer", filters={"dep_code": "84"}).hits[0]
    assert "<mark>" in hit.highlight["title"] and "numérique" in hit.highlight["title"]
    hit = find(corpus, "wordpres", kind="offer").hits[0]
    assert "WordPress</mark>" in hit.highlight["title"]


def test_highlight_is_escaped(corpus):
    hit = find(corpus, "sauvegardes", kind="offer").hits[0]
    assert hit.id == "5"
    assert "<mark>sauvegardes</mark>" in hit.highlight["body"]
    for value in hit.highlight.values():
        assert "<script>" not in value


def test_hits_carry_extra_and_title(corpus):
    hit = find(corpus, "seniors", kind="offer").hits[0]
    assert hit.title == "Médiation numérique pour seniors"
    assert hit.extra == {"url": "/offres/1"}
    assert hit.highlight["title"]


def test_match_any_finds_documents_with_some_of_the_words(backend):
    """All the words by default; with match_any, at least one, more words ranking higher."""

    backend.index(
        "offer",
        [
            offer(901, "Créer le site web de votre commerce", body="Vitrine en ligne."),
            offer(902, "Site web et réseaux sociaux pour les associations", body="Pas à pas."),
            offer(903, "Comptabilité des associations", body="Tableur et logiciel libre."),
        ],
    )
    strict = backend.search(SearchQuery(text="site web asso compta", kind="offer"))
    assert strict.total == 0
    relaxed = backend.search(SearchQuery(text="site web asso compta", kind="offer", match_any=True))
    ids = [h.id for h in relaxed.hits]
    assert set(ids) >= {"901", "902", "903"}
    assert ids.index("902") < ids.index("901")  # three of the words before two


def test_widen_below_answers_with_some_of_the_words_only_when_too_few_have_them_all(backend):
    """One call: every word when enough documents have them all, else some of them
    (as match_any), saying so and how many had every word."""
    backend.index(
        "offer",
        [
            offer(911, "Site web vitrine", body="Pour les commerces."),
            offer(912, "Site web des associations", body="Pas à pas."),
            offer(913, "Réseaux sociaux", body="Pour les associations."),
        ],
    )
    wide = backend.search(SearchQuery(text="site associations", kind="offer", widen_below=5))
    assert wide.widened and wide.exact_total == 1
    assert wide.hits[0].id == "912"  # both words first
    assert {"911", "913"} <= {h.id for h in wide.hits}
    assert wide.total == backend.search(SearchQuery(text="site associations", kind="offer", match_any=True)).total
    enough = backend.search(SearchQuery(text="site associations", kind="offer", widen_below=1))
    assert not enough.widened and enough.exact_total == enough.total == 1
    assert [h.id for h in enough.hits] == ["912"]
    by_date = backend.search(SearchQuery(text="site associations", kind="offer", widen_below=5, sort="date"))
    assert not by_date.widened and by_date.total == 1  # only relevance pages are widened
