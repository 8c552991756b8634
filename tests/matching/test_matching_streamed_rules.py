"""The streamed priced solver's rules, one by one (issue 15, mutation testing of the pricing code): the
dual prices are feasible and tight, the stated bound is a valid upper bound of the all-edges optimum under
every budget and equals it when the answer is proven, ``OPTIMAL`` only when proven, each budget stops the
loop with its own status, the pricing rounds add the edges the first working set missed, and the chunking
helpers split at the right places.  Small deterministic instances: the whole file runs in seconds."""

from __future__ import annotations

import dataclasses
import re
import time

import numpy as np
import pytest
from matching_helpers import PLACES, random_instance

from matching import build_candidates, check_assignments, score_candidates
from matching.model import OPEN_END, OPEN_START
from matching.scoring import SCORE_SCALE
from matching.solvers import solve_flow
from matching.solvers.auction import auction_prices, best_by_net_value
from matching.solvers.streamed import solve_streamed
from matching.stream import CandidateStream, concat_edges, take_edges
from matching.synthetic import make_instance

S = SCORE_SCALE
SEEDS = range(24)
#: pricing forced, the first working set as small as it gets (one edge per need, nothing per offer, no
#: auction to choose it)
TIGHT = {"k_need": 1, "k_offer": 0.0, "add_per_need": 1, "direct_edges": 0, "auction_eps": 0}


def _instance(seed: int, n: int = 14, m: int = 6):
    places = sorted(PLACES)
    return random_instance(seed, n, m, n_skills=5, origin=PLACES[places[seed % len(places)]])


def _reference(inst):
    cand = build_candidates(inst)
    scores = score_candidates(inst, cand)
    ref = solve_flow(cand, scores)
    return cand, scores, int(scores.score_int[ref.selected].sum())


def _ids(inst, cand, selected) -> dict[int, int]:
    return {int(inst.need_ids[cand.need_idx[e]]): int(inst.offer_ids[cand.offer_idx[e]]) for e in selected.tolist()}


def _check(inst, r, ref_int: int, n_edges: int, wall: float | None) -> None:
    """What holds of every answer: feasible, never above the optimum, a bound never below it, ``OPTIMAL``
    only at the optimum with bound = objective, the gap of the note = (bound - objective) / bound.  ``wall``:
    the seconds the solve took (``None``: the solver was given a clock of its own, its timings not checked)."""
    res = r.result
    got = int(r.scores.score_int[res.selected].sum())
    assert got <= ref_int
    assert check_assignments(inst, _ids(inst, r.candidates, res.selected)) == []
    assert res.objective == pytest.approx(got / S, abs=len(res.selected) / S)
    # each edge returned once (alternatives are never listed twice)
    keys = r.candidates.need_idx.astype(np.int64) * inst.n_offers + r.candidates.offer_idx
    assert len(np.unique(keys)) == len(keys)
    # the bound is in float; each edge's score was rounded to an integer by at most half a unit
    assert res.bound * S >= ref_int - n_edges
    assert res.bound >= res.objective
    assert r.stats["bound"] == res.bound and res.solver == "streamed"
    if r.stats["stopped_by"] != "time":  # every candidate edge generated at least once
        assert r.stats["edges_generated"] >= n_edges and r.stats["pairs_examined"] >= r.stats["edges_generated"]
    assert r.stats["rounds"] == res.timings["rounds"] >= 1
    assert r.stats["edges_kept"] == res.timings["kept"] == res.n_model_edges <= r.stats["edges_usable"]
    for name in ("prepare", "auction", "generation_pass", "generate", "solve", "duals", "pricing"):
        assert wall is None or 0.0 <= res.timings[name] <= res.timings["total"] <= wall
    (note,) = res.notes
    if res.status == "OPTIMAL":
        assert got == ref_int and res.bound == res.objective
        # proven: no budget stopped it, even one reached on the way
        assert r.stats["stopped_by"] == "" and note.code in ("streamed.all_edges", "streamed.optimal")
        assert note.text.startswith("optimal") and note.params["kept"] == r.stats["edges_kept"]
    else:
        assert res.status == "FEASIBLE"
        assert r.stats["stopped_by"] in ("rounds", "edges", "time")
        assert note.code == f"streamed.stopped_{r.stats['stopped_by']}"
        why = {"rounds": "nombre de tours", "edges": "budget d'arêtes", "time": "limite de temps"}
        assert f"arrêtée ({why[r.stats['stopped_by']]})" in note.text
        m = re.search(r"borne ([0-9.]+), écart ([0-9.]+)%", note.text)
        assert m, note.text
        assert float(m.group(1)) == pytest.approx(res.bound, abs=1e-4)
        gap = (res.bound - res.objective) / res.bound if res.bound > 0 else 0.0
        assert float(m.group(2)) == pytest.approx(100 * gap, abs=1e-3)
        assert note.params["gap"] == pytest.approx(gap) and note.params["rounds"] == r.stats["rounds"]


