"""Priced pruning (issue 15): on many random instances the priced solver equals the all-edges optimum,
pruning never changes the objective, its proof holds (dual bound = objective), and a budget stops it
with a valid bound."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from matching_helpers import random_instance

from matching import build_candidates, check_assignments, score_candidates
from matching.scoring import SCORE_SCALE
from matching.solvers import solve_flow, solve_priced


def _int(scores, res) -> int:
    return int(scores.score_int[res.selected].sum())


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 40),
    m=st.integers(1, 15),
    k_need=st.integers(1, 4),
    k_offer=st.sampled_from([0.0, 0.5, 1.0, 3.0]),
    block=st.sampled_from([3, 64, 4_000_000]),
)
def test_priced_equals_all_edges_optimum(seed, n, m, k_need, k_offer, block):
    inst = random_instance(seed, n, m, n_skills=8)
    cand = build_candidates(inst)
    scores = score_candidates(inst, cand)
    ref = solve_flow(cand, scores)
    r = solve_priced(cand, scores, k_need=k_need, k_offer=k_offer, block=block, max_rounds=1000)
    assert r.status == "OPTIMAL" and getattr(r.notes[0], "code", "") == "priced.optimal"
    assert _int(scores, r) == _int(scores, ref)
    assert r.bound == r.objective
    nid, oid = inst.need_ids, inst.offer_ids
    assert check_assignments(inst, {int(nid[a]): int(oid[b]) for a, b in r.assignments.items()}) == []


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(5, 40), m=st.integers(2, 15))
def test_a_round_budget_reports_a_valid_bound(seed, n, m):
    inst = random_instance(seed, n, m, n_skills=8)
    cand = build_candidates(inst)
    scores = score_candidates(inst, cand)
    ref = solve_flow(cand, scores)
    r = solve_priced(cand, scores, k_need=1, k_offer=0.0, max_rounds=1)
    assert r.objective <= ref.objective + 1e-9
    assert r.bound is not None and r.bound >= ref.objective - len(cand) / SCORE_SCALE
    if r.status == "OPTIMAL":
        assert _int(scores, r) == _int(scores, ref)


def test_engine_priced_solver_equals_flow():
    inst = random_instance(7, 60, 20, n_skills=8)
    from matching import solve_instance

    a = solve_instance(inst, embed=None, solver="priced", explain=False)
    b = solve_instance(inst, embed=None, explain=False)
    assert a.status == "OPTIMAL" and abs(a.objective - b.objective) < 1e-6
    assert any(getattr(n, "code", "") == "priced.optimal" for n in a.notes)
