"""Alternatives and plain-French explanations of proposals.

:func:`alternatives` picks, for every need, the best ``k`` candidate edges other
than the chosen one(s).  :func:`explain_edge` gathers what can be said about one
edge (:class:`~matching.components.EdgeFacts`), asks each enabled score
component (:mod:`matching.components`) and each hard-rule fact (time, funding)
for its phrases, and joins them in sentence order into a short French sentence, e.g.
``"même commune, 3 km ; couvre : site web, réseaux sociaux ; disponible en mars ;
bénévole ; prestataire peu sollicité ; bien noté (4,6/5)"``.  Every phrase also
carries a code and its parameters (``Explanation.phrases``), and the structured
values are returned too so that a UI can show them.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from .candidates import Candidates
from .components import (
    GOOD_RATING,
    HIGH_LOAD_MIN_MISSIONS,
    LONG_WAIT_DAYS,
    LOW_LOAD_MAX_MISSIONS,
    SEMANTIC_CLOSE,
    EdgeFacts,
    Phrase,
    components,
)
from .french import MONTHS_FR, availability_phrase, fr_number
from .model import FUNDING_MODES, OPEN_END, OPEN_START, Instance, IntArray, day_to_date, labels_or_ids
from .scoring import Scores

__all__ = [
    "FUNDING_FR",
    "GOOD_RATING",
    "HIGH_LOAD_MIN_MISSIONS",
    "LONG_WAIT_DAYS",
    "LOW_LOAD_MAX_MISSIONS",
    "MONTHS_FR",
    "SEMANTIC_CLOSE",
    "Explanation",
    "alternatives",
    "availability_phrase",
    "explain_edge",
    "explain_pair",
    "fr_number",
    "pair_member_phrases",
    "pair_phrases",
]

FUNDING_FR = {
    "volunteer": "bénévole",
    "voucher": "financement : chèque numérique",
    "paid": "prestation payante",
}


@dataclass(frozen=True)
class Explanation:
    """Explanation of one (need, offer) edge.

    ``text``: the French sentence (``parts`` joined with ``" ; "``); ``phrases``:
    the same parts as codes with their parameters.
    ``components``: component values in [0, 1] of the enabled components;
    ``contributions``: their share of the score (``w_c * x_c / sum(w)``).
    ``mode``: ``"onsite"`` or ``"remote"``.
    """

    text: str
    parts: tuple[str, ...]
    score: float
    components: dict[str, float]
    contributions: dict[str, float]
    mode: str
    distance_km: float
    radius_km: float
    same_commune: bool
    covered_skills: tuple[str, ...]
    missing_skills: tuple[str, ...]
    funding: str
    available_from: _dt.date | None
    available_until: _dt.date | None
    rating_mean: float | None
    rating_count: int
    provider_missions: int
    phrases: tuple[Phrase, ...] = ()
    #: ``covered_skills``/``missing_skills`` as skill ids (what a pair's explanation combines).
    covered_skill_ids: tuple[int, ...] = ()
    missing_skill_ids: tuple[int, ...] = ()


# Phrases of the hard rules every edge satisfies (not score components), with their rank in the sentence.


def _explain_time(f: EdgeFacts) -> Sequence[Phrase]:
    a, b = f.window
    dates = {
        "from": None if a <= OPEN_START else day_to_date(a).isoformat(),
        "until": None if b >= OPEN_END else day_to_date(b).isoformat(),
    }
    return [Phrase("time.window", availability_phrase(a, b), {"start": a, "end": b, **dates})]


def _explain_funding(f: EdgeFacts) -> Sequence[Phrase]:
    return [Phrase(f"funding.{f.funding}", FUNDING_FR[f.funding])]


FACTS: tuple[tuple[int, Callable[[EdgeFacts], Sequence[Phrase]]], ...] = ((30, _explain_time), (40, _explain_funding))


def edge_facts(
    inst: Instance,
    cand: Candidates,
    scores: Scores,
    e: int,
    skill_labels: Mapping[int, str] | None = None,
    category_labels: Mapping[int, str] | None = None,
) -> EdgeFacts:
    """What an explanation may say about candidate edge ``e``."""
    n, o = int(cand.need_idx[e]), int(cand.offer_idx[e])
    p = int(inst.offer_provider[o])
    wanted = inst.need_skill_list(n)
    offered = set(inst.offer_skill_list(o))
    covered_ids = tuple(int(s) for s in wanted if s in offered)
    missing_ids = tuple(int(s) for s in wanted if s not in offered)
    covered = tuple(labels_or_ids(covered_ids, skill_labels))
    rc = int(inst.provider_rating_count[p])
    mean = float(inst.provider_rating_mean[p])
    rm: float | None = mean
    if not (rc > 0 and np.isfinite(mean)):
        rm, rc = None, 0
    return EdgeFacts(
        need=n,
        offer=o,
        provider=p,
        components=scores.edge_components(e),
        distance_km=float(cand.distance_km[e]),
        radius_km=float(inst.offer_radius_km[o]),
        remote=bool(scores.remote_mode[e]),
        same_commune=bool(inst.need_commune[n]) and bool(inst.need_commune[n] == inst.offer_commune[o]),
        covered_skills=covered,
        missing_skills=tuple(labels_or_ids(missing_ids, skill_labels)),
        category_label=None if covered else (category_labels or {}).get(int(inst.offer_category[o])),
        covered_skill_ids=covered_ids,
        missing_skill_ids=missing_ids,
        category_id=None if covered else int(inst.offer_category[o]),
        window=(
            max(int(inst.need_start[n]), int(inst.offer_start[o])),
            min(int(inst.need_end[n]), int(inst.offer_end[o])),
        ),
        funding=FUNDING_MODES[int(inst.offer_funding[o])],
        provider_missions=int(inst.provider_load[p]),
        rating_mean=rm,
        rating_count=rc,
        waiting_days=int(inst.today - inst.need_opened[n]),
    )


def explain_edge(
    inst: Instance,
    cand: Candidates,
    scores: Scores,
    e: int,
    skill_labels: Mapping[int, str] | None = None,
    category_labels: Mapping[int, str] | None = None,
) -> Explanation:
    """Explanation of candidate edge ``e``: the phrases of the hard-rule facts and
    of every enabled component, in the order of their ``phrase_rank``."""
    f = edge_facts(inst, cand, scores, e, skill_labels, category_labels)
    makers = [(c.phrase_rank, c.explain) for c in components() if scores.enabled.get(c.name)]
    phrases = tuple(ph for _rank, explain in sorted(makers + list(FACTS), key=lambda r: r[0]) for ph in explain(f))
    parts = tuple(ph.text for ph in phrases)
    weights = scores.edge_weights(e)
    wsum = sum(weights[c] for c in f.components) or 1.0
    a, b = f.window
    return Explanation(
        text=" ; ".join(parts),
        parts=parts,
        score=float(scores.score[e]),
        components=dict(f.components),
        contributions={c: weights[c] * v / wsum for c, v in f.components.items()},
        mode="remote" if f.remote else "onsite",
        distance_km=f.distance_km,
        radius_km=f.radius_km,
        same_commune=f.same_commune,
        covered_skills=f.covered_skills,
        missing_skills=f.missing_skills,
        funding=f.funding,
        available_from=None if a <= OPEN_START else day_to_date(a),
        available_until=None if b >= OPEN_END else day_to_date(b),
        rating_mean=f.rating_mean,
        rating_count=f.rating_count,
        provider_missions=f.provider_missions,
        phrases=phrases,
        covered_skill_ids=f.covered_skill_ids,
        missing_skill_ids=f.missing_skill_ids,
    )


def explain_pair(
    inst: Instance, ex1: Explanation, ex2: Explanation, skill_labels: Mapping[int, str] | None = None
) -> str:
    """Sentence of a two-expert proposal."""
    head = " ; ".join(ph.text for ph in _pair_parts(ex1, ex2))
    return f"{head} — 1) {ex1.text} — 2) {ex2.text}"


def _labelled(ids: Sequence[int], ex1: Explanation, ex2: Explanation) -> tuple[str, ...]:
    """Labels of skill ids, as the two explanations name them."""
    names: dict[int, str] = {}
    for ex in (ex1, ex2):
        names.update(zip(ex.covered_skill_ids, ex.covered_skills, strict=False))
        names.update(zip(ex.missing_skill_ids, ex.missing_skills, strict=False))
    return tuple(names.get(i, str(i)) for i in ids)


def _pair_parts(ex1: Explanation, ex2: Explanation) -> list[Phrase]:
    """``pair.head`` (what both cover together) and, when the pair leaves wanted skills uncovered,
    ``pair.uncovered`` (``skills``/``skill_ids``)."""
    both = sorted(set(ex1.covered_skills) | set(ex2.covered_skills))
    ids: set[int] = set(ex1.covered_skill_ids) | set(ex2.covered_skill_ids)
    for ex in (ex1, ex2):  # explanations built without the id fields: read them from the phrases
        for ph in ex.phrases:
            if ph.code == "skills.covered":
                ids.update(cast("tuple[int, ...]", ph.params.get("skill_ids", ())))
    head = "deux experts complémentaires" + (" ; couvrent ensemble : " + ", ".join(both) if both else "")
    out = [Phrase("pair.head", head, {"skills": tuple(both), "skill_ids": tuple(sorted(ids))})]
    wanted = list(dict.fromkeys(ex1.covered_skill_ids + ex1.missing_skill_ids))
    left = tuple(i for i in wanted if i not in ids)
    if left:
        labels = _labelled(left, ex1, ex2)
        out.append(
            Phrase("pair.uncovered", "reste non couvert : " + ", ".join(labels), {"skills": labels, "skill_ids": left})
        )
    return out


def pair_phrases(ex1: Explanation, ex2: Explanation) -> tuple[Phrase, ...]:
    """The phrases of a two-expert proposal (what :func:`explain_pair` says, as codes):
    ``pair.head`` (``skills``/``skill_ids``: what both cover together), ``pair.uncovered`` when wanted
    skills are left, then for each expert ``pair.expert`` (``n``: 1 or 2) followed by that expert's own
    phrases."""
    out = _pair_parts(ex1, ex2)
    for n, ex in ((1, ex1), (2, ex2)):
        out.append(Phrase("pair.expert", f"{n})", {"n": n}))
        out.extend(ex.phrases)
    return tuple(out)


def pair_member_phrases(own: Explanation, partner: Explanation) -> tuple[Phrase, ...]:
    """The phrases of one expert of a two-expert proposal, as that expert's own proposal tells them:
    ``pair.head`` and ``pair.uncovered`` (the pair as a whole), ``pair.partner`` (``skills``/``skill_ids``:
    what the other expert brings that this one does not), then this expert's own phrases, without its
    ``skills.missing`` (the pair's ``pair.uncovered`` says what is really left)."""
    out = _pair_parts(own, partner)
    brings = tuple(i for i in partner.covered_skill_ids if i not in set(own.covered_skill_ids))
    if brings:
        labels = _labelled(brings, own, partner)
        out.append(
            Phrase(
                "pair.partner", "l'autre expert couvre : " + ", ".join(labels), {"skills": labels, "skill_ids": brings}
            )
        )
    out.extend(ph for ph in own.phrases if ph.code != "skills.missing")
    return tuple(out)


def alternatives(cand: Candidates, scores: Scores, selected: IntArray, k: int = 3) -> dict[int, list[int]]:
    """For every need with candidates: up to ``k`` best edges (by score) other
    than the chosen edges and other than edges to an already chosen offer of the
    same need.  Returns ``{need_index: [edge, ...]}`` (best first)."""
    E = len(cand)
    if E == 0 or k <= 0:
        return {}
    chosen = np.zeros(E, dtype=bool)
    chosen[selected] = True
    # drop edges whose (need, offer) is chosen (covers two-expert needs too)
    if len(selected):
        M = cand.n_offers
        ck = np.unique(cand.need_idx[selected].astype(np.int64) * M + cand.offer_idx[selected])
        keys = cand.need_idx.astype(np.int64) * M + cand.offer_idx
        pos = np.minimum(np.searchsorted(ck, keys), len(ck) - 1)
        chosen |= ck[pos] == keys
    idx = np.flatnonzero(~chosen)
    # one sort of a composite int64 key (need, -score) instead of a two-key lexsort; edges are already
    # grouped by need, so needs with at most k edges keep theirs without sorting
    ni_all = cand.need_idx[idx].astype(np.int64)
    big = np.diff(cand.need_ptr)[ni_all] > k
    small_idx = idx[~big]
    sub = idx[big]
    composite = ni_all[big] << 31
    composite += (2**31 - 1) - np.clip(scores.score_int[sub], 0, 2**31 - 1).astype(np.int64)
    order = sub[np.argsort(composite, kind="stable")]
    del composite
    ni = cand.need_idx[order]
    first = np.r_[True, ni[1:] != ni[:-1]]
    grp_start = np.maximum.accumulate(np.where(first, np.arange(len(ni)), 0))
    rank = np.arange(len(ni)) - grp_start
    keep = order[rank < k]
    if len(small_idx):  # their edges, best first (a stable sort on the small remainder)
        small_idx = small_idx[np.lexsort((-scores.score_int[small_idx], cand.need_idx[small_idx]))]
        keep = np.concatenate([keep, small_idx])
    out: dict[int, list[int]] = {}
    for e, n in zip(keep.tolist(), cand.need_idx[keep].tolist(), strict=True):
        out.setdefault(n, []).append(e)
    return out
