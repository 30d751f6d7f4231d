"""Integers and decimals as Japanese tables write them: full-width digits, thousands
separators, △/▲ for minus, a trailing %."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal

from tsunagu.datastore.ingest.halfwidth import _prep
from tsunagu.datastore.ingest.messages import _show
from tsunagu.datastore.ingest.missing import _missing_text, is_missing
from tsunagu.datastore.ingest.model import Cell

# Groups: sign, integer part (plain or grouped by 3), fraction after it, fraction alone (".5"),
# exponent, percent. Digits are [0-9] rather than \d, which would admit Arabic-Indic digits.
_NUMBER_RE = re.compile(
    r"([+\-−△▲]?)\s*"
    r"(?:([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(\.[0-9]*)?|(\.[0-9]+))"
    r"([eE][+\-]?[0-9]+)?\s*(%?)"
)
_NEGATIVE_SIGNS = frozenset("-−△▲")
# Fast path of parse_numeric: an ASCII decimal without grouping, exponent or spaces ("34.5",
# "-0.25"), as coordinates and rates are usually written.
_PLAIN_DECIMAL_RE = re.compile(r"-?[0-9]+\.[0-9]+")
_PAREN_NUMBER_RE = re.compile(r"\(\s*[0-9][0-9,.]*\s*\)")
# A number with a unit or currency around it: "12人", "1,234円", "¥1,000", "12 km".
_UNIT_RE = re.compile(
    r"[¥￥$]\s*[0-9][0-9,.]*|[+\-−△▲]?\s*[0-9][0-9,.]*\s*[^\s0-9.,+\-%()].*", re.DOTALL
)
_GROUPING_RE = re.compile(r"[+\-−△▲]?\s*[0-9][0-9,]*(?:\.[0-9]*)?")


def _number_error(cell: Cell, s: str | None, kind: str) -> ValueError:
    if isinstance(cell, bool):
        return ValueError(f"真偽値 {_show(cell)} は{kind}として読めません")
    if isinstance(cell, dt.date | dt.time):
        return ValueError(f"日付・時刻 {_show(cell)} は{kind}として読めません")
    example = "例: 1234、1,234、-12、△12" + ("" if kind == "整数" else "、12.5")
    hint = example
    if s is not None:
        if _PAREN_NUMBER_RE.fullmatch(s):
            hint = "負の数は「-12」または「△12」と書いてください"
        elif _UNIT_RE.fullmatch(s):
            hint = "単位は列名に書き、値は数字だけにしてください"
        elif "," in s and _GROUPING_RE.fullmatch(s):
            hint = "桁区切りのカンマは3桁ごとに入れてください"
    return ValueError(f"{_show(cell)} は{kind}として読めません（{hint}）")


def _float_to_number(value: float, cell: Cell, kind: str) -> int | float:
    if math.isinf(value):
        raise ValueError(f"{_show(cell)} は{kind}として大きすぎます")
    return int(value) if value.is_integer() else value


def parse_int(cell: Cell) -> int | None:
    """An integer: "1234", "１，２３４", "+12", "-12", "−12", "△12", "▲ 12", "50%" → 50.

    Integral spreadsheet floats (3.0) are ints; "12.0", "1e3", "12.5" and bool cells are not.
    Leading zeros are accepted ("007" → 7): keeping codes as text is infer's job.
    """
    if isinstance(cell, str):
        # Fast path: plain ASCII digits, the overwhelming majority of integer cells.
        if cell.isascii():
            if cell.isdigit():
                return int(cell)
            if cell[:1] == "-" and cell[1:].isdigit():
                return int(cell)
        s = _prep(cell)
        if _missing_text(s):
            return None
        m = _NUMBER_RE.fullmatch(s)
        if m is None:
            raise _number_error(cell, s, "整数")
        sign, digits, frac, lone_frac, exp, _pct = m.groups()
        if frac is not None or lone_frac is not None or exp:
            raise ValueError(
                f"{_show(cell)} は整数ではありません（小数を含む列は数値の列にしてください）"
            )
        n = int(digits.replace(",", ""))
        return -n if sign in _NEGATIVE_SIGNS else n
    if cell is None:
        return None
    if isinstance(cell, bool):
        raise _number_error(cell, None, "整数")
    if isinstance(cell, int):
        return int(cell)
    if isinstance(cell, float | Decimal):
        if is_missing(cell):
            return None
        if isinstance(cell, Decimal) and cell.is_finite() and cell == cell.to_integral_value():
            return int(cell)
        if isinstance(cell, float) and cell.is_integer():
            return int(cell)
        raise ValueError(
            f"{_show(cell)} は整数ではありません（小数を含む列は数値の列にしてください）"
        )
    raise _number_error(cell, None, "整数")


def parse_numeric(cell: Cell) -> int | float | None:
    """A number: everything parse_int takes plus "12.5", ".5", "1.2e3", "12.5%".

    Returns ``int`` when the value is integral ("12", "12.0", "1.2e3", 3.0) and ``float``
    otherwise, so integral values keep full precision and fractions are binary floats (about 15
    significant digits). A percent sign is dropped, not applied: "12.5%" → 12.5 (the column
    name says the unit, as for every other unit).
    """
    if isinstance(cell, str):
        if cell.isascii():
            if cell.isdigit():
                return int(cell)
            if _PLAIN_DECIMAL_RE.fullmatch(cell):
                whole, _, fraction = cell.partition(".")
                if fraction.strip("0"):
                    return _float_to_number(float(cell), cell, "数値")
                return int(whole)  # "12.00": exact, as below
        s = _prep(cell)
        if _missing_text(s):
            return None
        m = _NUMBER_RE.fullmatch(s)
        if m is None:
            raise _number_error(cell, s, "数値")
        sign, digits, frac, lone_frac, exp, _pct = m.groups()
        negative = sign in _NEGATIVE_SIGNS
        if digits is not None:
            digits = digits.replace(",", "")
            # "12", "12.", "12.00": integral without going through a float, so big values stay
            # exact.
            if not exp and (frac is None or not frac.strip(".0")):
                n = int(digits)
                return -n if negative else n
        text = ("-" if negative else "") + (digits or "") + (frac or lone_frac or "") + (exp or "")
        return _float_to_number(float(text), cell, "数値")
    if cell is None:
        return None
    if isinstance(cell, bool):
        raise _number_error(cell, None, "数値")
    if isinstance(cell, int):
        return int(cell)
    if isinstance(cell, float):
        if cell != cell:
            return None
        return _float_to_number(cell, cell, "数値")
    if isinstance(cell, Decimal):
        if cell.is_nan():
            return None
        if cell.is_finite() and cell == cell.to_integral_value():
            return int(cell)
        return _float_to_number(float(cell), cell, "数値")
    raise _number_error(cell, None, "数値")
