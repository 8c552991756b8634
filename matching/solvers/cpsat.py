"""CP-SAT model for side constraints a flow cannot express.

Works on a *pruned* candidate set: the ``top_k`` best edges of each need
(for a two-expert need, also the ``top_k`` best edges per wanted skill), plus
the edges of the flow optimum, which is passed as a hint, plus (``pricing``, the
default) the working set of the priced flow relaxation: the edges that pricing
against the relaxation's optimal duals could not rule out.  The model is labelled
pruned whenever an edge is left out, and claims ``OPTIMAL`` only when it reaches
the flow bound (the relaxation's optimum on every edge).

Variables: one boolean per kept edge (and one "matched" boolean per two-expert
need).  Constraints:

* each ordinary need takes at most one offer;
* a two-expert need (``experts_required == 2`` and ``SideConstraints.two_experts``)
  takes exactly two offers or none; the two come from different providers and
  together cover every wanted skill;
* each offer takes at most its remaining capacity;
* territory share: for each (département, provider), at most
  ``max(territory_min_cap, floor(territory_share * n))`` proposals, ``n`` being
  the number of the département's needs in the run;
* minimum per département: at least ``min_per_department[dep]`` matched needs
  (clipped to the number of the département's needs that have a kept edge; the
  clipping is reported in ``notes``).

Objective: maximise the sum of scores, a two-expert need counting the mean of
its two edges.  The optimum of the flow relaxation (full candidate set, no side
constraints, one offer per need) is an upper bound of this objective; the result
reports it as ``flow_bound`` and the relative gap as ``gap_to_flow``.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from ..candidates import Candidates
from ..model import Instance
from ..notes import Note
from ..scoring import SCORE_SCALE, Scores
from .base import SolveResult, assignments_from_selected
from .flow import solve_flow
from .priced import priced_working_set
from .sideflow import department_minimums, repair_side_solution, solve_side_flow


@dataclass(frozen=True)
class SideConstraints:
    """Side constraints of the CP-SAT solver (``None`` switches one off).

    ``territory_share``: maximum share of a département's needs (in the run)
    proposed to one provider, e.g. 0.3.  ``territory_min_cap``: the per-provider
    cap never goes below this (so small départements still get proposals).
    ``two_experts``: honour ``experts_required == 2``.
    ``min_per_department``: minimum number of proposals per département code, a
    mapping, or one int applied to every département.
    ``top_k``: edges kept per need (``None`` = all edges, no pruning).
    ``flow``: solve the territory share and the minimum per département as a min-cost flow on every edge
    first (:func:`~matching.solvers.sideflow.solve_side_flow`; CP-SAT only when that flow is a strict
    relaxation or when two-expert needs take part); ``False`` forces CP-SAT.
    """

    territory_share: float | None = None
    territory_min_cap: int = 1
    two_experts: bool = True
    min_per_department: Mapping[str, int] | int | None = None
    top_k: int | None = 10
    flow: bool = True
    #: with ``top_k``: the model also keeps the working set of the priced flow relaxation
    #: (:func:`~matching.solvers.priced.priced_working_set`: every edge left out prices out against the
    #: relaxation's optimal duals), and that priced flow gives the flow bound.  The model is still pruned
    #: for the side constraints, so it is proven optimal only when it reaches the flow bound.
    pricing: bool = True


def prune_top_k(
    inst: Instance,
    cand: Candidates,
    scores: Scores,
    top_k: int | None,
    two_expert: np.ndarray,
    extra: np.ndarray | None = None,
) -> np.ndarray:
    """Boolean mask of the kept edges (see module doc)."""
    E = len(cand)
    if top_k is None or E == 0:
        return np.ones(E, dtype=bool)
    order = np.lexsort((-scores.score_int, cand.need_idx))
    rank = np.empty(E, dtype=np.int64)
    rank[order] = np.arange(E) - cand.need_ptr[cand.need_idx[order]]
    keep = rank < top_k
    if extra is not None and len(extra):
        keep[extra] = True
    for n in np.flatnonzero(two_expert).tolist():
        a, b = int(cand.need_ptr[n]), int(cand.need_ptr[n + 1])
        if a == b:
            continue
        idx = np.arange(a, b)
        idx = idx[np.argsort(-scores.score_int[idx], kind="stable")]
        for s in inst.need_skill_list(n):
            covers = [e for e in idx.tolist() if s in set(inst.offer_skill_list(int(cand.offer_idx[e])))]
            keep[covers[:top_k]] = True
    return keep


def solve_cpsat(
    inst: Instance,
    cand: Candidates,
    scores: Scores,
    side: SideConstraints | None = None,
    *,
    time_limit: float = 10.0,
    flow_result: SolveResult | None = None,
    workers: int | None = None,
    seed: int = 0,
) -> SolveResult:
    t0 = time.perf_counter()
    side = side or SideConstraints()
    timings: dict[str, float] = {}
    notes: list[Note | str] = []
    priced_ws: np.ndarray | None = None
    if flow_result is None and side.pricing and side.top_k is not None:
        flow_result, priced_ws = priced_working_set(cand, scores, max_rounds=1000)
        if flow_result.status != "OPTIMAL":  # not proven: the relaxation's optimum on every edge, plainly
            flow_result, priced_ws = solve_flow(cand, scores), None
    if flow_result is None:
        flow_result = solve_flow(cand, scores)
    timings["flow_bound"] = flow_result.seconds
    t1 = time.perf_counter()

    two_expert = np.zeros(inst.n_needs, dtype=bool)
    if side.two_experts:
        two_expert = (inst.need_experts >= 2) & cand.active_needs
        two_expert &= np.diff(cand.need_ptr) > 0
    fb = flow_result.objective
    # flow optimum in the model's integer units (a need counts twice its edge's score_int)
    fb_int = 2 * int(scores.score_int[flow_result.selected].sum())
    ub, ub_int = fb, fb_int  # the best upper bound known
    hint = flow_result.selected  # edges kept in the model whatever top_k
    hint_sel = flow_result.selected  # the solution hinted to CP-SAT
    repaired: np.ndarray | None = None  # a feasible answer from the side flow, when it is a relaxation
    networked = side.territory_share is not None or side.min_per_department is not None
    if side.flow and networked and not two_expert.any():
        sf = solve_side_flow(inst, cand, scores, side)
        timings["side_flow"] = sf.seconds
        notes.extend(sf.notes)
        if sf.status == "OPTIMAL":
            notes.append(Note("side.flow_exact"))
            return SolveResult(
                "side_flow",
                "OPTIMAL",
                sf.objective,
                sf.objective,
                time.perf_counter() - t0,
                sf.assignments,
                sf.selected,
                {**timings, **{f"side_flow.{k}": v for k, v in sf.timings.items()}},
                flow_bound=fb,
                gap_to_flow=(fb - sf.objective) / fb if fb > 0 else 0.0,
                n_model_edges=sf.n_model_edges,
                notes=tuple(notes),
            )
        if sf.status == "INFEASIBLE":  # a relaxation: the side constraints cannot all hold
            notes.extend(_flow_fallback(inst, cand, side, flow_result, two_expert, "INFEASIBLE", time_limit))
            return SolveResult(
                "side_flow",
                "INFEASIBLE",
                fb,
                fb,
                time.perf_counter() - t0,
                flow_result.assignments,
                flow_result.selected,
                timings,
                flow_bound=fb,
                gap_to_flow=0.0,
                n_model_edges=sf.n_model_edges,
                notes=tuple(notes),
            )
        if sf.status == "RELAXED":
            ub = min(ub, sf.objective)
            ub_int = min(ub_int, 2 * int(scores.score_int[sf.selected].sum()))
            hint = np.union1d(hint, sf.selected)
            hint_sel = sf.selected
            fixed_up = repair_side_solution(inst, cand, scores, side, sf.selected)
            if _meets_minimums(inst, cand, scores, side, fixed_up):
                repaired = fixed_up
                hint = np.union1d(hint, fixed_up)
                hint_sel = fixed_up
            notes.append(Note("side.flow_relaxed", {"bound": float(sf.objective)}))
    keep = prune_top_k(inst, cand, scores, side.top_k, two_expert, hint)
    if priced_ws is not None:
        keep |= priced_ws
    keep &= scores.score_int > 0
    keep &= cand.remaining[cand.offer_idx] > 0
    eidx = np.flatnonzero(keep)
    ni = cand.need_idx[eidx].tolist()
    oi = cand.offer_idx[eidx].tolist()
    sc = scores.score_int[eidx].tolist()
    prov = inst.offer_provider[cand.offer_idx[eidx]].tolist()

    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{k}") for k in range(len(eidx))]
    by_need: dict[int, list[int]] = defaultdict(list)
    by_offer: dict[int, list[int]] = defaultdict(list)
    for k in range(len(eidx)):
        by_need[ni[k]].append(k)
        by_offer[oi[k]].append(k)

    # a two-expert need's "matched" variable, or an ordinary need's edges (matched = their sum)
    matched: dict[int, cp_model.IntVar | list[int]] = {}
    coef = [0] * len(eidx)
    for n, ks in by_need.items():
        if two_expert[n]:
            y = model.new_bool_var(f"y{n}")
            matched[n] = y
            model.add(sum(x[k] for k in ks) == 2 * y)
            wanted = inst.need_skill_list(n)
            for s in wanted:
                cover = [k for k in ks if s in set(inst.offer_skill_list(oi[k]))]
                model.add(sum(x[k] for k in cover) >= y)
            by_prov: dict[int, list[int]] = defaultdict(list)
            for k in ks:
                by_prov[prov[k]].append(k)
            for group in by_prov.values():
                if len(group) > 1:
                    model.add_at_most_one(x[k] for k in group)
            for k in ks:
                coef[k] = sc[k]
        else:
            model.add_at_most_one(x[k] for k in ks)
            matched[n] = ks
            for k in ks:
                coef[k] = 2 * sc[k]
    rem = cand.remaining
    for o, ks in by_offer.items():
        if len(ks) > rem[o]:
            model.add(sum(x[k] for k in ks) <= int(rem[o]))

    def matched_expr(n: int) -> cp_model.LinearExprT:
        v = matched[n]
        return v if not isinstance(v, list) else sum(x[k] for k in v)

    deps = inst.need_dep
    if side.territory_share is not None:
        run_needs = np.flatnonzero(cand.active_needs)
        dep_count: dict[str, int] = defaultdict(int)
        for d in deps[run_needs].tolist():
            dep_count[d] += 1
        groups: dict[tuple[str, int], list[int]] = defaultdict(list)
        for k in range(len(eidx)):
            groups[(deps[ni[k]], prov[k])].append(k)
        for (d, _provider), ks in groups.items():
            cap = max(int(side.territory_min_cap), int(np.floor(side.territory_share * dep_count[d] + 1e-9)))
            if len(ks) > cap:
                model.add(sum(x[k] for k in ks) <= cap)

    if side.min_per_department is not None:
        need_by_dep: dict[str, list[int]] = defaultdict(list)
        for n in by_need:
            need_by_dep[deps[n]].append(n)
        all_deps = sorted(set(deps[cand.active_needs].tolist()))
        if isinstance(side.min_per_department, Mapping):
            minimum = {str(d): int(v) for d, v in side.min_per_department.items()}
        else:
            minimum = {d: int(side.min_per_department) for d in all_deps}
        for d, want in minimum.items():
            avail = len(need_by_dep.get(d, []))
            if want > avail:
                notes.append(Note("side.min_clipped", {"department": d, "wanted": want, "available": avail}))
                want = avail
            if want > 0:
                model.add(sum(matched_expr(n) for n in need_by_dep[d]) >= want)

    model.maximize(sum(c * v for c, v in zip(coef, x, strict=True)))
    sel_flow = set(hint_sel.tolist())
    for k, e in enumerate(eidx.tolist()):
        if not two_expert[ni[k]]:
            model.add_hint(x[k], e in sel_flow)
    timings["model"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = int(workers or max(1, min(8, os.cpu_count() or 1)))
    solver.parameters.random_seed = int(seed)
    st = solver.solve(model)
    timings["solve"] = time.perf_counter() - t2
    status = solver.status_name(st)
    # edges that could take part in a solution but were left out of the model
    usable = (scores.score_int > 0) & (cand.remaining[cand.offer_idx] > 0)
    pruned = bool(np.any(usable & ~keep))
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = [k for k in range(len(eidx)) if solver.boolean_value(x[k])]
        selected = eidx[np.array(chosen, dtype=np.int64)] if chosen else np.zeros(0, np.int64)
        half = two_expert[cand.need_idx[selected]]
        objective = float(np.sum(np.where(half, 0.5, 1.0) * scores.score[selected]))
        obj_int = round(solver.objective_value)
        reaches_flow_bound = obj_int >= ub_int
        if pruned:
            # The model's bound holds for the pruned model only: the flow optimum on every edge is the
            # valid bound, and optimality is proven only when the objective reaches it.
            bound = max(objective, ub)
            if st == cp_model.OPTIMAL and not reaches_flow_bound:
                status = "FEASIBLE"
                code = "cpsat.pruned_priced" if priced_ws is not None else "cpsat.pruned"
                notes.append(Note(code, {"top_k": side.top_k, "bound": float(ub)}))
            elif reaches_flow_bound:
                status = "OPTIMAL"
        else:
            if st == cp_model.OPTIMAL:
                cp_bound = objective
            else:  # integer bound, plus the rounding of each need's score
                cp_bound = solver.best_objective_bound / (2 * SCORE_SCALE) + 0.5 * len(by_need) / SCORE_SCALE
            bound = max(objective, min(ub, cp_bound))
            if reaches_flow_bound:
                status = "OPTIMAL"
    else:
        fallback = _flow_fallback(inst, cand, side, flow_result, two_expert, status, time_limit)
        notes.extend(fallback)
        selected = flow_result.selected
        objective, bound = fb, ub
    if repaired is not None:
        rep_obj = float(scores.score[repaired].sum())
        if status not in ("OPTIMAL", "FEASIBLE") or rep_obj > objective + 1e-12:
            # the fallback's notes no longer describe the answer
            notes[:] = [x for x in notes if not (isinstance(x, Note) and x.code.startswith(("fallback.", "unmet.")))]
            notes.append(Note("cpsat.repaired"))
            status, selected, objective, bound = "FEASIBLE", repaired, rep_obj, max(rep_obj, ub)
            if 2 * int(scores.score_int[repaired].sum()) >= ub_int:
                status = "OPTIMAL"
    gap = (fb - objective) / fb if fb > 0 else 0.0
    return SolveResult(
        "cpsat",
        status,
        objective,
        bound,
        time.perf_counter() - t0,
        assignments_from_selected(cand.need_idx, cand.offer_idx, selected),
        selected,
        timings,
        flow_bound=fb,
        gap_to_flow=gap,
        n_model_edges=len(eidx),
        notes=tuple(notes),
    )


def _flow_fallback(
    inst: Instance,
    cand: Candidates,
    side: SideConstraints,
    flow_result: SolveResult,
    two_expert: np.ndarray,
    status: str,
    time_limit: float,
) -> list[Note | str]:
    """Notes of a run that falls back to the flow optimum (CP-SAT found no solution):
    why, and which side constraints that answer does not meet."""
    from ..checker import check_assignments  # the checker names the unmet side constraints

    notes: list[Note | str]
    if status == "UNKNOWN":
        notes = [Note("fallback.unknown", {"seconds": float(time_limit)})]
    elif status == "INFEASIBLE":
        notes = [Note("fallback.infeasible")]
    else:
        notes = [Note("fallback.status", {"status": status})]
    nid, oid = inst.need_ids, inst.offer_ids
    amap = {int(nid[n]): int(oid[o]) for n, o in flow_result.assignments.items() if isinstance(o, int)}
    unmet = [v for v in check_assignments(inst, amap, side_constraints=side) if v.rule in _SIDE_RULES]
    for v in unmet[:_MAX_NAMED]:
        notes.append(Note(f"unmet.{v.rule}", dict(v.params)))
    if len(unmet) > _MAX_NAMED:
        notes.append(Note("unmet.more", {"count": len(unmet) - _MAX_NAMED}))
    served_alone = int(np.sum(two_expert[cand.need_idx[flow_result.selected]]))
    if served_alone:
        notes.append(Note("unmet.two_experts", {"count": served_alone}))
    return notes


_SIDE_RULES = ("territory_share", "min_per_department")
_MAX_NAMED = 12  # unmet constraints named one by one on the run page


def _meets_minimums(
    inst: Instance, cand: Candidates, scores: Scores, side: SideConstraints, selected: np.ndarray
) -> bool:
    """Whether ``selected`` matches the (clipped) minimum of every département."""
    if side.min_per_department is None:
        return True
    dep_codes, need_dep = np.unique(inst.need_dep, return_inverse=True)
    usable = (cand.remaining[cand.offer_idx] > 0) & (scores.score_int > 0)
    has = np.zeros(inst.n_needs, dtype=bool)
    has[cand.need_idx[usable]] = True
    with_edges = np.bincount(need_dep[has], minlength=len(dep_codes))
    minimum, _notes = department_minimums(inst, dep_codes, side.min_per_department, with_edges)
    got = np.bincount(need_dep[cand.need_idx[selected]], minlength=len(dep_codes))
    return bool(np.all(got >= minimum))
