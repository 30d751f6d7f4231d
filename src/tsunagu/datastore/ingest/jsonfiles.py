"""JSON (an array of objects, or one wrapped in {"records": …}) and GeoJSON feature collections.

JSON has no layout to detect: keys are the column names. Rows are numbered by record (1-based)
and info.header_line is 0, as there is no header line (1 for an array of arrays, whose first
array names the columns and whose rows are numbered from 2).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tsunagu.datastore.ingest.layout import unique_names
from tsunagu.datastore.ingest.model import Cell, IngestError, RawTable, SourceInfo

MAX_JSON_BYTES = 200 << 20  # parsed whole, so bounded
NO_RECORDS = "JSON の中に表（オブジェクトの配列）が見つかりません"
LATITUDE, LONGITUDE, GEOMETRY = "緯度", "経度", "geometry"


def load_json(path: Path, encoding: str) -> Any:
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise IngestError(
            f"JSON ファイルが大きすぎます（{size / 1e6:.0f} MB、上限 {MAX_JSON_BYTES / 1e6:.0f} MB）。"
            "CSV にして登録してください"
        )
    try:
        text = path.read_bytes().decode(encoding)
    except UnicodeDecodeError:
        raise IngestError("JSON の文字コードを判定できません（UTF-8 にしてください）") from None
    try:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            if exc.msg != "Extra data":
                raise
            # JSON Lines: one object per line.
            return [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise IngestError(f"JSON として読めません（{exc.msg}）", line=exc.lineno) from None
    except RecursionError:
        raise IngestError("JSON の入れ子が深すぎます") from None


def is_geojson(data: Any) -> bool:
    return isinstance(data, dict) and (
        data.get("type") == "FeatureCollection" or isinstance(data.get("features"), list)
    )


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value if value.strip() else None
    # Nested objects and arrays are kept as JSON text.
    return json.dumps(value, ensure_ascii=False)


def _records(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("records", "data", "items", "rows", "result"):
            if key in data:
                inner = data[key]
                return _records(inner) if isinstance(inner, (list, dict)) else []
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) == 1:
            return lists[0]
    raise IngestError(NO_RECORDS)


def _check_size(rows: int, columns: int, max_cells: int) -> None:
    if rows * max(columns, 1) > max_cells:
        raise IngestError(f"セルの数が上限（{max_cells:,}）を超えています")


def read_json_table(data: Any, info: SourceInfo, *, max_cells: int) -> RawTable:
    """A table from parsed JSON: objects (keys in first-seen order) or arrays (first = names)."""
    if is_geojson(data):
        return _read_geojson(data, info, max_cells=max_cells)
    records = _records(data)
    info.header_line = 0
    if records and all(isinstance(r, list) for r in records):
        info.header_line = 1  # an array of arrays: the first one names the columns
        header, *body = records
        names = [str(h).strip() if h is not None else "" for h in header]
        width = max([len(names), *(len(r) for r in body)])
        names += [""] * (width - len(names))
        columns = _name(names, info)
        _check_size(len(body), width, max_cells)
        rows = (
            (n, [_cell(v) for v in r] + [None] * (width - len(r)))
            for n, r in enumerate(body, start=2)
        )
        return RawTable(columns=columns, rows=rows, info=info)
    if not records or not all(isinstance(r, dict) for r in records):
        raise IngestError(NO_RECORDS)
    keys = list(dict.fromkeys(k for r in records for k in r))
    _check_size(len(records), len(keys), max_cells)
    columns = _name([str(k).strip() for k in keys], info)
    rows = ((n, [_cell(r.get(k)) for k in keys]) for n, r in enumerate(records, start=1))
    return RawTable(columns=columns, rows=rows, info=info)


def _name(names: list[str], info: SourceInfo) -> list[str]:
    unnamed = [f"列{i + 1}" for i, n in enumerate(names) if not n]
    if unnamed:
        info.warnings.append(f"列名が空の列に仮の名前を付けました: {'、'.join(unnamed)}")
    named = [n or f"列{i + 1}" for i, n in enumerate(names)]
    return unique_names(named, info.warnings)


def _point(geometry: Any) -> tuple[float, float] | None:
    if isinstance(geometry, dict) and geometry.get("type") == "Point":
        coords = geometry.get("coordinates")
        if (
            isinstance(coords, list)
            and len(coords) >= 2
            and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in coords[:2])
        ):
            return coords[1], coords[0]  # GeoJSON is [longitude, latitude]
    return None


def _read_geojson(data: dict[str, Any], info: SourceInfo, *, max_cells: int) -> RawTable:
    info.format = "GeoJSON"
    info.header_line = 0
    features = [f for f in data.get("features") or [] if isinstance(f, dict)]
    if not features:
        raise IngestError("GeoJSON に地物（features）がありません")
    props = [f.get("properties") if isinstance(f.get("properties"), dict) else {} for f in features]
    keys = list(dict.fromkeys(k for p in props for k in p))
    points = [_point(f.get("geometry")) for f in features]
    has_point = any(p is not None for p in points)
    has_other = any(p is None and f.get("geometry") for p, f in zip(points, features, strict=True))
    extra = [LATITUDE, LONGITUDE] * has_point + [GEOMETRY] * has_other
    _check_size(len(features), len(keys) + len(extra), max_cells)
    columns = _name([str(k).strip() for k in keys] + extra, info)

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        for n, (feature, prop, point) in enumerate(zip(features, props, points, strict=True), 1):
            cells = [_cell(prop.get(k)) for k in keys]
            if has_point:
                cells.extend(point if point is not None else (None, None))
            if has_other:
                geometry = feature.get("geometry")
                cells.append(_cell(geometry) if point is None and geometry else None)
            yield n, cells

    return RawTable(columns=columns, rows=rows(), info=info)
