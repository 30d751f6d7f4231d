"""Downloads of a datastore table: CSV (UTF-8 with BOM or Shift_JIS), TSV, JSON, GeoJSON, XLSX.

Rows stream from the database in batches, so a million-row table never sits in memory. Text
cells that a spreadsheet would run as a formula (=, +, -, @ …) are neutralised with a leading
apostrophe in CSV/TSV/XLSX.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tsunagu.datastore.ingest.infer import point_columns
from tsunagu.datastore.models import DatastoreTable
from tsunagu.datastore.search_conditions import where_clause
from tsunagu.datastore.search_request import SearchRequest
from tsunagu.datastore.tables import table_object
from tsunagu.errors import ValidationError

FORMATS = ("csv", "tsv", "json", "geojson", "xlsx")
BATCH = 5000
XLSX_MAX_ROWS = 1_048_575
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _geta(error: UnicodeError) -> tuple[str, int]:
    # Characters Shift_JIS lacks become 〓 (the geta mark), as Japanese print does.
    assert isinstance(error, UnicodeEncodeError)
    return "〓", error.end


codecs.register_error("geta", _geta)


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _rows(
    engine: Engine,
    meta: DatastoreTable,
    request: SearchRequest,
    names: list[str],
    limit: int | None,
) -> Iterator[tuple[Any, ...]]:
    table = table_object(meta.table_name, meta.fields)
    order = [table.c[c].desc() if d else table.c[c].asc() for c, d in request.sort]
    with engine.connect() as connection:
        stmt = (
            select(*(table.c[n] for n in names))
            .where(where_clause(connection, table, request))
            .order_by(*order, table.c["_id"])
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        if request.offset:
            stmt = stmt.offset(request.offset)
        result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(stmt)
        for partition in result.partitions(BATCH):
            yield from (tuple(row) for row in partition)


def stream(
    engine: Engine,
    meta: DatastoreTable,
    request: SearchRequest,
    fmt: str,
    encoding: str,
    limit: int | None,
) -> Iterator[bytes]:
    """Check everything that could fail first, then return the byte stream."""
    names = request.fields or [str(f["id"]) for f in meta.fields]
    if fmt == "geojson" and point_columns(names) is None:
        raise ValidationError(
            {
                "format": [
                    "緯度・経度の列がないため GeoJSON にできません (No latitude/longitude columns)"
                ]
            }
        )
    if fmt == "xlsx" and min(meta.row_count, limit or meta.row_count) > XLSX_MAX_ROWS:
        raise ValidationError(
            {
                "format": [
                    "Excel の行数の上限を超えています。CSV をご利用ください "
                    "(Too many rows for XLSX)"
                ]
            }
        )
    rows = _rows(engine, meta, request, names, limit)
    if fmt in ("csv", "tsv"):
        return _delimited(rows, names, "\t" if fmt == "tsv" else ",", encoding)
    if fmt == "json":
        return _json(rows, names)
    if fmt == "geojson":
        return _geojson(rows, names)
    return _xlsx(rows, names)


def _delimited(
    rows: Iterator[tuple[Any, ...]], names: list[str], delimiter: str, encoding: str
) -> Iterator[bytes]:
    # utf-8-sig puts a BOM first so Excel opens UTF-8 correctly; cp932 is what older Excel wants.
    codec = {"utf-8": "utf-8-sig", "shift_jis": "cp932"}[encoding]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(names)
    first = True
    for count, row in enumerate(rows, start=1):
        writer.writerow(["" if v is None else neutralise(_text(v)) for v in row])
        if count % BATCH == 0:
            yield _encode(buffer, codec, first)
            first = False
    yield _encode(buffer, codec, first)


def _encode(buffer: io.StringIO, codec: str, first: bool) -> bytes:
    chunk = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    if codec == "cp932":
        return chunk.encode("cp932", errors="geta")
    return chunk.encode("utf-8-sig" if first else "utf-8")


def _text(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _json(rows: Iterator[tuple[Any, ...]], names: list[str]) -> Iterator[bytes]:
    yield b'{"fields":' + orjson.dumps(names) + b',"records":['
    first = True
    for row in rows:
        yield (b"" if first else b",") + orjson.dumps(dict(zip(names, row, strict=True)))
        first = False
    yield b"]}"


def _geojson(rows: Iterator[tuple[Any, ...]], names: list[str]) -> Iterator[bytes]:
    point = point_columns(names)
    assert point is not None
    lat, lon = point
    yield b'{"type":"FeatureCollection","features":['
    first = True
    for row in rows:
        try:
            coordinates = [float(row[lon]), float(row[lat])]
        except (TypeError, ValueError):
            geometry = None
        else:
            geometry = {"type": "Point", "coordinates": coordinates}
        feature = {
            "type": "Feature",
            "geometry": geometry,
            "properties": dict(zip(names, row, strict=True)),
        }
        yield (b"" if first else b",") + orjson.dumps(feature)
        first = False
    yield b"]}"


def _xlsx(rows: Iterator[tuple[Any, ...]], names: list[str]) -> Iterator[bytes]:
    from openpyxl import Workbook

    # Write-only mode keeps memory flat; the workbook is assembled in a temporary file.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append(names)
    for row in rows:
        sheet.append([neutralise(v) for v in row])
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        workbook.save(path)
        with open(path, "rb") as handle:
            while chunk := handle.read(1024 * 1024):
                yield chunk
    finally:
        os.unlink(path)
