"""Streamed candidate generation: the scored edges of any set of needs, block by block.

:func:`matching.candidates.build_candidates` builds every edge at once; on dense instances (many remote
offers, most needs accepting remote work) that is tens of millions of edges and several GiB.  A
:class:`CandidateStream` prepares the joins once (need token entries, the on-site grid, the remote
index: all sized by needs and offers, not by edges) and then yields the edges of a set of needs in
blocks of at most ``block_pairs`` raw pairs, each block a :class:`~matching.candidates.Candidates` with
its :class:`~matching.scoring.Scores`.  A block is exactly what ``build_candidates`` + ``score_candidates``
give for those needs (every score component is a function of its edge alone), so a caller can keep what
it needs of a block and drop the rest: nothing proportional to the number of edges stays alive.

A block's raw pairs are expanded and filtered by one compiled loop (:func:`matching.kernels.block_edges`,
the same edges in the same order as the plain-numpy joins); :meth:`CandidateStream.blocks` can build the
next blocks on worker threads while the caller works on the current one (``threads``).

:func:`take_edges` and :func:`concat_edges` cut and join blocks (compact: int32 ids, float32 components).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .candidates import Candidates, finish_edges
from .geo import km_of_chord2
from .joins import _F, Prepared, _chunks, _tokens, onsite_grid, prepare_tokens
from .kernels import ONSITE_CAP, PROVIDER_ORGS, REMOTE_CAP, UNLABELLED, Edges, Joins, Rules, block_edges
from .model import F32, I64, Instance
from .scoring import Scores, merge_weights, score_candidates


@dataclass(frozen=True, eq=False)
class Block:
    """The scored edges of ``needs`` (sorted need indices), grouped by need."""

    needs: I64
    cand: Candidates
    scores: Scores


class CandidateStream:
    """Generate scored candidate edges of chosen needs, in blocks (see module doc).

    ``pairs_per_need``: raw pairs each need's joins examine (the block sizes follow it);
    ``edges_generated``/``pairs_generated``: running totals over every block yielded;
    ``seconds_generate``: the time callers waited for blocks.  ``threads``: worker threads building the
    next blocks (:meth:`blocks`) while the caller works on the current one (0: each block when asked, in
    the caller's thread; on a loaded 2-core machine, 2 threads measured no faster and ~100 MB more)."""

    def __init__(
        self,
        inst: Instance,
        weights: Mapping[str, float] | None = None,
        *,
        cell_km: float | None = None,
        block_pairs: int = 2_000_000,
        need_embeddings: F32 | None = None,
        offer_embeddings: F32 | None = None,
        threads: int = 0,
    ) -> None:
        t0 = time.perf_counter()
        self.inst = inst
        self.threads = int(threads)
        self.weights = merge_weights(weights)
        self.block_pairs = int(block_pairs)
        self.need_embeddings = need_embeddings
        self.offer_embeddings = offer_embeddings
        prep = prepare_tokens(inst)
        self.prep = prep
        N = inst.n_needs
        n_ent = len(prep.ent_row)
        self.ent_ptr = np.searchsorted(prep.ent_row, np.arange(N + 1)).astype(np.int64)
        self.lo_on = np.zeros(n_ent, dtype=np.int64)
        self.cnt_on = np.zeros(n_ent, dtype=np.int64)
        self.grid_offers = np.zeros(0, dtype=np.int64)
        self.cell_km = 0.0
        onsite_offers = np.flatnonzero(prep.active_offers & prep.onsite_cap)
        if len(prep.need_rows) and len(onsite_offers):
            grid = onsite_grid(inst, prep, onsite_offers, cell_km)
            self.cell_km = grid.cell_km
            q_key = (grid.need_cell[prep.ent_row] * prep.n_tokens + prep.ent_tok) * _F + prep.ent_funding
            self.lo_on = np.searchsorted(grid.keys, q_key, side="left")
            self.cnt_on = np.searchsorted(grid.keys, q_key, side="right") - self.lo_on
            self.cnt_on[~prep.need_onsite[prep.ent_row]] = 0  # remote-only needs are never served on site
            self.grid_offers = grid.offers
            del grid, q_key
        self.lo_re = np.zeros(n_ent, dtype=np.int64)
        self.cnt_re = np.zeros(n_ent, dtype=np.int64)
        self.remote_offers = np.zeros(0, dtype=np.int64)
        remote_offers = np.flatnonzero(prep.active_offers & prep.remote_cap)
        rq = inst.need_remote[prep.ent_row]
        if rq.any() and len(remote_offers):
            o_rows, o_tok = _tokens(
                inst.offer_skills_ptr,
                inst.offer_skills,
                inst.offer_category,
                prep.cat_rank,
                inst.n_skills,
                remote_offers,
            )
            r_key = o_tok * _F + inst.offer_funding[o_rows]
            srt = np.argsort(r_key, kind="stable")
            r_key, self.remote_offers = r_key[srt], o_rows[srt]
            q_key = prep.ent_tok * _F + prep.ent_funding
            self.lo_re = np.searchsorted(r_key, q_key, side="left")
            self.cnt_re = np.searchsorted(r_key, q_key, side="right") - self.lo_re
            self.cnt_re[~rq] = 0
        joins = Joins(
            self.ent_ptr,
            prep.ent_tok,
            self.lo_on,
            self.cnt_on,
            self.grid_offers,
            self.lo_re,
            self.cnt_re,
            self.remote_offers,
        )
        self._joins = Joins(*(_writable(v) for v in joins))
        self._rules = _rules(inst, prep)
        self.pairs_per_need = np.bincount(prep.ent_row, weights=self.cnt_on + self.cnt_re, minlength=N).astype(np.int64)
        self.edges_generated = 0
        self.pairs_generated = 0
        self.blocks_generated = 0
        self.seconds_prepare = time.perf_counter() - t0
        self.seconds_generate = 0.0

    @property
    def remaining(self) -> I64:
        """Capacity left per offer."""
        return self.prep.remaining

    @property
    def needs_with_pairs(self) -> I64:
        """Needs in the run whose joins examine at least one pair (the others have no candidate)."""
        out: I64 = np.flatnonzero(self.prep.active_needs & (self.pairs_per_need > 0))
        return out

    def blocks(self, needs: I64 | None = None) -> Iterator[Block]:
        """Blocks of the scored edges of ``needs`` (sorted; default: every need with a pair), at most
        ``block_pairs`` raw pairs a block (a need with more pairs makes a block alone), in order.

        With ``threads`` > 0 that many blocks are built ahead on worker threads (the kernel releases the
        GIL) while the caller works on the last one yielded: at most ``threads + 1`` blocks alive."""
        needs = self.needs_with_pairs if needs is None else np.asarray(needs, dtype=np.int64)
        cuts = iter(list(_chunks(self.pairs_per_need[needs], self.block_pairs)))
        if self.threads <= 0:
            for a, b in cuts:
                yield self.block(needs[a:b])
            return
        with ThreadPoolExecutor(self.threads, thread_name_prefix="candidates") as pool:
            ahead: deque[Future[Block]] = deque()
            try:
                while True:
                    t0 = time.perf_counter()
                    while len(ahead) < self.threads and (cut := next(cuts, None)) is not None:
                        ahead.append(pool.submit(self._build, needs[cut[0] : cut[1]]))
                    if not ahead:
                        return
                    blk = ahead.popleft().result()
                    self._count(blk, time.perf_counter() - t0)
                    yield blk
                    del blk
            finally:  # the caller stopped early: drop the blocks not started
                for f in ahead:
                    f.cancel()

    def block(self, needs: I64) -> Block:
        """The scored edges of ``needs`` (sorted need indices)."""
        t0 = time.perf_counter()
        blk = self._build(needs)
        self._count(blk, time.perf_counter() - t0)
        return blk

    def _count(self, blk: Block, seconds: float) -> None:
        self.edges_generated += len(blk.cand)
        self.pairs_generated += blk.cand.raw_pairs
        self.blocks_generated += 1
        self.seconds_generate += seconds

    def _build(self, needs: I64) -> Block:
        cand = self._edges(needs)
        scores = score_candidates(
            self.inst,
            cand,
            self.weights,
            need_embeddings=self.need_embeddings,
            offer_embeddings=self.offer_embeddings,
        )
        return Block(needs, cand, scores)

    def pairs(self, need_idx: np.ndarray, offer_idx: np.ndarray) -> Block:
        """The scored edges of known candidate pairs (``need_idx`` ascending), exactly as a block gives
        them, without generating every edge of their needs (for the few edges whose full data is
        wanted at the end of a solve).  The pairs must be candidate edges (they come from a block)."""
        t0 = time.perf_counter()
        inst, prep = self.inst, self.prep
        rows_n = np.asarray(need_idx, dtype=np.int64)
        rows_o = np.asarray(offer_idx, dtype=np.int64)
        shared = prep.need_bits[rows_n] & prep.offer_bits[rows_o]
        d = prep.need_xyz[rows_n] - prep.offer_xyz[rows_o]
        cand = finish_edges(
            inst,
            prep,
            rows_n.astype(np.int32),
            rows_o.astype(np.int32),
            np.einsum("ij,ij->i", d, d),  # the same sum as the kernel's (see matching.kernels)
            np.bitwise_count(shared).sum(axis=1, dtype=np.int16),
            raw_pairs=0,
            cell_km=self.cell_km,
        )
        scores = score_candidates(
            inst, cand, self.weights, need_embeddings=self.need_embeddings, offer_embeddings=self.offer_embeddings
        )
        self.seconds_generate += time.perf_counter() - t0
        return Block(np.unique(rows_n), cand, scores)

    def _edges(self, needs: I64) -> Candidates:
        """The candidate edges of ``needs`` (:func:`matching.kernels.block_edges`)."""
        inst, prep = self.inst, self.prep
        srt = np.require(needs if np.all(needs[1:] >= needs[:-1]) else np.sort(needs), np.int64, ("C", "W"))
        raw = int(self.pairs_per_need[srt].sum())
        buf = Edges(
            need=np.empty(raw, dtype=np.int32),
            offer=np.empty(raw, dtype=np.int32),
            chord2=np.empty(raw, dtype=np.float64),
            n_covered=np.empty(raw, dtype=np.int16),
            coverage=np.empty(raw, dtype=np.float64),
            onsite=np.empty(raw, dtype=bool),
            remote=np.empty(raw, dtype=bool),
        )
        k = block_edges(srt, self._joins, self._rules, buf)
        need_idx = buf.need[:k].copy()
        N = inst.n_needs
        need_ptr = np.zeros(N + 1, dtype=np.int64)
        np.cumsum(np.bincount(need_idx, minlength=N), out=need_ptr[1:])
        return Candidates(
            need_idx=need_idx,
            offer_idx=buf.offer[:k].copy(),
            distance_km=km_of_chord2(buf.chord2[:k]),
            onsite=buf.onsite[:k].copy(),
            remote=buf.remote[:k].copy(),
            coverage=buf.coverage[:k].copy(),
            n_covered=buf.n_covered[:k].copy(),
            need_ptr=need_ptr,
            remaining=prep.remaining,
            active_needs=prep.active_needs,
            n_needs=N,
            n_offers=inst.n_offers,
            raw_pairs=raw,
            cell_km=self.cell_km,
        )


def _writable(a: Any) -> Any:
    """Arrays as C-contiguous, writable copies when they are not (numba compiles the kernel once per
    array type, read-only arrays being another type); other values unchanged."""
    return np.require(a, requirements=("C", "W")) if isinstance(a, np.ndarray) else a


def _rules(inst: Instance, prep: Prepared) -> Rules:
    """What :func:`matching.kernels.block_edges` needs of the hard rules, per need and per offer."""
    N, M = inst.n_needs, inst.n_offers
    ex = np.unique(inst.excluded[:, 0] * M + inst.excluded[:, 1])
    charter = inst.offer_charter_values()
    org_rows = np.repeat(np.arange(inst.n_providers), np.diff(inst.provider_org_ptr))
    rules = Rules(
        n_skills=inst.n_skills,
        need_bits=prep.need_bits,
        need_start=inst.need_start,
        need_end=inst.need_end,
        need_xyz=prep.need_xyz,
        need_onsite=prep.need_onsite,
        need_remote=inst.need_remote,
        need_nskills=prep.need_nskills,
        need_org=inst.need_org,
        need_charter_only=inst.charter_only_mask(),
        excl_ptr=np.searchsorted(ex // M, np.arange(N + 1)).astype(np.int64),
        excl_offers=ex % M,
        offer_bits=prep.offer_bits,
        offer_window=np.stack([inst.offer_start, inst.offer_end], axis=1),
        offer_place=np.concatenate([prep.offer_xyz, prep.offer_thr[:, None]], axis=1),
        offer_flags=(
            ONSITE_CAP * prep.onsite_cap
            + REMOTE_CAP * prep.remote_cap
            + PROVIDER_ORGS * (np.diff(inst.provider_org_ptr) > 0)[inst.offer_provider]
            + UNLABELLED * (charter <= 0.0)
        ).astype(np.uint8),
        offer_provider=inst.offer_provider,
        offer_charter=charter,
        provider_org_ptr=inst.provider_org_ptr,
        provider_orgs=inst.provider_orgs[np.lexsort((inst.provider_orgs, org_rows))],
    )
    return Rules(*(_writable(v) for v in rules))


def take_edges(cand: Candidates, scores: Scores, idx: I64) -> tuple[Candidates, Scores]:
    """The edges ``idx`` of a block (in that order; ``need_ptr`` is only valid when they stay grouped)."""
    ni = cand.need_idx[idx].astype(np.int32)
    c = Candidates(
        need_idx=ni,
        offer_idx=cand.offer_idx[idx].astype(np.int32),
        distance_km=cand.distance_km[idx],
        onsite=cand.onsite[idx],
        remote=cand.remote[idx],
        coverage=cand.coverage[idx],
        n_covered=cand.n_covered[idx],
        need_ptr=_ptr(ni, cand.n_needs),
        remaining=cand.remaining,
        active_needs=cand.active_needs,
        n_needs=cand.n_needs,
        n_offers=cand.n_offers,
        cell_km=cand.cell_km,
    )
    return c, _take_scores(scores, idx)


def concat_edges(parts: Sequence[tuple[Candidates, Scores]], *, raw_pairs: int = 0) -> tuple[Candidates, Scores]:
    """Join taken edges (at least one part) into one set grouped by need (stable)."""
    cands = [p[0] for p in parts]
    ni = np.concatenate([c.need_idx for c in cands]).astype(np.int32)
    order = np.argsort(ni, kind="stable")
    ni = ni[order]
    first = cands[0]

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(c, name) for c in cands])[order]

    c = Candidates(
        need_idx=ni,
        offer_idx=cat("offer_idx").astype(np.int32),
        distance_km=cat("distance_km"),
        onsite=cat("onsite"),
        remote=cat("remote"),
        coverage=cat("coverage"),
        n_covered=cat("n_covered"),
        need_ptr=_ptr(ni, first.n_needs),
        remaining=first.remaining,
        active_needs=first.active_needs,
        n_needs=first.n_needs,
        n_offers=first.n_offers,
        raw_pairs=raw_pairs,
        cell_km=first.cell_km,
    )
    ss = [p[1] for p in parts]
    s0 = ss[0]

    def scat(name: str) -> np.ndarray | None:
        vals = [getattr(s, name) for s in ss]
        if any(v is None for v in vals):
            return None
        return np.concatenate(vals)[order]

    comps = np.asfortranarray(np.concatenate([s.components for s in ss])[order])
    s = Scores(
        score=np.concatenate([s.score for s in ss])[order],
        score_int=np.concatenate([s.score_int for s in ss])[order],
        components=comps,
        weights=s0.weights,
        enabled=s0.enabled,
        remote_mode=np.concatenate([s.remote_mode for s in ss])[order],
        semantic_enabled=s0.semantic_enabled,
        raw_cosine=scat("raw_cosine"),
        notes=s0.notes,
        names=s0.names,
        prefer_charter=scat("prefer_charter"),
        prefer_charter_weight=s0.prefer_charter_weight,
    )
    return c, s


def _take_scores(scores: Scores, idx: I64) -> Scores:
    return Scores(
        score=scores.score[idx],
        score_int=scores.score_int[idx],
        components=np.asfortranarray(scores.components[idx]),
        weights=scores.weights,
        enabled=scores.enabled,
        remote_mode=scores.remote_mode[idx],
        semantic_enabled=scores.semantic_enabled,
        raw_cosine=None if scores.raw_cosine is None else scores.raw_cosine[idx],
        notes=scores.notes,
        names=scores.names,
        prefer_charter=None if scores.prefer_charter is None else scores.prefer_charter[idx],
        prefer_charter_weight=scores.prefer_charter_weight,
    )


def _ptr(need_idx: np.ndarray, n_needs: int) -> I64:
    ptr = np.zeros(n_needs + 1, dtype=np.int64)
    np.cumsum(np.bincount(need_idx, minlength=n_needs), out=ptr[1:])
    return ptr
