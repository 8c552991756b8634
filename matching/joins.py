"""The joins of the candidate builder (steps 1–4 of :func:`matching.candidates.build_candidates`).

Skills and categories are integer *tokens*.  :func:`prepare_tokens` makes one need
entry per (need, token, offer funding mode the need accepts).  The on-site join
(:func:`join_onsite`) enters each on-site offer in every grid cell of the
bounding box of its radius disk (:func:`onsite_grid`) and meets the need entries
on the integer key ``(cell, token, funding)`` through a sorted array and
``searchsorted``, in chunks of at most ``chunk_pairs`` raw pairs; the remote join
(:func:`join_remote`) does the same without cells.  An :class:`EdgeSink` keeps
each raw pair once (on its lowest shared token, tested with ``uint64`` skill
bitsets, which also give the coverage), checks the time windows and the place
(squared chords of unit vectors), and collects the edges.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .geo import chord2_of_km, unit_vectors
from .model import EARTH_RADIUS_KM, F64, I16, I32, I64, U64, Bool, Instance, funding_compat_matrix

_ONSITE_CAPABLE = np.array([True, False, True])  # by modality code
_REMOTE_CAPABLE = np.array([False, True, True])


# --------------------------------------------------------------------------
# bitsets
# --------------------------------------------------------------------------


def skill_bitsets(ptr: np.ndarray, skills: np.ndarray, n_rows: int, n_skills: int) -> np.ndarray:
    """(n_rows, W) uint64 bitsets of CSR skill lists."""
    w = max(1, (n_skills + 63) // 64)
    out = np.zeros((n_rows, w), dtype=np.uint64)
    if skills.size:
        rows = np.repeat(np.arange(n_rows), np.diff(ptr))
        bits = np.left_shift(np.uint64(1), (skills % 64).astype(np.uint64))
        np.bitwise_or.at(out, (rows, skills // 64), bits)
    return out


def _lowest_bit(shared: np.ndarray, none_value: int) -> np.ndarray:
    """Index of the lowest set bit over the words of each row (``none_value`` if 0)."""
    n, w = shared.shape
    low = np.full(n, none_value, dtype=np.int64)
    for k in range(w - 1, -1, -1):
        x = shared[:, k]
        iso = x & (~x + np.uint64(1))
        idx = np.bitwise_count(iso - np.uint64(1)).astype(np.int64) + 64 * k
        low = np.where(x != 0, idx, low)
    return low


# --------------------------------------------------------------------------
# join helpers
# --------------------------------------------------------------------------


def _tokens(ptr: I64, skills: I64, category: I64, cat_rank: I64, n_skills: int, rows: I64) -> tuple[I64, I64]:
    """Token entries (row, token) of the given rows: skills then category."""
    lens = np.diff(ptr)[rows]
    starts = ptr[rows]
    r = np.repeat(rows, lens)
    pos = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
    tok = skills[pos]
    has_cat = category[rows] >= 0
    cr = rows[has_cat]
    ct = n_skills + cat_rank[category[cr]]
    r = np.concatenate([r, cr])
    tok = np.concatenate([tok, ct])
    return r.astype(np.int64), tok.astype(np.int64)


def _expand(lo: I64, cnt: I64) -> tuple[I64, I64]:
    """Indices ``lo[i] + 0..cnt[i]-1`` concatenated, and the entry of each."""
    total = int(cnt.sum())
    ent = np.repeat(np.arange(len(cnt)), cnt)
    within = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    return ent, lo[ent] + within


def _chunks(cnt: I64, chunk_pairs: int) -> Iterator[tuple[int, int]]:
    """Split entries into consecutive chunks of at most ~chunk_pairs expanded pairs."""
    if len(cnt) == 0:
        return
    cum = np.cumsum(cnt)
    start = 0
    while start < len(cnt):
        base = cum[start - 1] if start else 0
        end = int(np.searchsorted(cum, base + chunk_pairs, side="right"))
        end = max(end, start + 1)
        yield start, end
        start = end


# --------------------------------------------------------------------------
# the steps of build_candidates
# --------------------------------------------------------------------------

#: Number of funding modes (the last factor of the join keys).
_F = 3


@dataclass(frozen=True, eq=False)
class Prepared:
    """Step 1's output: per-instance arrays shared by the joins and the assembly.

    Tokens are skill ids, then the categories (compacted) after them: ``n_tokens``
    in all.  ``ent_row``/``ent_tok``/``ent_funding``: one need entry per (need,
    token, offer funding mode the need accepts), sorted by need."""

    remaining: I64
    active_needs: Bool
    active_offers: Bool
    cat_rank: I64
    n_tokens: int
    need_bits: U64
    offer_bits: U64
    need_nskills: I64
    need_xyz: F64
    offer_xyz: F64
    offer_thr: F64
    onsite_cap: Bool
    remote_cap: Bool
    need_onsite: Bool
    need_rows: I64
    ent_row: I64
    ent_tok: I64
    ent_funding: I64


def prepare_tokens(inst: Instance) -> Prepared:
    """Step 1: active needs and offers, skill/category tokens, skill bitsets, unit
    vectors and radius thresholds, and the need token entries."""
    N, M, S = inst.n_needs, inst.n_offers, inst.n_skills
    remaining = inst.remaining_capacity()
    active_needs = np.ones(N, dtype=bool)
    if len(inst.fixed):
        active_needs[inst.fixed[:, 0]] = False

    # skills as tokens: skill ids, then categories (compacted) after them
    cats = np.unique(np.concatenate([inst.need_category, inst.offer_category]))
    cats = cats[cats >= 0]
    if len(cats):
        cat_rank = np.full(int(cats.max()) + 1, -1, dtype=np.int64)
        cat_rank[cats] = np.arange(len(cats))
    else:
        cat_rank = np.zeros(1, dtype=np.int64)

    # need token entries expanded by the offer funding modes each need accepts
    need_rows = np.flatnonzero(active_needs)
    # a need's category token only where a match on the category alone is allowed (rule 1)
    need_cat = np.where(inst.category_match_mask(), inst.need_category, -1)
    nr, ntok = _tokens(inst.need_skills_ptr, inst.need_skills, need_cat, cat_rank, S, need_rows)
    order = np.argsort(nr, kind="stable")
    nr, ntok = nr[order], ntok[order]
    acc = funding_compat_matrix()[inst.need_funding[nr]]  # (entries, F) bool
    e_idx, f_idx = np.nonzero(acc)
    return Prepared(
        remaining=remaining,
        active_needs=active_needs,
        active_offers=remaining > 0,
        cat_rank=cat_rank,
        n_tokens=S + len(cats),
        need_bits=skill_bitsets(inst.need_skills_ptr, inst.need_skills, N, S),
        offer_bits=skill_bitsets(inst.offer_skills_ptr, inst.offer_skills, M, S),
        need_nskills=np.diff(inst.need_skills_ptr),
        need_xyz=unit_vectors(inst.need_lat, inst.need_lon),
        offer_xyz=unit_vectors(inst.offer_lat, inst.offer_lon),
        offer_thr=chord2_of_km(inst.offer_radius_km) * (1 + 1e-12),
        onsite_cap=_ONSITE_CAPABLE[inst.offer_modality],
        remote_cap=_REMOTE_CAPABLE[inst.offer_modality],
        need_onsite=inst.onsite_mask(),
        need_rows=need_rows,
        ent_row=nr[e_idx],
        ent_tok=ntok[e_idx],
        ent_funding=f_idx.astype(np.int64),
    )


class EdgeSink:
    """Step 2, the skill join's filter: receives the raw (need, offer, token)
    pairs of a join, keeps each pair once (on its lowest shared token, tested
    with the skill bitsets, which also give the coverage), checks the time
    windows and the place, and collects the surviving edges."""

    def __init__(self, inst: Instance, prep: Prepared) -> None:
        self.inst = inst
        self.prep = prep
        self.single_word = prep.need_bits.shape[1] == 1
        self.raw_pairs = 0
        self.need: list[I32] = []
        self.offer: list[I32] = []
        self.chord2: list[F64] = []
        self.covered: list[I16] = []

    def emit(self, rows_n: I64, rows_o: I64, tok: I64, *, onsite: bool) -> None:
        """Filter and keep raw pairs.  ``onsite``: the pairs come from the on-site
        join (keep those within the offer's radius); otherwise from the remote
        join (drop those the on-site join already gives)."""
        inst, prep, S = self.inst, self.prep, self.inst.n_skills
        self.raw_pairs += len(rows_n)
        # lowest shared token only (de-duplication across tokens)
        if self.single_word:
            shared1 = prep.need_bits[rows_n, 0] & prep.offer_bits[rows_o, 0]
            # skill token: no shared skill below it; category token: no shared skill at all
            below = np.left_shift(np.uint64(1), np.minimum(tok, 63).astype(np.uint64)) - np.uint64(1)
            keep = np.where(tok < S, (shared1 & below) == 0, shared1 == 0)
            shared = shared1
        else:
            shared = prep.need_bits[rows_n] & prep.offer_bits[rows_o]
            low = _lowest_bit(shared, S)
            keep = np.where(tok < S, low == tok, low == S)
        # time windows overlap
        keep &= inst.need_start[rows_n] <= inst.offer_end[rows_o]
        keep &= inst.offer_start[rows_o] <= inst.need_end[rows_n]
        rows_n, rows_o = rows_n[keep], rows_o[keep]
        if self.single_word:  # one word: its bit count is the coverage
            cov = np.bitwise_count(shared[keep]).astype(np.int16)
        else:
            cov = np.bitwise_count(shared[keep]).sum(axis=1, dtype=np.int16)
        d = prep.need_xyz[rows_n] - prep.offer_xyz[rows_o]
        c2 = np.einsum("ij,ij->i", d, d)
        within = c2 <= prep.offer_thr[rows_o]
        if onsite:
            keep = within
        else:
            keep = ~(prep.onsite_cap[rows_o] & within & prep.need_onsite[rows_n])
        rows_n, rows_o, c2, cov = rows_n[keep], rows_o[keep], c2[keep], cov[keep]
        self.covered.append(cov)
        self.need.append(rows_n.astype(np.int32))
        self.offer.append(rows_o.astype(np.int32))
        self.chord2.append(c2)


@dataclass(frozen=True, eq=False)
class _Grid:
    """Step 3a's output: the cell of each need (``-1`` outside the run), and the
    on-site offer entries ``(cell, token, funding)`` as sorted integer keys."""

    cell_km: float
    need_cell: I64
    keys: I64
    offers: I64


def onsite_grid(inst: Instance, prep: Prepared, onsite_offers: I64, cell_km: float | None) -> _Grid:
    """Step 3a: a lat/lon grid over the needs (cells ≈ median radius / 4 unless
    ``cell_km`` is given, doubled until the grid has at most 4 M cells); each
    on-site offer is entered in every occupied cell of the bounding box of its
    radius disk, once per token."""
    N, M, S, T = inst.n_needs, inst.n_offers, inst.n_skills, prep.n_tokens
    need_rows = prep.need_rows
    radii = inst.offer_radius_km[onsite_offers]
    if cell_km is None:
        cell_km = float(np.clip(np.median(radii) / 4.0, 1.0, 200.0))
    lat_n = inst.need_lat[need_rows]
    lon_n = inst.need_lon[need_rows]
    lat0, lon0 = float(lat_n.min()), float(lon_n.min())
    mean_lat = float(np.clip(np.abs(lat_n).mean(), 0, 80))
    deg_km = np.pi * EARTH_RADIUS_KM / 180.0
    while True:
        dlat_c = cell_km / deg_km
        dlon_c = dlat_c / np.cos(np.radians(mean_lat))
        ni = int(np.floor((lat_n.max() - lat0) / dlat_c)) + 1
        nj = int(np.floor((lon_n.max() - lon0) / dlon_c)) + 1
        if ni * nj <= 4_000_000:
            break
        cell_km *= 2.0
    need_cell = np.full(N, -1, dtype=np.int64)
    need_cell[need_rows] = np.floor((lat_n - lat0) / dlat_c).astype(np.int64) * nj + np.floor(
        (lon_n - lon0) / dlon_c
    ).astype(np.int64)
    occupied = np.zeros(ni * nj, dtype=bool)
    occupied[need_cell[need_rows]] = True

    # bounding box (degrees) of each offer's radius disk
    lat_o = inst.offer_lat[onsite_offers]
    lon_o = inst.offer_lon[onsite_offers]
    ang = np.minimum(radii / EARTH_RADIUS_KM, np.pi)
    dlat = np.degrees(ang) + 1e-9
    cosl = np.cos(np.radians(lat_o))
    ratio = np.sin(np.minimum(ang, np.pi / 2)) / np.maximum(cosl, 1e-12)
    full_lon = (ratio >= 1.0) | (ang >= np.pi / 2)
    dlon = np.where(full_lon, 360.0, np.degrees(np.arcsin(np.minimum(ratio, 1.0))) + 1e-9)
    i0 = np.floor((lat_o - dlat - lat0) / dlat_c).astype(np.int64)
    i1 = np.floor((lat_o + dlat - lat0) / dlat_c).astype(np.int64)
    j0 = np.floor((lon_o - dlon - lon0) / dlon_c).astype(np.int64)
    j1 = np.floor((lon_o + dlon - lon0) / dlon_c).astype(np.int64)
    # longitude wrap-around: use the full grid width
    wrap = (lon_o - dlon < -180.0) | (lon_o + dlon > 180.0)
    j0 = np.where(wrap, 0, j0)
    j1 = np.where(wrap, nj - 1, j1)
    i0, i1 = np.clip(i0, 0, ni - 1), np.clip(i1, -1, ni - 1)
    j0, j1 = np.clip(j0, 0, nj - 1), np.clip(j1, -1, nj - 1)
    i0 = np.where(lat_o + dlat < lat0, ni, i0)  # box entirely south of the grid
    j0 = np.where((lon_o + dlon < lon0) & ~wrap, nj, j0)
    hi = np.maximum(i1 - i0 + 1, 0)
    wj = np.maximum(j1 - j0 + 1, 0)
    ncell = hi * wj
    ent = np.repeat(np.arange(len(onsite_offers)), ncell)
    k = np.arange(int(ncell.sum())) - np.repeat(np.cumsum(ncell) - ncell, ncell)
    wj_e = wj[ent]
    cell = (i0[ent] + k // wj_e) * nj + (j0[ent] + k % wj_e)
    ok = occupied[cell]
    off_cell_o = onsite_offers[ent[ok]]
    off_cell = cell[ok]
    del ent, k, wj_e, cell, ok
    # token entries of the offers
    o_rows, o_tok = _tokens(
        inst.offer_skills_ptr, inst.offer_skills, inst.offer_category, prep.cat_rank, S, np.arange(M)
    )
    o_tok_ptr = np.zeros(M + 1, dtype=np.int64)
    np.cumsum(np.bincount(o_rows, minlength=M), out=o_tok_ptr[1:])
    srt = np.argsort(o_rows, kind="stable")
    o_tok = o_tok[srt]
    nt = np.diff(o_tok_ptr)[off_cell_o]
    ent = np.repeat(np.arange(len(off_cell_o)), nt)
    pos = np.repeat(o_tok_ptr[off_cell_o], nt) + (np.arange(int(nt.sum())) - np.repeat(np.cumsum(nt) - nt, nt))
    e_off = off_cell_o[ent]
    e_key = (off_cell[ent] * T + o_tok[pos]) * _F + inst.offer_funding[e_off]
    del ent, pos
    srt = np.argsort(e_key, kind="stable")
    return _Grid(cell_km=cell_km, need_cell=need_cell, keys=e_key[srt], offers=e_off[srt])


def join_onsite(
    inst: Instance,
    prep: Prepared,
    sink: EdgeSink,
    *,
    cell_km: float | None,
    chunk_pairs: int,
    timings: dict[str, float],
) -> float:
    """Step 3: the on-site spatial join.  Need entries ``(cell, token, funding)``
    meet the offer entries of :func:`onsite_grid` through ``searchsorted``, in
    chunks of at most ``chunk_pairs`` raw pairs.  Returns the cell size used (0
    when there is nothing to join)."""
    onsite_offers = np.flatnonzero(prep.active_offers & prep.onsite_cap)
    if not (len(prep.need_rows) and len(onsite_offers)):
        return 0.0
    t1 = time.perf_counter()
    grid = onsite_grid(inst, prep, onsite_offers, cell_km)
    timings["grid"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    q_key = (grid.need_cell[prep.ent_row] * prep.n_tokens + prep.ent_tok) * _F + prep.ent_funding
    lo = np.searchsorted(grid.keys, q_key, side="left")
    cnt = np.searchsorted(grid.keys, q_key, side="right") - lo
    cnt[~prep.need_onsite[prep.ent_row]] = 0  # remote-only needs are never served on site
    for a, b in _chunks(cnt, chunk_pairs):
        ent, pos = _expand(lo[a:b], cnt[a:b])
        sink.emit(prep.ent_row[a:b][ent], grid.offers[pos], prep.ent_tok[a:b][ent], onsite=True)
    timings["join_onsite"] = time.perf_counter() - t2
    return grid.cell_km


def join_remote(inst: Instance, prep: Prepared, sink: EdgeSink, *, chunk_pairs: int) -> None:
    """Step 4: the remote join, without cells: entries of the needs accepting
    remote service meet the ``(token, funding)`` entries of the remote-capable
    offers (pairs the on-site join already gives are dropped by the sink)."""
    remote_offers = np.flatnonzero(prep.active_offers & prep.remote_cap)
    rq = inst.need_remote[prep.ent_row]
    if not (rq.any() and len(remote_offers)):
        return
    o_rows, o_tok = _tokens(
        inst.offer_skills_ptr, inst.offer_skills, inst.offer_category, prep.cat_rank, inst.n_skills, remote_offers
    )
    r_key = o_tok * _F + inst.offer_funding[o_rows]
    srt = np.argsort(r_key, kind="stable")
    r_key, r_off = r_key[srt], o_rows[srt]
    q_row, q_tok = prep.ent_row[rq], prep.ent_tok[rq]
    q_key = q_tok * _F + prep.ent_funding[rq]
    lo = np.searchsorted(r_key, q_key, side="left")
    cnt = np.searchsorted(r_key, q_key, side="right") - lo
    for a, b in _chunks(cnt, chunk_pairs):
        ent, pos = _expand(lo[a:b], cnt[a:b])
        sink.emit(q_row[a:b][ent], r_off[pos], q_tok[a:b][ent], onsite=False)
