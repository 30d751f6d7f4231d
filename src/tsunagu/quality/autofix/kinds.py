"""Deciding what each column holds, from a sample of its values and the standard's field type.

The datastore's inference (`infer_column`) is strict: one odd value makes a column text. Auto-fix
is more tolerant, because the point is to convert the many good values and point at the few bad
ones: a column where all but a few sampled values read as dates is a date column, and the odd
values are kept as they are and reported as unconvertible.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from tsunagu.datastore.ingest.infer import infer_column
from tsunagu.datastore.ingest.model import Cell
from tsunagu.datastore.ingest.values import (
    is_missing,
    parse_date,
    parse_time,
    parse_timestamp,
    parse_year_month,
    to_halfwidth,
)
from tsunagu.quality.characters import replace_platform_dependent

Kind = Literal["text", "code", "number", "date", "timestamp", "time", "year_month"]

SAMPLE_ROWS = 1000  # rows read ahead to decide the kinds; the rest streams
# A typed kind is kept when at most this share of the sampled values fail to convert (and at
# least one value may always fail, so five dates and one 「未定」 are still a date column).
TOLERATED_SHARE = 0.1
MIN_TYPED_VALUES = 2

# Table Schema types of the standards → kinds. string and boolean stay text (booleans are
# written as the standard says, usually 「1」 or empty, which auto-fix must not reinterpret).
_STANDARD_KINDS: dict[str, Kind] = {
    "integer": "number",
    "number": "number",
    "date": "date",
    "datetime": "timestamp",
    "time": "time",
    "yearmonth": "year_month",
}

HYPHENS_RE = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\u30fc\uff70\ufe63]")
# A phone number, postal code or numeric code once half-width: digits, hyphens, brackets.
CODE_RE = re.compile(r"\+?[0-9()\-]*[0-9][0-9()\-]*")
# A number as written in tables, half-width already: sign, grouped or plain digits, fraction,
# exponent, then an optional unit (the rest), or a currency sign in front.
NUMBER_RE = re.compile(
    r"(?P<cur>[¥￥$]\s*)?(?P<sign>[+\-−△▲]?)\s*"
    r"(?:(?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?P<frac>\.[0-9]*)?|(?P<lone>\.[0-9]+))"
    r"(?P<exp>[eE][+\-]?[0-9]+)?\s*(?P<unit>[^\s0-9.,+\-][^0-9]{0,5})?"
)
_LEADING_ZERO_RE = re.compile(r"[+\-]?0[0-9]")
# Units removed from number columns. A closed list: 「3丁目」 or 「1号棟」 are not counts with a
# unit, and removing an unknown word could change what a value means.
_UNIT_WORDS = (
    "人 名 世帯 戸 件 円 千円 万円 百万円 億円 ドル 台 個 本 枚 冊 匹 頭 羽 基 棟 校 園 床 室 "
    "箇所 か所 ヶ所 ケ所 カ所 回 日 時間 分 秒 年 か月 ヶ月 カ月 歳 才 人分 % m km m2 km2 ha "
    "kg g t L mm cm 平方メートル 平方キロメートル 坪 区画 施設 団体 事業所 店 軒 泊 食 票"
)
UNITS = frozenset(_UNIT_WORDS.split())


@dataclass(frozen=True)
class ColumnKind:
    kind: Kind
    unit: str | None = None  # a unit written after every number of the column, to remove


def _code_name(name: str) -> bool:
    # infer_column keeps columns named like codes (電話, 郵便, コード, TEL …) as text whatever
    # they hold; asking it about a plain "1" tells whether the name is one of those.
    return infer_column(["1"], name) == "text"


def looks_like_code(text: str) -> bool:
    return CODE_RE.fullmatch(HYPHENS_RE.sub("-", to_halfwidth(text).strip())) is not None


def number_unit(text: str) -> tuple[bool, str | None]:
    """(whether `text` is a number with at most a unit around it, the unit or None)."""
    m = NUMBER_RE.fullmatch(replace_platform_dependent(to_halfwidth(text)).strip())
    if m is None:
        return False, None
    unit = m.group("unit")
    if m.group("cur"):
        return unit is None, "ドル" if m.group("cur").strip() == "$" else "円"
    return unit is None or unit in UNITS, unit


def _share_ok(ok: int, total: int) -> bool:
    return ok >= min(MIN_TYPED_VALUES, total) and total - ok <= max(1, TOLERATED_SHARE * total)


def _parses(parser: Callable[[Cell], object], value: Cell) -> bool:
    try:
        parser(value)
    except ValueError:
        return False
    return True


def _number_kind(present: Sequence[Cell]) -> ColumnKind | None:
    units: Counter[str | None] = Counter()
    ok = 0
    for value in present:
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            ok += 1
            continue
        if not isinstance(value, str) or _LEADING_ZERO_RE.match(to_halfwidth(value).strip()):
            continue  # a zero-padded value is a code, not a number
        good, unit = number_unit(value)
        if good:
            ok += 1
            units[unit] += 1
    written = [(u, n) for u, n in units.most_common() if u is not None]
    unit = written[0][0] if written else None
    # Only the column's one unit is removed: values with another unit count as failures.
    matching = ok - sum(n for u, n in units.items() if u not in (None, unit))
    if present and _share_ok(matching, len(present)):
        return ColumnKind("number", unit)
    return None


def decide_kind(name: str, values: Sequence[Cell], standard_type: str | None) -> ColumnKind:
    """The kind of column `name` from its sampled `values` (and its standard field type)."""
    present = [v for v in values if not is_missing(v)]
    wanted = _STANDARD_KINDS.get(standard_type or "")
    if wanted == "number":
        found = _number_kind(present)
        return found or ColumnKind("number")
    if wanted is not None:
        return ColumnKind(wanted)
    if standard_type in ("string", "boolean"):
        # The standard says text: numbers and dates in it are not reinterpreted.
        codes = sum(isinstance(v, str) and looks_like_code(v) for v in present)
        code = _code_name(name) or (bool(present) and _share_ok(codes, len(present)))
        return ColumnKind("code" if code else "text")
    inferred = infer_column(values, name)
    if inferred in ("int", "numeric"):
        return _number_kind(present) or ColumnKind("number")
    if inferred in ("date", "timestamp", "time"):
        return ColumnKind(inferred)
    if not present or inferred == "bool":
        return ColumnKind("code" if _code_name(name) else "text")
    if _code_name(name):
        return ColumnKind("code")
    for kind, parser in (
        ("date", parse_date),
        ("timestamp", parse_timestamp),
        ("time", parse_time),
        ("year_month", parse_year_month),
    ):
        if _share_ok(sum(_parses(parser, v) for v in present), len(present)):
            return ColumnKind(kind)  # type: ignore[arg-type]
    number = _number_kind(present)
    if number is not None:
        return number
    codes = sum(isinstance(v, str) and looks_like_code(v) for v in present)
    if _share_ok(codes, len(present)):
        return ColumnKind("code")
    return ColumnKind("text")
