"""Priced pruning: solve the b-matching on a bounded working set of edges, prove optimality on all of them.

1. Working set: the ``k_need`` best edges of each need, plus, for each offer, its best
   ``k_offer × remaining capacity`` edges (so that an offer can use its capacity).
2. Solve the working set exactly (:func:`~matching.solvers.flow.solve_flow`).
3. Node potentials ``d`` of the optimal flow: shortest distances in its residual graph from a virtual
   root (vectorised Bellman–Ford; the residual graph of an optimal flow has no negative cycle).
4. Price every edge left out, in blocks (nothing stored but the ones that price out): the residual arc
   ``n -> o`` of an unused edge costs ``-score``, its reduced cost is ``-score + d(n) - d(o)``.  When none is
   negative, ``d`` is a feasible potential of the residual graph of the *full* candidate set too, so the flow
   is optimal on every edge: status ``OPTIMAL`` with the note ``optimal (priced)``.  Otherwise the negative
   ones join the working set and the loop goes back to 2.
5. Every round also yields a valid upper bound on the full set, the dual objective
   ``Σ_n u_n + Σ_o remaining_o · v_o`` with ``v_o = max(0, d(T) - d(o))`` and
   ``u_n = max(0, max_o (score - v_o))`` over all the need's edges: when a budget (``max_rounds``,
   ``time_limit``) stops the loop, the status is ``FEASIBLE`` with that bound (the gap).

Keep :func:`solve_flow` on all edges as the reference (the tests compare both).
"""

from __future__ import annotations

import time

import numpy as np

from ..candidates import Candidates
from ..notes import Note
from ..scoring import SCORE_SCALE, Scores
from .base import SolveResult
from .flow import solve_flow


