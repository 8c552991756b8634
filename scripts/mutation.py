"""Mutation testing: `make mutation` (not part of `make test`: too slow).

Suites (``--suite``): ``payments``, the money code (``payments/ledger.py``, ``payments/rules.py``,
``payments/vouchers.py``, against the payments tests on SQLite and, for ``vouchers.py``, the app's
voucher-mission tests), and ``matching``, the matching rules (``matching/checker.py``, the candidate
builder ``matching/candidates.py`` and its joins ``matching/joins.py``, and ``matching/pricing.py``
when it exists, against the pure-library matching tests: no app, no database). Two more on issue 15's
pricing code: ``pricing`` (the streamed candidates and solver) and ``solvers`` (the warm-started exact
matching ``matching/solvers/augment.py`` and the auction ``matching/solvers/auction.py``, whose numba
kernels run uncompiled there: ``NUMBA_DISABLE_JIT=1`` unless the caller's environment sets it). Each mutant is one
small change of one file found by walking the module's `ast`:

- a comparison operator swapped (``<`` ↔ ``<=``, ``>`` ↔ ``>=``, ``==`` ↔ ``!=``, ``in`` ↔ ``not in``,
  ``is`` ↔ ``is not``), ``and`` ↔ ``or``, a ``not`` or a unary minus removed;
- an ``if`` negated, a guard (an ``if`` whose body raises) removed, a ``raise`` replaced by ``pass``;
- an arithmetic operator swapped (``+`` ↔ ``-``, ``*`` → ``//``, ``//`` → ``*``, ``%`` → ``//``,
  ``+=`` ↔ ``-=``), ``min`` ↔ ``max``;
- a constant changed (an integer plus one, a boolean flipped, a short identifier-like string
  altered), a returned value replaced by ``None``.

Docstrings, f-strings and the messages of exceptions, logs and memos are not mutated. The runner
copies the repository once into a temporary directory, writes one mutant at a time into the copy
(the original files are never touched), runs the suite's tests there on SQLite with ``-x`` in
stages (fast tests first, so that most mutants die in seconds) under a timeout, and restores the
file. A mutant is *killed* when the tests fail or time out, *survived* when they pass. Survivors
that cannot change any behaviour are listed in :data:`EQUIVALENT` with their reason; the report
gives the score per file over all mutants and over the non-equivalent ones, and lists every
survivor with its line.

    python scripts/mutation.py                          # the payments suite
    python scripts/mutation.py --suite matching --jobs 1 --file checker.py
    python scripts/mutation.py --suite matching --list  # the mutants, without running anything
    python scripts/mutation.py --jobs 2 --report payments/MUTATION-RESULTS.txt
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Suite:
    """The files one run mutates and the tests run against each mutant, in stages: the fast and
    precise ones first, the next stage only when the mutant survived the previous one (pytest -x
    inside a stage). SQLite only. ``last_stage_only_for``: the last stage (a slow one) runs only
    against the mutants of this file."""

    title: str
    targets: tuple[str, ...]
    stages: tuple[tuple[str, ...], ...]
    last_stage_only_for: str | None = None
    #: environment variables the run sets unless the caller's environment already sets them
    env: tuple[tuple[str, str], ...] = ()


SUITES = {
    "payments": Suite(
        title="the money code",
        targets=("payments/rules.py", "payments/ledger.py", "payments/vouchers.py"),
        stages=(
            ("tests/payments/test_payments_guards_rules.py",),
            ("tests/payments/test_payments_guards_ledger.py", "tests/payments/test_payments_guards_vouchers.py"),
            (
                "tests/payments/test_payments_rules.py",
                "tests/payments/test_payments_ledger.py",
                "tests/payments/test_payments_vouchers.py",
            ),
            ("tests/payments/test_payments_property.py", "tests/payments/test_payments_stripe.py"),
            # the app's voucher tests (slow: a match run per mission) only against vouchers.py
            ("tests/vouchers/test_vouchers_missions.py",),
        ),
        last_stage_only_for="payments/vouchers.py",
    ),
    # The matching rules: the independent checker, the candidate builder (candidates.py assembles,
    # joins.py holds the rule filters: skills, windows, radius, remote), the pricing code when it
    # exists. Pure-library tests only (no app, no database): a mutant dies in a second.
    "matching": Suite(
        title="the matching rules",
        targets=("matching/checker.py", "matching/candidates.py", "matching/joins.py"),
        stages=(
            ("tests/matching/test_matching_checker_rules.py", "tests/matching/test_matching_candidates_rules.py"),
            ("tests/matching/test_matching_candidates.py",),
            (
                "tests/matching/test_matching_charter.py",
                "tests/matching/test_matching_incremental.py",
                "tests/matching/test_matching_solvers.py",
                "tests/matching/test_matching_side_flow.py",
                "tests/matching/test_matching_priced.py",
            ),
        ),
    ),
    # The streamed candidate generation and the priced solver (issue 15's pricing code).
    "pricing": Suite(
        title="the streamed candidates and the priced solver",
        targets=("matching/stream.py", "matching/solvers/streamed.py"),
        stages=(
            ("tests/matching/test_matching_streamed_rules.py",),
            ("tests/matching/test_matching_streamed.py",),
            ("tests/matching/test_matching_priced.py", "tests/matching/test_matching_solvers.py"),
        ),
    ),
    # The exact warm-started solver and the auction under the priced solver (issue 15's pricing code too,
    # a suite of its own: their direct tests kill most mutants in seconds, before the streamed solver's).
    # numba kernels: run as plain Python (NUMBA_DISABLE_JIT=1; NUMBA_DISABLE_JIT=0 in the caller's
    # environment compiles them). Compiled, each mutant recompiles its module's kernels (~15 s: the copy's
    # file changed, so numba's cache in the copy's __pycache__, keyed on the file's time stamp and size, is
    # not reused, checked with a mutant of _attach that only a recompiled _augment sees); uncompiled, the
    # direct tests take ~2 s and an out-of-bounds index raises instead of reading past an array.
    "solvers": Suite(
        title="the warm-started matching and the auction",
        targets=("matching/solvers/augment.py", "matching/solvers/auction.py"),
        stages=(
            ("tests/matching/test_matching_augment.py", "tests/matching/test_matching_auction.py"),
            ("tests/matching/test_matching_streamed_rules.py",),
        ),
        env=(("NUMBA_DISABLE_JIT", "1"),),
    ),
}

#: Mutants that cannot change any behaviour, found by reading each survivor: (file, function,
#: a fragment of the mutated line, the mutation's description) -> why it is equivalent. They are
#: reported apart and left out of the score's denominator; the list is kept short and honest
#: (a survivor that a test could kill is a missing test, not an entry here).
_CHUNKS = "changes where the chunks of entries end, not what they hold: any split of the entries into consecutive chunks gives the same edges (only the peak memory of one chunk differs)"
_MARGIN = "the radius threshold carries a relative margin of 1e-12: a squared chord equal to it to the last bit does not occur"
_EDGE = (
    "differs only when a computed float equals the bound to the last bit (a box ending exactly on ±180°, "
    "exactly on the grid's edge, a disk exactly tangent to a pole): practically, not provably, equivalent"
)
_RANK = "the rank table is read only at the categories of the instance: its size and its value for an absent category are never read"
_CELLS = "the grid's cells a little wider, or one more empty row or column: the cells change, the edges do not"
_CLIP = (
    "a box past the grid's edge clipped to one row or column more or less: that row lies outside the grid "
    "(no cell) or holds only needs out of the radius (a box entirely beyond the grid)"
)
_RECORD = "an internal record of the builder, never altered, compared or hashed: its dataclass flags change nothing"
_GRID = "the grid's size limit by one cell: the grid is a little larger or smaller, the edges are the same"
_A = "matching/solvers/augment.py"
_AU = "matching/solvers/auction.py"
_KERNELS = ("_push", "_pop", "_attach", "_detach", "_repair", "_refill", "_augment")
_AU_KERNELS = ("_bid_phase", "_auction", "_best_by_net", "_price_store")
_BID_TIE = (
    "equal bids ordered the other way: still a valid min-heap of kept bids, whose lowest (the price) is the "
    "same; which of two equal lowest bidders is displaced differs (another eps-optimal auction)"
)
_NUMBA_CACHE = "numba's disk cache of the compiled kernel: how fast the next process starts, not what it computes"
_TRACE = "a debugging trace printed to stdout (off): no value changes"
_TIE = (
    "ties broken the other way: another path of the same length (or the same label reached again), so another "
    "optimum of the same value with certifying duals; the contract is any optimal b-matching"
)
_HEAP_TIE = "equal keys ordered the other way: still a valid min-heap (each pop gives a smallest key; tested)"
_SENTINEL = "the initial -1 is never read: a predecessor is written whenever a node is labelled, before any read"
_SPARE = "an array one entry longer than ever used"
_SLOT = (
    "position size still holds the entry being sifted down (its key equals lk): comparing with it stops or "
    "continues the same way"
)
_SAME_SHIFT = "the same constant added to every composite key (the keys span less than 2**31): the order is the same"
_CAP = "the cap is never reached: the keys are score differences plus the margin, below 3 * SCORE_SCALE"
_TRIM = (
    "when the pass trims its working set (memory), not what it keeps: an edge among the best of its need or of its "
    "offer over all blocks survives every intermediate trim (a need's edges all come in one block)"
)
_EMPTY_NEED = "one more need, past the last, with no edge: it is skipped (the CSR's extra entry is never an edge)"
_NEG = "a sentinel read only as >= 0 or < 0 (or compared with an index >= 0): -1 and -2 mean the same"
_A_SENTINELS = (
    ("_attach", "prv[i] = -1"),
    ("_detach", "assign[i] = -1"),
    ("_refill", "cur = -1"),
    ("_augment", "hq = -1"),
    ("_augment", "h = -1"),
    ("_augment", "prev = -1"),
    ("WarmMatching.__init__", "self.assign = np.full(self.N, -1, dtype=np.int64)"),
    ("WarmMatching.__init__", "self.head = np.full(self.M, -1, dtype=np.int64)"),
)
_SETTLED = (
    "a settled offer's label is final (shortest paths on non-negative reduced values): re-relaxing it or "
    "popping its equal stale entry changes no label, only the work done"
)
_A_SETTLED = (
    ("_refill", "if ostate[k] == 2 or key > lam[k]:"),
    ("_refill", "elif ostate[k2] != 2 and nk < lam[k2]:"),
    ("_augment", "if ostate[j2] == 2:"),
    ("_augment", "if ostate[j] == 2 or key > lam[j]:"),
)
EQUIVALENT: dict[tuple[str, str, str, str], str] = {
    # matching/candidates.py
    ("matching/candidates.py", "Candidates", "raw_pairs: int = 0", "0 -> 1"): (
        "a default the builder never uses: assemble() and subset() always pass raw_pairs"
    ),
    ("matching/candidates.py", "_excluded_mask", "if len(inst.excluded) and len(need_idx):", "and -> or"): (
        "with no exclusion nothing is flagged and nothing dropped; with no edge there is nothing to drop"
    ),
    ("matching/candidates.py", "_excluded_mask", "if len(inst.provider_orgs) and len(need_idx):", "and -> or"): (
        "with no provider in any organisation no edge is looked at; with no edge there is nothing to drop"
    ),
    ("matching/candidates.py", "_excluded_mask", "has_org = np.diff(inst.provider_org_ptr) > 0", "> -> >="): (
        "a wider pre-filter: the edges of providers without organisation find no (provider, organisation) key"
    ),
    ("matching/candidates.py", "assemble", "if only.any() and len(need_idx):", "and -> or"): (
        "with no need taking labelled providers only, the mask drops nothing"
    ),
    ("matching/candidates.py", "assemble", "if len(need_idx) and np.any(np.diff(need_idx) < 0):", "and -> or"): (
        "a stable sort of edges already grouped by need leaves them as they are"
    ),
    ("matching/candidates.py", "assemble", "if len(need_idx) and np.any(np.diff(need_idx) < 0):", "< -> <="): (
        "a stable sort of edges already grouped by need leaves them as they are"
    ),
    ("matching/candidates.py", "assemble", "if len(need_idx) and np.any(np.diff(need_idx) < 0):", "0 -> 1"): (
        "a stable sort of edges already grouped by need leaves them as they are"
    ),
    ("matching/candidates.py", "assemble", "(c2 <= prep.offer_thr[offer_idx])", "<= -> <"): _MARGIN,
    ("matching/candidates.py", "build_candidates", "chunk_pairs: int = 2_000_000", "2000000 -> 2000001"): _CHUNKS,
    # matching/joins.py: the chunks
    ("matching/joins.py", "_chunks", "while start < len(cnt):", "< -> <="): (
        "one more, empty, chunk past the last entry: it expands to no pair"
    ),
    ("matching/joins.py", "_chunks", "base = cum[start - 1] if start else 0", "condition negated"): _CHUNKS,
    ("matching/joins.py", "_chunks", "base = cum[start - 1] if start else 0", "0 -> 1"): _CHUNKS,
    ("matching/joins.py", "_chunks", "base = cum[start - 1] if start else 0", "1 -> 2"): _CHUNKS,
    ("matching/joins.py", "_chunks", "base + chunk_pairs", "+ -> -"): _CHUNKS,
    ("matching/joins.py", "_chunks", "end = max(end, start + 1)", "max -> min"): _CHUNKS,
    ("matching/joins.py", "_chunks", "end = max(end, start + 1)", "1 -> 2"): _CHUNKS,
    ("matching/joins.py", "EdgeSink.emit", "within = c2 <= prep.offer_thr[rows_o]", "<= -> <"): _MARGIN,
    ("matching/joins.py", "Prepared", "@dataclass(frozen=True, eq=False)", "True -> False"): _RECORD,
    ("matching/joins.py", "Prepared", "@dataclass(frozen=True, eq=False)", "False -> True"): _RECORD,
    ("matching/joins.py", "_Grid", "@dataclass(frozen=True, eq=False)", "True -> False"): _RECORD,
    ("matching/joins.py", "_Grid", "@dataclass(frozen=True, eq=False)", "False -> True"): _RECORD,
    ("matching/joins.py", "onsite_grid", "if ni * nj <= 4_000_000:", "<= -> <"): _GRID,
    ("matching/joins.py", "onsite_grid", "if ni * nj <= 4_000_000:", "4000000 -> 4000001"): _GRID,
    ("matching/joins.py", "onsite_grid", "need_cell = np.full(N, -1, dtype=np.int64)", "unary minus removed"): (
        "the cell of a need outside the run is never read: only the run's need entries are joined"
    ),
    ("matching/joins.py", "onsite_grid", "need_cell = np.full(N, -1, dtype=np.int64)", "1 -> 2"): (
        "the cell of a need outside the run is never read: only the run's need entries are joined"
    ),
    ("matching/joins.py", "onsite_grid", "full_lon = (ratio >= 1.0) | (ang >= np.pi / 2)", ">= -> >"): _EDGE,
    ("matching/joins.py", "onsite_grid", "wrap = (lon_o - dlon < -180.0) | (lon_o + dlon > 180.0)", "< -> <="): _EDGE,
    ("matching/joins.py", "onsite_grid", "wrap = (lon_o - dlon < -180.0) | (lon_o + dlon > 180.0)", "> -> >="): _EDGE,
    ("matching/joins.py", "onsite_grid", "i0 = np.where(lat_o + dlat < lat0, ni, i0)", "< -> <="): _EDGE,
    ("matching/joins.py", "onsite_grid", "j0 = np.where((lon_o + dlon < lon0) & ~wrap, nj, j0)", "< -> <="): _EDGE,
    ("matching/joins.py", "onsite_grid", "np.degrees(np.arcsin(np.minimum(ratio, 1.0))) + 1e-9", "+ -> -"): (
        "the box's longitude margin of 1e-9 degree (0.1 mm): no need lies within the radius and that close to "
        "the box's edge"
    ),
    ("matching/joins.py", "onsite_grid", "dlat = np.degrees(ang) + 1e-9", "+ -> -"): (
        "the box's latitude margin of 1e-9 degree (0.1 mm): no need lies within the radius and that close to "
        "the box's edge"
    ),
    ("matching/joins.py", "onsite_grid", "j1 = np.where(wrap, nj - 1, j1)", "- -> +"): (
        "the column past the grid is clipped back to the last one two lines below"
    ),
    ("matching/joins.py", "join_remote", "if not (rq.any() and len(remote_offers)):", "and -> or"): (
        "with no remote-accepting need or no remote offer the join goes on with empty entries and finds nothing"
    ),
    (
        "matching/joins.py",
        "prepare_tokens",
        "cat_rank = np.full(int(cats.max()) + 1, -1, dtype=np.int64)",
        "unary minus removed",
    ): _RANK,
    (
        "matching/joins.py",
        "prepare_tokens",
        "cat_rank = np.full(int(cats.max()) + 1, -1, dtype=np.int64)",
        "1 -> 2",
    ): _RANK,
    ("matching/joins.py", "prepare_tokens", "cat_rank = np.zeros(1, dtype=np.int64)", "1 -> 2"): _RANK,
    (
        "matching/joins.py",
        "prepare_tokens",
        "need_cat = np.where(inst.category_match_mask(), inst.need_category, -1)",
        "1 -> 2",
    ): ("-1 and -2 are both 'no category token' (only categories >= 0 make one)"),
    ("matching/joins.py", "skill_bitsets", "w = max(1, (n_skills + 63) // 64)", "63 -> 64"): (
        "one more, empty, bitset word at 64, 128... skills: the several-word path gives the same edges"
    ),
    ("matching/joins.py", "onsite_grid", "mean_lat = float(np.clip(np.abs(lat_n).mean(), 0, 80))", "0 -> 1"): _CELLS,
    ("matching/joins.py", "onsite_grid", "mean_lat = float(np.clip(np.abs(lat_n).mean(), 0, 80))", "80 -> 81"): _CELLS,
    ("matching/joins.py", "onsite_grid", "ni = int(np.floor((lat_n.max() - lat0) / dlat_c)) + 1", "1 -> 2"): _CELLS,
    ("matching/joins.py", "onsite_grid", "nj = int(np.floor((lon_n.max() - lon0) / dlon_c)) + 1", "1 -> 2"): _CELLS,
    ("matching/joins.py", "onsite_grid", "i0, i1 = np.clip(i0, 0, ni - 1), np.clip(i1, -1, ni - 1)", "- -> +"): _CLIP,
    (
        "matching/joins.py",
        "onsite_grid",
        "i0, i1 = np.clip(i0, 0, ni - 1), np.clip(i1, -1, ni - 1)",
        "unary minus removed",
    ): _CLIP,
    ("matching/joins.py", "onsite_grid", "j0, j1 = np.clip(j0, 0, nj - 1), np.clip(j1, -1, nj - 1)", "- -> +"): _CLIP,
    (
        "matching/joins.py",
        "onsite_grid",
        "j0, j1 = np.clip(j0, 0, nj - 1), np.clip(j1, -1, nj - 1)",
        "unary minus removed",
    ): _CLIP,
    ("matching/joins.py", "onsite_grid", "i0, i1 = np.clip(i0, 0, ni - 1), np.clip(i1, -1, ni - 1)", "1 -> 2"): _CLIP,
    ("matching/joins.py", "onsite_grid", "j0, j1 = np.clip(j0, 0, nj - 1), np.clip(j1, -1, nj - 1)", "1 -> 2"): _CLIP,
    ("matching/joins.py", "onsite_grid", "full_lon = (ratio >= 1.0) | (ang >= np.pi / 2)", "2 -> 3"): (
        "every longitude for radii above a sixth of the circumference instead of a quarter: a wider box, the same edges"
    ),
    (
        "matching/joins.py",
        "prepare_tokens",
        "offer_thr=chord2_of_km(inst.offer_radius_km) * (1 + 1e-12)",
        "+ -> -",
    ): _MARGIN,
    ("matching/joins.py", "EdgeSink.emit", "keep = np.where(tok < S, low == tok, low == S)", "< -> <="): (
        "at tok == S (the first category token) both branches compare the lowest shared bit with S"
    ),
    ("matching/joins.py", "EdgeSink.emit", "np.minimum(tok, 63)", "63 -> 64"): (
        "a one-word instance has skill tokens below 64: the cap changes only category tokens' masks, which the "
        "category branch does not read"
    ),
    ("matching/joins.py", "skill_bitsets", "w = max(1, (n_skills + 63) // 64)", "1 -> 2"): (
        "at least two bitset words: a one-word instance takes the several-word path, which gives the same edges"
    ),
    ("matching/joins.py", "", "_F = 3", "3 -> 4"): (
        "the last factor of the join keys: any factor above the 3 funding codes keeps the keys distinct"
    ),
    # matching/stream.py
    ("matching/stream.py", "CandidateStream.__init__", "np.arange(N + 1)", "1 -> 2"): (
        "one more pointer past the last need: only ent_ptr[needs] and ent_ptr[needs + 1] (needs < N) are read"
    ),
    ("matching/stream.py", "CandidateStream.__init__", "self.remote_offers = np.zeros(0, dtype=np.int64)", "0 -> 1"): (
        "without a remote join every remote count is 0: the remote offers are never indexed"
    ),
    ("matching/stream.py", "CandidateStream.__init__", "block_pairs: int = 2_000_000,", "2000000 -> 2000001"): (
        "where the blocks end, not what they hold: blocks of 1 pair, 7 pairs or one block give the same edges (tested)"
    ),
    ("matching/stream.py", "CandidateStream.__init__", "if rq.any() and len(remote_offers):", "and -> or"): (
        "with no remote-accepting need or no remote offer the join goes on with empty entries and finds nothing"
    ),
    ("matching/stream.py", "concat_edges", "raw_pairs: int = 0", "0 -> 1"): (
        "a default used only for the intermediate set of edges at hand, whose raw_pairs is never read: the "
        "returned set gets the stream's count"
    ),
    ("matching/stream.py", "Block", "@dataclass(frozen=True, eq=False)", "False -> True"): (
        "a block is never compared or hashed: its eq flag changes nothing (frozen is tested)"
    ),
    ("matching/stream.py", "CandidateStream.__init__", "self.grid_offers = np.zeros(0, dtype=np.int64)", "0 -> 1"): (
        "without an on-site grid every on-site count is 0: the grid's offers are never indexed"
    ),
    # matching/solvers/streamed.py
    ("matching/solvers/streamed.py", "Streamed", "@dataclass(frozen=True, eq=False)", "False -> True"): (
        "the outcome record is never compared or hashed: its dataclass flags change nothing"
    ),
    ("matching/solvers/streamed.py", "_ranked", "composite += (2**31 - 1) - key.astype(np.int64)", "- -> +"): (
        "the same constant added to every composite key (the keys span less than 2**31): the order is the same"
    ),
    ("matching/solvers/streamed.py", "_best_per_need", "np.minimum(key, 2**31 - 1)", "2 -> 3"): (
        "the cap is never reached: the keys are score differences plus the margin, below 3 * SCORE_SCALE"
    ),
    ("matching/solvers/streamed.py", "_trim", "if len(ws) == 0:", "0 -> 1"): (
        "a working set of one edge: it is its need's best, which the trim keeps anyway"
    ),
    ("matching/solvers/streamed.py", "solve_streamed", "block_pairs: int = 2_000_000,", "2000000 -> 2000001"): (
        "where the blocks end, not what they hold: blocks of 1 pair, 7 pairs or one block give the same edges (tested)"
    ),
    ("matching/solvers/streamed.py", "solve_streamed", "trim_at = 2 * (len(todo) * k_need", "* -> //"): (
        "when the pass trims its working set (memory), not what it keeps: an edge among the best of its need or "
        "of its offer over all blocks survives every intermediate trim"
    ),
    ("matching/solvers/streamed.py", "solve_streamed", "if len(ws) > trim_at:", "> -> >="): (
        "when the pass trims its working set (memory), not what it keeps: an edge among the best of its need or "
        "of its offer over all blocks survives every intermediate trim"
    ),
    ("matching/solvers/streamed.py", "solve_streamed", "np.full(len(kidx), -1, dtype=np.int64)", "1 -> 2"): (
        "-1 and -2 both mean 'not in the store' (only positions >= 0 are read)"
    ),
    ("matching/solvers/streamed.py", "solve_streamed", "idx = np.flatnonzero(s.score_int > 0)", "0 -> 1"): (
        "differs only for an edge scoring exactly 1 (one millionth): practically, not provably, equivalent"
    ),
    ("matching/solvers/streamed.py", "solve_streamed", "max(len(fk) - 1, 0)", "0 -> 1"): (
        "read only when no edge is returned: then nothing is chosen and nothing is looked up"
    ),
    ("matching/solvers/streamed.py", "solve_streamed", "obj_int = 0", "0 -> 1"): (
        "an initial value overwritten by the first round's solve before any read"
    ),
    ("matching/solvers/streamed.py", "", "_NONE_LEFT = -2 * SCORE_SCALE", "2 -> 3"): (
        "any value below -SCORE_SCALE: a price never exceeds the largest score (SCORE_SCALE), so g + drift stays "
        "negative, below u >= 0, and the need is never at risk"
    ),
    ("matching/solvers/streamed.py", "_ranked", "composite += (2**31 - 1) - key.astype(np.int64)", "2 -> 3"): (
        "the same constant added to every composite key (3**31 - 1, far from int64 overflow): the order is the same"
    ),
    ("matching/solvers/streamed.py", "_best_per_need", "np.minimum(key, 2**31 - 1)", "- -> +"): (
        "the cap is never reached: the keys are score differences plus the margin, below 3 * SCORE_SCALE"
    ),
    ("matching/solvers/streamed.py", "solve_streamed", "trim_at = 2 * (len(todo) * k_need", "2 -> 3"): (
        "when the pass trims its working set (memory), not what it keeps: an edge among the best of its need or "
        "of its offer over all blocks survives every intermediate trim"
    ),
    ("matching/solvers/streamed.py", "solve_streamed", "trim_at = max(trim_at, 2 * len(ws))", "* -> //"): (
        "when the pass trims its working set (memory), not what it keeps: an edge among the best of its need or "
        "of its offer over all blocks survives every intermediate trim"
    ),
    ("matching/solvers/streamed.py", "solve_streamed", "keep[order[rank < k_need]] = True", "< -> <="): (
        "one more edge per need kept during the pass: the final trim after it keeps the k_need best of each need "
        "and the best of each offer, the same edges"
    ),
    (
        "matching/solvers/streamed.py",
        "solve_streamed",
        "k_offer = min(k_offer, edge_budget / (4 * max(1, int(rem.sum()))))",
        "1 -> 2",
    ): (
        "differs only when the capacity left sums to 1: a single offer has capacity, each need has at most one "
        "edge (to it), kept as the need's best whatever the offer's quota"
    ),
    ("matching/solvers/streamed.py", "solve_streamed", 'if status != "OPTIMAL":', "guard removed (condition False)"): (
        "the working-set flow is always feasible (each need has its arc to the sink): OR-Tools answers OPTIMAL; "
        "the guard reports a solver failure only"
    ),
    (
        "matching/solvers/streamed.py",
        "solve_streamed",
        "np.full(len(cand_n) - len(sp), -1, dtype=np.int64)",
        "1 -> 2",
    ): ("-1 and -2 both mean 'not in the store' (only positions >= 0 are read)"),
    (
        "matching/solvers/streamed.py",
        "solve_streamed",
        "(a round without additions proves optimality: not reached)",
        "'rounds' -> 'XXroundsXX'",
    ): (
        "not reached: with exact duals (tested) an empty addition means every need's bound is its dual, so the "
        "bound already met the objective"
    ),
    (
        "matching/solvers/streamed.py",
        "solve_streamed",
        "if len(selected) != len(chosen) or int(final_s.score_int[selected].sum()) != obj_int:",
        "or -> and",
    ): "a consistency check that fails only on a bug elsewhere (chosen edges not found again): weakened, it still passes",
    ("matching/solvers/streamed.py", "_ranked", "composite = group.astype(np.int64) << 31", "31 -> 32"): (
        "the groups shifted one bit further apart: the keys (below 2**31) still never reach the next group"
    ),
    **{
        ("matching/solvers/streamed.py", "_ranked", "composite += (2**31 - 1) - key", d): _SAME_SHIFT
        for d in ("1 -> 2", "31 -> 32")
    },
    **{
        ("matching/solvers/streamed.py", "_best_per_need", "np.minimum(key, 2**31 - 1)", d): _CAP
        for d in ("1 -> 2", "31 -> 32")
    },
    ("matching/solvers/streamed.py", "solve_streamed", "np.full(len(cand_n) - len(sp), -1", "- -> +"): (
        "the working set's store positions are read only before the first round (the first cut and the store's "
        "marks): a longer tail of -1 after the round's additions is never read, the same positions are marked"
    ),
    ("matching/solvers/streamed.py", "solve_streamed", "chosen = np.zeros(0, dtype=np.int64)", "0 -> 1"): (
        "an initial value overwritten by the direct flow or the first round's solve before any read"
    ),
    (
        "matching/solvers/streamed.py",
        "solve_streamed",
        "if obj_int != dual_value:",
        "guard removed (condition False)",
    ): (
        "the certificate of an exact solver: fails only on a bug of WarmMatching, whose certificate() is tested "
        "directly on broken matchings and duals (test_matching_augment)"
    ),
    (
        "matching/solvers/streamed.py",
        "solve_streamed",
        "if len(selected) != len(chosen) or int(final_s.score_int[selected].sum()) != obj_int:",
        "guard removed (condition False)",
    ): "a consistency check that fails only on a bug elsewhere (chosen edges not found again)",
    (
        "matching/solvers/streamed.py",
        "solve_streamed",
        "if len(kept_keys) != len(keys):",
        "guard removed (condition False)",
    ): (
        "a consistency check that fails only on a bug elsewhere (an edge added twice: the mutants that do so are "
        "killed by it)"
    ),
    ("matching/solvers/streamed.py", "solve_streamed", "if len(ws) > trim_at:", "condition negated"): _TRIM,
    ("matching/solvers/streamed.py", "solve_streamed", "trim_at = max(trim_at, 2 * len(ws))", "max -> min"): _TRIM,
    ("matching/solvers/streamed.py", "solve_streamed", "trim_at = max(trim_at, 2 * len(ws))", "2 -> 3"): _TRIM,
    ("matching/solvers/streamed.py", "solve_streamed", "trim_at = 2 * (len(todo) * k_need", "+ -> -"): _TRIM,
    **{
        ("matching/solvers/streamed.py", "solve_streamed", "threads=(1 if (os.cpu_count() or 1) > 1 else 0)", d): (
            "how many threads generate blocks ahead, not what they hold: blocks built on 0, 1 or 2 threads are "
            "the same (test_matching_kernels)"
        )
        for d in ("condition negated", "> -> >=", "1 -> 2", "0 -> 1", "or -> and")
    },
    ("matching/solvers/streamed.py", "_local_ptr", "return np.zeros(1, dtype=np.int64)", "1 -> 2"): _EMPTY_NEED,
    ("matching/solvers/streamed.py", "_local_ptr", "np.arange(int(need[0]), int(need[-1]) + 2)", "2 -> 3"): _EMPTY_NEED,
    ("matching/solvers/streamed.py", "solve_streamed", "st_ptr = np.searchsorted(st_n, np.arange(N + 1))", "1 -> 2"): (
        _EMPTY_NEED
    ),
    ("matching/solvers/streamed.py", "_column", "p[i] = out[:0]", "0 -> 1"): (
        "the part's column replaced by a one-entry view of the joined column instead of an empty one: the part's "
        "own array is released all the same, the joined column is the same"
    ),
    ("matching/solvers/streamed.py", "solve_streamed", "gain[viol] - u[ni[viol]], add_per_need", "- -> +"): (
        "u is the same for every edge of a need: ranking a need's violating edges by gain + u or gain - u gives "
        "the same order (both positive and below the cap)"
    ),
    ("matching/solvers/streamed.py", "solve_streamed", "max(len(fk) - 1, 0)", "- -> +"): (
        "a clip never applied: every chosen key is among the returned edges (checked just below), so the "
        "binary search never answers past the end"
    ),
    ("matching/solvers/streamed.py", "solve_streamed", "(best_bound or 0) / S", "0 -> 1"): (
        "never read: the bound is set by the direct flow or the first round, and positive when not proven"
    ),
    ("matching/solvers/streamed.py", "solve_streamed", "if upper > 0 else 0.0", "> -> >="): (
        "not proven means a bound above the objective (>= 0): upper > 0 and upper >= 0 agree there"
    ),
    ("matching/solvers/streamed.py", "solve_streamed", "if best_bound <= obj_int or stopped:", "<= -> <"): (
        "a bound met at the solve falls through to the pricing's test of the same round, which ends it: no need "
        "is at risk then (each need's bound is its dual), so nothing is regenerated and no round is added"
    ),
    # matching/solvers/augment.py, the half outside the first sample (run in full on 2026-11-30)
    **{(_A, fn, code, "1 -> 2"): _NEG for fn, code in _A_SENTINELS},
    (_A, "_refill", "pred_hold = np.full(n_offers, -1, dtype=np.int64)", "unary minus removed"): _SENTINEL,
    (_A, "_refill", "pred_off = np.full(n_needs, -1, dtype=np.int64)", "unary minus removed"): _SENTINEL,
    (_A, "_augment", "pred_obj = np.full(n_offers, -1, dtype=np.int64)", "unary minus removed"): _SENTINEL,
    (_A, "WarmMatching.__init__", "self._optr = np.zeros(self.M + 1, dtype=np.int64)", "1 -> 2"): _SPARE,
    (_A, "WarmMatching.__init__", "self._en = np.zeros(0, dtype=np.int64)", "0 -> 1"): (
        "the empty edge set's arrays read only through the pointers (all 0: no edge) or at chosen edges (none, an "
        "empty mask); one more entry is never read (a fresh matching's solve and certificate are tested)"
    ),
    (_A, "_repair", "if val > best:", "> -> >="): "best set to a value equal to it",
    (_A, "_repair", "if best > u[i]:", "> -> >="): "u set to a value equal to it",
    (_A, "_repair", "if u[i] > 0:", "> -> >="): (
        "an unmatched need of value 0 freed too: its search finds at best a path of value 0, so the matching "
        "changes by a tie (another optimum of the same value, certified)"
    ),
    (_A, "_refill", "while size > 0:", "> -> >="): (
        "one pop of the emptied heap: it returns the entry popped last (hk[0] is not overwritten when the heap "
        "empties), whose offer is settled, so it is skipped; the size -1 ends the loop"
    ),
    (_A, "_pop", "if c + 1 < size and hk[c + 1] < hk[c]:", "+ -> -"): (
        "c < size already holds (the loop broke otherwise), so c + 1 <= size: at most position size is read, which "
        "still holds the entry being sifted down (its key equals lk): the same child is taken or the sift stops"
    ),
    (_A, "_augment", "if key >= best:", ">= -> >"): _TIE,
    **{(_A, fn, code, "2 -> 3"): _SETTLED for fn, code in _A_SETTLED},
    **{
        (
            _A,
            fn,
            "if ostate[k] == 2 and lam[k] < best:" if fn == "_refill" else "if ostate[j] == 2 and lam[j] < best:",
            d,
        ): (
            "a labelled offer not settled when the search ends has a label of at least best (the search stops at "
            "the first key >= best): it never moves, and a label equal to best moves by 0"
        )
        for fn in ("_refill", "_augment")
        for d in ("and -> or", "< -> <=")
    },
    # matching/solvers/auction.py (the entries of the first sample are with the kernels' below)
    (_AU, "_bid_phase", "if ptr[i + 1] > ptr[i]:", "> -> >="): (
        "a need without edges queued too finds nothing to bid for (e1 < 0) and leaves the queue: no bid, no "
        "price moves (the ring holds n_needs + 1 entries, room for every need)"
    ),
    (_AU, "_bid_phase", "if v > v1:", "> -> >="): (
        "of two options of equal net value the later one is held: v1 and v2 are the same either way, so is "
        "the bid (another eps-optimal auction)"
    ),
    (_AU, "_bid_phase", "elif v > v2:", "> -> >="): "v2 set to a value equal to it",
    (_AU, "_auction", "hv = np.full(sptr[n_offers], -1, dtype=np.int64)", "unary minus removed"): (
        "a holder is read only from a full offer's heap, whose every place has been bid for (a holder >= 0)"
    ),
    (_AU, "_auction", "sptr = np.zeros(n_offers + 1, dtype=np.int64)", "1 -> 2"): _SPARE,
    (_AU, "_auction", "queue = np.empty(n_needs + 1, dtype=np.int64)", "1 -> 2"): (
        "the queue's ring wraps at n_needs + 1 (ql): one more entry is never used"
    ),
    (_AU, "_best_by_net", "out_ptr = np.zeros(n_needs + 1, dtype=np.int64)", "1 -> 2"): _SPARE,
    (_AU, "_best_by_net", "while t > 0 and vals[t - 1] < v:", "< -> <="): (
        "equal net values inserted in the other order: the k best net values are the same (ties: any, tested)"
    ),
    (_AU, "_price_store", "out = np.empty(min(len(eo), n_needs * max(k, 0))", "min -> max"): _SPARE,
    (_AU, "_price_store", "out = np.empty(min(len(eo), n_needs * max(k, 0))", "0 -> 1"): _SPARE,
    (_AU, "_price_store", "keys = np.empty(max(k, 1), dtype=np.int64)", "1 -> 2"): _SPARE,
    (_AU, "_price_store", "pos = np.empty(max(k, 1), dtype=np.int64)", "1 -> 2"): _SPARE,
    (_AU, "_price_store", "if key <= 0 or in_ws[e] or k <= 0:", "<= -> <"): (
        "(the second comparison, k < 0) with k = 0 the kept list stays empty: m < k never holds and a slot "
        "replaced by the elif is never output (range(m) is empty)"
    ),
    (_AU, "_price_store", "if gain > best:", "> -> >="): "best set to a value equal to it",
    (_AU, "_price_store", "elif key > keys[k - 1]:", "> -> >="): (
        "an edge tied with the k-th best replaces it: the k best keys are the same (ties: any, tested)"
    ),
    (_AU, "_price_store", "while t > 0 and keys[t - 1] < key:", "< -> <="): (
        "equal keys inserted in the other order: the same k best, best first (ties: any, tested)"
    ),
    # matching/solvers/augment.py
    **{(_A, kernel, "@njit(cache=True)", "True -> False"): _NUMBA_CACHE for kernel in _KERNELS},
    (_A, "", "_TRACE = False", "False -> True"): _TRACE,
    (_A, "_refill", "if _TRACE:", "condition negated"): _TRACE,
    **{
        (_A, "_refill", 'print("refill", j0, "D", best,', f"{word!r} -> {'XX' + word + 'XX'!r}"): _TRACE
        for word in ("refill", "D", "term", "p", "load")
    },
    (_A, "_push", "if hk[parent] <= key:", "<= -> <"): _HEAP_TIE,
    (_A, "_pop", "if hk[c] >= lk:", ">= -> >"): _HEAP_TIE,
    (_A, "_pop", "if c + 1 < size and hk[c + 1] < hk[c]:", "< -> <="): _HEAP_TIE,
    (_A, "_pop", "if c >= size:", ">= -> >"): _SLOT,
    (_A, "_pop", "if size > 0:", "> -> >="): (
        "with the heap emptied, writes the popped entry back onto itself (lk is hk[0]): nothing changes"
    ),
    (_A, "_refill", "pred_hold = np.full(n_offers, -1, dtype=np.int64)", "1 -> 2"): _SENTINEL,
    (_A, "_refill", "pred_off = np.full(n_needs, -1, dtype=np.int64)", "1 -> 2"): _SENTINEL,
    (_A, "_augment", "pred_obj = np.full(n_offers, -1, dtype=np.int64)", "1 -> 2"): _SENTINEL,
    (_A, "_refill", "hk = np.empty(len(oneed) + 1, dtype=np.int64)", "1 -> 2"): _SPARE,
    (_A, "_refill", "hv = np.empty(len(oneed) + 1, dtype=np.int64)", "1 -> 2"): _SPARE,
    (_A, "_augment", "cap_heap = len(eo) + 1", "1 -> 2"): _SPARE,
    (_A, "_augment", "n_needs = len(ptr) - 1", "- -> +"): "two entries longer per-need work arrays (dneed, settled_n)",
    (_A, "_refill", "term_kind = 0  #", "0 -> 1"): (
        "overwritten at the first pop: the start offer, at 0 + its price < _INF, becomes the terminal (kind 0)"
    ),
    (_A, "_refill", "if key >= best:", ">= -> >"): (
        "an offer popped at exactly the best length: its price moves by best - key = 0 and (reduced costs >= 0) "
        "none of its relaxations is shorter than best"
    ),
    (_A, "_refill", "if ostate[k] == 2 or key > lam[k]:", "or -> and"): (
        "skips the same entries: an entry above its offer's label is stale, and the label's own (smaller) entry "
        "was popped first, so the offer is settled already"
    ),
    (_A, "_refill", "if key + p[k] < best:", "< -> <="): _TIE,
    (_A, "_refill", "if nk >= best or nk >= mneed[h]:", ">= -> >"): _TIE,
    (_A, "_refill", "elif ostate[k2] != 2 and nk < lam[k2]:", "< -> <="): _TIE,
    **{
        (_A, "WarmMatching.__init__", f"self.{name} = np.full(self.N, -1, dtype=np.int64)", what): (
            "a need's links are written by _attach before any read (only attached needs' links are read)"
        )
        for name in ("nxt", "prv")
        for what in ("unary minus removed", "1 -> 2")
    },
    **{
        (_A, "WarmMatching.__init__", f"self.{name} = np.zeros(0, dtype=np.int64)", "0 -> 1"): (
            "the empty edge set's arrays read only through the pointers (all 0: no edge) or at chosen edges "
            "(none, an empty mask); one more entry is never read (a fresh matching's solve and certificate are tested)"
        )
        for name in ("_oneed", "_ow", "_order", "_ew")
    },
    (_A, "_augment", "if val > best:", "> -> >="): "best set to a value equal to it",
    (_A, "_augment", "if dh + u[h] < best:", "< -> <="): _TIE,
    (_A, "_augment", "if dneed[i] < best:", "< -> <="): "a need settled at exactly best: its value moves by 0",
    (_A, "_augment", "cur = -1", "1 -> 2"): (
        "read only by while cur >= 0 when neither branch sets it: -1 and -2 both end the walk"
    ),
    (_A, "_augment", "if nk < best and nk < lam[j2]:", "< -> <="): (
        "an offer labelled at exactly best is never settled (popping it ends the search; best only falls), and "
        "only settled offers' prices move"
    ),
    (_A, "_augment", "if ostate[j] == 2 or key > lam[j]:", "or -> and"): (
        "skips the same entries: an entry above its offer's label is stale, and the label's own (smaller) entry "
        "was popped first, so the offer is settled already (or the search ended)"
    ),
    (_A, "_augment", "size = 0", "0 -> 1"): (
        "the heap's size set on leaving the pop loop for good: the search ends just after (h < 0), and each "
        "root starts with size = 0"
    ),
    (_A, "_augment", "while size > 0:", "> -> >="): (
        "one pop of the emptied heap: it returns the entry popped last (hk[0] is not overwritten when the heap "
        "empties), whose offer is settled, so it is skipped; the size -1 ends the loop and the search, and each "
        "root starts with size = 0"
    ),
    # matching/solvers/auction.py
    **{(_AU, kernel, "@njit(cache=True)", "True -> False"): _NUMBA_CACHE for kernel in _AU_KERNELS},
    (_AU, "_bid_phase", "v2 = 0", "0 -> 1"): (
        "overwritten by v1 (0) at a need's first edge worth more than 0; edges before it are worth <= 0, below "
        "either start value, and with no such edge v2 is not read (e1 < 0)"
    ),
    (_AU, "_bid_phase", "e1 = -1", "1 -> 2"): "-1 and -2 both mean 'no option worth more than 0' (e1 < 0)",
    (_AU, "_bid_phase", "if c + 1 < n and hk[base + c + 1] < hk[base + c]:", "< -> <="): _BID_TIE,
    (_AU, "_bid_phase", "if hk[base + c] >= bid:", ">= -> >"): _BID_TIE,
    (_AU, "_bid_phase", "if hk[base + par] <= bid:", "<= -> <"): _BID_TIE,
    (_AU, "_auction", "hv = np.full(sptr[n_offers], -1, dtype=np.int64)", "1 -> 2"): (
        "a holder is read only from a full offer's heap, whose every place has been bid for (a holder >= 0)"
    ),
    (_AU, "_auction", "sptr[j + 1] = sptr[j] + max(room[j], 0)", "0 -> 1"): (
        "one unused heap slot per offer without a place (room 0: priced out, never bid for, price 0 returned)"
    ),
    (_AU, "_best_by_net", "vals = np.empty(max(k, 1), dtype=np.int64)", "1 -> 2"): _SPARE,
    (_AU, "_best_by_net", "elif v > vals[k - 1]:", "> -> >="): (
        "an edge tied with the k-th best replaces it: the k best net values are the same (ties: any, tested)"
    ),
}

PROJECT_PACKAGES = ("app", "payments", "matching", "search")

COMPARE_SWAPS = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
BINOP_SWAPS = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv,
}
SYMBOLS = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.And: "and",
    ast.Or: "or",
}
QUIET_CALLS = {"info", "warning", "error", "debug", "exception"}  # log calls: words, not money
QUIET_KEYWORDS = {"memo", "message"}


@dataclass(frozen=True)
class Mutant:
    path: str  # repository-relative
    index: int  # the node's position in ast.walk order
    kind: str  # the operator's name
    arg: int  # which variant (e.g. which comparison of a chain)
    line: int
    description: str
    function: str = ""  # the enclosing function's qualified name ("" at module level)
    code: str = ""  # the mutated line's source, stripped

    @property
    def ident(self) -> str:
        return f"{self.path}:{self.line}:{self.kind}:{self.index}.{self.arg}"

    def equivalence(self) -> str | None:
        """Why this mutant is equivalent (an :data:`EQUIVALENT` entry), or ``None``."""
        for (path, function, fragment, description), reason in EQUIVALENT.items():
            if (path, function, description) == (self.path, self.function, self.description) and fragment in self.code:
                return reason
        return None


# ---------------------------------------------------------------- finding mutants


def _parents(tree: ast.AST) -> dict:
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    return parents


def _quiet(node: ast.AST, parents: dict) -> bool:
    """Inside a docstring, an f-string, an exception's or a log's arguments, a memo."""
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.JoinedStr):
            return True
        if isinstance(parent, ast.Expr) and isinstance(child, ast.Constant) and isinstance(child.value, str):
            return True  # a docstring (or a bare string)
        if isinstance(parent, ast.Raise):
            return True
        if isinstance(parent, ast.keyword) and parent.arg in QUIET_KEYWORDS:
            return True
        if isinstance(parent, ast.Call) and child is not parent.func:
            func = parent.func
            if isinstance(func, ast.Attribute) and func.attr in QUIET_CALLS:
                return True
            if isinstance(func, ast.Name) and func.id[:1].isupper() and func.id.endswith(("Error", "Exception")):
                return True
        if isinstance(parent, (ast.Import, ast.ImportFrom)):
            return True
        if isinstance(parent, (ast.arg, ast.AnnAssign)) and child is parent.annotation:
            return True  # annotations are not run (from __future__ import annotations)
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)) and child is parent.returns:
            return True
        child, parent = parent, parents.get(parent)
    return False


def _raises(body: list) -> bool:
    return any(isinstance(statement, ast.Raise) for statement in body)


def _variants(node: ast.AST, parents: dict) -> list[tuple[str, int, str]]:
    """(kind, arg, description) of each mutation of ``node``."""
    if _quiet(node, parents):
        return []
    out = []
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in COMPARE_SWAPS:
                out.append(("compare", i, f"{SYMBOLS[type(op)]} -> {SYMBOLS[COMPARE_SWAPS[type(op)]]}"))
    elif isinstance(node, ast.BoolOp):
        out.append(("boolop", 0, f"{SYMBOLS[type(node.op)]} -> {'or' if isinstance(node.op, ast.And) else 'and'}"))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        out.append(("unary", 0, "'not' removed" if isinstance(node.op, ast.Not) else "unary minus removed"))
    elif isinstance(node, ast.BinOp) and type(node.op) in BINOP_SWAPS:
        out.append(("binop", 0, f"{SYMBOLS[type(node.op)]} -> {SYMBOLS[BINOP_SWAPS[type(node.op)]]}"))
    elif isinstance(node, ast.AugAssign) and type(node.op) in (ast.Add, ast.Sub):
        out.append(("augassign", 0, f"{SYMBOLS[type(node.op)]}= -> {SYMBOLS[BINOP_SWAPS[type(node.op)]]}="))
    elif isinstance(node, (ast.If, ast.IfExp)):
        out.append(("negate", 0, "condition negated"))
        if isinstance(node, ast.If) and _raises(node.body):
            out.append(("guard", 0, "guard removed (condition False)"))
    elif isinstance(node, ast.Raise):
        parent = parents.get(node)
        if not (isinstance(parent, ast.If) and node in parent.body):  # that one is the guard mutant
            out.append(("raise", 0, "raise -> pass"))
    elif (
        isinstance(node, ast.Return)
        and node.value is not None
        and not (isinstance(node.value, ast.Constant) and node.value.value is None)
    ):
        out.append(("return", 0, "returns None"))
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("min", "max"):
        out.append(("minmax", 0, f"{node.func.id} -> {'max' if node.func.id == 'min' else 'min'}"))
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            out.append(("constant", 0, f"{value} -> {not value}"))
        elif isinstance(value, int):
            out.append(("constant", 0, f"{value} -> {value + 1}"))
        elif isinstance(value, str) and 0 < len(value) <= 40 and " " not in value:
            out.append(("constant", 0, f"{value!r} -> {'XX' + value + 'XX'!r}"))
    return out


def _function(node: ast.AST, parents: dict) -> str:
    names = []
    parent = parents.get(node)
    while parent is not None:
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(parent.name)
        parent = parents.get(parent)
    return ".".join(reversed(names))


def find_mutants(path: str) -> list[Mutant]:
    source = (ROOT / path).read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    parents = _parents(tree)
    mutants = []
    for index, node in enumerate(ast.walk(tree)):
        for kind, arg, description in _variants(node, parents):
            line = getattr(node, "lineno", 0)
            code = lines[line - 1].strip() if 0 < line <= len(lines) else ""
            mutants.append(Mutant(path, index, kind, arg, line, description, _function(node, parents), code))
    return mutants


# ---------------------------------------------------------------- applying one


def mutated_source(mutant: Mutant) -> str:
    tree = ast.parse((ROOT / mutant.path).read_text())
    parents = _parents(tree)
    node = next(n for i, n in enumerate(ast.walk(tree)) if i == mutant.index)
    kind = mutant.kind
    replacement = None
    if kind == "compare":
        node.ops[mutant.arg] = COMPARE_SWAPS[type(node.ops[mutant.arg])]()
    elif kind == "boolop":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "unary":
        replacement = node.operand
    elif kind == "binop" or kind == "augassign":
        node.op = BINOP_SWAPS[type(node.op)]()
    elif kind == "negate":
        node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)
    elif kind == "guard":
        node.test = ast.Constant(value=False)
    elif kind == "raise":
        replacement = ast.Pass()
    elif kind == "return":
        node.value = ast.Constant(value=None)
    elif kind == "minmax":
        node.func.id = "max" if node.func.id == "min" else "min"
    elif kind == "constant":
        value = node.value
        node.value = (not value) if isinstance(value, bool) else value + 1 if isinstance(value, int) else f"XX{value}XX"
    else:  # pragma: no cover
        raise ValueError(kind)
    if replacement is not None:
        parent = parents[node]
        for field, old in ast.iter_fields(parent):
            if old is node:
                setattr(parent, field, replacement)
                break
            if isinstance(old, list) and any(item is node for item in old):
                old[next(i for i, item in enumerate(old) if item is node)] = replacement
                break
    return ast.unparse(ast.fix_missing_locations(tree))


# ---------------------------------------------------------------- running


def _copy_tree(destination: Path) -> None:
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "instance", "__pycache__", ".pytest_cache", "mutants", "node_modules", "*.pyc", ".hypothesis"
    )
    shutil.copytree(ROOT, destination, ignore=ignore, symlinks=True)


def _env(worker: int) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "TEST_DATABASE": "sqlite",
            "PYTHONDONTWRITEBYTECODE": "1",
            "HUB_TEST_NS": f"{os.environ.get('HUB_TEST_NS', '')}mut{worker}_",
        }
    )
    env.pop("PYTEST_XDIST_WORKER", None)
    return env


def _pytest_command(tests: list[str]) -> list[str]:
    return ["-x", "-q", "-p", "no:cacheprovider", "--no-header", "-o", "addopts=", *tests]


def _third_party_modules(copy_root: Path, tests: list[str]) -> list[str]:
    """The modules a test run imports from outside the repository (Flask, SQLAlchemy, pytest...)."""
    probe = (
        "import sys, pytest\n"
        f"pytest.main(['--collect-only', '-q', '-p', 'no:cacheprovider', '-o', 'addopts=', *{tests!r}])\n"
        "root = sys.argv[1]\n"
        "for name, module in sorted(sys.modules.items()):\n"
        "    path = getattr(module, '__file__', None) or ''\n"
        "    if not path.startswith(root) and name != '__main__':\n"
        "        print('MODULE', name)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(copy_root)],
        cwd=copy_root,
        env=_env(0),
        capture_output=True,
        check=False,  # the test reads the return code itself
        text=True,
        timeout=900,
    ).stdout
    return [line.split()[1] for line in out.splitlines() if line.startswith("MODULE ")]


def _apply(mutant: Mutant, source: str, copy_root: Path) -> None:
    """Put the mutant in the already imported module (in this forked child only), and in every
    module that imported one of its names (``from .ledger import Line``)."""
    name = mutant.path[:-3].replace("/", ".")
    module = sys.modules[name]
    before = dict(module.__dict__)
    exec(compile(source, str(copy_root / mutant.path), "exec"), module.__dict__)
    changed = {key: value for key, value in module.__dict__.items() if key in before and before[key] is not value}
    for other in list(sys.modules.values()):
        namespace = getattr(other, "__dict__", None)
        if other is module or not isinstance(namespace, dict):
            continue
        for key, old in list(namespace.items()):
            if key in changed and old is before[key]:
                namespace[key] = changed[key]


class ForkRunner:
    """Imports the project and its libraries once, then runs each mutant's tests in a forked
    child where the mutant replaces the module's code in memory (and on disk in that worker's
    copy, for any subprocess a test starts): a run costs the tests, not Python's start-up."""

    def __init__(self, copies: list[Path], tests: list[str]):
        import importlib
        import pkgutil

        os.chdir(copies[0])
        sys.path.insert(0, str(copies[0]))
        os.environ.update(_env(0))
        for name in _third_party_modules(copies[0], tests):
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - a module that only imports in some context: left to the child
                pass
        for package in PROJECT_PACKAGES:
            root = importlib.import_module(package)
            for info in pkgutil.walk_packages(root.__path__, f"{package}."):
                if not info.name.endswith("bench"):
                    try:
                        importlib.import_module(info.name)
                    except Exception:  # noqa: BLE001
                        pass

    def start(self, copy_root: Path, worker: int, tests: list[str], mutant: Mutant | None, source: str | None) -> int:
        pid = os.fork()
        if pid == 0:  # the child
            code = 3
            try:
                os.setsid()
                os.chdir(copy_root)
                os.environ.update(_env(worker))
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, 1)
                os.dup2(null, 2)
                if mutant is not None:
                    _apply(mutant, source, copy_root)
                import pytest

                code = int(pytest.main(_pytest_command(tests)))
            except BaseException:  # noqa: BLE001 - a mutant that breaks the import is killed
                code = 4
            finally:
                os._exit(code)
        return pid


