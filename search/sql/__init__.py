"""The SQL backend: full-text search inside the app's own database, on SQLite
(FTS5) or PostgreSQL (tsvector + GIN, pg_trgm). Built on a SQLAlchemy Engine
or Connection; SQLAlchemy Core only.

| module | what |
| --- | --- |
| `__init__.py` | `SqlBackend`: connections, writes and the change log, reads, dispatch of a search |
| `common.py` | the columns of search_doc (from search.base.FIELDS), the plan's types, `Dialect` |
| `sqlite.py`, `postgresql.py` | each database's DDL, writes, matching, scoring, highlighting |
| `plan.py` | the plan of the query's words (analysis, synonyms, typos) and the page's display |
| `inprocess.py` | the search path: the in-process engine (search/memory.py), kept in step |

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

from sqlalchemy import text
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
from .common import DOC_COLUMNS, SUPPORTED_DIALECTS, Dialect, Params, document_of, index_batch
from .inprocess import CACHES, cache_of, search_memory
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
    EXISTS). PostgreSQL needs the right to CREATE EXTENSION unaccent and
    pg_trgm. (Migrations carry their own frozen copy.)"""
    return dialect_of(dialect).schema()


def sql_drop_statements(dialect: str) -> list[str]:
    """The reverse of sql_schema_statements. The PostgreSQL extensions are left in place."""
    return dialect_of(dialect).drop()


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
        self, bind: Engine | Connection, *, batch_size: int = 1000, synonyms: Sequence[Sequence[str]] = ()
    ) -> None:
        self.bind = bind
        self.synonyms = tuple(tuple(g) for g in synonyms)  # the groups, as given
        self.synonym_table = synonym_table(self.synonyms)
        self.dialect = bind.dialect.name
        self.sql = dialect_of(self.dialect)
        self.pg = self.dialect == "postgresql"
        self.name = f"sql-{self.dialect}"
        self.batch_size = batch_size

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
            for statement in self.sql.schema():
                conn.exec_driver_sql(statement)

    def drop(self) -> None:
        with self._write() as conn:
            for statement in self.sql.drop():
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
            for start in range(0, len(docs), self.batch_size):
                index_batch(self.sql, conn, docs[start : start + self.batch_size], gen)
        return len(docs)

    def delete(self, kind: str, ids: Iterable[Any]) -> None:
        check_kind(kind)
        uids = sorted({f"{kind}:{i}" for i in ids})
        if not uids:
            return
        with self._write() as conn:
            self.sql.delete(conn, uids, self._bump(conn))

    def clear(self, kind: str) -> None:
        check_kind(kind)
        with self._write() as conn:
            self._bump(conn, reset=True)
            self.sql.clear(conn, kind)

    def rebuild(
        self, kind: str, batches: Iterable[Sequence[Document]], progress: Callable[[int], None] | None = None
    ) -> int:
        """Replace every document of `kind` in one transaction: readers see the
        old set until the new one is complete."""
        check_kind(kind)
        done = 0
        with self._write() as conn:
            self._bump(conn, reset=True)  # caches reload everything
            self.sql.clear(conn, kind)
            for batch in batches:
                docs = check_documents(kind, batch)
                for start in range(0, len(docs), self.batch_size):
                    index_batch(self.sql, conn, docs[start : start + self.batch_size], None)
                done += len(docs)
                if progress:
                    progress(done)
        return done

    def optimize(self) -> None:
        """Merge FTS5 segments and refresh planner statistics (after a bulk load)."""
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
        sql = f"SELECT {DOC_COLUMNS} FROM search_doc WHERE uid IN ({p.many(uids)}) ORDER BY uid"
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
                            f"SELECT {DOC_COLUMNS} FROM search_doc WHERE kind = :k AND pk > :last ORDER BY pk LIMIT :n"
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
                    for k, n in conn.execute(text("SELECT kind, count(*) FROM search_doc GROUP BY kind")).all()
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
