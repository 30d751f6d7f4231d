"""Coordinates: inside Japan, inside the publishing organisation's area, not swapped."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tsunagu.quality.areas import JAPAN, BBox
from tsunagu.quality.validate.columns import Pending

# English words count only on their own (「lat」, 「center_lat」), not inside 「platform」.
_LAT = re.compile(r"(.*?)(?:緯度|(?<![a-z])(?:latitude|lat)(?![a-z]))(.*)", re.IGNORECASE)
_LON = re.compile(r"(.*?)(?:経度|(?<![a-z])(?:longitude|long|lon|lng)(?![a-z]))(.*)", re.IGNORECASE)
MAX_NAME = 20  # longer names are descriptions that mention 緯度, not coordinate columns


def is_coordinate(name: str) -> bool:
    return len(name) <= MAX_NAME and (_LAT.fullmatch(name) or _LON.fullmatch(name)) is not None


@dataclass
class CoordinatePair:
    lat: int  # column indexes
    lon: int
    lat_name: str
    area: BBox | None

    def run(
        self, columns: Sequence[Sequence[object]], lines: Sequence[int], out: list[Pending]
    ) -> None:
        japan, area = JAPAN, self.area
        s, n, w, e = japan.min_lat, japan.max_lat, japan.min_lon, japan.max_lon
        for i, (la, lo) in enumerate(zip(columns[self.lat], columns[self.lon], strict=True)):
            if la is None or lo is None:
                continue
            try:
                lat = float(la)  # type: ignore[arg-type]
                lon = float(lo)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue  # not a number: the cell checks say so
            if s <= lat <= n and w <= lon <= e:
                if area is not None and not area.contains(lon, lat):
                    out.append(
                        (
                            lines[i],
                            self.lat,
                            "geo.outside_area",
                            self.lat_name,
                            None,
                            f"{lat:g}、経度 {lon:g}",
                        )
                    )
                continue
            rule = "geo.swapped" if s <= lon <= n and w <= lat <= e else "geo.outside_japan"
            out.append((lines[i], self.lat, rule, self.lat_name, None, f"{lat:g}、経度 {lon:g}"))


def coordinate_pairs(
    columns: list[str], shown: list[str], area: BBox | None
) -> list[CoordinatePair]:
    """Latitude and longitude columns paired by the rest of their names (緯度/経度,
    中心_緯度/中心_経度, lat/lon)."""
    lats: dict[tuple[str, str], int] = {}
    for i, name in enumerate(columns):
        if (m := _LAT.fullmatch(name)) and len(name) <= MAX_NAME:
            lats.setdefault((m[1], m[2]), i)
    pairs: list[CoordinatePair] = []
    for j, name in enumerate(columns):
        m = _LON.fullmatch(name)
        if m is None or len(name) > MAX_NAME:
            continue
        i = lats.get((m[1], m[2]))
        if i is not None and i != j:
            pairs.append(CoordinatePair(i, j, shown[i], area))
    return pairs