def _loop(queue, free, running, launch, finish, reap_group, timeouts, stages, last_only_for, copies, results) -> None:
    """Keep ``len(copies)`` mutants running; each one goes through the stages until one fails."""
    while queue or running:
        while queue and free:
            mutant = queue.pop(0)
            source = mutated_source(mutant)
            try:
                compile(source, mutant.path, "exec")
            except SyntaxError:
                results[mutant] = "invalid"
                continue
            worker = free.pop()
            (copies[worker] / mutant.path).write_text(source)
            now = time.monotonic()
            running[launch(worker, 0, mutant, source)] = [mutant, worker, 0, now, source, now]
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            now = time.monotonic()
            for child, (mutant, worker, stage, since, _source, first) in list(running.items()):
                if now - since > timeouts[stage]:
                    reap_group(child)
                    os.waitpid(child, 0)
                    del running[child]
                    finish(mutant, worker, "timeout", now - first, stage)
            time.sleep(0.05)
            continue
        if pid not in running:
            continue
        mutant, worker, stage, since, source, first = running.pop(pid)
        reap_group(pid)
        if os.waitstatus_to_exitcode(status) != 0:
            finish(mutant, worker, "failed", time.monotonic() - first, stage)
        elif stage + 1 < len(stages) and not (
            stage + 1 == len(stages) - 1 and last_only_for and mutant.path != last_only_for
        ):
            running[launch(worker, stage + 1, mutant, source)] = [
                mutant,
                worker,
                stage + 1,
                time.monotonic(),
                source,
                first,
            ]
        else:
            finish(mutant, worker, "passed", time.monotonic() - first, stage)


