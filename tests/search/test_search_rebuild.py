"""Full rebuilds that never block the site (search/sql/builds.py): a shadow
build written in short transactions, swapped in at the end; ordinary writes
keep working meanwhile and win over the rebuild's copy; a failed rebuild
leaves the old set. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
from search_helpers import MARSEILLE, offer
from sqlalchemy import text

from search import SearchQuery, SqlBackend
from search.sql.inprocess import WARMED, Warmer, _key

ENGINES = {"sqlite": "sqlite_engine", "postgresql": "pg_engine"}


@pytest.fixture(params=list(ENGINES))
def engine(request):
    engine = request.getfixturevalue(ENGINES[request.param])
    backend = SqlBackend(engine)
    backend.setup()
    for kind in ("offer", "provider", "resource", "need"):
        backend.clear(kind)
    return engine


def ids(backend: SqlBackend, words: str = "") -> list[str]:
    return sorted(h.id for h in backend.search(SearchQuery(text=words, limit=100)).hits)


def rows(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM search_doc WHERE kind = 'offer'")).scalar_one())


def test_readers_see_the_old_set_until_the_swap(engine):
    backend = SqlBackend(engine, rebuild_batch=2)
    backend.index("offer", [offer(1, "Atelier tablette"), offer(2, "Atelier photo")])
    seen_during = []

    def batches():
        yield [offer(10, "Atelier web"), offer(11, "Atelier son")]
        seen_during.append(ids(SqlBackend(engine)))  # another reader, the shadow rows committed
        seen_during.append([d.id for d in SqlBackend(engine).get("offer", [1, 2, 10, 11])])
        yield [offer(12, "Atelier vidéo")]

    assert backend.rebuild("offer", batches()) == 3
    assert seen_during == [["1", "2"], ["1", "2"]]
    assert ids(backend) == ["10", "11", "12"]
    assert backend.health().documents == {"offer": 3}
    assert rows(engine) == 3, "the old build's rows are dropped after the swap"
    assert [len(b) for b in backend.iter_documents("offer")] == [3]


def test_writes_during_a_rebuild_win_over_its_copy(engine):
    """The rebuild read its data before the site wrote: the site's update and
    delete, committed during the rebuild, survive the swap."""
    backend = SqlBackend(engine, rebuild_batch=1)
    site = SqlBackend(engine)
    backend.index("offer", [offer(1, "Atelier tablette"), offer(2, "Atelier photo"), offer(3, "Atelier radio")])

    def batches():
        yield [offer(1, "Atelier tablette")]
        site.index("offer", [offer(2, "Atelier photo numérique"), offer(4, "Atelier nouveau")])  # update + new
        site.delete("offer", [3])
        assert ids(site) == ["1", "2", "3"] or ids(site) == ["1", "2", "4"]  # the live set follows the site
        # the rebuild's (older) copies of 2 and 3 come after the site's writes
        yield [offer(2, "Atelier photo"), offer(3, "Atelier radio")]

    backend.rebuild("offer", batches())
    assert ids(backend) == ["1", "2", "4"]
    assert [d.title for d in backend.get("offer", [2])] == ["Atelier photo numérique"]
    assert ids(backend, "numerique") == ["2"]
    assert rows(engine) == 3


def test_a_failed_rebuild_leaves_the_old_set(engine):
    backend = SqlBackend(engine, rebuild_batch=1)
    backend.index("offer", [offer(1, "Atelier tablette"), offer(2, "Atelier photo")])

    def batches():
        yield [offer(10, "Atelier web"), offer(11, "Atelier son")]
        raise RuntimeError("the database of the app went away")

    with pytest.raises(RuntimeError):
        backend.rebuild("offer", batches())
    assert ids(backend) == ["1", "2"]
    assert rows(engine) == 2, "the shadow rows are dropped"
    backend.index("offer", [offer(3, "Atelier radio")])  # and writing goes on
    assert ids(backend) == ["1", "2", "3"]
    backend.rebuild("offer", [[offer(5, "Atelier")]])
    assert ids(backend) == ["5"]


def test_a_writer_is_never_blocked_long_by_a_rebuild(engine, communes_docs):
    backend = SqlBackend(engine, rebuild_batch=200)
    backend.rebuild("offer", [communes_docs])
    errors: list[BaseException] = []
    started = threading.Event()

    def batches():
        started.set()  # the shadow build exists: what the site writes from now on must survive
        for i in range(0, len(communes_docs), 500):
            yield communes_docs[i : i + 500]

    def run():
        try:
            backend.rebuild("offer", batches())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    started.wait(10)
    site = SqlBackend(engine)
    waits = []
    n = 0
    while thread.is_alive():
        t0 = time.perf_counter()
        site.index("offer", [offer(100_000 + n, f"Atelier écrit pendant la reconstruction {n}", at=MARSEILLE)])
        waits.append(time.perf_counter() - t0)
        n += 1
        time.sleep(0.02)
    thread.join()
    assert not errors
    assert len(waits) >= 5
    assert max(waits) < 1.0, f"a write waited {max(waits):.2f} s"
    # every write made during the rebuild is there after it
    assert {d.id for d in site.get("offer", range(100_000, 100_000 + n))} == {str(100_000 + i) for i in range(n)}
    assert site.search(SearchQuery(text="reconstruction", limit=1)).total == n


@pytest.fixture(scope="module")
def communes_docs():
    from search.synthetic import generate_offers, load_communes

    return generate_offers(3000, load_communes(), seed=3)


def test_a_warmed_process_answers_without_reloading_in_the_request(engine):
    """After a rebuild the warmer reloads the process's copy off the request
    path; the next query finds it current (no full load in the request)."""
    backend = SqlBackend(engine)
    backend.index("offer", [offer(1, "Atelier tablette")])
    assert backend.warm() or ids(backend) == ["1"]
    backend.rebuild("offer", [[offer(2, "Atelier photo"), offer(3, "Atelier radio")]])
    assert backend.warm() is True  # a full load, off the request path
    cache = backend._cache()
    loaded = cache.main_slot
    assert ids(backend) == ["2", "3"]
    assert backend._cache() is cache and cache.main_slot is loaded, "the request must not reload"
    assert backend.warm() is False  # nothing new

    # with a Warmer thread, a request behind a rebuild answers from its copy instead of reloading
    warmer = Warmer(engine, backend.sql, interval=0.05).start()
    try:
        rebuilder = SqlBackend(engine, rebuild_grace=5.0)  # the old rows stay 5 s after the swap (slow machines)
        thread = threading.Thread(target=rebuilder.rebuild, args=("offer", [[offer(4, "Atelier web")]]))
        thread.start()
        while rebuilder.health().documents.get("offer") != 1:  # swapped
            time.sleep(0.01)
        answered = ids(backend)
        assert answered in (["2", "3"], ["4"])  # the previous copy, or the new one once reloaded
        thread.join()
        deadline = time.monotonic() + 10
        while ids(backend) != ["4"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ids(backend) == ["4"]
        assert warmer.loads >= 1 and warmer.errors == 0
    finally:
        warmer.stop()
        warmer.thread.join(5)
    assert _key(engine) not in WARMED  # this database no longer has a warmer (other apps of the session may)
