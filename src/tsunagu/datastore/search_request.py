"""What a datastore_search (or delete, dump, choropleth) request asks for, checked against the
table's data dictionary: filters with values converted to each column's type, q, fields, sort,
paging, distinct and the record format. Building and running the SQL is datastore/search.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from tsunagu.catalog import validation
from tsunagu.datastore.ingest.infer import converter
from tsunagu.errors import require

DEFAULT_LIMIT = 100
MAX_LIMIT = 32_000
RECORD_FORMATS = ("objects", "lists", "csv", "tsv")


class HasFields(Protocol):
    """A table's data dictionary holder: a DatastoreTable row or a TableInfo."""

    @property
    def fields(self) -> list[dict[str, Any]]: ...


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


def parse_request(meta: HasFields, data: dict[str, Any]) -> SearchRequest:
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


def field_dicts(meta: HasFields) -> list[dict[str, Any]]:
    return [
        {"id": "_id", "type": "int"},
        *(
            {"id": f["id"], "type": f["type"], "info": dict(f.get("info") or {})}
            for f in meta.fields
        ),
    ]
