"""The warm-started augmenting-path solver (matching/solvers/augment.py): on random instances, however its
edge set grows or changes between solves and whatever prices it starts from, its matching equals OR-Tools'
min-cost flow optimum (an independent solver), and its duals certify it (feasible, complementary, same value)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.solvers.augment import WarmMatching
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
