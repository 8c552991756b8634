"""Streamed priced pruning: the exact b-matching on every candidate edge, without building them all.

The edges come from a :class:`~matching.stream.CandidateStream`, block by block (needs × their joins);
only a bounded *working set* is kept:

1. **Generation pass.**  Each block's usable edges go to the compact *store* (need, offer, integer score:
   12 bytes an edge, up to ``store_budget``).  Beyond the store, a block keeps only the ``k_need`` best
   edges of each need and the ``ceil(k_offer × remaining)`` best of each offer (trimmed again over all
   blocks) and, of the rest, one number per need: ``g_n``, the best score left out.  Each need's
   ``k_need`` best edges keep their full data (alternatives, explanations).
2. **Prices and the first working set.**  When every usable edge is stored and there are few
   (``direct_edges``), one OR-Tools min-cost flow on all of them is the answer.  Otherwise a forward
   auction (:mod:`~matching.solvers.auction`) over the whole store gives offer prices within
   ``auction_eps`` per need of the optimal duals, and the stored needs' working set is each one's
   ``k_net`` best edges at those prices plus the edge the auction gave it.
3. **Exact solve with certified duals.**  The working set is solved exactly by warm-started shortest
   augmenting paths (:class:`~matching.solvers.augment.WarmMatching`), which keeps integer duals: offer
   prices ``v_o ≥ 0`` and need values ``u_n ≥ 0``, feasible on the working set, complementary to the
   matching, and checked to have the same value (``certificate``).  The first solve starts from the
   auction's prices; each later one from the last answer.
4. **Pricing without storing.** An edge left out can improve the flow only if ``s - v_o > u_n``.  Each need
   carries ``g_n``, an upper bound of ``s - v_o`` over its left-out edges, measured against the prices of
   the round that last looked at it; with prices that moved since, ``g_n + max_o(v_old - v)^+`` still bounds
   it.  Needs where that bound is ``≤ u_n`` are safe without looking; the others are *regenerated*, block
   by block, their left-out edges priced (integers: exact), the violating ones (the ``add_per_need`` best
   of each need) added, the rest dropped, ``g_n`` updated.  Stored needs are priced exactly over the
   store, in chunks.  Then back to 3.
5. **Bound and proof.** Every round, ``Σ_n max(u_n, bound of the left-out edges of n) + Σ_o remaining_o v_o``
   is the value of a dual solution feasible for *every* candidate edge: a valid upper bound of the full
   optimum.  When it equals the objective, the answer is proven optimal on all edges (``OPTIMAL``, note
   ``streamed.optimal``).  When a budget stops the loop (``time_limit``, ``edge_budget`` on the working set,
   ``max_rounds``) the answer is the best flow found with the smallest bound seen (``FEASIBLE``, the gap
   in the note ``streamed.stopped_*``), never a failure: even a generation pass cut short by the time limit gives a bound (a
   need never generated counts its largest possible score, 1).

The all-edges path (:func:`~matching.candidates.build_candidates` + :func:`~matching.solvers.flow.solve_flow`)
stays the reference of the tests.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ..candidates import Candidates
from ..model import F32, I64, Instance
from ..notes import Note
from ..scoring import SCORE_SCALE, Scores
from ..stream import CandidateStream, concat_edges, take_edges
from .auction import auction_prices, best_by_net_value, price_store
from .augment import WarmMatching
from .base import SolveResult, assignments_from_selected
from .flow import flow_select
from .priced import _top_per_group, group_ranks

#: ``g_n`` of a need with no edge left out (never at risk: ``g_n + drift ≤ 0 ≤ u_n``).
_NONE_LEFT = -2 * SCORE_SCALE


@dataclass(frozen=True, eq=False)
class Streamed:
    """Outcome of :func:`solve_streamed`: the solver result (``selected`` indexes ``candidates``), the kept
    edges (the final working set, grouped by need, with their scores) and the figures: ``edges_generated``
    (over every pass), ``edges_usable`` (positive score, first pass), ``edges_kept``, ``rounds``,
    ``regenerated_needs``, ``stopped_by`` (``""``, ``"time"``, ``"edges"`` or ``"rounds"``), seconds."""

    result: SolveResult
    candidates: Candidates
    scores: Scores
    stats: dict[str, float | int | str] = field(default_factory=dict)


def _ranked(group: I64, key: I64) -> tuple[I64, I64]:
    """Order of the items by (group, key descending) and each ordered item's rank in its group."""
    composite = group.astype(np.int64) << 31
    composite += (2**31 - 1) - key.astype(np.int64)
    order = np.argsort(composite)
    del composite
    return order, group_ranks(group[order])


