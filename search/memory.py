"""The in-process query engine of the SQL backend.

The database stays the store and the source of truth; each process keeps, per
database, a columnar copy of what a query needs — filter columns as integer
codes, coordinates, dates, and an inverted index of lexeme ids — and answers
the query with numpy: match, filter, facet counts (`bincount`), distance,
top-k (`argpartition`) and the keyset cursor, in a few milliseconds over
100,000 documents where the SQL plans had to visit every matching row.

This module does no I/O: `search.sql.SqlBackend` (search/sql/inprocess.py) loads it (`load`), keeps it in
step with the database's change log (`apply`), and turns a `SearchQuery` into
`TermSpec`s (lexeme ids, resolved through the same vocabulary the SQL path
uses) before calling `search`. Results are the same as the SQL path's, to the
bit: same matching, same score function, same (key, uid) order (a test
compares both on random queries).

Per document, `lex` is the packed list of its lexemes: big-endian uint32
values `lexeme_id << 2 | fields`, where fields bit 0 = the lexeme is in the
title, bit 1 = in the keywords (every lexeme of title, keywords and body is
listed once).
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .base import SCALAR_FIELDS
from .text import EARTH_RADIUS_KM

IN_TITLE = 1
IN_KEYWORDS = 2
NO_DISTANCE = 1.0e9
SCALARS: tuple[str, ...] = ("kind", *SCALAR_FIELDS)  # one integer-coded column each
_TOP = "\U0010ffff"

# Score of one query term in one document, by level = 3 x field + kind of match:
# field 0 body, 1 keywords (skills, category, provider, commune…), 2 title; match
# 1 a word starting with it (prefix), 2 the same stem, 3 the word itself. Level 0:
# absent (scores nothing, in "some of the words").
LEVEL_SCORE = np.array([0.0, 0.3, 0.4, 0.5, 1.0, 1.3, 1.5, 2.0, 2.6, 3.0], dtype=np.float64)
PREFIX_MATCH, STEM_MATCH, WORD_MATCH = 1, 2, 3
#: Documents with more of the query's terms always rank first ("some of the words"):
#: the number of terms found, times TIER, dominates the weighted sum.
TIER = 1000.0
MAX_TYPO_CANDIDATES = 200


def pack_lexemes(
    ids: Iterable[int],
    title: set[int] | frozenset[int] = frozenset(),
    keywords: set[int] | frozenset[int] = frozenset(),
) -> bytes:
    """The `lex` blob of one document (see the module's docstring)."""
    values = sorted(
        (i << 2) | (IN_TITLE if i in title else 0) | (IN_KEYWORDS if i in keywords else 0) for i in set(ids)
    )
    return np.asarray(values, dtype=">u4").tobytes()


class Row:
    """One document as the engine keeps it: `values` are its SCALARS, in order
    (or given by name: `Row(pk, uid, kind="offer", dep_code="13", …)`)."""

    __slots__ = ("lat", "lex", "lon", "pk", "pub_ts", "skills", "title_ntok", "uid", "values")

    def __init__(
        self,
        pk: int,
        uid: str,
        values: Sequence[str | None] = (),
        lat: float | None = None,
        lon: float | None = None,
        pub_ts: float = 0.0,
        title_ntok: int = 0,
        lex: bytes = b"",
        skills: Sequence[str] = (),
        **scalars: str | None,
    ) -> None:
        if scalars:
            unknown = set(scalars) - set(SCALARS)
            if unknown:
                raise TypeError(f"unknown columns {sorted(unknown)}; expected {SCALARS}")
            values = tuple(scalars.get(name) for name in SCALARS)
        self.pk, self.uid, self.values = pk, uid, values
        self.lat, self.lon, self.pub_ts, self.title_ntok = lat, lon, pub_ts, title_ntok
        self.lex, self.skills = lex, skills


class Chunk:
    """Some documents as columns (what `MemoryIndex.load` and `_append` take):
    `values` holds one sequence per SCALARS column; `packed` the documents'
    lexemes one after the other (native uint32, see pack_lexemes), `lengths`
    how many each; `skills` (index in the chunk, skill) pairs."""

    __slots__ = ("lat", "lengths", "lon", "packed", "pk", "pub_ts", "skills", "title_ntok", "uid", "values")

    def __init__(
        self,
        pk: np.ndarray,
        uid: np.ndarray,
        values: Sequence[Sequence[str | None]],
        lat: np.ndarray,
        lon: np.ndarray,
        pub_ts: np.ndarray,
        title_ntok: np.ndarray,
        packed: np.ndarray,
        lengths: np.ndarray,
        skills: Sequence[tuple[int, str]] = (),
    ) -> None:
        self.pk, self.uid, self.values = pk, uid, values
        self.lat, self.lon, self.pub_ts, self.title_ntok = lat, lon, pub_ts, title_ntok
        self.packed, self.lengths, self.skills = packed, lengths, skills

    @classmethod
    def of_columns(
        cls,
        pk: Sequence[Any],
        uid: Sequence[str],
        values: Sequence[Sequence[str | None]],
        lat: Sequence[float | None],
        lon: Sequence[float | None],
        pub_ts: Sequence[float | None],
        title_ntok: Sequence[int | None],
        lex: Sequence[bytes | None],
        skills: Sequence[tuple[int, str]] = (),
    ) -> Chunk:
        """From the columns of a database result (None where SQL has NULL)."""
        count = len(pk)
        nan = float("nan")
        located = [a is not None and b is not None for a, b in zip(lat, lon, strict=True)]
        blobs = [bytes(x) if x is not None else b"" for x in lex]
        return cls(
            pk=np.fromiter((int(p) for p in pk), np.int64, count),
            uid=np.array(list(uid), dtype=str) if count else np.zeros(0, "U1"),
            values=values,
            lat=np.fromiter((a if ok else nan for a, ok in zip(lat, located, strict=True)), np.float64, count),
            lon=np.fromiter((b if ok else nan for b, ok in zip(lon, located, strict=True)), np.float64, count),
            pub_ts=np.fromiter((float(t or 0.0) for t in pub_ts), np.float64, count),
            title_ntok=np.fromiter((int(t or 0) for t in title_ntok), np.int32, count),
            packed=np.frombuffer(b"".join(blobs), dtype=">u4").astype(np.uint32),
            lengths=np.fromiter((len(b) // 4 for b in blobs), np.int64, count),
            skills=skills,
        )

    @classmethod
    def of_rows(cls, rows: Sequence[Row]) -> Chunk:
        return cls.of_columns(
            [r.pk for r in rows],
            [r.uid for r in rows],
            [[r.values[i] for r in rows] for i in range(len(SCALARS))],
            [r.lat for r in rows],
            [r.lon for r in rows],
            [r.pub_ts for r in rows],
            [r.title_ntok for r in rows],
            [r.lex for r in rows],
            [(i, s) for i, r in enumerate(rows) for s in r.skills],
        )


@dataclass
class ProbeSpec:
    """One word to find, as lexeme ids: the word itself, its stems, or (when
    `prefix` is set) any word starting with it."""

    word: int | None = None
    stems: list[int] = field(default_factory=list)
    prefix: str | None = None


@dataclass
class TermSpec:
    """One term of the query: found in a document when one of its alternatives
    has all its probes there."""

    alternatives: list[list[ProbeSpec]] = field(default_factory=list)


@dataclass
class Page:
    pks: list[int]
    uids: list[str]
    scores: list[float]
    distances: list[float | None]
    keys: list[float]
    more: bool
    total: int
    facets: dict[str, dict[str, int]]
    weights: list[float] = field(default_factory=list)  # the terms' weights (IDF), for the next page


class _Codes:
    """value <-> small integer; 0 is None."""

    def __init__(self) -> None:
        self.values: list[str | None] = [None]
        self.code_of: dict[str, int] = {}

    def code(self, value: Any) -> int:
        if value is None:
            return 0
        value = str(value)
        code = self.code_of.get(value)
        if code is None:
            code = self.code_of[value] = len(self.values)
            self.values.append(value)
        return code

    def known(self, values: Iterable[str]) -> np.ndarray:
        return np.array([self.code_of[v] for v in values if v in self.code_of], dtype=np.int32)


def _trigram_codes(word: str) -> list[int]:
    """The trigrams of " word " as integers."""
    padded = f" {word} "
    return [(ord(padded[i]) << 42) | (ord(padded[i + 1]) << 21) | ord(padded[i + 2]) for i in range(len(padded) - 2)]


def _haversine(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    """Great-circle distance in km, written as the SQL path writes it (NaN
    where there are no coordinates)."""
    a = np.power(np.sin(np.radians(lat - lat0) / 2), 2) + np.cos(np.radians(lat0)) * np.cos(np.radians(lat)) * np.power(
        np.sin(np.radians(lon - lon0) / 2), 2
    )
    with np.errstate(invalid="ignore"):
        distance: np.ndarray = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    return distance


class MemoryIndex:
    """Columns and postings of every document of one database, in slots.

    A document that changes gets a new slot (the old one is marked dead), and
    its postings go to a small delta beside the main, term-sorted postings;
    `stale` says when the dead weight calls for a full reload."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.state: tuple[int, str] | None = None  # (generation, nonce) of the database it reflects
        self.clear()

    # ------------------------------------------------------------ building

    def clear(self) -> None:
        self.state = None
        self.codes = {name: _Codes() for name in SCALARS}
        self.skill_codes = _Codes()
        self.main_n = 0  # slots [0, main_n) come from the full load, in increasing pk order
        self.slot_extra: dict[int, int] = {}  # pk -> slot of the documents appended since
        self.n = 0
        self.pk = np.zeros(0, np.int64)
        self.uid = np.zeros(0, "U1")
        self.alive = np.zeros(0, bool)
        self.cols = {name: np.zeros(0, np.int32) for name in SCALARS}
        self.lat = np.zeros(0, np.float64)
        self.lon = np.zeros(0, np.float64)
        self.pub_ts = np.zeros(0, np.float64)
        self.title_ntok = np.zeros(0, np.int32)
        self.sk_slot = np.zeros(0, np.int32)
        self.sk_code = np.zeros(0, np.int32)
        # vocabulary: every lexeme id known, and all terms sorted (for prefixes)
        self.term_of: dict[int, str] = {}
        self.id_of: dict[str, int] = {}
        self.sorted_terms: list[str] = []
        self.sorted_ids: list[int] = []
        # main postings, grouped by term in sorted order
        self.main_terms: list[str] = []
        self.main_rank: dict[int, int] = {}
        self.main_off = np.zeros(1, np.int64)
        self.main_slot: np.ndarray = np.zeros(0, np.int32)
        self.main_mask = np.zeros(0, np.uint8)
        # delta postings (documents changed since the main postings were built)
        self.d_lex = np.zeros(0, np.int64)
        self.d_slot: np.ndarray = np.zeros(0, np.int64)
        self.d_mask = np.zeros(0, np.uint8)
        self.dead = 0
        # typo candidates: (trigram codes, owner word index, words), built when first needed
        self._trigrams: tuple[np.ndarray, np.ndarray, list[str]] | None = None

    def add_terms(self, pairs: Iterable[tuple[int, str]]) -> None:
        for lexeme_id, term in pairs:
            lexeme_id = int(lexeme_id)
            if lexeme_id in self.term_of:
                continue
            self.term_of[lexeme_id] = term
            self.id_of[term] = lexeme_id
            self._trigrams = None
            pos = bisect_left(self.sorted_terms, term)
            self.sorted_terms.insert(pos, term)
            self.sorted_ids.insert(pos, lexeme_id)

    def unknown_lexemes(self, rows: Sequence[Row]) -> list[int]:
        """Lexeme ids used by `rows` that the vocabulary lacks (to fetch before `apply`)."""
        if not rows:
            return []
        ids = np.unique(np.frombuffer(b"".join(r.lex or b"" for r in rows), dtype=">u4") >> 2)
        return [int(i) for i in ids if int(i) not in self.term_of]

    # Loading (a full load, or the documents changed since the last state) goes
    # through `Chunk`s: columns of a few thousand documents, straight from the
    # database cursor, so that no Python object per document outlives its chunk.

    def _slot(self, pk: int) -> int | None:
        """The live slot of `pk`, if any."""
        slot = self.slot_extra.get(pk)
        if slot is None and self.main_n:
            i = int(np.searchsorted(self.pk[: self.main_n], pk))
            if i < self.main_n and int(self.pk[i]) == pk:
                slot = i
        return slot if slot is not None and self.alive[slot] else None

    def _kill(self, pk: int) -> None:
        slot = self._slot(pk)
        if slot is not None:
            self.alive[slot] = False
            self.dead += 1
        self.slot_extra.pop(pk, None)

    def _append(self, rows: Sequence[Row]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """New slots for `rows` (documents changed since the last state); returns
        their postings (lexeme id, slot, fields)."""
        chunk = Chunk.of_rows(rows)
        first = self.n
        for offset, pk in enumerate(chunk.pk.tolist()):
            self._kill(pk)
            self.slot_extra[pk] = first + offset
        self._grow(chunk)
        packed = chunk.packed.astype(np.int64)
        slots = np.arange(first, first + len(rows), dtype=np.int64)
        return packed >> 2, np.repeat(slots, chunk.lengths), (packed & 3).astype(np.uint8)

    def _grow(self, chunk: Chunk) -> None:
        """Append the per-document columns of `chunk` (small: the changed documents)."""
        first, count = self.n, len(chunk.pk)
        self.pk = np.concatenate([self.pk, chunk.pk])
        self.uid = np.concatenate([self.uid, chunk.uid]) if count else self.uid
        self.alive = np.concatenate([self.alive, np.ones(count, bool)])
        for name, values in zip(SCALARS, chunk.values, strict=True):
            self.cols[name] = np.concatenate([self.cols[name], self._encode(name, values)])
        self.lat = np.concatenate([self.lat, chunk.lat])
        self.lon = np.concatenate([self.lon, chunk.lon])
        self.pub_ts = np.concatenate([self.pub_ts, chunk.pub_ts])
        self.title_ntok = np.concatenate([self.title_ntok, chunk.title_ntok])
        if chunk.skills:
            self.sk_slot = np.concatenate(
                [self.sk_slot, np.fromiter((first + i for i, _ in chunk.skills), np.int32, len(chunk.skills))]
            )
            self.sk_code = np.concatenate(
                [
                    self.sk_code,
                    np.fromiter((self.skill_codes.code(s) for _, s in chunk.skills), np.int32, len(chunk.skills)),
                ]
            )
        self.n = first + count

    def _encode(self, name: str, values: Sequence[str | None]) -> np.ndarray:
        codes = self.codes[name]
        return np.fromiter((codes.code(v) for v in values), np.int32, len(values))

    def load(
        self,
        chunks: Iterable[Chunk] | Sequence[Row],
        vocabulary: Iterable[tuple[int, str]],
        state: tuple[int, str] | None,
        skills: Iterable[Sequence[tuple[int, str]]] = (),
    ) -> None:
        """Replace everything: `chunks` are all the documents in increasing pk
        order, `vocabulary` every (lexeme id, term), `skills` (pk, skill) pairs
        in chunks (or given in the chunks themselves).

        The postings are placed by a counting sort, chunk by chunk: what stays
        in memory meanwhile is each chunk's packed lexemes (4 bytes a posting)
        beside the final columns, never a Python object per document.
        (`Row`s are accepted too: one chunk.)"""
        if isinstance(chunks, Sequence) and chunks and isinstance(chunks[0], Row):
            chunks = [Chunk.of_rows(sorted(chunks, key=lambda r: r.pk))]
        self.clear()
        self.add_terms(vocabulary)
        ids = np.asarray(self.sorted_ids, dtype=np.int64)
        rank_of = np.full(int(ids.max()) + 2 if len(ids) else 1, -1, dtype=np.int32)
        rank_of[ids] = np.arange(len(ids), dtype=np.int32)
        top = len(rank_of) - 1

        def ranks_of(packed: np.ndarray) -> np.ndarray:
            return rank_of[np.minimum(packed >> 2, top)] if len(packed) else np.zeros(0, np.int32)

        per_doc: dict[str, list[np.ndarray]] = {k: [] for k in ("pk", "uid", "lat", "lon", "pub_ts", "title_ntok")}
        coded: dict[str, list[np.ndarray]] = {name: [] for name in SCALARS}
        packs: list[tuple[int, np.ndarray, np.ndarray]] = []  # (first slot, packed lexemes, lengths)
        counts = np.zeros(len(ids), np.int64)
        pair_slots: list[np.ndarray] = []
        pair_codes: list[np.ndarray] = []
        n = 0
        for chunk in chunks:
            assert isinstance(chunk, Chunk)
            count = len(chunk.pk)
            for key in per_doc:
                per_doc[key].append(getattr(chunk, key))
            for name, values in zip(SCALARS, chunk.values, strict=True):
                coded[name].append(self._encode(name, values))
            if chunk.skills:
                pair_slots.append(np.fromiter((n + i for i, _ in chunk.skills), np.int32, len(chunk.skills)))
                pair_codes.append(
                    np.fromiter((self.skill_codes.code(s) for _, s in chunk.skills), np.int32, len(chunk.skills))
                )
            ranks = ranks_of(chunk.packed)
            counts += np.bincount(ranks[ranks >= 0], minlength=len(ids))
            packs.append((n, chunk.packed, chunk.lengths))
            n += count
        self.n = self.main_n = n
        self.pk = np.concatenate(per_doc["pk"]) if n else self.pk
        self.uid = np.concatenate(per_doc["uid"]) if n else self.uid
        self.lat = np.concatenate(per_doc["lat"]) if n else self.lat
        self.lon = np.concatenate(per_doc["lon"]) if n else self.lon
        self.pub_ts = np.concatenate(per_doc["pub_ts"]) if n else self.pub_ts
        self.title_ntok = np.concatenate(per_doc["title_ntok"]) if n else self.title_ntok
        del per_doc
        for name in SCALARS:
            self.cols[name] = np.concatenate(coded[name]) if n else self.cols[name]
        del coded
        self.alive = np.ones(n, bool)
        if len(self.pk) > 1 and bool(np.any(self.pk[1:] <= self.pk[:-1])):
            raise ValueError("MemoryIndex.load: chunks must come in increasing pk order")
        sorted_pk = self.pk
        for pairs in skills:  # (pk, skill) pairs given apart from the chunks
            if not pairs:
                continue
            pks = np.fromiter((p for p, _ in pairs), np.int64, len(pairs))
            at = np.searchsorted(sorted_pk, pks)
            ok = (at < n) & (sorted_pk[np.minimum(at, max(n - 1, 0))] == pks) if n else np.zeros(len(pks), bool)
            pair_slots.append(at[ok].astype(np.int32))
            pair_codes.append(
                np.fromiter((self.skill_codes.code(s) for (_, s), k in zip(pairs, ok, strict=True) if k), np.int32)
            )
        if pair_slots:
            self.sk_slot = np.concatenate(pair_slots)
            self.sk_code = np.concatenate(pair_codes)
        del pair_slots, pair_codes

        # counting sort of the postings by term rank (slots ascending within a term)
        self.main_terms = list(self.sorted_terms)
        self.main_rank = {int(i): r for r, i in enumerate(ids)}
        self.main_off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        total = int(self.main_off[-1])
        self.main_slot = np.empty(total, np.int32)
        self.main_mask = np.empty(total, np.uint8)
        cursor = self.main_off[:-1].copy()
        while packs:
            first, packed, lengths = packs.pop(0)
            ranks = ranks_of(packed)
            slots = np.repeat(np.arange(first, first + len(lengths), dtype=np.int32), lengths)
            keep = ranks >= 0
            ranks, slots, masks = ranks[keep], slots[keep], (packed[keep] & 3).astype(np.uint8)
            del packed, keep
            order = np.argsort(ranks, kind="stable")
            ranks, slots, masks = ranks[order], slots[order], masks[order]
            within = np.arange(len(ranks)) - np.searchsorted(ranks, ranks, side="left")
            at = cursor[ranks] + within
            self.main_slot[at] = slots
            self.main_mask[at] = masks
            cursor += np.bincount(ranks, minlength=len(ids))
        self.state = state

    def apply(self, rows: Sequence[Row], removed: Iterable[int], state: tuple[int, str] | None) -> None:
        """Documents changed (`rows`, complete) or gone (`removed` pks) since the last state."""
        for pk in removed:
            self._kill(int(pk))
        if rows:
            lex, slots, masks = self._append(rows)
            self.d_lex = np.concatenate([self.d_lex, lex])
            self.d_slot = np.concatenate([self.d_slot, slots])
            self.d_mask = np.concatenate([self.d_mask, masks])
        self.state = state

    @property
    def stale(self) -> bool:
        """True when dead slots or delta postings outweigh a reload."""
        return self.dead > 1000 + self.n // 4 or len(self.d_lex) > 200_000 + len(self.main_slot) // 4

    @property
    def nbytes(self) -> int:
        """Size of the arrays (the dictionaries of the vocabulary come on top)."""
        return sum(
            a.nbytes
            for a in (
                self.pk,
                self.uid,
                self.alive,
                self.lat,
                self.lon,
                self.pub_ts,
                self.title_ntok,
                self.sk_slot,
                self.sk_code,
                self.main_off,
                self.main_slot,
                self.main_mask,
                self.d_lex,
                self.d_slot,
                self.d_mask,
                *self.cols.values(),
            )
        )

    @property
    def documents(self) -> int:
        return int(self.alive.sum())

    # ------------------------------------------------------------ querying

    def _segments(self, ids: Sequence[int]) -> list[tuple[np.ndarray, np.ndarray]]:
        """(slots, fields) of the postings of these lexemes (main and delta)."""
        out = []
        for lexeme_id in ids:
            r = self.main_rank.get(lexeme_id)
            if r is not None:
                lo, hi = self.main_off[r], self.main_off[r + 1]
                out.append((self.main_slot[lo:hi], self.main_mask[lo:hi]))
        if len(self.d_lex) and len(ids):
            sel = np.isin(self.d_lex, np.asarray(ids, dtype=np.int64))
            out.append((self.d_slot[sel], self.d_mask[sel]))
        return out

    def _prefix_segments(self, prefix: str) -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        r0 = bisect_left(self.main_terms, prefix)
        r1 = bisect_left(self.main_terms, prefix + _TOP)
        if r1 > r0:
            lo, hi = self.main_off[r0], self.main_off[r1]
            out.append((self.main_slot[lo:hi], self.main_mask[lo:hi]))
        if len(self.d_lex):
            a = bisect_left(self.sorted_terms, prefix)
            b = bisect_left(self.sorted_terms, prefix + _TOP)
            if b > a:
                sel = np.isin(self.d_lex, np.asarray(self.sorted_ids[a:b], dtype=np.int64))
                out.append((self.d_slot[sel], self.d_mask[sel]))
        return out

    def probe_level(self, probe: ProbeSpec) -> np.ndarray:
        """Per slot, the level of the probe (see LEVEL_SCORE); 0 where it is absent."""
        level = np.zeros(self.n, np.int8)
        passes = []
        if probe.prefix:
            passes.append((self._prefix_segments(probe.prefix), PREFIX_MATCH))
        if probe.stems:
            passes.append((self._segments(probe.stems), STEM_MATCH))
        if probe.word is not None:
            passes.append((self._segments([probe.word]), WORD_MATCH))
        # increasing levels: a later assignment overrides an earlier, lower one
        for where in (0, 1, 2):
            for segments, match in passes:
                for slots, masks in segments:
                    if where == 0:
                        chosen = slots
                    elif where == 1:
                        chosen = slots[(masks & IN_KEYWORDS) != 0]
                    else:
                        chosen = slots[(masks & IN_TITLE) != 0]
                    if len(chosen):
                        level[chosen] = np.maximum(level[chosen], 3 * where + match)
        return level

    def term_level(self, spec: TermSpec) -> np.ndarray:
        """Per slot, the best level of the term over its alternatives (an
        alternative's level is its weakest probe's)."""
        best = np.zeros(self.n, np.int8)
        for probes in spec.alternatives:
            if not probes:
                continue
            level = self.probe_level(probes[0])
            for probe in probes[1:]:
                level = np.minimum(level, self.probe_level(probe))
            best = np.maximum(best, level)
        return best

    def kind_mask(self, kinds: Sequence[str]) -> np.ndarray:
        """Live documents of these kinds."""
        mask: np.ndarray = self.alive & np.isin(self.cols["kind"], self.codes["kind"].known(kinds))
        return mask

    def frequency(self, level: np.ndarray, among: np.ndarray) -> int:
        """Documents of `among` (a mask) where the term is found."""
        return int(np.count_nonzero((level > 0) & among))

    def typo_candidates(self, word: str, lo: int, hi: int) -> list[str]:
        """Words of the vocabulary (not stems) of length lo..hi sharing trigrams with `word`."""
        if self._trigrams is None:
            self._build_trigrams()
        assert self._trigrams is not None
        codes, owners, words = self._trigrams
        grams = _trigram_codes(word)
        if not len(codes) or not grams:
            return []
        found = []
        for g in grams:
            a, b = np.searchsorted(codes, [g, g + 1])
            found.append(owners[a:b])
        counts = np.bincount(np.concatenate(found), minlength=len(words)) if found else np.zeros(0, np.int64)
        shared = np.flatnonzero(counts)
        if not len(shared):
            return []
        order = shared[np.argsort(-counts[shared], kind="stable")]
        out = [words[i] for i in order if lo <= len(words[i]) <= hi]
        return out[:MAX_TYPO_CANDIDATES]

    def _build_trigrams(self) -> None:
        words = [t for t in self.sorted_terms if not t.startswith("~") and len(t) >= 3]
        codes: list[int] = []
        owners: list[int] = []
        for i, w in enumerate(words):
            for g in set(_trigram_codes(w)):
                codes.append(g)
                owners.append(i)
        code_arr = np.asarray(codes, dtype=np.int64)
        owner_arr = np.asarray(owners, dtype=np.int64)
        order = np.argsort(code_arr, kind="stable")
        self._trigrams = (code_arr[order], owner_arr[order], words)

    def search(
        self,
        *,
        kinds: Sequence[str],
        terms: Sequence[TermSpec] | None,
        match_any: bool = False,
        filters: dict[str, Sequence[str]] | None = None,
        facets: Sequence[str] = (),
        near: tuple[float, float] | None = None,
        radius_km: float | None = None,
        sort: str = "relevance",
        after: tuple[float, str] | None = None,
        limit: int = 20,
        weights: Sequence[float] | None = None,
        levels: Sequence[np.ndarray] | None = None,
    ) -> Page:
        """One page of results. `sort`: "relevance" (score, desc), "date"
        (pub_ts, desc) or "distance" (asc; no coordinates last); ties by uid.
        `after` = (key, uid) of the previous page's last hit.

        The score of a document: TIER x the number of terms it has, plus each
        term's weight (its IDF among the searched kinds: a rare word weighs more)
        times LEVEL_SCORE of where and how it was found, plus a tie-break for short
        titles. `weights` (from the previous page's cursor) keeps page 2 scored as
        page 1 was, whatever changed in between; `levels` (term_level of each
        term) may be passed when already computed."""
        n = self.n
        mask = self.kind_mask(kinds)
        among = mask.copy()
        term_levels: list[np.ndarray] = []
        if terms:
            term_levels = list(levels) if levels is not None else [self.term_level(spec) for spec in terms]
            found = term_levels[0] > 0
            for level in term_levels[1:]:
                found = (found | (level > 0)) if match_any else (found & (level > 0))
            mask &= found
            if weights is None or len(weights) != len(term_levels):
                everyone = max(1, int(np.count_nonzero(among)))
                weights = [float(np.log1p(everyone / max(1, self.frequency(level, among)))) for level in term_levels]
        for name, values in (filters or {}).items():
            if name == "skills":
                has = np.zeros(n, bool)
                has[self.sk_slot[np.isin(self.sk_code, self.skill_codes.known(values))]] = True
                mask &= has
            else:
                mask &= np.isin(self.cols[name], self.codes[name].known(values))
        idx = np.flatnonzero(mask)
        dist = None
        if near is not None:
            dist = _haversine(self.lat[idx], self.lon[idx], near[0], near[1])
            if radius_km:
                keep = dist <= radius_km  # NaN (no coordinates) is never kept
                idx, dist = idx[keep], dist[keep]
        total = len(idx)

        counts: dict[str, dict[str, int]] = {}
        for name in facets:
            if name == "skills":
                chosen = np.zeros(n, bool)
                chosen[idx] = True
                found_codes = np.bincount(self.sk_code[chosen[self.sk_slot]], minlength=len(self.skill_codes.values))
                labels = self.skill_codes.values
            else:
                found_codes = np.bincount(self.cols[name][idx], minlength=len(self.codes[name].values))
                labels = self.codes[name].values
            nonzero = np.flatnonzero(found_codes[1:]) + 1
            counts[name] = {str(labels[c]): int(found_codes[c]) for c in nonzero}  # code 0 (None) is left out

        score = np.zeros(len(idx))
        if term_levels and weights is not None:
            found_terms = np.zeros(len(idx))
            for level, weight in zip(term_levels, weights, strict=True):
                at = level[idx]
                found_terms = found_terms + (at > 0)
                score = score + float(weight) * LEVEL_SCORE[at]
            score = np.round(TIER * found_terms + score + 0.2 / (1 + self.title_ntok[idx]), 9)
        if sort == "relevance":
            key, desc = score, True
        elif sort == "date":
            key, desc = self.pub_ts[idx], True
        elif dist is not None:
            key, desc = np.where(np.isnan(dist), NO_DISTANCE, dist), False
        else:
            raise ValueError('sort="distance" needs near')
        uids = self.uid[idx]
        if after is not None:
            kv, ku = after
            beyond = (key < kv) if desc else (key > kv)
            keep = beyond | ((key == kv) & (uids > ku))
            idx, key, uids, score = idx[keep], key[keep], uids[keep], score[keep]
            if dist is not None:
                dist = dist[keep]
        ordered = -key if desc else key
        want = limit + 1
        if len(idx) > want:
            threshold = np.partition(ordered, want - 1)[want - 1]
            cut = np.flatnonzero(ordered <= threshold)  # the top, ties at the threshold included
        else:
            cut = np.arange(len(idx))
        top = cut[np.lexsort((uids[cut], ordered[cut]))][:want]
        more = len(top) > limit
        top = top[:limit]
        scores = score[top]
        return Page(
            pks=[int(p) for p in self.pk[idx[top]]],
            uids=[str(u) for u in uids[top]],
            scores=[float(s) for s in scores],
            distances=[None if dist is None or np.isnan(dist[t]) else float(dist[t]) for t in top],
            keys=[float(k) for k in key[top]],
            more=more,
            total=total,
            facets=counts,
            weights=[float(w) for w in weights] if terms and weights is not None else [],
        )
