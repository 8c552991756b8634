"""Shadow builds: a full rebuild of one kind that never blocks the site.

Every row of `search_doc` belongs to a build (`search_doc.build`, unique
(uid, build)); `search_build` names, per kind, the **live** build — the only
one readers see (the in-process loads, `get`, `iter_documents`, `health`, the
SQL search path) — and the **shadow** build being written, if any. A kind
without a row in `search_build` is live at build 0.

`rebuild(backend, kind, batches)` (an Engine-bound `SqlBackend`, or a
Connection outside any transaction):

1. start: one short transaction takes a generation G (the writers' lock) and
   records `shadow = G`;
2. write: the new documents go into build G in short committed transactions
   of `rebuild_batch` documents, without generation (no reader sees them, the
   caches are not told), with a pause of `rebuild_pause` after each on SQLite
   (one writer at a time: the site's writers get the lock in the pauses);
3. catch up: meanwhile ordinary `index`/`delete` keep writing the live build
   and, when a shadow build exists, record the uid in `search_dirty` (build,
   uid, generation). Before the swap the dirty documents are copied from the
   live build into the shadow (a live row replaces the shadow row, a missing
   live row deletes it), in short transactions, until few are left;
4. swap: one short transaction takes the next generation with `reset` (every
   cache reloads), copies the last dirty documents, and sets `live = G`;
5. drop: the rows of the older builds of the kind are deleted in small
   transactions (after `grace` seconds, so that a process still answering
   from its previous copy can display its last pages).

Why a change log of uids rather than dual writes: the rebuild's batches are
read from the application's tables while the site keeps writing; a batch read
before a write but written after it would overwrite the newer document in the
shadow (or bring back one just deleted). Copying the live row of every uid
written since the start, under the writers' lock, makes the latest write win
whatever the order.

A failed rebuild (exception in `batches`, a lost connection) drops the shadow
build's rows and leaves the live build untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..base import Document, SearchError, check_documents
from .common import DOC_COLUMNS, Params, document_of, index_batch

if TYPE_CHECKING:
    from . import SqlBackend

#: The search tables keyed by search_doc.pk (dropped with a build's rows).
PK_TABLES = ("search_doc_skill", "search_doc_lex")


def schema(dialect: str) -> list[str]:
    """The DDL of shadow builds, after the dialect's own (idempotent)."""
    big = "BIGINT" if dialect == "postgresql" else "INTEGER"
    return [
        "CREATE UNIQUE INDEX IF NOT EXISTS search_doc_uid_build ON search_doc (uid, build)",
        "CREATE INDEX IF NOT EXISTS search_doc_kind_build ON search_doc (kind, build)",
        f"""CREATE TABLE IF NOT EXISTS search_build (
        kind TEXT PRIMARY KEY, live {big} NOT NULL DEFAULT 0, shadow {big}, started_gen {big})""",
        f"""CREATE TABLE IF NOT EXISTS search_dirty (
        build {big} NOT NULL, uid TEXT NOT NULL, gen {big} NOT NULL, PRIMARY KEY (build, uid))""",
    ]


def drop() -> list[str]:
    return ["DROP TABLE IF EXISTS search_dirty", "DROP TABLE IF EXISTS search_build"]


def live_sql(alias: str = "d") -> str:
    """SQL condition: the row of `alias` (search_doc) belongs to its kind's live build."""
    return f"{alias}.build = coalesce((SELECT sb.live FROM search_build sb WHERE sb.kind = {alias}.kind), 0)"


def current(conn: Connection, kind: str) -> tuple[int, int | None]:
    """(live build, shadow build or None) of `kind`."""
    row = conn.execute(text("SELECT live, shadow FROM search_build WHERE kind = :k"), {"k": kind}).first()
    if row is None:
        return 0, None
    return int(row[0]), (int(row[1]) if row[1] is not None else None)


def mark_dirty(conn: Connection, shadow: int, uids: Sequence[str], gen: int) -> None:
    """Written (or deleted) in the live build while `shadow` is being built."""
    conn.execute(
        text(
            "INSERT INTO search_dirty (build, uid, gen) VALUES (:b, :u, :g) "
            "ON CONFLICT (build, uid) DO UPDATE SET gen = excluded.gen"
        ),
        [{"b": shadow, "u": u, "g": gen} for u in uids],
    )


def _copy_dirty(backend: SqlBackend, conn: Connection, kind: str, build: int, after: int) -> tuple[int, int]:
    """Copy into `build` the live version of every uid dirtied after generation
    `after`; returns (how many, highest generation seen)."""
    rows = conn.execute(
        text("SELECT uid, gen FROM search_dirty WHERE build = :b AND gen > :g"), {"b": build, "g": after}
    ).all()
    if not rows:
        return 0, after
    uids = sorted({str(r[0]) for r in rows})
    top = max(int(r[1]) for r in rows)
    live, _shadow = current(conn, kind)
    for start in range(0, len(uids), 500):
        chunk = uids[start : start + 500]
        p = Params()
        found = [
            document_of(r)
            for r in conn.execute(
                text(
                    f"SELECT {DOC_COLUMNS} FROM search_doc WHERE uid IN ({p.many(chunk)}) AND build = {p(live)} "
                    "ORDER BY uid"
                ),
                p.values,
            )
            .mappings()
            .all()
        ]
        present = {d.uid for d in found}
        gone = [u for u in chunk if u not in present]
        if found:
            index_batch(backend.sql, conn, found, None, build)
        if gone:
            backend.sql.delete(conn, gone, None, build)
    return len(uids), top


