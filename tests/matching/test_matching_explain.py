"""French explanations and alternatives."""

from __future__ import annotations

import datetime as dt

from matching import Instance, Need, Offer, Provider, solve_instance
from matching.explain import availability_phrase, fr_number
from matching.model import OPEN_END, OPEN_START, to_day

MRS = (43.2965, 5.3698)
AIX = (43.5297, 5.4474)
NICE = (43.7102, 7.2620)
MARCH = dict(start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 27))


def instance():
    needs = [
        Need(1, MRS[0], MRS[1], skills=(0, 1), funding="voucher", commune="13055", dep_code="13", **MARCH),
        Need(
            2,
            AIX[0],
            AIX[1],
            skills=(2, 3),
            funding="volunteer",
            commune="13001",
            dep_code="13",
            opened_on=dt.date(2025, 11, 1),
        ),
        Need(3, MRS[0], MRS[1], skills=(5,), funding="paid", accepts_remote=True, commune="13055", dep_code="13"),
    ]
    offers = [
        Offer(10, 100, MRS[0] + 0.027, MRS[1], 20, skills=(0, 1, 4), funding="voucher", commune="13055"),
        Offer(20, 200, MRS[0], MRS[1], 40, skills=(2,), funding="volunteer", commune="13055"),
        Offer(30, 300, NICE[0], NICE[1], 30, skills=(5,), funding="paid", modality="both", commune="06088"),
    ]
    providers = [
        Provider(100, current_missions=0, rating_mean=4.6, rating_count=12),
        Provider(200, current_missions=3, rating_mean=3.2, rating_count=4),
        Provider(300, current_missions=7),
    ]
    return Instance.from_records(needs, offers, providers, today=dt.date(2026, 1, 15))


LABELS = {0: "site web", 1: "réseaux sociaux", 2: "bureautique", 3: "tableur", 4: "RGPD", 5: "cybersécurité"}


def test_french_phrases():
    r = solve_instance(instance(), embed=None, skill_labels=LABELS)
    by_need = {p.need_id: p for p in r.proposals}
    t1 = by_need[1].explanation
    assert t1.startswith("même commune, 3 km ; couvre : site web, réseaux sociaux ; disponible en mars")
    assert "financement : chèque numérique" in t1
    assert "prestataire peu sollicité" in t1
    assert "bien noté (4,6/5)" in t1
    t2 = by_need[2].explanation
    assert "à 27 km (rayon 40 km)" in t2
    assert "couvre : bureautique" in t2 and "ne couvre pas : tableur" in t2
    assert "bénévole" in t2
    assert "noté 3,2/5 (4 avis)" in t2
    assert "demande en attente depuis 75 jours" in t2
    assert "disponible à tout moment" in t2
    t3 = by_need[3].explanation
    assert t3.startswith("à distance ; couvre : cybersécurité")
    assert "prestation payante" in t3
    assert "prestataire déjà très sollicité (7 missions en cours)" in t3
    assert "pas encore d'avis" in t3


def test_structured_components():
    r = solve_instance(instance(), embed=None, skill_labels=LABELS)
    p = next(p for p in r.proposals if p.need_id == 2)
    d = p.details[0]
    assert d.mode == "onsite" and 26 < d.distance_km < 27 and d.radius_km == 40
    assert d.covered_skills == ("bureautique",) and d.missing_skills == ("tableur",)
    assert d.funding == "volunteer"
    assert set(p.components) == {"skills", "distance", "waiting", "load", "feedback"}  # semantic/charter off
    assert p.components["skills"] == 0.5
    assert abs(sum(d.contributions.values()) - p.score) < 1e-6
    q = next(p for p in r.proposals if p.need_id == 3).details[0]
    assert q.mode == "remote" and q.components["distance"] == 0.5


def test_availability_phrases():
    assert availability_phrase(to_day(dt.date(2026, 3, 1)), to_day(dt.date(2026, 3, 31))) == "disponible en mars"
    assert availability_phrase(to_day(dt.date(2026, 4, 1)), to_day(dt.date(2026, 6, 1))) == "disponible d'avril à juin"
    assert (
        availability_phrase(to_day(dt.date(2026, 2, 1)), to_day(dt.date(2026, 5, 1))) == "disponible de février à mai"
    )
    assert (
        availability_phrase(to_day(dt.date(2025, 12, 1)), to_day(dt.date(2026, 1, 31)))
        == "disponible de décembre 2025 à janvier 2026"
    )
    assert availability_phrase(OPEN_START, OPEN_END) == "disponible à tout moment"
    assert availability_phrase(to_day(dt.date(2026, 9, 1)), OPEN_END) == "disponible dès septembre 2026"
    assert availability_phrase(OPEN_START, to_day(dt.date(2026, 8, 1))) == "disponible jusqu'en août 2026"
    assert fr_number(4.6) == "4,6" and fr_number(4.0) == "4" and fr_number(26.6, 0) == "27"


