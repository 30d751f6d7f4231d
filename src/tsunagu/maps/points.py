"""A source's rows as map features: coordinates checked, attributes named by the standard.

Coordinates are judged as the quality checks judge them (quality/validate/geo.py): a point
outside Japan's box is left off, and so is one whose latitude and longitude are the wrong way
round (it would be plotted in the ocean); both are listed for staff with the row they came from.
A row without coordinates is counted and listed too: nothing is geocoded from its address, since
that would need an outside service.
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tsunagu.catalog.local_codes import is_valid_local_gov_code
from tsunagu.context import Services
from tsunagu.datastore.ingest.infer import point_columns
from tsunagu.datastore.tables import quote
from tsunagu.maps.registry import (
    ADDRESS_FIELDS,
    COORDINATE_FIELDS,
    EXTRA_FIELDS,
    MUNICIPALITY_FIELDS,
    NAME_FIELDS,
    LayerSpec,
)
from tsunagu.maps.sources import Source
from tsunagu.quality.areas import JAPAN
from tsunagu.quality.standards import column_key, map_columns

log = logging.getLogger(__name__)

BATCH = 5000
# Values municipal files write for "nothing" (全角ハイフン, ダッシュ …).
_MISSING = frozenset({"", "-", "－", "―", "‐", "ー", "—", "なし", "null", "NULL", "None"})
_TRUE = frozenset({"1", "１", "○", "〇", "◯", "true", "True", "TRUE", "有", "可", "yes"})
# The most a GeoJSON file may be for the layer builder to read it whole.
MAX_GEOJSON_BYTES = 50 << 20

OUTSIDE_JAPAN = "outside_japan"
SWAPPED = "swapped"
NO_COORDINATES = "no_coordinates"


@dataclass
class SourcePoints:
    """What one source gave: its features, and the rows left off by reason."""

    features: list[dict[str, Any]] = field(default_factory=list)
    left_off: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: {OUTSIDE_JAPAN: 0, SWAPPED: 0, NO_COORDINATES: 0}
    )
    error: str = ""


def coordinate(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        cell = unicodedata.normalize("NFKC", str(value)).strip()
        try:
            number = float(cell)
        except ValueError:
            return None
    return number if number == number and abs(number) != float("inf") else None


def judge(lat: float, lon: float) -> str | None:
    """None for a plausible point in Japan, else why it is left off."""
    if JAPAN.contains(lon, lat):
        return None
    return SWAPPED if JAPAN.contains(lat, lon) else OUTSIDE_JAPAN


def plain(value: object) -> object:
    """A JSON value for an attribute, or None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if value != value:
            return None
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, int):
        return value
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    cell = str(value).strip()
    return None if cell in _MISSING else cell


def flag(value: object) -> str | None:
    """ "1" for a set flag (1, "1", "１", "○", true, 有 …), None otherwise."""
    if value is True:
        return "1"
    if value is None or value is False:
        return None
    if isinstance(value, int | float):
        return "1" if value == 1 else None
    return "1" if str(value).strip() in _TRUE else None


