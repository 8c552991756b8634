"""Sanity checks on data/communes.csv.gz (built by scripts/build_communes.py)."""

import csv
import gzip
from pathlib import Path

import pytest

COMMUNES_FILE = Path(__file__).resolve().parents[2] / "data" / "communes.csv.gz"

HEADER = [
    "insee",
    "name",
    "postal_codes",
    "dep_code",
    "dep_name",
    "region_code",
    "region_name",
    "lat",
    "lon",
    "population",
]

# (min_lat, max_lat, min_lon, max_lon), generous boxes
BOUNDS = {
    "metropole": (41.2, 51.2, -5.3, 9.7),
    "971": (15.8, 16.6, -61.9, -60.9),  # Guadeloupe
    "972": (14.3, 14.95, -61.3, -60.7),  # Martinique
    "973": (2.0, 6.0, -54.7, -51.5),  # Guyane
    "974": (-21.5, -20.8, 55.1, 55.9),  # La Réunion
    "976": (-13.1, -12.5, 44.9, 45.4),  # Mayotte
}


@pytest.fixture(scope="module")
def header_and_rows():
    with gzip.open(COMMUNES_FILE, "rt", encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [dict(zip(header, values, strict=True)) for values in reader]
    return header, rows


@pytest.fixture(scope="module")
def rows(header_and_rows):
    return header_and_rows[1]


@pytest.fixture(scope="module")
def by_insee(rows):
    return {r["insee"]: r for r in rows}


def test_header(header_and_rows):
    assert header_and_rows[0] == HEADER


def test_row_count_and_unique_codes(rows, by_insee):
    assert len(rows) > 34_000
    assert len(by_insee) == len(rows)
    assert all(len(r) == len(HEADER) for r in rows)
    assert [r["insee"] for r in rows] == sorted(r["insee"] for r in rows)


def test_marseille(by_insee):
    marseille = by_insee["13055"]
    assert marseille["name"] == "Marseille"
    assert marseille["dep_code"] == "13"
    expected = {f"130{n:02d}" for n in range(1, 17)}
    assert expected <= set(marseille["postal_codes"].split())
    assert abs(float(marseille["lat"]) - 43.29) < 0.05
    assert abs(float(marseille["lon"]) - 5.37) < 0.05
    assert int(marseille["population"]) > 800_000


def test_evry_courcouronnes_keeps_accents(by_insee):
    evry = by_insee["91228"]
    assert evry["name"] == "Évry-Courcouronnes"
    assert evry["dep_code"] == "91"
    assert evry["dep_name"] == "Essonne"


def test_paris_has_coordinates(by_insee):
    paris = by_insee["75056"]
    assert abs(float(paris["lat"]) - 48.86) < 0.05
    assert abs(float(paris["lon"]) - 2.35) < 0.05
    assert "75001" in paris["postal_codes"].split()


def test_articles_are_part_of_the_name(by_insee):
    assert by_insee["76351"]["name"] == "Le Havre"
    assert by_insee["17300"]["name"] == "La Rochelle"


def test_region_sud_departements(rows):
    departements = {r["dep_code"]: r["dep_name"] for r in rows if r["region_code"] == "93"}
    assert departements == {
        "04": "Alpes-de-Haute-Provence",
        "05": "Hautes-Alpes",
        "06": "Alpes-Maritimes",
        "13": "Bouches-du-Rhône",
        "83": "Var",
        "84": "Vaucluse",
    }


def test_fields_are_well_formed(rows):
    for r in rows:
        codes = r["postal_codes"].split()
        assert codes == sorted(codes), r
        assert all(len(c) == 5 and c.isdigit() for c in codes), r
        assert r["population"] == "" or r["population"].isdigit(), r
        assert r["name"] and r["name"] == r["name"].strip(), r
        assert r["insee"].startswith(r["dep_code"][:2]), r


def test_coordinates_within_bounds(rows):
    located = [r for r in rows if r["lat"] and r["lon"]]
    # the source lacks an outline and a town-hall point for only a handful
    assert len(rows) - len(located) < 50
    for r in located:
        lat, lon = float(r["lat"]), float(r["lon"])
        key = r["dep_code"] if len(r["dep_code"]) == 3 else "metropole"
        min_lat, max_lat, min_lon, max_lon = BOUNDS[key]
        assert min_lat <= lat <= max_lat and min_lon <= lon <= max_lon, r
