"""Candidate generation: every (need, offer) pair that passes the hard rules.

Hard rules (all must hold):

1. *skills*: the offer covers at least one wanted skill, or the need's wanted
   category equals the offer's category and the need may be served on its
   category alone (it wants no skill, or it accepts "category only":
   ``need_category_only``);
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
   does not belong to the need's organisation;
7. *charter*: a need that takes labelled providers only (``need_charter`` "only")
   gets only offers whose charter value (their own label, else their provider's,
   :meth:`~matching.model.Instance.offer_charter_values`) is above 0.

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

The steps (each a function with its own docstring): :func:`~matching.joins.prepare_tokens`,
the skill join's filter :class:`~matching.joins.EdgeSink`, the on-site spatial join
:func:`~matching.joins.join_onsite` (grid: :func:`~matching.joins.onsite_grid`), the remote
join :func:`~matching.joins.join_remote` (all in :mod:`matching.joins`), then :func:`assemble`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .geo import km_of_chord2
from .joins import EdgeSink, Prepared, join_onsite, join_remote, prepare_tokens
from .model import F64, I16, I32, Instance


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
    timings: dict[str, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.need_idx)

    @property
    def n_edges(self) -> int:
        return len(self.need_idx)


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


def assemble(inst: Instance, prep: Prepared, sink: EdgeSink, *, cell_km: float) -> Candidates:
    """Step 5: concatenate the sink's edges, group them by need, drop the
    excluded pairs, and derive distance, modes and coverage."""
    if sink.need:
        need_idx = np.concatenate(sink.need)
        offer_idx = np.concatenate(sink.offer)
        c2 = np.concatenate(sink.chord2)
        n_cov = np.concatenate(sink.covered)
    else:
        need_idx = np.zeros(0, np.int32)
        offer_idx = np.zeros(0, np.int32)
        c2 = np.zeros(0)
        n_cov = np.zeros(0, np.int16)
    sink.need, sink.offer, sink.chord2, sink.covered = [], [], [], []
    if len(need_idx) and np.any(np.diff(need_idx) < 0):
        order = np.argsort(need_idx, kind="stable")  # merges sorted runs
        need_idx, offer_idx, c2, n_cov = need_idx[order], offer_idx[order], c2[order], n_cov[order]
        del order
    return finish_edges(inst, prep, need_idx, offer_idx, c2, n_cov, raw_pairs=sink.raw_pairs, cell_km=cell_km)


def finish_edges(
    inst: Instance,
    prep: Prepared,
    need_idx: I32,
    offer_idx: I32,
    c2: F64,
    n_cov: I16,
    *,
    raw_pairs: int,
    cell_km: float,
) -> Candidates:
    """The end of step 5 on filtered edges grouped by need (squared chords ``c2``, covered skills
    ``n_cov``): drop the excluded pairs, and derive distance, modes and coverage."""
    drop = _excluded_mask(inst, need_idx, offer_idx)
    only = inst.charter_only_mask()
    if only.any() and len(need_idx):
        unlabelled = only[need_idx] & (inst.offer_charter_values()[offer_idx] <= 0.0)
        drop = unlabelled if drop is None else drop | unlabelled
    if drop is not None:
        keep = ~drop
        need_idx, offer_idx, c2, n_cov = need_idx[keep], offer_idx[keep], c2[keep], n_cov[keep]

    N = inst.n_needs
    onsite = prep.onsite_cap[offer_idx] & (c2 <= prep.offer_thr[offer_idx]) & prep.need_onsite[need_idx]
    nsk = prep.need_nskills[need_idx]
    need_ptr = np.zeros(N + 1, dtype=np.int64)
    np.cumsum(np.bincount(need_idx, minlength=N), out=need_ptr[1:])
    return Candidates(
        need_idx=need_idx,
        offer_idx=offer_idx,
        distance_km=km_of_chord2(c2),
        onsite=onsite,
        remote=inst.need_remote[need_idx] & prep.remote_cap[offer_idx],
        coverage=np.where(nsk > 0, n_cov / np.maximum(nsk, 1), 1.0),
        n_covered=n_cov.astype(np.int16),
        need_ptr=need_ptr,
        remaining=prep.remaining,
        active_needs=prep.active_needs,
        n_needs=N,
        n_offers=inst.n_offers,
        raw_pairs=raw_pairs,
        cell_km=cell_km,
    )


# --------------------------------------------------------------------------
# main entry point
# --------------------------------------------------------------------------


def build_candidates(
    inst: Instance,
    *,
    cell_km: float | None = None,
    chunk_pairs: int = 2_000_000,
) -> Candidates:
    """Enumerate all feasible (need, offer) pairs of ``inst`` (see module doc):
    :func:`prepare_tokens`, then the on-site (:func:`join_onsite`) and remote
    (:func:`join_remote`) joins, whose raw pairs an :class:`EdgeSink` filters,
    then :func:`assemble`.  ``timings`` holds each step's seconds."""
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    prep = prepare_tokens(inst)
    sink = EdgeSink(inst, prep)
    timings["prepare"] = time.perf_counter() - t0

    used_cell_km = join_onsite(inst, prep, sink, cell_km=cell_km, chunk_pairs=chunk_pairs, timings=timings)

    t3 = time.perf_counter()
    join_remote(inst, prep, sink, chunk_pairs=chunk_pairs)
    timings["join_remote"] = time.perf_counter() - t3

    t4 = time.perf_counter()
    cand = assemble(inst, prep, sink, cell_km=used_cell_km)
    timings["assemble"] = time.perf_counter() - t4
    timings["total"] = time.perf_counter() - t0
    cand.timings.update(timings)
    return cand
