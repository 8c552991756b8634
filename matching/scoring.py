"""Score of each candidate edge: weighted mean of named components in [0, 1].

The components (criteria) are declared by name in :mod:`matching.components`
(:data:`~matching.components.REGISTRY`): each says how its per-edge values are
computed, its default weight and how it is explained.  The score is
``sum(w_c * x_c) / sum(w_c)`` over the enabled components, so it stays in [0, 1]
whatever the weights.  The solvers use ``score_int`` = ``round(score * SCORE_SCALE)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .candidates import Candidates
from .components import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    FEEDBACK_PRIOR_COUNT,
    LOAD_HALF,
    REMOTE_DISTANCE_SCORE,
    WAITING_SATURATION_DAYS,
    EdgeContext,
    components,
    edge_cosines,
    per_need_minmax,
    provider_feedback,
)
from .model import F32, F64, I64, Bool, Instance
from .notes import Note

SCORE_SCALE = 1_000_000

#: The weight of the ``charter`` component for a need that prefers labelled providers (a soft
#: preference): ``max(charter weight, CHARTER_PREFER_WEIGHT)`` instead of the run's charter weight,
#: the other weights unchanged (each edge's score stays a weighted mean in [0, 1]).  With the default
#: weights it weighs as much as the skills, so a labelled offer usually wins over an equal unlabelled one
#: but a far better unlabelled offer still can.
CHARTER_PREFER_WEIGHT = 0.30

__all__ = [
    "CHARTER_PREFER_WEIGHT",
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "FEEDBACK_PRIOR_COUNT",
    "LOAD_HALF",
    "REMOTE_DISTANCE_SCORE",
    "SCORE_SCALE",
    "WAITING_SATURATION_DAYS",
    "Scores",
    "edge_cosines",
    "merge_weights",
    "per_need_minmax",
    "provider_feedback",
    "score_candidates",
]


@dataclass(frozen=True, eq=False)
class Scores:
    """Per-edge scores.

    ``components``: ``(n_edges, len(names))`` float32 matrix, one column per
    component in the order of ``names`` (the registry's order; a disabled
    component's column is 0).  ``weights``: the effective (merged) weights;
    ``enabled``: which components count.  ``remote_mode``: the edge is scored
    (and would be delivered) remotely.
    """

    score: F64
    score_int: I64
    components: F32
    weights: dict[str, float]
    enabled: dict[str, bool]
    remote_mode: Bool
    semantic_enabled: bool
    raw_cosine: F32 | None = None
    notes: tuple[Note, ...] = field(default_factory=tuple)
    names: tuple[str, ...] = COMPONENTS
    #: per edge: its need prefers labelled providers (its charter weight is ``prefer_charter_weight``)
    prefer_charter: Bool | None = None
    prefer_charter_weight: float = 0.0

    def component(self, name: str) -> F32:
        """Per-edge values of one component."""
        column: F32 = self.components[:, self.names.index(name)]
        return column

    def edge_components(self, e: int) -> dict[str, float]:
        """Values of the enabled components of edge ``e``, by name."""
        row = self.components[e].tolist()
        return {c: float(v) for c, v in zip(self.names, row, strict=True) if self.enabled[c]}

    def edge_weights(self, e: int) -> dict[str, float]:
        """The weights edge ``e`` was scored with (its need's charter preference included)."""
        w = dict(self.weights)
        if self.prefer_charter is not None and bool(self.prefer_charter[e]):
            w["charter"] = self.prefer_charter_weight
        return w


def merge_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """The default weights of the registered components, overridden by ``weights``."""
    w = {c.name: c.default_weight for c in components()}
    if weights:
        unknown = set(weights) - set(w)
        if unknown:
            raise ValueError(f"unknown score components {sorted(unknown)}; expected {tuple(w)}")
        for k, v in weights.items():
            v = float(v)
            if not np.isfinite(v) or v < 0:
                raise ValueError(f"weight of {k!r} must be a finite number >= 0")
            w[k] = v
    return w


def score_candidates(
    inst: Instance,
    cand: Candidates,
    weights: Mapping[str, float] | None = None,
    *,
    need_embeddings: F32 | None = None,
    offer_embeddings: F32 | None = None,
) -> Scores:
    """Compute component values and scores of every candidate edge."""
    w = merge_weights(weights)
    regs = components()
    E = len(cand)
    ctx = EdgeContext(
        inst,
        cand,
        need_embeddings=inst.need_embeddings if need_embeddings is None else need_embeddings,
        offer_embeddings=inst.offer_embeddings if offer_embeddings is None else offer_embeddings,
    )
    # column-major: each component is one contiguous column
    comps = np.zeros((E, len(regs)), dtype=np.float32, order="F")
    enabled: dict[str, bool] = {}
    for col, component in enumerate(regs):
        values = component.compute(ctx)
        enabled[component.name] = values is not None
        if values is not None:
            comps[:, col] = values
    remote_mode = ctx.place[1]
    raw_cos = ctx.raw_cosine
    del ctx  # frees the shared per-edge arrays

    notes: list[Note] = []
    wvec = np.array([w[c.name] if enabled[c.name] else 0.0 for c in regs], dtype=np.float64)
    total = wvec.sum()
    score = np.zeros(E, dtype=np.float64)
    prefer: Bool | None = None
    prefer_weight = max(w.get("charter", 0.0), CHARTER_PREFER_WEIGHT)
    if enabled.get("charter") and inst.charter_prefer_mask().any():
        prefer = inst.charter_prefer_mask()[cand.need_idx]
    if prefer is not None:
        # per-edge weighted mean: the charter weight is raised on the edges of the needs that prefer labels
        col = [c.name for c in regs].index("charter")
        w_edge = np.where(prefer, prefer_weight, wvec[col])
        num = np.zeros(E, dtype=np.float64)
        for c in range(len(regs)):
            if c != col and wvec[c] > 0:
                num += wvec[c] * comps[:, c]
        num += w_edge * comps[:, col]
        den = (total - wvec[col]) + w_edge
        np.divide(num, den, out=score, where=den > 0)
    elif total <= 0:
        notes.append(Note("scores.zero_weights"))
    else:
        for c in range(len(regs)):
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
        semantic_enabled=enabled.get("semantic", False),
        raw_cosine=raw_cos,
        notes=tuple(notes),
        names=tuple(c.name for c in regs),
        prefer_charter=prefer,
        prefer_charter_weight=prefer_weight,
    )
