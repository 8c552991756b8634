"""The SQL backend: search stored in the app's own database, SQLite or
PostgreSQL, answered in process. Built on a SQLAlchemy Engine or Connection;
SQLAlchemy Core only.

| module | what |
| --- | --- |
| `__init__.py` | `SqlBackend`: connections, writes and the change log, reads, dispatch of a search |
| `common.py` | the columns of search_doc (from search.base.FIELDS), the plan's types, `Dialect` |
| `sqlite.py`, `postgresql.py` | each database's DDL, writes, matching, scoring, highlighting |
| `plan.py` | the plan of the query's words (analysis, synonyms, typos) and the page's display |
| `inprocess.py` | the search path: the in-process engine (search/memory.py), kept in step |
| `builds.py` | shadow builds: a full rebuild beside the live index, swapped in at the end |

Tables (all prefixed `search_`; created by `setup()`):

- `search_doc`: one row per document, with the filter columns, the text, the
  display payload; `uid` = "kind:id" is unique.
- `search_doc_skill`: (pk, skill), the multi-valued skills, for filters and
  facets.
- `search_lexeme`: the numbered lexemes (words and "~stems", search/analysis.py).
- `search_doc_lex`: each document's packed lexemes (with title/keywords flags).
- `search_state`, `search_log`, `search_change`: the change log the in-process
  engines follow.
- `search_journal`: the replay journal of search.fallback.SqlReplayJournal.
- `search_build`, `search_dirty`: the live and shadow build of each kind, the
  documents written during a rebuild (search/sql/builds.py); `search_doc.build`
  names a row's build, unique (uid, build).

The database is the store; queries are answered in process by
search/memory.py, which ranks with corpus statistics (the terms' IDF). Keyset
cursors stay exact while the index changes because the next page reuses the
weights page 1 used: they travel in the cursor.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine

from ..analysis import synonym_table
from ..base import (
    Document,
    Health,
    InvalidCursor,
    PrivateKindError,
    SearchBackend,
    SearchQuery,
    SearchResult,
    check_documents,
    check_kind,
    decode_cursor,
)
from ..memory import MemoryIndex
from . import builds
from .common import DOC_COLUMNS, SUPPORTED_DIALECTS, Dialect, Params, document_of, index_batch
from .inprocess import CACHES, Warmer, cache_of, search_memory, warm
from .postgresql import PostgresDialect
from .sqlite import SqliteDialect

__all__ = ["CACHES", "SUPPORTED_DIALECTS", "SqlBackend", "dialect_of", "sql_drop_statements", "sql_schema_statements"]

_DIALECTS: dict[str, Dialect] = {"sqlite": SqliteDialect(), "postgresql": PostgresDialect()}


MAX_WEIGHT = 100.0


def checked_position(position: list[Any]) -> list[Any]:
    """A cursor's position: (sort key, uid) and, after a relevance page, the terms' weights."""
    if len(position) not in (2, 3):
        raise InvalidCursor("malformed cursor position")
    try:
        out: list[Any] = [float(position[0]), str(position[1])]
        if len(position) == 3:
            weights = [float(w) for w in position[2]]
            if len(weights) > 16 or not all(0.0 <= w <= MAX_WEIGHT for w in weights):
                raise ValueError("weights out of range")
            out.append(weights)
    except (IndexError, TypeError, ValueError) as exc:
        raise InvalidCursor("malformed cursor position") from exc
    if out[0] != out[0]:  # NaN
        raise InvalidCursor("malformed cursor position")
    return out


def dialect_of(name: str) -> Dialect:
    try:
        return _DIALECTS[name]
    except KeyError:
        raise ValueError(f"unsupported dialect {name!r}; expected one of {SUPPORTED_DIALECTS}") from None


def sql_schema_statements(dialect: str) -> list[str]:
    """The DDL of the search tables, every statement idempotent (IF NOT
    EXISTS). (Migrations carry their own frozen copy.)"""
    return dialect_of(dialect).schema() + builds.schema(dialect)


def sql_drop_statements(dialect: str) -> list[str]:
    """The reverse of sql_schema_statements. The PostgreSQL extensions are left in place."""
    return builds.drop() + dialect_of(dialect).drop()


#: SQLite: how long a writer waits for the lock before "database is locked" (ms).
SQLITE_BUSY_TIMEOUT_MS = 15_000


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """SqlBackend's defaults on a SQLite engine it is given: a busy timeout
    (pysqlite's own is 5 s) and WAL for a file database (readers never block
    the writer, nor the writer the readers; the mode is stored in the file)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout")
        if int(cursor.fetchone()[0]) < SQLITE_BUSY_TIMEOUT_MS:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode")
        mode = str(cursor.fetchone()[0]).lower()
        if mode not in ("wal", "memory"):  # "memory": a :memory: database, which has no WAL
            cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


