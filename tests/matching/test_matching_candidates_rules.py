"""The candidate builder, rule by rule, on fixed instances all over France and overseas (issue 15,
point 5: the mutants of the builder must die here, deterministically and in a second).

Every test goes through :func:`matching.build_candidates` and asserts which (need, offer) edges
exist, how (on site, remote) and with which skill coverage; the larger ones compare the builder
with the independent checker's rules pair by pair (:func:`matching.checker.check_pair`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time

import numpy as np
import pytest

from matching import Instance, Need, Offer, Provider, build_candidates
from matching.checker import check_pair
from matching.geo import haversine_km

BREST = (48.3904, -4.4861)
NANTES = (47.2184, -1.5536)
BORDEAUX = (44.8378, -0.5792)  # west of Greenwich
TOULOUSE = (43.6047, 1.4442)  # east of it
MARSEILLE = (43.2965, 5.3698)
STRASBOURG = (48.5734, 7.7521)
LILLE = (50.6292, 3.0573)
POINTE_A_PITRE = (16.2411, -61.5331)
CAYENNE = (4.9224, -52.3135)
SAINT_DENIS = (-20.8821, 55.4507)  # Réunion, south of the equator
MAMOUDZOU = (-12.7806, 45.2279)
SAINT_PIERRE_MIQUELON = (46.7811, -56.1764)
EVERYWHERE = {
    "brest": BREST,
    "nantes": NANTES,
    "bordeaux": BORDEAUX,
    "toulouse": TOULOUSE,
    "marseille": MARSEILLE,
    "strasbourg": STRASBOURG,
    "lille": LILLE,
    "guadeloupe": POINTE_A_PITRE,
    "guyane": CAYENNE,
    "reunion": SAINT_DENIS,
    "mayotte": MAMOUDZOU,
    "saint_pierre": SAINT_PIERRE_MIQUELON,
}


def destination(place, bearing_deg, km):
    """The point ``km`` away from ``place`` on the great circle of bearing ``bearing_deg``."""
    lat1, lon1 = math.radians(place[0]), math.radians(place[1])
    delta, theta = km / 6371.0088, math.radians(bearing_deg)
    lat2 = math.asin(math.sin(lat1) * math.cos(delta) + math.cos(lat1) * math.sin(delta) * math.cos(theta))
    lon2 = lon1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(lat1), math.cos(delta) - math.sin(lat1) * math.sin(lat2)
    )
    return math.degrees(lat2), (math.degrees(lon2) + 540.0) % 360.0 - 180.0


def need(i, place, **kw) -> Need:
    kw.setdefault("skills", (1,))
    return Need(id=i, lat=place[0], lon=place[1], **kw)


def offer(i, place, provider=100, **kw) -> Offer:
    kw.setdefault("radius_km", 20.0)
    kw.setdefault("skills", (1,))
    kw.setdefault("capacity", 1)
    return Offer(id=i, provider_id=provider, lat=place[0], lon=place[1], **kw)


def inst_of(needs, offers, providers=None, **kw) -> Instance:
    if providers is None:
        providers = [Provider(p) for p in sorted({o.provider_id for o in offers})]
    return Instance.from_records(needs, offers, providers, today=dt.date(2026, 1, 1), **kw)


def edges(cand, inst) -> set[tuple[int, int]]:
    return {
        (int(inst.need_ids[a]), int(inst.offer_ids[b]))
        for a, b in zip(cand.need_idx.tolist(), cand.offer_idx.tolist(), strict=True)
    }


def edge_list(cand, inst) -> list[tuple[int, int]]:
    return [
        (int(inst.need_ids[a]), int(inst.offer_ids[b]))
        for a, b in zip(cand.need_idx.tolist(), cand.offer_idx.tolist(), strict=True)
    ]


def by_pair(cand, inst) -> dict[tuple[int, int], int]:
    return {pair: e for e, pair in enumerate(edge_list(cand, inst))}


def reference(inst) -> set[tuple[int, int]]:
    """The checker's rules pair by pair, the remaining capacity and the fixed needs."""
    rem = inst.remaining_capacity()
    fixed = set(inst.fixed[:, 0].tolist())
    return {
        (int(inst.need_ids[n]), int(inst.offer_ids[o]))
        for n in range(inst.n_needs)
        for o in range(inst.n_offers)
        if n not in fixed and rem[o] > 0 and not check_pair(inst, n, o)
    }


