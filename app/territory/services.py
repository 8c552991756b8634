"""Communes: loading the reference file, autocomplete, resolving form input."""

from __future__ import annotations

import csv
import gzip
import math
import re

from sqlalchemy import delete, func, insert, or_, select

from app.core.text import fold
from app.extensions import db
from app.territory.models import Commune

_LABEL = re.compile(r"^\s*(?P<name>.+?)\s*\((?P<code>[0-9AB]{2,5})\)\s*$")
REGION_SUD = "93"


def load_communes(path: str, batch: int = 5000) -> int:
    """Replace the commune table with the reference file. Returns the row count."""
    rows = []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            rows.append(
                {
                    "insee": r["insee"],
                    "name": r["name"],
                    "search_name": fold(r["name"]),
                    "postal_codes": r["postal_codes"],
                    "dep_code": r["dep_code"],
                    "dep_name": r["dep_name"],
                    "region_code": r["region_code"],
                    "region_name": r["region_name"],
                    "lat": float(r["lat"]) if r["lat"] else None,
                    "lon": float(r["lon"]) if r["lon"] else None,
                    "population": int(r["population"]) if r["population"] else None,
                }
            )
    db.session.execute(delete(Commune))
    for start in range(0, len(rows), batch):
        db.session.execute(insert(Commune), rows[start : start + batch])
    return len(rows)


def commune_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Commune)) or 0


def search_communes(query: str, limit: int = 10) -> list[Commune]:
    """Autocomplete by name (accents optional) or postal code, biggest first."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    if query[:2].isdigit():
        stmt = select(Commune).where(
            or_(
                Commune.postal_codes.startswith(query),
                Commune.postal_codes.contains(" " + query),
                Commune.insee == query,
            )
        )
    else:
        folded = fold(query)
        stmt = select(Commune).where(
            or_(Commune.search_name.startswith(folded), Commune.search_name.contains(" " + folded))
        )
    stmt = stmt.order_by(Commune.population.desc().nulls_last(), Commune.name).limit(limit)
    return list(db.session.scalars(stmt))


def resolve_commune(value: str) -> Commune | None:
    """Turn what a person typed (or an INSEE code) into one commune, or None.

    Accepts an INSEE code ("13055"), an autocomplete label ("Marseille (13001)"),
    or a bare name when it is unambiguous.
    """
    value = (value or "").strip()
    if not value:
        return None
    if re.fullmatch(r"[0-9][0-9AB][0-9]{3}", value):
        return db.session.get(Commune, value)
    match = _LABEL.match(value)
    name, code = (match["name"], match["code"]) if match else (value, None)
    stmt = select(Commune).where(Commune.search_name == fold(name))
    candidates = list(db.session.scalars(stmt))
    if code:
        candidates = [c for c in candidates if code in c.postal_code_list or c.dep_code == code or c.insee == code]
    return candidates[0] if len(candidates) == 1 else None


def distance_km(a: Commune, b: Commune) -> float | None:
    if None in (a.lat, a.lon, b.lat, b.lon):
        return None
    return haversine_km(a.lat, a.lon, b.lat, b.lon)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))
