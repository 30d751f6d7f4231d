"""Choosing a column type from a sample of cells, and converting rows to that type."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from tsunagu.datastore.ingest.model import Cell, ColumnType, IngestError
from tsunagu.datastore.ingest.values import (
    is_missing,
    normalize_text,
    parse_bool,
    parse_date,
    parse_int,
    parse_numeric,
    parse_time,
    parse_timestamp,
    to_halfwidth,
)

__all__ = [
    "column_converter",
    "convert_row",
    "converter",
    "infer_column",
    "infer_types",
    "looks_like_latitude",
    "looks_like_longitude",
    "memoized",
    "point_columns",
]

Converter = Callable[[Cell], object]

_CONVERTERS: dict[ColumnType, Converter] = {
    "int": parse_int,
    "numeric": parse_numeric,
    "date": parse_date,
    "timestamp": parse_timestamp,
    "time": parse_time,
    "bool": parse_bool,
    "text": normalize_text,
}
# Most specific first: the first type every value parses as wins.
_TYPED_ORDER: tuple[ColumnType, ...] = ("int", "numeric", "date", "timestamp", "time", "bool")

# A leading zero followed by more digits ("01", "001234", "０１"): a code whose zeros matter.
_LEADING_ZERO_RE = re.compile(r"\s*[+\-]?[0０][0-9０-９]")
# Identifier-like column names keep their values as text even when every value is digits.
# Matched against the half-width, case-folded name; ASCII words must stand alone ("hotel" is
# not "tel"), except "code", which also ends compounds such as "zipcode".
_CODE_NAME_RE = re.compile(
    r"コード|郵便|電話|ファクス|ファックス|〒|内線|法人番号|code"
    r"|(?<![a-z])(?:tel|fax|zip|phone|postal)(?![a-z])"
)


def _is_code_name(name: str) -> bool:
    return _CODE_NAME_RE.search(to_halfwidth(name).casefold()) is not None


def infer_column(values: Sequence[Cell], name: str | None = None) -> ColumnType:
    """The most specific type every non-missing value of the sample parses as.

    Preference: int → numeric → date → timestamp → time → bool → text. A column that is all
    missing, or has one value no typed parser accepts, is text. Values with a significant
    leading zero ("01", "001234") rule out int and numeric, and a column named like an
    code (コード, 郵便, 電話, 内線, 法人番号, TEL, FAX, code …) is text whatever it holds, so
    codes, postal and phone numbers keep their exact spelling. A plain 番号 or ID column of
    numbers without leading zeros is a row number and stays int.
    """
    if name is not None and _is_code_name(name):
        return "text"
    candidates = list(_TYPED_ORDER)
    seen = False
    for value in values:
        if is_missing(value):
            continue
        seen = True
        zero_padded = isinstance(value, str) and _LEADING_ZERO_RE.match(value) is not None
        kept: list[ColumnType] = []
        for column_type in candidates:
            if zero_padded and column_type in ("int", "numeric"):
                continue
            try:
                _CONVERTERS[column_type](value)
            except ValueError:
                continue
            kept.append(column_type)
        if not kept:
            return "text"
        candidates = kept
    return candidates[0] if seen else "text"


def infer_types(columns: list[str], sample_rows: list[list[Cell]]) -> list[ColumnType]:
    """infer_column for each column of ``sample_rows`` (short rows count as missing cells)."""
    return [
        infer_column([row[i] if i < len(row) else None for row in sample_rows], name)
        for i, name in enumerate(columns)
    ]


def converter(column_type: ColumnType) -> Converter:
    """The function turning a raw cell into the stored Python value for ``column_type``:
    int, int | float, date, datetime, time, bool or str, or None for a missing cell."""
    try:
        return _CONVERTERS[column_type]
    except KeyError:
        raise ValueError(f"unknown column type: {column_type!r}") from None


MEMO_LIMIT = 65_536
# A full cache that served fewer hits than this share of its lookups is dropped.
MEMO_MIN_HIT_SHARE = 0.25
_UNSEEN = object()


def column_converter(
    column_type: ColumnType, stored: Callable[[object], object] | None = None
) -> Converter:
    """The converter an ingest applies to every cell of a column of ``column_type``, followed by
    ``stored`` (how the database binds the value, e.g. a date as ISO text) when given.

    Dates, times and booleans are remembered per distinct cell (a 和暦 date costs microseconds
    to parse, a dict lookup a tenth of that), and so are numbers written with full-width digits,
    separators or △; plain ASCII numbers take the parsers' own fast path, and text is folded
    faster than it could be looked up.
    """
    convert = converter(column_type)
    if stored is not None:
        convert = _then_store(convert, stored)
    if column_type == "text":
        return convert
    return memoized(convert, ascii_direct=column_type in ("int", "numeric"))


def _then_store(convert: Converter, stored: Callable[[object], object]) -> Converter:
    def convert_and_store(cell: Cell) -> object:
        value = convert(cell)
        return None if value is None else stored(value)

    return convert_and_store


def memoized(
    convert: Converter, limit: int = MEMO_LIMIT, *, ascii_direct: bool = False
) -> Converter:
    """``convert`` remembering its results for text cells, for one column of one ingest.

    Only successes are kept, so a bad cell still raises its own error; only ``str`` cells are
    keys, because 1, 1.0 and True are equal as dict keys but not as cells. ``ascii_direct``:
    ASCII cells skip the cache (for parsers whose ASCII path is cheaper than a lookup). The
    cache holds at most ``limit`` entries; when it is full and has mostly missed (every value
    different), it is dropped and the column is converted directly from then on.
    """
    cache: dict[str, object] = {}
    get = cache.get
    missing = convert(None)  # every converter maps a missing cell to None
    enough_hits = limit * MEMO_MIN_HIT_SHARE / (1 - MEMO_MIN_HIT_SHARE)
    hits = 0
    active = True

    def convert_cell(cell: Cell) -> object:
        nonlocal hits, active
        if cell is None:
            return missing
        if not active or cell.__class__ is not str or (ascii_direct and cell.isascii()):  # type: ignore[union-attr]
            return convert(cell)
        value = get(cell, _UNSEEN)  # type: ignore[arg-type]
        if value is not _UNSEEN:
            hits += 1
            return value
        value = convert(cell)
        if len(cache) < limit:
            cache[cell] = value  # type: ignore[index]
        elif hits < enough_hits:
            active = False
            cache.clear()
        return value

    return convert_cell


def convert_row(
    converters: Sequence[Converter], cells: Sequence[Cell], line: int, columns: Sequence[str]
) -> list[object]:
    """Apply ``converters`` cell by cell; a cell that does not convert raises IngestError with
    ``line``, the column name and a Japanese message saying what the value is and what was
    expected."""
    try:
        # One comprehension for the common case of a clean row.
        return [conv(cell) for conv, cell in zip(converters, cells, strict=True)]
    except ValueError:
        pass
    if len(converters) != len(cells):
        raise IngestError(
            f"列の数が合いません（{len(columns)} 列のはずが {len(cells)} 列あります）", line=line
        )
    out: list[object] = []
    for i, (conv, cell) in enumerate(zip(converters, cells, strict=True)):
        try:
            out.append(conv(cell))
        except ValueError as exc:
            raise IngestError(str(exc), line=line, column=columns[i]) from exc
    return out  # not reached: the comprehension failed on some cell


# --- coordinates ----------------------------------------------------------------------------

# A trailing note in brackets: "緯度（世界測地系）", "lat (deg)", "経度[度]".
_TRAILING_NOTE_RE = re.compile(r"\s*[(\[（【〔][^)\]）】〕]*[)\]）】〕]\s*$")
_WORD_SPLIT_RE = re.compile(r"[^0-9a-z]+")
_LAT_WORDS = frozenset({"lat", "latitude"})
_LON_WORDS = frozenset({"lon", "lng", "longitude"})


def _coordinate_kind(name: str) -> str | None:
    """ "lat", "lon" or None; a name that mentions both ("緯度経度", "lat/lon") is neither."""
    clean = _TRAILING_NOTE_RE.sub("", to_halfwidth(name).casefold()).strip()
    words = set(_WORD_SPLIT_RE.split(clean))
    lat = "緯度" in clean or "北緯" in clean or not words.isdisjoint(_LAT_WORDS)
    # "long" alone is longitude; as one word among others ("long_name") it is too risky.
    lon = "経度" in clean or "東経" in clean or not words.isdisjoint(_LON_WORDS) or clean == "long"
    if lat and not lon:
        return "lat"
    if lon and not lat:
        return "lon"
    return None


def looks_like_latitude(name: str) -> bool:
    """緯度 / 北緯 / lat / latitude (any case, full-width too, with a bracketed note allowed)."""
    return _coordinate_kind(name) == "lat"


def looks_like_longitude(name: str) -> bool:
    """経度 / 東経 / lon / lng / long / longitude (same rules as looks_like_latitude)."""
    return _coordinate_kind(name) == "lon"


def point_columns(columns: Sequence[str]) -> tuple[int, int] | None:
    """Indexes of the first latitude and first longitude column, when the table has both."""
    lat = lon = None
    for i, name in enumerate(columns):
        kind = _coordinate_kind(name)
        if kind == "lat" and lat is None:
            lat = i
        elif kind == "lon" and lon is None:
            lon = i
    return (lat, lon) if lat is not None and lon is not None else None
