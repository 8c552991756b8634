"""The independent checker, rule by rule (issue 15, point 5: its mutants must die here, in a second).

Every test builds a small instance through the public records, hands an assignment to
:func:`matching.check_assignments` (or one pair to :func:`matching.checker.check_pair`) and asserts
which rule is reported, or that none is. Places all over France and overseas: west of Greenwich
(Brittany, Guadeloupe) and south of the equator (Réunion).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from matching import Instance, Need, Offer, Provider, check_assignments
from matching.checker import check_pair
from matching.geo import haversine_km
from matching.model import FUNDING_COMPAT, FUNDING_MODES

BREST = (48.3904, -4.4861)
QUIMPER = (47.9960, -4.1024)  # ~51 km south-east of Brest
POINTE_A_PITRE = (16.2411, -61.5331)
BASSE_TERRE = (15.9985, -61.7261)  # ~34 km from Pointe-à-Pitre
SAINT_DENIS = (-20.8821, 55.4507)
SAINT_PIERRE = (-21.3393, 55.4781)  # ~51 km south of Saint-Denis
MARSEILLE = (43.2965, 5.3698)


@dataclass(frozen=True)
class Side:
    """The side constraints as the checker reads them (any object with these three attributes)."""

    territory_share: float | None = None
    territory_min_cap: int = 1
    min_per_department: object = None


def need(i=1, place=MARSEILLE, **kw) -> Need:
    kw.setdefault("skills", (1,))
    kw.setdefault("dep_code", "13")
    return Need(id=i, lat=place[0], lon=place[1], **kw)


def offer(i=10, place=MARSEILLE, provider=100, **kw) -> Offer:
    kw.setdefault("radius_km", 10.0)
    kw.setdefault("skills", (1,))
    return Offer(id=i, provider_id=provider, lat=place[0], lon=place[1], **kw)


def inst_of(needs, offers, providers=None, **kw) -> Instance:
    if providers is None:
        providers = [Provider(p) for p in sorted({o.provider_id for o in offers})]
    return Instance.from_records(needs, offers, providers, today=dt.date(2026, 1, 1), **kw)


def rules(inst, assignments, **kw) -> list[str]:
    return sorted(v.rule for v in check_assignments(inst, assignments, **kw))


def pair_rules(inst, **kw) -> list[str]:
    return [rule for rule, _detail in check_pair(inst, 0, 0, **kw)]


# ------------------------------------------------------------------ skills and categories


def test_a_shared_skill_is_enough():
    inst = inst_of([need(skills=(1, 2))], [offer(skills=(2, 7))])
    assert rules(inst, {1: 10}) == []


def test_no_shared_skill_and_another_category_is_refused():
    inst = inst_of([need(skills=(1,), category=3)], [offer(skills=(2,), category=4)])
    assert rules(inst, {1: 10}) == ["skills"]


def test_no_shared_skill_and_no_category_is_refused():
    inst = inst_of([need(skills=(1,))], [offer(skills=(2,))])
    assert rules(inst, {1: 10}) == ["skills"]


def test_a_need_without_skills_takes_an_offer_of_its_category_even_category_zero():
    assert rules(inst_of([need(skills=(), category=0)], [offer(skills=(5,), category=0)]), {1: 10}) == []
    assert rules(inst_of([need(skills=(), category=0)], [offer(skills=(5,), category=1)]), {1: 10}) == ["skills"]
    # no category on either side is no match
    assert rules(inst_of([need(skills=())], [offer(skills=(5,))]), {1: 10}) == ["skills"]


def test_same_category_without_a_wanted_skill_needs_category_only():
    strict = inst_of([need(skills=(1,), category=2)], [offer(skills=(5,), category=2)])
    assert rules(strict, {1: 10}) == ["skills"]
    loose = inst_of([need(skills=(1,), category=2, accepts_category_only=True)], [offer(skills=(5,), category=2)])
    assert rules(loose, {1: 10}) == []
    # another need of the instance accepting "category only" does not make this one accept it
    mixed = inst_of(
        [need(1, skills=(1,), category=2), need(2, skills=(1,), category=2, accepts_category_only=True)],
        [offer(skills=(5,), category=2, capacity=2)],
    )
    assert rules(mixed, {1: 10, 2: 10}) == ["skills"]
    assert [v.need_id for v in check_assignments(mixed, {1: 10, 2: 10})] == [1]


def test_more_than_64_skills():
    inst = inst_of([need(skills=(3, 70, 130))], [offer(skills=(130, 131))], n_skills=140)
    assert rules(inst, {1: 10}) == []
    other = inst_of([need(skills=(3, 70, 130))], [offer(skills=(64, 71, 131))], n_skills=140)
    assert rules(other, {1: 10}) == ["skills"]


# ------------------------------------------------------------------ place: radius, modality, remote


@pytest.mark.parametrize(
    "a, b",
    [(BREST, QUIMPER), (POINTE_A_PITRE, BASSE_TERRE), (SAINT_DENIS, SAINT_PIERRE), (MARSEILLE, BREST)],
    ids=["brittany", "guadeloupe", "reunion", "marseille-brest"],
)
def test_radius_edge_everywhere(a, b):
    """Just inside the radius is served on site, just outside is not, west of Greenwich and south of
    the equator as in Marseille (the distance is the great-circle one)."""
    d = float(haversine_km(a[0], a[1], b[0], b[1]))
    assert d > 30
    inside = inst_of([need(place=a)], [offer(place=b, radius_km=d * (1 + 1e-7))])
    outside = inst_of([need(place=a)], [offer(place=b, radius_km=d * (1 - 1e-7))])
    assert rules(inside, {1: 10}) == []
    assert rules(outside, {1: 10}) == ["place"]


def test_radius_exactly_the_distance_is_inside():
    """A radius equal to the distance is inside: an offer of radius 0 at the need's very address (a
    distance of exactly 0), even without any tolerance."""
    same = inst_of([need(place=BREST)], [offer(place=BREST, radius_km=0.0)])
    assert pair_rules(same, tol_km=0.0) == []
    assert rules(same, {1: 10}) == []
    next_door = inst_of([need(place=BREST)], [offer(place=(BREST[0] + 1e-5, BREST[1]), radius_km=0.0)])
    assert pair_rules(next_door) == ["place"]


def test_the_tolerance_is_a_millimetre():
    inst = inst_of([need(place=BREST)], [offer(place=QUIMPER)])
    d = float(haversine_km(BREST[0], BREST[1], QUIMPER[0], QUIMPER[1]))
    assert pair_rules(inst.replace(offer_radius_km=[d - 5e-7])) == []  # within the default 1e-6 km
    assert pair_rules(inst.replace(offer_radius_km=[d - 5e-7]), tol_km=0.0) == ["place"]
    assert pair_rules(inst.replace(offer_radius_km=[d - 5e-6])) == ["place"]


@pytest.mark.parametrize(
    "modality, accepts_remote, accepts_onsite, near, ok",
    [
        ("onsite", False, True, True, True),
        ("onsite", True, True, False, False),  # on-site offer out of reach: remote acceptance does not help
        ("onsite", True, False, True, False),  # remote-only need next door
        ("remote", False, True, True, False),  # remote offer, need wants on site
        ("remote", True, True, False, True),
        ("remote", True, False, False, True),
        ("both", False, True, True, True),
        ("both", False, True, False, False),
        ("both", True, True, False, True),
        ("both", True, False, True, True),  # served remotely
        ("both", False, False, True, False),  # a need that accepts nothing
    ],
)
def test_modality_and_remote(modality, accepts_remote, accepts_onsite, near, ok):
    place = QUIMPER if near else SAINT_DENIS
    inst = inst_of(
        [need(place=BREST, accepts_remote=accepts_remote, accepts_onsite=accepts_onsite)],
        [offer(place=place, radius_km=80.0, modality=modality)],
    )
    assert rules(inst, {1: 10}) == ([] if ok else ["place"])


# ------------------------------------------------------------------ funding, windows


@pytest.mark.parametrize("need_f", FUNDING_MODES)
@pytest.mark.parametrize("offer_f", FUNDING_MODES)
def test_funding(need_f, offer_f):
    inst = inst_of([need(funding=need_f)], [offer(funding=offer_f)])
    assert rules(inst, {1: 10}) == ([] if offer_f in FUNDING_COMPAT[need_f] else ["funding"])


@pytest.mark.parametrize(
    "need_window, offer_window, ok",
    [
        ((10, 20), (20, 30), True),  # touching on the need's last day
        ((10, 20), (21, 30), False),
        ((20, 30), (10, 20), True),  # touching on the need's first day
        ((21, 30), (10, 20), False),
        ((10, 30), (15, 16), True),
        ((15, 16), (10, 30), True),
        ((None, None), (5, 6), True),
        ((10, None), (None, 9), False),
    ],
)
def test_windows(need_window, offer_window, ok):
    def day(v):
        return None if v is None else dt.date(2026, 3, 1) + dt.timedelta(days=v)

    inst = inst_of(
        [need(start=day(need_window[0]), end=day(need_window[1]))],
        [offer(start=day(offer_window[0]), end=day(offer_window[1]))],
    )
    assert rules(inst, {1: 10}) == ([] if ok else ["time"])


# ------------------------------------------------------------------ exclusions, organisation, charter


def test_an_excluded_pair_is_refused_also_by_check_pair_alone():
    inst = inst_of([need()], [offer()], excluded_pairs=[(1, 10)])
    assert rules(inst, {1: 10}) == ["excluded"]
    assert pair_rules(inst) == ["excluded"]  # check_pair reads the instance's exclusions by itself
    assert pair_rules(inst, excluded=set()) == []
    assert pair_rules(inst_of([need()], [offer()])) == []


@pytest.mark.parametrize("org", [0, 7])
def test_a_provider_of_the_needs_organisation_is_refused(org):
    inst = inst_of([need(org_id=org)], [offer()], [Provider(100, org_ids=frozenset({org}))])
    assert rules(inst, {1: 10}) == ["own_organisation"]
    other = inst_of([need(org_id=org)], [offer()], [Provider(100, org_ids=frozenset({org + 1}))])
    assert rules(other, {1: 10}) == []
    no_org = inst_of([need()], [offer()], [Provider(100, org_ids=frozenset({org}))])
    assert rules(no_org, {1: 10}) == []


@pytest.mark.parametrize(
    "preference, provider_charter, offer_charter, ok",
    [
        ("only", 0.5, None, True),  # inherits its provider's label
        ("only", 0.0, None, False),
        ("only", None, None, False),  # nothing known: no label
        ("only", 0.0, 0.7, True),  # its own label wins
        ("only", 0.9, 0.0, False),  # its own "no label" wins too
        ("prefer", 0.0, None, True),  # a preference is no rule
        ("", None, None, True),
    ],
)
def test_charter_only(preference, provider_charter, offer_charter, ok):
    inst = inst_of(
        [need(charter_preference=preference)],
        [offer(charter=offer_charter)],
        [Provider(100, charter=provider_charter)],
    )
    assert rules(inst, {1: 10}) == ([] if ok else ["charter_only"])


def test_charter_only_with_an_offer_inheriting_among_labelled_ones():
    inst = inst_of(
        [need(1, charter_preference="only"), need(2, charter_preference="only")],
        [offer(10, charter=0.8), offer(11, provider=101)],
        [Provider(100, charter=0.0), Provider(101, charter=0.6)],
    )
    assert rules(inst, {1: 10, 2: 11}) == []
    assert rules(inst.replace(provider_charter=None), {1: 10, 2: 11}) == ["charter_only"]


# ------------------------------------------------------------------ capacity (consumed, fixed)


def test_capacity_partly_consumed():
    needs = [need(i) for i in (1, 2, 3, 4)]
    inst = inst_of(needs, [offer(capacity=5, consumed=3)])
    assert rules(inst, {1: 10, 2: 10}) == []
    over = check_assignments(inst, {1: 10, 2: 10, 3: 10})
    assert [(v.rule, v.offer_id) for v in over] == [("capacity", 10)]


def test_capacity_counts_fixed_assignments_once():
    needs = [need(i) for i in (1, 2, 3)]
    inst = inst_of(needs, [offer(capacity=3, consumed=1)], fixed=[(3, 10)])
    assert rules(inst, {1: 10}) == []
    assert rules(inst, {1: 10, 3: 10}) == []  # the fixed assignment itself, not a second use
    assert rules(inst, {1: 10, 2: 10}) == ["capacity"]
    assert rules(inst, {1: 10, 2: 10}, include_fixed=False) == ["capacity"]


def test_capacity_per_offer():
    inst = inst_of([need(1), need(2)], [offer(10), offer(11, provider=101)])
    assert rules(inst, {1: 10, 2: 11}) == []
    assert rules(inst, {1: 11, 2: 11}) == ["capacity"]


def test_a_fully_consumed_offer_takes_nothing():
    inst = inst_of([need()], [offer(capacity=2, consumed=2)])
    assert rules(inst, {1: 10}) == ["capacity"]


# ------------------------------------------------------------------ ids, fixed needs


def test_unknown_ids():
    inst = inst_of([need()], [offer()])
    assert rules(inst, {2: 10}) == ["unknown_need"]
    assert rules(inst, {1: 11}) == ["unknown_offer"]
    assert [(v.need_id, v.offer_id) for v in check_assignments(inst, {1: 11})] == [(1, 11)]


def test_a_fixed_need_takes_no_other_offer():
    inst = inst_of([need(1), need(2)], [offer(10, capacity=2), offer(11, provider=101)], fixed=[(1, 10)])
    assert rules(inst, {1: 10, 2: 10}) == []
    assert rules(inst, {1: 11}) == ["fixed_need"]
    assert rules(inst, {1: (10, 11)}) == ["fixed_need", "multiple_offers"]


def test_a_fixed_pair_breaking_a_rule_is_reported_unless_told_not_to():
    inst = inst_of([need(1, place=BREST), need(2)], [offer(10)], fixed=[(1, 10)])
    assert rules(inst, {}) == ["place"]
    assert rules(inst, {}, include_fixed=False) == []
    assert rules(inst, {1: 10}) == ["place"]  # reported once


def test_a_result_object_is_read_through_its_assignments():
    inst = inst_of([need(1), need(2)], [offer(10)])
    assert rules(inst, SimpleNamespace(assignments={1: 10, 2: 10})) == ["capacity"]
    assert rules(inst, SimpleNamespace(assignments={1: 10})) == []


# ------------------------------------------------------------------ one offer per need, two experts


def test_one_offer_per_need():
    inst = inst_of([need()], [offer(10), offer(11, provider=101)])
    assert rules(inst, {1: [10]}) == []
    assert rules(inst, {1: (10, 11)}) == ["multiple_offers"]


def test_two_experts():
    two = need(skills=(1, 2), experts_required=2)
    offers = [
        offer(10, skills=(1,)),
        offer(11, provider=101, skills=(2,)),
        offer(12, skills=(2,)),
        offer(13, provider=102, skills=(1,)),
    ]
    inst = inst_of([two], offers)
    assert rules(inst, {1: (10, 11)}) == []
    assert rules(inst, {1: 10}) == []  # one expert is allowed (the solvers may give one)
    assert rules(inst, {1: (10, 12)}) == ["two_experts"]  # the same provider twice
    assert rules(inst, {1: (10, 13)}) == ["two_experts"]  # skill 2 not covered
    assert rules(inst, {1: (10, 11, 13)}) == ["multiple_offers"]
    bad = check_assignments(inst, {1: (10, 12)})
    assert [(v.rule, v.need_id) for v in bad] == [("two_experts", 1)]


# ------------------------------------------------------------------ side constraints


def _department(n, dep="13", offers=None, **need_kw):
    needs = [need(i, dep_code=dep, **need_kw) for i in range(1, n + 1)]
    return needs, offers or [offer(10, capacity=n), offer(11, provider=101, capacity=n)]


def test_territory_share():
    needs, offers = _department(4)
    inst = inst_of(needs, offers)
    half = Side(territory_share=0.5)
    assert rules(inst, {1: 10, 2: 10, 3: 11, 4: 11}, side_constraints=half) == []
    assert rules(inst, {1: 10, 2: 10, 3: 10}, side_constraints=half) == ["territory_share"]
    assert rules(inst, {1: 10, 2: 10, 3: 10}) == []  # no side constraints, no side rule


def test_territory_share_rounding_and_minimum_cap():
    needs, offers = _department(50)
    inst = inst_of(needs, offers)
    assert 0.58 * 50 < 29  # 28.999999999999996: still 29 proposals allowed
    assert rules(inst, dict.fromkeys(range(1, 30), 10), side_constraints=Side(territory_share=0.58)) == []
    assert rules(inst, dict.fromkeys(range(1, 31), 10), side_constraints=Side(territory_share=0.58)) == [
        "territory_share"
    ]
    tiny = Side(territory_share=0.01, territory_min_cap=2)
    assert rules(inst, {1: 10, 2: 10}, side_constraints=tiny) == []
    assert rules(inst, {1: 10, 2: 10, 3: 10}, side_constraints=tiny) == ["territory_share"]


def test_territory_share_counts_the_run_needs_only():
    needs, offers = _department(6)
    inst = inst_of(needs, offers, fixed=[(5, 11), (6, 11)])  # 4 needs in the run
    half = Side(territory_share=0.5)
    assert rules(inst, {1: 10, 2: 10}, side_constraints=half) == []
    assert rules(inst, {1: 10, 2: 10, 3: 10}, side_constraints=half) == ["territory_share"]


def test_territory_share_per_department():
    needs = [need(1, dep_code="13"), need(2, dep_code="13"), need(3, dep_code="29"), need(4, dep_code="29")]
    inst = inst_of(needs, [offer(10, capacity=4)])
    half = Side(territory_share=0.5)
    assert rules(inst, {1: 10, 3: 10}, side_constraints=half) == []
    assert rules(inst, {1: 10, 2: 10, 3: 10}, side_constraints=half) == ["territory_share"]


def test_minimum_per_department():
    needs = [need(1, dep_code="13"), need(2, dep_code="13"), need(3, dep_code="971")]
    inst = inst_of(needs, [offer(10, capacity=3)])
    assert rules(inst, {1: 10, 2: 10}, side_constraints=Side(min_per_department={"13": 2})) == []
    assert rules(inst, {1: 10}, side_constraints=Side(min_per_department={"13": 2})) == ["min_per_department"]
    # one number: every département of the run
    assert rules(inst, {1: 10, 3: 10}, side_constraints=Side(min_per_department=1)) == []
    assert rules(inst, {1: 10, 2: 10}, side_constraints=Side(min_per_department=1)) == ["min_per_department"]
    # an assignment to an unknown offer serves nobody
    assert rules(inst, {1: 10, 3: 99}, side_constraints=Side(min_per_department=1)) == [
        "min_per_department",
        "unknown_offer",
    ]


def test_violations_are_values():
    """Two checks of the same answer give equal violations, usable as set members (a report can
    compare the violations of two runs)."""
    inst = inst_of([need(1), need(2)], [offer(10, skills=(4,))])
    first, second = check_assignments(inst, {1: 10, 2: 10}), check_assignments(inst, {1: 10, 2: 10})
    assert first == second
    assert set(first) == set(second) and len(set(first)) == 3
