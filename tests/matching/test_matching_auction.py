"""The forward auction that prices every stored edge (matching/solvers/auction.py): its answer is feasible
and within ``eps`` per assigned need of the optimum (OR-Tools' min-cost flow, an independent solver), each
need holds an offer of nearly best net value (``eps``-complementary slackness), and the per-need selection by
net value equals a plain sort."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.solvers.auction import auction_prices, best_by_net_value, price_store
from matching.solvers.flow import flow_select


def _csr(seed: int, n: int, m: int, density: float, top: int, max_cap: int):
    rng = np.random.default_rng(seed)
    keys = np.flatnonzero(rng.random(n * m) < density)
    ni, oi = keys // m, keys % m  # grouped by need
    s = rng.integers(1, top + 1, size=len(keys)).astype(np.int64)
    cap = rng.integers(0, max_cap + 1, size=m)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(ni, minlength=n), out=ptr[1:])
    return rng, ni, oi, s, cap, ptr


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 40),
    m=st.integers(1, 12),
    density=st.sampled_from([0.15, 0.5, 1.0]),
    top=st.sampled_from([3, 1000, 10**6]),
    max_cap=st.integers(0, 4),
    eps=st.sampled_from([1, 7, 1000]),
)
def test_the_auction_is_eps_optimal_and_eps_complementary(seed, n, m, density, top, max_cap, eps):
    _, ni, oi, s, cap, ptr = _csr(seed, n, m, density, top, max_cap)
    p, edge, bids = auction_prices(ptr, oi, s, cap, eps, 10**9)
    held = edge[edge >= 0]
    assert (ni[held] == np.flatnonzero(edge >= 0)).all()  # each need's edge is its own
    assert set(edge[edge < 0].tolist()) <= {-1}  # -1: nothing held (never bid, or displaced)
    load = np.bincount(oi[held], minlength=m)
    assert (load <= cap).all() and (p >= 0).all()
    assert bids >= len(held)
    ok = cap[oi] > 0
    best = 0
    if ok.any():
        _status, chosen, _ = flow_select(ni[ok], oi[ok], s[ok], cap, n, m)
        best = int(s[ok][chosen].sum())
    value = int(s[held].sum())
    assert best - eps * len(held) <= value <= best
    # eps-complementary slackness: a need holds an offer within eps of its best net value; a need left out
    # has nothing worth more than eps; an offer with a place left costs nothing
    net = np.where(cap[oi] > 0, s - p[oi], 0)  # (an offer without a place is no option)
    for i in range(n):
        mine = slice(ptr[i], ptr[i + 1])
        top_net = max(0, int(net[mine].max(initial=0)))
        if edge[i] >= 0:
            assert net[edge[i]] >= top_net - eps
        else:
            assert top_net <= eps
    assert (p[load < np.minimum(cap, np.bincount(oi, minlength=m))] == 0).all()


def test_a_bid_budget_stops_the_auction():
    _, _ni, oi, s, cap, ptr = _csr(3, 30, 5, 1.0, 100, 1)
    _p, edge, bids = auction_prices(ptr, oi, s, cap, 1, 4)
    assert bids == 4 and int((edge >= 0).sum()) <= 4


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), m=st.integers(1, 20), k=st.integers(0, 6))
def test_best_by_net_value_is_a_per_need_sort(seed, n, m, k):
    rng, _ni, oi, s, _cap, ptr = _csr(seed, n, m, 0.5, 50, 2)
    p = rng.integers(0, 60, size=m)
    got = best_by_net_value(ptr, oi, s, p, k)
    net = s - p[oi]
    for i in range(n):
        mine = np.arange(ptr[i], ptr[i + 1])
        picked = got[(got >= ptr[i]) & (got < ptr[i + 1])]
        assert len(picked) == min(k, len(mine))
        # the k best net values (ties: any of the tied edges)
        want = np.sort(net[mine])[::-1][: len(picked)]
        assert np.array_equal(np.sort(net[picked])[::-1], want)
    assert np.all(np.diff(got) > 0)


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 30),
    m=st.integers(1, 12),
    k=st.integers(0, 4),
    margin=st.sampled_from([0, 5]),
)
def test_price_store_is_the_per_need_max_and_the_best_violators(seed, n, m, k, margin):
    rng, ni, oi, s, _cap, ptr = _csr(seed, n, m, 0.5, 40, 2)
    u = rng.integers(0, 30, size=n)
    v = rng.integers(0, 30, size=m)
    in_ws = rng.random(len(s)) < 0.3
    u_seen = np.full(n, -7, dtype=np.int64)
    got = price_store(ptr, oi, s, in_ws, u, v, margin, k, u_seen)
    gain = s - v[oi]
    for i in range(n):
        mine = np.arange(ptr[i], ptr[i + 1])
        if len(mine) == 0:
            assert u_seen[i] == -7  # untouched: no stored edge
            continue
        assert u_seen[i] == max(u[i], gain[mine].max())
        cand = mine[(gain[mine] > u[i] - margin) & ~in_ws[mine]]
        picked = got[(got >= ptr[i]) & (got < ptr[i + 1])]
        assert len(picked) == min(k, len(cand)) and np.isin(picked, cand).all()
        want = np.sort(gain[cand])[::-1][: len(picked)]
        assert np.array_equal(gain[picked], want)  # the best, best first
    assert np.all(np.diff(ni[got]) >= 0)  # needs in order


def test_a_lone_bid_prices_the_offer_at_its_score_plus_eps():
    """One need, one place: it bids the score less its second-best option (staying out, 0) plus ``eps``; an
    ``eps`` below 1 is taken as 1 (the auction must progress)."""
    ptr, offer, score = np.array([0, 1]), np.array([0]), np.array([10], dtype=np.int64)
    for eps, price in ((7, 17), (1, 11), (0, 11)):
        p, edge, bids = auction_prices(ptr, offer, score, np.array([1]), eps, 10**9)
        assert p.tolist() == [price] and edge.tolist() == [0] and bids == 1


def test_a_many_place_offer_keeps_its_best_bids():
    """Thirty needs for one offer of 7 (then 15) places, bidding in increasing order of score (each new bid
    displaces the cheapest kept one and sinks to the bottom of the offer's heap of kept bids): the offer ends
    holding the best, priced at the lowest kept bid (that score plus eps), one bid per need."""
    scores = np.arange(1, 31, dtype=np.int64) * 10
    ptr, offer = np.arange(31), np.zeros(30, dtype=np.int64)
    for places in (7, 15):
        p, edge, bids = auction_prices(ptr, offer, scores, np.array([places]), 1, 10**5)
        assert sorted(scores[edge >= 0].tolist()) == scores[-places:].tolist()
        assert p.tolist() == [scores[-places] + 1] and bids == 30


def test_each_offer_keeps_its_own_heap_of_bids_whatever_their_order():
    """Two offers of 7 places. Each gets 7 bids in decreasing order (each new one, the lowest so far, rises to
    the top of its offer's heap of kept bids), then 5 higher ones (each displaces the cheapest kept bid, and
    the new one sinks into the heap): each offer ends holding its 7 best, priced at the lowest kept bid (a
    lone option: score + eps), and neither heap touches the other's."""
    first = np.array([70, 60, 50, 40, 30, 20, 10, 80, 90, 100, 110, 120], dtype=np.int64)
    scores = np.concatenate([first * 10, first * 10 + 5])
    ptr, offer = np.arange(25), np.repeat([0, 1], 12)
    p, edge, bids = auction_prices(ptr, offer, scores, np.array([7, 7]), 1, 10**5)
    for j, mine in ((0, slice(0, 12)), (1, slice(12, 24))):
        kept = np.flatnonzero(edge[mine] >= 0)
        best = sorted(scores[mine].tolist())[-7:]
        assert sorted(scores[mine][kept].tolist()) == best
        assert p[j] == best[0] + 1
    assert bids == 24  # a displaced need's net value at the new price is negative: it never bids again


def test_price_store_leaves_out_an_edge_exactly_at_the_margin():
    """Only edges with ``score - v > u - margin`` are candidates: one at exactly ``u - margin`` is not."""
    ptr, offer = np.array([0, 3]), np.array([0, 1, 2])
    score = np.array([20, 15, 16], dtype=np.int64)
    u = np.array([10])
    for margin, v, want in (
        (0, [10, 5, 6], []),  # gains 10, 10, 10 = u
        (0, [9, 5, 6], [0]),  # gain 11 > u
        (5, [15, 10, 11], []),  # gains 5, 5, 5 = u - margin
        (5, [14, 10, 11], [0]),
    ):
        u_seen = np.zeros(1, dtype=np.int64)
        got = price_store(ptr, offer, score, np.zeros(3, dtype=bool), u, np.array(v), margin, 5, u_seen)
        assert got.tolist() == want, (margin, v)
        assert u_seen[0] == max(10, 20 - v[0])
