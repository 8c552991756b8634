"""Score of each candidate edge: weighted mean of named components in [0, 1].

Components (per edge):

``skills``    share of the need's wanted skills the offer covers;
``distance``  on site: ``1 - d / radius`` (1 at 0 km, 0 at the radius);
              remote: :data:`REMOTE_DISTANCE_SCORE`; when both are possible the
              larger value is used and gives the edge's mode;
``semantic``  cosine similarity of the need (query) and offer (passage)
              embeddings, min-max rescaled among each need's candidates (raw
              cosines of e5 models sit in a narrow band); 0.5 when all of a
              need's candidates are equal; switched off without embeddings;
``waiting``   days the need has been open, ``min(days / WAITING_SATURATION_DAYS, 1)``;
``load``      provider load, ``LOAD_HALF / (LOAD_HALF + current_missions)``;
``feedback``  provider's mean rating mapped from 1–5 to 0–1, shrunk towards the
              neutral 0.5 with a prior of :data:`FEEDBACK_PRIOR_COUNT` ratings
              (0.5 when there is none);
``charter``   provider's charter alignment (missing values count 0); switched
              off when the instance has no charter input.

The score is ``sum(w_c * x_c) / sum(w_c)`` over the enabled components, so it
stays in [0, 1] whatever the weights.  The solvers use ``score_int`` =
``round(score * SCORE_SCALE)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .candidates import Candidates
from .model import Instance

COMPONENTS: tuple[str, ...] = ("skills", "distance", "semantic", "waiting", "load", "feedback", "charter")

#: Default weights (hub staff may pass their own; missing keys take these).
DEFAULT_WEIGHTS: dict[str, float] = {
    "skills": 0.30,
    "distance": 0.20,
    "semantic": 0.15,
    "waiting": 0.10,
    "load": 0.10,
    "feedback": 0.10,
    "charter": 0.05,
}

REMOTE_DISTANCE_SCORE = 0.5
WAITING_SATURATION_DAYS = 90.0
LOAD_HALF = 3.0
FEEDBACK_PRIOR_COUNT = 2.0
SCORE_SCALE = 1_000_000


@dataclass(frozen=True, eq=False)
class Scores:
    """Per-edge scores.

    ``components``: ``(n_edges, len(COMPONENTS))`` float32 matrix, column order
    :data:`COMPONENTS` (a disabled component's column is 0).  ``weights``: the
    effective (merged) weights; ``enabled``: which components count.
    ``remote_mode``: the edge is scored (and would be delivered) remotely.
    """

    score: np.ndarray
    score_int: np.ndarray
    components: np.ndarray
    weights: dict
    enabled: dict
    remote_mode: np.ndarray
    semantic_enabled: bool
    raw_cosine: np.ndarray | None = None
    notes: tuple = field(default_factory=tuple)

    def component(self, name: str) -> np.ndarray:
        return self.components[:, COMPONENTS.index(name)]


def merge_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    w = dict(DEFAULT_WEIGHTS)
    if weights:
        unknown = set(weights) - set(COMPONENTS)
        if unknown:
            raise ValueError(f"unknown score components {sorted(unknown)}; expected {COMPONENTS}")
        for k, v in weights.items():
            v = float(v)
            if not np.isfinite(v) or v < 0:
                raise ValueError(f"weight of {k!r} must be a finite number >= 0")
            w[k] = v
    return w


def per_need_minmax(values: np.ndarray, need_idx: np.ndarray, need_ptr: np.ndarray) -> np.ndarray:
    """Min-max rescale ``values`` within each need's (contiguous) edges; 0.5 if flat."""
    out = np.full(len(values), 0.5, dtype=np.float64)
    if len(values) == 0:
        return out
    starts = need_ptr[:-1]
    nonempty = np.diff(need_ptr) > 0
    s = starts[nonempty]
    mn = np.minimum.reduceat(values, s)
    mx = np.maximum.reduceat(values, s)
    full_mn = np.zeros(len(starts))
    full_mx = np.zeros(len(starts))
    full_mn[nonempty], full_mx[nonempty] = mn, mx
    lo, hi = full_mn[need_idx], full_mx[need_idx]
    span = hi - lo
    ok = span > 1e-9
    out[ok] = (values[ok] - lo[ok]) / span[ok]
    return out


def edge_cosines(
    need_emb: np.ndarray, offer_emb: np.ndarray, need_idx: np.ndarray, offer_idx: np.ndarray, chunk: int = 65536
) -> np.ndarray:
    out = np.empty(len(need_idx), dtype=np.float32)
    for a in range(0, len(need_idx), chunk):
        b = min(a + chunk, len(need_idx))
        out[a:b] = np.einsum("ij,ij->i", need_emb[need_idx[a:b]], offer_emb[offer_idx[a:b]])
    return out


def provider_feedback(inst: Instance) -> np.ndarray:
    cnt = inst.provider_rating_count.astype(np.float64)
    mean = np.where(np.isfinite(inst.provider_rating_mean), inst.provider_rating_mean, 3.0)
    cnt = np.where(np.isfinite(inst.provider_rating_mean), cnt, 0.0)
    norm = np.clip((mean - 1.0) / 4.0, 0.0, 1.0)
    return (norm * cnt + 0.5 * FEEDBACK_PRIOR_COUNT) / (cnt + FEEDBACK_PRIOR_COUNT)


def score_candidates(
    inst: Instance,
    cand: Candidates,
    weights: Mapping[str, float] | None = None,
    *,
    need_embeddings: np.ndarray | None = None,
    offer_embeddings: np.ndarray | None = None,
) -> Scores:
    """Compute component values and scores of every candidate edge."""
    w = merge_weights(weights)
    ni, oi = cand.need_idx, cand.offer_idx
    E = len(ni)
    # column-major: each component is one contiguous column
    comps = np.zeros((E, len(COMPONENTS)), dtype=np.float32, order="F")
    notes = []

    comps[:, 0] = cand.coverage

    onsite_score = 1.0 - cand.distance_km / np.maximum(inst.offer_radius_km[oi], 1e-9)
    np.clip(onsite_score, 0.0, 1.0, out=onsite_score)
    onsite_score[~cand.onsite] = -1.0
    remote_mode = cand.remote & (onsite_score < REMOTE_DISTANCE_SCORE)
    onsite_score[remote_mode] = REMOTE_DISTANCE_SCORE
    comps[:, 1] = onsite_score
    del onsite_score

    if need_embeddings is None:
        need_embeddings = inst.need_embeddings
    if offer_embeddings is None:
        offer_embeddings = inst.offer_embeddings
    semantic = need_embeddings is not None and offer_embeddings is not None
    raw_cos = None
    if semantic:
        raw_cos = edge_cosines(need_embeddings, offer_embeddings, ni, oi)
        comps[:, 2] = per_need_minmax(raw_cos.astype(np.float64), ni, cand.need_ptr)

    waiting_days = np.maximum(inst.today - inst.need_opened, 0).astype(np.float64)
    comps[:, 3] = np.minimum(waiting_days / WAITING_SATURATION_DAYS, 1.0).astype(np.float32)[ni]

    # per-offer components gathered once per edge
    load = LOAD_HALF / (LOAD_HALF + np.maximum(inst.provider_load, 0).astype(np.float64))
    comps[:, 4] = load.astype(np.float32)[inst.offer_provider][oi]
    comps[:, 5] = provider_feedback(inst).astype(np.float32)[inst.offer_provider][oi]

    charter = inst.provider_charter is not None
    if charter:
        ch = np.nan_to_num(np.clip(inst.provider_charter, 0.0, 1.0), nan=0.0)
        comps[:, 6] = ch.astype(np.float32)[inst.offer_provider][oi]

    enabled = dict.fromkeys(COMPONENTS, True)
    enabled["semantic"] = semantic
    enabled["charter"] = charter
    wvec = np.array([w[c] if enabled[c] else 0.0 for c in COMPONENTS], dtype=np.float64)
    total = wvec.sum()
    score = np.zeros(E, dtype=np.float64)
    if total <= 0:
        notes.append("all enabled weights are zero: every score is 0")
    else:
        for c in range(len(COMPONENTS)):
            if wvec[c] > 0:
                score += (wvec[c] / total) * comps[:, c]
    np.clip(score, 0.0, 1.0, out=score)
    score_int = np.rint(score * SCORE_SCALE).astype(np.int64)
    return Scores(
        score=score,
        score_int=score_int,
        components=comps,
        weights=w,
        enabled=enabled,
        remote_mode=remote_mode,
        semantic_enabled=semantic,
        raw_cosine=raw_cos,
        notes=tuple(notes),
    )
