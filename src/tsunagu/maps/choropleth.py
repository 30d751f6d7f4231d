"""Statistics by municipality: a datastore table's values per 全国地方公共団体コード, classed.

``choropleth_show`` reads a table the caller may read (the same rights check as
datastore_search), groups the rows by their 全国地方公共団体コード — written with its check digit
(352012) or without (35201), as text or as a number that lost its leading zero — and gives each
municipality that has a vendored boundary (maps/boundaries) a value, a class and a colour.
Every code that cannot be drawn is listed with the reason, never dropped silently.

Which rows make a municipality's value:
- ``filters`` picks rows as in datastore_search (e.g. {"性別": "男"}).
- When the table has one date column (standard 04's 調査年月日) and no filter on it, only the
  newest date's rows are used, so two surveys are not added together; the answer says so in
  ``defaults``.
- The rows left for one code are combined by ``aggregation``: ``sum`` (default: a municipality's
  町字 rows add up to its total), ``mean``, ``min``, ``max`` or ``count`` (number of rows, which
  needs no value column: e.g. AED sites per municipality).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from tsunagu.catalog import validation
from tsunagu.catalog.local_codes import check_digit, is_valid_local_gov_code
from tsunagu.context import Context
from tsunagu.datastore import search_conditions, search_request
from tsunagu.datastore.access import TableInfo, readable_table, resource_id_of
from tsunagu.datastore.ingest.infer import point_columns
from tsunagu.datastore.tables import table_object
from tsunagu.errors import require
from tsunagu.maps import class_breaks
from tsunagu.maps.boundaries import boundary
from tsunagu.quality.areas import area
from tsunagu.registry import action

CODE_NAMES = ("全国地方公共団体コード", "地方公共団体コード", "市区町村コード")
AGGREGATIONS = ("sum", "mean", "min", "max", "count")
NUMERIC_TYPES = ("int", "numeric")
DATE_TYPES = ("date", "timestamp")
FILTER_TYPES = ("text", "date", "timestamp", "bool", "int")
MAX_FILTER_OPTIONS = 30
MAX_FILTER_COLUMNS = 12
# Numbers that identify or locate a row rather than measure something.
_NOT_A_MEASURE = re.compile(r"(ID|番号|コード|緯度|経度|郵便|電話|^_)", re.IGNORECASE)
ATTRIBUTION = (
    "境界：気象庁ホームページ（防災情報の地図データ「市町村等」）を加工して作成"
    "（reversejp 0.1.1 同梱のデータ、一般化された線）"
)
BOUNDARY_URL = "/maps/boundaries/{prefecture}.geojson"
REASONS = {
    "invalid": "全国地方公共団体コードの形ではありません（5桁、または検査数字付きの6桁）",
    "prefecture": "都道府県のコードです（市区町村の地図には描きません）",
    "ward": "政令指定都市の区の境界は収録していません（市全体の境界のみ）",
    "city_by_wards": "区ごとの値を描いたため、市全体の値は描きません",
    "unknown": "このコードの市区町村の境界がありません",
}


def code_field(fields: list[dict[str, Any]]) -> str | None:
    """The column holding 全国地方公共団体コード, by name or data-dictionary label."""
    for wanted in CODE_NAMES:
        for f in fields:
            label = str((f.get("info") or {}).get("label") or "")
            if f["id"] == wanted or label == wanted:
                return str(f["id"])
    for f in fields:
        if str(f["id"]).endswith(CODE_NAMES[0]):
            return str(f["id"])
    return None


def measure_fields(fields: list[dict[str, Any]]) -> list[str]:
    """Numeric columns that measure something (not the code, an ID or a coordinate)."""
    code = code_field(fields)
    names = [str(f["id"]) for f in fields]
    point = point_columns(names)
    skip = {names[i] for i in point} if point else set()
    return [
        str(f["id"])
        for f in fields
        if f.get("type") in NUMERIC_TYPES
        and f["id"] != code
        and f["id"] not in skip
        and not _NOT_A_MEASURE.search(str(f["id"]))
    ]


def eligible(fields: list[dict[str, Any]]) -> bool:
    """Whether a table gets the 地図（市区町村別） view: a code column and something to measure,
    and no coordinates (a list of places with 緯度/経度 is shown as points, by the map view)."""
    names = [str(f["id"]) for f in fields]
    return (
        code_field(fields) is not None
        and bool(measure_fields(fields))
        and point_columns(names) is None
    )


def normalise_code(raw: Any, width: int | None = None) -> str | None:
    """The 5-digit code (no check digit) of a cell, or None when it is not a code.

    Text keeps its leading zero, so its length tells 5 from 6 digits. A number has lost it
    (011002 → 11002), so ``width`` says which the whole column holds (``number_width``)."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float, Decimal)):
        if width is None or raw != int(raw) or int(raw) <= 0:
            return None
        text = f"{int(raw):0{width}d}"
    else:
        text = str(raw).strip().translate(_FULLWIDTH_DIGITS)
    if re.fullmatch(r"[0-9]{6}", text):
        return text[:5] if is_valid_local_gov_code(text) else None
    if re.fullmatch(r"[0-9]{5}", text):
        return text
    return None