def _report(
    suite: Suite, mutants: list, targets: list, results: dict, tests: list, seconds: float, every: int | None = None
) -> str:
    sample = f", a sample of one mutant in {every}" if every else ""
    lines = [
        (
            f"Mutation testing of {suite.title} ({seconds:.0f} s, {len(results)} of {len(mutants)} mutants run{sample}; "
            f"tests: {' '.join(Path(t).name for t in tests)})"
        ),
        "",
    ]
    total_killed = total = total_equivalent = 0
    for target in targets:
        own = [m for m in mutants if m.path == target and m in results and results[m] != "invalid"]
        killed = [m for m in own if results[m] in ("failed", "timeout")]
        equivalent = [m for m in own if results[m] == "passed" and m.equivalence()]
        total_killed += len(killed)
        total += len(own)
        total_equivalent += len(equivalent)
        lines.append(f"{target}: {_score(len(killed), len(own), len(equivalent))}")
    lines.append(f"all: {_score(total_killed, total, total_equivalent)}")
    survivors = [m for m in mutants if results.get(m) == "passed"]
    live = [m for m in survivors if not m.equivalence()]
    lines += ["", f"survivors not equivalent ({len(live)}):"]
    lines += [f"  {m.ident}  {m.description}  [{m.function}: {m.code}]" for m in live]
    lines += ["", f"equivalent survivors ({len(survivors) - len(live)}):"]
    lines += [
        f"  {m.ident}  {m.description}  [{m.function}: {m.code}]\n      {m.equivalence()}"
        for m in survivors
        if m.equivalence()
    ]
    return "\n".join(lines)


