"""Fixing one cell according to its column's kind, and recording what changed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from tsunagu.datastore.ingest.model import Cell
from tsunagu.datastore.ingest.values import (
    normalize_text,
    parse_date,
    parse_time,
    parse_timestamp,
    parse_year_month,
    to_halfwidth,
)
from tsunagu.quality.autofix.kinds import CODE_RE, HYPHENS_RE, NUMBER_RE, ColumnKind
from tsunagu.quality.autofix.result import ChangeLog
from tsunagu.quality.autofix.text import (
    fold_alnum,
    has_halfwidth_kana,
    has_platform_dependent,
    is_placeholder,
    looks_like_formula,
    neutralise,
    trim,
    widen_kana,
)
from tsunagu.quality.characters import replace_platform_dependent

_WAREKI_RE = re.compile(r"\s*(?:明治|大正|昭和|平成|令和|[明大昭平令MTSHRmtshr㍾㍽㍼㍻㋿])")
_PLAIN_NUMBER_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_NEGATIVE = frozenset("-−△▲")
# Plain ASCII text that needs nothing: no edge spaces, no controls, not a dash placeholder or
# a formula. Checked first because it is most cells of most files.
_SAFE_START = frozenset("=+-@.")


def _time_text(t: dt.time) -> str:
    return t.strftime("%H:%M") if not (t.second or t.microsecond) else t.isoformat()


def _stamp_text(d: dt.datetime) -> str:
    return d.isoformat(timespec="seconds") if not d.microsecond else d.isoformat()


def _year_month_text(value: Cell) -> str:
    return parse_year_month(value) or ""


def _date_text(value: Cell) -> str:
    d = parse_date(value)
    return d.isoformat() if d else ""


def _timestamp_text(value: Cell) -> str:
    d = parse_timestamp(value)
    return _stamp_text(d) if d else ""


def _time_of_day_text(value: Cell) -> str:
    t = parse_time(value)
    return _time_text(t) if t else ""


_DATELIKE: dict[str, Callable[[Cell], str]] = {
    "date": _date_text,
    "timestamp": _timestamp_text,
    "time": _time_of_day_text,
    "year_month": _year_month_text,
}


def format_number(text: str, unit: str | None) -> tuple[str, bool] | None:
    """(plain digits, whether a unit was removed) for a number as tables write it, or None.

    Works on the text, not a float, so "35.6800" keeps its digits. Only the column's `unit`
    (or a percent sign in a column of percentages) may follow the number.
    """
    m = NUMBER_RE.fullmatch(replace_platform_dependent(to_halfwidth(text)).strip())
    if m is None:
        return None
    written = m.group("unit")
    if m.group("cur"):
        currency = "ドル" if m.group("cur").strip() == "$" else "円"
        if written is not None or currency != unit:
            return None
        removed = True
    elif written is not None:
        if written != unit:
            return None
        removed = True
    else:
        removed = False
    digits = (m.group("int") or "0").replace(",", "")
    frac = m.group("frac") or m.group("lone") or ""
    if frac == ".":
        frac = ""
    sign = "-" if m.group("sign") in _NEGATIVE else ""
    return f"{sign}{digits}{frac}{m.group('exp') or ''}", removed


class ColumnFixer:
    """Fixes the cells of one column, recording each change in the shared log."""

    def __init__(self, column: str, kind: ColumnKind, log: ChangeLog) -> None:
        self.column = column
        self.kind = kind
        self.log = log

    def fix(self, cell: Cell, line: int) -> str:
        if cell is None:
            return ""
        if not isinstance(cell, str):
            return self._typed(cell, line)
        kind = self.kind.kind
        if cell.isascii() and cell.isprintable():
            # Fast paths for values already as they should be.
            if kind == "text" and cell[:1] not in _SAFE_START and cell == cell.strip():
                return cell
            if kind == "number" and _PLAIN_NUMBER_RE.fullmatch(cell):
                return cell
        changes: list[str] = []
        text = trim(cell)
        if text != cell:
            changes.append("whitespace")
        if has_platform_dependent(text):
            text = replace_platform_dependent(text)
            changes.append("platform_dependent_char")
        if has_halfwidth_kana(text):
            text = widen_kana(text)
            changes.append("halfwidth_katakana")
        out = self._convert(text, changes) if text else ""
        for change in changes:
            self.log.add(change, row=line, column=self.column, before=cell, after=out)
        return out

    def _convert(self, text: str, changes: list[str]) -> str:
        kind = self.kind.kind
        if kind in ("text", "code"):
            if is_placeholder(text, wide=False):
                changes.append("placeholder")
                return ""
            if kind == "code":
                # 「〒」 before a postal code says what the column name already says.
                code = HYPHENS_RE.sub("-", to_halfwidth(text)).removeprefix("〒").lstrip()
                if CODE_RE.fullmatch(code):
                    if code != text:
                        changes.append("code_format")
                    return code
            return self._as_text(text, changes)
        if is_placeholder(text, wide=True):
            changes.append("placeholder")
            return ""
        if kind == "number":
            done = format_number(text, self.kind.unit)
            if done is None:
                changes.append("unconvertible")
                return self._as_text(text, changes)
            out, removed = done
            if removed:
                changes.append("unit_removed")
            # "1234人" only lost its unit; "1,234人" was also rewritten.
            if out + (self.kind.unit or "" if removed else "") != text:
                changes.append("number_format")
            return out
        try:
            out = _DATELIKE[kind](text)
        except ValueError:
            changes.append("unconvertible")
            return self._as_text(text, changes)
        if out != text:
            wareki = kind != "time" and _WAREKI_RE.match(to_halfwidth(text)) is not None
            changes.append("wareki_date" if wareki else "date_format")
        return out

    def _as_text(self, text: str, changes: list[str]) -> str:
        out = fold_alnum(text)
        if out != text:
            changes.append("fullwidth")
        if looks_like_formula(out):
            out = neutralise(out)
            changes.append("formula_neutralised")
        return out

    def _typed(self, cell: Cell, line: int) -> str:
        """A spreadsheet cell (number, date, time, bool): written in the column's form."""
        kind = self.kind.kind
        try:
            if kind in _DATELIKE:
                return _DATELIKE[kind](cell)
            if kind == "number" and isinstance(cell, bool | dt.date | dt.time):
                raise ValueError
        except ValueError:
            out = normalize_text(cell) or ""
            self.log.add("unconvertible", row=line, column=self.column, before=out, after=out)
            return out
        return normalize_text(cell) or ""
