"""Candidate generation: every (need, offer) pair that passes the hard rules.

Hard rules (all must hold):

1. *skills*: the offer covers at least one wanted skill, or the need's wanted
   category equals the offer's category;
2. *place*: on site — the offer is on-site capable (``onsite``/``both``) and the
   need lies within the offer's radius (great-circle distance) — or remote — the
   need accepts remote and the offer is remote capable (``remote``/``both``);
3. *funding*: the offer's funding mode is allowed by
   :data:`matching.model.FUNDING_COMPAT` for the need's mode;
4. *time*: the need's window and the offer's availability window overlap
   (inclusive day bounds, open ends allowed);
5. *capacity*: the offer has capacity left (after ``consumed`` and the fixed
   assignments);
6. *exclusions*: the pair is not explicitly excluded, and the offer's provider
   does not belong to the need's organisation.

Needs that carry a fixed assignment are left out of the run.

How it stays fast (no loop over needs × offers):

* skills and categories are *tokens*; each need emits one entry per token and
  per offer funding mode its own mode accepts; each on-site offer emits one entry
  per token and per grid cell of the bounding box of its radius disk;
* entries are joined on the integer key ``(cell, token, funding)`` through a
  sorted array and ``searchsorted``; the expansion is done in chunks of at most
  ``chunk_pairs`` raw pairs;
* a pair sharing several tokens is emitted once per token; only the emission on
  the lowest shared token is kept, tested with per-need/per-offer skill bitsets
  (``uint64`` words), which also give the skill coverage (``bitwise_count``);
* distances are compared as squared chords of unit vectors (no trigonometry on
  the pair level); remote pairs come from a second join without cells.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .geo import chord2_of_km, km_of_chord2, unit_vectors
from .model import EARTH_RADIUS_KM, Instance, funding_compat_matrix

_ONSITE_CAPABLE = np.array([True, False, True])  # by modality code
_REMOTE_CAPABLE = np.array([False, True, True])


@dataclass(frozen=True, eq=False)
class Candidates:
    """Candidate edges, grouped by need (``need_idx`` is non-decreasing).

    ``onsite``: on-site feasible (within radius, offer on-site capable);
    ``remote``: remote feasible.  ``coverage``: share of the need's wanted skills
    covered by the offer (1.0 for a need without skills, matched by category).
    ``need_ptr``: CSR pointers of the edges of need ``i`` in
    ``[need_ptr[i], need_ptr[i+1])``.  ``remaining``: capacity left per offer.
    ``active_needs``: needs in the run (not fixed).
    """

    need_idx: np.ndarray
    offer_idx: np.ndarray
    distance_km: np.ndarray
    onsite: np.ndarray
    remote: np.ndarray
    coverage: np.ndarray
    n_covered: np.ndarray
    need_ptr: np.ndarray
    remaining: np.ndarray
    active_needs: np.ndarray
    n_needs: int
    n_offers: int
    raw_pairs: int = 0
    cell_km: float = 0.0
    timings: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.need_idx)

    @property
    def n_edges(self) -> int:
        return len(self.need_idx)

    def subset(self, mask: np.ndarray) -> Candidates:
        """Keep the edges where ``mask`` is true (ordering preserved)."""
        ni = self.need_idx[mask]
        ptr = np.zeros(self.n_needs + 1, dtype=np.int64)
        np.cumsum(np.bincount(ni, minlength=self.n_needs), out=ptr[1:])
        return Candidates(
            need_idx=ni,
            offer_idx=self.offer_idx[mask],
            distance_km=self.distance_km[mask],
            onsite=self.onsite[mask],
            remote=self.remote[mask],
            coverage=self.coverage[mask],
            n_covered=self.n_covered[mask],
            need_ptr=ptr,
            remaining=self.remaining,
            active_needs=self.active_needs,
            n_needs=self.n_needs,
            n_offers=self.n_offers,
            raw_pairs=self.raw_pairs,
            cell_km=self.cell_km,
            timings=dict(self.timings),
        )


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


def _excluded_mask(inst: Instance, need_idx: np.ndarray, offer_idx: np.ndarray) -> np.ndarray | None:
    """Edges excluded explicitly or because the provider belongs to the need's
    organisation (``None`` when nothing is excluded).  Only the edges whose need
    appears in an excluded pair, or whose provider belongs to some organisation,
    are looked at closely."""
    M = inst.n_offers
    drop = None
    if len(inst.excluded) and len(need_idx):
        flag = np.zeros(inst.n_needs, dtype=bool)
        flag[inst.excluded[:, 0]] = True
        sub = np.flatnonzero(flag[need_idx])
        if len(sub):
            ex = np.unique(inst.excluded[:, 0] * M + inst.excluded[:, 1])
            key = need_idx[sub].astype(np.int64) * M + offer_idx[sub]
            pos = np.minimum(np.searchsorted(ex, key), len(ex) - 1)
            hit = sub[ex[pos] == key]
            if len(hit):
                drop = np.zeros(len(need_idx), dtype=bool)
                drop[hit] = True
    if len(inst.provider_orgs) and len(need_idx):
        has_org = np.diff(inst.provider_org_ptr) > 0
        sub = np.flatnonzero(has_org[inst.offer_provider[offer_idx]] & (inst.need_org[need_idx] >= 0))
        if len(sub):
            org_vals = np.unique(inst.provider_orgs)
            prov_rows = np.repeat(np.arange(inst.n_providers), np.diff(inst.provider_org_ptr))
            pk = np.unique(prov_rows * len(org_vals) + np.searchsorted(org_vals, inst.provider_orgs))
            norg = inst.need_org[need_idx[sub]]
            r = np.minimum(np.searchsorted(org_vals, norg), len(org_vals) - 1)
            member = org_vals[r] == norg
            key = inst.offer_provider[offer_idx[sub]] * len(org_vals) + r
            pos = np.minimum(np.searchsorted(pk, key), len(pk) - 1)
            hit = sub[member & (pk[pos] == key)]
            if len(hit):
                if drop is None:
                    drop = np.zeros(len(need_idx), dtype=bool)
                drop[hit] = True
    return drop


# --------------------------------------------------------------------------
# join helpers
# --------------------------------------------------------------------------


def _tokens(ptr, skills, category, cat_rank, n_skills, rows):
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


def _expand(lo: np.ndarray, cnt: np.ndarray):
    """Indices ``lo[i] + 0..cnt[i]-1`` concatenated, and the entry of each."""
    total = int(cnt.sum())
    ent = np.repeat(np.arange(len(cnt)), cnt)
    within = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    return ent, lo[ent] + within


def _chunks(cnt: np.ndarray, chunk_pairs: int):
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
# main entry point
# --------------------------------------------------------------------------


def build_candidates(
    inst: Instance,
    *,
    cell_km: float | None = None,
    chunk_pairs: int = 2_000_000,
) -> Candidates:
    """Enumerate all feasible (need, offer) pairs of ``inst`` (see module doc)."""
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    N, M, S = inst.n_needs, inst.n_offers, inst.n_skills
    remaining = inst.remaining_capacity()
    active_needs = np.ones(N, dtype=bool)
    if len(inst.fixed):
        active_needs[inst.fixed[:, 0]] = False
    active_offers = remaining > 0

    # skills as tokens: skill ids, then categories (compacted) after them
    cats = np.unique(np.concatenate([inst.need_category, inst.offer_category]))
    cats = cats[cats >= 0]
    if len(cats):
        cat_rank_arr = np.full(int(cats.max()) + 1, -1, dtype=np.int64)
        cat_rank_arr[cats] = np.arange(len(cats))
    else:
        cat_rank_arr = np.zeros(1, dtype=np.int64)
    T = S + len(cats)
    F = 3
    compat = funding_compat_matrix()

    need_bits = skill_bitsets(inst.need_skills_ptr, inst.need_skills, N, S)
    offer_bits = skill_bitsets(inst.offer_skills_ptr, inst.offer_skills, M, S)
    need_nskills = np.diff(inst.need_skills_ptr)
    single_word = need_bits.shape[1] == 1

    need_xyz = unit_vectors(inst.need_lat, inst.need_lon)
    offer_xyz = unit_vectors(inst.offer_lat, inst.offer_lon)
    offer_thr = chord2_of_km(inst.offer_radius_km) * (1 + 1e-12)
    onsite_cap = _ONSITE_CAPABLE[inst.offer_modality]
    remote_cap = _REMOTE_CAPABLE[inst.offer_modality]

    # need token entries expanded by the offer funding modes each need accepts
    need_rows = np.flatnonzero(active_needs)
    nr, ntok = _tokens(inst.need_skills_ptr, inst.need_skills, inst.need_category, cat_rank_arr, S, need_rows)
    order = np.argsort(nr, kind="stable")
    nr, ntok = nr[order], ntok[order]
    acc = compat[inst.need_funding[nr]]  # (entries, F) bool
    e_idx, f_idx = np.nonzero(acc)
    need_ent_row = nr[e_idx]
    need_ent_tok = ntok[e_idx]
    need_ent_f = f_idx.astype(np.int64)
    timings["prepare"] = time.perf_counter() - t0

    out_n, out_o, out_c2, out_cov = [], [], [], []
    raw_pairs = 0

    def emit(rows_n, rows_o, tok, check_onsite: bool, exclude_onsite: bool):
        nonlocal raw_pairs
        raw_pairs += len(rows_n)
        # lowest shared token only (de-duplication across tokens)
        if single_word:
            shared = need_bits[rows_n, 0] & offer_bits[rows_o, 0]
            # skill token: no shared skill below it; category token: no shared skill at all
            below = np.left_shift(np.uint64(1), np.minimum(tok, 63).astype(np.uint64)) - np.uint64(1)
            keep = np.where(tok < S, (shared & below) == 0, shared == 0)
            shared = shared[:, None]
        else:
            shared = need_bits[rows_n] & offer_bits[rows_o]
            low = _lowest_bit(shared, S)
            keep = np.where(tok < S, low == tok, low == S)
        # time windows overlap
        keep &= inst.need_start[rows_n] <= inst.offer_end[rows_o]
        keep &= inst.offer_start[rows_o] <= inst.need_end[rows_n]
        rows_n, rows_o = rows_n[keep], rows_o[keep]
        cov = np.bitwise_count(shared[keep]).sum(axis=1, dtype=np.int16)
        d = need_xyz[rows_n] - offer_xyz[rows_o]
        c2 = np.einsum("ij,ij->i", d, d)
        if check_onsite:
            keep = c2 <= offer_thr[rows_o]
        elif exclude_onsite:
            keep = ~(onsite_cap[rows_o] & (c2 <= offer_thr[rows_o]) & need_onsite[rows_n])
        else:
            keep = None
        if keep is not None:
            rows_n, rows_o, c2, cov = rows_n[keep], rows_o[keep], c2[keep], cov[keep]
        out_cov.append(cov)
        out_n.append(rows_n.astype(np.int32))
        out_o.append(rows_o.astype(np.int32))
        out_c2.append(c2)

    # ---------------- on-site join (spatial grid) ----------------
    t1 = time.perf_counter()
    need_onsite = inst.onsite_mask()
    onsite_offers = np.flatnonzero(active_offers & onsite_cap)
    used_cell_km = 0.0
    if len(need_rows) and len(onsite_offers):
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
        used_cell_km = cell_km
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
            inst.offer_skills_ptr, inst.offer_skills, inst.offer_category, cat_rank_arr, S, np.arange(M)
        )
        o_tok_ptr = np.zeros(M + 1, dtype=np.int64)
        np.cumsum(np.bincount(o_rows, minlength=M), out=o_tok_ptr[1:])
        srt = np.argsort(o_rows, kind="stable")
        o_tok = o_tok[srt]
        nt = np.diff(o_tok_ptr)[off_cell_o]
        ent = np.repeat(np.arange(len(off_cell_o)), nt)
        pos = np.repeat(o_tok_ptr[off_cell_o], nt) + (np.arange(int(nt.sum())) - np.repeat(np.cumsum(nt) - nt, nt))
        e_off = off_cell_o[ent]
        e_key = (off_cell[ent] * T + o_tok[pos]) * F + inst.offer_funding[e_off]
        del ent, pos
        srt = np.argsort(e_key, kind="stable")
        e_key, e_off = e_key[srt], e_off[srt]
        timings["grid"] = time.perf_counter() - t1

        t2 = time.perf_counter()
        q_key = (need_cell[need_ent_row] * T + need_ent_tok) * F + need_ent_f
        lo = np.searchsorted(e_key, q_key, side="left")
        cnt = np.searchsorted(e_key, q_key, side="right") - lo
        cnt[~need_onsite[need_ent_row]] = 0  # remote-only needs are never served on site
        for a, b in _chunks(cnt, chunk_pairs):
            ent, pos = _expand(lo[a:b], cnt[a:b])
            emit(need_ent_row[a:b][ent], e_off[pos], need_ent_tok[a:b][ent], True, False)
        timings["join_onsite"] = time.perf_counter() - t2

    # ---------------- remote join ----------------
    t3 = time.perf_counter()
    remote_offers = np.flatnonzero(active_offers & remote_cap)
    rq = inst.need_remote[need_ent_row]
    if rq.any() and len(remote_offers):
        o_rows, o_tok = _tokens(
            inst.offer_skills_ptr, inst.offer_skills, inst.offer_category, cat_rank_arr, S, remote_offers
        )
        r_key = o_tok * F + inst.offer_funding[o_rows]
        srt = np.argsort(r_key, kind="stable")
        r_key, r_off = r_key[srt], o_rows[srt]
        q_row, q_tok = need_ent_row[rq], need_ent_tok[rq]
        q_key = q_tok * F + need_ent_f[rq]
        lo = np.searchsorted(r_key, q_key, side="left")
        cnt = np.searchsorted(r_key, q_key, side="right") - lo
        for a, b in _chunks(cnt, chunk_pairs):
            ent, pos = _expand(lo[a:b], cnt[a:b])
            emit(q_row[a:b][ent], r_off[pos], q_tok[a:b][ent], False, True)
    timings["join_remote"] = time.perf_counter() - t3

    # ---------------- assemble, group by need, exclusions ----------------
    t4 = time.perf_counter()
    if out_n:
        need_idx = np.concatenate(out_n)
        offer_idx = np.concatenate(out_o)
        c2 = np.concatenate(out_c2)
        n_cov = np.concatenate(out_cov)
    else:
        need_idx = np.zeros(0, np.int32)
        offer_idx = np.zeros(0, np.int32)
        c2 = np.zeros(0)
        n_cov = np.zeros(0, np.int16)
    del out_n, out_o, out_c2, out_cov
    if len(need_idx) and np.any(np.diff(need_idx) < 0):
        order = np.argsort(need_idx, kind="stable")  # merges sorted runs
        need_idx, offer_idx, c2, n_cov = need_idx[order], offer_idx[order], c2[order], n_cov[order]
        del order

    drop = _excluded_mask(inst, need_idx, offer_idx)
    if drop is not None:
        keep = ~drop
        need_idx, offer_idx, c2, n_cov = need_idx[keep], offer_idx[keep], c2[keep], n_cov[keep]

    distance = km_of_chord2(c2)
    onsite = onsite_cap[offer_idx] & (c2 <= offer_thr[offer_idx]) & need_onsite[need_idx]
    remote = inst.need_remote[need_idx] & remote_cap[offer_idx]
    nsk = need_nskills[need_idx]
    coverage = np.where(nsk > 0, n_cov / np.maximum(nsk, 1), 1.0)
    need_ptr = np.zeros(N + 1, dtype=np.int64)
    np.cumsum(np.bincount(need_idx, minlength=N), out=need_ptr[1:])
    timings["assemble"] = time.perf_counter() - t4
    timings["total"] = time.perf_counter() - t0
    return Candidates(
        need_idx=need_idx,
        offer_idx=offer_idx,
        distance_km=distance,
        onsite=onsite,
        remote=remote,
        coverage=coverage,
        n_covered=n_cov.astype(np.int16),
        need_ptr=need_ptr,
        remaining=remaining,
        active_needs=active_needs,
        n_needs=N,
        n_offers=M,
        raw_pairs=raw_pairs,
        cell_km=used_cell_km,
        timings=timings,
    )
