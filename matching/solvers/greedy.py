"""Greedy baseline: take edges by decreasing score while feasible."""

from __future__ import annotations

import time

import numpy as np

from ..candidates import Candidates
from ..model import I64
from ..scoring import Scores
from .base import SolveResult, assignments_from_selected


def solve_greedy(cand: Candidates, scores: Scores, *, remaining: I64 | None = None) -> SolveResult:
    t0 = time.perf_counter()
    remaining = cand.remaining if remaining is None else remaining
    order = np.argsort(-scores.score_int, kind="stable")
    order = order[scores.score_int[order] > 0]
    ni = cand.need_idx[order].tolist()
    oi = cand.offer_idx[order].tolist()
    cap = np.maximum(remaining, 0).tolist()
    used = bytearray(cand.n_needs)
    taken: list[int] = []
    append = taken.append
    for k in range(len(ni)):
        n = ni[k]
        if used[n]:
            continue
        o = oi[k]
        if cap[o] <= 0:
            continue
        cap[o] -= 1
        used[n] = 1
        append(k)
    selected = order[np.array(taken, dtype=np.int64)] if taken else np.zeros(0, np.int64)
    objective = float(scores.score[selected].sum())
    secs = time.perf_counter() - t0
    return SolveResult(
        "greedy",
        "FEASIBLE",
        objective,
        None,
        secs,
        assignments_from_selected(cand.need_idx, cand.offer_idx, selected),
        selected,
        {"solve": secs},
        n_model_edges=len(order),
    )
