"""Coverage ("zones blanches"): for every commune of the Région Sud and every skill group, how many
providers can serve it, by the matching engine's own candidate rules.

No rule is copied here: for each (commune, skill group) one probe need is built — at the commune's
town hall, wanting every skill of the group, any funding mode ("paid" accepts every offer's mode),
on site or remote, no time window, no organisation — and `matching.build_candidates` says which
offers could serve it, with the offers and providers exactly as a match run sees them
(`app.matches.instance.supply_records`: published offers, capacity left this month, charter levels).
A commune is "covered" for a group when its probe gets at least one candidate, which is exactly
when a real need there, wanting that group's skills, would (tests/observatory/test_coverage.py).

`compute` is a plain function over `matching` records; `coverage_from_db` reads the database;
`refresh` (the periodic job) stores the result as a snapshot that the pages read.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

import matching

SUD_REGION = "93"  # INSEE code of Provence-Alpes-Côte d'Azur (Région Sud)


@dataclass(frozen=True)
class Place:
    insee: str
    name: str
    dep: str
    lat: float
    lon: float
    population: int = 0


@dataclass
class Coverage:
    places: list[Place]
    groups: list[str]
    providers: np.ndarray  # (communes, groups): distinct providers that can serve
    onsite: np.ndarray  # (communes, groups): of which on site (within their radius)
    open_needs: np.ndarray  # (communes, groups): open needs wanting a skill of the group
    seconds: float = 0.0
    computed_at: datetime | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def index(self, insee: str) -> int:
        return next(i for i, p in enumerate(self.places) if p.insee == insee)

    def white_zones(self) -> list[dict]:
        """(commune, group) with open needs and no provider able to serve them, most unserved needs
        first, then the largest population."""
        rows = []
        for i, j in zip(*np.nonzero((self.providers == 0) & (self.open_needs > 0)), strict=True):
            p = self.places[i]
            rows.append(
                {
                    "insee": p.insee,
                    "name": p.name,
                    "dep": p.dep,
                    "population": p.population,
                    "group": self.groups[j],
                    "open_needs": int(self.open_needs[i, j]),
                }
            )
        rows.sort(key=lambda r: (-r["open_needs"], -r["population"], r["insee"], r["group"]))
        return rows

    def uncovered_communes(self, group: str | None = None) -> int:
        cols = self.providers if group is None else self.providers[:, [self.groups.index(group)]]
        return int((cols == 0).any(axis=1).sum()) if group is None else int((cols == 0).sum())

    def to_json(self) -> dict:
        return {
            "groups": self.groups,
            "places": [[p.insee, p.name, p.dep, p.lat, p.lon, p.population] for p in self.places],
            "providers": self.providers.tolist(),
            "onsite": self.onsite.tolist(),
            "open_needs": self.open_needs.tolist(),
            "seconds": self.seconds,
            "computed_at": self.computed_at.isoformat() if self.computed_at else None,
            "timings": self.timings,
        }

    @classmethod
    def from_json(cls, data: dict) -> Coverage:
        n, g = len(data["places"]), len(data["groups"])

        def arr(key):
            return np.array(data[key], dtype=np.int64).reshape(n, g)

        return cls(
            places=[Place(*row) for row in data["places"]],
            groups=list(data["groups"]),
            providers=arr("providers"),
            onsite=arr("onsite"),
            open_needs=arr("open_needs"),
            seconds=float(data.get("seconds", 0.0)),
            computed_at=datetime.fromisoformat(data["computed_at"]) if data.get("computed_at") else None,
            timings=dict(data.get("timings", {})),
        )


def compute(
    places: Sequence[Place],
    groups: dict[str, tuple[int, ...]],
    offers: Sequence[matching.Offer],
    providers: Sequence[matching.Provider],
    open_needs: dict[tuple[str, str], int] | None = None,
    *,
    n_skills: int = 0,
) -> Coverage:
    """`groups`: group code → the skill ids (matching's) of its skills."""
    t0 = time.perf_counter()
    codes = list(groups)
    n_groups = len(codes)
    probes = [
        matching.Need(
            id=i * n_groups + j,
            lat=p.lat,
            lon=p.lon,
            skills=groups[code],
            funding="paid",  # accepts offers of every funding mode
            accepts_remote=True,
            accepts_onsite=True,
            dep_code=p.dep,
            commune=p.insee,
        )
        for i, p in enumerate(places)
        for j, code in enumerate(codes)
    ]
    inst = matching.Instance.from_records(probes, list(offers), list(providers), n_skills=n_skills)
    t1 = time.perf_counter()
    cand = matching.build_candidates(inst)
    t2 = time.perf_counter()

    # distinct providers per probe: a (probes x providers) boolean table filled from the edges, in
    # slices of probes (the edges are grouped by need, `need_ptr` gives each slice's edges)
    provider_of = {o.id: o.provider_id for o in offers}
    dense = {pid: k for k, pid in enumerate(sorted(set(provider_of.values())))}
    offer_provider = np.array([dense[provider_of[int(i)]] for i in inst.offer_ids], dtype=np.int64)
    n_prov = max(len(dense), 1)
    probe_of_index = inst.need_ids.astype(np.int64)  # need index -> probe id (commune * groups + group)
    size = len(probes)
    step = max(1, 50_000_000 // n_prov)
    by_provider = np.zeros(size, np.int64)
    onsite = np.zeros(size, np.int64)
    onsite_edges = np.asarray(cand.onsite, bool)
    for lo in range(0, size, step):
        hi = min(size, lo + step)
        e0, e1 = int(cand.need_ptr[lo]), int(cand.need_ptr[hi])
        rows = cand.need_idx[e0:e1] - lo
        cols = offer_provider[cand.offer_idx[e0:e1]]
        table = np.zeros((hi - lo, n_prov), bool)
        table[rows, cols] = True
        by_provider[probe_of_index[lo:hi]] = table.sum(axis=1)
        table[:] = False
        keep = onsite_edges[e0:e1]
        table[rows[keep], cols[keep]] = True
        onsite[probe_of_index[lo:hi]] = table.sum(axis=1)
    by_provider = by_provider.reshape(len(places), n_groups)
    onsite = onsite.reshape(len(places), n_groups)
    needs = np.zeros((len(places), n_groups), np.int64)
    if open_needs:
        where = {p.insee: i for i, p in enumerate(places)}
        column = {c: j for j, c in enumerate(codes)}
        for (insee, code), count in open_needs.items():
            if insee in where and code in column:
                needs[where[insee], column[code]] = count
    t3 = time.perf_counter()
    return Coverage(
        places=list(places),
        groups=codes,
        providers=by_provider,
        onsite=onsite,
        open_needs=needs,
        seconds=t3 - t0,
        computed_at=datetime.now(UTC),
        timings={"probes": t1 - t0, "candidates": t2 - t1, "count": t3 - t2},
    )


def group_counts(skill_codes_per_need: Sequence[tuple[str, Sequence[str]]], group_of: dict[str, str]) -> Counter:
    """(commune, [skill codes]) per open need → {(commune, group): needs}; a need counts once per group."""
    out: Counter = Counter()
    for insee, skills in skill_codes_per_need:
        for group in {group_of[s] for s in skills if s in group_of}:
            out[(insee, group)] += 1
    return out
