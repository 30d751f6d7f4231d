"""What a column expects (a standard field's type, pattern and allowed values, or a kind inferred
from the data) and the checks of one cell against it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from tsunagu.datastore.ingest.cells import text_of
from tsunagu.datastore.ingest.values import parse_numeric, to_halfwidth
from tsunagu.quality.validate.codes import code_issues
from tsunagu.quality.validate.text import Issue

NUMBER_KINDS = frozenset({"integer", "number"})
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_PLAIN_INTEGER = re.compile(r"[+-]?[0-9]+")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
)
_BOOLEANS = frozenset({"true", "false", "1", "0"})
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URI = re.compile(r"(?:https?|ftp)://[^\s]+")

# What each type looks like, for「…で入力してください」.
TYPE_HINTS = {
    "integer": "半角数字だけの整数（例: 1200）",
    "number": "半角数字だけの数値（例: 35.6812）",
    "date": "「2020-04-01」のような西暦の年-月-日",
    "time": "「09:30」のような 24 時間制の時:分",
    "datetime": "「2020-04-01T09:30:00+09:00」のような日時",
    "boolean": "true か false",
    "year": "「2020」のような西暦 4 桁",
}
PATTERN_HINTS = {
    "^[0-9]{6}$": "半角数字 6 桁で入力してください。",
    "^[0-9-]+$": "半角の数字とハイフン（-）だけで入力してください（例: 03-1234-5678）。",
    "^[0-9]{3}-?[0-9]{4}$": "「100-0001」のような 7 桁の郵便番号を半角で入力してください。",
    "^[0-9]{13}$": "半角数字 13 桁で入力してください。",
}
FORMAT_HINTS = {
    "email": "「info@example.lg.jp」のようなメールアドレスを 1 つだけ入力してください。",
    "uri": "「https://」で始まる URL を 1 つだけ入力してください。",
}


# Per-cell tests that can run on many cells at once, framed as for text.SUSPECT_CHARS: each
# finds the cells that do NOT look right (the match ends on the cell's first character).
# Patterns that could match across a line break are not used this way.
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NOT_NUMBER_LINES = re.compile(rf"\n(?!{_NUMBER}\n)[^\n]")
_NOT_INTEGER_LINES = re.compile(r"\n(?![+-]?[0-9]+\n)[^\n]")
# A number with a unit or currency around it: 「1,200人」「¥500」「900㎡」「12 km」.
_WITH_UNIT = re.compile(r"[¥￥$]?\s*([+\-−△▲]?\s*[0-9][0-9,]*(?:\.[0-9]+)?)\s*[^\s0-9.,]{0,6}")
_CROSSES_LINES = re.compile(r"\\[sSWDn]|\[\^|\(\?|[$^]")


def _not_lines(pattern: str) -> re.Pattern[str] | None:
    inner = pattern.removeprefix("^").removesuffix("$")
    if _CROSSES_LINES.search(inner):
        return None
    try:
        return re.compile(f"\\n(?!(?:{inner})\\n)[^\\n]")
    except re.error:
        return None


@dataclass
class Expectation:
    kind: str = "text"  # text, integer, number, date, time, datetime, boolean, year
    standard: bool = False  # from a standard's field: type errors are schema.type
    pattern: re.Pattern[str] | None = None
    pattern_hint: str = ""
    enum: frozenset[str] | None = None
    enum_text: str = ""
    format: str | None = None  # email, uri
    code: bool = False  # a 全国地方公共団体コード column
    geo: bool = False  # a latitude or longitude column
    publisher: str | None = None  # the publishing organisation's code

    @property
    def trivial(self) -> bool:
        return self.kind == "text" and not (self.pattern or self.enum or self.format or self.code)

    def line_filters(self) -> list[re.Pattern[str]] | None:
        """Regexes finding the joined cells that may fail these checks; None when the checks
        can only run cell by cell (codes, dates, times …)."""
        if self.code or self.kind not in ("text", "integer", "number"):
            return None
        found: list[re.Pattern[str]] = []
        if self.kind == "number":
            found.append(_NOT_NUMBER_LINES)
        elif self.kind == "integer":
            found.append(_NOT_INTEGER_LINES)
        if self.pattern is not None:
            lines = _not_lines(self.pattern.pattern)
            if lines is None:
                return None
            found.append(lines)
        if self.format is not None:
            fmt = _EMAIL if self.format == "email" else _URI
            found.append(re.compile(f"\\n(?!{fmt.pattern}\\n)[^\\n]"))
        return found


def expectation_for_field(
    kind: str, pattern: str | None, enum: list[str] | None, fmt: str | None
) -> Expectation:
    expect = Expectation(kind=kind if kind in TYPE_HINTS else "text", standard=True)
    if pattern:
        try:
            expect.pattern = re.compile(pattern)
        except re.error:
            expect.pattern = None
        expect.pattern_hint = PATTERN_HINTS.get(
            pattern, f"決められた書き方（{pattern}）に合わせて入力してください。"
        )
    if enum:
        expect.enum = frozenset(enum)
        listed = "".join(f"「{v}」" for v in enum[:10])
        expect.enum_text = (
            f"{listed}を入力してください"
            if len(enum) == 1
            else f"{listed}のどれかを入力してください"
        )
    if fmt in FORMAT_HINTS:
        expect.format = fmt
    return expect


def typed_issues(value: object, expect: Expectation) -> list[Issue]:
    """Problems of a non-empty cell against what its column expects."""
    if expect.code:
        return code_issues(value, expect.publisher)
    if isinstance(value, str):
        text = to_halfwidth(value).strip()
        kind_issue = _text_kind_issue(text, expect)
    else:
        text = text_of(value)
        kind_issue = _object_kind_issue(value, expect)
    if kind_issue:
        return [kind_issue]
    if expect.pattern is not None and not expect.pattern.fullmatch(text):
        return [("schema.pattern", expect.pattern_hint)]
    if expect.format == "email" and not _EMAIL.fullmatch(text):
        return [("schema.pattern", FORMAT_HINTS["email"])]
    if expect.format == "uri" and not _URI.fullmatch(text):
        return [("schema.pattern", FORMAT_HINTS["uri"])]
    if expect.enum is not None and text not in expect.enum:
        return [("schema.enum", expect.enum_text)]
    return []


def _type_error(expect: Expectation) -> Issue:
    return ("schema.type", TYPE_HINTS[expect.kind])


def _text_kind_issue(text: str, expect: Expectation) -> Issue | None:
    kind = expect.kind
    if kind == "text":
        return None
    if kind in NUMBER_KINDS:
        return _number_issue(text, expect)
    if kind == "date":
        m = _ISO_DATE.fullmatch(text)
        if m and _valid_date(int(m[1]), int(m[2]), int(m[3])):
            return None
    elif kind == "time":
        m = _TIME.fullmatch(text)
        if m and int(m[1]) < 24 and int(m[2]) < 60 and int(m[3] or 0) < 60:
            return None
    elif kind == "datetime":
        if _DATETIME.fullmatch(text):
            return None
    elif kind == "boolean":
        if text.lower() in _BOOLEANS:
            return None
    elif kind == "year" and len(text) == 4 and text.isdigit():
        return None
    return _type_error(expect)


def _number_issue(text: str, expect: Expectation) -> Issue | None:
    if _PLAIN_NUMBER.fullmatch(text):
        if expect.kind == "integer" and not _PLAIN_INTEGER.fullmatch(text):
            return _type_error(expect)
        return None
    try:
        number = parse_numeric(text)
    except ValueError:
        number = _without_unit(text)
        if number is not None:
            return _number_format(number)
        if expect.geo:
            return ("geo.format", None)
        if expect.standard:
            return _type_error(expect)
        return (
            "cells.number_format",
            "数字だけを入力してください（説明は備考の列に書いてください）。",
        )
    if number is None:
        return None  # a placeholder, reported by the text checks
    return _number_format(number)


def _without_unit(text: str) -> int | float | None:
    match = _WITH_UNIT.fullmatch(text)
    if match is None:
        return None
    try:
        return parse_numeric(match[1])
    except ValueError:
        return None


def _number_format(number: float) -> Issue:
    return (
        "cells.number_format",
        f"桁区切りのカンマや単位、△ を付けずに {number} のように数字だけで入力してください"
        "（単位は列名に書いてください）。",
    )


def _object_kind_issue(value: object, expect: Expectation) -> Issue | None:
    """Typed cells from spreadsheets (numbers, dates, times, booleans)."""
    kind = expect.kind
    if kind == "text":
        return None
    ok: bool
    if isinstance(value, bool):
        ok = kind == "boolean"
    elif isinstance(value, int):
        ok = kind in NUMBER_KINDS or kind == "year" or (kind == "boolean" and value in (0, 1))
    elif isinstance(value, float):
        ok = kind == "number" or (kind == "integer" and value.is_integer())
    elif isinstance(value, datetime):
        ok = kind in ("datetime", "date")
    elif isinstance(value, date):
        ok = kind == "date"
    elif isinstance(value, time):
        ok = kind == "time"
    else:
        ok = False
    return None if ok else _type_error(expect)


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True