def _score(killed: int, total: int, equivalent: int) -> str:
    raw = 100 * killed / total if total else 100.0
    real = total - equivalent
    text = f"{killed}/{total} killed ({raw:.1f} %)"
    if equivalent:
        text += (
            f", {killed}/{real} of the non-equivalent ({100 * killed / max(real, 1):.1f} %; {equivalent} equivalent)"
        )
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--suite", choices=sorted(SUITES), default="payments", help="which code to mutate (default: payments)"
    )
    parser.add_argument("--file", action="append", help="only this target (e.g. rules.py)")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (each in its own copy)")
    parser.add_argument("--limit", type=int, help="only the first N mutants (a quick look)")
    parser.add_argument(
        "--every", type=int, help="only one mutant in N, evenly spread over each file (a sample: an estimate)"
    )
    parser.add_argument("--only", help="only the mutants whose id contains this text")
    parser.add_argument("--ids", help="only the mutants listed in this file (e.g. the survivors of a report)")
    parser.add_argument("--report", help="also write the report to this file")
    parser.add_argument(
        "--no-fork",
        dest="fork",
        action="store_false",
        help="one fresh Python per mutant (slower) instead of forks of a preloaded runner",
    )
    args = parser.parse_args(argv)

    suite = SUITES[args.suite]
    for key, value in suite.env:  # before the runner imports anything (numba reads it on import)
        os.environ.setdefault(key, value)
    if args.report:  # the runner works in its copies: a relative path means the caller's directory
        args.report = str(Path(args.report).resolve())
    targets = [
        t for t in suite.targets if (ROOT / t).exists() and (not args.file or any(t.endswith(f) for f in args.file))
    ]
    mutants = [m for t in targets for m in find_mutants(t)]
    if args.only:
        mutants = [m for m in mutants if args.only in m.ident]
    if args.ids:
        wanted = {word for line in Path(args.ids).read_text().splitlines() for word in line.split()[:1]}
        mutants = [m for m in mutants if m.ident in wanted]
    if args.every:
        mutants = [m for t in targets for m in sorted((m for m in mutants if m.path == t), key=lambda m: m.line)][
            :: args.every
        ]
    if args.limit:
        mutants = mutants[: args.limit]
    if args.list:
        for m in mutants:
            print(f"{m.ident}  {m.description}")
        print(f"{len(mutants)} mutants")
        return 0
    stages = [[t for t in stage if (ROOT / t).exists()] for stage in suite.stages]
    stages = [stage for stage in stages if stage]
    all_tests = [t for stage in stages for t in stage]
    last_stage = [t for t in suite.stages[-1] if (ROOT / t).exists()]
    last_only_for = suite.last_stage_only_for if stages and stages[-1] == last_stage else None

    with tempfile.TemporaryDirectory(prefix="hub-mutation-") as tmp:
        copies = []
        for worker in range(max(1, args.jobs)):
            copy_root = Path(tmp) / f"w{worker}"
            _copy_tree(copy_root)
            copies.append(copy_root)
        runner = ForkRunner(copies, all_tests) if args.fork and hasattr(os, "fork") else None
        processes: list = []

        def launch(worker: int, stage: int, mutant: Mutant | None = None, source: str | None = None) -> int:
            if runner is not None:
                return runner.start(copies[worker], worker, stages[stage], mutant, source)
            process = subprocess.Popen(
                [sys.executable, "-m", "pytest", *_pytest_command(stages[stage])],
                cwd=copies[worker],
                env=_env(worker),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            processes.append(process)  # kept, so that nothing reaps it behind our back
            return process.pid

        timeouts = []
        for stage in range(len(stages)):
            since = time.monotonic()
            _pid, status = os.waitpid(launch(0, stage), 0)
            seconds = time.monotonic() - since
            if os.waitstatus_to_exitcode(status) != 0:
                print(f"stage {stage + 1} fails on the unmutated code: nothing to measure", file=sys.stderr)
                return 2
            timeouts.append(seconds * 3 + 30)
            print(f"stage {stage + 1} ({' '.join(Path(t).name for t in stages[stage])}): {seconds:.0f} s", flush=True)
        print(f"{len(mutants)} mutants, {len(copies)} at a time", flush=True)
        originals = {t: (ROOT / t).read_text() for t in targets}
        results: dict[Mutant, str] = {}
        started = time.monotonic()
        queue = list(mutants)
        running: dict[int, list] = {}  # pid: [mutant, worker, stage, started, source, mutant started]
        free = list(range(len(copies)))
        done = 0

        def finish(mutant: Mutant, worker: int, outcome: str, seconds: float, stage: int) -> None:
            nonlocal done
            (copies[worker] / mutant.path).write_text(originals[mutant.path])
            free.append(worker)
            results[mutant] = outcome
            done += 1
            mark = {"failed": f"killed ({stage + 1})", "timeout": "killed (timeout)"}.get(outcome, outcome.upper())
            print(
                f"[{done}/{len(mutants)}] {mark:16} {seconds:5.1f} s  {mutant.ident}  {mutant.description}", flush=True
            )
            if args.report:  # as it goes: a long run interrupted still says where it stands
                Path(args.report).write_text(
                    _report(suite, mutants, targets, results, all_tests, time.monotonic() - started, args.every) + "\n"
                )

        def reap_group(pid: int) -> None:
            try:
                os.killpg(pid, 9)  # whatever the tests left running (a localstripe...)
            except (ProcessLookupError, PermissionError):
                pass

        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        try:
            _loop(queue, free, running, launch, finish, reap_group, timeouts, stages, last_only_for, copies, results)
        finally:  # interrupted: no test run left behind
            for child in list(running):
                reap_group(child)
                os.waitpid(child, 0)

    report = _report(suite, mutants, targets, results, all_tests, time.monotonic() - started, args.every)
    print("\n" + report)
    if args.report:
        Path(args.report).write_text(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
