"""Streamed generation and priced pruning (issue 15): the streamed blocks are exactly the all-edges
candidates, the streamed solver equals the all-edges optimum and proves it, a budget stops it with a
valid bound (bound >= all-edges optimum >= its objective), and the independent checker accepts every
answer.  Instances are drawn over metropolitan France and overseas (negative longitudes, the southern
hemisphere), with consumed capacities and more than 64 skills."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from matching_helpers import PLACES, random_instance

from matching import build_candidates, check_assignments, score_candidates
from matching.scoring import SCORE_SCALE
from matching.solvers import solve_flow
from matching.solvers.streamed import solve_streamed
from matching.stream import CandidateStream, concat_edges

PLACE_NAMES = sorted(PLACES)


def _instance(seed: int, n: int, m: int, place: str, many_skills: bool):
    return random_instance(seed, n, m, n_skills=70 if many_skills else 8, origin=PLACES[place])


def _ids(inst, cand, selected) -> dict[int, int]:
    return {int(inst.need_ids[cand.need_idx[e]]): int(inst.offer_ids[cand.offer_idx[e]]) for e in selected.tolist()}


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 40),
    m=st.integers(1, 15),
    place=st.sampled_from(PLACE_NAMES),
    many_skills=st.booleans(),
    block_pairs=st.sampled_from([1, 7, 10_000]),
)
def test_streamed_blocks_are_the_all_edges_candidates(seed, n, m, place, many_skills, block_pairs):
    inst = _instance(seed, n, m, place, many_skills)
    cand = build_candidates(inst)
    scores = score_candidates(inst, cand)
    stream = CandidateStream(inst, block_pairs=block_pairs)
    parts = [(b.cand, b.scores) for b in stream.blocks()]
    if not parts:
        assert len(cand) == 0
        return
    c, s = concat_edges(parts)
    key = cand.need_idx.astype(np.int64) * m + cand.offer_idx
    key2 = c.need_idx.astype(np.int64) * m + c.offer_idx
    o1, o2 = np.argsort(key), np.argsort(key2)
    assert np.array_equal(key[o1], key2[o2])
    assert np.array_equal(scores.score_int[o1], s.score_int[o2])
    assert np.allclose(cand.distance_km[o1], c.distance_km[o2])
    assert np.array_equal(cand.need_ptr, c.need_ptr)
    assert stream.edges_generated == len(cand)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 40),
    m=st.integers(1, 15),
    place=st.sampled_from(PLACE_NAMES),
    many_skills=st.booleans(),
    share=st.sampled_from([0.0, 0.3, 1.0]),
)
def test_the_data_of_chosen_pairs_is_the_blocks_data(seed, n, m, place, many_skills, share):
    """``CandidateStream.pairs`` (the full data of a few known edges, at the end of a solve) gives exactly
    what generating their needs' blocks gives: distance, modes, coverage and every score component."""
    inst = _instance(seed, n, m, place, many_skills)
    cand = build_candidates(inst)
    scores = score_candidates(inst, cand)
    idx = np.flatnonzero(np.random.default_rng(seed).random(len(cand)) < share)
    blk = CandidateStream(inst).pairs(cand.need_idx[idx], cand.offer_idx[idx])
    c, s = blk.cand, blk.scores
    assert np.array_equal(c.need_idx, cand.need_idx[idx]) and np.array_equal(c.offer_idx, cand.offer_idx[idx])
    for name in ("distance_km", "onsite", "remote", "coverage", "n_covered"):
        assert np.array_equal(getattr(c, name), getattr(cand, name)[idx]), name
    assert np.array_equal(s.score_int, scores.score_int[idx]) and np.array_equal(s.score, scores.score[idx])
    assert np.array_equal(blk.needs, np.unique(cand.need_idx[idx]))
    assert c.raw_pairs == 0


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 45),
    m=st.integers(1, 15),
    place=st.sampled_from(PLACE_NAMES),
    many_skills=st.booleans(),
    k_need=st.integers(1, 3),
    k_offer=st.sampled_from([0.0, 0.5, 2.0]),
    add_per_need=st.integers(1, 3),
    block_pairs=st.sampled_from([1, 7, 10_000]),
    store_budget=st.sampled_from([0, 9, 10**9]),
    margin=st.sampled_from([0, SCORE_SCALE // 50]),
    direct_edges=st.sampled_from([0, 0, 10**9]),
)
def test_streamed_equals_the_all_edges_optimum_and_proves_it(
    seed, n, m, place, many_skills, k_need, k_offer, add_per_need, block_pairs, store_budget, margin, direct_edges
):
    inst = _instance(seed, n, m, place, many_skills)
    cand = build_candidates(inst)
    scores = score_candidates(inst, cand)
    ref = solve_flow(cand, scores)
    r = solve_streamed(
        inst,
        k_need=k_need,
        k_offer=k_offer,
        add_per_need=add_per_need,
        block_pairs=block_pairs,
        store_budget=store_budget,
        margin=margin,
        direct_edges=direct_edges,
        max_rounds=1000,
    )
    res = r.result
    assert res.status == "OPTIMAL"
    all_stored = store_budget >= r.stats["edges_usable"]
    assert res.notes[0].code == ("streamed.all_edges" if direct_edges and all_stored else "streamed.optimal")
    assert int(r.scores.score_int[res.selected].sum()) == int(scores.score_int[ref.selected].sum())
    assert res.bound == res.objective
    assert r.stats["edges_kept"] <= r.stats["edges_usable"] and r.stats["stopped_by"] == ""
    assert check_assignments(inst, _ids(inst, r.candidates, res.selected)) == []
    # the returned edges carry their full data (explanations): the same as the all-edges ones
    key = cand.need_idx.astype(np.int64) * m + cand.offer_idx
    for e in res.selected.tolist():
        f = int(np.flatnonzero(key == int(r.candidates.need_idx[e]) * m + int(r.candidates.offer_idx[e]))[0])
        assert r.scores.score[e] == scores.score[f]
        assert r.candidates.coverage[e] == cand.coverage[f]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(5, 45),
    m=st.integers(2, 15),
    place=st.sampled_from(PLACE_NAMES),
    budget=st.sampled_from(["rounds", "edges", "time", "time0"]),
    store_budget=st.sampled_from([0, 10**9]),
)
def test_a_budget_stops_with_a_valid_bound(seed, n, m, place, budget, store_budget):
    inst = _instance(seed, n, m, place, False)
    cand = build_candidates(inst)
    scores = score_candidates(inst, cand)
    ref = solve_flow(cand, scores)
    kw: dict = {"k_need": 1, "k_offer": 0.0, "add_per_need": 1, "block_pairs": 5, "store_budget": store_budget}
    kw["direct_edges"] = 0 if budget != "edges" else 10**9  # the edge budget caps the direct path too
    if budget == "rounds":
        kw["max_rounds"] = 1
    elif budget == "edges":
        kw["edge_budget"] = 4
    elif budget == "time":
        kw["time_limit"] = 1e-4
    else:
        kw["time_limit"] = 0.0  # stops after the first block: most needs never generated
    r = solve_streamed(inst, **kw)
    res = r.result
    ref_int = int(scores.score_int[ref.selected].sum())
    got_int = int(r.scores.score_int[res.selected].sum())
    assert got_int <= ref_int
    # (a float bound against integer scores: each edge's score was rounded by at most half a unit)
    assert res.bound is not None and res.bound * SCORE_SCALE >= ref_int - len(cand)
    assert res.bound >= res.objective
    if res.status == "OPTIMAL":
        assert got_int == ref_int
    else:
        assert r.stats["stopped_by"] in ("rounds", "edges", "time") and "écart" in res.notes[0].text
    if budget == "edges":
        assert r.stats["edges_kept"] <= max(4, len(cand))
    assert check_assignments(inst, _ids(inst, r.candidates, res.selected)) == []


