"""The SQL backend's default search path: the database is the store, and the
query runs in process on search.memory.MemoryIndex, one per database (by URL),
kept in step with the database's change log (search_state, search_log,
search_change)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from ..analysis import EMPTY_SYNONYMS, SynonymTable
from ..base import SearchQuery, SearchResult, encode_cursor, should_widen, widened_query
from ..memory import Chunk, MemoryIndex, Page, Row
from .builds import live_sql
from .common import MEMORY_SCALARS, Dialect, Params
from .plan import display, hit, make_plan, sorted_counts

# One in-process index per database (by URL), shared by every SqlBackend of the process.
MAX_CACHED_DATABASES = 8
CACHES: dict[str, MemoryIndex] = {}
CACHES_LOCK = threading.Lock()
#: Databases whose index a background thread keeps warm (see warm()): a request
#: that finds its copy behind a rebuild answers from it instead of reloading.
WARMED: set[str] = set()
#: Documents per chunk of a full load.
LOAD_CHUNK = 5000

_DOC_SELECT = (
    "SELECT d.pk, d.uid, "
    + ", ".join(f"d.{name}" for name in MEMORY_SCALARS)
    + ", d.lat, d.lon, d.pub_ts, d.title_ntok, x.lex FROM search_doc d LEFT JOIN search_doc_lex x ON x.pk = d.pk"
)
_DOC_SQL = f"{_DOC_SELECT} WHERE {live_sql()}"
_SKILL_SQL = f"SELECT s.pk, s.skill FROM search_doc_skill s JOIN search_doc d ON d.pk = s.pk WHERE {live_sql()}"
_N = len(MEMORY_SCALARS)


def _key(bind: Engine | Connection) -> str:
    engine = bind if isinstance(bind, Engine) else bind.engine
    return engine.url.render_as_string(hide_password=True)


def cache_of(bind: Engine | Connection) -> MemoryIndex:
    """The in-process index of the database `bind` is on."""
    key = _key(bind)
    with CACHES_LOCK:
        index = CACHES.pop(key, None) or MemoryIndex()
        CACHES[key] = index  # most recently used last
        while len(CACHES) > MAX_CACHED_DATABASES:
            CACHES.pop(next(iter(CACHES)))
    return index


def _head(conn: Connection) -> tuple[int, str]:
    gen, nonce = conn.execute(text("SELECT gen, nonce FROM search_state WHERE id = 1")).one()
    return int(gen), str(nonce)


def _changed_since(conn: Connection, index: MemoryIndex) -> list[int] | None:
    """The pks changed since the index's state, or None when only a full load will do."""
    if index.state is None or index.stale:
        return None
    known, newer_reset = conn.execute(
        text(
            "SELECT (SELECT nonce FROM search_log WHERE gen = :g), "
            "(SELECT count(*) FROM search_log WHERE gen > :g AND reset = :t)"
        ),
        {"g": index.state[0], "t": True},
    ).one()
    if known != index.state[1] or newer_reset:
        return None
    return [
        int(r[0])
        for r in conn.execute(text("SELECT DISTINCT pk FROM search_change WHERE gen > :g"), {"g": index.state[0]}).all()
    ]


def _apply(conn: Connection, dialect: Dialect, index: MemoryIndex, pks: list[int], head: tuple[int, str]) -> None:
    rows = memory_rows(conn, pks)
    missing = index.unknown_lexemes(rows)
    if missing:
        index.add_terms(vocabulary(conn, dialect, missing))
    index.apply(rows, removed=set(pks) - {r.pk for r in rows}, state=head)


def refresh(conn: Connection, dialect: Dialect, index: MemoryIndex, *, allow_stale: bool = False) -> None:
    """Bring `index` to the database's state as this connection sees it. With
    `allow_stale` (a background thread reloads it, see warm()), a copy that
    would need a full load is left as it is."""
    head = _head(conn)
    if index.state == head:
        return
    pks = _changed_since(conn, index)
    if pks is not None:
        _apply(conn, dialect, index, pks, head)
    elif not (allow_stale and index.state is not None):
        full_load(conn, dialect, index, head)


