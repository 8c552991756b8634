"""CP-SAT side constraints: territory share, two experts, minimum per
département; the gap to the flow bound is reported."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from matching_helpers import random_instance

from matching import Instance, Need, Offer, Provider, check_assignments, solve_instance
from matching.solvers import SideConstraints

MRS = (43.2965, 5.3698)
DIGNE = (44.0925, 6.2356)


def territory_instance():
    # 6 needs in the 13; provider 1 is excellent (well rated, idle) and can take
    # them all; provider 2 is worse but has room too.
    needs = [Need(i, MRS[0], MRS[1], skills=(1,), dep_code="13", commune="13055") for i in range(1, 7)]
    offers = [
        Offer(10, 1, MRS[0], MRS[1], 30, skills=(1,), capacity=6, commune="13055"),
        Offer(20, 2, MRS[0] + 0.1, MRS[1], 30, skills=(1,), capacity=6),
    ]
    providers = [Provider(1, rating_mean=5.0, rating_count=10), Provider(2, current_missions=8)]
    return Instance.from_records(needs, offers, providers, today=dt.date(2026, 1, 1))


def test_territory_share():
    inst = territory_instance()
    flow = solve_instance(inst, embed=None)
    assert all(o == 10 for o in flow.assignments.values())  # unconstrained: everything to provider 1
    side = SideConstraints(territory_share=0.34)  # floor(0.34 * 6) = 2 per provider
    assert check_assignments(inst, flow, side_constraints=side) != []
    r = solve_instance(inst, embed=None, solver="cpsat", side_constraints=side, time_limit=10)
    assert r.status == "OPTIMAL"
    per_provider = {}
    for p in r.proposals:
        per_provider[p.provider_ids[0]] = per_provider.get(p.provider_ids[0], 0) + 1
    assert per_provider == {1: 2, 2: 2}
    assert check_assignments(inst, r, side_constraints=side) == []
    assert r.flow_bound == flow.objective
    assert r.gap_to_flow > 0 and r.objective <= r.flow_bound
    assert r.bound is not None and r.bound >= r.objective - 1e-9


def two_expert_instance():
    needs = [
        Need(1, MRS[0], MRS[1], skills=(1, 2), experts_required=2, dep_code="13"),
        Need(2, MRS[0], MRS[1], skills=(1,), dep_code="13"),
    ]
    offers = [
        Offer(10, 1, MRS[0], MRS[1], 30, skills=(1,), capacity=2),
        Offer(11, 1, MRS[0], MRS[1], 30, skills=(2,), capacity=1),  # same provider as 10
        Offer(20, 2, MRS[0], MRS[1], 30, skills=(2,), capacity=1),
        Offer(30, 3, MRS[0], MRS[1], 30, skills=(1, 2), capacity=1),
    ]
    providers = [Provider(1), Provider(2), Provider(3)]
    return Instance.from_records(needs, offers, providers, today=dt.date(2026, 1, 1))


def test_two_experts():
    inst = two_expert_instance()
    r = solve_instance(inst, embed=None, solver="cpsat", side_constraints=SideConstraints(), time_limit=10)
    assert r.status == "OPTIMAL"
    pair = r.assignments[1]
    assert isinstance(pair, tuple) and len(pair) == 2
    prov = {10: 1, 11: 1, 20: 2, 30: 3}
    assert prov[pair[0]] != prov[pair[1]]
    skills = {10: {1}, 11: {2}, 20: {2}, 30: {1, 2}}
    assert skills[pair[0]] | skills[pair[1]] >= {1, 2}
    assert check_assignments(inst, r) == []
    p = next(p for p in r.proposals if p.need_id == 1)
    assert "deux experts complémentaires" in p.explanation
    assert r.gap_to_flow is not None and r.objective <= r.flow_bound + 1e-9
    # the flow solver treats it as a one-expert need and says so
    f = solve_instance(inst, embed=None)
    assert [n.params for n in f.notes if getattr(n, "code", "") == "flow.two_experts_single"] == [{"count": 1}]


def test_checker_rejects_bad_pairs():
    inst = two_expert_instance()
    rules = {v.rule for v in check_assignments(inst, {1: (10, 11)})}
    assert "two_experts" in rules  # skills covered, but both offers from provider 1
    rules = {v.rule for v in check_assignments(inst, {2: (10, 30)})}
    assert "multiple_offers" in rules


def min_dep_instance():
    # one offer of capacity 1 near Marseille with a large radius; the need in the
    # 13 scores better, the one in the 04 is further away.
    needs = [
        Need(1, MRS[0], MRS[1], skills=(1,), dep_code="13"),
        Need(2, DIGNE[0], DIGNE[1], skills=(1,), dep_code="04"),
    ]
    offers = [Offer(10, 1, MRS[0], MRS[1], 150, skills=(1,), capacity=1)]
    return Instance.from_records(needs, offers, [Provider(1)], today=dt.date(2026, 1, 1))


def test_min_per_department():
    inst = min_dep_instance()
    flow = solve_instance(inst, embed=None)
    assert flow.assignments == {1: 10}
    side = SideConstraints(min_per_department={"04": 1})
    r = solve_instance(inst, embed=None, solver="cpsat", side_constraints=side, time_limit=10)
    assert r.status == "OPTIMAL"
    assert r.assignments == {2: 10}
    assert check_assignments(inst, r, side_constraints=side) == []
    assert check_assignments(inst, flow, side_constraints=side) != []
    assert 0 < r.gap_to_flow < 1


def test_min_per_department_clipped_when_impossible():
    inst = min_dep_instance()
    side = SideConstraints(min_per_department={"04": 5})
    r = solve_instance(inst, embed=None, solver="cpsat", side_constraints=side, time_limit=10)
    assert r.status == "OPTIMAL"
    clipped = [n.params for n in r.notes if getattr(n, "code", "") == "side.min_clipped"]
    assert clipped and clipped[0]["department"] == "04" and clipped[0]["wanted"] == 5
    assert clipped[0]["available"] < 5


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 25),
    m=st.integers(1, 10),
    share=st.sampled_from([None, 0.2, 0.5]),
    min_dep=st.sampled_from([None, 1]),
)
def test_random_side_constraints_hold(seed, n, m, share, min_dep):
    inst = random_instance(seed, n, m, experts2=0.2)
    side = SideConstraints(territory_share=share, min_per_department=min_dep, top_k=5)
    r = solve_instance(inst, embed=None, solver="cpsat", side_constraints=side, time_limit=10)
    assert r.status in ("OPTIMAL", "FEASIBLE", "INFEASIBLE")
    if r.status == "INFEASIBLE":
        return  # min per département cannot be met with the capacities
    side_check = (
        side
        if not any(getattr(x, "code", "") == "side.min_clipped" for x in r.notes)
        else SideConstraints(territory_share=share)
    )
    assert check_assignments(inst, r, side_constraints=side_check) == []
    assert r.flow_bound is not None and r.objective <= r.flow_bound + 1e-6
    assert r.gap_to_flow is not None and r.gap_to_flow >= -1e-6
