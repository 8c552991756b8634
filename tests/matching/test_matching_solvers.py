"""Flow solver = brute force (tiny) = CP-SAT without side constraints (small);
every solution passes the independent checker."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from matching_helpers import brute_force_optimum, random_instance

from matching import build_candidates, check_assignments, score_candidates, solve_instance
from matching.solvers import SideConstraints, solve_cpsat, solve_flow, solve_greedy


def int_objective(scores, res) -> int:
    return int(scores.score_int[res.selected].sum())


def to_ids(inst, res) -> dict:
    out = {}
    for n, o in res.assignments.items():
        out[int(inst.need_ids[n])] = (
            int(inst.offer_ids[o]) if isinstance(o, int) else tuple(int(inst.offer_ids[x]) for x in o)
        )
    return out


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), m=st.integers(1, 4))
def test_flow_equals_brute_force(seed, n, m):
    inst = random_instance(seed, n, m)
    cand = build_candidates(inst)
    scores = score_candidates(inst, cand)
    res = solve_flow(cand, scores)
    assert res.status == "OPTIMAL"
    assert int_objective(scores, res) == brute_force_optimum(cand, scores)
    assert check_assignments(inst, to_ids(inst, res)) == []
    greedy = solve_greedy(cand, scores)
    assert check_assignments(inst, to_ids(inst, greedy)) == []
    assert int_objective(scores, greedy) <= int_objective(scores, res)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 25), m=st.integers(1, 10))
def test_flow_equals_cpsat_without_side_constraints(seed, n, m):
    inst = random_instance(seed, n, m)
    cand = build_candidates(inst)
    scores = score_candidates(inst, cand)
    flow = solve_flow(cand, scores)
    cp = solve_cpsat(
        inst, cand, scores, SideConstraints(top_k=None, two_experts=False), time_limit=20, flow_result=flow, workers=1
    )
    assert cp.status == "OPTIMAL"
    assert int_objective(scores, cp) == int_objective(scores, flow)
    assert abs(cp.objective - flow.objective) < 1e-9 + 1e-6 * n
    assert cp.gap_to_flow is not None and abs(cp.gap_to_flow) < 1e-6
    assert check_assignments(inst, to_ids(inst, cp)) == []


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), m=st.integers(1, 12))
def test_solve_instance_passes_checker(seed, n, m):
    inst = random_instance(seed, n, m, fixed=seed % 3)
    for solver in ("flow", "greedy"):
        r = solve_instance(inst, solver=solver, embed=None)
        assert r.status in ("OPTIMAL", "FEASIBLE")
        assert check_assignments(inst, r) == []
        assert check_assignments(inst, r.all_assignments()) == []
        got = {p.need_id for p in r.proposals} | {u.need_id for u in r.unmatched}
        open_needs = set(inst.need_ids.tolist()) - {a for a, _ in r.fixed}
        assert got == open_needs


def test_result_fields():
    inst = random_instance(3, 20, 8)
    cand = build_candidates(inst)
    scores = score_candidates(inst, cand)
    for res in (solve_flow(cand, scores), solve_greedy(cand, scores)):
        assert res.status in ("OPTIMAL", "FEASIBLE")
        assert res.seconds >= 0 and isinstance(res.timings, dict)
        assert set(res.assignments) == set(cand.need_idx[res.selected].tolist())
        assert np.isclose(res.objective, scores.score[res.selected].sum())
    flow = solve_flow(cand, scores)
    assert flow.bound == flow.objective
    assert solve_greedy(cand, scores).bound is None


def test_empty_instance_is_solved():
    inst = random_instance(1, 3, 2).replace(
        offer_capacity=np.zeros(2, dtype=np.int64), offer_consumed=np.zeros(2, dtype=np.int64)
    )
    r = solve_instance(inst, embed=None)
    assert r.status == "OPTIMAL" and r.objective == 0 and r.proposals == ()
    assert all(u.reason == "aucune offre compatible" for u in r.unmatched)
