"""Prices for every stored edge at once: a forward auction (Bertsekas) on the b-matching.

The streamed solver proves optimality with offer prices (duals) that make no left-out edge worth adding.
Prices found on a small first working set are far from those of the whole candidate set (an offer missing
from it costs 0, so every need that could use it looks underserved), and closing that distance took many
pricing rounds.  An auction over *all* stored edges, with a small bidding increment ``eps``, finds prices
within ``eps`` per need of the optimal duals in a few passes over the edges: each need, while unassigned,
bids for the offer of best net value ``w - price`` (staying unmatched is worth 0), raising its price by the
margin over its second-best option plus ``eps``; an offer keeps its ``capacity`` best bids and its price
is its lowest kept bid once full (0 before).  The result is ``eps``-optimal: its value is within
``eps`` × (needs assigned) of the optimum.  It is not the proof: the exact warm-started solve
(:mod:`matching.solvers.augment`) starts from these prices, on a working set chosen with them
(:func:`best_by_net_value`), and the pricing rounds of :mod:`matching.solvers.streamed` close the gap.

Edges come as a CSR by need (``ptr``, ``offer``, ``score``: the streamed solver's store).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..model import I64


@njit(cache=True)
def _bid_phase(ptr, eo, ew, room, sptr, hk, hv, size, price, edge, queue, eps, max_bids):  # type: ignore[no-untyped-def]
    """Needs bid until each holds a place or prefers none (or ``max_bids`` bids); returns the bids made."""
    n_needs = len(ptr) - 1
    ql = n_needs + 1
    qh = 0
    qt = 0
    for i in range(n_needs):
        if ptr[i + 1] > ptr[i]:
            queue[qt] = i
            qt += 1
    bids = 0
    while qh != qt and bids < max_bids:
        i = queue[qh]
        qh = (qh + 1) % ql
        v1 = 0  # staying unmatched is worth 0
        v2 = 0
        e1 = -1
        for e in range(ptr[i], ptr[i + 1]):
            v = ew[e] - price[eo[e]]
            if v > v1:
                v2 = v1
                v1 = v
                e1 = e
            elif v > v2:
                v2 = v
        if e1 < 0:
            continue
        j1 = eo[e1]
        base = sptr[j1]
        bid = ew[e1] - v2 + eps  # its price (score - v1) + the margin over the second best + eps
        if size[j1] == room[j1]:  # every place priced: the cheapest changes hands (its holder bids again)
            h = hv[base]
            if h >= 0:
                edge[h] = -1
                queue[qt] = h
                qt = (qt + 1) % ql
            k = 0
            n = size[j1]
            while True:
                c = 2 * k + 1
                if c >= n:
                    break
                if c + 1 < n and hk[base + c + 1] < hk[base + c]:
                    c += 1
                if hk[base + c] >= bid:
                    break
                hk[base + k] = hk[base + c]
                hv[base + k] = hv[base + c]
                k = c
        else:  # a place still free: priced now
            k = size[j1]
            size[j1] += 1
            while k > 0:
                par = (k - 1) >> 1
                if hk[base + par] <= bid:
                    break
                hk[base + k] = hk[base + par]
                hv[base + k] = hv[base + par]
                k = par
        hk[base + k] = bid
        hv[base + k] = i
        if size[j1] == room[j1]:
            price[j1] = hk[base]  # every place priced: the cheapest one's price
        edge[i] = e1
        bids += 1
    return bids


@njit(cache=True)
def _auction(ptr, eo, ew, cap, eps, max_bids):  # type: ignore[no-untyped-def]
    n_needs = len(ptr) - 1
    n_offers = len(cap)
    deg = np.zeros(n_offers, dtype=np.int64)
    for e in range(len(eo)):
        deg[eo[e]] += 1
    room = np.minimum(cap, deg)  # a place no need can reach is never bid for
    sptr = np.zeros(n_offers + 1, dtype=np.int64)
    for j in range(n_offers):
        sptr[j + 1] = sptr[j] + max(room[j], 0)
    hk = np.zeros(sptr[n_offers], dtype=np.int64)  # per offer, a min-heap of its places' prices
    hv = np.full(sptr[n_offers], -1, dtype=np.int64)  # and who holds each (-1: nobody)
    size = np.zeros(n_offers, dtype=np.int64)
    price = np.zeros(n_offers, dtype=np.int64)  # what a need pays for the offer now (0 while a place is free)
    for j in range(n_offers):
        if room[j] <= 0:
            price[j] = 2**62  # no place: never worth bidding for
    edge = np.full(n_needs, -1, dtype=np.int64)
    queue = np.empty(n_needs + 1, dtype=np.int64)
    bids = _bid_phase(ptr, eo, ew, room, sptr, hk, hv, size, price, edge, queue, eps, max_bids)
    p = np.zeros(n_offers, dtype=np.int64)
    for j in range(n_offers):
        if room[j] > 0 and size[j] == room[j]:
            p[j] = hk[sptr[j]]
    return p, edge, bids


def auction_prices(
    ptr: I64, offer: np.ndarray, score: np.ndarray, capacity: np.ndarray, eps: int, max_bids: int
) -> tuple[I64, I64, int]:
    """``(prices, chosen edge per need (-1: none), bids)`` of a forward auction on the CSR edges (see module
    doc); stops after ``max_bids`` bids (the prices and choices are then those reached)."""
    p, edge, bids = _auction(
        np.asarray(ptr, dtype=np.int64),
        offer,
        score,
        np.maximum(np.asarray(capacity, dtype=np.int64), 0),
        np.int64(max(1, eps)),
        np.int64(max_bids),
    )
    return p, edge, int(bids)


@njit(cache=True)
def _best_by_net(ptr, eo, ew, p, k):  # type: ignore[no-untyped-def]
    n_needs = len(ptr) - 1
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    cnt = np.zeros(n_needs, dtype=np.int64)
    for i in range(n_needs):
        cnt[i] = min(k, max(0, ptr[i + 1] - ptr[i]))
    out_ptr = np.zeros(n_needs + 1, dtype=np.int64)
    for i in range(n_needs):
        out_ptr[i + 1] = out_ptr[i] + cnt[i]
    out = np.empty(out_ptr[n_needs], dtype=np.int64)
    vals = np.empty(max(k, 1), dtype=np.int64)
    for i in range(n_needs):
        m = 0
        base = out_ptr[i]
        for e in range(ptr[i], ptr[i + 1]):
            v = ew[e] - p[eo[e]]
            if m < k:
                t = m
                m += 1
            elif v > vals[k - 1]:
                t = k - 1
            else:
                continue
            while t > 0 and vals[t - 1] < v:  # insertion, best first
                vals[t] = vals[t - 1]
                out[base + t] = out[base + t - 1]
                t -= 1
            vals[t] = v
            out[base + t] = e
    return out


def best_by_net_value(ptr: I64, offer: np.ndarray, score: np.ndarray, prices: I64, k: int) -> I64:
    """Positions (in the CSR) of each need's ``k`` edges of best net value ``score - price``, sorted."""
    out: I64 = np.sort(_best_by_net(np.asarray(ptr, dtype=np.int64), offer, score, prices, np.int64(k)))
    return out


