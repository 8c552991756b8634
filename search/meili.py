"""The Meilisearch backend, with the official `meilisearch` client.

Two indexes: `{prefix}public` (offers, providers, resources; filtered by
`kind`) and `{prefix}need` (needs, hub staff only), primary key `key`
("offer-12"). Every write waits for its task (`wait_for_task`) and fails
loudly when the task fails.

Cursor: Meilisearch has no keyset pagination, so the cursor holds an offset
over a stable sort (relevance, then `key`; or date/distance, then `key`).
Limitation: a document added or removed ahead of the cursor between two page
requests shifts the offset, so one document may repeat or be skipped —
`stable_cursor` is False and the contract test of a changing index is
skipped for this backend. Pages are capped by `pagination.maxTotalHits`
(10,000).

Unreachable server: every call raises `BackendUnavailable` (wrapping
MeilisearchCommunicationError / timeouts / 5xx) and `health()` returns
ok=False, which `search.fallback.FallbackBackend` turns into a fallback to
the SQL backend.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import meilisearch
import requests
from meilisearch.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchError,
    MeilisearchTimeoutError,
)

from .base import (
    FILTER_FIELDS,
    MULTI_FIELDS,
    PRIVATE_KINDS,
    TEXT_FIELDS,
    BackendUnavailable,
    Document,
    Health,
    Hit,
    InvalidCursor,
    SearchBackend,
    SearchError,
    SearchQuery,
    SearchResult,
    check_documents,
    check_kind,
    decode_cursor,
    encode_cursor,
    search_widening,
)
from .text import FRENCH_STOP_WORDS, MARK_END, MARK_START, fold, haversine_km, marked_html, plain_html

T = TypeVar("T")

FILTERABLE = ["key", "kind", *FILTER_FIELDS, "_geo", "pub_ts"]
SORTABLE = ["pub_ts", "_geo", "key"]
SNIPPET_WORDS = 24
#: Meilisearch looks up the synonyms of 1- to 3-word terms only: a longer phrase is sent as an
#: equivalent of the others (found from them), never as a key (it would never be looked up).
MEILI_SYNONYM_KEY_WORDS = 3


def meili_synonyms(groups: Iterable[Sequence[str]]) -> dict[str, list[str]]:
    """Meilisearch's `synonyms` setting from groups of equivalent phrases: every phrase of a group is
    a key whose synonyms are the other phrases of every group it is in (mutual, not transitive).
    Phrases are lowercased with single spaces; keys sorted, synonyms in the order of the groups."""
    spelling: dict[str, str] = {}
    equivalents: dict[str, list[str]] = {}
    for group in groups:
        ids = []
        for raw in group:
            phrase = " ".join(str(raw).lower().split())
            if phrase:
                ident = fold(phrase)  # Meilisearch ignores case and accents in synonyms: one key
                spelling.setdefault(ident, phrase)
                if ident not in ids:
                    ids.append(ident)
        for ident in ids:
            listed = equivalents.setdefault(ident, [])
            listed.extend(other for other in ids if other != ident and other not in listed)
    return {
        spelling[ident]: [spelling[o] for o in others]
        for ident, others in sorted(equivalents.items(), key=lambda kv: spelling[kv[0]])
        if others and len(spelling[ident].split()) <= MEILI_SYNONYM_KEY_WORDS
    }


def index_settings(synonyms: Iterable[Sequence[str]] = ()) -> dict[str, Any]:
    """The settings applied to both indexes by setup() (`synonyms`: groups of equivalent phrases)."""
    return {
        "searchableAttributes": list(TEXT_FIELDS),
        "filterableAttributes": FILTERABLE,
        "sortableAttributes": SORTABLE,
        "displayedAttributes": ["*"],
        # "sort" right after "words": with sort=date/distance (matchingStrategy
        # "all") every hit matches every word, so the requested order wins.
        "rankingRules": ["words", "sort", "typo", "proximity", "attribute", "exactness"],
        "typoTolerance": {"enabled": True, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9}},
        "stopWords": sorted(FRENCH_STOP_WORDS),
        "pagination": {"maxTotalHits": 10000},
        "faceting": {"maxValuesPerFacet": 300},
        "localizedAttributes": [{"attributePatterns": list(TEXT_FIELDS), "locales": ["fra"]}],
        "synonyms": meili_synonyms(synonyms),
    }


_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,400}")


def meili_key(kind: str, doc_id: str) -> str:
    """Meilisearch ids allow [A-Za-z0-9_-] only: other ids are hex-encoded."""
    safe = doc_id if _SAFE_ID.fullmatch(doc_id) else "x" + doc_id.encode().hex()
    return f"{kind}-{safe}"


def _quote(value: str) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def meili_filters(query: SearchQuery) -> list[str]:
    """The filter expressions (AND'ed) for a query."""
    out = []
    if not query.private:
        out.append(f"kind IN [{', '.join(_quote(k) for k in query.kinds)}]")
    for name, values in query.filters.items():
        out.append(f"{name} IN [{', '.join(_quote(v) for v in values)}]")
    if query.near and query.radius_km:
        lat, lon = query.near
        out.append(f"_geoRadius({lat!r}, {lon!r}, {round(query.radius_km * 1000)})")
    return out


def meili_sort(query: SearchQuery) -> list[str] | None:
    sort = query.effective_sort
    if sort == "date":
        return ["pub_ts:desc", "key:asc"]
    if sort == "distance" and query.near is not None:  # (a distance sort always has near)
        lat, lon = query.near
        return [f"_geoPoint({lat!r}, {lon!r}):asc", "key:asc"]
    return None


def to_meili(doc: Document) -> dict[str, Any]:
    body: dict[str, Any] = {"key": meili_key(doc.kind, doc.id), "id": doc.id, "kind": doc.kind}
    body.update({name: getattr(doc, name) for name in TEXT_FIELDS + FILTER_FIELDS})
    body.update({name: list(getattr(doc, name)) for name in MULTI_FIELDS})
    body.update(
        pub_ts=doc.pub_ts,
        published_at=doc.published_at.isoformat() if doc.published_at else None,
        extra=doc.extra,
    )
    if doc.lat is not None:
        body["_geo"] = {"lat": doc.lat, "lng": doc.lon}
    return body


class MeiliBackend(SearchBackend):
    stable_cursor = False

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        prefix: str = "hub_",
        timeout: float = 2.0,
        task_timeout_ms: int = 60_000,
        client: Any = None,
        synonyms: Sequence[Sequence[str]] = (),
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.synonyms = tuple(tuple(g) for g in synonyms)
        self.name = "meilisearch"
        self.task_timeout_ms = task_timeout_ms
        self.client = client or meilisearch.Client(url, api_key, timeout=max(1, round(timeout)))

    # -------------------------------------------------------- plumbing

    def index_uid(self, kind: str) -> str:
        return f"{self.prefix}{'need' if kind in PRIVATE_KINDS else 'public'}"

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except (MeilisearchCommunicationError, MeilisearchTimeoutError, requests.exceptions.RequestException) as exc:
            raise BackendUnavailable(f"Meilisearch unreachable at {self.url}: {exc}") from exc
        except MeilisearchApiError as exc:
            if getattr(exc, "status_code", 0) >= 500:
                raise BackendUnavailable(f"Meilisearch error {exc.status_code}: {exc}") from exc
            raise SearchError(str(exc)) from exc
        except MeilisearchError as exc:
            raise SearchError(str(exc)) from exc

    def _wait(self, task_info: Any) -> None:
        task = self._call(lambda: self.client.wait_for_task(task_info.task_uid, timeout_in_ms=self.task_timeout_ms))
        if task.status != "succeeded":
            raise SearchError(f"Meilisearch task {task.uid} {task.status}: {task.error}")

    # -------------------------------------------------------- interface

    def setup(self) -> None:
        for uid in (self.index_uid("offer"), self.index_uid("need")):
            info = self._call(partial(self.client.create_index, uid, {"primaryKey": "key"}))
            task = self._call(partial(self.client.wait_for_task, info.task_uid, timeout_in_ms=self.task_timeout_ms))
            if task.status != "succeeded" and (task.error or {}).get("code") != "index_already_exists":
                raise SearchError(f"cannot create Meilisearch index {uid}: {task.error}")
            index = self.client.index(uid)
            self._wait(self._call(partial(index.update_settings, index_settings(self.synonyms))))

    def update_synonyms(self, synonyms: Sequence[Sequence[str]]) -> None:
        """Replace the `synonyms` setting of both indexes (the table changed); the other settings stay."""
        self.synonyms = tuple(tuple(g) for g in synonyms)
        payload = meili_synonyms(self.synonyms)
        for uid in (self.index_uid("offer"), self.index_uid("need")):
            index = self.client.index(uid)
            self._wait(self._call(partial(index.update_synonyms, payload)))

    def index(self, kind: str, documents: Iterable[Document]) -> int:
        docs = check_documents(kind, documents)
        if not docs:
            return 0
        index = self.client.index(self.index_uid(kind))
        payload = [to_meili(d) for d in docs]
        self._wait(self._call(lambda: index.add_documents(payload, primary_key="key")))
        return len(docs)

    def delete(self, kind: str, ids: Iterable[Any]) -> None:
        check_kind(kind)
        keys = sorted({meili_key(kind, str(i)) for i in ids})
        if not keys:
            return
        index = self.client.index(self.index_uid(kind))
        expr = f"key IN [{', '.join(_quote(k) for k in keys)}]"
        self._wait(self._call(lambda: index.delete_documents(filter=expr)))

    def clear(self, kind: str) -> None:
        check_kind(kind)
        index = self.client.index(self.index_uid(kind))
        self._wait(self._call(lambda: index.delete_documents(filter=f"kind = {_quote(kind)}")))

    def health(self) -> Health:
        try:
            status = self._call(self.client.health)
            counts: dict[str, int] = {}
            for kind_index in ("offer", "need"):
                try:
                    stats = self._call(self.client.index(self.index_uid(kind_index)).get_stats)
                    counts[self.index_uid(kind_index)] = int(getattr(stats, "number_of_documents", 0) or 0)
                except SearchError:
                    pass
        except SearchError as exc:
            return Health(ok=False, backend=self.name, detail=str(exc))
        ok = (status or {}).get("status") == "available"
        return Health(ok=ok, backend=self.name, detail=str((status or {}).get("status")), documents=counts)

    def search(self, query: SearchQuery) -> SearchResult:
        return search_widening(self._search_once, query)

    def _search_once(self, query: SearchQuery) -> SearchResult:
        _ = query.kinds  # privacy rule
        position = decode_cursor(query)
        offset = 0
        if position is not None:
            if len(position) != 1 or not isinstance(position[0], int) or position[0] < 0:
                raise InvalidCursor("malformed cursor position")
            offset = position[0]
        params: dict[str, Any] = {
            "limit": query.limit + 1,
            "offset": offset,
            "filter": meili_filters(query),
            "showRankingScore": True,
            "matchingStrategy": "last" if query.effective_sort == "relevance" or query.match_any else "all",
        }
        sort = meili_sort(query)
        if sort:
            params["sort"] = sort
        if query.facets:
            params["facets"] = list(query.facets)
        if query.highlight and query.text:
            params.update(
                {
                    "attributesToHighlight": ["title", "body"],
                    "attributesToCrop": ["body"],
                    "cropLength": SNIPPET_WORDS,
                    "cropMarker": "…",
                    "highlightPreTag": MARK_START,
                    "highlightPostTag": MARK_END,
                }
            )
        index = self.client.index(self.index_uid(query.kinds[0]))
        raw = self._call(lambda: index.search(query.text, params))
        rows = raw.get("hits", [])
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        hits = []
        for r in rows:
            formatted = r.get("_formatted") or {}
            if query.highlight and query.text and formatted:
                highlight = {"title": marked_html(formatted.get("title")), "body": marked_html(formatted.get("body"))}
            else:
                words = (r.get("body") or "").split()
                highlight = {
                    "title": plain_html(r.get("title")),
                    "body": plain_html(" ".join(words[:SNIPPET_WORDS]) + (" …" if len(words) > SNIPPET_WORDS else "")),
                }
            distance = None
            if query.near and r.get("_geo"):
                if r.get("_geoDistance") is not None:
                    distance = float(r["_geoDistance"]) / 1000.0
                else:
                    distance = haversine_km(query.near[0], query.near[1], r["_geo"]["lat"], r["_geo"]["lng"])
            published = r.get("published_at")
            hits.append(
                Hit(
                    id=str(r.get("id")),
                    kind=r.get("kind"),
                    title=r.get("title") or "",
                    score=float(r.get("_rankingScore") or 0.0),
                    highlight=highlight,
                    distance_km=distance,
                    published_at=datetime.fromisoformat(published) if published else None,
                    extra=r.get("extra") or {},
                )
            )
        facets = {
            f: dict(
                sorted(
                    ((str(v), int(n)) for v, n in (raw.get("facetDistribution") or {}).get(f, {}).items()),
                    key=lambda kv: (-kv[1], kv[0]),
                )
            )
            for f in query.facets
        }
        total = int(raw.get("estimatedTotalHits", raw.get("totalHits", len(rows))) or 0)
        next_cursor = encode_cursor(query, [offset + len(rows)]) if more and rows else None
        return SearchResult(hits=hits, facets=facets, next_cursor=next_cursor, total=total, backend=self.name)