def _solve(inst, *args, **kw):
    t0 = time.perf_counter()
    r = solve_streamed(inst, *args, **kw)
    return r, time.perf_counter() - t0


# ---------------------------------------------------------------- the stream


def test_stream_blocks_are_frozen_counted_and_bounded():
    inst = _instance(5, 30, 8)
    cand = build_candidates(inst)
    t0 = time.perf_counter()
    stream = CandidateStream(inst, block_pairs=7)
    blocks = list(stream.blocks())
    wall = time.perf_counter() - t0
    assert stream.blocks_generated == len(blocks) > 1
    assert 0.0 <= stream.seconds_prepare <= wall and 0.0 <= stream.seconds_generate <= wall
    assert stream.edges_generated == len(cand) and stream.pairs_generated == cand.raw_pairs
    seen = np.concatenate([b.needs for b in blocks])
    assert np.array_equal(seen, stream.needs_with_pairs)
    assert (stream.pairs_per_need[seen] > 0).all()
    # a need whose joins examine no pair is in no block
    assert set(np.flatnonzero(stream.pairs_per_need == 0).tolist()).isdisjoint(seen.tolist())
    for b in blocks:
        assert len(b.needs) == 1 or int(stream.pairs_per_need[b.needs].sum()) <= 7
        assert np.isin(b.cand.need_idx, b.needs).all()
    with pytest.raises(dataclasses.FrozenInstanceError):
        blocks[0].needs = np.zeros(0, dtype=np.int64)  # type: ignore[misc]
    empty = stream.block(np.zeros(0, dtype=np.int64))
    assert len(empty.cand) == 0 and stream.blocks_generated == len(blocks) + 1


@pytest.mark.parametrize("remote", ["none", "all"])
def test_stream_without_remote_offers_or_without_onsite_ones(remote):
    inst = _instance(7, 25, 8)
    if remote == "none":
        inst = inst.replace(offer_modality=np.zeros(inst.n_offers, dtype=np.int8))  # on site only
    else:
        inst = inst.replace(
            offer_modality=np.ones(inst.n_offers, dtype=np.int8), need_remote=np.ones(inst.n_needs, dtype=bool)
        )
    cand = build_candidates(inst)
    scores = score_candidates(inst, cand)
    for bp in (1, 3, 10**6):
        parts = [(b.cand, b.scores) for b in CandidateStream(inst, block_pairs=bp).blocks()]
        if not parts:
            assert len(cand) == 0
            continue
        c, s = concat_edges(parts)
        assert np.array_equal(c.need_idx, cand.need_idx)
        k1 = cand.need_idx.astype(np.int64) * inst.n_offers + cand.offer_idx
        k2 = c.need_idx.astype(np.int64) * inst.n_offers + c.offer_idx
        o1, o2 = np.argsort(k1), np.argsort(k2)
        assert np.array_equal(k1[o1], k2[o2]) and np.array_equal(scores.score_int[o1], s.score_int[o2])
        assert np.array_equal(c.remote[o2], cand.remote[o1]) and np.array_equal(c.onsite[o2], cand.onsite[o1])


def test_take_edges_keeps_the_chosen_ones_in_order():
    inst = _instance(2, 20, 6)
    cand = build_candidates(inst)
    scores = score_candidates(inst, cand)
    idx = np.arange(len(cand))[::2]
    c, s = take_edges(cand, scores, idx)
    assert np.array_equal(c.need_idx, cand.need_idx[idx]) and np.array_equal(c.offer_idx, cand.offer_idx[idx])
    assert np.array_equal(s.score_int, scores.score_int[idx]) and np.array_equal(c.coverage, cand.coverage[idx])
    assert int(c.need_ptr[-1]) == len(idx)


# ---------------------------------------------------------------- the solver