@njit(cache=True)
def _price_store(ptr, eo, ew, in_ws, u, v, margin, k, u_seen):  # type: ignore[no-untyped-def]
    n_needs = len(ptr) - 1
    out = np.empty(min(len(eo), n_needs * max(k, 0)), dtype=np.int64)
    n_out = 0
    keys = np.empty(max(k, 1), dtype=np.int64)
    pos = np.empty(max(k, 1), dtype=np.int64)
    for i in range(n_needs):
        if ptr[i + 1] == ptr[i]:
            continue
        best = u[i]
        m = 0
        for e in range(ptr[i], ptr[i + 1]):
            gain = ew[e] - v[eo[e]]
            if gain > best:
                best = gain
            key = gain - u[i] + margin
            if key <= 0 or in_ws[e] or k <= 0:
                continue
            if m < k:
                t = m
                m += 1
            elif key > keys[k - 1]:
                t = k - 1
            else:
                continue
            while t > 0 and keys[t - 1] < key:
                keys[t] = keys[t - 1]
                pos[t] = pos[t - 1]
                t -= 1
            keys[t] = key
            pos[t] = e
        u_seen[i] = best
        for t in range(m):
            out[n_out] = pos[t]
            n_out += 1
    return out[:n_out]


def price_store(
    ptr: I64,
    offer: np.ndarray,
    score: np.ndarray,
    in_working_set: np.ndarray,
    u: I64,
    v: I64,
    margin: int,
    k: int,
    u_seen: I64,
) -> I64:
    """Price every stored edge (CSR by need) against need values ``u`` and offer prices ``v``, in one pass:
    sets ``u_seen[n] = max(u[n], max over n's edges of score - v)`` for each need with edges (the dual
    value that covers all of them) and returns the positions of each need's ``k`` best edges outside the
    working set with ``score - v > u[n] - margin`` (best first per need, needs in order)."""
    out: I64 = _price_store(
        np.asarray(ptr, dtype=np.int64),
        offer,
        score,
        in_working_set,
        u,
        v,
        np.int64(margin),
        np.int64(k),
        u_seen,
    )
    return out