def test_alternatives_best_k_sorted():
    needs = [Need(1, MRS[0], MRS[1], skills=(0,))]
    # five offers at growing distances: the closest is chosen, the next three are alternatives
    offers = [Offer(10 + k, 100 + k, MRS[0] + 0.02 * k, MRS[1], 50, skills=(0,)) for k in range(5)]
    providers = [Provider(100 + k) for k in range(5)]
    inst = Instance.from_records(needs, offers, providers, today=dt.date(2026, 1, 1))
    r = solve_instance(inst, embed=None, k_alternatives=3)
    p = r.proposals[0]
    assert p.offer_ids == (10,)
    assert [a.offer_id for a in p.alternatives] == [11, 12, 13]
    scores = [a.score for a in p.alternatives]
    assert scores == sorted(scores, reverse=True) and scores[0] <= p.score
    assert all(a.explanation.startswith("à ") for a in p.alternatives)
    assert not any(a.offer_saturated for a in p.alternatives)
    r5 = solve_instance(inst, embed=None, k_alternatives=10)
    assert len(r5.proposals[0].alternatives) == 4


def test_alternatives_flag_saturated_offers_and_unmatched():
    needs = [Need(1, MRS[0], MRS[1], skills=(0,), opened_on=dt.date(2025, 10, 1)), Need(2, MRS[0], MRS[1], skills=(0,))]
    offers = [Offer(10, 100, MRS[0], MRS[1], 50, skills=(0,), capacity=1)]
    inst = Instance.from_records(needs, offers, [Provider(100)], today=dt.date(2026, 1, 1))
    r = solve_instance(inst, embed=None)
    assert r.assignments == {1: 10}  # waited longer
    u = r.unmatched[0]
    assert u.need_id == 2 and u.reason == "offres compatibles déjà prises"
    assert [a.offer_id for a in u.alternatives] == [10] and u.alternatives[0].offer_saturated


def test_category_only_match_says_what_it_does_not_cover():
    """A need with skills is served on its category alone only when it accepts it, and then the
    explanation names the wanted skills the offer does not cover."""
    mrs = (43.2965, 5.3698)
    labels = {1: "site web", 2: "réseaux sociaux", 5: "tableur"}

    def run(accepts: bool):
        need = Need(1, *mrs, skills=(1, 2), category=3, accepts_category_only=accepts)
        offer = Offer(10, 1, *mrs, 20, skills=(5,), category=3)
        inst = Instance.from_records([need], [offer], [Provider(1)], today=dt.date(2026, 1, 1))
        return solve_instance(inst, embed=None, skill_labels=labels, category_labels={3: "communication"})

    assert run(False).proposals == ()
    p = run(True).proposals[0]
    assert p.components["skills"] == 0.0
    assert "même catégorie (communication)" in p.explanation
    assert "ne couvre aucune compétence demandée (site web, réseaux sociaux)" in p.explanation
    none = [ph for ph in p.phrases if ph.code == "skills.none"]
    assert none and list(none[0].params["skill_ids"]) == [1, 2]


def _naive_alternatives(cand, scores, selected, k):
    chosen_pairs = {(int(cand.need_idx[e]), int(cand.offer_idx[e])) for e in selected.tolist()}
    out = {}
    for n in range(cand.n_needs):
        edges = [
            e
            for e in range(int(cand.need_ptr[n]), int(cand.need_ptr[n + 1]))
            if (n, int(cand.offer_idx[e])) not in chosen_pairs
        ]
        edges.sort(key=lambda e: (-int(scores.score_int[e]), e))
        if edges[:k]:
            out[n] = edges[:k]
    return out


def test_alternatives_equal_a_naive_sort_per_need():
    """The alternatives stage selects per need with one composite-key sort (issue 15: it sorted every
    edge with a two-key lexsort): same answer as sorting each need's edges."""
    import numpy as np
    from matching_helpers import random_instance

    from matching import build_candidates, score_candidates
    from matching.explain import alternatives
    from matching.solvers import solve_flow

    for seed in range(40):
        inst = random_instance(seed, 30, 12, n_skills=4)
        cand = build_candidates(inst)
        scores = score_candidates(inst, cand)
        # coarse scores so that ties occur and the tie order (edge index) is checked too
        scores = type(scores)(**{**vars(scores), "score_int": (scores.score_int // 200_000) * 200_000})
        sel = solve_flow(cand, scores).selected
        for k in (1, 2, 3, 5):
            assert alternatives(cand, scores, sel, k) == _naive_alternatives(cand, scores, np.asarray(sel), k)