@pytest.mark.parametrize("seed", SEEDS)
def test_every_path_is_optimal_and_proven(seed):
    inst = _instance(seed)
    cand, _, ref_int = _reference(inst)
    for kw in (
        {},
        {"direct_edges": 0},
        {"direct_edges": 0, "auction_eps": 1},
        {"direct_edges": 0, "auction_eps": S, "k_net": 1},
        {**TIGHT, "store_budget": 0},
        {**TIGHT, "margin": 0},
        {**TIGHT, "auction_eps": S // 100, "k_net": 1},
        {"direct_edges": 0, "store_budget": 0},  # an auction increment, but nothing stored to auction
    ):
        r, wall = _solve(inst, **kw)
        _check(inst, r, ref_int, len(cand), wall)
        assert r.result.status == "OPTIMAL", kw
        usable = r.stats["edges_usable"]
        if kw.get("store_budget", 1) != 0:
            assert r.stats["regenerated_needs"] == 0  # every edge in the store: nothing regenerated
            assert r.stats["edges_stored"] == usable
        else:
            assert r.stats["edges_stored"] == 0
        # the auction bids when it runs: over a store, with an increment, and not for one flow on all edges
        direct = r.result.notes[0].code == "streamed.all_edges"
        auction = r.stats["edges_stored"] > 0 and kw.get("auction_eps", 1) > 0 and not direct
        assert (r.stats["auction_bids"] > 0) == auction, kw
        assert (r.result.timings["auction"] > 0) == auction
        assert direct == (not kw and 0 < usable <= 100_000)
        if direct:
            assert r.stats["rounds"] == 1
    # one round: proven there or stopped by the rounds (never both)
    r, wall = _solve(inst, **TIGHT, max_rounds=1)
    _check(inst, r, ref_int, len(cand), wall)


def test_the_rounds_add_what_the_first_working_set_missed():
    """Instances where one edge per need is not optimal: pricing adds edges, round after round, until the
    bound meets the objective; every budget that stops it earlier says so and keeps a valid bound."""
    found = 0
    for seed in range(60):
        inst = _instance(seed)
        cand, _, ref_int = _reference(inst)
        for store in (10**9, 0):
            full, wall = _solve(inst, **TIGHT, store_budget=store, margin=0)
            _check(inst, full, ref_int, len(cand), wall)
            rounds = int(full.stats["rounds"])
            if rounds < 2:
                continue
            found += 1
            assert full.result.status == "OPTIMAL" and full.stats["stopped_by"] == ""
            assert full.stats["edges_kept"] > len(np.unique(cand.need_idx))  # more than the first edge of each
            if store == 0:
                assert full.stats["regenerated_needs"] > 0
            # a margin as wide as the scores: every stored edge is a candidate to add, one per need a round,
            # never one already kept, until the proof; all at once: one more solve, on every edge
            wide, wall = _solve(inst, **TIGHT, store_budget=store, margin=S)
            _check(inst, wide, ref_int, len(cand), wall)
            assert wide.result.status == "OPTIMAL"
            if store:
                wide, wall = _solve(inst, **{**TIGHT, "add_per_need": 10**6}, store_budget=store, margin=S)
                _check(inst, wide, ref_int, len(cand), wall)
                assert wide.result.status == "OPTIMAL" and wide.stats["rounds"] == 2
                assert wide.stats["edges_kept"] == wide.stats["edges_usable"]
            # exactly as many rounds as it needs: proven (the last round's pricing counts); one fewer: stopped
            same, wall = _solve(inst, **TIGHT, store_budget=store, margin=0, max_rounds=rounds)
            _check(inst, same, ref_int, len(cand), wall)
            assert same.stats["rounds"] == rounds and same.result.status == "OPTIMAL"
            short, wall = _solve(inst, **TIGHT, store_budget=store, margin=0, max_rounds=rounds - 1)
            _check(inst, short, ref_int, len(cand), wall)
            assert short.stats["rounds"] == rounds - 1
            assert short.result.status == "FEASIBLE" and short.stats["stopped_by"] == "rounds"
            # the default margin adds near-violators too: still no round beyond the one whose pricing proves it
            loose, wall = _solve(inst, **{**TIGHT, "add_per_need": 2}, store_budget=store)
            _check(inst, loose, ref_int, len(cand), wall)
            n_loose = int(loose.stats["rounds"])
            assert loose.result.status == "OPTIMAL"
            if n_loose > 1:
                less, wall = _solve(inst, **{**TIGHT, "add_per_need": 2}, store_budget=store, max_rounds=n_loose - 1)
                _check(inst, less, ref_int, len(cand), wall)
                assert less.result.status == "FEASIBLE" and less.stats["stopped_by"] == "rounds"
            # the working set of the first round only: not optimal, stated as such
            first, wall = _solve(inst, **TIGHT, store_budget=store, margin=0, max_rounds=1)
            _check(inst, first, ref_int, len(cand), wall)
            assert first.stats["rounds"] == 1 and first.result.status == "FEASIBLE"
            assert first.stats["stopped_by"] == "rounds"
            # an edge budget below what the proof needs: stopped by it, within it
            kept = int(full.stats["edges_kept"])
            cut, wall = _solve(inst, **TIGHT, store_budget=store, margin=0, edge_budget=kept - 1)
            _check(inst, cut, ref_int, len(cand), wall)
            assert cut.stats["edges_kept"] <= kept - 1
            # (other optimal duals may reach the proof with fewer edges: then no budget stopped it)
            assert cut.stats["stopped_by"] == "edges" or cut.result.status == "OPTIMAL"
            # an edge budget just large enough changes nothing
            fit, wall = _solve(inst, **TIGHT, store_budget=store, margin=0, edge_budget=kept)
            _check(inst, fit, ref_int, len(cand), wall)
            assert fit.result.status == "OPTIMAL" and fit.stats["edges_kept"] <= kept
    assert found >= 10


@pytest.mark.parametrize("seed", range(12))
def test_time_limits(seed):
    inst = _instance(seed, 24, 8)
    cand, _, ref_int = _reference(inst)
    if len(cand) == 0:
        return
    for store in (10**9, 0):
        r, wall = _solve(inst, **TIGHT, store_budget=store, block_pairs=1, time_limit=0.0)
        _check(inst, r, ref_int, len(cand), wall)
        assert r.stats["stopped_by"] == "time" and r.stats["rounds"] == 1
        if r.stats["blocks"] < len(np.unique(cand.need_idx)):
            # a need never generated counts its best possible score (1) in the bound
            assert r.result.status == "FEASIBLE" and r.result.bound >= 1.0
        r, wall = _solve(inst, **TIGHT, store_budget=store, block_pairs=1, time_limit=3600.0)
        _check(inst, r, ref_int, len(cand), wall)
        assert r.result.status == "OPTIMAL" and r.stats["stopped_by"] == ""


def test_the_outcome_is_frozen():
    r, _ = _solve(_instance(1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.stats = {}  # type: ignore[misc]


@pytest.mark.parametrize("seed", range(8))
def test_a_budget_below_the_first_working_set_keeps_its_best_edges(seed):
    """An edge budget smaller than one edge per need: the working set is the best-scoring edges."""
    inst = _instance(seed, 20, 6)
    cand, scores, ref_int = _reference(inst)
    usable = np.sort(scores.score_int[scores.score_int > 0])[::-1]
    if len(usable) < 4:
        return
    for budget in (1, 3):
        r, wall = _solve(inst, edge_budget=budget, direct_edges=0, k_offer=0.0, max_rounds=1, auction_eps=0)
        _check(inst, r, ref_int, len(cand), wall)
        assert r.stats["edges_kept"] == budget
        # one round on the best edges: the objective is at least the best edge's score
        got = int(r.scores.score_int[r.result.selected].sum())
        assert got >= usable[0]


@pytest.mark.parametrize("seed", range(12))
def test_edge_budgets(seed):
    inst = _instance(seed, 20, 6)
    cand, scores, ref_int = _reference(inst)
    usable = int((scores.score_int > 0).sum())
    for budget in (1, 2, 5, usable, usable + 5):
        for direct in (0, 10**9):
            r, wall = _solve(inst, edge_budget=budget, direct_edges=direct, k_need=3)
            _check(inst, r, ref_int, len(cand), wall)
            assert r.stats["edges_kept"] <= budget  # even below one edge per need
            if budget >= usable and direct:
                assert r.result.status == "OPTIMAL" and r.result.notes[0].code == "streamed.all_edges"
            if r.result.status != "OPTIMAL":
                assert r.stats["stopped_by"] == "edges"
    # a budget of one edge per need, no offer pool: the first working set shrinks to fit it
    n_with = len(np.unique(cand.need_idx[scores.score_int > 0]))
    if n_with:
        r, wall = _solve(inst, edge_budget=n_with, k_offer=0.0, direct_edges=0)
        _check(inst, r, ref_int, len(cand), wall)
        assert r.stats["edges_kept"] <= n_with


def _first_working_set(cand, scores, k_need: int, k_offer: float) -> int:
    """Size of the first working set by its definition: the ``k_need`` best edges of each need and the
    ``ceil(k_offer × remaining)`` best of each offer, among the edges with a positive score."""
    e = np.flatnonzero(scores.score_int > 0)
    s = scores.score_int[e]
    keep = np.zeros(len(e), dtype=bool)
    rem = np.maximum(cand.remaining, 0)
    for group, limit in ((cand.need_idx[e], None), (cand.offer_idx[e], np.ceil(k_offer * rem).astype(int))):
        for g in np.unique(group):
            mine = np.flatnonzero(group == g)
            n_best = k_need if limit is None else int(limit[g])
            keep[mine[np.argsort(-s[mine], kind="stable")[:n_best]]] = True
    return int(keep.sum())


def _no_ties(cand, scores) -> bool:
    e = scores.score_int > 0
    for group in (cand.need_idx[e], cand.offer_idx[e]):
        k = group.astype(np.int64) * (4 * S) + scores.score_int[e]
        if len(np.unique(k)) != len(k):
            return False
    return True


@pytest.mark.parametrize("seed", SEEDS)
def test_the_first_working_set_is_the_best_of_each_need_and_offer(seed):
    inst = _instance(seed, 20, 6)
    cand, scores, ref_int = _reference(inst)
    if not _no_ties(cand, scores):
        return
    for k_need, k_offer in ((1, 0.0), (2, 0.0), (1, 0.5), (2, 1.0)):
        expected = _first_working_set(cand, scores, k_need, k_offer)
        for store, bp in ((10**9, 1), (0, 1), (10**9, 10**6)):
            kw = {"k_need": k_need, "k_offer": k_offer, "store_budget": store, "block_pairs": bp}
            r, wall = _solve(inst, **kw, direct_edges=0, max_rounds=1, auction_eps=0)
            _check(inst, r, ref_int, len(cand), wall)
            assert r.stats["edges_kept"] == expected, kw


@pytest.mark.parametrize("seed", SEEDS)
def test_the_edges_returned_are_the_working_set_once_with_their_data(seed):
    inst = _instance(seed)
    cand, scores, ref_int = _reference(inst)
    key = cand.need_idx.astype(np.int64) * inst.n_offers + cand.offer_idx
    for store in (10**9, 0):
        # no offer pool (k_offer = 0): each edge is returned once; beyond the store every kept edge came
        # with its full data (regenerated), from the store only the needs' best and the chosen ones
        r, wall = _solve(inst, k_need=1, k_offer=0.0, add_per_need=2, direct_edges=0, store_budget=store)
        _check(inst, r, ref_int, len(cand), wall)
        got = r.candidates.need_idx.astype(np.int64) * inst.n_offers + r.candidates.offer_idx
        assert len(np.unique(got)) == len(got) <= r.stats["edges_kept"]
        if store == 0:
            assert len(got) == r.stats["edges_kept"]
        pos = np.searchsorted(key, got, sorter=np.argsort(key))
        f = np.argsort(key)[pos]
        assert np.array_equal(key[f], got)
        assert np.array_equal(scores.score_int[f], r.scores.score_int)
        assert np.array_equal(cand.coverage[f], r.candidates.coverage)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_need_whose_edges_are_all_kept_is_never_regenerated(seed):
    inst = _instance(seed)
    cand, _, ref_int = _reference(inst)
    r, wall = _solve(inst, k_need=50, k_offer=0.0, direct_edges=0, store_budget=0)
    _check(inst, r, ref_int, len(cand), wall)
    assert r.result.status == "OPTIMAL" and r.stats["rounds"] == 1 and r.stats["regenerated_needs"] == 0


#: skills only: a proposal covering no wanted skill scores 0
SKILLS_ONLY = {"skills": 1.0, "distance": 0, "semantic": 0, "waiting": 0, "load": 0, "feedback": 0, "charter": 0}


@pytest.mark.parametrize("seed", SEEDS)
def test_edges_scoring_zero_are_never_kept_nor_chosen(seed):
    inst = _instance(seed)
    cand = build_candidates(inst)
    scores = score_candidates(inst, cand, SKILLS_ONLY)
    ref_int = int(scores.score_int[solve_flow(cand, scores).selected].sum())
    usable = int((scores.score_int > 0).sum())
    for kw in ({}, {"direct_edges": 0}, {**TIGHT, "store_budget": 0}):
        r, wall = _solve(inst, SKILLS_ONLY, **kw)
        _check(inst, r, ref_int, len(cand), wall)
        assert r.stats["edges_usable"] == usable
        assert (r.scores.score_int[r.result.selected] > 0).all()


@pytest.mark.parametrize("seed", [1, 7, 9, 10, 29])
def test_a_bound_of_one_states_its_gap(seed):
    # three needs, stopped after the first block: the bound (1.0, a need never generated) is no larger than
    # one proposal, and the note still gives the gap (100 % when nothing was chosen yet)
    inst = random_instance(seed, 3, 2, n_skills=3)
    cand, _, ref_int = _reference(inst)
    r, wall = _solve(inst, **TIGHT, store_budget=0, time_limit=0.0, block_pairs=1)
    _check(inst, r, ref_int, len(cand), wall)
    assert r.result.status == "FEASIBLE" and 0 < r.result.bound <= 1.0


def test_stream_blocks_carry_the_text_similarity():
    inst = _instance(4, 25, 8)
    rng = np.random.default_rng(4)
    ne = rng.normal(size=(inst.n_needs, 8)).astype(np.float32)
    oe = rng.normal(size=(inst.n_offers, 8)).astype(np.float32)
    ne /= np.linalg.norm(ne, axis=1, keepdims=True)
    oe /= np.linalg.norm(oe, axis=1, keepdims=True)
    cand = build_candidates(inst)
    scores = score_candidates(inst, cand, need_embeddings=ne, offer_embeddings=oe)
    assert scores.raw_cosine is not None
    stream = CandidateStream(inst, block_pairs=3, need_embeddings=ne, offer_embeddings=oe)
    c, s = concat_edges([(b.cand, b.scores) for b in stream.blocks()])
    assert np.array_equal(c.need_idx, cand.need_idx) and s.raw_cosine is not None
    k1 = cand.need_idx.astype(np.int64) * inst.n_offers + cand.offer_idx
    k2 = c.need_idx.astype(np.int64) * inst.n_offers + c.offer_idx
    o1, o2 = np.argsort(k1), np.argsort(k2)
    assert np.allclose(scores.raw_cosine[o1], s.raw_cosine[o2]) and np.array_equal(
        scores.score_int[o1], s.score_int[o2]
    )


def _varied_instance(seed: int):
    """A random instance of a random shape (8-59 needs, 2-14 offers, 3-6 skills) at one of the test places."""
    rng = np.random.default_rng(seed + 99991)
    n, m = int(rng.integers(8, 60)), int(rng.integers(2, 15))
    places = sorted(PLACES)
    return random_instance(seed, n, m, n_skills=int(rng.integers(3, 7)), origin=PLACES[places[seed % len(places)]])


#: shapes where offer prices fall between rounds after a need beyond the store was regenerated (found by a
#: search over 300 seeds: there, measuring its left-out bound against the prices of the round before
#: understates it, and the solver stops on a bound below the optimum, claiming a proof it does not have)
PRICES_FALL = [1, 45, 72, 241]


@pytest.mark.parametrize("seed", PRICES_FALL)
def test_needs_beyond_the_store_stay_bounded_when_prices_fall(seed):
    inst = _varied_instance(seed)
    cand, _, ref_int = _reference(inst)
    for kw in ({**TIGHT, "store_budget": 0, "margin": 0}, {**TIGHT, "store_budget": 0}):
        lines: list[str] = []
        r, wall = _solve(inst, log=lines.append, **kw)
        _check(inst, r, ref_int, len(cand), wall)
        assert r.result.status == "OPTIMAL" and r.stats["rounds"] >= 2 and r.stats["regenerated_needs"] > 0
        # every round's bound, not only the last one, is at least the optimum (to the rounding of the log)
        bounds = [float(b) for b in re.findall(r"bound ([0-9.]+)", "\n".join(lines))]
        assert len(bounds) == r.stats["rounds"]
        assert min(bounds) >= ref_int / S - 0.0005 - len(cand) / S


# ---------------------------------------------------------------- the solver's figures and defaults


def test_a_frozen_clock_never_runs_out_of_time():
    """The time limit is measured on the clock the solver is given: frozen, even a limit of 0 s is never
    passed (> not >=), and the limit is a duration from the start, whatever the clock reads then."""
    inst = _instance(3, 24, 8)
    cand, _, ref_int = _reference(inst)
    for limit in (0.0, 10.0):
        r = solve_streamed(inst, **TIGHT, store_budget=0, block_pairs=1, time_limit=limit, clock=lambda: 5000.0)
        _check(inst, r, ref_int, len(cand), None)
        assert r.result.status == "OPTIMAL" and r.stats["stopped_by"] == ""
        assert r.result.timings["total"] == 0.0


@pytest.mark.parametrize("seed", [13, 15, 18])
def test_the_time_limit_stops_after_the_round_that_passed_it(seed):
    """A clock that jumps past the limit during a chosen stage (the generation pass, a round): stopped by
    the time at the end of the round it happened in, before pricing, with a valid bound, and said so.
    (Instances that need three rounds.)"""
    inst = _instance(seed, 24, 8)
    cand, _, ref_int = _reference(inst)
    full = solve_streamed(inst, **TIGHT, store_budget=0, margin=0)
    assert full.stats["rounds"] == 3
    for stage in ("generation", "round 1", "round 2"):
        now = [100.0]

        def log(line: str, stage=stage, now=now) -> None:
            if line.startswith(stage):
                now[0] += 60.0

        r = solve_streamed(
            inst, **TIGHT, store_budget=0, margin=0, time_limit=30.0, log=log, clock=lambda now=now: now[0]
        )
        _check(inst, r, ref_int, len(cand), None)
        assert r.result.status == "FEASIBLE" and r.stats["stopped_by"] == "time"
        assert r.result.notes[0].code == "streamed.stopped_time"
        assert r.stats["rounds"] == {"generation": 1, "round 1": 1, "round 2": 2}[stage]


def _everyone_remote(n: int, m: int):
    """``n`` needs and ``m`` remote offers that all fit each other: ``n × m`` usable edges."""
    inst = random_instance(0, n, m, n_skills=3)
    return inst.replace(
        need_skills_ptr=np.arange(n + 1),
        need_skills=np.zeros(n, dtype=np.int64),
        offer_skills_ptr=np.arange(m + 1),
        offer_skills=np.zeros(m, dtype=np.int64),
        need_remote=np.ones(n, dtype=bool),
        need_onsite=np.zeros(n, dtype=bool),
        offer_modality=np.ones(m, dtype=np.int8),
        need_start=np.full(n, OPEN_START),
        need_end=np.full(n, OPEN_END),
        offer_start=np.full(m, OPEN_START),
        offer_end=np.full(m, OPEN_END),
        offer_capacity=np.full(m, 3),
        offer_consumed=np.zeros(m, dtype=np.int64),
        excluded=np.zeros((0, 2), dtype=np.int64),
        need_funding=np.zeros(n, dtype=np.int8),
        offer_funding=np.zeros(m, dtype=np.int8),
        need_org=np.full(n, -1),
    )


def test_one_flow_on_every_edge_up_to_100_000_usable_edges():
    """The default: up to 100,000 usable edges, one OR-Tools flow on them all; one more, the priced rounds."""
    for n, m, direct in ((10_000, 10, True), (9_091, 11, False)):
        r = solve_streamed(_everyone_remote(n, m))
        assert r.stats["edges_usable"] == n * m and r.result.status == "OPTIMAL"
        assert (r.result.notes[0].code == "streamed.all_edges") == direct
        assert r.stats["auction_bids"] == 0 if direct else r.stats["auction_bids"] > 0
    # a limit of one edge: one flow when there is one edge
    r = solve_streamed(_everyone_remote(1, 1), direct_edges=1)
    assert r.stats["edges_usable"] == 1 and r.result.notes[0].code == "streamed.all_edges"
    assert r.stats["rounds"] == 1 and len(r.result.selected) == 1


@pytest.mark.parametrize("seed", range(12))
def test_a_store_smaller_than_the_edges_prices_both_parts(seed):
    """Part of the edges stored, the others regenerated when priced: the store never exceeds its budget,
    and the answer is the proven optimum."""
    inst = _varied_instance(seed)
    cand, scores, ref_int = _reference(inst)
    usable = int((scores.score_int > 0).sum())
    if usable < 4:
        return
    for store in (usable // 3, usable // 2, usable - 1):
        # (a margin as wide as the scores: every stored edge a candidate to add, never one already kept)
        for kw in (TIGHT, {**TIGHT, "margin": 0}, {**TIGHT, "margin": S}, {"direct_edges": 0}):
            r, wall = _solve(inst, **kw, store_budget=store, block_pairs=1)
            _check(inst, r, ref_int, len(cand), wall)
            assert r.result.status == "OPTIMAL"
            assert 0 < r.stats["edges_stored"] <= store < r.stats["edges_usable"] == usable
            rounds = int(r.stats["rounds"])
            if rounds > 1:  # no round beyond the one whose pricing proved it
                short, wall = _solve(inst, **kw, store_budget=store, block_pairs=1, max_rounds=rounds - 1)
                _check(inst, short, ref_int, len(cand), wall)
                assert short.result.status == "FEASIBLE" and short.stats["stopped_by"] == "rounds"


def _dense(seed: int):
    """A dense instance (most needs accept remote offers) with text similarities: its scores spread."""
    inst = make_instance(60, 80, seed=seed, remote_share=0.6, need_remote_share=0.9)
    rng = np.random.default_rng(seed)
    base = rng.normal(size=16)  # close texts: similarities on the calibrated scale (cosines 0.85-0.93)
    ne = (base + 0.3 * rng.normal(size=(inst.n_needs, 16))).astype(np.float32)
    oe = (base + 0.3 * rng.normal(size=(inst.n_offers, 16))).astype(np.float32)
    ne /= np.linalg.norm(ne, axis=1, keepdims=True)
    oe /= np.linalg.norm(oe, axis=1, keepdims=True)
    cand = build_candidates(inst)
    scores = score_candidates(inst, cand, need_embeddings=ne, offer_embeddings=oe)
    ref_int = int(scores.score_int[solve_flow(cand, scores).selected].sum())
    return inst, {"need_embeddings": ne, "offer_embeddings": oe}, cand, scores, ref_int


def _store(inst, **emb):
    """The compact store as the solver builds it (one block: every usable edge, grouped by need)."""
    stream = CandidateStream(inst, **emb)
    (blk,) = list(stream.blocks())
    e = np.flatnonzero(blk.scores.score_int > 0)
    n = blk.cand.need_idx[e]
    ptr = np.searchsorted(n, np.arange(inst.n_needs + 1)).astype(np.int64)
    o = blk.cand.offer_idx[e].astype(np.int32)
    return ptr, o, blk.scores.score_int[e].astype(np.int32), np.maximum(stream.remaining, 0)


@pytest.mark.parametrize("seed", range(8))
def test_the_first_working_set_is_chosen_at_the_auction_prices(seed):
    """By default the stored needs start from each one's 6 best edges (``k_net``) at the prices of an auction
    of increment SCORE_SCALE // 30, plus the edge the auction gave it."""
    inst, emb, cand, _, ref_int = _dense(seed)
    ptr, o, s, rem = _store(inst, **emb)
    prices, a_edge, bids = auction_prices(ptr, o, s, rem, S // 30, 64 * len(o))
    for k_net, kw in ((6, {}), (1, {"k_net": 1})):
        first = np.union1d(best_by_net_value(ptr, o, s, prices, k_net), a_edge[a_edge >= 0])
        assert len(first) < len(o)  # a choice was made
        r, wall = _solve(inst, direct_edges=0, max_rounds=1, **kw, **emb)
        _check(inst, r, ref_int, len(cand), wall)
        assert r.stats["auction_bids"] == bids > 0
        assert r.stats["edges_kept"] == len(first)


@pytest.mark.parametrize("seed", range(16))
def test_the_first_pass_keeps_half_an_edge_budget(seed):
    """Under an edge budget E the first working set takes each need's best max(1, min(k_need, E // (2 ×
    needs))) and each offer's ceil(min(k_offer, E / (4 × places)) × places) best edges, cut to the E best."""
    inst = _instance(seed, 30, 10)
    cand, scores, ref_int = _reference(inst)
    if not _no_ties(cand, scores):
        return
    stream = CandidateStream(inst)
    needs, places = len(stream.needs_with_pairs), int(np.maximum(stream.remaining, 0).sum())
    for budget in (20, 45, 90, 400):
        k_need = max(1, min(12, budget // (2 * max(1, needs))))
        k_offer = min(2.0, budget / (4 * max(1, places)))
        expected = _first_working_set(cand, scores, k_need, k_offer)
        for store in (10**9, 0):
            r, wall = _solve(inst, edge_budget=budget, auction_eps=0, direct_edges=0, max_rounds=1, store_budget=store)
            _check(inst, r, ref_int, len(cand), wall)
            assert r.stats["edges_kept"] == min(expected, budget), (budget, store)


def test_each_need_beyond_the_store_gets_its_12_best_edges_with_their_data():
    """The edges returned (with distances and components, for the alternatives and explanations) after the
    first round beyond the store: each need's 12 best (any of them on a tie), and the chosen one."""
    many = 0
    for seed in range(8):
        inst = make_instance(60, 80, seed=seed, remote_share=0.6, need_remote_share=0.9)
        cand, scores, ref_int = _reference(inst)
        r, wall = _solve(inst, store_budget=0, auction_eps=0, direct_edges=0, max_rounds=1)
        _check(inst, r, ref_int, len(cand), wall)
        usable = scores.score_int > 0
        chosen = np.zeros(len(r.candidates), dtype=bool)
        chosen[r.result.selected] = True
        for need in np.unique(cand.need_idx[usable]):
            ranked = np.sort(scores.score_int[usable & (cand.need_idx == need)])[::-1]
            k = min(12, len(ranked))
            mine = r.candidates.need_idx == need
            others = r.scores.score_int[mine & ~chosen]
            assert len(others) in (k, k - 1) and others.min(initial=ranked[0]) >= ranked[k - 1]
            picked = r.scores.score_int[mine & chosen]
            if len(picked) == 0 or picked[0] > ranked[k - 1]:  # nothing chosen, or chosen among the 12 best
                assert mine.sum() == k
            many += len(ranked) > 12
    assert many > 0  # needs with more than 12 edges were met
