"""The warm-started augmenting-path solver (matching/solvers/augment.py): on random instances, however its
edge set grows or changes between solves and whatever prices it starts from, its matching equals OR-Tools'
min-cost flow optimum (an independent solver), and its duals certify it (feasible, complementary, same value)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.solvers.augment import WarmMatching, _pop, _push
from matching.solvers.flow import flow_select


def _random(seed: int, n: int, m: int, density: float, top: int, max_cap: int):
    rng = np.random.default_rng(seed)
    keys = np.flatnonzero(rng.random(n * m) < density)
    ni, oi = keys // m, keys % m
    s = rng.integers(1, top + 1, size=len(keys)).astype(np.int64)
    cap = rng.integers(0, max_cap + 1, size=m)
    return rng, ni, oi, s, cap


def _optimum(ni, oi, s, cap, n, m) -> int:
    ok = cap[oi] > 0
    if not ok.any():
        return 0
    status, chosen, _ = flow_select(ni[ok], oi[ok], s[ok], cap, n, m)
    assert status == "OPTIMAL"
    return int(s[ok][chosen].sum())


def _check(wm: WarmMatching, ni, oi, s, cap, n, m, chosen) -> None:
    primal, dual = wm.certificate()
    assert primal == dual == int(s[chosen].sum()) == _optimum(ni, oi, s, cap, n, m)
    # the chosen edges: one per need at most, each offer within its capacity
    assert len(np.unique(ni[chosen])) == len(chosen)
    assert (np.bincount(oi[chosen], minlength=m) <= cap).all()
    # duals: a need left unmatched is worth 0, an offer with room left costs 0
    unmatched = np.setdiff1d(np.arange(n), ni[chosen])
    assert (wm.u[unmatched] == 0).all()
    assert (wm.p[np.bincount(oi[chosen], minlength=m) < cap] == 0).all()


@settings(max_examples=120, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 40),
    m=st.integers(1, 12),
    density=st.sampled_from([0.1, 0.4, 1.0]),
    top=st.sampled_from([1, 3, 1000, 10**6]),
    max_cap=st.integers(0, 4),
    steps=st.integers(1, 4),
)
def test_growing_edge_sets_stay_optimal(seed, n, m, density, top, max_cap, steps):
    rng, ni, oi, s, cap = _random(seed, n, m, density, top, max_cap)
    wm = WarmMatching(n, m, cap)
    perm = rng.permutation(len(s))
    for k in range(1, steps + 1):
        sel = np.sort(perm[: len(perm) * k // steps])
        wm.set_edges(ni[sel], oi[sel], s[sel])
        chosen = sel[wm.solve()]
        _check(wm, ni[sel], oi[sel], s[sel], cap, n, m, np.searchsorted(sel, chosen))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), m=st.integers(1, 10), top=st.sampled_from([5, 10**6]))
def test_any_edge_set_and_any_start_prices(seed, n, m, top):
    """Edges removed as well as added (a need whose chosen edge is gone searches again), and arbitrary
    starting prices (offers with room left and a price: brought back to the optimum's)."""
    rng, ni, oi, s, cap = _random(seed, n, m, 0.5, top, 3)
    wm = WarmMatching(n, m, cap)
    wm.p[:] = rng.integers(0, top + 1, size=m)
    for _ in range(3):
        sel = np.flatnonzero(rng.random(len(s)) < 0.6)
        wm.set_edges(ni[sel], oi[sel], s[sel])
        chosen = wm.solve()
        _check(wm, ni[sel], oi[sel], s[sel], cap, n, m, chosen)


def test_contended_offers_and_their_prices():
    # three needs, two offers of one place: need 0 takes offer 0, need 1 offer 1, need 2 stays out
    ni = np.array([0, 1, 2, 2, 0])
    oi = np.array([0, 1, 0, 1, 1])
    s = np.array([9, 7, 5, 4, 3], dtype=np.int64)
    wm = WarmMatching(3, 2, np.array([1, 1]))
    wm.set_edges(ni, oi, s)
    assert wm.solve().tolist() == [0, 1]
    assert wm.certificate() == (16, 16)
    assert wm.p[0] >= 5 and wm.p[1] >= 4 and wm.u[2] == 0  # the prices keep the third need out
    # need 2's edge to offer 1 becomes better: it takes offer 1, need 1 is left out
    s2 = s.copy()
    s2[3] = 20
    wm.set_edges(ni, oi, s2)
    assert wm.solve().tolist() == [0, 3]
    assert wm.certificate() == (29, 29) and wm.u[1] == 0


def test_no_edge_no_capacity():
    wm = WarmMatching(2, 2, np.array([0, 3]))
    wm.set_edges(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    assert len(wm.solve()) == 0 and wm.certificate() == (0, 0)
    # an offer without capacity is never chosen, however good its edge
    wm.set_edges(np.array([0, 1]), np.array([0, 1]), np.array([50, 2]))
    assert wm.solve().tolist() == [1] and wm.certificate() == (2, 2)


def test_the_certificate_refuses_a_wrong_answer():
    wm = WarmMatching(2, 1, np.array([1]))
    wm.set_edges(np.array([0, 1]), np.array([0, 0]), np.array([3, 8]))
    wm.solve()
    assert wm.certificate() == (8, 8)
    wm.p[0] = 0  # need 0's edge (3) no longer covered by its value (0) and the price (0)
    with pytest.raises(AssertionError, match="dual infeasible"):
        wm.certificate()
    wm.p[0], wm.u[0] = 5, 0
    wm.cap[0] = 0
    with pytest.raises(AssertionError, match="over its capacity"):
        wm.certificate()


def test_a_warm_solve_searches_only_what_the_change_frees():
    """The warm start's point: a solve after an unchanged edge set searches nothing; an offer left with room
    and a price is refilled by one reverse search, without freeing or searching any need."""
    ni = np.array([0, 1, 2, 2, 0])
    oi = np.array([0, 1, 0, 1, 1])
    s = np.array([9, 7, 5, 4, 3], dtype=np.int64)
    wm = WarmMatching(3, 2, np.array([1, 1]))
    wm.set_edges(ni, oi, s)
    assert wm.solve().tolist() == [0, 1]
    assert (wm.searches, wm.refills) == (3, 0)  # one search per need, every offer full
    wm.set_edges(ni, oi, s)
    assert wm.solve().tolist() == [0, 1]
    assert (wm.searches, wm.refills) == (3, 0)  # nothing changed, nothing searched
    # need 1's edge to offer 1 is gone: need 1 has nothing left (no search), offer 1 is left with room at a
    # positive price and one refill brings need 2 into it
    keep = np.array([0, 2, 3, 4])
    wm.set_edges(ni[keep], oi[keep], s[keep])
    assert wm.solve().tolist() == [0, 2]
    assert wm.certificate() == (13, 13)
    assert (wm.searches, wm.refills) == (3, 1)


def test_the_certificate_refuses_negative_duals_and_edgeless_assignments():
    wm = WarmMatching(2, 2, np.array([1, 1]))
    wm.set_edges(np.array([0, 1]), np.array([0, 1]), np.array([3, 8]))
    assert wm.solve().tolist() == [0, 1]
    assert wm.certificate() == (11, 11)
    wm.p[0], wm.u[0] = -1, 4  # still covers the edge (4 - 1 >= 3), but a price below 0
    with pytest.raises(AssertionError, match="negative dual"):
        wm.certificate()
    wm.p[0], wm.u[0] = 0, 3
    assert wm.certificate() == (11, 11)
    wm.assign[0] = 1  # need 0 has no edge to offer 1
    with pytest.raises(AssertionError, match="no edge to"):
        wm.certificate()


@settings(max_examples=100, deadline=None)
@given(keys=st.lists(st.integers(0, 20), max_size=40), pops=st.lists(st.booleans(), max_size=60))
def test_the_heap_pops_its_smallest_key_first(keys, pops):
    """The Dijkstra's heap (``_push``/``_pop``), pushes and pops interleaved: each pop gives the smallest key
    held (ties in any order), with the value pushed with it."""
    hk = np.empty(len(keys) + 1, dtype=np.int64)
    hv = np.empty(len(keys) + 1, dtype=np.int64)
    size, held, todo = 0, [], list(enumerate(keys))
    for pop in pops + [True] * len(keys):
        if pop and size:
            key, val, size = _pop(hk, hv, size)
            assert key == min(k for k, _ in held) and (key, val) in held
            held.remove((key, val))
        elif not pop and todo:
            val, key = todo.pop()
            size = _push(hk, hv, size, key, val)
            held.append((key, val))
        assert size == len(held)


def test_a_need_at_zero_value_is_not_searched_again():
    """Two needs tied for one place: the one left out and the one holding it (at the full price) are both worth
    0, and a re-solve on the same edges keeps them as they are."""
    wm = WarmMatching(2, 1, np.array([1]))
    wm.set_edges(np.array([0, 1]), np.array([0, 0]), np.array([5, 5]))
    first = wm.solve().tolist()
    assert len(first) == 1 and wm.certificate() == (5, 5)
    assert wm.u.tolist() == [0, 0] and wm.p.tolist() == [5] and wm.searches == 2
    wm.set_edges(np.array([0, 1]), np.array([0, 0]), np.array([5, 5]))
    assert wm.solve().tolist() == first and wm.searches == 2 and wm.refills == 0


def test_start_prices_above_every_edge_leave_the_work_to_the_refills():
    """Needs whose edges are worth nothing net of the starting prices are not searched (staying out is as
    good); the offers left with room at a price are then refilled: they take those needs and lower their
    prices to what the needs can pay."""
    wm = WarmMatching(2, 2, np.array([1, 1]))
    wm.p[:] = [10, 3]
    wm.set_edges(np.array([0, 1]), np.array([0, 1]), np.array([10, 2]))
    assert wm.solve().tolist() == [0, 1]
    assert wm.certificate() == (12, 12)
    assert (wm.searches, wm.refills) == (0, 2)
    assert wm.p.tolist() == [10, 2] and wm.u.tolist() == [0, 0]


def test_a_fresh_matching_has_no_edges():
    """Before any set_edges the edge set is empty: nothing is chosen, and starting prices on offers with room
    fall to 0 (the certificate needs it: an offer with a place left costs nothing)."""
    wm = WarmMatching(3, 2, np.array([2, 1]))
    wm.p[:] = [4, 9]
    assert len(wm.solve()) == 0 and len(wm.chosen()) == 0
    assert wm.p.tolist() == [0, 0] and wm.certificate() == (0, 0)
