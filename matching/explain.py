"""Alternatives and plain-French explanations of proposals.

:func:`alternatives` picks, for every need, the best ``k`` candidate edges other
than the chosen one(s).  :func:`explain_edge` turns the score components of one
edge into a short French sentence, e.g.
``"même commune, 3 km ; couvre : site web, réseaux sociaux ; disponible en mars ;
bénévole ; prestataire peu sollicité ; bien noté (4,6/5)"``, and returns the
structured values too so that a UI can show them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .candidates import Candidates
from .model import FUNDING_MODES, OPEN_END, OPEN_START, Instance, day_to_date, labels_or_ids
from .scoring import COMPONENTS, Scores

MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

FUNDING_FR = {
    "volunteer": "bénévole",
    "voucher": "financement : chèque numérique",
    "paid": "prestation payante",
}

#: Thresholds of the optional phrases.
LOW_LOAD_MAX_MISSIONS = 1
HIGH_LOAD_MIN_MISSIONS = 5
GOOD_RATING = 4.0
LONG_WAIT_DAYS = 30
SEMANTIC_CLOSE = 0.75


@dataclass(frozen=True)
class Explanation:
    """Explanation of one (need, offer) edge.

    ``text``: the French sentence (``parts`` joined with ``" ; "``).
    ``components``: component values in [0, 1] of the enabled components;
    ``contributions``: their share of the score (``w_c * x_c / sum(w)``).
    ``mode``: ``"onsite"`` or ``"remote"``.
    """

    text: str
    parts: tuple[str, ...]
    score: float
    components: dict
    contributions: dict
    mode: str
    distance_km: float
    radius_km: float
    same_commune: bool
    covered_skills: tuple[str, ...]
    missing_skills: tuple[str, ...]
    funding: str
    available_from: object
    available_until: object
    rating_mean: float | None
    rating_count: int
    provider_missions: int


def fr_number(x: float, decimals: int = 1) -> str:
    """French decimal notation: ``4.6`` -> ``"4,6"`` (no trailing ``,0``)."""
    s = f"{x:.{decimals}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s.replace(".", ",")


def _de(month: str) -> str:
    return ("d'" if month[0] in "aeiouéèêàâîôû" else "de ") + month


def availability_phrase(start: int, end: int) -> str:
    """French phrase of an availability window (day numbers, open ends allowed)."""
    open_s, open_e = start <= OPEN_START, end >= OPEN_END
    if open_s and open_e:
        return "disponible à tout moment"
    if open_s:
        d = day_to_date(end)
        return f"disponible jusqu'en {MONTHS_FR[d.month - 1]} {d.year}"
    a = day_to_date(start)
    if open_e:
        return f"disponible dès {MONTHS_FR[a.month - 1]} {a.year}"
    b = day_to_date(end)
    ma, mb = MONTHS_FR[a.month - 1], MONTHS_FR[b.month - 1]
    if (a.year, a.month) == (b.year, b.month):
        return f"disponible en {ma}"
    if a.year == b.year:
        return f"disponible {_de(ma)} à {mb}"
    return f"disponible {_de(ma)} {a.year} à {mb} {b.year}"


def explain_edge(
    inst: Instance,
    cand: Candidates,
    scores: Scores,
    e: int,
    skill_labels: Mapping[int, str] | None = None,
    category_labels: Mapping[int, str] | None = None,
) -> Explanation:
    """Explanation of candidate edge ``e``."""
    n, o = int(cand.need_idx[e]), int(cand.offer_idx[e])
    p = int(inst.offer_provider[o])
    parts: list[str] = []
    comps = {c: float(scores.components[e, i]) for i, c in enumerate(COMPONENTS) if scores.enabled[c]}
    wsum = sum(scores.weights[c] for c in comps) or 1.0
    contrib = {c: scores.weights[c] * v / wsum for c, v in comps.items()}

    # place
    dist = float(cand.distance_km[e])
    radius = float(inst.offer_radius_km[o])
    remote = bool(scores.remote_mode[e])
    same = bool(inst.need_commune[n]) and inst.need_commune[n] == inst.offer_commune[o]
    if remote:
        parts.append("à distance")
    elif same:
        parts.append("même commune" if dist < 1.0 else f"même commune, {fr_number(dist, 0)} km")
    else:
        parts.append(f"à {fr_number(dist, 0)} km (rayon {fr_number(radius, 0)} km)")

    # skills
    wanted = inst.need_skill_list(n)
    offered = set(inst.offer_skill_list(o))
    covered = [s for s in wanted if s in offered]
    missing = [s for s in wanted if s not in offered]
    cov_l = tuple(labels_or_ids(covered, skill_labels))
    miss_l = tuple(labels_or_ids(missing, skill_labels))
    if cov_l:
        parts.append("couvre : " + ", ".join(cov_l))
        if miss_l:
            parts.append("ne couvre pas : " + ", ".join(miss_l))
    else:
        cat = int(inst.offer_category[o])
        label = (category_labels or {}).get(cat)
        parts.append(f"même catégorie ({label})" if label else "même catégorie")

    # time
    a = max(int(inst.need_start[n]), int(inst.offer_start[o]))
    b = min(int(inst.need_end[n]), int(inst.offer_end[o]))
    parts.append(availability_phrase(a, b))

    # funding
    funding = FUNDING_MODES[int(inst.offer_funding[o])]
    parts.append(FUNDING_FR[funding])

    # provider load
    missions = int(inst.provider_load[p])
    if missions <= LOW_LOAD_MAX_MISSIONS:
        parts.append("prestataire peu sollicité")
    elif missions >= HIGH_LOAD_MIN_MISSIONS:
        parts.append(f"prestataire déjà très sollicité ({missions} missions en cours)")

    # feedback
    rc = int(inst.provider_rating_count[p])
    rm = float(inst.provider_rating_mean[p])
    if rc > 0 and np.isfinite(rm):
        if rm >= GOOD_RATING:
            parts.append(f"bien noté ({fr_number(rm)}/5)")
        else:
            parts.append(f"noté {fr_number(rm)}/5 ({rc} avis)")
    else:
        rm, rc = None, 0
        parts.append("pas encore d'avis")

    # waiting time of the need
    wait = int(inst.today - inst.need_opened[n])
    if wait >= LONG_WAIT_DAYS:
        parts.append(f"demande en attente depuis {wait} jours")

    if scores.enabled.get("semantic") and comps.get("semantic", 0.0) >= SEMANTIC_CLOSE:
        parts.append("description proche de la demande")
    if scores.enabled.get("charter") and comps.get("charter", 0.0) >= 1.0:
        parts.append("signataire de la charte")

    return Explanation(
        text=" ; ".join(parts),
        parts=tuple(parts),
        score=float(scores.score[e]),
        components=comps,
        contributions=contrib,
        mode="remote" if remote else "onsite",
        distance_km=dist,
        radius_km=radius,
        same_commune=same,
        covered_skills=cov_l,
        missing_skills=miss_l,
        funding=funding,
        available_from=None if a <= OPEN_START else day_to_date(a),
        available_until=None if b >= OPEN_END else day_to_date(b),
        rating_mean=rm,
        rating_count=rc,
        provider_missions=missions,
    )


def explain_pair(inst: Instance, ex1: Explanation, ex2: Explanation, skill_labels=None) -> str:
    """Sentence of a two-expert proposal."""
    both = sorted(set(ex1.covered_skills) | set(ex2.covered_skills))
    head = "deux experts complémentaires"
    if both:
        head += " ; couvrent ensemble : " + ", ".join(both)
    return f"{head} — 1) {ex1.text} — 2) {ex2.text}"


def alternatives(cand: Candidates, scores: Scores, selected: np.ndarray, k: int = 3) -> dict[int, list[int]]:
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
    order = idx[np.lexsort((-scores.score_int[idx], cand.need_idx[idx]))]
    ni = cand.need_idx[order]
    first = np.r_[True, ni[1:] != ni[:-1]]
    grp_start = np.maximum.accumulate(np.where(first, np.arange(len(ni)), 0))
    rank = np.arange(len(ni)) - grp_start
    keep = order[rank < k]
    out: dict[int, list[int]] = {}
    for e, n in zip(keep.tolist(), cand.need_idx[keep].tolist()):
        out.setdefault(n, []).append(e)
    return out