def sqlite_defaults(engine: Engine) -> None:
    """Install _sqlite_connect on a SQLite engine (once; connections opened from now on)."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _sqlite_connect):
        event.listen(engine, "connect", _sqlite_connect)


class SqlBackend(SearchBackend):
    """Full-text search stored in SQLite or PostgreSQL, answered in process.
    `bind` is an Engine (each call runs in its own transaction) or a Connection
    (calls join its transaction, inside a savepoint; the caller commits).
    `synonyms`: groups of equivalent phrases (search/analysis.py SynonymTable)."""

    stable_cursor = True

    # The change log read by the in-process engine: every write transaction
    # takes the next generation (the UPDATE also serialises writers on
    # PostgreSQL, so generations follow commit order) with a fresh nonce, and
    # lists the documents it touched. A cache that knows (generation, nonce)
    # reloads only those; a rolled-back generation has no log row, so a cache
    # built on it reloads everything.
    LOG_KEEP = 5000

    def __init__(
        self,
        bind: Engine | Connection,
        *,
        batch_size: int = 1000,
        rebuild_batch: int = 500,
        rebuild_grace: float = 0.0,
        rebuild_pause: float | None = None,
        synonyms: Sequence[Sequence[str]] = (),
    ) -> None:
        self.bind = bind
        self.synonyms = tuple(tuple(g) for g in synonyms)  # the groups, as given
        self.synonym_table = synonym_table(self.synonyms)
        self.dialect = bind.dialect.name
        self.sql = dialect_of(self.dialect)
        self.pg = self.dialect == "postgresql"
        self.name = f"sql-{self.dialect}"
        self.batch_size = batch_size
        #: shadow rebuilds (search/sql/builds.py): documents per committed transaction,
        #: seconds before the old build's rows are dropped, rows dropped per transaction
        self.rebuild_batch = rebuild_batch
        self.rebuild_grace = rebuild_grace
        # SQLite has one writer at a time, and a waiting writer polls the lock (every 100 ms after
        # its first 0.3 s): a pause this long after each batch lets it in, whatever its timing.
        self.rebuild_pause = (0.1 if self.dialect == "sqlite" else 0.0) if rebuild_pause is None else rebuild_pause
        self.drop_batch = 1000
        if isinstance(bind, Engine):
            sqlite_defaults(bind)

    # -------------------------------------------------------- connections

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        if isinstance(self.bind, Engine):
            with self.bind.begin() as conn:
                yield conn
        elif self.bind.in_transaction():
            with self.bind.begin_nested():
                yield self.bind
        else:
            with self.bind.begin():
                yield self.bind

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        if isinstance(self.bind, Engine):
            with self.bind.connect() as conn:
                yield conn
                conn.rollback()
        else:
            yield self.bind

    # -------------------------------------------------------- schema

    def setup(self) -> None:
        with self._write() as conn:
            for statement in sql_schema_statements(self.dialect):
                conn.exec_driver_sql(statement)

    def drop(self) -> None:
        with self._write() as conn:
            for statement in sql_drop_statements(self.dialect):
                conn.exec_driver_sql(statement)

    # -------------------------------------------------------- writes

    def _bump(self, conn: Connection, reset: bool = False) -> int:
        nonce = uuid.uuid4().hex
        gen = int(
            conn.execute(
                text("UPDATE search_state SET gen = gen + 1, nonce = :n WHERE id = 1 RETURNING gen"), {"n": nonce}
            ).scalar_one()
        )
        conn.execute(
            text("INSERT INTO search_log (gen, nonce, reset) VALUES (:g, :n, :r)"), {"g": gen, "n": nonce, "r": reset}
        )
        if gen % 500 == 0:
            conn.execute(text("DELETE FROM search_change WHERE gen <= :g"), {"g": gen - self.LOG_KEEP})
            conn.execute(text("DELETE FROM search_log WHERE gen <= :g"), {"g": gen - self.LOG_KEEP})
        return gen

    def index(self, kind: str, documents: Iterable[Document]) -> int:
        docs = check_documents(kind, documents)
        if not docs:
            return 0
        with self._write() as conn:
            gen = self._bump(conn)
            live, shadow = builds.current(conn, kind)  # after the bump: a swap cannot come in between
            for start in range(0, len(docs), self.batch_size):
                index_batch(self.sql, conn, docs[start : start + self.batch_size], gen, live)
            if shadow is not None:
                builds.mark_dirty(conn, shadow, [d.uid for d in docs], gen)
        return len(docs)

    def delete(self, kind: str, ids: Iterable[Any]) -> None:
        check_kind(kind)
        uids = sorted({f"{kind}:{i}" for i in ids})
        if not uids:
            return
        with self._write() as conn:
            gen = self._bump(conn)
            live, shadow = builds.current(conn, kind)
            self.sql.delete(conn, uids, gen, live)
            if shadow is not None:
                builds.mark_dirty(conn, shadow, uids, gen)

    def clear(self, kind: str) -> None:
        """Delete every document of `kind` (a rebuild in progress then fails at its swap)."""
        check_kind(kind)
        with self._write() as conn:
            self._bump(conn, reset=True)
            self.sql.clear(conn, kind)
            conn.execute(text("UPDATE search_build SET shadow = NULL WHERE kind = :k"), {"k": kind})

    def rebuild(
        self, kind: str, batches: Iterable[Sequence[Document]], progress: Callable[[int], None] | None = None
    ) -> int:
        """Replace every document of `kind`; readers see the old set until the
        new one is complete. On an Engine (or a Connection outside any
        transaction): a shadow build written in short transactions and swapped
        in at the end, writers never wait long (search/sql/builds.py). On a
        Connection inside a transaction: in that transaction."""
        check_kind(kind)
        if isinstance(self.bind, Engine) or not self.bind.in_transaction():
            return builds.rebuild(self, kind, batches, progress)
        done = 0
        with self._write() as conn:
            self._bump(conn, reset=True)  # caches reload everything
            live, _shadow = builds.current(conn, kind)
            self.sql.clear(conn, kind)
            conn.execute(text("UPDATE search_build SET shadow = NULL WHERE kind = :k"), {"k": kind})
            for batch in batches:
                docs = check_documents(kind, batch)
                for start in range(0, len(docs), self.batch_size):
                    index_batch(self.sql, conn, docs[start : start + self.batch_size], None, live)
                done += len(docs)
                if progress:
                    progress(done)
        return done

    def warm(self) -> bool:
        """Bring this process's in-process index up to date now (outside any
        user request: at start, and after a rebuild); True when it reloaded."""
        return warm(self.bind, self.sql)

    def start_warmer(self, interval: float = 2.0) -> Warmer:
        """A daemon thread of this process that warms its index now, then every
        `interval` seconds (reloading off the requests' path after a rebuild).
        Once per process, after any fork."""
        engine = self.bind if isinstance(self.bind, Engine) else self.bind.engine
        return Warmer(engine, self.sql, interval).start()

    def optimize(self) -> None:
        """Refresh the planner statistics (after a bulk load)."""
        with self._write() as conn:
            self.sql.optimize(conn)

    # -------------------------------------------------------- reads

    def get(self, kind: str, ids: Iterable[Any]) -> list[Document]:
        """The stored documents among `ids` (missing ones are left out)."""
        check_kind(kind)
        uids = sorted({f"{kind}:{i}" for i in ids})
        if not uids:
            return []
        p = Params()
        sql = (
            f"SELECT {DOC_COLUMNS} FROM search_doc d WHERE uid IN ({p.many(uids)}) AND {builds.live_sql()} ORDER BY uid"
        )
        with self._read() as conn:
            rows = conn.execute(text(sql), p.values).mappings().all()
        return [document_of(r) for r in rows]

    def iter_documents(self, kind: str, batch_size: int = 1000) -> Iterator[list[Document]]:
        """Every stored document of `kind`, in batches (to copy the index into
        another backend)."""
        check_kind(kind)
        last = 0
        while True:
            with self._read() as conn:
                rows = (
                    conn.execute(
                        text(
                            f"SELECT {DOC_COLUMNS} FROM search_doc d WHERE kind = :k AND pk > :last "
                            f"AND {builds.live_sql()} ORDER BY pk LIMIT :n"
                        ),
                        {"k": kind, "last": last, "n": batch_size},
                    )
                    .mappings()
                    .all()
                )
            if not rows:
                return
            last = rows[-1]["pk"]
            yield [document_of(r) for r in rows]

    def health(self) -> Health:
        try:
            with self._read() as conn:
                counts = {
                    str(k): int(n)
                    for k, n in conn.execute(
                        text(f"SELECT kind, count(*) FROM search_doc d WHERE {builds.live_sql()} GROUP BY kind")
                    ).all()
                }
                self.sql.probe_health(conn)
        except Exception as exc:  # noqa: BLE001 - health reports, never raises
            return Health(ok=False, backend=self.name, detail=f"{type(exc).__name__}: {exc}")
        return Health(ok=True, backend=self.name, detail="ok", documents=counts)

    # -------------------------------------------------------- search

    def search(self, query: SearchQuery) -> SearchResult:
        kinds = query.kinds  # raises PrivateKindError
        if "need" in kinds and not query.include_private:  # pragma: no cover - belt and braces
            raise PrivateKindError("needs need include_private=True")
        position = decode_cursor(query)
        if position is not None:
            position = checked_position(position)
        with self._read() as conn:
            return search_memory(self.bind, conn, self.sql, self.name, query, position, self.synonym_table)

    def _cache(self) -> MemoryIndex:
        """The in-process index of this backend's database."""
        return cache_of(self.bind)