class _WorkingSet:
    """The kept edges, compact: need, offer (int32), integer score, position in the compact store (``-1``
    when not stored) and whether their full data (distance, components...) is at hand."""

    def __init__(self) -> None:
        self.n = np.zeros(0, dtype=np.int32)
        self.o = np.zeros(0, dtype=np.int32)
        self.s = np.zeros(0, dtype=np.int64)
        self.pos = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.n)

    def add(self, n: np.ndarray, o: np.ndarray, s: np.ndarray, pos: np.ndarray) -> None:
        self.n = np.concatenate([self.n, n.astype(np.int32)])
        self.o = np.concatenate([self.o, o.astype(np.int32)])
        self.s = np.concatenate([self.s, s.astype(np.int64)])
        self.pos = np.concatenate([self.pos, pos.astype(np.int64)])

    def keep(self, mask: np.ndarray) -> None:
        self.n, self.o, self.s, self.pos = self.n[mask], self.o[mask], self.s[mask], self.pos[mask]

    def keys(self, n_offers: int) -> I64:
        out: I64 = self.n.astype(np.int64) * n_offers + self.o
        return out


def _trim(ws: _WorkingSet, k_need: int, per_offer: np.ndarray) -> None:
    """Keep the ``k_need`` best edges of each need and the ``per_offer`` best of each offer."""
    if len(ws) == 0:
        return
    order, rank = _ranked(ws.n.astype(np.int64), ws.s)
    keep = np.zeros(len(ws), dtype=bool)
    keep[order[rank < k_need]] = True
    keep[_top_per_group(ws.o.astype(np.int64), ws.s, per_offer)] = True
    ws.keep(keep)


def _best_per_need(n: np.ndarray, key: np.ndarray, k: int, n_needs: int) -> I64:
    """Positions of the ``k`` largest ``key`` (non-negative, < 2**31) of each need."""
    if len(n) == 0:
        return np.zeros(0, dtype=np.int64)
    return _top_per_group(n.astype(np.int64), np.minimum(key, 2**31 - 1), np.full(n_needs, k, dtype=np.int64))