def full_load(conn: Connection, dialect: Dialect, index: MemoryIndex, head: tuple[int, str] | None) -> None:
    """Load every live document, in chunks of LOAD_CHUNK, straight into columns."""
    index.load(doc_chunks(conn), vocabulary(conn, dialect, None), head, skills=skill_chunks(conn))


def _stream(conn: Connection, sql: str) -> Iterator[Sequence[Any]]:
    # a server-side cursor on PostgreSQL (psycopg would otherwise fetch the whole result at once)
    result = conn.execute(text(sql).execution_options(stream_results=True, max_row_buffer=LOAD_CHUNK))
    try:
        while True:
            rows = result.fetchmany(LOAD_CHUNK)
            if not rows:
                return
            yield rows
    finally:
        result.close()


def doc_chunks(conn: Connection) -> Iterator[Chunk]:
    """Every live document, in increasing pk order, LOAD_CHUNK at a time."""
    for rows in _stream(conn, f"{_DOC_SQL} ORDER BY d.pk"):
        cols = list(zip(*rows, strict=True))
        yield Chunk.of_columns(
            cols[0],
            cols[1],
            cols[2 : 2 + _N],
            cols[2 + _N],
            cols[3 + _N],
            cols[4 + _N],
            cols[5 + _N],
            cols[6 + _N],
        )


def skill_chunks(conn: Connection) -> Iterator[list[tuple[int, str]]]:
    for rows in _stream(conn, _SKILL_SQL):
        yield [(int(pk), str(skill)) for pk, skill in rows]


def warm(bind: Engine | Connection, dialect: Dialect) -> bool:
    """Bring the process's index of this database up to date, outside any user
    request; True when it loaded everything. A full load is built on a new
    index, then swapped in: queries meanwhile answer from the previous copy."""
    key = _key(bind)
    index = cache_of(bind)
    engine = bind if isinstance(bind, Engine) else bind.engine
    with engine.connect() as conn:
        head = _head(conn)
        if index.state == head:
            conn.rollback()
            return False
        with index.lock:
            pks = _changed_since(conn, index)
            if pks is not None:
                _apply(conn, dialect, index, pks, head)
                conn.rollback()
                return False
        fresh = MemoryIndex()
        full_load(conn, dialect, fresh, head)
        conn.rollback()
    with CACHES_LOCK:
        if CACHES.get(key) is index:
            CACHES[key] = fresh
    return True


class Warmer:
    """A daemon thread keeping this process's index of one database warm: it
    loads it at start, then reads the head every `interval` seconds and
    reloads (off the requests' path) after a rebuild. Start one per process
    (after a fork: threads do not survive it)."""

    def __init__(self, bind: Engine, dialect: Dialect, interval: float = 2.0) -> None:
        self.bind, self.dialect, self.interval = bind, dialect, interval
        self.stopped = threading.Event()
        self.loads = 0
        self.errors = 0
        self.thread = threading.Thread(target=self._run, name="search-warmer", daemon=True)

    def start(self) -> Warmer:
        WARMED.add(_key(self.bind))
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        WARMED.discard(_key(self.bind))

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.loads += warm(self.bind, self.dialect)
            except Exception:  # noqa: BLE001 - the database may be down or not migrated yet: try again
                self.errors += 1
            self.stopped.wait(self.interval)


def vocabulary(conn: Connection, dialect: Dialect, ids: list[int] | None) -> list[tuple[int, str]]:
    """(lexeme id, term) pairs: all of them, or those of `ids`."""
    table = "search_lexeme"
    if ids is None:
        return [(int(i), str(t)) for i, t in conn.execute(text(f"SELECT id, term FROM {table}")).all()]
    out: list[tuple[int, str]] = []
    for start in range(0, len(ids), 500):
        p = Params()
        chunk = ids[start : start + 500]
        out.extend(
            (int(i), str(t))
            for i, t in conn.execute(
                text(f"SELECT id, term FROM {table} WHERE id IN ({p.many(chunk)})"), p.values
            ).all()
        )
    return out


