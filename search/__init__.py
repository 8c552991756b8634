"""Search: one SearchBackend interface with a SQL full-text backend (the
embedded default) and a Meilisearch backend. Imports no Flask. (Issue 5.)

    from search import make_backend, Document, SearchQuery
    backend = make_backend(engine, meili_url=None)   # SqlBackend on the app's engine
    backend.setup()
    backend.index("offer", [Document(id=1, kind="offer", title="Créer un site web", ...)])
    result = backend.search(SearchQuery(text="site web asso", near=(43.2965, 5.3698), radius_km=30,
                                        facets=["category", "skills"]))

See search/README.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection, Engine

from .base import (
    FACET_FIELDS,
    FIELDS,
    FILTER_FIELDS,
    KINDS,
    PRIVATE_KINDS,
    PUBLIC_FACET_FIELDS,
    PUBLIC_KINDS,
    SORTS,
    BackendUnavailable,
    Document,
    Field,
    Health,
    Hit,
    InvalidCursor,
    PrivateKindError,
    SearchBackend,
    SearchError,
    SearchQuery,
    SearchResult,
)
from .fallback import FallbackBackend, JournalEntry, MemoryJournal, ReplayJournal, SqlReplayJournal
from .sql import SqlBackend, sql_drop_statements, sql_schema_statements

if TYPE_CHECKING:
    from .meili import MeiliBackend

__all__ = [
    "FACET_FIELDS",
    "FIELDS",
    "FILTER_FIELDS",
    "KINDS",
    "PRIVATE_KINDS",
    "PUBLIC_FACET_FIELDS",
    "PUBLIC_KINDS",
    "SORTS",
    "BackendUnavailable",
    "Document",
    "FallbackBackend",
    "Field",
    "Health",
    "Hit",
    "InvalidCursor",
    "JournalEntry",
    "MeiliBackend",
    "MemoryJournal",
    "PrivateKindError",
    "ReplayJournal",
    "SearchBackend",
    "SearchError",
    "SearchQuery",
    "SearchResult",
    "SqlBackend",
    "SqlReplayJournal",
    "make_backend",
    "sql_drop_statements",
    "sql_schema_statements",
]


def __getattr__(name: str) -> type[MeiliBackend]:
    if name == "MeiliBackend":
        return _meili_backend()
    raise AttributeError(name)


def _meili_backend() -> type[MeiliBackend]:
    # deferred: search.meili pulls in the meilisearch client and requests, which the
    # embedded default (SQL backend alone) never needs
    from .meili import MeiliBackend

    return MeiliBackend


def make_backend(
    engine: Engine | Connection,
    *,
    meili_url: str | None = None,
    meili_key: str | None = None,
    meili_prefix: str = "hub_",
    journal: ReplayJournal | None = None,
    retry_after: float = 30.0,
    on_recovered: Callable[[FallbackBackend], None] | None = None,
    synonyms: Sequence[Sequence[str]] = (),
) -> SearchBackend:
    """The backend the app should use: the SQL backend on `engine` alone
    (embedded default), or Meilisearch in front of it with a replay journal in
    the same database when `meili_url` is set.

    `synonyms`: groups of phrases (1 to 4 words each) that mean the same thing,
    given to both backends."""
    sql = SqlBackend(engine, synonyms=synonyms)
    if not meili_url:
        return sql
    return FallbackBackend(
        _meili_backend()(meili_url, meili_key, prefix=meili_prefix, synonyms=synonyms),
        sql,
        journal or SqlReplayJournal(engine),
        retry_after=retry_after,
        on_recovered=on_recovered,
    )
