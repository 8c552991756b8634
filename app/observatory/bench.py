"""Bench of the coverage ("zones blanches") over the whole Région Sud: every commune of the shipped
reference file (data/communes.csv.gz) × every skill group of the taxonomy, against a synthetic supply
of offers placed on real communes. `python -m app.observatory.bench [--offers N] [--seed S]`.

The goal (issue 17): under 10 s on the 2-core machine."""

from __future__ import annotations

import argparse
import csv
import gzip
import random
import sys
import time
from pathlib import Path

import matching
from app.observatory import coverage as cov

COMMUNES = Path(__file__).resolve().parents[2] / "data" / "communes.csv.gz"
SKILLS = Path(__file__).resolve().parents[1] / "directory" / "skills.yaml"
LIMIT_SECONDS = 10.0


def sud_places() -> list[cov.Place]:
    with gzip.open(COMMUNES, "rt", encoding="utf-8", newline="") as fh:
        return [
            cov.Place(r["insee"], r["name"], r["dep_code"], float(r["lat"]), float(r["lon"]), int(r["population"] or 0))
            for r in csv.DictReader(fh)
            if r["region_code"] == cov.SUD_REGION and r["lat"]
        ]


def skill_groups() -> dict[str, tuple[int, ...]]:
    import yaml

    data = yaml.safe_load(SKILLS.read_text(encoding="utf-8"))
    groups, next_id = {}, 0
    for node in data:
        ids = []
        for _child in node.get("children") or []:
            ids.append(next_id)
            next_id += 1
        if ids:
            groups[node["code"]] = tuple(ids)
    return groups


def synthetic_supply(places, groups, n_offers: int, seed: int):
    rng = random.Random(seed)
    all_skills = [s for ids in groups.values() for s in ids]
    n_providers = max(1, n_offers // 3)
    homes = {p: rng.choice(places) for p in range(n_providers)}
    offers = []
    for i in range(n_offers):
        provider = rng.randrange(n_providers)
        home = homes[provider]
        offers.append(
            matching.Offer(
                id=i,
                provider_id=provider,
                lat=home.lat,
                lon=home.lon,
                radius_km=rng.choice((5, 10, 20, 30, 50)),
                skills=tuple(rng.sample(all_skills, rng.randint(1, 3))),
                funding=rng.choice(("volunteer", "voucher", "paid")),
                modality=rng.choice(("onsite", "onsite", "both", "remote")),
                capacity=rng.randint(1, 5),
                consumed=0,
            )
        )
    providers = [matching.Provider(id=p) for p in range(n_providers)]
    open_needs = {(rng.choice(places).insee, rng.choice(list(groups))): rng.randint(1, 4) for _ in range(2000)}
    return offers, providers, open_needs, len(all_skills)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args(argv)
    places = sud_places()
    groups = skill_groups()
    offers, providers, open_needs, n_skills = synthetic_supply(places, groups, args.offers, args.seed)
    t0 = time.perf_counter()
    result = cov.compute(places, groups, offers, providers, open_needs, n_skills=n_skills)
    white = result.white_zones()
    seconds = time.perf_counter() - t0
    ok = seconds < LIMIT_SECONDS
    steps = ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items())
    print(
        f"observatory coverage: {len(places)} communes x {len(groups)} skill groups "
        f"({len(places) * len(groups)} probes), {len(offers)} offers of {len(providers)} providers: "
        f"{seconds:.2f} s ({steps}); {len(white)} white zones with open needs "
        f"[{'OK' if ok else 'SLOW'} < {LIMIT_SECONDS:.0f} s]"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