def test_nothing_to_match():
    inst = random_instance(3, 5, 3, n_skills=4)
    inst = inst.replace(offer_capacity=np.zeros(3, dtype=np.int64), offer_consumed=np.zeros(3, dtype=np.int64))
    r = solve_streamed(inst)
    assert r.result.status == "OPTIMAL" and r.result.objective == 0.0 and len(r.result.selected) == 0


def test_no_need_at_all():
    """A run with every need closed (none left): nothing to propose, proven, whichever path solves it."""
    inst = random_instance(3, 5, 3, n_skills=4)
    none = inst.replace(
        **{
            f.name: getattr(inst, f.name)[:0]
            for f in dataclasses.fields(inst)
            if f.name.startswith("need_") and f.name != "need_skills_ptr" and getattr(inst, f.name) is not None
        },
        need_skills_ptr=np.zeros(1, dtype=np.int64),
        excluded=np.zeros((0, 2), dtype=np.int64),
    )
    assert none.n_needs == 0
    for kw in ({}, {"direct_edges": 0}, {"store_budget": 0}):
        r = solve_streamed(none, **kw)
        assert r.result.status == "OPTIMAL" and r.result.objective == 0.0 and len(r.result.selected) == 0
        assert len(r.candidates) == 0 and r.stats["edges_usable"] == 0
    cand = build_candidates(none)
    assert len(cand) == 0 and len(solve_flow(cand, score_candidates(none, cand)).selected) == 0