def memory_rows(conn: Connection, pks: list[int]) -> list[Row]:
    """The engine's rows of those of `pks` that still exist (the documents changed since a state)."""
    rows: list[Row] = []
    for start in range(0, len(pks), 500):
        p = Params()
        where = p.many(pks[start : start + 500])
        skills: dict[int, list[str]] = {}
        for pk, skill in conn.execute(text(f"SELECT pk, skill FROM search_doc_skill WHERE pk IN ({where})"), p.values):
            skills.setdefault(int(pk), []).append(skill)
        for r in conn.execute(text(f"{_DOC_SQL} AND d.pk IN ({where})"), p.values).all():
            rows.append(
                Row(
                    int(r[0]),
                    r[1],
                    tuple(r[2 : 2 + _N]),
                    r[2 + _N],
                    r[3 + _N],
                    float(r[4 + _N] or 0.0),
                    int(r[5 + _N] or 0),
                    bytes(r[6 + _N]) if r[6 + _N] is not None else b"",
                    skills.get(int(r[0]), ()),
                )
            )
    return rows


def search_memory(
    bind: Engine | Connection,
    conn: Connection,
    dialect: Dialect,
    backend_name: str,
    query: SearchQuery,
    position: list[Any] | None,
    synonyms: SynonymTable = EMPTY_SYNONYMS,
) -> SearchResult:
    """One query on the in-process index, read through `conn`. `position`: the
    cursor's (key, uid[, the terms' weights])."""
    facets = list(query.facets)
    index = cache_of(bind)
    with index.lock:
        refresh(conn, dialect, index, allow_stale=_key(bind) in WARMED)
        plan = make_plan(index, query.text, query.kinds, synonyms)
        if plan.impossible:
            return SearchResult(
                hits=[],
                facets={f: {} for f in facets},
                next_cursor=None,
                total=0,
                backend=backend_name,
                ignored_terms=plan.ignored,
                exact_total=0,
            )
        after = (float(position[0]), str(position[1])) if position is not None else None
        carried = [float(w) for w in position[2]] if position is not None and len(position) > 2 else None

        def run(q: SearchQuery) -> Page:
            return index.search(
                kinds=q.kinds,
                terms=plan.specs or None,
                levels=plan.levels or None,
                weights=carried,
                match_any=q.match_any,
                filters=q.filters,
                facets=facets,
                near=q.near,
                radius_km=q.radius_km,
                sort=q.effective_sort,
                after=after,
                limit=q.limit,
            )

        page = run(query)
        exact_total, widened = page.total, should_widen(query, page.total)
        if widened:  # same plan, same snapshot: only the matching differs
            query = widened_query(query)
            page = run(query)
    shown = display(conn, query, plan, page.pks) if page.pks else {}
    hits = [  # a document of an older build may be gone (a copy answering while it reloads)
        hit(shown[pk], score, distance)
        for pk, score, distance in zip(page.pks, page.scores, page.distances, strict=True)
        if pk in shown
    ]
    next_cursor = None
    if page.more and page.pks:
        position_out: list[Any] = [page.keys[-1], page.uids[-1]]
        if page.weights:
            position_out.append(page.weights)
        next_cursor = encode_cursor(query, position_out)
    return SearchResult(
        hits=hits,
        facets={f: sorted_counts(page.facets.get(f, {})) for f in facets},
        next_cursor=next_cursor,
        total=page.total,
        backend=backend_name,
        corrections=plan.corrections if page.total else {},
        ignored_terms=plan.ignored,
        exact_total=exact_total,
        widened=widened,
    )
