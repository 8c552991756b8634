"""Incremental runs: fixed (approved/accepted) assignments keep their capacity
and their needs are left out of the new run."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from matching_helpers import random_instance

from matching import Instance, Need, Offer, Provider, check_assignments, solve_instance

MRS = (43.2965, 5.3698)


def instance(**kw):
    needs = [Need(i, MRS[0], MRS[1], skills=(1,)) for i in (1, 2, 3)]
    offers = [
        Offer(10, 100, MRS[0], MRS[1], 20, skills=(1,), capacity=2),
        Offer(20, 200, MRS[0] + 0.2, MRS[1], 40, skills=(1,), capacity=1),
    ]
    return Instance.from_records(needs, offers, [Provider(100), Provider(200)], today=dt.date(2026, 1, 1), **kw)


def test_fixed_assignments_are_kept_and_consume_capacity():
    base = solve_instance(instance(), embed=None)
    assert len(base.proposals) == 3
    r = solve_instance(instance(fixed=[(1, 20), (2, 10)]), embed=None)
    assert r.fixed == ((1, 20), (2, 10))
    assert r.n_open_needs == 1
    assert r.assignments == {3: 10}  # offer 20 is full, offer 10 has one place left
    assert r.all_assignments() == {1: 20, 2: 10, 3: 10}
    assert check_assignments(instance(fixed=[(1, 20), (2, 10)]), r) == []
    assert check_assignments(instance(fixed=[(1, 20), (2, 10)]), r.all_assignments()) == []


def test_fixed_argument_of_solve_instance():
    r = solve_instance(instance(), embed=None, fixed=[(1, 10), (2, 10)])
    assert r.fixed == ((1, 10), (2, 10))
    assert r.assignments == {3: 20}


def test_fixed_run_when_capacity_is_gone():
    r = solve_instance(instance(), embed=None, fixed=[(1, 10), (2, 10), (3, 20)])
    assert r.proposals == () and r.unmatched == () and r.n_open_needs == 0


def test_checker_flags_overbooking_against_fixed():
    inst = instance(fixed=[(1, 20)])
    rules = {v.rule for v in check_assignments(inst, {2: 20})}
    assert rules == {"capacity"}
    rules = {v.rule for v in check_assignments(inst, {1: 10})}
    assert "fixed_need" in rules


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 25), m=st.integers(1, 10), k=st.integers(1, 4))
def test_random_incremental(seed, n, m, k):
    inst = random_instance(seed, n, m, fixed=k)
    r = solve_instance(inst, embed=None)
    fixed_needs = {a for a, _ in r.fixed}
    assert not fixed_needs & set(r.assignments)
    assert check_assignments(inst, r) == []
    assert len(r.fixed) == len(inst.fixed)
