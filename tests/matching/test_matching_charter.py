"""The charter's labels in matching: "labelled providers only" is a hard rule of the candidate builder and
of the independent checker; "prefer" raises that need's charter weight; the label level is explained."""

from __future__ import annotations

import datetime as dt

import pytest

from matching import (
    CHARTER_PREFER_WEIGHT,
    Instance,
    Need,
    Offer,
    Provider,
    build_candidates,
    check_assignments,
    solve_instance,
)

MRS = (43.2965, 5.3698)
TODAY = dt.date(2026, 1, 15)


def instance(preference: str = "", *, labelled_level: int = 3, offer_own: float | None = None) -> Instance:
    """One need in Marseille; offer 10 (provider 100, unlabelled) is closer and better rated than
    offer 20 (provider 200, labelled at ``labelled_level``)."""
    needs = [Need(1, *MRS, skills=(0,), commune="13055", dep_code="13", charter_preference=preference)]
    offers = [
        Offer(10, 100, *MRS, 30, skills=(0,), commune="13055", charter=offer_own),
        Offer(20, 200, MRS[0] + 0.09, MRS[1], 30, skills=(0,), commune="13001"),
    ]
    providers = [
        Provider(100, rating_mean=4.8, rating_count=10, charter=0.0),
        Provider(200, rating_mean=4.0, rating_count=3, charter=labelled_level / 5),
    ]
    return Instance.from_records(needs, offers, providers, today=TODAY)


def candidate_offers(inst: Instance) -> set[int]:
    cand = build_candidates(inst)
    return {int(inst.offer_ids[o]) for o in cand.offer_idx.tolist()}


def test_only_labelled_excludes_unlabelled_providers_from_candidates():
    assert candidate_offers(instance("")) == {10, 20}
    assert candidate_offers(instance("prefer")) == {10, 20}
    assert candidate_offers(instance("only")) == {20}
    r = solve_instance(instance("only"), embed=None)
    assert dict(r.assignments) == {1: 20}
    assert check_assignments(instance("only"), r) == []


def test_an_offers_own_label_overrides_its_providers():
    # offer 10's own label (level 4) lets it serve an "only" need although its provider is unlabelled
    assert candidate_offers(instance("only", offer_own=0.8)) == {10, 20}
    # and an unlabelled offer of a labelled provider inherits the provider's label
    inst = instance("only", offer_own=None)
    assert check_assignments(inst, {1: 20}) == []


def test_the_independent_checker_rejects_an_unlabelled_provider_for_an_only_need():
    violations = check_assignments(instance("only"), {1: 10})
    assert [v.rule for v in violations] == ["charter_only"]
    assert violations[0].need_id == 1 and violations[0].offer_id == 10
    assert check_assignments(instance(""), {1: 10}) == []  # without the rule the same pair is fine
    assert check_assignments(instance("only", offer_own=0.6), {1: 10}) == []


def test_the_charter_weight_changes_the_ranking():
    # by default the closer, better rated unlabelled offer wins
    assert dict(solve_instance(instance(""), embed=None).assignments) == {1: 10}
    # a heavy charter weight makes the labelled one win
    heavy = solve_instance(instance(""), embed=None, weights={"charter": 1.0})
    assert dict(heavy.assignments) == {1: 20}
    # a need that prefers labelled providers gets the labelled one with the default weights
    prefer = solve_instance(instance("prefer"), embed=None)
    assert dict(prefer.assignments) == {1: 20}
    # a higher level scores higher
    low = solve_instance(instance("prefer", labelled_level=1), embed=None, weights={"charter": 1.0})
    high = solve_instance(instance("prefer", labelled_level=5), embed=None, weights={"charter": 1.0})
    assert high.proposals[0].score > low.proposals[0].score


def test_prefer_raises_only_that_needs_charter_weight():
    r = solve_instance(instance("prefer"), embed=None)
    detail = r.proposals[0].details[0]
    assert detail.components["charter"] == pytest.approx(0.6)
    assert abs(sum(detail.contributions.values()) - r.proposals[0].score) < 1e-6
    plain = solve_instance(instance(""), embed=None, weights={"charter": CHARTER_PREFER_WEIGHT})
    assert dict(plain.assignments) == {1: 20}
    assert r.proposals[0].score == pytest.approx(plain.proposals[0].score, abs=1e-6)


def test_explanation_says_the_label_level():
    r = solve_instance(instance("only", labelled_level=3), embed=None)
    p = r.proposals[0]
    assert "labellisé charte niveau 3" in p.explanation
    phrase = next(ph for ph in p.details[0].phrases if ph.code == "charter.level")
    assert phrase.params == {"level": 3}


def test_unlabelled_offers_say_nothing_about_the_charter():
    r = solve_instance(instance(""), embed=None)
    assert "charte" not in r.proposals[0].explanation


def test_unknown_preference_is_refused():
    with pytest.raises(ValueError):
        Instance.from_records([Need(1, *MRS, charter_preference="maybe")], [], [], today=TODAY)
