"""Bounding boxes of Japan, its prefectures and municipalities, for coordinate plausibility checks.

The figures live in `areas.csv` (its first line names the source). A municipality without a row
falls back to its prefecture's box, so a check never gets stricter than the data supports.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tsunagu.catalog.local_codes import is_valid_local_gov_code, prefecture_code

_DATA = Path(__file__).with_name("areas.csv")


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lon: float, lat: float) -> bool:
        return self.min_lon <= lon <= self.max_lon and self.min_lat <= lat <= self.max_lat


# Generous on purpose: 与那国島 (122.93E) to 南鳥島 (153.98E), 沖ノ鳥島 (20.43N) to 択捉島 (45.56N).
JAPAN = BBox(min_lon=122.5, min_lat=20.0, max_lon=154.5, max_lat=46.0)


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    bbox: BBox


@cache
def _areas() -> dict[str, Area]:
    found: dict[str, Area] = {}
    with _DATA.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        for row in csv.DictReader(lines):
            box = BBox(
                float(row["min_lon"]),
                float(row["min_lat"]),
                float(row["max_lon"]),
                float(row["max_lat"]),
            )
            found[row["code"]] = Area(row["code"], row["name"], box)
    return found


def all_areas() -> list[Area]:
    """Every prefecture, municipality and ward with a row, in code order."""
    return sorted(_areas().values(), key=lambda a: a.code)


def area(local_gov_code: str) -> Area | None:
    """The area row for a 6-digit code itself (no prefecture fallback), if there is one."""
    return _areas().get(local_gov_code.strip())


def area_bbox(local_gov_code: str) -> BBox | None:
    """The box for a municipality or prefecture code; the prefecture's box when the
    municipality has no row; None for an invalid code or an unknown prefecture."""
    code = local_gov_code.strip()
    if not is_valid_local_gov_code(code):
        return None
    known = _areas().get(code)
    if known is not None:
        return known.bbox
    prefecture = _areas().get(prefecture_code(code))
    return prefecture.bbox if prefecture is not None else None