class Shaper:
    """Turns one source's rows into features for one layer."""

    def __init__(self, spec: LayerSpec, source: Source, index: int, columns: list[str]) -> None:
        self.spec = spec
        self.source = source
        self.index = index
        flags = {f.field for f in spec.filters if f.is_flag}
        self.flags = flags
        if spec.standard is not None:
            mapping, _extra = map_columns(columns, spec.standard)
            # GeoJSON exports often name a flag by its label alone (洪水: true).
            labels = {f.label: f.field for f in spec.filters if f.group}
            extras = {column_key(a): name for name, names in EXTRA_FIELDS.items() for a in names}
            taken = set(mapping.values())
            for column in columns:
                label = labels.get(column.removeprefix("災害種別_"))
                target = label or extras.get(column_key(column))
                if column not in mapping and target is not None and target not in taken:
                    mapping[column] = target
                    taken.add(target)
        else:
            mapping = {c: c for c in columns}
        skip = {c for c in columns if c.startswith("_")}
        point = point_columns(columns)
        if point is not None:
            skip |= {columns[point[0]], columns[point[1]]}
        self.columns = [(c, t) for c, t in mapping.items() if c not in skip]
        self.columns = [(c, t) for c, t in self.columns if t not in COORDINATE_FIELDS]
        targets = {t for _, t in self.columns}
        keys = {column_key(t): t for t in targets}
        self.name_field = next((keys[k] for k in map(column_key, NAME_FIELDS) if k in keys), None)
        self.address_field = next(
            (keys[k] for k in map(column_key, ADDRESS_FIELDS) if k in keys), None
        )
        self.code_fields = [f for f in MUNICIPALITY_FIELDS if f in targets]
        self.out = SourcePoints()

    def add(
        self, row_id: object, lat_value: object, lon_value: object, values: dict[str, Any]
    ) -> None:
        properties: dict[str, Any] = {}
        for column, target in self.columns:
            value = values.get(column)
            shown = flag(value) if target in self.flags else plain(value)
            if shown is not None and shown != "":
                properties[target] = shown
        name = str(properties.get(self.name_field, "")) if self.name_field else ""
        lat, lon = coordinate(lat_value), coordinate(lon_value)
        if lat is None or lon is None:
            self._leave_off(row_id, name, None, None, NO_COORDINATES)
            return
        reason = judge(lat, lon)
        if reason is not None:
            self._leave_off(row_id, name, lat, lon, reason)
            return
        code = next(
            (
                str(properties[f])
                for f in self.code_fields
                if is_valid_local_gov_code(str(properties.get(f, "")))
            ),
            self.source.org_code,
        )
        properties["_s"] = self.index
        if code:
            properties["_m"] = code
        self.out.features.append(
            {
                "type": "Feature",
                "id": f"{self.source.resource_id}:{row_id}",
                "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                "properties": properties,
            }
        )

    def _leave_off(
        self, row_id: object, name: str, lat: float | None, lon: float | None, reason: str
    ) -> None:
        self.out.counts[reason] += 1
        self.out.left_off.append(
            {"source": self.index, "row": row_id, "name": name, "lat": lat, "lon": lon,
             "reason": reason}
        )  # fmt: skip


def _table_rows(engine: Engine, source: Source) -> Iterator[tuple[Any, ...]]:
    columns = ", ".join(quote(c) for c in ("_id", *source.table_fields))
    statement = text(f"SELECT {columns} FROM {quote(str(source.table_name))} ORDER BY _id")
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(
            statement
        )
        for partition in result.partitions(BATCH):
            yield from (tuple(row) for row in partition)


def table_points(engine: Engine, spec: LayerSpec, source: Source, index: int) -> SourcePoints:
    columns = list(source.table_fields)
    point = point_columns(columns)
    shaper = Shaper(spec, source, index, columns)
    if point is None:
        return shaper.out
    lat_i, lon_i = point
    for row in _table_rows(engine, source):
        values = dict(zip(columns, row[1:], strict=True))
        shaper.add(row[0], row[1 + lat_i], row[1 + lon_i], values)
    return shaper.out


def geojson_points(services: Services, spec: LayerSpec, source: Source, index: int) -> SourcePoints:
    """Point features of an uploaded GeoJSON file (other geometries are not map points)."""
    try:
        if services.files.size(source.storage_key) > MAX_GEOJSON_BYTES:
            return SourcePoints(error="too_large")
        with services.files.open(source.storage_key) as stream:
            document = orjson.loads(stream.read())
    except (OSError, orjson.JSONDecodeError):
        log.warning("map layer %s: could not read GeoJSON %s", spec.name, source.resource_id)
        return SourcePoints(error="unreadable")
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        return SourcePoints(error="unreadable")
    columns: dict[str, None] = {}
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if isinstance(properties, dict):
            columns.update(dict.fromkeys(str(k) for k in properties))
    shaper = Shaper(spec, source, index, list(columns))
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            continue
        geometry = feature.get("geometry") or {}
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            properties = {}
        coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if isinstance(geometry, dict) and geometry.get("type") not in (None, "Point"):
            continue
        lon = lat = None
        if isinstance(coordinates, list) and len(coordinates) >= 2:
            lon, lat = coordinates[0], coordinates[1]
        shaper.add(number, lat, lon, properties)
    return shaper.out


def source_points(services: Services, spec: LayerSpec, source: Source, index: int) -> SourcePoints:
    if source.is_table:
        return table_points(services.engine, spec, source, index)
    return geojson_points(services, spec, source, index)
