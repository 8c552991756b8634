"""What the SQL backend's modules share: limits, the query plan, named bind
parameters, the columns of `search_doc` (derived from search.base.FIELDS), and
`Dialect`, the interface each database implements (search/sql/sqlite.py,
search/sql/postgresql.py)."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

from ..analysis import QueryTerm, document_lexemes, word_count
from ..base import MULTI_FIELDS, SCALAR_FIELDS, TEXT_FIELDS, Document
from ..memory import TermSpec, pack_lexemes

MAX_CORRECTIONS = 3  # typo: at most this many replacement terms
NO_DISTANCE = 1.0e9  # sort value of documents without coordinates
SNIPPET_WORDS = 24

SUPPORTED_DIALECTS = ("sqlite", "postgresql")

# ---------------------------------------------------------------- columns of search_doc, from the fields

#: What SqlBackend writes, in this order (both dialects; SQLite adds its token columns).
COLUMNS: tuple[str, ...] = (
    "uid",
    "kind",
    "doc_id",
    *TEXT_FIELDS,
    *SCALAR_FIELDS,
    *MULTI_FIELDS,
    "lat",
    "lon",
    "pub_ts",
    "published_at",
    "extra",
    "title_ntok",
)
#: What a stored Document is read back from.
DOC_COLUMNS = ", ".join(
    ("pk", "doc_id", "kind", *TEXT_FIELDS, *SCALAR_FIELDS, *MULTI_FIELDS, "lat", "lon", "published_at", "extra")
)
#: The in-process engine's scalar columns (search.memory.SCALARS).
MEMORY_SCALARS: tuple[str, ...] = ("kind", *SCALAR_FIELDS)


def row_of(doc: Document) -> dict[str, Any]:
    """One search_doc row."""
    row: dict[str, Any] = {"uid": doc.uid, "kind": doc.kind, "doc_id": doc.id}
    for name in TEXT_FIELDS + SCALAR_FIELDS + MULTI_FIELDS:
        row[name] = getattr(doc, name)
    row.update(
        lat=doc.lat,
        lon=doc.lon,
        pub_ts=doc.pub_ts,
        published_at=doc.published_at.isoformat() if doc.published_at else None,
        extra=doc.extra,
        title_ntok=word_count(doc.title),
    )
    return row


def document_of(r: RowMapping) -> Document:
    """A Document from a row of DOC_COLUMNS."""
    values: dict[str, Any] = {name: r[name] for name in TEXT_FIELDS + SCALAR_FIELDS}
    values.update({name: loads(r[name], []) for name in MULTI_FIELDS})
    return Document(
        id=r["doc_id"],
        kind=r["kind"],
        lat=r["lat"],
        lon=r["lon"],
        published_at=r["published_at"],
        extra=loads(r["extra"], {}),
        **values,
    )


# ---------------------------------------------------------------- the plan of a query


@dataclass
class Plan:
    """The query's terms as the in-process index found them (search/sql/plan.py)."""

    terms: list[QueryTerm]
    specs: list[TermSpec]
    levels: list[Any]  # numpy int8 arrays: each term's level per slot
    corrections: dict[str, list[str]]
    ignored: list[str]
    impossible: bool = False  # some words given, none found anywhere


class Params:
    """Named bind parameters p0, p1, …"""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def __call__(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f":{name}"

    def many(self, values: Iterable[Any]) -> str:
        return ", ".join(self(v) for v in values)


def loads(value: Any, default: Any) -> Any:
    if value is None:
        return default
    if isinstance(value, (str, bytes)):
        return json.loads(value)
    return value


def first_words(body: str, words: int = SNIPPET_WORDS) -> str:
    parts = (body or "").split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


# ---------------------------------------------------------------- what each database does its own way


class Dialect(ABC):
    """The SQL of one database. Stateless: one instance per backend. What a
    document means (its lexemes, search/analysis.py) is computed in Python, the
    same for both."""

    name: str

    @abstractmethod
    def schema(self) -> list[str]:
        """The DDL, every statement idempotent."""

    @abstractmethod
    def drop(self) -> list[str]:
        """The reverse of schema()."""

    @abstractmethod
    def write_documents(self, conn: Connection, docs: Sequence[Document], build: int = 0) -> dict[str, int]:
        """Insert or replace the rows of `docs` in search_doc (in `build`, search/sql/builds.py) and
        search_doc_skill; their pks by uid."""

    @abstractmethod
    def lexeme_ids(self, conn: Connection, terms: list[str]) -> dict[str, int]:
        """The ids of these lexemes in search_lexeme (numbering the new ones)."""

    @abstractmethod
    def delete(self, conn: Connection, uids: list[str], gen: int | None, build: int = 0) -> None:
        """Delete the rows of `uids` in `build`; log them under `gen` (None: not logged)."""

    @abstractmethod
    def clear(self, conn: Connection, kind: str) -> None:
        """Delete every row of `kind`, in every build."""

    @abstractmethod
    def optimize(self, conn: Connection) -> None: ...

    @abstractmethod
    def probe_health(self, conn: Connection) -> None:
        """Raise when the index cannot be read."""


def index_batch(dialect: Dialect, conn: Connection, docs: Sequence[Document], gen: int | None, build: int = 0) -> None:
    """Insert or replace `docs` in `build` (search/sql/builds.py): their rows, skills and packed
    lexemes; log them under `gen` (None: not logged)."""
    analysed = [document_lexemes(d.title, d.keywords, d.body) for d in docs]
    pks = dialect.write_documents(conn, docs, build)
    ids = dialect.lexeme_ids(conn, sorted(set[str]().union(*(a[0] for a in analysed))))
    lex_rows = [
        {
            "pk": pks[d.uid],
            "lex": pack_lexemes(
                (ids[t] for t in every), title={ids[t] for t in title}, keywords={ids[t] for t in keywords}
            ),
        }
        for d, (every, title, keywords) in zip(docs, analysed, strict=True)
    ]
    conn.execute(
        text(
            "INSERT INTO search_doc_lex (pk, lex) VALUES (:pk, :lex) ON CONFLICT (pk) DO UPDATE SET lex = excluded.lex"
        ),
        lex_rows,
    )
    if gen is not None:
        conn.execute(
            text("INSERT INTO search_change (gen, pk) VALUES (:g, :pk) ON CONFLICT DO NOTHING"),
            [{"g": gen, "pk": pk} for pk in pks.values()],
        )
