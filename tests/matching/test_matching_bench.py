"""Smoke test of the benchmark on a tiny instance (real communes of the Région Sud)."""

from __future__ import annotations

import pytest

from matching.bench import fmt, run_size
from matching.synthetic import COMMUNES_PATH, load_communes


@pytest.mark.skipif(not COMMUNES_PATH.exists(), reason="data/communes.csv.gz not built")
def test_communes_of_region_sud():
    c = load_communes()
    assert set(c.dep_code.tolist()) == {"04", "05", "06", "13", "83", "84"}
    assert 900 < len(c) < 1000
    assert "Marseille" in c.name.tolist()


@pytest.mark.skipif(not COMMUNES_PATH.exists(), reason="data/communes.csv.gz not built")
def test_bench_tiny():
    r = run_size("tiny", 400, 120, seed=3)
    assert r["status"] == "OPTIMAL" and r["edges"] > 0
    assert r["lsa_equals_flow"] is True
    assert 0 < r["greedy_pct_of_optimum"] <= 100.0 + 1e-9
    text = fmt(r)
    assert "candidate edges" in text and "scipy LSA" in text


@pytest.mark.skipif(not COMMUNES_PATH.exists(), reason="data/communes.csv.gz not built")
def test_bench_dense_tiny_is_streamed_priced_and_proven():
    r = run_size("dense-tiny", 600, 180, seed=2, lsa=False, reference=True)
    assert r["status"] == "OPTIMAL" and r["proof"].startswith("optimal")
    assert r["reference_equal"] is True and r["reference_within_bound"] is True
    st = r["stats"]
    assert st["edges_kept"] <= st["edges_usable"] <= st["edges_generated"] and st["rounds"] >= 1
    text = fmt(r)
    for words in ("edges", "generated", "kept", "round(s)", "peak memory", "VmHWM", "same optimum: True"):
        assert words in text
