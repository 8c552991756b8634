"""The in-process engine (search/memory.py) behind SqlBackend: the same answers
on SQLite and on PostgreSQL (one analysis, search/analysis.py), and in step
with the database whoever writes to it (another connection, another process, a
rolled-back transaction)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from search_helpers import MARSEILLE, offer

from search import SearchQuery, SqlBackend
from search.memory import MemoryIndex
from search.synthetic import generate_offers, load_communes, query_mix

ENGINES = {"sqlite": "sqlite_engine", "postgresql": "pg_engine"}


@pytest.fixture(params=list(ENGINES))
def engine(request):
    engine = request.getfixturevalue(ENGINES[request.param])
    backend = SqlBackend(engine)
    backend.setup()
    for kind in ("offer", "provider", "resource", "need"):
        backend.clear(kind)
    return engine


@pytest.fixture(scope="module")
def communes():
    return load_communes()


def _same(a, b, label):
    """Two SearchResults are the same page: hits in the same order with the
    same scores and distances, same total, facets and cursor."""
    assert [(h.kind, h.id) for h in a.hits] == [(h.kind, h.id) for h in b.hits], label
    assert [h.score for h in a.hits] == [h.score for h in b.hits], label
    for ha, hb in zip(a.hits, b.hits, strict=True):
        assert (ha.distance_km is None) == (hb.distance_km is None), label
        if ha.distance_km is not None:
            assert math.isclose(ha.distance_km, hb.distance_km, rel_tol=1e-9, abs_tol=1e-9), label
        assert ha.highlight == hb.highlight, label
    assert a.total == b.total and a.exact_total == b.exact_total and a.widened == b.widened, label
    assert a.facets == b.facets, label
    assert a.corrections == b.corrections and a.ignored_terms == b.ignored_terms, label
    assert (a.next_cursor is None) == (b.next_cursor is None), label


def test_sqlite_and_postgresql_answer_alike(sqlite_engine, pg_engine, communes):
    """300 queries of the benchmark's mix (words, prefixes, typos, filters,
    distance) over 2,000 synthetic offers: page 1 and page 2 are identical on
    both databases, to the score; a cursor of one is valid on the other."""
    docs = generate_offers(2000, communes, seed=3)
    lite, pg = SqlBackend(sqlite_engine), SqlBackend(pg_engine)
    for backend in (lite, pg):
        backend.setup()
        for kind in ("offer", "provider", "resource", "need"):
            backend.clear(kind)
        backend.index("offer", docs)
    queries = [q.query for q in query_mix(300, communes, seed=11)]
    queries += [replace(q, match_any=True) for q in queries[:40] if q.text]
    queries += [replace(q, widen_below=q.limit) for q in queries[:60] if len(q.text.split()) > 1]
    queries += [replace(q, sort="date") for q in queries[:20]]
    for q in queries:
        a, b = lite.search(q), pg.search(q)
        _same(a, b, q)
        assert a.hits or a.total == 0
        if a.next_cursor:
            nxt = replace(q, cursor=a.next_cursor, match_any=q.match_any or a.widened)  # as the app's next link
            a2, b2 = lite.search(nxt), pg.search(nxt)
            _same(a2, b2, ("page 2", q))
            assert not {h.id for h in a2.hits} & {h.id for h in a.hits}


def test_another_connection_writes_and_the_cache_follows(engine):
    """A process-wide cache per database: what another backend (another
    connection, e.g. the RQ worker) commits is seen at the next query, by
    reloading only the changed documents."""
    reader, writer = SqlBackend(engine), SqlBackend(engine)
    writer.index("offer", [offer(1, "Atelier tablette", at=MARSEILLE), offer(2, "Atelier smartphone")])
    first = reader.search(SearchQuery(text="atelier"))
    assert sorted(h.id for h in first.hits) == ["1", "2"]
    cache = reader._cache()
    loads = cache.main_slot  # the main postings of the full load

    writer.index("offer", [offer(2, "Initiation au smartphone"), offer(3, "Atelier Linux")])
    writer.delete("offer", [1])
    result = reader.search(SearchQuery(text="atelier"))
    assert [h.id for h in result.hits] == ["3"]
    assert [h.id for h in reader.search(SearchQuery(text="initiation")).hits] == ["2"]
    assert reader.search(SearchQuery(text="tablette")).total == 0
    assert reader._cache() is cache and cache.main_slot is loads, "an update must not reload everything"
    assert cache.documents == 2

    writer.rebuild("offer", [[offer(9, "Atelier photo")]])
    assert [h.id for h in reader.search(SearchQuery(text="atelier")).hits] == ["9"]


def test_a_rolled_back_write_never_shows(engine):
    """A search inside a transaction sees its own writes; once rolled back,
    nobody sees them, even though the process cache had loaded them."""
    SqlBackend(engine).index("offer", [offer(1, "Atelier tablette")])
    if engine.dialect.name == "sqlite":
        engine = _sqlite_with_savepoints(engine)
    with engine.connect() as conn:
        conn.begin()
        inside = SqlBackend(conn)
        inside.index("offer", [offer(2, "Atelier fantôme"), offer(1, "Atelier renommé")])
        assert sorted(h.id for h in inside.search(SearchQuery(text="atelier")).hits) == ["1", "2"]
        assert inside.search(SearchQuery(text="fantome")).total == 1
        conn.rollback()
    outside = SqlBackend(engine)
    assert [h.id for h in outside.search(SearchQuery(text="atelier")).hits] == ["1"]
    assert outside.search(SearchQuery(text="fantome")).total == 0
    assert outside.search(SearchQuery(text="tablette")).total == 1
    # and a new write after the rollback (same generation number, other nonce) is seen
    SqlBackend(engine).index("offer", [offer(3, "Atelier vidéo")])
    assert sorted(h.id for h in outside.search(SearchQuery(text="atelier")).hits) == ["1", "3"]


def _sqlite_with_savepoints(engine):
    """pysqlite begins transactions late, so a SAVEPOINT outside BEGIN would
    commit on RELEASE; the app installs the documented workaround, as here."""
    from sqlalchemy import create_engine, event

    fixed = create_engine(engine.url)

    @event.listens_for(fixed, "connect")
    def _no_implicit(dbapi_conn, _record):
        dbapi_conn.isolation_level = None

    @event.listens_for(fixed, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")

    return fixed


def test_a_cache_older_than_the_log_reloads_everything(engine):
    writer = SqlBackend(engine)
    writer.LOG_KEEP = 3
    writer.index("offer", [offer(1, "Atelier tablette")])
    reader = SqlBackend(engine)
    assert reader.search(SearchQuery(text="atelier")).total == 1
    for i in range(2, 1003):  # a prune runs every 500 generations and keeps the last 3
        writer.index("offer", [offer(i, f"Atelier numéro {i}")]) if i < 5 else writer.delete("offer", [i])
    writer.index("offer", [offer(1, "Formation tablette")])
    assert reader.search(SearchQuery(text="atelier")).total == 3
    assert reader.search(SearchQuery(text="formation")).total == 1


def test_memory_index_unit():
    """The engine alone: delta postings, dead slots, new terms, prefixes."""
    from search.memory import ProbeSpec, Row, TermSpec, pack_lexemes

    index = MemoryIndex()
    vocab = [(1, "atelier"), (2, "tablette"), (3, "tableur")]

    def row(pk, lex, title=(), kind="offer", dep="13"):
        return Row(
            pk=pk,
            uid=f"{kind}:{pk}",
            kind=kind,
            dep_code=dep,
            commune_insee=None,
            category=None,
            modality=None,
            price_mode=None,
            lat=None,
            lon=None,
            pub_ts=float(pk),
            title_ntok=2,
            lex=pack_lexemes(lex, title=set(title)),
            skills=["s.a"] if pk % 2 else [],
        )

    index.load([row(1, [1, 2], title=[2]), row(2, [1, 3])], vocab, (1, "x"))
    page = index.search(kinds=["offer"], terms=[TermSpec([[ProbeSpec(prefix="tabl")]])], facets=["dep_code", "skills"])
    assert page.uids == ["offer:1", "offer:2"] and page.scores[0] > page.scores[1]
    assert page.facets == {"dep_code": {"13": 2}, "skills": {"s.a": 1}}
    index.add_terms([(4, "tablier")])
    index.apply([row(2, [4], dep="84")], removed=[1], state=(2, "y"))
    page = index.search(kinds=["offer"], terms=[TermSpec([[ProbeSpec(prefix="tabl")]])], facets=["dep_code"])
    assert page.uids == ["offer:2"] and page.facets == {"dep_code": {"84": 1}} and page.total == 1
    assert index.search(kinds=["offer"], terms=[TermSpec([[ProbeSpec(word=1)]])]).total == 0
    assert index.search(kinds=["need"], terms=None).total == 0