def _drop_rows(backend: SqlBackend, kind: str, keep: Callable[[Connection], list[int]], batch: int) -> int:
    """Delete the rows of `kind` whose build is not in keep(conn), `batch` per transaction."""
    with backend._read() as conn:
        p = Params()
        old = [
            int(r[0])
            for r in conn.execute(
                text(
                    f"SELECT DISTINCT build FROM search_doc WHERE kind = {p(kind)} AND build NOT IN ({p.many(keep(conn))})"
                ),
                p.values,
            ).all()
        ]
    dropped = 0
    for build in old:
        while True:
            with backend._write() as conn:
                if build in keep(conn):  # pragma: no cover - build numbers are never reused
                    break
                pks = [
                    int(r[0])
                    for r in conn.execute(
                        text(f"SELECT pk FROM search_doc WHERE kind = :k AND build = :b LIMIT {int(batch)}"),
                        {"k": kind, "b": build},
                    ).all()
                ]
                if pks:
                    q = Params()
                    where = q.many(pks)
                    for table in PK_TABLES:
                        conn.execute(text(f"DELETE FROM {table} WHERE pk IN ({where})"), q.values)
                    conn.execute(text(f"DELETE FROM search_doc WHERE pk IN ({where})"), q.values)
                    dropped += len(pks)
            if not pks:
                break
            if backend.rebuild_pause:
                time.sleep(backend.rebuild_pause)
    return dropped


def _has_old_rows(backend: SqlBackend, kind: str) -> bool:
    with backend._read() as conn:
        kept = _kept(kind)(conn)
        p = Params()
        sql = f"SELECT 1 FROM search_doc WHERE kind = {p(kind)} AND build NOT IN ({p.many(kept)}) LIMIT 1"
        return conn.execute(text(sql), p.values).first() is not None


def _kept(kind: str) -> Callable[[Connection], list[int]]:
    def keep(conn: Connection) -> list[int]:
        live, shadow = current(conn, kind)
        return [live] if shadow is None else [live, shadow]

    return keep


def rebuild(
    backend: SqlBackend,
    kind: str,
    batches: Iterable[Sequence[Document]],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Replace every document of `kind` through a shadow build (see the module's docstring)."""
    with backend._write() as conn:
        build = backend._bump(conn)  # a fresh, unique number; also waits for the writers in flight
        conn.execute(
            text(
                "INSERT INTO search_build (kind, live, shadow, started_gen) VALUES (:k, 0, :b, :b) "
                "ON CONFLICT (kind) DO UPDATE SET shadow = excluded.shadow, started_gen = excluded.started_gen"
            ),
            {"k": kind, "b": build},
        )
    done = 0
    try:
        # leftovers of an earlier failed or superseded rebuild
        _drop_rows(backend, kind, _kept(kind), backend.drop_batch)
        for batch in batches:
            docs = check_documents(kind, batch)
            for start in range(0, len(docs), backend.rebuild_batch):
                with backend._write() as conn:
                    index_batch(backend.sql, conn, docs[start : start + backend.rebuild_batch], None, build)
                if backend.rebuild_pause:
                    time.sleep(backend.rebuild_pause)
            done += len(docs)
            if progress:
                progress(done)
        # catch up outside the writers' lock while many documents changed meanwhile
        seen = 0
        for _ in range(5):
            with backend._write() as conn:
                copied, seen = _copy_dirty(backend, conn, kind, build, seen)
            if copied < 100:
                break
        with backend._write() as conn:
            backend._bump(conn, reset=True)  # the writers' lock; every cache reloads
            if current(conn, kind)[1] != build:
                raise SearchError(f"rebuild of {kind!r} superseded by another rebuild or a clear()")
            _copy_dirty(backend, conn, kind, build, seen)
            conn.execute(
                text("UPDATE search_build SET live = :b, shadow = NULL WHERE kind = :k"), {"b": build, "k": kind}
            )
            conn.execute(text("DELETE FROM search_dirty WHERE build = :b"), {"b": build})
    except BaseException:
        _abandon(backend, kind, build)
        raise
    if backend.rebuild_grace > 0 and _has_old_rows(backend, kind):
        time.sleep(backend.rebuild_grace)
    _drop_rows(backend, kind, _kept(kind), backend.drop_batch)
    return done


def _abandon(backend: SqlBackend, kind: str, build: int) -> None:
    """After a failed rebuild: forget the shadow build and drop its rows (best effort)."""
    try:
        with backend._write() as conn:
            conn.execute(
                text("UPDATE search_build SET shadow = NULL WHERE kind = :k AND shadow = :b"), {"k": kind, "b": build}
            )
            conn.execute(text("DELETE FROM search_dirty WHERE build = :b"), {"b": build})
        _drop_rows(backend, kind, _kept(kind), backend.drop_batch)
    except Exception:  # noqa: BLE001 - the original error matters; the next rebuild drops the leftovers
        pass
