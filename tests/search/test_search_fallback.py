"""Fallback to the SQL backend when the primary engine is down, the replay
journal, and the Meilisearch backend against a port where nothing listens."""

from __future__ import annotations

import pytest
from search_helpers import corpus_documents, offer

from search import (
    BackendUnavailable,
    FallbackBackend,
    MemoryJournal,
    SearchQuery,
    SqlBackend,
    SqlReplayJournal,
    make_backend,
)
from search.fallback import CLEAR_MARKER
from search.meili import MeiliBackend

DEAD_URL = "http://127.0.0.1:9"  # discard port: connection refused at once


class Switchable(SqlBackend):
    """A primary that can be switched off: every call then raises BackendUnavailable."""

    def __init__(self, bind):
        super().__init__(bind)
        self.name = "switchable"
        self.up = True
        self.calls = 0

    def _check(self):
        self.calls += 1
        if not self.up:
            raise BackendUnavailable("switched off")

    def index(self, kind, documents):
        self._check()
        return super().index(kind, documents)

    def delete(self, kind, ids):
        self._check()
        return super().delete(kind, ids)

    def clear(self, kind):
        self._check()
        return super().clear(kind)

    def rebuild(self, kind, batches, progress=None):
        self._check()
        return super().rebuild(kind, batches, progress)

    def search(self, query):
        self._check()
        return super().search(query)

    def health(self):
        health = super().health()
        health.ok = health.ok and self.up
        return health


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def primary(pg_engine, pg_backend):
    """A primary on PostgreSQL (the fallback is on SQLite: two separate stores)."""
    b = Switchable(pg_engine)
    for kind in ("offer", "provider", "resource", "need"):
        b.clear(kind)
    return b


@pytest.fixture
def fallback(sqlite_backend):
    for kind in ("offer", "provider", "resource", "need"):
        sqlite_backend.clear(kind)
    return sqlite_backend


@pytest.fixture(params=["memory", "sql"])
def journal(request, sqlite_engine, sqlite_backend):
    if request.param == "memory":
        return MemoryJournal()
    j = SqlReplayJournal(sqlite_engine)
    j.acknowledge([e.seq for e in j.pending(10_000)])
    return j


def test_writes_reach_both_and_searches_use_the_primary(primary, fallback, journal):
    backend = FallbackBackend(primary, fallback, journal)
    backend.index("offer", corpus_documents()["offer"])
    result = backend.search(SearchQuery(text="mediation", kind="offer"))
    assert result.backend == "switchable" and not result.degraded
    assert [h.id for h in result.hits] == ["1"]
    assert fallback.search(SearchQuery(kind="offer")).total == 6
    assert journal.count() == 0


def test_down_primary_falls_back_records_and_replays(primary, fallback, journal):
    clock = Clock()
    backend = FallbackBackend(primary, fallback, journal, retry_after=30, clock=clock)
    backend.index("offer", corpus_documents()["offer"])

    primary.up = False
    result = backend.search(SearchQuery(text="wordpres", kind="offer"))
    assert result.degraded and result.backend == "sql-sqlite"
    assert [h.id for h in result.hits] == ["2"]

    # Missed updates: a new offer, a changed one, a deleted one.
    backend.index("offer", [offer(7, "Fabrication numérique au fab lab", commune="13055", dep="13")])
    backend.index("offer", [offer(2, "Boutique en ligne pour artisans", commune="13001", dep="13")])
    backend.delete("offer", ["5"])
    assert journal.count() == 3
    calls = primary.calls
    found = backend.search(SearchQuery(text="fab lab", kind="offer"))
    assert found.degraded and [h.id for h in found.hits] == ["7"]
    assert primary.calls == calls, "the primary is not retried before retry_after"
    health = backend.health()
    assert health.ok and "degraded" in health.detail

    primary.up = True
    clock.now += 10
    assert backend.search(SearchQuery(text="fab lab", kind="offer")).degraded  # still waiting
    clock.now += 30
    result = backend.search(SearchQuery(text="fab lab", kind="offer"))
    assert not result.degraded and [h.id for h in result.hits] == ["7"]
    assert journal.count() == 0
    assert SqlBackend.search(primary, SearchQuery(text="wordpress", kind="offer")).hits == []
    assert [h.id for h in SqlBackend.search(primary, SearchQuery(text="artisans", kind="offer")).hits] == ["2"]
    assert "5" not in {h.id for h in SqlBackend.search(primary, SearchQuery(kind="offer", limit=50)).hits}


