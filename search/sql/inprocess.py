"""The SQL backend's default search path: the database is the store, and the
query runs in process on search.memory.MemoryIndex, one per database (by URL),
kept in step with the database's change log (search_state, search_log,
search_change)."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from ..analysis import EMPTY_SYNONYMS, SynonymTable
from ..base import SearchQuery, SearchResult, encode_cursor, should_widen, widened_query
from ..memory import MemoryIndex, Page, Row
from .common import MEMORY_SCALARS, Dialect, Params
from .plan import display, hit, make_plan, sorted_counts

# One in-process index per database (by URL), shared by every SqlBackend of the process.
MAX_CACHED_DATABASES = 8
CACHES: dict[str, MemoryIndex] = {}
CACHES_LOCK = threading.Lock()

_DOC_SQL = (
    "SELECT d.pk, d.uid, "
    + ", ".join(f"d.{name}" for name in MEMORY_SCALARS)
    + ", d.lat, d.lon, d.pub_ts, d.title_ntok, x.lex FROM search_doc d LEFT JOIN search_doc_lex x ON x.pk = d.pk"
)
_N = len(MEMORY_SCALARS)


def cache_of(bind: Engine | Connection) -> MemoryIndex:
    """The in-process index of the database `bind` is on."""
    engine = bind if isinstance(bind, Engine) else bind.engine
    key = engine.url.render_as_string(hide_password=True)
    with CACHES_LOCK:
        index = CACHES.pop(key, None) or MemoryIndex()
        CACHES[key] = index  # most recently used last
        while len(CACHES) > MAX_CACHED_DATABASES:
            CACHES.pop(next(iter(CACHES)))
    return index


def refresh(conn: Connection, dialect: Dialect, index: MemoryIndex) -> None:
    """Bring `index` to the database's state as this connection sees it."""
    gen, nonce = conn.execute(text("SELECT gen, nonce FROM search_state WHERE id = 1")).one()
    head = (int(gen), str(nonce))
    if index.state == head:
        return
    if index.state is not None and not index.stale:
        known, newer_reset = conn.execute(
            text(
                "SELECT (SELECT nonce FROM search_log WHERE gen = :g), "
                "(SELECT count(*) FROM search_log WHERE gen > :g AND reset = :t)"
            ),
            {"g": index.state[0], "t": True},
        ).one()
        if known == index.state[1] and not newer_reset:
            pks = [
                int(r[0])
                for r in conn.execute(
                    text("SELECT DISTINCT pk FROM search_change WHERE gen > :g"), {"g": index.state[0]}
                ).all()
            ]
            rows = memory_rows(conn, pks)
            missing = index.unknown_lexemes(rows)
            if missing:
                index.add_terms(vocabulary(conn, dialect, missing))
            index.apply(rows, removed=set(pks) - {r.pk for r in rows}, state=head)
            return
    index.load(memory_rows(conn, None), vocabulary(conn, dialect, None), head)


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


def memory_rows(conn: Connection, pks: list[int] | None) -> list[Row]:
    """The engine's rows of every document, or of those of `pks` that still exist."""
    chunks: list[tuple[str, str, dict[str, Any]]] = []
    if pks is None:
        chunks.append((_DOC_SQL, "SELECT pk, skill FROM search_doc_skill", {}))
    else:
        for start in range(0, len(pks), 500):
            p = Params()
            where = p.many(pks[start : start + 500])
            chunks.append(
                (
                    f"{_DOC_SQL} WHERE d.pk IN ({where})",
                    f"SELECT pk, skill FROM search_doc_skill WHERE pk IN ({where})",
                    p.values,
                )
            )
    rows: list[Row] = []
    for doc_sql, skill_sql, values in chunks:
        skills: dict[int, list[str]] = {}
        for pk, skill in conn.execute(text(skill_sql), values).all():
            skills.setdefault(int(pk), []).append(skill)
        for r in conn.execute(text(doc_sql), values).all():
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
        refresh(conn, dialect, index)
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
    hits = [
        hit(shown[pk], score, distance)
        for pk, score, distance in zip(page.pks, page.scores, page.distances, strict=True)
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
