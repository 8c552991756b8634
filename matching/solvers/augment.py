"""Warm-started exact b-matching: shortest augmenting paths with explicit integer duals.

The problem of :mod:`matching.solvers.flow` (each need to at most one offer, each offer to at most its
remaining capacity, maximise the sum of integer scores), solved the Hungarian way so that the next
pricing round of :mod:`matching.solvers.streamed` starts from where the last one ended instead of from
scratch (OR-Tools' min-cost flow cannot be warm-started: re-solving each round cold was 70 % of a
200k x 60k run).

**Duals.** A price ``p_o >= 0`` per offer and a value ``u_n >= 0`` per need with ``u_n + p_o >= w`` on
every edge.  Complementary slackness: a need's chosen edge is *tight* (``u_n + p_o = w``), an unmatched
need has ``u_n = 0``, an offer with capacity left has ``p_o = 0``.  A matching and duals meeting all of
it are both optimal, and :meth:`WarmMatching.certificate` checks exactly that (vectorised, independent
of how the answer was found): primal value = dual value, both feasible.

**Augmenting.** Each *free* need runs a Dijkstra over reduced costs ``u_n + p_o - w >= 0``: from the
need to offers, from a full offer to each of its holders (tight: cost 0).  A path ends at an offer
with capacity left (cost: its label) or by dropping a reached need to unmatched (cost: its label
``+ u_n``); the cheapest end ``D`` is taken, labels below ``D`` move the duals (prices up, values
down) so that the path becomes tight, and the assignments shift along it.  Needs only ever join an
offer's holders, so an offer with capacity left keeps its zero price.

**Warm start** (:meth:`WarmMatching.set_edges` with a grown edge set): needs whose value no longer covers a
new edge get it raised and, when their chosen edge stops being tight, are freed; an offer left with
capacity and a positive price has it set to 0, which may raise and free its neighbours in turn (a
cascade bounded by the offers, each lowered once).  Only those needs search again.

The kernels are compiled with numba (``cache=True``: once per machine, in ``__pycache__``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..model import I64

_INF = np.int64(2**62)
_TRACE = False


@njit(cache=True)
def _push(hk, hv, size, key, val):  # type: ignore[no-untyped-def]
    i = size
    hk[i] = key
    hv[i] = val
    while i > 0:
        parent = (i - 1) >> 1
        if hk[parent] <= key:
            break
        hk[i] = hk[parent]
        hv[i] = hv[parent]
        i = parent
    hk[i] = key
    hv[i] = val
    return size + 1


@njit(cache=True)
def _pop(hk, hv, size):  # type: ignore[no-untyped-def]
    key = hk[0]
    val = hv[0]
    size -= 1
    lk = hk[size]
    lv = hv[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and hk[c + 1] < hk[c]:
            c += 1
        if hk[c] >= lk:
            break
        hk[i] = hk[c]
        hv[i] = hv[c]
        i = c
    if size > 0:
        hk[i] = lk
        hv[i] = lv
    return key, val, size


@njit(cache=True)
def _attach(i, j, assign, head, nxt, prv, load):  # type: ignore[no-untyped-def]
    h = head[j]
    nxt[i] = h
    prv[i] = -1
    if h >= 0:
        prv[h] = i
    head[j] = i
    assign[i] = j
    load[j] += 1


@njit(cache=True)
def _detach(i, assign, head, nxt, prv, load):  # type: ignore[no-untyped-def]
    j = assign[i]
    if prv[i] >= 0:
        nxt[prv[i]] = nxt[i]
    else:
        head[j] = nxt[i]
    if nxt[i] >= 0:
        prv[nxt[i]] = prv[i]
    load[j] -= 1
    assign[i] = -1
    return j


@njit(cache=True)
def _repair(ptr, eo, ew, u, p, assign, head, nxt, prv, load, free):  # type: ignore[no-untyped-def]
    """Restore dual feasibility after the edge set changed: a need whose value no longer covers one of its
    edges gets it raised; a need whose chosen edge is no longer tight (or gone), or left unmatched with a
    positive value, is freed (marked in ``free``)."""
    n_needs = len(ptr) - 1
    for i in range(n_needs):
        best = 0
        for e in range(ptr[i], ptr[i + 1]):
            val = ew[e] - p[eo[e]]
            if val > best:
                best = val
        if best > u[i]:
            u[i] = best
        if free[i]:
            continue
        j = assign[i]
        if j < 0:
            if u[i] > 0:
                free[i] = True
            continue
        tight = False
        for e in range(ptr[i], ptr[i + 1]):
            if eo[e] == j and ew[e] - p[j] == u[i]:
                tight = True
        if not tight:
            _detach(i, assign, head, nxt, prv, load)
            free[i] = True


@njit(cache=True)
def _refill(optr, oneed, ow, u, p, cap, assign, head, nxt, prv, load):  # type: ignore[no-untyped-def]
    """For each offer with capacity left and a positive price (left so by :func:`_repair`), a reverse
    shortest path: bring a need into it (from an offer that can spare one at a lower price, or an
    unmatched need), or lower its price to 0; prices fall and values rise along the way, never freeing a
    need (see module doc)."""
    n_offers = len(p)
    n_needs = len(assign)
    lam = np.full(n_offers, _INF, dtype=np.int64)
    ostate = np.zeros(n_offers, dtype=np.int8)
    pred_hold = np.full(n_offers, -1, dtype=np.int64)
    mneed = np.full(n_needs, _INF, dtype=np.int64)
    pred_off = np.full(n_needs, -1, dtype=np.int64)
    touched_o = np.empty(n_offers, dtype=np.int64)
    touched_n = np.empty(n_needs, dtype=np.int64)
    hk = np.empty(len(oneed) + 1, dtype=np.int64)
    hv = np.empty(len(oneed) + 1, dtype=np.int64)
    searched = 0
    j0 = 0
    while j0 < n_offers:
        if load[j0] >= cap[j0] or p[j0] == 0:
            j0 += 1  # (an offer short of several places is searched again until full or free of charge)
            continue
        searched += 1
        n_to = 1
        n_tn = 0
        touched_o[0] = j0
        ostate[j0] = 1
        lam[j0] = 0
        size = _push(hk, hv, 0, 0, j0)
        best = _INF
        term_kind = 0  # 0: the offer term_node keeps a place free at price 0; 1: unmatched need term_node joins
        term_node = j0
        while size > 0:
            key, k, size = _pop(hk, hv, size)
            if key >= best:
                break
            if ostate[k] == 2 or key > lam[k]:
                continue
            ostate[k] = 2
            if key + p[k] < best:
                best = key + p[k]
                term_kind = 0
                term_node = k
            for e in range(optr[k], optr[k + 1]):
                h = oneed[e]
                k2 = assign[h]
                if k2 == k:
                    continue
                nk = key + u[h] + p[k] - ow[e]
                if nk >= best or nk >= mneed[h]:
                    continue
                if mneed[h] == _INF:
                    touched_n[n_tn] = h
                    n_tn += 1
                mneed[h] = nk
                pred_off[h] = k
                if k2 < 0:
                    best = nk
                    term_kind = 1
                    term_node = h
                elif ostate[k2] != 2 and nk < lam[k2]:
                    if ostate[k2] == 0:
                        ostate[k2] = 1
                        touched_o[n_to] = k2
                        n_to += 1
                    lam[k2] = nk
                    pred_hold[k2] = h
                    size = _push(hk, hv, size, nk, k2)
        for t in range(n_to):
            k = touched_o[t]
            if ostate[k] == 2 and lam[k] < best:
                delta = best - lam[k]
                p[k] -= delta
                h = head[k]
                while h >= 0:
                    u[h] += delta  # holders stay tight
                    h = nxt[h]
        if _TRACE:  # pragma: no cover
            print("refill", j0, "D", best, "term", term_kind, term_node, "p", p[j0], "load", load[j0], cap[j0])
        cur = -1
        if term_kind == 1:
            cur = term_node
        elif term_node != j0:
            cur = pred_hold[term_node]
        while cur >= 0:
            k = pred_off[cur]
            if assign[cur] >= 0:
                _detach(cur, assign, head, nxt, prv, load)
            _attach(cur, k, assign, head, nxt, prv, load)
            if k == j0:
                break
            cur = pred_hold[k]
        for t in range(n_to):
            k = touched_o[t]
            ostate[k] = 0
            lam[k] = _INF
        for t in range(n_tn):
            mneed[touched_n[t]] = _INF
    return searched


@njit(cache=True)
def _augment(roots, ptr, eo, ew, u, p, cap, assign, head, nxt, prv, load, free):  # type: ignore[no-untyped-def]
    """One shortest augmenting path per free need of ``roots`` (see module doc)."""
    n_needs = len(ptr) - 1
    n_offers = len(p)
    lam = np.full(n_offers, _INF, dtype=np.int64)
    ostate = np.zeros(n_offers, dtype=np.int8)  # 0 untouched, 1 labelled, 2 settled
    pred_obj = np.full(n_offers, -1, dtype=np.int64)
    dneed = np.zeros(n_needs, dtype=np.int64)
    touched_o = np.empty(n_offers, dtype=np.int64)
    settled_n = np.empty(n_needs, dtype=np.int64)
    cap_heap = len(eo) + 1
    hk = np.empty(cap_heap, dtype=np.int64)
    hv = np.empty(cap_heap, dtype=np.int64)
    searched = 0
    for r in roots:
        if not free[r]:
            continue
        free[r] = False
        best = 0
        for e in range(ptr[r], ptr[r + 1]):
            val = ew[e] - p[eo[e]]
            if val > best:
                best = val
        u[r] = best
        if best == 0:  # nothing worth more than staying unmatched
            continue
        searched += 1
        n_to = 0
        n_sn = 0
        size = 0
        term_kind = 0  # 0: drop term_node to unmatched, 1: term_node is an offer with capacity left
        term_node = r
        dneed[r] = 0
        settled_n[n_sn] = r
        n_sn += 1
        h = r
        dh = 0
        hq = -1  # holders of the last settled offer still to relax (linked list walk)
        while True:
            # relax the edges of need h, reached at distance dh
            for e in range(ptr[h], ptr[h + 1]):
                j2 = eo[e]
                if ostate[j2] == 2:
                    continue
                nk = dh + u[h] + p[j2] - ew[e]
                if nk < best and nk < lam[j2]:
                    if ostate[j2] == 0:
                        ostate[j2] = 1
                        touched_o[n_to] = j2
                        n_to += 1
                    lam[j2] = nk
                    pred_obj[j2] = h
                    size = _push(hk, hv, size, nk, j2)
            # next need to relax: the next holder of the offer being expanded, else pop an offer
            if hq >= 0:
                h = hq
                hq = nxt[h]
            else:
                h = -1
                while size > 0:
                    key, j, size = _pop(hk, hv, size)
                    if key >= best:
                        size = 0
                        break
                    if ostate[j] == 2 or key > lam[j]:
                        continue
                    ostate[j] = 2
                    if load[j] < cap[j]:
                        best = key
                        term_kind = 1
                        term_node = j
                        size = 0
                        break
                    h = head[j]
                    if h >= 0:
                        dh = key
                        hq = nxt[h]
                        break
                if h < 0:
                    break
            dneed[h] = dh
            settled_n[n_sn] = h
            n_sn += 1
            if dh + u[h] < best:
                best = dh + u[h]
                term_kind = 0
                term_node = h
        # duals: labels below the path's length move so that the path and the tree become tight
        for t in range(n_to):
            j = touched_o[t]
            if ostate[j] == 2 and lam[j] < best:
                p[j] += best - lam[j]
        for t in range(n_sn):
            i = settled_n[t]
            if dneed[i] < best:
                u[i] -= best - dneed[i]
        # shift the assignments along the path
        cur = -1
        if term_kind == 1:
            cur = term_node
        elif term_node != r:
            cur = _detach(term_node, assign, head, nxt, prv, load)
        while cur >= 0:
            y = pred_obj[cur]
            prev = -1
            if assign[y] >= 0:
                prev = _detach(y, assign, head, nxt, prv, load)
            _attach(y, cur, assign, head, nxt, prv, load)
            cur = prev
        for t in range(n_to):
            j = touched_o[t]
            ostate[j] = 0
            lam[j] = _INF
    return searched


class WarmMatching:
    """The optimal b-matching of a growing edge set, with its duals, re-optimised from the last answer.

    ``remaining``: capacity per offer.  :meth:`set_edges` gives the whole current edge set (it may only
    grow between calls, or be any set: needs whose chosen edge disappeared search again), :meth:`solve`
    returns the positions of the chosen edges in it.  ``u`` (per need) and ``p`` (per offer) are the
    integer duals of the last solve."""

    def __init__(self, n_needs: int, n_offers: int, remaining: np.ndarray) -> None:
        self.N, self.M = int(n_needs), int(n_offers)
        self.cap = np.maximum(np.asarray(remaining, dtype=np.int64), 0)
        self.u = np.zeros(self.N, dtype=np.int64)
        self.p = np.zeros(self.M, dtype=np.int64)
        self.assign = np.full(self.N, -1, dtype=np.int64)
        self.head = np.full(self.M, -1, dtype=np.int64)
        self.nxt = np.full(self.N, -1, dtype=np.int64)
        self.prv = np.full(self.N, -1, dtype=np.int64)
        self.load = np.zeros(self.M, dtype=np.int64)
        self.free = np.ones(self.N, dtype=bool)
        self.searches = 0
        self.refills = 0
        self._optr = np.zeros(self.M + 1, dtype=np.int64)
        self._oneed = np.zeros(0, dtype=np.int64)
        self._ow = np.zeros(0, dtype=np.int64)
        self._order = np.zeros(0, dtype=np.int64)
        self._ptr = np.zeros(self.N + 1, dtype=np.int64)
        self._en = np.zeros(0, dtype=np.int64)
        self._eo = np.zeros(0, dtype=np.int64)
        self._ew = np.zeros(0, dtype=np.int64)

    def set_edges(self, need_idx: np.ndarray, offer_idx: np.ndarray, score_int: np.ndarray) -> None:
        """The edge set to optimise over (positive integer scores); repairs the duals (see module doc)."""
        ni = np.asarray(need_idx, dtype=np.int64)
        oi = np.asarray(offer_idx, dtype=np.int64)
        order = np.argsort(ni, kind="stable")
        self._order = order
        self._ptr = np.zeros(self.N + 1, dtype=np.int64)
        np.cumsum(np.bincount(ni, minlength=self.N), out=self._ptr[1:])
        self._en = ni[order]  # each edge's need, in the solver's order
        self._eo = oi[order]
        self._ew = np.asarray(score_int, dtype=np.int64)[order]
        by_offer = np.argsort(self._eo, kind="stable")
        self._optr = np.zeros(self.M + 1, dtype=np.int64)
        np.cumsum(np.bincount(self._eo, minlength=self.M), out=self._optr[1:])
        self._oneed = self._en[by_offer]
        self._ow = self._ew[by_offer]
        _repair(
            self._ptr,
            self._eo,
            self._ew,
            self.u,
            self.p,
            self.assign,
            self.head,
            self.nxt,
            self.prv,
            self.load,
            self.free,
        )

    def solve(self) -> I64:
        """Re-optimise; positions (in the arrays last given to :meth:`set_edges`) of the chosen edges."""
        roots = np.flatnonzero(self.free)
        self.searches += int(
            _augment(
                roots,
                self._ptr,
                self._eo,
                self._ew,
                self.u,
                self.p,
                self.cap,
                self.assign,
                self.head,
                self.nxt,
                self.prv,
                self.load,
                self.free,
            )
        )
        self.refills += int(
            _refill(
                self._optr,
                self._oneed,
                self._ow,
                self.u,
                self.p,
                self.cap,
                self.assign,
                self.head,
                self.nxt,
                self.prv,
                self.load,
            )
        )
        return self.chosen()

    def chosen(self) -> I64:
        """Positions of the chosen edges (in the caller's order), sorted."""
        hit = self.assign[self._en] == self._eo
        out: I64 = np.sort(self._order[np.flatnonzero(hit)])
        return out

    def certificate(self) -> tuple[int, int]:
        """``(primal, dual)`` values after checking both solutions feasible and complementary; equal values
        prove the matching optimal on the edge set.  Raises ``AssertionError`` otherwise."""
        ni, eo, ew = self._en, self._eo, self._ew
        if len(ew) and not bool((self.u[ni] + self.p[eo] >= ew).all()):
            raise AssertionError("dual infeasible: an edge is worth more than its need's value plus its price")
        if (self.u < 0).any() or (self.p < 0).any():
            raise AssertionError("negative dual")
        hit = self.assign[ni] == eo
        if int(hit.sum()) != int((self.assign >= 0).sum()):
            raise AssertionError("a need is assigned to an offer it has no edge to")
        load = np.bincount(eo[hit], minlength=self.M)
        if (load > self.cap).any():
            raise AssertionError("an offer is over its capacity")
        primal = int(ew[hit].sum())
        dual = int(self.u.sum() + (self.cap * self.p).sum())
        return primal, dual