def number_width(values: list[Any]) -> int:
    """Whether a numeric code column holds 6-digit codes (with check digit) or 5-digit ones:
    the reading under which more of its values are codes of known places."""

    def known(code5: str | None) -> bool:
        return code5 is not None and (
            boundary(code5) is not None or area(with_check_digit(code5)) is not None
        )

    six = sum(known(normalise_code(v, 6)) for v in values)
    five = sum(known(normalise_code(v, 5)) for v in values)
    return 6 if six >= five else 5


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def with_check_digit(code5: str) -> str:
    return code5 + check_digit(code5)


def _is_ward(code5: str) -> bool:
    # JIS X 0402: 101–199 are the wards of a designated city (Tokyo's 特別区 are municipalities).
    return code5[:2] != "13" and 101 <= int(code5[2:]) <= 199


@dataclass
class _Group:
    """The rows of one table code value, as the database summed them."""

    raw: Any
    rows: int
    values: int
    total: float | None
    low: float | None
    high: float | None


@dataclass
class _Place:
    code5: str
    rows: int = 0
    values: int = 0
    total: float = 0.0
    low: float | None = None
    high: float | None = None
    raw: list[str] | None = None

    def add(self, group: _Group) -> None:
        self.rows += group.rows
        self.values += group.values
        if group.total is not None:
            self.total += group.total
        if group.low is not None:
            self.low = group.low if self.low is None else min(self.low, group.low)
        if group.high is not None:
            self.high = group.high if self.high is None else max(self.high, group.high)
        self.raw = [*(self.raw or []), _shown(group.raw)]

    def value(self, aggregation: str) -> float | None:
        if aggregation == "count":
            return float(self.rows)
        if self.values == 0:
            return None
        if aggregation == "mean":
            return self.total / self.values
        if aggregation == "min":
            return self.low
        if aggregation == "max":
            return self.high
        return self.total


def _shown(raw: Any) -> str:
    return "" if raw is None else str(raw)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    return float(value)


def _tidy(value: float | None) -> float | int | None:
    """Whole numbers as ints in the answer (populations), others rounded for display."""
    if value is None:
        return None
    if float(value).is_integer():
        return int(value)
    return round(value, 6)


@dataclass
class _Request:
    table: TableInfo
    code_field: str
    value_field: str | None
    aggregation: str
    method: str
    classes: int
    filters: dict[str, Any]


def _parse(context: Context, data: dict[str, Any]) -> _Request:
    resource_id = resource_id_of(data)
    table = readable_table(context, resource_id)
    errors: validation.Errors = {}
    types = {str(f["id"]): str(f["type"]) for f in table.fields}
    code = str(data.get("code_field") or "").strip() or code_field(table.fields)
    if code is None:
        validation.add(
            errors,
            "code_field",
            "全国地方公共団体コードの列がありません (No 全国地方公共団体コード column)",
        )
    elif code not in types:
        validation.add(
            errors, "code_field", f'列「{code}」はありません (field "{code}" not in table)'
        )
    aggregation = str(data.get("aggregation") or "sum")
    if aggregation not in AGGREGATIONS:
        validation.add(errors, "aggregation", f"次のいずれか: {', '.join(AGGREGATIONS)}")
    value = str(data.get("value_field") or "").strip() or None
    if value is None and aggregation != "count":
        measures = measure_fields(table.fields)
        value = measures[0] if measures else None
        if value is None:
            validation.add(
                errors,
                "value_field",
                "数値の列がありません。aggregation=count で件数を描けます (No numeric column)",
            )
    if value is not None and types.get(value) not in NUMERIC_TYPES:
        validation.add(
            errors, "value_field", f"数値の列を指定してください (Not a numeric field: {value})"
        )
    method = str(data.get("method") or "quantile")
    if method not in class_breaks.METHODS:
        validation.add(errors, "method", f"次のいずれか: {', '.join(class_breaks.METHODS)}")
    classes = _classes(data, errors)
    filters = data.get("filters")
    require(errors)
    # The filters are checked and converted exactly as datastore_search does it.
    parsed = search_request.parse_request(table, {"filters": filters, "limit": 0})
    return _Request(
        table,
        str(code),
        value if aggregation != "count" else None,
        aggregation,
        method,
        classes,
        {c: (v[0] if len(v) == 1 else v) for c, v in parsed.filters.items()},
    )