def solve_streamed(
    inst: Instance,
    weights: Mapping[str, float] | None = None,
    *,
    k_need: int = 12,
    k_offer: float = 2.0,
    add_per_need: int = 8,
    block_pairs: int = 2_000_000,
    store_budget: int = 60_000_000,
    direct_edges: int = 100_000,
    edge_budget: int | None = None,
    time_limit: float | None = None,
    max_rounds: int = 50,
    margin: int = SCORE_SCALE // 50,
    cell_km: float | None = None,
    need_embeddings: F32 | None = None,
    offer_embeddings: F32 | None = None,
    log: Callable[[str], None] | None = None,
    auction_eps: int = SCORE_SCALE // 30,
    k_net: int = 6,
    threads: int | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Streamed:
    """Exact b-matching on every candidate edge of ``inst``, streamed (see module doc).

    ``store_budget``: usable edges kept in the compact store (12 bytes each: need, offer, integer score)
    and priced there; the needs beyond it are priced by regenerating their edges.  ``direct_edges``: when
    every usable edge is stored and there are at most that many, one OR-Tools flow on all of them (0 forces
    pricing; measured: at 400 k edges the flow takes 0.5 s, auction + warm rounds 0.1 s; at 9.6 M, 12 s
    against 3.5 s).  ``edge_budget``: most edges in the working set (the exact solver's model).
    ``time_limit`` (seconds), ``max_rounds``: stop with the best answer and a valid bound.  ``auction_eps``:
    the auction's bidding increment (0: no auction, the first working set is each need's ``k_need`` best
    and each offer's ``ceil(k_offer × remaining)`` best); ``k_net``: edges per stored need chosen at the
    auction's prices.  ``log``: called with a line per stage (generation, auction, each round).
    ``threads``: blocks generated ahead on worker threads while this one stores the last (see
    :class:`~matching.stream.CandidateStream`; default: one when the machine has two cores or more,
    measured 2.5 -> 2.0 s of generation at 50k x 15k on 2 cores).  ``clock``: the seconds the time limit and
    the timings are measured in (tests pass a frozen one)."""
    t0 = clock()
    stopped = ""

    def out_of_time() -> bool:
        """Whether the time limit is past; if so the solver is stopped by it."""
        nonlocal stopped
        if time_limit is not None and clock() - t0 > time_limit:
            stopped = "time"
        return stopped == "time"

    stream = CandidateStream(
        inst,
        weights,
        cell_km=cell_km,
        block_pairs=block_pairs,
        need_embeddings=need_embeddings,
        offer_embeddings=offer_embeddings,
        threads=(1 if (os.cpu_count() or 1) > 1 else 0) if threads is None else threads,
    )
    N, M = inst.n_needs, inst.n_offers
    S = SCORE_SCALE
    rem = np.maximum(stream.remaining, 0)
    todo = stream.needs_with_pairs
    if edge_budget is not None:  # the first pass keeps at most about half the budget
        k_need = max(1, min(k_need, edge_budget // (2 * max(1, len(todo)))))
        k_offer = min(k_offer, edge_budget / (4 * max(1, int(rem.sum()))))
    per_offer = np.ceil(k_offer * rem).astype(np.int64)
    g = np.full(N, _NONE_LEFT, dtype=np.int64)  # bound of (s - v_old) over a need's left-out edges (not stored)
    ver = np.zeros(N, dtype=np.int64)  # the prices g was measured against (0: all zero)
    v_hist: list[I64] = [np.zeros(M, dtype=np.int64)]
    stored = np.zeros(N, dtype=bool)

    # 1. generation pass
    rich: list[tuple[Candidates, Scores]] = []
    st_parts: list[list[np.ndarray]] = []
    st_len = 0
    ws = _WorkingSet()
    trim_at = 2 * (len(todo) * k_need + int(per_offer.sum()))
    generated = np.zeros(N, dtype=bool)
    n_usable = 0
    zero = np.zeros(M, dtype=np.int64)
    for blk in stream.blocks(todo):
        c, s = blk.cand, blk.scores
        idx = np.flatnonzero(s.score_int > 0)
        n_usable += len(idx)
        ni = c.need_idx[idx]
        oi = c.offer_idx[idx]
        sc = s.score_int[idx]
        if st_len + len(idx) <= store_budget:
            # stored (priced from the store, the working set chosen after the pass): each need's best here
            st_parts.append([ni.astype(np.int32), oi.astype(np.int32), sc.astype(np.int32)])
            stored[blk.needs] = True
            st_len += len(idx)
            top = best_by_net_value(_local_ptr(ni), oi, sc, zero, k_need)
        else:
            order, rank = _ranked(ni.astype(np.int64), sc)
            keep = np.zeros(len(idx), dtype=bool)
            keep[order[rank < k_need]] = True
            keep[_top_per_group(oi.astype(np.int64), sc, per_offer)] = True
            kidx = np.flatnonzero(keep)
            at_k = order[rank == k_need]
            g[ni[at_k]] = sc[at_k]
            ws.add(ni[kidx], oi[kidx], sc[kidx], np.full(len(kidx), -1, dtype=np.int64))
            top = np.sort(order[rank < k_need])
            del order, rank, keep, kidx
        # full data for the needs' best (alternatives, explanations); any other edge gets it back only if it
        # ends up chosen (computed for those pairs at the end)
        rich.append(take_edges(c, s, idx[top]))
        generated[blk.needs] = True
        del blk, c, s, idx, ni, oi, sc, top
        if len(ws) > trim_at:  # offers met in many blocks: keep their best over the blocks so far
            _trim(ws, k_need, per_offer)
            trim_at = max(trim_at, 2 * len(ws))
        if out_of_time():
            break
    g[todo[~generated[todo]]] = S  # never generated: any of its edges scores at most 1
    t_gen = clock() - t0
    if log is not None:
        log(f"generation: {stream.edges_generated:,} edges, {n_usable:,} usable, {len(ws):,} kept, {t_gen:.1f} s")
    st_n, st_o, st_s = (_column(st_parts, i) for i in range(3))
    del st_parts
    # every usable edge stored and few enough: one min-cost flow on them all (exact, no pricing needed)
    direct = direct_edges > 0 and not stopped and bool(stored[todo].all())
    direct = direct and len(st_n) <= min(direct_edges, edge_budget or len(st_n))
    # the store as a CSR by need (its needs come in order, block after block)
    st_ptr = np.searchsorted(st_n, np.arange(N + 1)).astype(np.int64)  # (a bincount would copy it to int64)
    prices = np.zeros(M, dtype=np.int64)
    bids = 0
    t_auction = 0.0
    auction = not direct and not stopped and auction_eps > 0 and len(st_n) > 0
    if not auction and not direct and len(st_n):  # the stored needs' part of the first working set
        order, rank = _ranked(st_n.astype(np.int64), st_s.astype(np.int64))
        keep = np.zeros(len(st_n), dtype=bool)
        keep[order[rank < k_need]] = True
        keep[_top_per_group(st_o.astype(np.int64), st_s, per_offer)] = True
        kidx = np.flatnonzero(keep)
        ws.add(st_n[kidx], st_o[kidx], st_s[kidx], kidx)
        del order, rank, keep, kidx
    _trim(ws, k_need, per_offer)  # the offers' best edges over every block; the needs' best k stay
    if auction:
        # prices for every stored edge at once, then the stored needs' part of the working set chosen with
        # them: each need's best edges at those prices and the edge the auction gave it
        ta = clock()
        prices, a_edge, bids = auction_prices(st_ptr, st_o, st_s, rem, auction_eps, 64 * len(st_n))
        pos = np.union1d(best_by_net_value(st_ptr, st_o, st_s, prices, k_net), a_edge[a_edge >= 0])
        ws.add(st_n[pos], st_o[pos], st_s[pos], pos)
        del a_edge, pos
        t_auction = clock() - ta
        if log is not None:
            log(f"auction: {bids:,} bids, {len(ws):,} edges in the working set, {t_auction:.1f} s")
    if edge_budget is not None and len(ws) > edge_budget:
        # a budget below one edge per need and per offer: the best edges only (what is dropped of a need
        # beyond the store is remembered in its bound g, measured against zero prices like the rest)
        cut = np.zeros(len(ws), dtype=bool)
        cut[np.argsort(-ws.s, kind="stable")[edge_budget:]] = True
        gone = cut & (ws.pos < 0)
        np.maximum.at(g, ws.n[gone], ws.s[gone])
        ws.keep(~cut)
        stopped = stopped or "edges"
    st_in = np.zeros(len(st_n), dtype=bool)
    st_in[ws.pos[ws.pos >= 0]] = True

    rounds = 0
    best_bound: int | None = None
    regenerated = 0
    t_solve = t_dual = t_price = 0.0
    chosen = np.zeros(0, dtype=np.int64)
    obj_int = 0
    wm = WarmMatching(N, M, rem)
    wm.p[:] = prices  # (the auction's, or 0)
    if direct:
        ws = _WorkingSet()
        ws.add(st_n, st_o, st_s, np.arange(len(st_n), dtype=np.int64))
        rounds = 1
        ts = clock()
        status, chosen, _ = flow_select(ws.n, ws.o, ws.s, rem, N, M)
        if status != "OPTIMAL":  # pragma: no cover - OR-Tools on a valid model
            raise RuntimeError(f"min-cost flow on every usable edge: {status}")
        obj_int = int(ws.s[chosen].sum())
        best_bound = obj_int  # every candidate edge is in the model: its optimum is the optimum
        t_solve = clock() - ts
    while not direct:
        rounds += 1
        # 2-3. the working set's optimum and its duals, warm-started from the last round's
        ts = clock()
        wm.set_edges(ws.n, ws.o, ws.s)
        chosen = wm.solve()
        obj_int, dual_value = wm.certificate()  # checked: both feasible, complementary
        if obj_int != dual_value:  # pragma: no cover - the certificate of an exact solver
            raise RuntimeError("the working set's matching is not proven optimal by its duals")
        u, v = wm.u.copy(), wm.p.copy()
        t_solve += clock() - ts
        td = clock()
        drift = np.array([max(0, int((vh - v).max(initial=0))) for vh in v_hist], dtype=np.int64)
        u_seen = np.maximum(u, g + drift[ver])  # a valid dual per need whatever is left out
        # 4. stored needs: exact, over their stored edges; collect the violating ones
        sp = price_store(st_ptr, st_o, st_s, st_in, u, v, margin, add_per_need, u_seen)
        bound = int(u_seen.sum() + (rem * v).sum())
        best_bound = bound if best_bound is None else min(best_bound, bound)
        t_dual += clock() - td
        if log is not None:
            log(
                f"round {rounds}: {len(ws):,} edges, objective {obj_int / S:.3f}, bound {best_bound / S:.3f}, "
                f"{clock() - t0:.1f} s (solve {clock() - ts:.2f} s, "
                f"{wm.searches:,} searches and {wm.refills:,} refills so far)"
            )
        if best_bound <= obj_int or stopped:
            break
        if out_of_time():
            break
        # 4. the needs beyond the store: price their left-out edges, regenerated block by block
        tp = clock()
        at_risk = np.flatnonzero(~stored & (g + drift[ver] > u))
        new_n: list[np.ndarray] = []
        new_o: list[np.ndarray] = []
        new_s: list[np.ndarray] = []
        if len(at_risk):
            ws_key = np.sort(ws.keys(M))
            v_hist.append(v)
            r = len(v_hist) - 1
            for blk in stream.blocks(at_risk):
                c, s = blk.cand, blk.scores
                idx = np.flatnonzero(s.score_int > 0)
                ni = c.need_idx[idx].astype(np.int64)
                oi = c.offer_idx[idx].astype(np.int64)
                gain = s.score_int[idx] - v[oi]
                key = ni * M + oi
                in_ws = np.zeros(len(idx), dtype=bool)
                if len(ws_key):
                    p = np.minimum(np.searchsorted(ws_key, key), len(ws_key) - 1)
                    in_ws = ws_key[p] == key
                viol = np.flatnonzero(~in_ws & (gain > u[ni]))
                pick = np.sort(viol[_best_per_need(ni[viol], gain[viol] - u[ni[viol]], add_per_need, N)])
                out = ~in_ws
                out[pick] = False
                u_blk = u.copy()
                np.maximum.at(u_blk, ni, gain)
                u_seen[blk.needs] = u_blk[blk.needs]
                g[blk.needs] = _NONE_LEFT
                np.maximum.at(g, ni[out], gain[out])
                ver[blk.needs] = r
                regenerated += len(blk.needs)
                if len(pick):
                    new_n.append(ni[pick])
                    new_o.append(oi[pick])
                    new_s.append(s.score_int[idx[pick]])
                    rich.append(take_edges(c, s, idx[pick]))
                del blk, c, s, idx, ni, oi, gain, key, in_ws, viol, pick, out, u_blk
                if out_of_time():
                    break
            best_bound = min(best_bound, int(u_seen.sum() + (rem * v).sum()))
        t_price += clock() - tp
        cand_n = np.concatenate([st_n[sp].astype(np.int64), *new_n])
        cand_o = np.concatenate([st_o[sp].astype(np.int64), *new_o])
        cand_s = np.concatenate([st_s[sp].astype(np.int64), *new_s])
        cand_pos = np.concatenate([sp, np.full(len(cand_n) - len(sp), -1, dtype=np.int64)])
        if best_bound <= obj_int or len(cand_n) == 0:  # proven by this round's pricing (exact duals)
            break
        if rounds >= max_rounds:  # this round's pricing counted in the bound; no solve left
            stopped = "rounds"
            break
        if edge_budget is not None and len(ws) + len(cand_n) > edge_budget:
            room = edge_budget - len(ws)
            if room <= 0:
                stopped = "edges"
                break
            best = np.sort(np.argsort(-(cand_s - v[cand_o] - u[cand_n]), kind="stable")[:room])
            cand_n, cand_o, cand_s, cand_pos = cand_n[best], cand_o[best], cand_s[best], cand_pos[best]
            stopped = "edges"  # this round's best additions fit; the next solve is the last
        ws.add(cand_n, cand_o, cand_s, cand_pos)
        st_in[cand_pos[cand_pos >= 0]] = True

    # the full data of the kept edges at hand, and of the chosen ones (regenerated when they came from the store)
    keys = ws.keys(M)
    chosen_keys = keys[chosen]
    kept_keys = np.unique(keys)
    if len(kept_keys) != len(keys):  # pragma: no cover - an edge is added only when not in the working set
        raise RuntimeError("an edge entered the working set twice")
    if not rich:
        rich.append(_empty(stream))
    rich_c, rich_s = concat_edges(rich)
    del rich
    rk = rich_c.need_idx.astype(np.int64) * M + rich_c.offer_idx
    order = np.argsort(rk, kind="stable")
    srk = rk[order]
    once = np.ones(len(srk), dtype=bool)
    once[1:] = srk[1:] != srk[:-1]
    uk, first = srk[once], order[once]  # each edge at hand once
    del order, srk, once
    parts = [take_edges(rich_c, rich_s, np.sort(first[_member(kept_keys, uk)]))]
    have = _member(uk, chosen_keys)
    del rich_c, rich_s, rk, uk, first
    if not have.all():  # chosen edges whose full data is not at hand: computed for those pairs alone
        missing = np.sort(chosen_keys[~have])
        blk = stream.pairs(missing // M, missing % M)
        parts.append((blk.cand, blk.scores))
    final_c, final_s = concat_edges(parts, raw_pairs=stream.pairs_generated)
    fk = final_c.need_idx.astype(np.int64) * M + final_c.offer_idx
    f_order = np.argsort(fk)
    at = np.minimum(np.searchsorted(fk, chosen_keys, sorter=f_order), max(len(fk) - 1, 0))
    selected = np.sort(f_order[at]) if len(fk) else np.zeros(0, dtype=np.int64)
    if len(selected) != len(chosen) or int(final_s.score_int[selected].sum()) != obj_int:
        raise RuntimeError("the chosen edges could not be found again with the same scores")

    proven = best_bound is not None and best_bound <= obj_int
    objective = float(final_s.score[selected].sum())
    upper = objective if proven else max(objective, (best_bound or 0) / S)
    kept = len(ws)
    generated_edges = stream.edges_generated
    if proven:
        stopped = ""  # a budget reached on the way did not stop the proof
        if direct:
            note = Note("streamed.all_edges", {"kept": kept, "generated": generated_edges})
        else:
            note = Note(
                "streamed.optimal", {"rounds": rounds, "kept": kept, "usable": n_usable, "generated": generated_edges}
            )
    else:
        gap = (upper - objective) / upper if upper > 0 else 0.0
        stopped = stopped or "rounds"  # (a round without additions proves optimality: not reached)
        note = Note(f"streamed.stopped_{stopped}", {"rounds": rounds, "bound": upper, "gap": gap, "kept": kept})
    total = clock() - t0
    timings = {
        "prepare": stream.seconds_prepare,
        "auction": t_auction,
        "generation_pass": t_gen,
        "generate": stream.seconds_generate,
        "solve": t_solve,
        "duals": t_dual,
        "pricing": t_price,
        "total": total,
        "rounds": float(rounds),
        "kept": float(kept),
    }
    result = SolveResult(
        "streamed",
        "OPTIMAL" if proven else "FEASIBLE",
        objective,
        upper,
        total,
        assignments_from_selected(final_c.need_idx, final_c.offer_idx, selected),
        selected,
        timings,
        n_model_edges=kept,
        notes=(note,),
    )
    stats: dict[str, float | int | str] = {
        "edges_generated": generated_edges,
        "pairs_examined": stream.pairs_generated,
        "edges_usable": n_usable,
        "edges_stored": len(st_n),
        "edges_kept": kept,
        "rounds": rounds,
        "regenerated_needs": regenerated,
        "auction_bids": bids,
        "blocks": stream.blocks_generated,
        "stopped_by": stopped,
        "bound": upper,
    }
    return Streamed(result, final_c, final_s, stats)


def _column(parts: list[list[np.ndarray]], i: int) -> np.ndarray:
    """Column ``i`` of the store's parts joined, each part's piece released once copied (the peak is one
    column more than the parts, not the parts twice)."""
    out = np.concatenate([p[i] for p in parts]) if parts else np.zeros(0, np.int32)
    for p in parts:
        p[i] = out[:0]
    return out


def _local_ptr(need: np.ndarray) -> I64:
    """CSR pointers of edges grouped by need (ascending), over the needs ``need[0]`` to ``need[-1]``."""
    if len(need) == 0:
        return np.zeros(1, dtype=np.int64)
    out: I64 = np.searchsorted(need, np.arange(int(need[0]), int(need[-1]) + 2)).astype(np.int64)
    return out


def _member(sorted_keys: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Which of ``x`` are in ``sorted_keys`` (sorted int64; binary search, no hashing)."""
    if len(sorted_keys) == 0:
        return np.zeros(len(x), dtype=bool)
    p = np.minimum(np.searchsorted(sorted_keys, x), len(sorted_keys) - 1)
    out: np.ndarray = sorted_keys[p] == x
    return out


def _empty(stream: CandidateStream) -> tuple[Candidates, Scores]:
    b = stream.block(np.zeros(0, dtype=np.int64))
    return b.cand, b.scores
