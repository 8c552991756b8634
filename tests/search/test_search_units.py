"""Pieces: text helpers, query validation, cursors, Meilisearch payloads,
schema statements, a Connection as bind, the benchmark on a small corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from search_helpers import AIX, MARSEILLE, offer
from sqlalchemy import create_engine, event, text

from search import (
    FACET_FIELDS,
    FIELDS,
    FILTER_FIELDS,
    Document,
    InvalidCursor,
    PrivateKindError,
    SearchQuery,
    SqlBackend,
    sql_drop_statements,
    sql_schema_statements,
)
from search.analysis import analyze_query
from search.base import decode_cursor, encode_cursor
from search.meili import index_settings, meili_filters, meili_key, meili_sort, to_meili
from search.memory import SCALARS
from search.sql.common import COLUMNS, DOC_COLUMNS
from search.text import edit_distance, fold, haversine_km, marked_html, tokens


def test_fold_and_tokens():
    assert fold("Médiation ÉCOLE Théâtre çà") == "mediation ecole theatre ca"
    assert tokens("L'accès à l'e-mail_pro, 2024 !") == ["l", "acces", "a", "l", "e", "mail", "pro", "2024"]
    assert [t.text for t in analyze_query("Un site pour l'association")] == ["site", "association"]
    assert [t.text for t in analyze_query("pour le")] == ["pour", "le"]  # nothing but stop words: kept


@pytest.mark.parametrize(
    "a, b, d",
    [
        ("wordpres", "wordpress", 1),
        ("wrodpress", "wordpress", 1),
        ("mediatoin", "mediation", 1),
        ("kitten", "sitting", 3),
        ("", "abc", 3),
    ],
)
def test_edit_distance(a, b, d):
    assert edit_distance(a, b) == d
    assert edit_distance(a, b, limit=0) == (0 if d == 0 else 1)


def test_haversine_real_distances():
    assert haversine_km(*MARSEILLE, *AIX) == pytest.approx(26.7, abs=0.3)


def test_marked_html_escapes():
    assert marked_html("\ue000<b>\ue001 & co") == "<mark>&lt;b&gt;</mark> &amp; co"
    assert marked_html("a \ue000cut") == "a <mark>cut</mark>"


def test_document_validation():
    doc = Document(id=12, kind="offer", title="T", skills=["b", "a", "a"], published_at="2024-05-01")
    assert doc.id == "12" and doc.skills == ["a", "b"] and doc.published_at.tzinfo is not None
    assert Document.from_dict(doc.to_dict()) == doc
    with pytest.raises(ValueError):
        Document(id=1, kind="event", title="x")
    with pytest.raises(ValueError):
        Document(id=1, kind="offer", title="x", lat=43.0)


def test_query_validation():
    with pytest.raises(ValueError):
        SearchQuery(filters={"colour": "red"})
    with pytest.raises(ValueError):
        SearchQuery(facets=["colour"])
    with pytest.raises(ValueError):
        SearchQuery(sort="distance")
    with pytest.raises(ValueError):
        SearchQuery(radius_km=10)
    with pytest.raises(ValueError):
        SearchQuery(limit=0)
    with pytest.raises(PrivateKindError):
        SearchQuery(kind=("need",))
    q = SearchQuery(filters={"dep_code": ["13", "13", "84"], "category": []}, facets=list(FACET_FIELDS))
    assert q.filters == {"dep_code": ["13", "84"]}
    assert SearchQuery(sort="relevance").effective_sort == "date"


def test_cursor_roundtrip_and_tampering():
    q = SearchQuery(text="site", kind="offer")
    cursor = encode_cursor(q, [1.5, "offer:3"])
    assert decode_cursor(SearchQuery(text="site", kind="offer", cursor=cursor, limit=5)) == [1.5, "offer:3"]
    with pytest.raises(InvalidCursor):
        decode_cursor(SearchQuery(text="web", kind="offer", cursor=cursor))
    with pytest.raises(InvalidCursor):
        decode_cursor(SearchQuery(text="site", kind="offer", cursor="!!!"))


def test_meili_payloads():
    q = SearchQuery(
        text="site",
        kind="offer",
        filters={"dep_code": ["13"], "skills": 'a"b'},
        near=MARSEILLE,
        radius_km=25,
        sort="distance",
    )
    assert meili_filters(q) == [
        'kind IN ["offer"]',
        'dep_code IN ["13"]',
        'skills IN ["a\\"b"]',
        "_geoRadius(43.2965, 5.3698, 25000)",
    ]
    assert meili_sort(q) == ["_geoPoint(43.2965, 5.3698):asc", "key:asc"]
    assert meili_filters(SearchQuery(kind="need", include_private=True)) == []
    assert meili_key("offer", "12") == "offer-12" and meili_key("offer", "a/b") == "offer-x612f62"
    body = to_meili(offer(3, "Titre", at=AIX))
    assert body["_geo"] == {"lat": AIX[0], "lng": AIX[1]} and body["key"] == "offer-3"
    assert "_geo" not in to_meili(offer(4, "Sans lieu"))
    settings = index_settings()
    assert "_geo" in settings["filterableAttributes"] and "pub_ts" in settings["sortableAttributes"]
    assert "pour" in settings["stopWords"]


def test_schema_statements_are_idempotent_and_reversible(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 's.sqlite3'}")
    with engine.begin() as conn:
        for _ in range(2):
            for statement in sql_schema_statements("sqlite"):
                conn.exec_driver_sql(statement)
        for statement in sql_drop_statements("sqlite"):
            conn.exec_driver_sql(statement)
        left = conn.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'search_%'")).all()
    assert left == []
    with pytest.raises(ValueError):
        sql_schema_statements("mysql")


def test_connection_bind_joins_the_callers_transaction(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'c.sqlite3'}")

    # pysqlite needs this to honour SAVEPOINT (the app's engine does the same).
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")

    SqlBackend(engine).setup()
    with engine.connect() as conn:
        trans = conn.begin()
        backend = SqlBackend(conn)
        backend.index("offer", [offer(1, "Atelier tablette")])
        assert backend.search(SearchQuery(text="tablette", kind="offer")).total == 1
        trans.rollback()
    assert SqlBackend(engine).search(SearchQuery(text="tablette", kind="offer")).total == 0


def test_get_and_iter_documents(sql_backend):
    docs = [offer(i, f"Offre {i}", at=AIX, skills=["x"], published=None, url=f"/o/{i}") for i in range(1, 6)]
    sql_backend.index("offer", docs)
    got = sql_backend.get("offer", ["2", "4", "99"])
    assert [d.id for d in got] == ["2", "4"] and got[0].extra == {"url": "/o/2"} and got[0].lat == AIX[0]
    assert [len(b) for b in sql_backend.iter_documents("offer", batch_size=2)] == [2, 2, 1]
    assert sql_backend.health().documents == {"offer": 5}


def test_bench_runs_on_a_small_corpus(sqlite_backend):
    from search.bench import run_backend
    from search.synthetic import generate_offers, load_communes, query_mix

    communes = load_communes()
    assert len(communes) > 900 and {c.dep_code for c in communes} == {"04", "05", "06", "13", "83", "84"}
    docs = generate_offers(600, communes)
    queries = query_mix(60, communes)
    assert {q.family for q in queries} == {"words", "prefix", "typo", "facets", "distance"}
    lines = []
    report = run_backend("SQLite", sqlite_backend, docs, queries, out=lines.append)
    assert report["docs"] == 600 and report["p95"] > 0 and report["with_hits"] > 0.8
    assert any("p95" in line for line in lines)
    sqlite_backend.clear("offer")


def test_the_package_imports_no_flask():
    import subprocess
    import sys

    code = (
        "import sys, search, search.sql, search.meili, search.fallback, search.bench, search.synthetic; "
        "bad = sorted(m for m in sys.modules if m == 'flask' or m.startswith(('flask.', 'flask_'))); "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_snippet_centres_the_matching_words_and_marks_the_cuts():
    from search.text import snippet_terms

    before = " ".join(f"avant{i}" for i in range(40))
    after = " ".join(f"apres{i}" for i in range(40))
    text = f"{before} Médiation numérique pour les seniors {after}"
    snippet = marked_html(snippet_terms(text, {"mediation"}, {"numer"}, words=24))
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>Médiation</mark> <mark>numérique</mark>" in snippet
    assert len(snippet.replace("<mark>", "").replace("</mark>", "").strip("…").split()) == 24
    left, right = snippet.split("<mark>Médiation</mark>")
    assert abs(len(left.split()) - len(right.split())) <= 4  # centred
    assert marked_html(snippet_terms(text, {"absent"}, set(), words=24)).startswith("avant0 avant1")
    assert snippet_terms("Un texte court", {"texte"}, set()) == "Un \ue000texte\ue001 court"


def test_search_fields_are_declared_once_and_derived():
    """search.base.FIELDS is the one list: filters, facets, SQL columns, the
    in-process engine's columns and the Meilisearch settings follow it."""
    facets = [f.name for f in FIELDS if f.kind == "facet"]
    scalars = [f.name for f in FIELDS if f.kind == "facet" and not f.multi]
    assert list(FILTER_FIELDS) == facets and set(FACET_FIELDS) == {*facets, "kind"}
    assert set(facets) <= set(COLUMNS) and set(facets) <= set(DOC_COLUMNS.split(", "))
    assert list(SCALARS) == ["kind", *scalars]
    for dialect in ("sqlite", "postgresql"):
        create = next(s for s in sql_schema_statements(dialect) if "CREATE TABLE IF NOT EXISTS search_doc (" in s)
        assert all(f"        {name} TEXT,\n" in create for name in scalars)
    settings = index_settings()
    assert set(facets) <= set(settings["filterableAttributes"])
    assert settings["searchableAttributes"] == [f.name for f in FIELDS if f.kind == "text"]
    assert set(facets) <= set(to_meili(offer(1, "Atelier", skills=["a.b"])))


def test_the_search_migrations_carry_their_own_sql():
    """Migrations 0006 and 0008 never import today's search code."""
    versions = Path(__file__).resolve().parents[2] / "migrations" / "versions"
    for name in ("0006_search_index.py", "0008_search_in_process_engine.py"):
        source = (versions / name).read_text()
        assert "from search" not in source and "import search" not in source
        assert "CREATE TABLE IF NOT EXISTS search_doc (" in source