def _classes(data: dict[str, Any], errors: validation.Errors) -> int:
    raw = data.get("classes", class_breaks.DEFAULT_CLASSES)
    try:
        classes = int(raw)
    except (TypeError, ValueError):
        classes = 0
    if not class_breaks.MIN_CLASSES <= classes <= class_breaks.MAX_CLASSES:
        validation.add(
            errors,
            "classes",
            f"{class_breaks.MIN_CLASSES}〜{class_breaks.MAX_CLASSES} の整数 (Must be an integer "
            f"from {class_breaks.MIN_CLASSES} to {class_breaks.MAX_CLASSES})",
        )
    return classes


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return _tidy(float(value))
    return value


def _newest_date_default(connection: Connection, request: _Request) -> dict[str, Any]:
    dates = [str(f["id"]) for f in request.table.fields if f.get("type") in DATE_TYPES]
    if len(dates) != 1 or dates[0] in request.filters:
        return {}
    table = table_object(request.table.table_name, request.table.fields)
    column = table.c[dates[0]]
    count, newest = connection.execute(
        select(func.count(func.distinct(column)), func.max(column))
    ).one()
    if count < 2 or newest is None:
        return {}
    return {dates[0]: _jsonable(newest)}


def _groups(connection: Connection, request: _Request) -> list[_Group]:
    table = table_object(request.table.table_name, request.table.fields)
    parsed = search_request.parse_request(request.table, {"filters": request.filters, "limit": 0})
    where = search_conditions.where_clause(connection, table, parsed)
    code = table.c[request.code_field]
    if request.value_field is None:
        query = select(code, func.count()).where(where).group_by(code)
        return [_Group(raw, rows, 0, None, None, None) for raw, rows in connection.execute(query)]
    value = table.c[request.value_field]
    query = (
        select(code, func.count(), func.count(value), func.sum(value), func.min(value),
               func.max(value))
        .where(where)
        .group_by(code)
    )  # fmt: skip
    return [
        _Group(raw, rows, values, _number(total), _number(low), _number(high))
        for raw, rows, values, total, low, high in connection.execute(query)
    ]


def _filter_options(connection: Connection, request: _Request) -> dict[str, list[Any]]:
    """Columns with few distinct values, and those values, for the page's filter menus."""
    table = table_object(request.table.table_name, request.table.fields)
    options: dict[str, list[Any]] = {}
    for f in request.table.fields:
        name = str(f["id"])
        if len(options) >= MAX_FILTER_COLUMNS:
            break
        if name in (request.code_field, request.value_field) or f.get("type") not in FILTER_TYPES:
            continue
        if f.get("type") == "int" and name not in request.filters:
            continue  # numbers are measures; an int column is offered only once filtered on
        column = table.c[name]
        query = select(column).distinct().order_by(column).limit(MAX_FILTER_OPTIONS + 1)
        values = [row[0] for row in connection.execute(query)]
        if 1 < len(values) <= MAX_FILTER_OPTIONS:
            options[name] = [_jsonable(v) for v in values if v is not None]
    return options


