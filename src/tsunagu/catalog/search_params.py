"""package_search's parameters, checked and turned into a SearchQuery."""

from __future__ import annotations

from typing import Any

import orjson

from tsunagu.catalog import validation
from tsunagu.catalog.visibility import visibility_for
from tsunagu.context import Context
from tsunagu.errors import require
from tsunagu.search.interface import SearchQuery

MAX_ROWS = 1000


def _list_param(value: Any) -> list[str]:
    """CKAN clients send lists as JSON text (facet.field='["tags"]') or as repeated params."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        items: list[str] = []
        for item in value:
            items.extend(_list_param(item))
        return items
    text = str(value).strip()
    if text.startswith("["):
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError:
            return [text]
        return [str(v) for v in parsed] if isinstance(parsed, list) else [text]
    return [text]


def _int(
    data: dict[str, Any], field: str, default: int, errors: validation.Errors, minimum: int = 0
) -> int:
    raw = data.get(field)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        validation.add(errors, field, "整数で指定してください (Must be an integer)")
        return default
    if value < minimum:
        validation.add(errors, field, f"{minimum} 以上で指定してください (Must be >= {minimum})")
    return value


def search_query(context: Context, data: dict[str, Any]) -> SearchQuery:
    errors: validation.Errors = {}
    q = validation.as_text(data, "q", errors, limit=2000)
    fq_parts = [validation.as_text(data, "fq", errors, limit=4000)]
    fq_parts += _list_param(data.get("fq_list"))
    fq = " AND ".join(f"({part})" for part in fq_parts if part)
    rows = min(_int(data, "rows", 10, errors), MAX_ROWS)
    start = _int(data, "start", 0, errors)
    facet_on = validation.as_bool(data, "facet", errors, default=True)
    facet_fields = _list_param(data.get("facet.field")) if facet_on else []
    facet_limit = _int(data, "facet.limit", 50, errors, minimum=-1)
    facet_mincount = _int(data, "facet.mincount", 1, errors)
    include_private = validation.as_bool(data, "include_private", errors)
    include_drafts = validation.as_bool(data, "include_drafts", errors)
    fl_raw = validation.as_text(data, "fl", errors)
    fl = [f.strip() for f in fl_raw.replace(" ", ",").split(",") if f.strip()] or None
    sort = validation.as_text(data, "sort", errors, limit=200)
    require(errors)
    return SearchQuery(
        q=q,
        fq=fq,
        rows=rows,
        start=start,
        sort=sort,
        facet_fields=facet_fields,
        facet_limit=facet_limit,
        facet_mincount=facet_mincount,
        visibility=visibility_for(
            context, include_private=include_private, include_drafts=include_drafts
        ),
        fl=fl,
    )
