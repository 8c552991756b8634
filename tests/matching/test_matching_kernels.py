"""The compiled kernel of streamed generation (``matching.kernels.block_edges``) gives exactly what the
plain-numpy path gives (the joins' raw pairs through ``EdgeSink.emit``, then ``assemble``): the same
edges in the same order with bit-identical values, on random instances over metropolitan France and
overseas (negative longitudes, the southern hemisphere), with more than 64 skills (several bitset
words), category tokens, explicit exclusions, providers in several organisations and needs taking
labelled providers only.  Blocks built ahead on threads are the blocks built one by one."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matching_helpers import PLACES, random_instance

from matching.candidates import Candidates, assemble
from matching.joins import EdgeSink, _expand
from matching.kernels import _contains, _popcount
from matching.model import Instance
from matching.stream import CandidateStream

PLACE_NAMES = sorted(PLACES)
FIELDS = ("need_idx", "offer_idx", "distance_km", "onsite", "remote", "coverage", "n_covered", "need_ptr")


def _instance(seed: int, n: int, m: int, place: str, many_skills: bool) -> Instance:
    """A random instance with every rule the kernel applies switched on somewhere."""
    inst = random_instance(seed, n, m, n_skills=70 if many_skills else 8, origin=PLACES[place])
    rng = np.random.default_rng(seed + 1)
    # providers in up to three organisations each, listed unsorted
    P = inst.n_providers
    k = rng.integers(0, 4, P)
    orgs = [rng.permutation(4)[: k[p]] for p in range(P)]
    ptr = np.zeros(P + 1, dtype=np.int64)
    np.cumsum(k, out=ptr[1:])
    inst = inst.replace(
        provider_org_ptr=ptr,
        provider_orgs=np.concatenate(orgs).astype(np.int64),
        need_org=np.where(rng.random(n) < 0.8, rng.integers(0, 5, n), -1),
    )
    if inst.provider_charter is not None:  # none, prefer or only; some providers unlabelled (0 or unknown)
        charter = np.where(rng.random(P) < 0.3, rng.choice([0.0, np.nan], P), inst.provider_charter)
        inst = inst.replace(provider_charter=charter, need_charter=rng.integers(0, 3, n).astype(np.int8))
    return inst


def reference_edges(stream: CandidateStream, needs: np.ndarray) -> Candidates:
    """The edges of ``needs`` the plain-numpy way: every raw pair of the two joins through
    ``EdgeSink.emit``, then ``assemble`` (stable sort by need, exclusions, derived fields)."""
    inst, prep = stream.inst, stream.prep
    sink = EdgeSink(inst, prep)
    _, ent = _expand(stream.ent_ptr[needs], stream.ent_ptr[needs + 1] - stream.ent_ptr[needs])
    e_row, e_tok = prep.ent_row[ent], prep.ent_tok[ent]
    i, pos = _expand(stream.lo_on[ent], stream.cnt_on[ent])
    if len(pos):
        sink.emit(e_row[i], stream.grid_offers[pos], e_tok[i], onsite=True)
    i, pos = _expand(stream.lo_re[ent], stream.cnt_re[ent])
    if len(pos):
        sink.emit(e_row[i], stream.remote_offers[pos], e_tok[i], onsite=False)
    return assemble(inst, prep, sink, cell_km=stream.cell_km)


def assert_same_edges(got: Candidates, want: Candidates) -> None:
    for name in FIELDS:
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype, name
        assert np.array_equal(a, b), name  # same order, bit-identical
    assert got.raw_pairs == want.raw_pairs
    assert got.cell_km == want.cell_km


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 40),
    m=st.integers(1, 15),
    place=st.sampled_from(PLACE_NAMES),
    many_skills=st.booleans(),
)
def test_kernel_edges_are_the_numpy_edges(seed, n, m, place, many_skills):
    inst = _instance(seed, n, m, place, many_skills)
    stream = CandidateStream(inst, threads=0)
    rng = np.random.default_rng(seed)
    every = np.arange(n)
    subsets = [
        every,
        stream.needs_with_pairs,
        np.sort(rng.choice(n, size=int(rng.integers(0, n + 1)), replace=False)),
        np.sort(rng.integers(0, n, 2 * n)),  # repeated needs
        rng.integers(0, n, n),  # unsorted, repeated
    ]
    for needs in subsets:
        needs = needs.astype(np.int64)
        assert_same_edges(stream._edges(needs), reference_edges(stream, needs))


def test_kernel_edges_cover_the_rules():
    """The random instances above do exercise every rule (a kernel ignoring one would differ)."""
    seen = dict.fromkeys(("edges", "onsite", "remote", "second_word", "category", "excluded", "org", "charter"), 0)
    for seed in range(40):
        inst = _instance(seed, 30, 12, PLACE_NAMES[seed % len(PLACE_NAMES)], many_skills=seed % 2 == 1)
        stream = CandidateStream(inst, threads=0)
        c = stream._edges(np.arange(inst.n_needs))
        seen["edges"] += len(c)
        seen["onsite"] += int(c.onsite.sum())
        seen["remote"] += int((c.remote & ~c.onsite).sum())
        seen["second_word"] += int((inst.need_skills >= 64).sum())
        seen["category"] += int((c.n_covered == 0).sum())
        # what the rules drop: the same instance without exclusions, organisations and charter rules
        free = inst.replace(
            excluded=np.zeros((0, 2), np.int64),
            provider_org_ptr=np.zeros(inst.n_providers + 1, np.int64),
            provider_orgs=np.zeros(0, np.int64),
            need_charter=None,
        )
        loose = CandidateStream(free, threads=0)._edges(np.arange(inst.n_needs))
        assert len(loose) >= len(c)
        seen["excluded"] += len(inst.excluded) > 0 and len(loose) > len(c)
        seen["org"] += int(np.diff(inst.provider_org_ptr).max() > 1)
        seen["charter"] += inst.need_charter is not None and bool((inst.need_charter == 2).any())
    assert all(v > 0 for v in seen.values()), seen


def test_popcount_and_contains():
    rng = np.random.default_rng(7)
    x = rng.integers(0, 2**63, 2000, dtype=np.uint64) | (rng.integers(0, 2, 2000).astype(np.uint64) << np.uint64(63))
    x[:3] = [0, 2**64 - 1, 1 << 63]
    assert [int(_popcount(v)) for v in x] == np.bitwise_count(x).tolist()
    values = np.array([2, 3, 5, 5, 8, 1, 4], dtype=np.int64)  # sorted [0:5] and [5:7]
    for lo, hi in ((0, 5), (5, 7), (2, 4), (3, 3)):
        for v in range(-1, 10):
            assert _contains(values, lo, hi, v) == (v in values[lo:hi].tolist()), (lo, hi, v)


@pytest.mark.parametrize(("block_pairs", "threads"), [(1, 1), (1, 2), (50, 2), (10_000, 2)])
def test_blocks_built_ahead_on_threads_are_the_blocks_built_one_by_one(block_pairs, threads):
    inst = _instance(3, 40, 15, "reunion", many_skills=True)
    one = CandidateStream(inst, block_pairs=block_pairs, threads=0)
    two = CandidateStream(inst, block_pairs=block_pairs, threads=threads)
    a, b = list(one.blocks()), list(two.blocks())
    assert len(a) == len(b) == one.blocks_generated == two.blocks_generated > 0
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x.needs, y.needs)
        assert_same_edges(y.cand, x.cand)
        assert np.array_equal(x.scores.score_int, y.scores.score_int)
        assert np.array_equal(x.scores.components, y.scores.components)
    assert (one.edges_generated, one.pairs_generated) == (two.edges_generated, two.pairs_generated)
    assert one.edges_generated == sum(len(x.cand) for x in a)
    assert two.seconds_generate > 0


def test_stopping_early_counts_only_the_blocks_taken():
    inst = _instance(5, 40, 15, "brest", many_skills=False)
    stream = CandidateStream(inst, block_pairs=1, threads=2)
    blocks = stream.blocks()
    first = next(blocks)
    blocks.close()  # the blocks built ahead are dropped
    assert stream.blocks_generated == 1
    assert stream.edges_generated == len(first.cand)
    again = list(stream.blocks(first.needs))
    assert_same_edges(again[0].cand, first.cand)