def well_formed(cand, inst) -> None:
    """One edge per pair, grouped by need, the CSR pointers giving each need's edges."""
    pairs = edge_list(cand, inst)
    assert len(pairs) == len(set(pairs)), "duplicate edges"
    for column in (cand.distance_km, cand.onsite, cand.remote, cand.coverage, cand.n_covered):
        assert len(column) == len(pairs)
    assert np.all(np.diff(cand.need_idx) >= 0)
    assert len(cand.need_ptr) == inst.n_needs + 1 and cand.need_ptr[0] == 0 and cand.need_ptr[-1] == len(pairs)
    for i in range(inst.n_needs):
        assert np.all(cand.need_idx[cand.need_ptr[i] : cand.need_ptr[i + 1]] == i)
    for e, (a, b) in enumerate(zip(cand.need_idx.tolist(), cand.offer_idx.tolist(), strict=True)):
        d = haversine_km(inst.need_lat[a], inst.need_lon[a], inst.offer_lat[b], inst.offer_lon[b])
        assert cand.distance_km[e] == pytest.approx(float(d), abs=1e-6)


# ------------------------------------------------------------------ radius edges, everywhere


BEARINGS = (0, 45, 90, 135, 180, 225, 270, 315)


def compass_instance(place, radius_km=20.0, far=None):
    """One offer at ``place``; needs just inside (ids 1xx) and just outside (ids 2xx) its radius in eight
    directions; optionally one need far away (id 999) that stretches the grid."""
    needs = []
    for k, bearing in enumerate(BEARINGS):
        needs.append(need(100 + k, destination(place, bearing, radius_km * (1 - 1e-6))))
        needs.append(need(200 + k, destination(place, bearing, radius_km * (1 + 1e-6))))
    if far is not None:
        needs.append(need(999, far))
    return inst_of(needs, [offer(10, place, radius_km=radius_km, capacity=50)])


@pytest.mark.parametrize("place", sorted(EVERYWHERE))
@pytest.mark.parametrize("cell_km", [None, 1.0, 7.0, 60.0])
def test_radius_edges_in_every_direction(place, cell_km):
    inst = compass_instance(EVERYWHERE[place])
    cand = build_candidates(inst, cell_km=cell_km)
    assert edges(cand, inst) == {(100 + k, 10) for k in range(len(BEARINGS))}
    assert cand.onsite.all() and not cand.remote.any()
    assert cand.distance_km == pytest.approx(np.full(len(BEARINGS), 20.0 * (1 - 1e-6)), abs=1e-6)
    well_formed(cand, inst)


@pytest.mark.parametrize(
    "place, far",
    [("brest", SAINT_DENIS), ("reunion", SAINT_PIERRE_MIQUELON), ("guadeloupe", STRASBOURG), ("lille", MAMOUDZOU)],
)
def test_radius_edges_with_a_grid_over_the_whole_republic(place, far):
    """Needs from Réunion to Saint-Pierre-et-Miquelon: a 1 km grid would have hundreds of millions of
    cells, the builder coarsens it and still finds exactly the needs inside the radius."""
    inst = compass_instance(EVERYWHERE[place], far=far)
    for cell_km in (None, 1.0):
        cand = build_candidates(inst, cell_km=cell_km)
        assert edges(cand, inst) == {(100 + k, 10) for k in range(len(BEARINGS))}
        assert cand.cell_km >= 1.0
    assert build_candidates(inst, cell_km=1.0).cell_km > 1.0


