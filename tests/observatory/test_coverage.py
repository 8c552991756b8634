"""Coverage ("zones blanches") agrees with the matching engine: a commune is covered for a skill group
exactly when a real need posted there, wanting that group's skills, gets at least one candidate."""

from __future__ import annotations

import random

import numpy as np
import pytest

import matching
from app.matches.instance import build_instance
from app.observatory import coverage as cov
from app.observatory.services import coverage_from_db, current_coverage, refresh_coverage, skill_groups

MARSEILLE = cov.Place("13055", "Marseille", "13", 43.29617, 5.36995, 870000)
GAP = cov.Place("05061", "Gap", "05", 44.55858, 6.07867, 41000)
NICE = cov.Place("06088", "Nice", "06", 43.70313, 7.26608, 340000)


def offer(i, provider, lat, lon, radius, skills, modality="onsite", capacity=3, consumed=0):
    return matching.Offer(
        id=i,
        provider_id=provider,
        lat=lat,
        lon=lon,
        radius_km=radius,
        skills=skills,
        funding="volunteer",
        modality=modality,
        capacity=capacity,
        consumed=consumed,
    )


def test_counts_distinct_providers_on_site_and_remote_and_ranks_white_zones():
    groups = {"presence": (0, 1), "securite": (2,)}
    offers = [
        offer(1, 100, 43.30, 5.38, 30, (0,)),  # Marseille, on site, presence
        offer(2, 100, 43.30, 5.38, 30, (1,)),  # same provider, other skill of the group: counted once
        offer(3, 101, 43.71, 7.26, 20, (0,)),  # Nice
        offer(4, 102, 48.85, 2.35, 10, (2,), modality="remote"),  # Paris, remote: serves everywhere
        offer(5, 103, 44.56, 6.08, 50, (1,), capacity=2, consumed=2),  # Gap, full this month: serves no one
    ]
    providers = [matching.Provider(id=i) for i in (100, 101, 102, 103)]
    open_needs = {("05061", "presence"): 2, ("13055", "presence"): 4, ("06088", "securite"): 1}
    got = cov.compute([MARSEILLE, GAP, NICE], groups, offers, providers, open_needs, n_skills=3)
    m, g, n = 0, 1, 2
    assert got.providers[:, 0].tolist() == [1, 0, 1]  # presence
    assert got.providers[:, 1].tolist() == [1, 1, 1]  # securite: the remote provider
    assert got.onsite[:, 1].tolist() == [0, 0, 0]
    assert got.onsite[m, 0] == 1 and got.onsite[n, 0] == 1 and got.onsite[g, 0] == 0
    assert got.white_zones() == [
        {"insee": "05061", "name": "Gap", "dep": "05", "population": 41000, "group": "presence", "open_needs": 2}
    ]
    again = cov.Coverage.from_json(got.to_json())
    assert np.array_equal(again.providers, got.providers) and again.places == got.places


@pytest.fixture
def network(factory):
    """Three providers: Aix (40 km, website skills, on site only), Gap (20 km, security, on site and
    remote), Nice (15 km, a paid offer)."""
    aix = factory.provider(commune="13001", radius_km=40, remote_capable=False)
    factory.offer(aix, skills=["presence.site_web"], modality="on_site")
    gap = factory.provider(commune="05061", radius_km=20, name="Numérique Alpin")
    factory.offer(gap, skills=["securite.sauvegardes"], modality="both")
    nice = factory.provider(commune="06088", radius_km=15, name="Azur Numérique")
    factory.offer(nice, skills=["gestion.tableur"], modality="on_site", price_mode="paid", price_cents=20000)
    return aix, gap, nice


def test_covered_exactly_when_a_real_need_there_gets_a_candidate(factory, network):
    """The property, on real rows: for communes across the région and every skill group, a need
    posted in the commune (any funding, on site or remote, no window) has a candidate exactly when
    the coverage counts a provider there."""
    coverage = coverage_from_db()
    groups = skill_groups()
    rng = random.Random(17)
    sample = ["13001", "13055", "05061", "06088", "84007", "04070", *rng.sample([p.insee for p in coverage.places], 10)]
    organisations = {}
    probes = {}
    for insee in sample:
        organisations[insee] = factory.organisation(commune=insee, name=f"Asso {insee}")
        for group, leaves in groups.items():
            need = factory.need(
                organisations[insee],
                skills=leaves,
                categories=[],
                funding_mode="paid",
                modality="both",
                title=f"Besoin {group}",
            )
            probes[need.id] = (insee, group)
    built = build_instance()
    cand = matching.build_candidates(built.instance)
    with_candidate = {int(built.instance.need_ids[i]) for i in np.unique(cand.need_idx)}
    coverage = coverage_from_db()  # the needs above are open now: they count as open needs too
    checked = 0
    for need_id, (insee, group) in probes.items():
        covered = coverage.providers[coverage.index(insee), coverage.groups.index(group)] > 0
        assert covered == (need_id in with_candidate), (insee, group)
        checked += 1
    assert checked == len(sample) * len(groups)
    # and the network above shows: Aix's website offer covers Marseille on site, not Gap
    presence = coverage.groups.index("presence")
    assert coverage.onsite[coverage.index("13055"), presence] >= 1
    assert coverage.open_needs[coverage.index("05061"), presence] == 1


def test_refresh_stores_a_snapshot_the_pages_read(app, factory, network, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path))
    fresh = current_coverage()  # no snapshot yet: computed and stored
    assert (tmp_path / "observatory" / "coverage.json").exists()
    assert len(fresh.places) > 900  # every commune of the Région Sud with a location
    assert {p.dep for p in fresh.places} == {"04", "05", "06", "13", "83", "84"}
    stored = refresh_coverage()
    assert np.array_equal(current_coverage().providers, stored.providers)
