"""What the SQL backend's modules share: limits, the query plan, named bind
parameters, the columns of `search_doc` (derived from search.base.FIELDS), and
`Dialect`, the interface each database implements (search/sql/sqlite.py,
search/sql/postgresql.py)."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from ..base import MULTI_FIELDS, SCALAR_FIELDS, TEXT_FIELDS, Document
from ..memory import MemoryIndex, TermSpec

PREFIX_MIN = 3  # terms of at least 3 letters also match as prefixes
TERM_MAX_LEN = 40  # longer tokens are not added to the vocabulary
MAX_CORRECTIONS = 3  # typo: at most this many replacement terms
NO_DISTANCE = 1.0e9  # sort value of documents without coordinates
SNIPPET_WORDS = 24
TOP = "\U0010ffff"

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


def row_of(doc: Document, title_ntok: int) -> dict[str, Any]:
    """One search_doc row (without the dialect's own columns)."""
    row: dict[str, Any] = {"uid": doc.uid, "kind": doc.kind, "doc_id": doc.id}
    for name in TEXT_FIELDS + SCALAR_FIELDS + MULTI_FIELDS:
        row[name] = getattr(doc, name)
    row.update(
        lat=doc.lat,
        lon=doc.lon,
        pub_ts=doc.pub_ts,
        published_at=doc.published_at.isoformat() if doc.published_at else None,
        extra=doc.extra,
        title_ntok=title_ntok,
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
class Term:
    term: str
    prefix: bool = False  # match words starting with term
    exact: list[str] = field(default_factory=list)  # match these whole words
    stem: str | None = None  # PostgreSQL: french stem, for highlighting
    lexemes: dict[str, list[str]] | None = None  # PostgreSQL: hub_fr lexemes of each exact word, when known


@dataclass
class Plan:
    terms: list[Term]
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
    """The SQL of one database. Stateless: one instance per backend."""

    name: str
    #: the table numbering the lexemes of search_doc_lex (the in-process engine's vocabulary)
    vocabulary_table: str
    #: SQL's smaller-of-two function
    least: str

    @abstractmethod
    def schema(self) -> list[str]:
        """The DDL, every statement idempotent."""

    @abstractmethod
    def drop(self) -> list[str]:
        """The reverse of schema()."""

    @abstractmethod
    def index_batch(self, conn: Connection, docs: Sequence[Document], gen: int | None, build: int = 0) -> None:
        """Insert or replace `docs` (and their skills, terms, lexemes) in `build`
        (search/sql/builds.py); log them under `gen` (None: not logged)."""

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
        """Raise when the full-text index cannot be read."""

    @abstractmethod
    def probe_columns(self, lo: str) -> tuple[str, str]:
        """SQL of (stem, lexemes) of the query word bound as `lo`, for the plan ("NULL" when unused)."""

    @abstractmethod
    def term(self, word: str, stem: str | None, lexemes: list[str] | None) -> Term:
        """The plan's term for a word found in the vocabulary."""

    @abstractmethod
    def corrections(self, conn: Connection, word: str, lo: int, hi: int) -> list[str]:
        """Candidate vocabulary terms for a misspelt word, of length lo..hi."""

    @abstractmethod
    def text_match(self, p: Params, plan: Plan, any_word: bool) -> tuple[str, str]:
        """(FROM clause, WHERE condition) of the documents matching the plan (SQL path)."""

    @abstractmethod
    def score_sql(self, p: Params, plan: Plan) -> str:
        """The score of a matching document (SQL path); search/memory.py computes the same."""

    @abstractmethod
    def display_sql(self, p: Params, plan: Plan, highlight: bool, cols: str, pks: list[int]) -> str:
        """The statement that reads the page's documents for display."""

    @abstractmethod
    def highlight(self, row: RowMapping, plan: Plan) -> dict[str, str]:
        """{"title": html, "body": html snippet} of a row read by display_sql(highlight=True)."""

    @abstractmethod
    def term_specs(self, conn: Connection, index: MemoryIndex, plan: Plan) -> list[TermSpec]:
        """The plan's words as lexeme ids of the in-process engine."""
