"""Sanity checks on data/sud-outlines.json.gz (scripts/build_outlines.py): every commune of the Région Sud
in data/communes.csv.gz has an outline inside the région's box and, but for a few, an EPCI."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data"


def test_every_commune_of_the_region_has_an_outline_and_an_epci():
    with gzip.open(DATA / "sud-outlines.json.gz", "rt", encoding="utf-8") as fh:
        outlines = json.load(fh)
    with gzip.open(DATA / "communes.csv.gz", "rt", encoding="utf-8", newline="") as fh:
        sud = {r["insee"] for r in csv.DictReader(fh) if r["region_code"] == "93"}
    assert set(outlines["communes"]) == sud and len(sud) == 946
    grid = outlines["grid_degrees"]
    for insee, entry in outlines["communes"].items():
        assert entry["rings"], insee
        for ring in entry["rings"]:
            assert len(ring) % 2 == 0 and len(ring) >= 6
            lons, lats = ring[0::2], ring[1::2]
            assert min(lons) * grid >= 4.2 and max(lons) * grid <= 7.8, insee  # Région Sud's box
            assert min(lats) * grid >= 42.9 and max(lats) * grid <= 45.2, insee
    with_epci = [e for e in outlines["communes"].values() if "epci" in e]
    assert len(with_epci) == len(sud)
    assert all(e["epci"] in outlines["epci"] for e in with_epci)
    assert outlines["communes"]["13055"]["epci"] == "200054807"  # Marseille: Métropole d'Aix-Marseille-Provence
