"""Compiled kernel of the streamed candidate generation (:mod:`matching.stream`).

:func:`block_edges` is the raw-pair expansion of a block of needs fused with every hard rule of
:mod:`matching.candidates` (one loop, no per-pair temporaries).  For each need, its on-site pairs then
its remote pairs; a pair is kept

* once: on its lowest shared token (from the ``uint64`` skill bitsets, whose shared bits also give the
  coverage), like :class:`matching.joins.EdgeSink`;
* when both time windows overlap;
* by place: on-site join, within the offer's radius; remote join, unless the on-site join gives it;
* unless excluded: explicitly, because the offer's provider belongs to the need's organisation, or
  because the need takes labelled providers only and the offer has no charter value
  (:func:`matching.candidates.finish_edges`);

and written with its squared chord, covered skills, coverage and modes.  The edges come out grouped by
need in exactly the order of the plain-numpy path (``EdgeSink.emit`` on each join, a stable sort by
need, then ``finish_edges``), with bit-identical values: the squared chord sums the same products in
the same order as numpy's ``einsum`` there.  ``tests/matching/test_matching_kernels.py`` compares the two
on random instances.

Compiled with numba (``cache=True``: once per machine, in ``__pycache__``; ``nogil=True``: two blocks
are built at once on two threads).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

from .model import F64, I16, I32, I64, U64, Bool

U8 = npt.NDArray[np.uint8]


class Joins(NamedTuple):
    """The raw pairs of each need: its token entries ``ent_ptr[n]:ent_ptr[n + 1]`` (token
    ``ent_tok[e]``); entry ``e`` meets the on-site offers ``grid_offers[lo_on[e]:lo_on[e] + cnt_on[e]]``
    and the remote ones ``remote_offers[lo_re[e]:lo_re[e] + cnt_re[e]]``."""

    ent_ptr: I64
    ent_tok: I64
    lo_on: I64
    cnt_on: I64
    grid_offers: I64
    lo_re: I64
    cnt_re: I64
    remote_offers: I64


class Rules(NamedTuple):
    """Per need and per offer, what the hard rules look at.  The explicitly excluded offers of need
    ``n`` are ``excl_offers[excl_ptr[n]:excl_ptr[n + 1]]``, the organisations of provider ``p``
    ``provider_orgs[provider_org_ptr[p]:provider_org_ptr[p + 1]]`` (both sorted).  Per offer (packed: a
    pair reads few cache lines): ``offer_window`` its (start, end) days, ``offer_place`` its unit vector
    and squared chord radius, ``offer_flags`` the bits :data:`ONSITE_CAP` ... :data:`UNLABELLED`."""

    n_skills: int
    need_bits: U64
    need_start: I64
    need_end: I64
    need_xyz: F64
    need_onsite: Bool
    need_remote: Bool
    need_nskills: I64
    need_org: I64
    need_charter_only: Bool
    excl_ptr: I64
    excl_offers: I64
    offer_bits: U64
    offer_window: I64
    offer_place: F64
    offer_flags: U8
    offer_provider: I64
    offer_charter: F64
    provider_org_ptr: I64
    provider_orgs: I64


class Edges(NamedTuple):
    """Output buffers (one slot per raw pair)."""

    need: I32
    offer: I32
    chord2: F64
    n_covered: I16
    coverage: F64
    onsite: Bool
    remote: Bool


#: Bits of :attr:`Rules.offer_flags`: on-site capable, remote capable, its provider belongs to some
#: organisation, no charter value.
ONSITE_CAP, REMOTE_CAP, PROVIDER_ORGS, UNLABELLED = 1, 2, 4, 8
_ONSITE_CAP, _REMOTE_CAP, _PROVIDER_ORGS, _UNLABELLED = np.uint8(1), np.uint8(2), np.uint8(4), np.uint8(8)

_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)


@njit(cache=True, nogil=True, inline="always")
def _popcount(x):  # type: ignore[no-untyped-def]
    """Set bits of a ``uint64``."""
    x = x - ((x >> np.uint64(1)) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return (x * _H01) >> np.uint64(56)


@njit(cache=True, nogil=True, inline="always")
def _contains(values, lo, hi, x):  # type: ignore[no-untyped-def]
    """``x`` is among ``values[lo:hi]`` (sorted)."""
    end = hi
    while lo < hi:
        mid = (lo + hi) >> 1
        if values[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo < end and values[lo] == x


@njit(cache=True, nogil=True, inline="always")
def _excluded(r, n, o, ex_lo, ex_hi, org, only):  # type: ignore[no-untyped-def]
    """Edge (n, o) is excluded: explicitly, because the offer's provider belongs to the need's
    organisation ``org``, or because the need takes labelled providers ``only`` and the offer has no
    charter value."""
    if _contains(r.excl_offers, ex_lo, ex_hi, o):
        return True
    if org >= 0:
        pv = r.offer_provider[o]
        if _contains(r.provider_orgs, r.provider_org_ptr[pv], r.provider_org_ptr[pv + 1], org):
            return True
    return only and r.offer_charter[o] <= 0.0


@njit(cache=True, nogil=True)
def block_edges(needs, joins, rules, out):  # type: ignore[no-untyped-def]
    """Write the edges of ``needs`` (non-decreasing need indices) into ``out`` (:class:`Edges` sized for
    every raw pair of the needs, :class:`Joins`, :class:`Rules`); return how many.  A need repeated in
    ``needs`` gives its edges once per copy (its on-site edges of every copy, then its remote ones)."""
    j_, r = joins, rules
    n_words = r.need_bits.shape[1]
    k = 0
    i = 0
    while i < len(needs):
        n = needs[i]
        i_end = i + 1
        while i_end < len(needs) and needs[i_end] == n:
            i_end += 1
        ns, ne = r.need_start[n], r.need_end[n]
        nx, ny, nz = r.need_xyz[n, 0], r.need_xyz[n, 1], r.need_xyz[n, 2]
        n_onsite, n_remote = r.need_onsite[n], r.need_remote[n]
        nsk = r.need_nskills[n]
        org = r.need_org[n]
        only = r.need_charter_only[n]
        ex_lo, ex_hi = r.excl_ptr[n], r.excl_ptr[n + 1]
        check_excl = ex_lo < ex_hi
        check_flags = (_PROVIDER_ORGS if org >= 0 else 0) | (_UNLABELLED if only else 0)
        for onsite_join in (True, False):
            for _ in range(i_end - i):
                for e in range(j_.ent_ptr[n], j_.ent_ptr[n + 1]):
                    tok = j_.ent_tok[e]
                    # the lowest shared token only: no shared skill below a skill token (words before
                    # w_tok, bits of w_tok under `below`); no shared skill at all for a category token
                    if tok < r.n_skills:
                        w_tok = tok >> 6
                        below = (np.uint64(1) << np.uint64(tok & 63)) - np.uint64(1)
                    else:
                        w_tok = n_words
                        below = np.uint64(0)
                    if onsite_join:
                        lo, cnt, offers = j_.lo_on[e], j_.cnt_on[e], j_.grid_offers
                    else:
                        lo, cnt, offers = j_.lo_re[e], j_.cnt_re[e], j_.remote_offers
                    for p in range(lo, lo + cnt):
                        # branch-free: every test is computed, the slot k always written, and k moves
                        # on only for a kept pair (the tests fail unpredictably)
                        o = offers[p]
                        lower = False
                        for w in range(w_tok):
                            lower |= (r.need_bits[n, w] & r.offer_bits[o, w]) != 0
                        if w_tok < n_words:
                            lower |= (r.need_bits[n, w_tok] & r.offer_bits[o, w_tok] & below) != 0
                        # time windows
                        keep = (not lower) & (ns <= r.offer_window[o, 1]) & (r.offer_window[o, 0] <= ne)
                        # place (squared chords of unit vectors, summed in numpy's einsum order)
                        dx = nx - r.offer_place[o, 0]
                        dy = ny - r.offer_place[o, 1]
                        dz = nz - r.offer_place[o, 2]
                        c2 = (dx * dx + dz * dz) + dy * dy
                        within = c2 <= r.offer_place[o, 3]
                        flags = r.offer_flags[o]
                        onsite = ((flags & _ONSITE_CAP) != 0) & within & n_onsite
                        # on-site join: within the radius; remote join: unless the on-site join gives it
                        keep &= within if onsite_join else not onsite
                        # exclusions (rare: looked at closely only when one may apply)
                        if keep & (check_excl | ((flags & check_flags) != 0)):
                            keep = not _excluded(r, n, o, ex_lo, ex_hi, org, only)
                        cov = 0
                        for w in range(n_words):
                            cov += int(_popcount(r.need_bits[n, w] & r.offer_bits[o, w]))
                        out.need[k] = n
                        out.offer[k] = o
                        out.chord2[k] = c2
                        out.n_covered[k] = cov
                        out.coverage[k] = cov / max(nsk, 1) if nsk > 0 else 1.0
                        out.onsite[k] = onsite
                        out.remote[k] = n_remote & ((flags & _REMOTE_CAP) != 0)
                        k += keep
        i = i_end
    return k
