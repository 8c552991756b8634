"""The search contract: plain dataclasses in and out, one abstract
`SearchBackend`, the errors, and the opaque cursor.

Kinds: "offer", "provider", "resource" are public; "need" is private (hub
staff only) and lives apart (its own index or rows never mixed with the
public kinds in one query). A `SearchQuery` that names "need" without
`include_private=True` cannot be built, and every backend checks again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from typing import Any, Literal

PUBLIC_KINDS: tuple[str, ...] = ("offer", "provider", "resource")
PRIVATE_KINDS: tuple[str, ...] = ("need",)
KINDS: tuple[str, ...] = PUBLIC_KINDS + PRIVATE_KINDS

# ---------------------------------------------------------------- the fields
#
# Every field of a Document that search uses, declared once. The SQL tables and
# columns (search/sql/), the in-process engine's columns (search/memory.py), the
# Meilisearch settings and payload (search/meili.py), the filters and facets a
# query accepts, and the app's facet list are derived from FIELDS. Adding a field:
# one attribute on Document below, one declaration here (and, for an existing
# database, a migration that adds its column; `flask hub reindex` fills it).

FieldKind = Literal["text", "facet", "geo", "date"]


@dataclass(frozen=True)
class Field:
    """One field of a Document as search sees it.

    - "text": searched; `weight` is its PostgreSQL tsvector weight ("A" title,
      "B" keywords, "D" body: the score reads A and B; the three text fields and
      their roles in the score are fixed, see search/sql/__init__.py).
    - "facet": filter and facet value (a string, or a list when `multi`: a
      document matches when it has any of the requested values, and counts once
      under each). `public`: offered as a facet on the public search pages.
    - "geo": the coordinates (lat, lon), for the radius filter and the distance sort.
    - "date": the publication date, for the date sort.
    `kinds`: the document kinds that fill it (the others leave it empty)."""

    name: str
    kind: FieldKind
    kinds: tuple[str, ...] = ()
    weight: str = ""
    multi: bool = False
    public: bool = False


FIELDS: tuple[Field, ...] = (
    Field("title", "text", weight="A", kinds=("offer", "provider", "resource", "need")),
    Field("keywords", "text", weight="B", kinds=("offer", "provider", "resource", "need")),
    Field("body", "text", weight="D", kinds=("offer", "provider", "resource", "need")),
    Field("dep_code", "facet", public=True, kinds=("offer", "provider", "need")),
    Field("commune_insee", "facet", kinds=("offer", "provider", "need")),
    Field("category", "facet", public=True, kinds=("offer", "need")),
    Field("skills", "facet", multi=True, public=True, kinds=("offer", "provider", "need")),
    Field("modality", "facet", public=True, kinds=("offer", "need")),
    Field("price_mode", "facet", public=True, kinds=("offer", "need")),
    # the ethical charter's label level ("1" to "5"; an offer without its own label has its provider's)
    Field("charter_level", "facet", public=True, kinds=("offer", "provider", "resource")),
    Field("lat", "geo", kinds=("offer", "provider", "need")),
    Field("lon", "geo", kinds=("offer", "provider", "need")),
    Field("published_at", "date", kinds=("offer", "provider", "resource", "need")),
)

#: The searched text fields, heaviest first.
TEXT_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind == "text")
#: Fields a query can filter on (value or list of values: any of them).
FILTER_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind == "facet")
#: Single-valued filter fields: one column each (the SQL tables, the in-process engine).
SCALAR_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind == "facet" and not f.multi)
#: Multi-valued filter fields (each value in its own row; the SQL backend keeps "skills" in search_doc_skill).
MULTI_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind == "facet" and f.multi)
#: Fields a query can count (facets): the filter fields and the document's kind.
FACET_FIELDS: tuple[str, ...] = (*FILTER_FIELDS, "kind")
#: Facets the public search pages ask for.
PUBLIC_FACET_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind == "facet" and f.public)
SORTS: tuple[str, ...] = ("relevance", "distance", "date")
MAX_LIMIT = 100

Sort = Literal["relevance", "distance", "date"]


class SearchError(Exception):
    """Base of the errors of this package."""


class BackendUnavailable(SearchError):
    """The engine cannot be reached (connection refused, timeout, 5xx)."""


class InvalidCursor(SearchError, ValueError):
    """The cursor is malformed or belongs to another query."""


class PrivateKindError(SearchError, PermissionError):
    """Needs were asked for without include_private=True."""


def _to_str_list(values: Any) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        return [values]
    return [str(v) for v in values]


def _to_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class Document:
    """One thing to find. `id` is the app's primary key (kept as a string);
    (kind, id) is unique. `title` weighs most, then `keywords` (provider
    name, commune, labels of category and skills…), then `body`. `extra` is
    returned untouched with each hit, for display (never searched)."""

    id: str
    kind: str
    title: str
    body: str = ""
    keywords: str = ""
    dep_code: str | None = None
    commune_insee: str | None = None
    category: str | None = None
    skills: list[str] = field(default_factory=list)
    modality: str | None = None
    price_mode: str | None = None
    charter_level: str | None = None
    lat: float | None = None
    lon: float | None = None
    published_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.id = str(self.id)
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}; expected one of {KINDS}")
        self.title = self.title or ""
        self.body = self.body or ""
        self.keywords = self.keywords or ""
        self.skills = sorted(set(_to_str_list(self.skills)))
        self.published_at = _to_datetime(self.published_at)
        self.extra = dict(self.extra or {})
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        if self.lat is not None and self.lon is not None:
            self.lat, self.lon = float(self.lat), float(self.lon)
            if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
                raise ValueError(f"coordinates out of range: {self.lat}, {self.lon}")

    @property
    def uid(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def pub_ts(self) -> float:
        return self.published_at.timestamp() if self.published_at else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (for journals, queues)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["skills"] = list(self.skills)
        out["published_at"] = self.published_at.isoformat() if self.published_at else None
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        return cls(**data)


_ATTRIBUTES = {f.name for f in fields(Document)}
for _declared in FIELDS:  # a declared field is an attribute of Document
    if _declared.name not in _ATTRIBUTES:  # pragma: no cover - caught when a field is added
        raise TypeError(f"search field {_declared.name!r} is not an attribute of Document")
if MULTI_FIELDS != ("skills",):  # pragma: no cover - the SQL backend has one multi-valued table
    raise TypeError("the SQL backend stores one multi-valued field, skills (search_doc_skill)")


@dataclass
class SearchQuery:
    """What to look for.

    - `text`: the user's words, free form (accents, case, typos welcome).
      Empty: everything that passes the filters.
    - `kind`: one kind or several public ones; None: every public kind.
      "need" only alone and only with `include_private=True` (hub staff).
    - `filters`: {field: value or [values]} over FILTER_FIELDS; values of one
      field are OR'ed, fields are AND'ed.
    - `facets`: FACET_FIELDS to count over the whole filtered result set.
    - `near=(lat, lon)` with optional `radius_km`: keep documents within the
      radius (documents without coordinates are then left out) and report
      `distance_km` on hits.
    - `sort`: "relevance" (the date when there is no text), "distance"
      (needs `near`; documents without coordinates last) or "date" (newest).
    - `limit` (1..100) and `cursor` (from the previous page's next_cursor).
    - `match_any`: documents with at least one of the words (default: all of
      them); those with more of the words score higher.
    - `widen_below`: on a first page sorted by relevance, when fewer than this
      many documents have every word, answer as with `match_any` ("site web
      asso" still finds websites); the result says so (`widened`) and how many
      had every word (`exact_total`). One call, one plan, one page fetched.
    """

    text: str = ""
    kind: str | Sequence[str] | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    facets: Sequence[str] = ()
    near: tuple[float, float] | None = None
    radius_km: float | None = None
    sort: Sort = "relevance"
    limit: int = 20
    cursor: str | None = None
    include_private: bool = False
    highlight: bool = True
    match_any: bool = False
    widen_below: int = 0

    def __post_init__(self) -> None:
        self.text = (self.text or "").strip()
        _ = self.kinds  # validates
        clean: dict[str, list[str]] = {}
        for key, value in (self.filters or {}).items():
            if key not in FILTER_FIELDS:
                raise ValueError(f"unknown filter {key!r}; expected one of {FILTER_FIELDS}")
            values = _to_str_list(value)
            if values:
                clean[key] = sorted(set(values))
        self.filters = clean
        self.facets = tuple(dict.fromkeys(self.facets or ()))
        for facet in self.facets:
            if facet not in FACET_FIELDS:
                raise ValueError(f"unknown facet {facet!r}; expected one of {FACET_FIELDS}")
        if self.sort not in SORTS:
            raise ValueError(f"unknown sort {self.sort!r}; expected one of {SORTS}")
        if self.near is not None:
            lat, lon = (float(v) for v in self.near)
            if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat) or math.isnan(lon):
                raise ValueError(f"near out of range: {self.near}")
            self.near = (lat, lon)
        if self.radius_km is not None:
            if self.near is None:
                raise ValueError("radius_km needs near=(lat, lon)")
            self.radius_km = float(self.radius_km)
            if not (0 < self.radius_km <= 20000):
                raise ValueError("radius_km must be in (0, 20000]")
        if self.sort == "distance" and self.near is None:
            raise ValueError('sort="distance" needs near=(lat, lon)')
        self.limit = int(self.limit)
        if not (1 <= self.limit <= MAX_LIMIT):
            raise ValueError(f"limit must be in 1..{MAX_LIMIT}")

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds searched, checked against the privacy rule."""
        if self.kind is None:
            return PUBLIC_KINDS
        kinds = (self.kind,) if isinstance(self.kind, str) else tuple(dict.fromkeys(self.kind))
        if not kinds:
            return PUBLIC_KINDS
        for k in kinds:
            if k not in KINDS:
                raise ValueError(f"unknown kind {k!r}; expected one of {KINDS}")
        if any(k in PRIVATE_KINDS for k in kinds):
            if not self.include_private:
                raise PrivateKindError("needs are searched only with include_private=True (hub staff)")
            if len(kinds) > 1:
                raise ValueError("needs are searched alone, never mixed with public kinds")
        return kinds

    @property
    def private(self) -> bool:
        return self.kinds == PRIVATE_KINDS

    @property
    def effective_sort(self) -> str:
        if self.sort == "relevance" and not self.text:
            return "date"
        return self.sort

    def fingerprint(self) -> str:
        """Identifies everything but the cursor and limit: a cursor is valid
        only for the query that produced it."""
        payload = json.dumps(
            [self.text, list(self.kinds), self.filters, self.near, self.radius_km, self.effective_sort]
            + ([True] if self.match_any else []),
            sort_keys=True,
            default=str,
        )
        return hashlib.sha1(payload.encode()).hexdigest()[:12]


@dataclass
class Hit:
    id: str
    kind: str
    title: str
    score: float
    highlight: dict[str, str] = field(default_factory=dict)  # {"title": html, "body": html snippet}
    distance_km: float | None = None
    published_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SearchResult:
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    next_cursor: str | None
    total: int
    backend: str
    degraded: bool = False  # served by the fallback because the primary engine is down
    corrections: dict[str, list[str]] = field(default_factory=dict)  # typed term -> terms searched instead
    ignored_terms: list[str] = field(default_factory=list)  # terms found nowhere, left out
    exact_total: int | None = None  # documents with every word (differs from total when widened)
    widened: bool = False  # answered with some of the words (SearchQuery.widen_below)


def should_widen(query: SearchQuery, exact_total: int) -> bool:
    return (
        bool(query.widen_below)
        and not query.match_any
        and not query.cursor
        and bool(query.text)
        and query.effective_sort == "relevance"
        and exact_total < query.widen_below
    )


def widened_query(query: SearchQuery) -> SearchQuery:
    return replace(query, match_any=True, widen_below=0)


def search_widening(run: Callable[[SearchQuery], SearchResult], query: SearchQuery) -> SearchResult:
    """`SearchQuery.widen_below` for a backend that answers one query per call: a second call."""
    result = run(query)
    exact_total = result.total
    if should_widen(query, exact_total):
        result = run(widened_query(query))
        result.widened = True
    result.exact_total = exact_total
    return result


@dataclass
class Health:
    ok: bool
    backend: str
    detail: str = ""
    documents: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------- cursor


def encode_cursor(query: SearchQuery, position: list[Any]) -> str:
    raw = json.dumps([1, query.fingerprint(), position], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(query: SearchQuery) -> list[Any] | None:
    """The position stored in `query.cursor` (None for the first page)."""
    if not query.cursor:
        return None
    try:
        padded = query.cursor + "=" * (-len(query.cursor) % 4)
        version, fingerprint, position = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError) as exc:
        raise InvalidCursor("malformed cursor") from exc
    if version != 1 or not isinstance(position, list):
        raise InvalidCursor("unknown cursor version")
    if fingerprint != query.fingerprint():
        raise InvalidCursor("the cursor belongs to another query")
    return position


# ---------------------------------------------------------------- interface


class SearchBackend(ABC):
    """What the app talks to. Every method is safe to call repeatedly."""

    name: str = "abstract"
    # True when cursors are exact keysets (no duplicate, no gap while the
    # index changes); False for offset-based cursors (Meilisearch).
    stable_cursor: bool = True

    @abstractmethod
    def setup(self) -> None:
        """Create tables, indexes, settings; idempotent."""

    @abstractmethod
    def index(self, kind: str, documents: Iterable[Document]) -> int:
        """Insert or replace documents of `kind`; returns how many."""

    @abstractmethod
    def delete(self, kind: str, ids: Iterable[Any]) -> None:
        """Remove documents of `kind` by id (unknown ids are ignored)."""

    @abstractmethod
    def search(self, query: SearchQuery) -> SearchResult: ...

    @abstractmethod
    def health(self) -> Health: ...

    @abstractmethod
    def clear(self, kind: str) -> None:
        """Remove every document of `kind`."""

    def get(self, kind: str, ids: Iterable[Any]) -> list[Document]:
        """The stored documents (those that exist), when the backend keeps them."""
        raise NotImplementedError

    def rebuild(
        self, kind: str, batches: Iterable[Sequence[Document]], progress: Callable[[int], None] | None = None
    ) -> int:
        """Replace every document of `kind` by those of `batches`; calls
        progress(count so far) after each batch. Default: clear, then index."""
        self.clear(kind)
        done = 0
        for batch in batches:
            done += self.index(kind, batch)
            if progress:
                progress(done)
        return done


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    return kind


def check_documents(kind: str, documents: Iterable[Document]) -> list[Document]:
    check_kind(kind)
    docs = list(documents)
    for doc in docs:
        if doc.kind != kind:
            raise ValueError(f"document {doc.uid} indexed as {kind!r}")
    # Last one wins within a batch.
    return list({doc.id: doc for doc in docs}.values())