def _top_per_group(group: np.ndarray, key: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Indices (into ``group``) of the ``limit[g]`` largest ``key`` (integers in ``[0, 2**31)``) of each
    group ``g``: one sort of a composite int64 key (group, -key)."""
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    composite = group.astype(np.int64) << 31
    composite += (2**31 - 1) - key.astype(np.int64)
    order = np.argsort(composite)
    del composite
    g = group[order]
    rank = group_ranks(g)
    out: np.ndarray = order[rank < limit[g]]
    return out


def group_ranks(g: np.ndarray) -> np.ndarray:
    """Rank of each item within its run of equal values of ``g`` (sorted): 0, 1, 2, ... (linear time)."""
    n = len(g)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    return np.arange(n, dtype=np.int64) - np.repeat(starts, np.diff(np.r_[starts, n]))


def working_set(cand: Candidates, scores: Scores, usable: np.ndarray, *, k_need: int, k_offer: float) -> np.ndarray:
    """Boolean mask of the initial working set (see module doc)."""
    eidx = np.flatnonzero(usable)
    keep = np.zeros(len(cand), dtype=bool)
    s = scores.score_int[eidx]
    per_need = np.full(cand.n_needs, k_need, dtype=np.int64)
    keep[eidx[_top_per_group(cand.need_idx[eidx].astype(np.int64), s, per_need)]] = True
    per_offer = np.ceil(k_offer * np.maximum(cand.remaining, 0)).astype(np.int64)
    keep[eidx[_top_per_group(cand.offer_idx[eidx].astype(np.int64), s, per_offer)]] = True
    return keep


def residual_potentials(
    cand: Candidates, scores: Scores, ws: np.ndarray, selected: np.ndarray, *, max_iter: int | None = None
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Shortest distances from a virtual root in the residual graph of the flow ``selected`` on the
    working set ``ws``: ``(d_need, d_offer, d_sink, iterations)`` (integer costs, ``-score_int`` on an
    unused need -> offer arc)."""
    N, M = cand.n_needs, cand.n_offers
    T = N + M
    eidx = np.flatnonzero(ws)
    used = np.zeros(len(cand), dtype=bool)
    used[selected] = True
    u = used[eidx]
    n_node = cand.need_idx[eidx].astype(np.int64)
    o_node = N + cand.offer_idx[eidx].astype(np.int64)
    s = scores.score_int[eidx].astype(np.int64)
    # need -> offer (unused, cost -s) or offer -> need (used, cost +s)
    tail = [np.where(u, o_node, n_node)]
    head = [np.where(u, n_node, o_node)]
    cost = [np.where(u, s, -s)]
    matched = np.zeros(N, dtype=bool)
    matched[cand.need_idx[selected]] = True
    needs = np.arange(N)
    # bypass: need -> sink while unused (the need is matched), sink -> need once used
    tail.append(np.where(matched, needs, T))
    head.append(np.where(matched, T, needs))
    cost.append(np.zeros(N, dtype=np.int64))
    load = np.bincount(cand.offer_idx[selected], minlength=M)
    rem = np.maximum(cand.remaining, 0)
    offers = N + np.arange(M)
    spare = load < rem
    tail.append(offers[spare])
    head.append(np.full(int(spare.sum()), T))
    cost.append(np.zeros(int(spare.sum()), dtype=np.int64))
    busy = load > 0
    tail.append(np.full(int(busy.sum()), T))
    head.append(offers[busy])
    cost.append(np.zeros(int(busy.sum()), dtype=np.int64))
    ta, he, co = np.concatenate(tail), np.concatenate(head), np.concatenate(cost)
    d = np.zeros(T + 1, dtype=np.int64)  # root -> every node at cost 0
    limit = max_iter if max_iter is not None else T + 2
    it = 0
    while it < limit:
        it += 1
        relaxed = d[ta] + co
        better = relaxed < d[he]
        if not better.any():
            break
        np.minimum.at(d, he[better], relaxed[better])
    else:
        raise RuntimeError("negative cycle in the residual graph: the flow is not optimal")
    return d[:N], d[N:T], int(d[T]), it


def solve_priced(
    cand: Candidates,
    scores: Scores,
    *,
    k_need: int = 16,
    k_offer: float = 3.0,
    max_rounds: int = 30,
    time_limit: float | None = None,
    block: int = 4_000_000,
    max_added: int | None = None,
    add_per_need: int | None = 8,
) -> SolveResult:
    """Exact b-matching on all candidate edges through a working set and pricing (see module doc)."""
    return priced_working_set(
        cand,
        scores,
        k_need=k_need,
        k_offer=k_offer,
        max_rounds=max_rounds,
        time_limit=time_limit,
        block=block,
        max_added=max_added,
        add_per_need=add_per_need,
    )[0]


def priced_working_set(
    cand: Candidates,
    scores: Scores,
    *,
    k_need: int = 16,
    k_offer: float = 3.0,
    max_rounds: int = 30,
    time_limit: float | None = None,
    block: int = 4_000_000,
    max_added: int | None = None,
    add_per_need: int | None = 8,
) -> tuple[SolveResult, np.ndarray]:
    """:func:`solve_priced` and its final working set (a boolean mask of the edges): when the result is
    ``OPTIMAL``, every edge outside it prices out against the flow's optimal duals."""
    t0 = time.perf_counter()
    usable = (scores.score_int > 0) & (cand.remaining[cand.offer_idx] > 0)
    n_usable = int(usable.sum())
    ws = working_set(cand, scores, usable, k_need=k_need, k_offer=k_offer)
    timings: dict[str, float] = {"working_set": time.perf_counter() - t0}
    rounds = 0
    added_total = 0
    res = solve_flow(cand, scores, edge_mask=ws)
    proven = False
    upper: float | None = None
    t_solve = res.seconds
    t_price = 0.0
    while True:
        rounds += 1
        tp = time.perf_counter()
        d_need, d_offer, d_sink, _it = residual_potentials(cand, scores, ws, res.selected)
        v = np.maximum(0, d_sink - d_offer)  # offer duals
        u = np.zeros(cand.n_needs, dtype=np.int64)  # need duals over all edges
        pos_e: list[np.ndarray] = []
        pos_rc: list[np.ndarray] = []
        for a in range(0, len(cand), block):
            b = min(a + block, len(cand))
            ok = usable[a:b]
            ni = cand.need_idx[a:b]
            oi = cand.offer_idx[a:b]
            s = scores.score_int[a:b].astype(np.int64)
            gain = np.where(ok, s - v[oi], 0)
            starts = np.flatnonzero(np.r_[True, ni[1:] != ni[:-1]])  # edges are grouped by need
            np.maximum.at(u, ni[starts], np.maximum.reduceat(gain, starts))
            rc = -s + d_need[ni] - d_offer[oi]
            bad = ok & ~ws[a:b] & (rc < 0)
            if bad.any():
                idx = np.flatnonzero(bad)
                pos_e.append(a + idx)
                pos_rc.append(rc[idx])
        upper_int = int(u.sum() + (np.maximum(cand.remaining, 0) * v).sum())
        upper = upper_int / SCORE_SCALE
        t_price += time.perf_counter() - tp
        n_bad = sum(len(x) for x in pos_e)
        if n_bad == 0:
            proven = True
            break
        if rounds >= max_rounds or (time_limit is not None and time.perf_counter() - t0 > time_limit):
            break
        add = np.concatenate(pos_e)
        rc_all = np.concatenate(pos_rc)
        if add_per_need is not None:  # the most negative few of each need (edges are grouped by need)
            pick = _top_per_group(
                cand.need_idx[add].astype(np.int64), -rc_all - rc_all.min(), _full(cand.n_needs, add_per_need)
            )
            add, rc_all = add[pick], rc_all[pick]
        if max_added is not None and len(add) > max_added:
            add = add[np.argsort(rc_all, kind="stable")[:max_added]]
        ws[add] = True
        added_total += len(add)
        res = solve_flow(cand, scores, edge_mask=ws)
        t_solve += res.seconds
    timings.update({"solve": t_solve, "pricing": t_price, "total": time.perf_counter() - t0})
    kept = int(ws.sum())
    objective = res.objective
    notes: tuple[Note, ...] = ()
    if proven:
        notes = (Note("priced.optimal", {"rounds": rounds, "kept": kept, "usable": int(n_usable)}),)
    elif upper is not None:
        notes = (Note("priced.stopped", {"rounds": rounds, "gap": float(upper - objective)}),)
    result = SolveResult(
        "priced",
        "OPTIMAL" if proven else "FEASIBLE",
        objective,
        objective if proven else max(objective, upper or objective),
        time.perf_counter() - t0,
        res.assignments,
        res.selected,
        {**timings, "rounds": float(rounds), "kept": float(kept), "added": float(added_total)},
        n_model_edges=kept,
        notes=notes,
    )
    return result, ws


def _full(n: int, value: int) -> np.ndarray:
    return np.full(n, value, dtype=np.int64)