def test_primary_failing_during_a_write_is_journalled(primary, fallback, journal):
    backend = FallbackBackend(primary, fallback, journal, clock=Clock())
    primary.up = False
    backend.index("offer", [offer(1, "Atelier tablette")])
    assert backend.primary_down and [e.doc_id for e in journal.pending()] == ["1"]
    assert fallback.search(SearchQuery(text="tablette", kind="offer")).total == 1


def test_replay_of_a_clear_and_on_recovered_hook(primary, fallback, journal):
    clock, hooks = Clock(), []
    backend = FallbackBackend(
        primary, fallback, journal, clock=clock, retry_after=5, on_recovered=lambda b: hooks.append(b)
    )
    backend.index("offer", corpus_documents()["offer"])
    primary.up = False
    backend.rebuild("offer", [[offer(9, "Nouvelle offre de formation")]])
    entries = journal.pending()
    assert entries[0].doc_id == CLEAR_MARKER and [e.doc_id for e in entries[1:]] == ["9"]
    primary.up = True
    clock.now += 6
    assert not backend.search(SearchQuery(kind="offer")).degraded
    assert hooks == [backend] and journal.count() == 2  # the hook decides when to replay
    assert backend.replay() == 2 and journal.count() == 0
    assert [h.id for h in SqlBackend.search(primary, SearchQuery(kind="offer")).hits] == ["9"]


def test_replay_stops_when_the_primary_fails_again(primary, fallback, journal):
    backend = FallbackBackend(primary, fallback, journal, clock=Clock())
    primary.up = False
    backend.index("offer", [offer(1, "Atelier tablette")])
    assert backend.replay() == 0 and journal.count() == 1 and backend.primary_down


def test_needs_are_refused_before_any_engine(primary, fallback):
    from search import PrivateKindError

    backend = FallbackBackend(primary, fallback)
    primary.calls = 0
    query = SearchQuery(kind="offer")
    query.kind = "need"
    with pytest.raises(PrivateKindError):
        backend.search(query)
    assert primary.calls == 0


# ---------------------------------------------------------------- Meilisearch down


def test_meili_unreachable_is_reported_and_raised():
    meili = MeiliBackend(DEAD_URL)
    health = meili.health()
    assert not health.ok and "unreachable" in health.detail
    with pytest.raises(BackendUnavailable):
        meili.search(SearchQuery(text="site"))
    with pytest.raises(BackendUnavailable):
        meili.index("offer", [offer(1, "x")])
    with pytest.raises(BackendUnavailable):
        meili.setup()


def test_meili_down_serves_sql_degraded(fallback, sqlite_engine):
    backend = make_backend(sqlite_engine, meili_url=DEAD_URL)
    assert isinstance(backend, FallbackBackend)
    backend.journal.acknowledge(e.seq for e in backend.journal.pending(10_000))
    backend.setup()  # the SQL side is set up; the primary is marked down
    assert backend.primary_down
    backend.index("offer", corpus_documents()["offer"])
    result = backend.search(SearchQuery(text="theatre", kind="offer", facets=["dep_code"]))
    assert result.degraded and result.backend == "sql-sqlite"
    assert [h.id for h in result.hits] == ["3"] and result.facets == {"dep_code": {"84": 1}}
    assert backend.journal.count() == 6
    backend.journal.acknowledge(e.seq for e in backend.journal.pending(100))


def test_make_backend_defaults_to_sql(sqlite_engine):
    assert isinstance(make_backend(sqlite_engine), SqlBackend)
