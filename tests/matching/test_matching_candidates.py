"""Candidate rules one by one, and the vectorised builder against a brute-force
double loop over the independent checker's rules."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matching_helpers import PLACES, random_instance

from matching import FUNDING_COMPAT, Instance, Need, Offer, Provider, build_candidates
from matching.checker import check_pair
from matching.geo import haversine_km

MARSEILLE = (43.2965, 5.3698)
AIX = (43.5297, 5.4474)  # ~26.6 km from Marseille


def make(need_kw=None, offer_kw=None, provider_kw=None, **inst_kw):
    need = dict(
        id=1,
        lat=MARSEILLE[0],
        lon=MARSEILLE[1],
        skills=(1, 2),
        funding="paid",
        start=dt.date(2026, 3, 1),
        end=dt.date(2026, 3, 31),
        dep_code="13",
    )
    need.update(need_kw or {})
    offer = dict(
        id=10,
        provider_id=100,
        lat=MARSEILLE[0] + 0.01,
        lon=MARSEILLE[1],
        radius_km=20.0,
        skills=(2, 3),
        funding="volunteer",
        capacity=1,
    )
    offer.update(offer_kw or {})
    prov = dict(id=100)
    prov.update(provider_kw or {})
    return Instance.from_records(
        [Need(**need)], [Offer(**offer)], [Provider(**prov)], today=dt.date(2026, 2, 1), **inst_kw
    )


def n_cand(inst) -> int:
    return len(build_candidates(inst))


def test_base_pair_is_candidate():
    c = build_candidates(make())
    assert len(c) == 1
    assert c.coverage[0] == pytest.approx(0.5)  # covers skill 2 of {1, 2}
    assert c.distance_km[0] == pytest.approx(1.11, abs=0.01)
    assert c.onsite[0] and not c.remote[0]


def test_distance_inside_and_outside_radius():
    assert n_cand(make(offer_kw=dict(lat=AIX[0], lon=AIX[1], radius_km=25.0))) == 0
    assert n_cand(make(offer_kw=dict(lat=AIX[0], lon=AIX[1], radius_km=27.0))) == 1
    d = haversine_km(MARSEILLE[0], MARSEILLE[1], AIX[0], AIX[1])
    assert 26 < d < 27


@pytest.mark.parametrize(
    "accepts_remote,modality,expected",
    [
        (True, "both", 1),
        (True, "remote", 1),
        (True, "onsite", 0),
        (False, "both", 0),
        (False, "remote", 0),
    ],
)
def test_remote_out_of_radius(accepts_remote, modality, expected):
    far = dict(lat=43.7102, lon=7.2620, radius_km=30.0, modality=modality)  # Nice
    inst = make(need_kw=dict(accepts_remote=accepts_remote), offer_kw=far)
    c = build_candidates(inst)
    assert len(c) == expected
    if expected:
        assert c.remote[0] and not c.onsite[0]


def test_remote_only_offer_does_not_serve_onsite_need_within_radius():
    assert n_cand(make(offer_kw=dict(modality="remote"))) == 0
    assert n_cand(make(offer_kw=dict(modality="remote"), need_kw=dict(accepts_remote=True))) == 1


@pytest.mark.parametrize("need_f", ["volunteer", "voucher", "paid"])
@pytest.mark.parametrize("offer_f", ["volunteer", "voucher", "paid"])
def test_funding_table(need_f, offer_f):
    inst = make(need_kw=dict(funding=need_f), offer_kw=dict(funding=offer_f))
    assert n_cand(inst) == int(offer_f in FUNDING_COMPAT[need_f])


def test_funding_table_constant():
    assert {
        "volunteer": {"volunteer"},
        "voucher": {"voucher", "volunteer"},
        "paid": {"paid", "voucher", "volunteer"},
    } == FUNDING_COMPAT


@pytest.mark.parametrize(
    "start,end,expected",
    [
        (dt.date(2026, 4, 1), dt.date(2026, 5, 1), 0),  # after the need
        (dt.date(2026, 1, 1), dt.date(2026, 2, 28), 0),  # before the need
        (dt.date(2026, 3, 31), dt.date(2026, 5, 1), 1),  # touches the last day
        (dt.date(2026, 1, 1), dt.date(2026, 3, 1), 1),  # touches the first day
        (None, None, 1),  # open-ended availability
        (None, dt.date(2026, 3, 10), 1),
        (dt.date(2026, 3, 20), None, 1),
        (dt.date(2026, 4, 1), None, 0),
    ],
)
def test_time_windows(start, end, expected):
    assert n_cand(make(offer_kw=dict(start=start, end=end))) == expected


def test_time_windows_numpy_datetime64():
    inst = make(offer_kw=dict(start=np.datetime64("2026-03-15"), end=np.datetime64("2026-06-01")))
    assert n_cand(inst) == 1
    inst = make(offer_kw=dict(start=np.datetime64("2026-04-15"), end=np.datetime64("2026-06-01")))
    assert n_cand(inst) == 0


def test_capacity_exhausted():
    assert n_cand(make(offer_kw=dict(capacity=2, consumed=1))) == 1
    assert n_cand(make(offer_kw=dict(capacity=2, consumed=2))) == 0
    assert n_cand(make(offer_kw=dict(capacity=0))) == 0


def test_capacity_consumed_by_fixed_assignment():
    needs = [Need(i, MARSEILLE[0], MARSEILLE[1], skills=(2,)) for i in (1, 2)]
    offers = [Offer(10, 100, MARSEILLE[0], MARSEILLE[1], 10.0, skills=(2,), capacity=1)]
    inst = Instance.from_records(needs, offers, [Provider(100)], fixed=[(1, 10)])
    c = build_candidates(inst)
    assert len(c) == 0  # need 1 is fixed (out of the run), offer 10 is full
    inst2 = Instance.from_records(
        needs,
        [Offer(10, 100, MARSEILLE[0], MARSEILLE[1], 10.0, skills=(2,), capacity=2)],
        [Provider(100)],
        fixed=[(1, 10)],
    )
    c2 = build_candidates(inst2)
    assert c2.need_idx.tolist() == [1]


def test_explicit_exclusion():
    assert n_cand(make(excluded_pairs=[(1, 10)])) == 0


def test_provider_belongs_to_need_organisation():
    assert n_cand(make(need_kw=dict(org_id=7), provider_kw=dict(org_ids=frozenset({7, 8})))) == 0
    assert n_cand(make(need_kw=dict(org_id=7), provider_kw=dict(org_ids=frozenset({8})))) == 1
    assert n_cand(make(need_kw=dict(org_id=None), provider_kw=dict(org_ids=frozenset({8})))) == 1


def test_category_fallback():
    assert n_cand(make(offer_kw=dict(skills=(5,), category=3))) == 0
    # a need with skills is not served on its category alone (issue 15: such proposals served nothing)...
    inst = make(need_kw=dict(category=3), offer_kw=dict(skills=(5,), category=3))
    assert n_cand(inst) == 0
    assert [v[0] for v in check_pair(inst, 0, 0)] == ["skills"]
    # ...unless it accepts "category only"
    inst = make(need_kw=dict(category=3, accepts_category_only=True), offer_kw=dict(skills=(5,), category=3))
    c = build_candidates(inst)
    assert len(c) == 1 and c.coverage[0] == 0.0
    assert check_pair(inst, 0, 0) == []
    # a need without skills, matched by category, has full coverage
    c = build_candidates(make(need_kw=dict(skills=(), category=3), offer_kw=dict(skills=(5,), category=3)))
    assert len(c) == 1 and c.coverage[0] == 1.0


def test_many_skills_use_several_bitset_words():
    inst = make(need_kw=dict(skills=(3, 70, 130)), offer_kw=dict(skills=(70, 130, 131)), n_skills=140)
    c = build_candidates(inst)
    assert len(c) == 1 and c.n_covered[0] == 2


def brute_force_pairs(inst):
    rem = inst.remaining_capacity()
    fixed_needs = set(inst.fixed[:, 0].tolist())
    excl = {(a, b) for a, b in inst.excluded.tolist()}
    out = set()
    for n in range(inst.n_needs):
        if n in fixed_needs:
            continue
        for o in range(inst.n_offers):
            if rem[o] > 0 and not check_pair(inst, n, o, excluded=excl):
                out.add((n, o))
    return out


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 25),
    m=st.integers(1, 12),
    cell=st.sampled_from([None, 0.7, 3.0, 50.0]),
    nsk=st.sampled_from([6, 70]),
)
def test_builder_matches_brute_force(seed, n, m, cell, nsk):
    inst = random_instance(seed, n, m, n_skills=nsk, fixed=seed % 3)
    c = build_candidates(inst, cell_km=cell, chunk_pairs=7)
    got = list(zip(c.need_idx.tolist(), c.offer_idx.tolist(), strict=True))
    assert len(got) == len(set(got)), "duplicate edges"
    assert set(got) == brute_force_pairs(inst)
    assert np.all(np.diff(c.need_idx) >= 0)
    assert c.need_ptr[-1] == len(c)
    for e, (a, b) in enumerate(got):
        d = haversine_km(inst.need_lat[a], inst.need_lon[a], inst.offer_lat[b], inst.offer_lon[b])
        assert c.distance_km[e] == pytest.approx(d, abs=1e-6)
        wanted = set(inst.need_skill_list(a))
        cov = len(wanted & set(inst.offer_skill_list(b))) / len(wanted) if wanted else 1.0
        assert c.coverage[e] == pytest.approx(cov)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 25),
    m=st.integers(1, 12),
    place=st.sampled_from(sorted(PLACES)),
    nsk=st.sampled_from([6, 70, 130]),
)
def test_builder_matches_brute_force_all_over_france(seed, n, m, place, nsk):
    """Issue 15: every test instance used to lie between longitudes 5.0 and 5.8, so a sign error on the
    longitude went unnoticed; here boxes west of Greenwich, across it, and overseas (both hemispheres),
    with consumed capacities and more than 64 (and 128) skills."""
    inst = random_instance(seed, n, m, n_skills=nsk, fixed=seed % 3, origin=PLACES[place])
    c = build_candidates(inst, chunk_pairs=11)
    got = list(zip(c.need_idx.tolist(), c.offer_idx.tolist(), strict=True))
    assert len(got) == len(set(got)), "duplicate edges"
    assert set(got) == brute_force_pairs(inst)
    for e, (a, b) in enumerate(got):
        d = haversine_km(inst.need_lat[a], inst.need_lon[a], inst.offer_lat[b], inst.offer_lon[b])
        assert c.distance_km[e] == pytest.approx(d, abs=1e-6)


def test_a_remote_only_need_is_never_served_on_site():
    """A need that accepts only remote work: an on-site-only offer next door does not
    serve it; a remote-capable one does, in remote mode."""
    import datetime as dt

    from matching import Instance, Need, Offer, Provider, build_candidates, check_assignments

    need = Need(
        id=1,
        lat=43.2965,
        lon=5.3698,
        skills=(0,),
        accepts_remote=True,
        accepts_onsite=False,
        start=dt.date(2027, 1, 1),
        end=dt.date(2027, 2, 1),
    )
    onsite = Offer(
        id=10, provider_id=100, lat=43.2965, lon=5.3698, radius_km=20, skills=(0,), modality="onsite", capacity=1
    )
    both = Offer(id=11, provider_id=101, lat=43.30, lon=5.37, radius_km=20, skills=(0,), modality="both", capacity=1)
    inst = Instance.from_records([need], [onsite, both], [Provider(id=100), Provider(id=101)])
    cand = build_candidates(inst)
    offers = [int(inst.offer_ids[o]) for o in cand.offer_idx]
    assert offers == [11]
    assert not bool(cand.onsite[0]) and bool(cand.remote[0])
    assert [v.rule for v in check_assignments(inst, {1: 10})] == ["place"]
    assert check_assignments(inst, {1: 11}) == []


def test_arrays_with_a_repeated_skill_are_deduplicated_at_construction():
    """Issue 15: an Instance built from arrays with a repeated skill id got duplicate edges and half the
    coverage; `from_records` deduplicated, arrays did not."""
    base = make(need_kw=dict(skills=(1, 2)), offer_kw=dict(skills=(2, 3)))
    twice = base.replace(
        need_skills_ptr=np.array([0, 4]),
        need_skills=np.array([2, 1, 2, 1]),
        offer_skills_ptr=np.array([0, 3]),
        offer_skills=np.array([3, 2, 2]),
    )
    assert twice.need_skills.tolist() == [1, 2] and twice.offer_skills.tolist() == [2, 3]
    a, b = build_candidates(base), build_candidates(twice)
    assert len(b) == len(a) == 1
    assert b.coverage.tolist() == a.coverage.tolist() == [0.5]


def test_checker_counts_consumed_capacity():
    """Issue 15: no checker test over-assigned an offer whose capacity is partly consumed."""
    from matching import Instance, Need, Offer, Provider, check_assignments

    needs = [Need(i, MARSEILLE[0], MARSEILLE[1], skills=(2,)) for i in (1, 2, 3)]
    offer = Offer(10, 100, MARSEILLE[0], MARSEILLE[1], 10.0, skills=(2,), capacity=3, consumed=2)
    inst = Instance.from_records(needs, [offer], [Provider(100)])
    assert check_assignments(inst, {1: 10}) == []
    over = check_assignments(inst, {1: 10, 2: 10})
    assert [v.rule for v in over] == ["capacity"] and over[0].offer_id == 10
    # with a fixed assignment on top of the consumed capacity, even one more is too many
    inst_fixed = Instance.from_records(
        needs, [Offer(10, 100, *MARSEILLE, 10.0, skills=(2,), capacity=4, consumed=2)], [Provider(100)], fixed=[(3, 10)]
    )
    assert check_assignments(inst_fixed, {1: 10}) == []
    assert [v.rule for v in check_assignments(inst_fixed, {1: 10, 2: 10})] == ["capacity"]