@pytest.mark.parametrize("radius_km", [0.5, 3.0, 150.0])
def test_radius_edges_for_small_and_large_radii(radius_km):
    inst = compass_instance(BREST, radius_km=radius_km)
    for cell_km in (None, 2.0):
        assert edges(build_candidates(inst, cell_km=cell_km), inst) == {(100 + k, 10) for k in range(len(BEARINGS))}


def test_offers_around_the_needs_in_every_direction():
    """The mirror case: one need, offers placed around it just inside and just outside their radius;
    the offers lie in grid cells around the need's on both sides of it."""
    for place in (BREST, POINTE_A_PITRE, SAINT_DENIS, STRASBOURG):
        offers = []
        for k, bearing in enumerate(BEARINGS):
            radius = 5.0 + 3 * k
            offers.append(offer(100 + k, destination(place, bearing, radius * (1 - 1e-6)), radius_km=radius))
            offers.append(offer(200 + k, destination(place, bearing, radius * (1 + 1e-6)), radius_km=radius))
        inst = inst_of([need(1, place)], offers)
        for cell_km in (None, 1.0, 4.0):
            cand = build_candidates(inst, cell_km=cell_km)
            assert edges(cand, inst) == {(1, 100 + k) for k in range(len(BEARINGS))}


# ------------------------------------------------------------------ remote and on site


def test_remote_and_onsite_modes():
    needs = [
        need(1, BREST),  # on site only (the default)
        need(2, BREST, accepts_remote=True),  # both
        need(3, BREST, accepts_remote=True, accepts_onsite=False),  # remote only
    ]
    offers = [
        offer(10, BREST, modality="onsite", capacity=3),
        offer(11, BREST, provider=101, modality="remote", capacity=3),
        offer(12, BREST, provider=102, modality="both", capacity=3),
        offer(13, SAINT_DENIS, provider=103, modality="both", capacity=3),  # far: remote only
        offer(14, SAINT_DENIS, provider=104, modality="onsite", capacity=3),  # far: nothing
    ]
    inst = inst_of(needs, offers)
    cand = build_candidates(inst)
    idx = by_pair(cand, inst)
    modes = {pair: (bool(cand.onsite[e]), bool(cand.remote[e])) for pair, e in idx.items()}
    assert modes == {
        (1, 10): (True, False),
        (1, 12): (True, False),
        (2, 10): (True, False),
        (2, 11): (False, True),
        (2, 12): (True, True),
        (2, 13): (False, True),
        (3, 11): (False, True),
        (3, 12): (False, True),
        (3, 13): (False, True),
    }
    assert edges(cand, inst) == reference(inst)
    well_formed(cand, inst)


def test_remote_edges_come_grouped_by_need():
    """Need 1 is served remotely only, need 2 on site only: the two joins' edges are merged per need."""
    needs = [need(1, STRASBOURG, accepts_remote=True, accepts_onsite=False), need(2, BREST), need(3, CAYENNE)]
    offers = [offer(10, BREST, modality="both", capacity=5), offer(11, CAYENNE, provider=101, capacity=5)]
    inst = inst_of(needs, offers)
    cand = build_candidates(inst)
    assert edge_list(cand, inst) == [(1, 10), (2, 10), (3, 11)]
    well_formed(cand, inst)


# ------------------------------------------------------------------ skills, categories, bitsets


