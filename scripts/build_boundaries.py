#!/usr/bin/env python3
"""Build the vendored municipal boundaries in src/tsunagu/maps/boundaries/ from a PyPI package.

    .venv/bin/python scripts/build_boundaries.py            download the pinned wheel and build
    .venv/bin/python scripts/build_boundaries.py --wheel W  build from a wheel already on disk
    .venv/bin/python scripts/build_boundaries.py --check    exit 1 if the vendored files differ

Source: the PyPI package ``reversejp`` 0.1.1 (MIT; a reverse geocoder) embeds, as ZIP archives
inside its compiled module, the Japan Meteorological Agency's generalised polygons of the
「市町村等（土砂災害警戒情報等）」 areas (気象庁 bosai ``landslides_0.json`` … ``landslides_9.json``),
one MultiPolygon per area with a 7-digit area code: the 5-digit 全国地方公共団体コード without its
check digit, then ``00`` for a whole municipality or two more digits for a part of one (浜松市南部,
北見市常呂 …). No network but PyPI is used, and no polygon is drawn by hand: every vertex here is a
vertex of those polygons (rounded to 4 decimal degrees, about 10 m, the precision they come in).

Processing (all of it; the file README.md beside the output says the same in Japanese):
1. The wheel's SHA-256 is checked against the pinned value, its ``reversejp.abi3.so`` read, and the
   ZIP archives found in it by their end-of-central-directory records.
2. Areas are grouped by their first five digits: the parts of a split municipality become one
   feature (MultiPolygon of the parts, with an ``outline`` of the edges that are not shared
   between two parts, so the map draws no line inside one municipality). 京都市 and 広島市 come as
   wards; each ward is kept as its own feature and the city is built from its wards the same way.
3. The area ``hoppo`` (the six villages of the 北方領土 as one polygon) has no municipal code and is
   left out.
4. One GeoJSON FeatureCollection per prefecture (``01.geojson`` … ``47.geojson``) and
   ``index.json`` (code → prefecture, name, level, parent city, bounding box) are written with
   sorted keys and no dates, so a rebuild from the same wheel gives the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter, defaultdict
from itertools import pairwise
from pathlib import Path
from typing import Any

PACKAGE = "reversejp"
VERSION = "0.1.1"
WHEEL = "reversejp-0.1.1-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_SHA256 = "2711a4ba9f60822753e7e6c03e7c904d01c5d9f5f9ab1e2c6091bc05e1675647"
MODULE = "reversejp/reversejp.abi3.so"
SOURCES = [f"landslides_{i}.json" for i in range(10)]
# Designated cities that the source divides into wards rather than parts.
CITIES_OF_WARDS = {"26100": "京都市", "34100": "広島市"}
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "tsunagu" / "maps" / "boundaries"
DIGITS = 4

Point = tuple[float, float]


def check_digit(first_five: str) -> str:
    weights = (6, 5, 4, 3, 2)
    total = sum(int(d) * w for d, w in zip(first_five, weights, strict=True))
    return str((11 - total % 11) % 10)


def download(directory: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
         "--platform", "manylinux2014_x86_64", "--python-version", "3.11",
         "-d", str(directory), f"{PACKAGE}=={VERSION}"],
        check=True,
    )  # fmt: skip
    return directory / WHEEL


def embedded_archives(binary: bytes) -> dict[str, bytes]:
    """Every file of every ZIP archive embedded in a binary, found by its end record."""
    files: dict[str, bytes] = {}
    end = -1
    while (end := binary.find(b"PK\x05\x06", end + 1)) >= 0:
        directory_size, directory_offset = struct.unpack("<II", binary[end + 12 : end + 20])
        start = end - directory_size - directory_offset
        if start < 0:
            continue
        try:
            archive = zipfile.ZipFile(io.BytesIO(binary[start : end + 22]))
            for name in archive.namelist():
                files[name] = archive.read(name)
        except (zipfile.BadZipFile, ValueError):
            continue  # the four bytes were not an archive's end after all
    return files


def rounded(ring: list[list[float]]) -> list[Point]:
    out: list[Point] = []
    for lon, lat in ring:
        point = (round(lon, DIGITS), round(lat, DIGITS))
        if not out or out[-1] != point:
            out.append(point)
    return out


def polygons_of(feature: dict[str, Any]) -> list[list[list[Point]]]:
    polygons = []
    for polygon in feature["geometry"]["coordinates"]:
        rings = [r for r in (rounded(ring) for ring in polygon) if len(r) >= 4]
        if rings:
            polygons.append(rings)
    return polygons


def outline(polygons: list[list[list[Point]]]) -> list[list[Point]]:
    """The edges of the parts that no other part shares, chained into lines."""
    count: Counter[frozenset[Point]] = Counter()
    for polygon in polygons:
        for ring in polygon:
            for a, b in pairwise(ring):
                count[frozenset((a, b))] += 1
    outer: dict[Point, list[Point]] = defaultdict(list)
    edges = set()
    for polygon in polygons:
        for ring in polygon:
            for a, b in pairwise(ring):
                key = frozenset((a, b))
                if count[key] == 1 and key not in edges:
                    edges.add(key)
                    outer[a].append(b)
                    outer[b].append(a)
    lines: list[list[Point]] = []
    used: set[frozenset[Point]] = set()
    for start in sorted(outer):
        for step in outer[start]:
            if frozenset((start, step)) in used:
                continue
            line = [start, step]
            used.add(frozenset((start, step)))
            while True:
                here = line[-1]
                after = [p for p in outer[here] if frozenset((here, p)) not in used]
                if not after:
                    break
                used.add(frozenset((here, after[0])))
                line.append(after[0])
            lines.append(line)
    return lines


def bbox(polygons: list[list[list[Point]]]) -> list[float]:
    lons = [p[0] for polygon in polygons for ring in polygon for p in ring]
    lats = [p[1] for polygon in polygons for ring in polygon for p in ring]
    return [min(lons), min(lats), max(lons), max(lats)]


def feature(
    code5: str, name: str, level: str, polygons: list[list[list[Point]]], parts: int
) -> dict[str, Any]:
    properties: dict[str, Any] = {"code": code5 + check_digit(code5), "name": name, "level": level}
    if parts > 1:
        properties["outline"] = [[list(p) for p in line] for line in outline(polygons)]
    return {
        "type": "Feature",
        "id": code5,
        "properties": properties,
        "geometry": {
            "type": "MultiPolygon",
            "coordinates": [[[list(p) for p in ring] for ring in polygon] for polygon in polygons],
        },
    }


def municipal_name(names: list[str]) -> str:
    """浜松市南部 + 浜松市北部 → 浜松市; a single whole area keeps its own name."""
    if len(names) == 1:
        return names[0]
    first = names[0]
    for end in range(len(first), 0, -1):
        stem = first[:end]
        if all(n.startswith(stem) for n in names) and stem[-1] in "市町村区":
            return stem
    return first


def build(wheel: Path) -> dict[str, bytes]:
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{wheel.name}: SHA-256 {digest} is not the pinned {WHEEL_SHA256}")
    with zipfile.ZipFile(wheel) as archive:
        files = embedded_archives(archive.read(MODULE))
    areas: list[dict[str, Any]] = []
    for name in SOURCES:
        areas.extend(json.loads(files[name])["features"])
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for area in areas:
        code = area["properties"]["code"]
        if code.isdigit() and len(code) == 7:
            groups[code[:5]].append(area)
    features: dict[str, dict[str, Any]] = {}
    for code5, parts in sorted(groups.items()):
        polygons = [p for part in parts for p in polygons_of(part)]
        names = [p["properties"]["name"] for p in parts]
        parent = next((c for c in CITIES_OF_WARDS if code5[:2] == c[:2]), None)
        is_ward = parent is not None and 100 < int(code5[2:]) < 200
        level = "ward" if is_ward else "municipality"
        features[code5] = feature(code5, municipal_name(names), level, polygons, len(parts))
        if is_ward:
            features[code5]["properties"]["parent"] = parent + check_digit(parent)
    for city, name in CITIES_OF_WARDS.items():
        wards = [f for f in features.values() if f["properties"].get("parent", "")[:5] == city]
        polygons = [polygon for w in wards for polygon in w["geometry"]["coordinates"]]
        points = [[[tuple(p) for p in ring] for ring in polygon] for polygon in polygons]
        features[city] = feature(city, name, "municipality", points, len(wards))
    return serialise(features)


def serialise(features: dict[str, dict[str, Any]]) -> dict[str, bytes]:
    by_prefecture: dict[str, list[dict[str, Any]]] = defaultdict(list)
    index: dict[str, dict[str, Any]] = {}
    for code5 in sorted(features):
        item = features[code5]
        by_prefecture[code5[:2]].append(item)
        polygons = item["geometry"]["coordinates"]
        index[code5] = {
            "prefecture": code5[:2],
            "name": item["properties"]["name"],
            "level": item["properties"]["level"],
            "bbox": bbox(polygons),
            **({"parent": item["properties"]["parent"]} if "parent" in item["properties"] else {}),
        }
    out = {
        f"{pref}.geojson": dump({"type": "FeatureCollection", "features": items})
        for pref, items in sorted(by_prefecture.items())
    }
    out["index.json"] = dump(index)
    return out


def dump(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            + "\n").encode()  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help=f"a downloaded {WHEEL}")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        wheel = args.wheel or download(Path(scratch))
        built = build(wheel)
    if args.check:
        stale = [n for n, data in built.items() if not (OUT / n).is_file()
                 or (OUT / n).read_bytes() != data]  # fmt: skip
        for name in stale:
            print(f"differs: {name}", file=sys.stderr)
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.geojson"):
        if old.name not in built:
            old.unlink()
    for name, data in built.items():
        (OUT / name).write_bytes(data)
    total = sum(len(d) for d in built.values())
    print(f"wrote {len(built)} files, {total / 1e6:.2f} MB, to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