def build(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    request = _parse(context, data)
    connection = context.session.connection()
    defaults = _newest_date_default(connection, request)
    request.filters.update(defaults)
    groups = _groups(connection, request)
    width = number_width([g.raw for g in groups if not isinstance(g.raw, str)])
    places: dict[str, _Place] = {}
    unmatched: list[dict[str, Any]] = []
    rows_total = 0
    for group in groups:
        rows_total += group.rows
        code5 = normalise_code(group.raw, width)
        if code5 is None:
            unmatched.append(_unmatched(group, None, "invalid", request.aggregation))
            continue
        places.setdefault(code5, _Place(code5)).add(group)
    drawn: dict[str, _Place] = {}
    for code5, place in places.items():
        reason = _reason(code5)
        if reason is None:
            drawn[code5] = place
        else:
            unmatched.append(_unmatched_place(place, reason, request.aggregation))
    # A city and its wards both in the table: the wards are drawn, the city is listed.
    for code5 in [c for c in drawn if _wards_drawn(c, drawn)]:
        unmatched.append(_unmatched_place(drawn.pop(code5), "city_by_wards", request.aggregation))
    values = [p.value(request.aggregation) for p in drawn.values()]
    edges = class_breaks.breaks(
        [v for v in values if v is not None], request.classes, request.method
    )
    colors = class_breaks.palette(max(len(edges) - 1, class_breaks.MIN_CLASSES))
    areas = []
    for code5, place in sorted(drawn.items()):
        found = boundary(code5)
        assert found is not None  # _reason() checked it
        value = place.value(request.aggregation)
        klass = class_breaks.class_of(value, edges)
        areas.append(
            {
                "code": with_check_digit(code5),
                "name": found.name,
                "prefecture": found.prefecture,
                "level": found.level,
                "value": _tidy(value),
                "rows": place.rows,
                "class": klass,
                "color": colors[klass - 1] if klass else class_breaks.NO_DATA_COLOR,
            }
        )
    legend = [
        {
            "class": i,
            "min": _tidy(edges[i - 1]),
            "max": _tidy(edges[i]),
            "color": colors[i - 1],
            "count": sum(1 for a in areas if a["class"] == i),
        }
        for i in range(1, len(edges))
    ]
    if len(edges) == 2 and edges[0] == edges[1]:
        legend = [
            {"class": 1, "min": _tidy(edges[0]), "max": _tidy(edges[1]), "color": colors[0],
             "count": len(areas)}
        ]  # fmt: skip
    unmatched.sort(key=lambda u: (u["reason"], str(u["code"])))
    return {
        "resource_id": request.table.resource_id,
        "code_field": request.code_field,
        "value_field": request.value_field,
        "aggregation": request.aggregation,
        "filters": {k: _jsonable(v) for k, v in request.filters.items()},
        "defaults": defaults,
        "method": request.method,
        "classes": len(legend),
        "breaks": [_tidy(e) for e in edges],
        "legend": legend,
        "no_data_color": class_breaks.NO_DATA_COLOR,
        "areas": areas,
        "unmatched": unmatched,
        "rows": rows_total,
        "prefectures": sorted({a["prefecture"] for a in areas}),
        "boundary_url": BOUNDARY_URL,
        "attribution": ATTRIBUTION,
        "value_fields": measure_fields(request.table.fields),
        "filter_options": _filter_options(connection, request),
    }


def _reason(code5: str) -> str | None:
    if code5.endswith("000"):
        return "prefecture"
    if boundary(code5) is not None:
        return None
    if _is_ward(code5) and area(with_check_digit(code5)) is not None:
        return "ward"
    return "unknown"


def _wards_drawn(code5: str, drawn: dict[str, _Place]) -> bool:
    city = with_check_digit(code5)
    return any(
        (b := boundary(other)) is not None and b.parent == city for other in drawn if other != code5
    )


def _unmatched(group: _Group, code5: str | None, reason: str, aggregation: str) -> dict[str, Any]:
    place = _Place(code5 or "")
    place.add(group)
    return _unmatched_place(place, reason, aggregation, known=False)


def _unmatched_place(
    place: _Place, reason: str, aggregation: str, *, known: bool = True
) -> dict[str, Any]:
    name = None
    if known:
        found = boundary(place.code5)
        named = area(with_check_digit(place.code5))
        name = named.name if named else found.name if found else None
    return {
        "code": with_check_digit(place.code5) if known else (place.raw or [""])[0],
        "as_written": sorted(set(place.raw or [])),
        "name": name,
        "rows": place.rows,
        "value": _tidy(place.value(aggregation)),
        "reason": reason,
        "message": REASONS[reason],
    }


@action("choropleth_show")
def choropleth_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A table's values by municipality, classed for a choropleth (see the module docstring)."""
    return build(context, data)
