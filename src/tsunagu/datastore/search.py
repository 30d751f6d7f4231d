"""datastore_search: filters, full-text q, fields, sort, paging, distinct, output formats.

Every column name is checked against the table's data dictionary and every value is bound as a
parameter, so nothing a client sends becomes SQL text.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Select, Table, Text, and_, cast, func, literal_column, or_, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from tsunagu.catalog import validation
from tsunagu.datastore.ingest.infer import converter
from tsunagu.datastore.ingest.values import to_halfwidth
from tsunagu.datastore.models import DatastoreTable
from tsunagu.datastore.tables import quote, table_object
from tsunagu.errors import require

DEFAULT_LIMIT = 100
MAX_LIMIT = 32_000
RECORD_FORMATS = ("objects", "lists", "csv", "tsv")
# Queries shorter than a trigram cannot use the full-text index and scan instead.
MIN_INDEXED_CHARS = 3


@dataclass
class SearchRequest:
    filters: dict[str, list[object]]
    q: str | dict[str, str]
    fields: list[str]
    sort: list[tuple[str, bool]]
    limit: int
    offset: int
    distinct: bool
    include_total: bool
    records_format: str


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    text_value = str(value).strip()
    if text_value.startswith("["):
        try:
            parsed = orjson.loads(text_value)
            if isinstance(parsed, list):
                return [str(v) for v in parsed]
        except orjson.JSONDecodeError:
            pass
    return [part.strip() for part in text_value.split(",") if part.strip()]


def _as_dict(value: Any, field: str, errors: validation.Errors) -> dict[str, Any]:
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            validation.add(
                errors, field, "JSON オブジェクトで指定してください (Must be a JSON object)"
            )
            return {}
    if not isinstance(value, dict):
        validation.add(errors, field, "JSON オブジェクトで指定してください (Must be a JSON object)")
        return {}
    return value


_SORT_PART = re.compile(r'^\s*(?:"((?:[^"]|"")+)"|([^\s"]+))(?:\s+(asc|desc))?\s*$', re.IGNORECASE)


def parse_request(meta: DatastoreTable, data: dict[str, Any]) -> SearchRequest:
    errors: validation.Errors = {}
    types = {str(f["id"]): str(f["type"]) for f in meta.fields}
    known = {"_id", *types}
    filters: dict[str, list[object]] = {}
    for column, raw in _as_dict(data.get("filters"), "filters", errors).items():
        if column not in known:
            validation.add(
                errors, "filters", f'列「{column}」はありません (field "{column}" not in table)'
            )
            continue
        convert = converter(types.get(column, "int"))  # type: ignore[arg-type]
        values = raw if isinstance(raw, list) else [raw]
        try:
            filters[column] = [convert(v) for v in values]
        except ValueError as exc:
            validation.add(errors, "filters", f"列「{column}」: {exc}")
    q_raw = data.get("q")
    q: str | dict[str, str] = ""
    if isinstance(q_raw, dict) or (isinstance(q_raw, str) and q_raw.strip().startswith("{")):
        q = {str(k): str(v) for k, v in _as_dict(q_raw, "q", errors).items()}
        for column in q:
            if column not in types:
                validation.add(
                    errors, "q", f'列「{column}」はありません (field "{column}" not in table)'
                )
    elif q_raw not in (None, ""):
        q = str(q_raw)
    fields = _as_list(data.get("fields"))
    for column in fields:
        if column not in known:
            validation.add(
                errors, "fields", f'列「{column}」はありません (field "{column}" not in table)'
            )
    sort: list[tuple[str, bool]] = []
    for part in _as_list(data.get("sort")):
        match = _SORT_PART.match(part)
        column = (
            match.group(1).replace('""', '"')
            if match and match.group(1)
            else match.group(2)
            if match
            else None
        )
        if column is None or column not in known:
            validation.add(
                errors, "sort", f"並べ替えの指定が正しくありません (Invalid sort): {part}"
            )
            continue
        sort.append((column, bool(match and (match.group(3) or "").lower() == "desc")))
    limit, offset = validation.paging(
        data, errors, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT
    )
    records_format = str(data.get("records_format") or "objects")
    if records_format not in RECORD_FORMATS:
        validation.add(errors, "records_format", f"次のいずれか: {', '.join(RECORD_FORMATS)}")
    distinct = validation.as_bool(data, "distinct", errors)
    include_total = validation.as_bool(data, "include_total", errors, default=True)
    require(errors)
    return SearchRequest(
        filters,
        q,
        fields,
        sort,
        DEFAULT_LIMIT if limit is None else limit,
        offset,
        distinct,
        include_total,
        records_format,
    )


def where_clause(
    connection: Connection, table: Table, request: SearchRequest
) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    for column, values in request.filters.items():
        col = table.c[column]
        non_null = [v for v in values if v is not None]
        parts = [col.in_(non_null)] if non_null else []
        if len(non_null) != len(values):
            parts.append(col.is_(None))
        conditions.append(or_(*parts))
    if isinstance(request.q, dict):
        for column, word in request.q.items():
            conditions.append(_contains(cast(table.c[column], Text), word))
    elif request.q:
        for word in to_halfwidth(request.q).split():
            conditions.append(_full_text_match(connection, table.name, table, word))
    return and_(*conditions) if conditions else literal_column("1") == 1


def _contains(column: ColumnElement[Any], word: str) -> ColumnElement[bool]:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def _full_text_match(
    connection: Connection, name: str, table: Any, word: str
) -> ColumnElement[bool]:
    if connection.dialect.name == "sqlite" and len(word) >= MIN_INDEXED_CHARS:
        fts = quote(name + "_fts")
        phrase = '"' + word.replace('"', '""') + '"'
        return table.c["_id"].in_(
            select(literal_column("rowid"))
            .select_from(text(fts))
            .where(text(f"{fts} MATCH :phrase").bindparams(phrase=phrase))
        )
    return _contains(table.c["_full_text"], word)


def run(connection: Connection, meta: DatastoreTable, request: SearchRequest) -> dict[str, Any]:
    table = table_object(meta.table_name, meta.fields)
    names = request.fields or ["_id", *(str(f["id"]) for f in meta.fields)]
    where = where_clause(connection, table, request)
    stmt: Select[Any] = select(*(table.c[n] for n in names)).where(where)
    if request.distinct:
        stmt = stmt.distinct()
    order = [table.c[c].desc() if d else table.c[c].asc() for c, d in request.sort]
    if not request.distinct or "_id" in names:
        order.append(table.c["_id"].asc())
    stmt = stmt.order_by(*order).limit(request.limit).offset(request.offset)
    rows = connection.execute(stmt).all()
    result: dict[str, Any] = {
        "resource_id": meta.resource_id,
        "fields": [f for f in field_dicts(meta) if f["id"] in names],
        "limit": request.limit,
        "offset": request.offset,
        "_links": {"start": "", "next": ""},
    }
    if request.include_total:
        count_source = select(*(table.c[n] for n in names)).where(where)
        if request.distinct:
            count_source = count_source.distinct()
        result["total"] = connection.execute(
            select(func.count()).select_from(count_source.subquery())
        ).scalar_one()
        result["total_was_estimated"] = False
    result["records"] = _format(rows, names, request.records_format)
    return result


def field_dicts(meta: DatastoreTable) -> list[dict[str, Any]]:
    return [
        {"id": "_id", "type": "int"},
        *({"id": f["id"], "type": f["type"], "info": f.get("info") or {}} for f in meta.fields),
    ]


def _format(rows: list[Any], names: list[str], records_format: str) -> Any:
    if records_format == "objects":
        return [dict(zip(names, row, strict=True)) for row in rows]
    if records_format == "lists":
        return [list(row) for row in rows]
    out = io.StringIO()
    writer = csv.writer(
        out, delimiter="\t" if records_format == "tsv" else ",", lineterminator="\n"
    )
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()
