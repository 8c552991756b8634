"""Exact maximum-score b-matching as a min-cost flow (OR-Tools SimpleMinCostFlow).

Graph: every need with candidates is a node with supply 1; the sink has demand
``-n_needs``.  Arcs: need -> offer (capacity 1, cost ``-score_int``) for every
candidate with a positive score, need -> sink (capacity 1, cost 0: the *bypass*
that leaves the need unmatched), offer -> sink (capacity = remaining capacity,
cost 0).  Each need's unit of flow goes either through one offer (gaining its
score) or through the bypass (gaining nothing), so a min-cost flow is exactly a
maximum-score matching where needs may stay unmatched — unlike "max flow, then
min cost", which would first maximise the number of matched needs.
Edges with score 0 are left out: they tie with the bypass.
"""

from __future__ import annotations

import time

import numpy as np
from ortools.graph.python import min_cost_flow

from ..candidates import Candidates
from ..scoring import Scores
from .base import SolveResult, assignments_from_selected

_STATUS = {
    "OPTIMAL": "OPTIMAL",
    "FEASIBLE": "FEASIBLE",
    "INFEASIBLE": "INFEASIBLE",
    "NOT_SOLVED": "UNKNOWN",
    "UNBALANCED": "MODEL_INVALID",
    "BAD_RESULT": "MODEL_INVALID",
    "BAD_COST_RANGE": "MODEL_INVALID",
    "BAD_CAPACITY_RANGE": "MODEL_INVALID",
}


def flow_select(
    need_idx: np.ndarray,
    offer_idx: np.ndarray,
    score_int: np.ndarray,
    remaining: np.ndarray,
    n_needs: int,
    n_offers: int,
) -> tuple[str, np.ndarray, dict[str, float]]:
    """The min-cost flow on the given edges (all with a positive score and an offer with capacity left):
    ``(status, positions of the chosen edges, timings)``."""
    t0 = time.perf_counter()
    ni, oi = need_idx, offer_idx
    timings: dict[str, float] = {}
    # compact node numbering (bincount ranks, no sort)
    n_count = np.bincount(ni, minlength=n_needs)
    o_count = np.bincount(oi, minlength=n_offers)
    n_rank = np.cumsum(n_count > 0, dtype=np.int32) - 1
    o_rank_all = np.cumsum(o_count > 0, dtype=np.int32) - 1
    offers_u = np.flatnonzero(o_count)
    nu, no, E = int(n_rank[-1]) + 1 if n_needs else 0, len(offers_u), len(ni)
    sink = nu + no
    ocap = np.minimum(remaining[offers_u], o_count[offers_u])
    # arcs: [need -> offer] * E, [need -> sink] * nu, [offer -> sink] * no
    A = E + nu + no
    tails = np.empty(A, dtype=np.int32)
    heads = np.empty(A, dtype=np.int32)
    caps = np.ones(A, dtype=np.int64)
    costs = np.zeros(A, dtype=np.int64)
    tails[:E] = n_rank[ni]
    heads[:E] = o_rank_all[oi]
    heads[:E] += nu
    np.negative(score_int, out=costs[:E])
    tails[E : E + nu] = np.arange(nu, dtype=np.int32)
    heads[E:] = sink
    tails[E + nu :] = np.arange(nu, nu + no, dtype=np.int32)
    caps[E + nu :] = ocap
    del n_count, o_count, n_rank, o_rank_all
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    del tails, heads, caps, costs
    supplies = np.zeros(nu + no + 1, dtype=np.int64)
    supplies[:nu] = 1
    supplies[sink] = -nu
    smcf.set_nodes_supplies(np.arange(nu + no + 1, dtype=np.int32), supplies)
    timings["build"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    st = smcf.solve()
    timings["solve"] = time.perf_counter() - t1
    status = _STATUS.get(st.name if hasattr(st, "name") else str(st), "UNKNOWN")
    if status != "OPTIMAL":
        return status, np.zeros(0, np.int64), timings
    flows = smcf.flows(np.arange(E, dtype=np.int32))
    return status, np.flatnonzero(flows > 0), timings


def solve_flow(
    cand: Candidates, scores: Scores, *, remaining: np.ndarray | None = None, edge_mask: np.ndarray | None = None
) -> SolveResult:
    """Solve the b-matching exactly on the candidate edges (or the masked subset)."""
    t0 = time.perf_counter()
    remaining = cand.remaining if remaining is None else remaining
    usable = scores.score_int > 0
    if edge_mask is not None:
        usable &= edge_mask
    usable &= remaining[cand.offer_idx] > 0
    eidx = np.flatnonzero(usable)
    if len(eidx) == 0:
        return SolveResult(
            "flow",
            "OPTIMAL",
            0.0,
            0.0,
            time.perf_counter() - t0,
            {},
            np.zeros(0, np.int64),
            {"build": 0.0, "solve": 0.0},
        )
    status, chosen, timings = flow_select(
        cand.need_idx[eidx], cand.offer_idx[eidx], scores.score_int[eidx], remaining, cand.n_needs, cand.n_offers
    )
    if status != "OPTIMAL":
        return SolveResult(
            "flow",
            status,
            0.0,
            None,
            time.perf_counter() - t0,
            {},
            np.zeros(0, np.int64),
            timings,
            n_model_edges=len(eidx),
        )
    selected = eidx[chosen]
    objective = float(scores.score[selected].sum())
    t2 = time.perf_counter()
    assignments = assignments_from_selected(cand.need_idx, cand.offer_idx, selected)
    timings["extract"] = time.perf_counter() - t2
    # optimal for the integer scores (score_int); the bound is the objective itself
    return SolveResult(
        "flow",
        "OPTIMAL",
        objective,
        objective,
        time.perf_counter() - t0,
        assignments,
        selected,
        timings,
        n_model_edges=len(eidx),
    )
