"""A primary engine (Meilisearch) with the SQL backend behind it.

`FallbackBackend(primary, fallback, journal)`:

- writes always go to the fallback (the SQL backend is kept complete: it is
  what pages fall back to, and where missed updates are replayed from), then
  to the primary; when the primary is down the (kind, id) pairs are written
  to the replay journal instead;
- searches go to the primary; when it is down (BackendUnavailable) they are
  served by the fallback with `SearchResult.degraded = True` (so staff can be
  told), and the primary is probed again after `retry_after` seconds;
- when a probe finds the primary back, the journal is replayed: for each
  journalled (kind, id), the current document is read from the fallback and
  indexed into the primary, or deleted from it when it no longer exists.
  Replay is idempotent and always sends the latest state. By default it runs
  inline in the call that noticed the recovery; pass `on_recovered` (e.g.
  enqueue a job that calls `backend.replay()`) to move it elsewhere.

The journal is an interface (`ReplayJournal`): `MemoryJournal` for one
process and tests, `SqlReplayJournal` on the `search_journal` table that
`sql_schema_statements` creates (shared by every process and worker).
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.engine import Connection, Engine

from .base import (
    BackendUnavailable,
    Document,
    Health,
    SearchBackend,
    SearchQuery,
    SearchResult,
    check_documents,
    check_kind,
)

CLEAR_MARKER = "*"  # doc_id of a journal entry meaning "clear the whole kind"


def _execute(statement: TextClause, params: dict[str, Any], conn: Connection) -> None:
    conn.execute(statement, params)


@dataclass(frozen=True)
class JournalEntry:
    seq: int
    kind: str
    doc_id: str


class ReplayJournal(ABC):
    """Updates the primary engine missed, oldest first."""

    @abstractmethod
    def record(self, kind: str, ids: Iterable[str]) -> None: ...

    @abstractmethod
    def pending(self, limit: int = 500) -> list[JournalEntry]:
        """The oldest entries, at most `limit`, in order."""

    @abstractmethod
    def acknowledge(self, seqs: Iterable[int]) -> None:
        """Forget these entries (replayed)."""

    @abstractmethod
    def count(self) -> int: ...


class MemoryJournal(ReplayJournal):
    def __init__(self) -> None:
        self._entries: dict[int, JournalEntry] = {}
        self._seq = 0
        self._lock = threading.Lock()

    def record(self, kind: str, ids: Iterable[str]) -> None:
        with self._lock:
            for doc_id in ids:
                self._seq += 1
                self._entries[self._seq] = JournalEntry(self._seq, kind, str(doc_id))

    def pending(self, limit: int = 500) -> list[JournalEntry]:
        with self._lock:
            return [self._entries[s] for s in sorted(self._entries)[:limit]]

    def acknowledge(self, seqs: Iterable[int]) -> None:
        with self._lock:
            for s in seqs:
                self._entries.pop(s, None)

    def count(self) -> int:
        return len(self._entries)


class SqlReplayJournal(ReplayJournal):
    """The journal in the `search_journal` table (created by
    sql_schema_statements / SqlBackend.setup)."""

    def __init__(self, bind: Engine | Connection) -> None:
        self.bind = bind

    def _run(self, fn: Callable[[Connection], Any]) -> Any:
        if isinstance(self.bind, Engine):
            with self.bind.begin() as conn:
                return fn(conn)
        if self.bind.in_transaction():
            with self.bind.begin_nested():
                return fn(self.bind)
        with self.bind.begin():
            return fn(self.bind)

    def record(self, kind: str, ids: Iterable[str]) -> None:
        now = time.time()
        rows = [{"k": kind, "i": str(i), "t": now} for i in ids]
        if rows:
            self._run(
                lambda c: c.execute(
                    text("INSERT INTO search_journal (kind, doc_id, recorded_at) VALUES (:k, :i, :t)"), rows
                )
            )

    def pending(self, limit: int = 500) -> list[JournalEntry]:
        rows = self._run(
            lambda c: c.execute(
                text("SELECT seq, kind, doc_id FROM search_journal ORDER BY seq LIMIT :n"), {"n": limit}
            ).all()
        )
        return [JournalEntry(int(s), k, d) for s, k, d in rows]

    def acknowledge(self, seqs: Iterable[int]) -> None:
        seqs = [int(s) for s in seqs]
        for start in range(0, len(seqs), 500):
            chunk = seqs[start : start + 500]
            marks = ", ".join(f":s{i}" for i in range(len(chunk)))
            statement = text(f"DELETE FROM search_journal WHERE seq IN ({marks})")
            self._run(partial(_execute, statement, {f"s{i}": s for i, s in enumerate(chunk)}))

    def count(self) -> int:
        return int(self._run(lambda c: c.execute(text("SELECT count(*) FROM search_journal")).scalar_one()))


class FallbackBackend(SearchBackend):
    """See the module docstring. `fallback` must implement get() (the SQL
    backend does)."""

    def __init__(
        self,
        primary: SearchBackend,
        fallback: SearchBackend,
        journal: ReplayJournal | None = None,
        *,
        retry_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        on_recovered: Callable[[FallbackBackend], None] | None = None,
        replay_batch: int = 500,
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self.journal = journal or MemoryJournal()
        self.retry_after = retry_after
        self.clock = clock
        self.on_recovered = on_recovered
        self.replay_batch = replay_batch
        self.name = primary.name
        self._down_since: float | None = None
        self._lock = threading.RLock()

    @property
    def stable_cursor(self) -> bool:  # type: ignore[override]
        return self.primary.stable_cursor and self.fallback.stable_cursor

    # -------------------------------------------------------- state

    @property
    def primary_down(self) -> bool:
        return self._down_since is not None

    def mark_down(self) -> None:
        with self._lock:
            if self._down_since is None:
                self._down_since = self.clock()

    def _primary_usable(self) -> bool:
        with self._lock:
            if self._down_since is None:
                return True
            if self.clock() - self._down_since < self.retry_after:
                return False
            if not self.primary.health().ok:
                self._down_since = self.clock()
                return False
            self._down_since = None
        if self.on_recovered:
            self.on_recovered(self)
        else:
            self.replay()
        return not self.primary_down

    def _to_primary(self, kind: str, ids: list[str], action: Callable[[], Any]) -> None:
        if self._primary_usable():
            try:
                action()
                return
            except BackendUnavailable:
                self.mark_down()
        self.journal.record(kind, ids)

    # -------------------------------------------------------- interface

    def setup(self) -> None:
        self.fallback.setup()
        try:
            self.primary.setup()
        except BackendUnavailable:
            self.mark_down()

    def index(self, kind: str, documents: Iterable[Document]) -> int:
        docs = check_documents(kind, documents)
        self.fallback.index(kind, docs)
        self._to_primary(kind, [d.id for d in docs], lambda: self.primary.index(kind, docs))
        return len(docs)

    def delete(self, kind: str, ids: Iterable[Any]) -> None:
        check_kind(kind)
        ids = [str(i) for i in ids]
        self.fallback.delete(kind, ids)
        self._to_primary(kind, ids, lambda: self.primary.delete(kind, ids))

    def clear(self, kind: str) -> None:
        check_kind(kind)
        self.fallback.clear(kind)
        self._to_primary(kind, [CLEAR_MARKER], lambda: self.primary.clear(kind))

    def rebuild(
        self, kind: str, batches: Iterable[Sequence[Document]], progress: Callable[[int], None] | None = None
    ) -> int:
        """Rebuild the fallback from `batches`, then copy it into the primary
        (or journal a full copy when the primary is down)."""
        done = self.fallback.rebuild(kind, batches, progress)
        copy = getattr(self.fallback, "iter_documents", None)
        if copy is None:  # pragma: no cover - the SQL backend has it
            raise TypeError("the fallback backend cannot list its documents")
        if self._primary_usable():
            try:
                self.primary.rebuild(kind, copy(kind))
                return done
            except BackendUnavailable:
                self.mark_down()
        self.journal.record(kind, [CLEAR_MARKER])
        for batch in copy(kind):
            self.journal.record(kind, [d.id for d in batch])
        return done

    def search(self, query: SearchQuery) -> SearchResult:
        _ = query.kinds  # privacy rule, before anything else
        if self._primary_usable():
            try:
                return self.primary.search(query)
            except BackendUnavailable:
                self.mark_down()
        result = self.fallback.search(query)
        result.degraded = True
        return result

    def health(self) -> Health:
        primary = self.primary.health()
        if primary.ok:
            pending = self.journal.count()
            detail = f"{primary.backend}: {primary.detail}" + (f"; {pending} updates to replay" if pending else "")
            return Health(ok=True, backend=self.name, detail=detail, documents=primary.documents)
        self.mark_down()
        fallback = self.fallback.health()
        return Health(
            ok=fallback.ok,
            backend=fallback.backend,
            detail=f"degraded: {primary.backend} down ({primary.detail}); serving {fallback.backend}",
            documents=fallback.documents,
        )

    def get(self, kind: str, ids: Iterable[Any]) -> list[Document]:
        return self.fallback.get(kind, ids)

    # -------------------------------------------------------- replay

    def replay(self, max_entries: int | None = None) -> int:
        """Send the journalled updates to the primary; returns how many entries
        were replayed. Stops (and marks the primary down) if it fails again."""
        replayed = 0
        while max_entries is None or replayed < max_entries:
            limit = self.replay_batch if max_entries is None else min(self.replay_batch, max_entries - replayed)
            entries = self.journal.pending(limit)
            if not entries:
                break
            try:
                self._replay_entries(entries)
            except BackendUnavailable:
                self.mark_down()
                break
            self.journal.acknowledge(e.seq for e in entries)
            replayed += len(entries)
        return replayed

    def _replay_entries(self, entries: list[JournalEntry]) -> None:
        run: list[JournalEntry] = []
        for entry in entries:
            if entry.doc_id == CLEAR_MARKER:
                self._replay_run(run)
                run = []
                self.primary.clear(entry.kind)
            else:
                run.append(entry)
        self._replay_run(run)

    def _replay_run(self, run: list[JournalEntry]) -> None:
        by_kind: dict[str, set[str]] = {}
        for entry in run:
            by_kind.setdefault(entry.kind, set()).add(entry.doc_id)
        for kind, ids in by_kind.items():
            docs = self.fallback.get(kind, ids)
            if docs:
                self.primary.index(kind, docs)
            gone = ids - {d.id for d in docs}
            if gone:
                self.primary.delete(kind, gone)
