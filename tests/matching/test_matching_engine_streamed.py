"""solve_instance on the streamed path: ``solver="streamed"`` and ``"flow"`` switched to it by the size
criterion (``stream_pairs``) give the all-edges flow's optimum, proven, with explanations and the same
alternatives (each need's best edges are kept), embeddings and progress stages as on the all-edges path."""

from __future__ import annotations

import numpy as np
import pytest
from matching_helpers import random_instance

from matching import STAGES, check_assignments, solve_instance
from matching.stream import CandidateStream
from matching.synthetic import make_instance


@pytest.fixture(scope="module")
def dense():
    """Many remote offers, most needs accepting remote work: ~19 edges a need (more than the streamed
    solver keeps), yet solved in a fraction of a second."""
    return make_instance(500, 600, seed=11, remote_share=0.6, need_remote_share=0.9, texts=True)


def _codes(notes) -> list[str]:
    return [getattr(n, "code", n) for n in notes]


def _alt_scores(result) -> dict[tuple[int, int], list[float]]:
    """Each proposal's alternatives' scores, by (need, chosen offer)."""
    return {(p.need_id, p.offer_id): sorted(round(a.score, 9) for a in p.alternatives) for p in result.proposals}


def test_streamed_and_automatic_paths_give_the_flow_optimum(dense):
    stages: list[str] = []
    flow = solve_instance(dense, embed=None, solver="flow", stream_pairs=None)
    named = solve_instance(dense, embed=None, solver="streamed")
    auto = solve_instance(dense, embed=None, stream_pairs=0, progress=lambda s, p: stages.append(s))
    assert flow.solver == "flow" and named.solver == "streamed" and auto.solver == "streamed"
    assert len(flow.proposals) > 400  # a real instance, not an empty one
    for r in (named, auto):
        assert r.status == "OPTIMAL" and r.bound == pytest.approx(r.objective)
        assert r.objective == pytest.approx(flow.objective, rel=1e-9, abs=1e-9)
        assert _codes(r.notes)[-1] in ("streamed.all_edges", "streamed.optimal")
        assert r.n_candidates == int((flow.scores.score_int > 0).sum())  # the usable edges, all generated
        assert len(r.candidates) < r.n_candidates // 2  # only the kept edges are held
        assert check_assignments(dense, r.all_assignments()) == []
        assert all(p.explanation and p.phrases and p.details for p in r.proposals)
        with_alts = [p for p in r.proposals if p.alternatives]
        assert len(with_alts) > len(r.proposals) // 2
        assert all(a.explanation and a.phrases and a.offer_id != p.offer_id for p in with_alts for a in p.alternatives)
        # the same assignment where the optimum is unique enough to agree: the same alternatives
        same = _alt_scores(r).keys() & _alt_scores(flow).keys()
        assert len(same) > len(flow.proposals) // 2
        assert all(_alt_scores(r)[k] == _alt_scores(flow)[k] for k in same)
        assert {u.need_id for u in r.unmatched} | {p.need_id for p in r.proposals} == {
            u.need_id for u in flow.unmatched
        } | {p.need_id for p in flow.proposals}
    # every stage in order; the streamed solve may repeat "solve" as a sign of life
    dedup = [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s]
    assert dedup == [s for s, _ in STAGES]


def test_the_criterion_is_the_raw_pairs_of_the_joins(dense):
    pairs = int(CandidateStream(dense).pairs_per_need.sum())
    assert pairs > 0
    assert solve_instance(dense, embed=None, stream_pairs=pairs, explain=False).solver == "streamed"
    assert solve_instance(dense, embed=None, stream_pairs=pairs + 1, explain=False).solver == "flow"
    assert solve_instance(dense, embed=None, explain=False).solver == "flow"  # default threshold: far above


class _Embedder:
    """Deterministic vectors from the text (no model), counting what it embeds."""

    def __init__(self) -> None:
        self.texts = 0

    def embed(self, texts, kind="query"):
        self.texts += len(texts)
        out = [np.random.default_rng(abs(hash((t, kind))) % 2**32).normal(size=8) for t in texts]
        return np.array([v / np.linalg.norm(v) for v in out], dtype=np.float32).reshape(len(texts), 8)


def test_embeddings_on_the_streamed_path(dense):
    emb_flow, emb_stream = _Embedder(), _Embedder()
    flow = solve_instance(dense, embed=emb_flow, stream_pairs=None, explain=False)
    auto = solve_instance(dense, embed=emb_stream, stream_pairs=0, explain=False)
    assert flow.semantic_enabled and auto.semantic_enabled and auto.semantic_note is None
    assert auto.solver == "streamed" and auto.status == "OPTIMAL"
    assert auto.objective == pytest.approx(flow.objective, rel=1e-9, abs=1e-9)  # same vectors where it counts
    assert all("semantic" in p.components for p in auto.proposals)
    # the texts of needs and offers with a raw pair only (a superset of those with a candidate edge)
    assert emb_flow.texts <= emb_stream.texts < dense.n_needs + dense.n_offers


def test_small_random_instances_agree_including_two_expert_needs_and_fixed_pairs():
    for seed in range(6):
        inst = random_instance(seed, 40, 15, experts2=0.3, fixed=seed % 3 * 2)
        flow = solve_instance(inst, embed=None, stream_pairs=None)
        auto = solve_instance(inst, embed=None, stream_pairs=0)
        assert auto.solver == "streamed" and auto.status == "OPTIMAL", seed
        assert auto.objective == pytest.approx(flow.objective, rel=1e-9, abs=1e-9), seed
        assert auto.fixed == flow.fixed and auto.n_open_needs == flow.n_open_needs, seed
        assert ("flow.two_experts_single" in _codes(auto.notes)) == ("flow.two_experts_single" in _codes(flow.notes))
        assert check_assignments(inst, auto.all_assignments()) == []
        # only the exact flow switches: CP-SAT (the app's solver for two-expert needs) keeps every edge
        cp = solve_instance(inst, embed=None, solver="cpsat", stream_pairs=0, explain=False)
        assert cp.solver != "streamed" and cp.n_candidates == flow.n_candidates, seed


def test_time_limit_binds_the_named_streamed_solver_only(dense, monkeypatch):
    """``time_limit`` is the streamed solver's when it is asked for by name; the streamed solver that
    ``"flow"`` switches to runs to its proof (no limit)."""
    import matching.solvers.streamed as streamed_module

    seen: list[float | None] = []
    real = streamed_module.solve_streamed

    def spy(*args, **kwargs):
        seen.append(kwargs.get("time_limit"))
        return real(*args, **kwargs)

    monkeypatch.setattr(streamed_module, "solve_streamed", spy)
    solve_instance(dense, embed=None, solver="streamed", time_limit=7.5, explain=False)
    solve_instance(dense, embed=None, stream_pairs=0, time_limit=7.5, explain=False)
    assert seen == [7.5, None]
    # a limit already spent stops it after its first block: the best flow found and a valid bound
    flow = solve_instance(dense, embed=None, stream_pairs=None, explain=False)
    r = solve_instance(dense, embed=None, solver="streamed", time_limit=0.0, explain=False)
    assert r.objective <= flow.objective + 1e-9 <= r.bound + 2e-9
    assert r.status == "OPTIMAL" or _codes(r.notes)[-1] == "streamed.stopped_time"
