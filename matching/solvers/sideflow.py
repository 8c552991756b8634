"""Territory share and minimum per département as a min-cost flow, on every candidate edge.

The plain flow (:mod:`matching.solvers.flow`) is extended with two gadgets:

* **minimum per département** — each need's *bypass* (stay unmatched) goes through a node ``B(d)`` of its
  département whose arc to the sink carries at most ``n_d - min_d`` units (``n_d``: the département's needs
  with a usable edge), so at least ``min_d`` of them are matched.  Exact.
* **territory share** — an edge ``n -> o`` enters a node ``Y(o, d)`` (the offer seen from the need's
  département ``d``); the ``Y`` of one (département, provider) go through ``G(d, p)``, whose inner arc
  carries at most ``cap(d, p) = max(territory_min_cap, floor(share * n_d))`` units (``n_d`` counting the
  département's needs in the run, as CP-SAT and the checker do); ``G(d, p)`` then feeds the offers
  ``C(o)`` of ``p`` that ``d`` has edges to, and ``C(o)`` the sink with the offer's remaining capacity.

Why the territory gadget is exact only in part: a (département, provider) cap and an offer's capacity are
two *crossing* families of edge sets (an edge lies in one of each, neither family nests in the other), and
a path can keep track of one of them only.  Behind ``G(d, p)`` the flow may leave through another offer of
the same provider than the one whose edge it took.  For a provider with one offer in the département the
gadget is exact; in general the flow is a **relaxation**: its objective is an upper bound.  The solver
therefore checks the answer it read off the need -> offer arcs: when no offer takes more than its remaining
capacity (usual), the answer is feasible and reaches the relaxation's bound, hence **optimal on every
edge** (status ``OPTIMAL``).  Otherwise the status is ``RELAXED``: ``objective``/``bound`` are the
relaxation's (an upper bound), ``selected`` is not feasible, and the caller (:func:`solve_cpsat`) solves the
model with CP-SAT, using this bound.

Two-expert needs are solved with one expert here (CP-SAT handles them).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
from ortools.graph.python import min_cost_flow

from ..candidates import Candidates
from ..model import Instance
from ..notes import Note
from ..scoring import Scores
from .base import SolveResult, assignments_from_selected

if TYPE_CHECKING:
    from .cpsat import SideConstraints


def department_minimums(
    inst: Instance, dep_codes: np.ndarray, minimum: Mapping[str, int] | int, with_edges: np.ndarray
) -> tuple[np.ndarray, list[Note]]:
    """Per département code (``dep_codes``, sorted): the minimum number of matched needs, clipped to
    ``with_edges`` (the département's needs that have a usable edge), and notes on the clipping."""
    notes: list[Note] = []
    if isinstance(minimum, Mapping):
        wanted = {str(d): int(v) for d, v in minimum.items()}
    else:
        wanted = {str(d): int(minimum) for d in dep_codes.tolist()}
    out = np.zeros(len(dep_codes), dtype=np.int64)
    index = {str(d): i for i, d in enumerate(dep_codes.tolist())}
    for d, want in wanted.items():
        i = index.get(d)
        avail = int(with_edges[i]) if i is not None else 0
        if want > avail:
            notes.append(Note("side.min_clipped", {"department": d, "wanted": want, "available": avail}))
            want = avail
        if i is not None:
            out[i] = max(0, want)
    return out, notes


def solve_side_flow(inst: Instance, cand: Candidates, scores: Scores, side: SideConstraints) -> SolveResult:
    """Maximum-score matching under the territory share and the minimum per département (see module doc)."""
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    usable = (scores.score_int > 0) & (cand.remaining[cand.offer_idx] > 0)
    eidx = np.flatnonzero(usable)
    ni = cand.need_idx[eidx].astype(np.int64)
    oi = cand.offer_idx[eidx].astype(np.int64)
    E = len(eidx)
    dep_codes, need_dep = np.unique(inst.need_dep, return_inverse=True)
    need_dep = need_dep.astype(np.int64)
    D = len(dep_codes)
    notes: list[Note] = []

    # needs with a usable edge (nodes 0..nu-1)
    has = np.zeros(inst.n_needs, dtype=bool)
    has[ni] = True
    needs_u = np.flatnonzero(has)
    nu = len(needs_u)
    n_rank = np.cumsum(has) - 1
    with_edges = np.bincount(need_dep[needs_u], minlength=D)

    tails: list[np.ndarray] = []
    heads: list[np.ndarray] = []
    caps: list[np.ndarray] = []
    costs: list[np.ndarray] = []
    next_node = nu

    def add(t: np.ndarray, h: np.ndarray, c: np.ndarray, w: np.ndarray | int = 0) -> None:
        tails.append(np.asarray(t, dtype=np.int32))
        heads.append(np.asarray(h, dtype=np.int32))
        caps.append(np.asarray(c, dtype=np.int64))
        costs.append(np.broadcast_to(np.asarray(w, dtype=np.int64), np.shape(t)).copy())

    # offers C(o)
    offers_u, o_rank = np.unique(oi, return_inverse=True)
    c_node = next_node + np.arange(len(offers_u))
    next_node += len(offers_u)
    sink = -1  # numbered last
    if side.territory_share is not None:
        P = inst.n_providers
        y_key = oi * D + need_dep[ni]
        y_keys, y_of_edge = np.unique(y_key, return_inverse=True)
        y_offer = y_keys // D
        y_dep = y_keys % D
        y_count = np.bincount(y_of_edge, minlength=len(y_keys))
        y_node = next_node + np.arange(len(y_keys))
        next_node += len(y_keys)
        g_keys, g_of_y = np.unique(y_dep * P + inst.offer_provider[y_offer], return_inverse=True)
        g_in = next_node + np.arange(len(g_keys))
        next_node += len(g_keys)
        g_out = next_node + np.arange(len(g_keys))
        next_node += len(g_keys)
        run_per_dep = np.bincount(need_dep[cand.active_needs], minlength=D)
        g_dep = g_keys // P
        g_cap = np.maximum(
            int(side.territory_min_cap), np.floor(side.territory_share * run_per_dep[g_dep] + 1e-9).astype(np.int64)
        )
        y_cap = np.minimum(y_count, cand.remaining[y_offer])
        y_c = c_node[np.searchsorted(offers_u, y_offer)]
        add(n_rank[ni], y_node[y_of_edge], np.ones(E), -scores.score_int[eidx])  # need -> Y(o, d)
        add(y_node, g_in[g_of_y], y_cap)  # Y(o, d) -> G(d, p)
        add(g_in, g_out, g_cap)  # the (département, provider) cap
        add(g_out[g_of_y], y_c, y_cap)  # G(d, p) -> C(o)
    else:
        add(n_rank[ni], c_node[o_rank], np.ones(E), -scores.score_int[eidx])
    in_deg = np.bincount(o_rank, minlength=len(offers_u))
    sink = next_node + (D if side.min_per_department is not None else 0)
    add(c_node, np.full(len(offers_u), sink), np.minimum(cand.remaining[offers_u], in_deg))
    if side.min_per_department is not None:
        minimum, clip_notes = department_minimums(inst, dep_codes, side.min_per_department, with_edges)
        notes.extend(clip_notes)
        b_node = next_node + np.arange(D)
        add(np.arange(nu), b_node[need_dep[needs_u]], np.ones(nu))  # bypass through the département
        add(b_node, np.full(D, sink), with_edges - minimum)
    else:
        add(np.arange(nu), np.full(nu, sink), np.ones(nu))
    n_nodes = sink + 1

    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails), np.concatenate(heads), np.concatenate(caps), np.concatenate(costs)
    )
    supplies = np.zeros(n_nodes, dtype=np.int64)
    supplies[:nu] = 1
    supplies[sink] = -nu
    smcf.set_nodes_supplies(np.arange(n_nodes, dtype=np.int32), supplies)
    timings["build"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    st = smcf.solve() if nu else smcf.OPTIMAL
    timings["solve"] = time.perf_counter() - t1
    if st != smcf.OPTIMAL:
        return SolveResult(
            "side_flow",
            "INFEASIBLE" if st == smcf.INFEASIBLE else "UNKNOWN",
            0.0,
            None,
            time.perf_counter() - t0,
            {},
            np.zeros(0, np.int64),
            timings,
            n_model_edges=E,
            notes=tuple(notes),
        )
    flows = smcf.flows(np.arange(E, dtype=np.int32)) if E else np.zeros(0, np.int64)
    selected = eidx[flows > 0]
    objective = float(scores.score[selected].sum())
    used = np.bincount(cand.offer_idx[selected], minlength=inst.n_offers)
    consistent = bool(np.all(used <= np.maximum(cand.remaining, 0)))
    return SolveResult(
        "side_flow",
        "OPTIMAL" if consistent else "RELAXED",
        objective,
        objective,
        time.perf_counter() - t0,
        assignments_from_selected(cand.need_idx, cand.offer_idx, selected),
        selected,
        timings,
        n_model_edges=E,
        notes=tuple(notes),
    )


def repair_side_solution(
    inst: Instance, cand: Candidates, scores: Scores, side: SideConstraints, selected: np.ndarray
) -> np.ndarray:
    """A feasible selection near a :func:`solve_side_flow` answer that is only a relaxation: each offer
    over its remaining capacity keeps its best edges, then the needs left without an offer take, best
    score first, an edge whose offer and (département, provider) still have room.  The territory caps
    and the capacities hold; a minimum per département may not (the caller checks)."""
    sel = np.asarray(selected, dtype=np.int64)
    rem = np.maximum(cand.remaining, 0).astype(np.int64)
    # keep each offer's best edges within its capacity
    order = sel[np.lexsort((-scores.score_int[sel], cand.offer_idx[sel]))]
    o_sorted = cand.offer_idx[order]
    first = np.searchsorted(o_sorted, o_sorted, side="left")
    rank = np.arange(len(order)) - first
    keep = order[rank < rem[o_sorted]]
    dep_codes, need_dep = np.unique(inst.need_dep, return_inverse=True)
    D = len(dep_codes)
    P = inst.n_providers
    run_per_dep = np.bincount(need_dep[cand.active_needs], minlength=D)
    if side.territory_share is not None:
        dep_cap = np.maximum(
            int(side.territory_min_cap), np.floor(side.territory_share * run_per_dep + 1e-9).astype(np.int64)
        )
    else:
        dep_cap = np.full(D, np.iinfo(np.int64).max // 4)
    g_used = np.zeros(D * P, dtype=np.int64)
    np.add.at(g_used, need_dep[cand.need_idx[keep]] * P + inst.offer_provider[cand.offer_idx[keep]], 1)
    o_left = rem - np.bincount(cand.offer_idx[keep], minlength=inst.n_offers)
    matched = np.zeros(inst.n_needs, dtype=bool)
    matched[cand.need_idx[keep]] = True
    usable = (scores.score_int > 0) & (cand.remaining[cand.offer_idx] > 0) & ~matched[cand.need_idx]
    free = np.flatnonzero(usable)
    free = free[np.argsort(-scores.score_int[free], kind="stable")]
    added: list[int] = []
    ni = cand.need_idx[free].tolist()
    oi = cand.offer_idx[free].tolist()
    gi = (need_dep[cand.need_idx[free]] * P + inst.offer_provider[cand.offer_idx[free]]).tolist()
    di = need_dep[cand.need_idx[free]].tolist()
    m = matched.tolist()
    left = o_left.tolist()
    used = g_used.tolist()
    caps = dep_cap.tolist()
    for k, e in enumerate(free.tolist()):
        n, o, g = ni[k], oi[k], gi[k]
        if m[n] or left[o] <= 0 or used[g] >= caps[di[k]]:
            continue
        m[n] = True
        left[o] -= 1
        used[g] += 1
        added.append(e)
    return np.sort(np.concatenate([keep, np.array(added, dtype=np.int64)]))