@pytest.mark.parametrize("n_skills", [6, 64, 65, 128, 140, 200])
def test_skill_coverage_over_several_bitset_words(n_skills):
    top = n_skills - 1
    wanted = sorted({0, 3, top // 2, top})
    cases = {
        10: ([0, 3, top // 2, top], 4),
        11: ([top], 1),
        12: ([top // 2, top], 2),
        13: ([3, top // 2], 2),
        14: ([1], 0),  # nothing shared, another category: no edge
        15: ([0, 1], 1),
    }
    offers = [offer(k, BREST, provider=100 + k, skills=tuple(v), category=5) for k, (v, _c) in cases.items()]
    inst = inst_of([need(1, BREST, skills=tuple(wanted), category=4)], offers, n_skills=n_skills)
    cand = build_candidates(inst)
    idx = by_pair(cand, inst)
    got = {pair[1]: int(cand.n_covered[e]) for pair, e in idx.items()}
    want = {k: len(set(v) & set(wanted)) for k, (v, _c) in cases.items() if set(v) & set(wanted)}
    assert got == want
    for pair, e in idx.items():
        assert cand.coverage[e] == pytest.approx(got[pair[1]] / len(wanted))
    well_formed(cand, inst)


@pytest.mark.parametrize("n_skills", [6, 64, 140])
@pytest.mark.parametrize("modality, place", [("onsite", BREST), ("remote", SAINT_DENIS)])
def test_a_pair_sharing_skills_and_category_is_one_edge(n_skills, modality, place):
    """Shared skills in several bitset words and the same category: emitted once per shared token by the
    joins, kept once."""
    top = n_skills - 1
    skills = tuple(sorted({2, top // 2, top}))
    inst = inst_of(
        [need(1, BREST, skills=skills, category=0, accepts_category_only=True, accepts_remote=True)],
        [offer(10, place, skills=skills, category=0, modality=modality)],
        n_skills=n_skills,
    )
    cand = build_candidates(inst)
    assert edge_list(cand, inst) == [(1, 10)]
    assert cand.n_covered.tolist() == [len(skills)] and cand.coverage.tolist() == [1.0]


@pytest.mark.parametrize("n_skills", [64, 140])
def test_a_shared_last_skill_and_the_category(n_skills):
    """The highest skill id of the instance and the first category token are neighbours in the token
    space: the pair must still be one edge, covered by that skill."""
    top = n_skills - 1
    inst = inst_of(
        [need(1, BREST, skills=(top,), category=0, accepts_category_only=True)],
        [offer(10, BREST, skills=(top,), category=0)],
        n_skills=n_skills,
    )
    cand = build_candidates(inst)
    assert edge_list(cand, inst) == [(1, 10)] and cand.n_covered.tolist() == [1]


def test_categories_including_category_zero():
    needs = [
        need(1, BREST, skills=(), category=0),  # no skill: its category is enough
        need(2, BREST, skills=(7,), category=0),  # skills: the category alone is not enough
        need(3, BREST, skills=(7,), category=0, accepts_category_only=True),
        need(4, BREST, skills=(), category=3),
        need(5, BREST, skills=()),  # neither skill nor category: nothing
    ]
    offers = [
        offer(10, BREST, skills=(1,), category=0, capacity=9),
        offer(11, BREST, provider=101, skills=(1,), category=3, capacity=9),
        offer(12, BREST, provider=102, skills=(1,), capacity=9),
    ]
    inst = inst_of(needs, offers)
    cand = build_candidates(inst)
    assert edges(cand, inst) == {(1, 10), (3, 10), (4, 11)}
    idx = by_pair(cand, inst)
    assert cand.coverage[idx[(1, 10)]] == 1.0 and cand.coverage[idx[(3, 10)]] == 0.0
    # the same, remotely
    remote = inst_of(
        [
            need(
                n.id,
                CAYENNE,
                skills=n.skills,
                category=n.category,
                accepts_remote=True,
                accepts_category_only=n.accepts_category_only,
            )
            for n in needs
        ],
        [
            Offer(o.id, o.provider_id, o.lat, o.lon, o.radius_km, o.skills, o.category, modality="remote", capacity=9)
            for o in offers
        ],
    )
    assert edges(build_candidates(remote), remote) == {(1, 10), (3, 10), (4, 11)}


def test_categories_are_compacted_sparse_ids():
    needs = [need(1, BREST, skills=(), category=41), need(2, BREST, skills=(), category=7)]
    offers = [offer(10, BREST, skills=(1,), category=41, capacity=2), offer(11, BREST, provider=101, category=8)]
    inst = inst_of(needs, offers)
    assert edges(build_candidates(inst), inst) == {(1, 10)}


# ------------------------------------------------------------------ funding, windows


def test_funding_and_windows():
    def day(v):
        return dt.date(2026, 3, 1) + dt.timedelta(days=v)

    needs = [
        need(1, NANTES, funding="volunteer", start=day(10), end=day(20)),
        need(2, NANTES, funding="voucher", start=day(20), end=day(30)),
        need(3, NANTES, funding="paid", start=day(0), end=day(9)),
        need(4, NANTES, funding="paid"),
    ]
    offers = [
        offer(10, NANTES, funding="volunteer", start=day(20), end=day(25), capacity=9),  # touches need 1's end
        offer(11, NANTES, provider=101, funding="voucher", start=day(0), end=day(10), capacity=9),  # touches 1's start
        offer(12, NANTES, provider=102, funding="paid", start=day(10), end=day(19), capacity=9),
        offer(13, NANTES, provider=103, funding="voucher", start=day(31), capacity=9),
    ]
    inst = inst_of(needs, offers)
    cand = build_candidates(inst)
    assert edges(cand, inst) == {(1, 10), (2, 10), (3, 11), (4, 10), (4, 11), (4, 12), (4, 13)}
    assert edges(cand, inst) == reference(inst)


# ------------------------------------------------------------------ capacity, fixed, exclusions, charter


def test_capacity_consumed_and_fixed():
    needs = [need(i, BORDEAUX) for i in (1, 2, 3, 4)]
    offers = [
        offer(10, BORDEAUX, capacity=2, consumed=2),  # used up
        offer(11, BORDEAUX, provider=101, capacity=3, consumed=1),  # 2 left, one of them fixed
        offer(12, BORDEAUX, provider=102, capacity=2, consumed=1),  # 1 left, fixed: used up
        offer(13, BORDEAUX, provider=103, capacity=1),
    ]
    inst = inst_of(needs, offers, fixed=[(3, 11), (4, 12)])
    cand = build_candidates(inst)
    assert edges(cand, inst) == {(n, o) for n in (1, 2) for o in (11, 13)}
    assert cand.remaining.tolist() == [0, 1, 0, 1]
    assert cand.active_needs.tolist() == [True, True, False, False]
    well_formed(cand, inst)


def test_exclusions_and_organisations():
    needs = [
        need(1, TOULOUSE, org_id=0),
        need(2, TOULOUSE, org_id=2),
        need(3, TOULOUSE, org_id=9),  # an organisation no provider belongs to
        need(4, TOULOUSE),
        need(5, TOULOUSE, org_id=1),
    ]
    offers = [offer(o, TOULOUSE, provider=p, capacity=9) for o, p in ((10, 100), (11, 101), (12, 102), (13, 101))]
    providers = [Provider(100, org_ids=frozenset({0})), Provider(101, org_ids=frozenset({1, 2})), Provider(102)]
    excluded = [(4, 10), (4, 13), (1, 12), (5, 13), (3, 10)]
    inst = inst_of(needs, offers, providers, excluded_pairs=excluded)
    cand = build_candidates(inst)
    expected = {(n, o) for n in (1, 2, 3, 4, 5) for o in (10, 11, 12, 13)}
    expected -= {(1, 10), (2, 11), (2, 13), (5, 11), (5, 13)}  # own organisation
    expected -= set(excluded)
    assert edges(cand, inst) == expected
    assert edges(cand, inst) == reference(inst)
    well_formed(cand, inst)
    # the organisations the other way round: the last provider with organisations has the smallest one
    swapped = [Provider(100, org_ids=frozenset({1, 2})), Provider(101, org_ids=frozenset({0})), Provider(102)]
    inst = inst_of(needs, offers, swapped)
    all_pairs = {(n, o) for n in (1, 2, 3, 4, 5) for o in (10, 11, 12, 13)}
    assert edges(build_candidates(inst), inst) == all_pairs - {(2, 10), (5, 10), (1, 11), (1, 13)}
    # only exclusions, no organisation at all
    plain = inst_of(needs[3:], offers, [Provider(100), Provider(101), Provider(102)], excluded_pairs=[(4, 13), (5, 10)])
    assert edges(build_candidates(plain), plain) == {(n, o) for n in (4, 5) for o in (10, 11, 12, 13)} - {
        (4, 13),
        (5, 10),
    }


def test_charter_only():
    needs = [need(1, LILLE, charter_preference="only"), need(2, LILLE, charter_preference="prefer"), need(3, LILLE)]
    offers = [
        offer(10, LILLE, capacity=9),  # inherits 0.8
        offer(11, LILLE, provider=101, capacity=9),  # inherits 0
        offer(12, LILLE, provider=101, capacity=9, charter=0.5),  # its own label
        offer(13, LILLE, capacity=9, charter=0.0),  # its own "no label"
    ]
    inst = inst_of(needs, offers, [Provider(100, charter=0.8), Provider(101, charter=0.0)])
    cand = build_candidates(inst)
    assert edges(cand, inst) == {(1, 10), (1, 12)} | {(n, o) for n in (2, 3) for o in (10, 11, 12, 13)}
    well_formed(cand, inst)


# ------------------------------------------------------------------ chunks


@pytest.mark.parametrize("chunk_pairs", [1, 2, 5, 1000])
def test_tiny_chunks_give_the_same_edges(chunk_pairs):
    """Entries that each expand to more pairs than ``chunk_pairs`` still go through (one entry per
    chunk at least), on site and remotely."""
    needs = [need(i, MARSEILLE, skills=(1, 2), accepts_remote=i % 2 == 0) for i in range(1, 7)]
    offers = [offer(10 + k, MARSEILLE, provider=100 + k, skills=(1, 2), capacity=9) for k in range(5)]
    offers += [
        offer(20 + k, SAINT_DENIS, provider=200 + k, skills=(2,), modality="remote", capacity=9) for k in range(4)
    ]
    inst = inst_of(needs, offers)
    cand = build_candidates(inst, chunk_pairs=chunk_pairs)
    assert edges(cand, inst) == reference(inst)
    assert len(cand) == 6 * 5 + 3 * 4
    well_formed(cand, inst)


# ------------------------------------------------------------------ random instances everywhere


@pytest.mark.parametrize("seed", range(6))
def test_random_instances_all_over_france_match_the_checker(seed):
    """Fixed seeds (a mutant dies the same way every run): needs and offers around every place above,
    mixed modalities, funding, windows, consumed capacities, categories and 140 skills."""
    rng = np.random.default_rng(seed)
    places = list(EVERYWHERE.values())
    needs, offers = [], []
    for i in range(60):
        base = places[int(rng.integers(len(places)))]
        spot = destination(base, float(rng.uniform(0, 360)), float(rng.uniform(0, 40)))
        needs.append(
            need(
                i + 1,
                spot,
                skills=tuple(int(s) for s in rng.choice(140, size=int(rng.integers(0, 3)), replace=False)),
                category=int(rng.integers(0, 3)) if rng.random() < 0.5 else None,
                funding=("volunteer", "voucher", "paid")[int(rng.integers(3))],
                accepts_remote=bool(rng.random() < 0.4),
                accepts_onsite=bool(rng.random() < 0.85),
                accepts_category_only=bool(rng.random() < 0.3),
                start=None if rng.random() < 0.2 else dt.date(2026, 3, 1) + dt.timedelta(days=int(rng.integers(60))),
                end=None,
            )
        )
    for j in range(40):
        base = places[int(rng.integers(len(places)))]
        spot = destination(base, float(rng.uniform(0, 360)), float(rng.uniform(0, 40)))
        cap = int(rng.integers(1, 4))
        offers.append(
            offer(
                1000 + j,
                spot,
                provider=100 + int(rng.integers(8)),
                radius_km=float(rng.uniform(2, 60)),
                skills=tuple(int(s) for s in rng.choice(140, size=int(rng.integers(1, 40)), replace=False)),
                category=int(rng.integers(0, 3)),
                funding=("volunteer", "voucher", "paid")[int(rng.integers(3))],
                modality=("onsite", "remote", "both")[int(rng.integers(3))],
                capacity=cap,
                consumed=int(rng.integers(0, cap + 1)),
                end=None if rng.random() < 0.5 else dt.date(2026, 3, 1) + dt.timedelta(days=int(rng.integers(90))),
            )
        )
    inst = inst_of(needs, offers, [Provider(100 + p) for p in range(8)], n_skills=140)
    for cell_km in (None, 3.0):
        cand = build_candidates(inst, cell_km=cell_km, chunk_pairs=17)
        assert edges(cand, inst) == reference(inst)
        well_formed(cand, inst)
        idx = by_pair(cand, inst)
        for (a, b), e in idx.items():
            n, o = int(np.flatnonzero(inst.need_ids == a)[0]), int(np.flatnonzero(inst.offer_ids == b)[0])
            wanted, offered = set(inst.need_skill_list(n)), set(inst.offer_skill_list(o))
            assert int(cand.n_covered[e]) == len(wanted & offered)
            d = float(haversine_km(inst.need_lat[n], inst.need_lon[n], inst.offer_lat[o], inst.offer_lon[o]))
            onsite = inst.offer_modality[o] != 1 and d <= inst.offer_radius_km[o] and bool(inst.onsite_mask()[n])
            assert bool(cand.onsite[e]) == onsite
            assert bool(cand.remote[e]) == (bool(inst.need_remote[n]) and inst.offer_modality[o] != 0)


# ------------------------------------------------------------------ nothing to join


def test_nothing_to_join():
    only_remote_offers = inst_of([need(1, BREST)], [offer(10, BREST, modality="remote")])
    assert len(build_candidates(only_remote_offers)) == 0
    no_remote_need = inst_of([need(1, BREST)], [offer(10, CAYENNE, modality="both")])
    assert len(build_candidates(no_remote_need)) == 0
    all_fixed = inst_of([need(1, BREST)], [offer(10, BREST, capacity=2)], fixed=[(1, 10)])
    for inst in (only_remote_offers, no_remote_need, all_fixed):
        cand = build_candidates(inst)
        assert len(cand) == 0 and cand.n_edges == 0 and cand.need_ptr.tolist() == [0, 0]
        well_formed(cand, inst)
    for inst in (only_remote_offers, all_fixed):
        assert build_candidates(inst).cell_km == 0.0  # no on-site join ran: no grid


def test_each_step_reports_its_seconds():
    inst = compass_instance(BREST)
    inst = inst.replace(need_remote=np.ones(inst.n_needs, dtype=bool), offer_modality=[2])
    start = time.perf_counter()
    cand = build_candidates(inst)
    wall = time.perf_counter() - start
    steps = ("prepare", "grid", "join_onsite", "join_remote", "assemble")
    assert set(steps) | {"total"} <= set(cand.timings)
    for step in (*steps, "total"):
        assert 0.0 <= cand.timings[step] <= wall
    assert sum(cand.timings[step] for step in steps) <= cand.timings["total"] + 1e-9
    assert cand.raw_pairs >= len(cand) > 0


def test_candidates_cannot_be_altered_and_are_hashable():
    """A candidate set is shared by the scorer and the solvers: frozen, and usable as a key (by identity)."""
    cand = build_candidates(compass_instance(BREST))
    with pytest.raises(dataclasses.FrozenInstanceError):
        cand.need_idx = cand.need_idx[:0]  # type: ignore[misc]
    assert {cand: 1}[cand] == 1 and cand == cand and cand != build_candidates(compass_instance(BREST))


@pytest.mark.parametrize("place", ["brest", "guadeloupe", "reunion", "strasbourg"])
def test_the_onsite_join_looks_only_at_the_needs_near_each_offer(place):
    """The work stays local: with needs in a ring 80 to 300 km away in every direction, the on-site join
    meets only the 16 needs around the offer's disk (``raw_pairs``: pairs looked at before the rules)."""
    inst = compass_instance(EVERYWHERE[place])
    ring = [
        need(300 + k, destination(EVERYWHERE[place], bearing, km))
        for k, (bearing, km) in enumerate((b, d) for b in range(0, 360, 30) for d in (80, 150, 300))
    ]
    records = [
        need(int(i), (float(la), float(lo)))
        for i, la, lo in zip(inst.need_ids, inst.need_lat, inst.need_lon, strict=True)
    ]
    inst = inst_of(records + ring, [offer(10, EVERYWHERE[place], capacity=99)])
    cand = build_candidates(inst, cell_km=5.0)
    assert edges(cand, inst) == {(100 + k, 10) for k in range(len(BEARINGS))}
    assert cand.raw_pairs == 2 * len(BEARINGS)


WALLIS = (-13.2825, -176.1736)  # Wallis-et-Futuna, next to the antimeridian
FUTUNA = (-14.2936, -178.1250)
NOUMEA = (-22.2758, 166.4580)
PAPEETE = (-17.5516, -149.5585)


@pytest.mark.parametrize("cell_km", [None, 2.0, 40.0])
def test_across_the_antimeridian(cell_km):
    """Wallis-et-Futuna lies next to longitude 180: an offer there reaches needs on both sides of it."""
    spots = [
        destination(FUTUNA, bearing, km)
        for bearing in (0, 60, 90, 120, 180, 240, 270, 300)
        for km in (50.0, 299.0, 301.0, 600.0)
    ]
    inside = [spot for spot in spots if haversine_km(FUTUNA[0], FUTUNA[1], *spot) <= 300.0]
    assert any(lon > 179 for _lat, lon in inside) and any(lon < -178 for _lat, lon in inside)
    needs = [need(i + 1, spot) for i, spot in enumerate(spots)]
    offers = [offer(10, FUTUNA, radius_km=300.0, capacity=99), offer(11, (-13.3, 179.9), provider=101, capacity=99)]
    inst = inst_of(needs, offers)
    cand = build_candidates(inst, cell_km=cell_km)
    assert {n for n, o in edges(cand, inst) if o == 10} == {
        i + 1 for i, spot in enumerate(spots) if haversine_km(FUTUNA[0], FUTUNA[1], *spot) <= 300.0
    }
    assert edges(cand, inst) == reference(inst)
    well_formed(cand, inst)


@pytest.mark.parametrize("radius_km", [2500.0, 7000.0, 9000.0, 15000.0, 20100.0])
def test_huge_radii(radius_km):
    """Radii up to half the Earth's circumference (a provider who travels anywhere): the box of the disk
    spans every longitude once the disk reaches a pole or the radius a quarter of the circumference."""
    places = [*EVERYWHERE.values(), WALLIS, NOUMEA, PAPEETE]
    needs = [need(i + 1, place) for i, place in enumerate(places)]
    offers = [
        offer(10 + k, place, provider=100 + k, radius_km=radius_km, capacity=99)
        for k, place in enumerate((SAINT_DENIS, BREST, CAYENNE, NOUMEA, (70.0, 20.0)))
    ]
    inst = inst_of(needs, offers)
    for cell_km in (None, 50.0):
        cand = build_candidates(inst, cell_km=cell_km)
        assert edges(cand, inst) == reference(inst)
        well_formed(cand, inst)


@pytest.mark.parametrize("radius_km", [3000.0, 7000.0, 9000.0])
@pytest.mark.parametrize("place", ["reunion", "guyane", "saint_pierre"])
def test_a_ring_just_inside_a_huge_radius(place, radius_km):
    """Needs all around the edge of a disk thousands of km wide, where its box is widest in longitude."""
    centre = EVERYWHERE[place]
    ring = [need(k + 1, destination(centre, bearing, radius_km * 0.9999)) for k, bearing in enumerate(range(0, 360, 4))]
    inst = inst_of(ring, [offer(10, centre, radius_km=radius_km, capacity=999)])
    cand = build_candidates(inst)
    assert edges(cand, inst) == {(k + 1, 10) for k in range(len(ring))}
