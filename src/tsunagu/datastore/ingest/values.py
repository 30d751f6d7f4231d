"""Parsing one cell the way Japanese public-sector tables write values.

A cell is ``str`` (CSV), an already-typed spreadsheet value (int, float, bool, date, datetime,
time) or None. Every parser returns None for a missing value and raises ValueError, with a short
Japanese message naming the value and what was expected, for anything it cannot read.

These run on every cell of every ingested table (tens of millions), so regexes are compiled once
and each parser checks the cheap common cases (plain ASCII digits, typed cells) first.

Two notions of "missing":

- strict (:func:`is_missing` with ``strict=True``, used by :func:`normalize_text`): empty or
  whitespace-only text, and runs of the dash / ellipsis placeholders (``-`` ``－`` ``‐`` ``―`` ``—``
  ``–`` ``−`` ``ー`` ``…`` ``...`` ``‥`` ``・``) that tables use for "nothing here".
- wide (the default, used by the typed parsers): strict plus the words and marks that stand in
  for a number or date: 不明, 不詳, 該当なし, 秘匿, ``x``/``X``/``*`` (statistical
  suppression), ``N/A``, ``NA``, ``#N/A``, ``null``, ``NaN``. A text column keeps those words.
  ``なし`` is deliberately not missing: it is the false value of :func:`parse_bool`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import NamedTuple

from tsunagu.datastore.ingest.model import Cell

__all__ = [
    "is_missing",
    "normalize_text",
    "parse_bool",
    "parse_date",
    "parse_int",
    "parse_numeric",
    "parse_time",
    "parse_timestamp",
    "parse_year_month",
    "to_halfwidth",
]

# --- normalisation --------------------------------------------------------------------------

# Full-width ASCII U+FF01..U+FF5E sits exactly 0xFEE0 above ASCII; U+3000 is the ideographic
# space. Nothing else is folded: ①, ㈱ and half-width katakana are left for the quality checks.
_HALFWIDTH: dict[int, int] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_HALFWIDTH[0x3000] = 0x20


# What _HALFWIDTH changes: most Japanese text has none of it, and a regex search is several
# times cheaper than str.translate with a dict (one lookup per character).
_FOLDABLE_RE = re.compile("[\uff01-\uff5e\u3000]")


def to_halfwidth(text: str) -> str:
    """Full-width ASCII (U+FF01–U+FF5E) → ASCII and U+3000 → space; nothing else changes."""
    # isascii() is O(1) in CPython, and ASCII text (most CSV cells) has nothing to fold.
    if text.isascii() or _FOLDABLE_RE.search(text) is None:
        return text
    return text.translate(_HALFWIDTH)


def _prep(cell: str) -> str:
    if cell.isascii() or _FOLDABLE_RE.search(cell) is None:
        return cell.strip()
    return cell.translate(_HALFWIDTH).strip()


# Characters that, alone or in runs ("-", "－", "ーー", "...", "・"), mean "no value". Checked
# after to_halfwidth, so "－" has become "-" and "．．．" has become "...".
_PLACEHOLDER_CHARS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63ー\uff70…‥・\uff65."
# Compared with the halfwidth, stripped, upper-cased text.
_MISSING_WORDS = frozenset(
    {"不明", "不詳", "該当なし", "該当無し", "秘匿", "X", "*", "N/A", "NA", "#N/A", "NULL", "NAN"}
)


def _missing_text(s: str, strict: bool = False) -> bool:
    """``s`` already went through _prep."""
    if not s or not s.strip(_PLACEHOLDER_CHARS):
        return True
    return not strict and s.upper() in _MISSING_WORDS


def is_missing(cell: Cell, *, strict: bool = False) -> bool:
    """Whether ``cell`` holds no value (see the module docstring for strict vs wide)."""
    if cell is None:
        return True
    if isinstance(cell, str):
        return _missing_text(_prep(cell), strict)
    if isinstance(cell, float):
        return cell != cell  # NaN
    if isinstance(cell, Decimal):
        return cell.is_nan()
    return False


def _show(cell: Cell) -> str:
    """A value quoted for an error message, shortened so one bad cell cannot flood a report."""
    if isinstance(cell, bool):
        text = "TRUE" if cell else "FALSE"
    elif isinstance(cell, dt.date | dt.time):
        text = cell.isoformat()
    else:
        text = str(cell).strip().replace("\r", "").replace("\n", "⏎")
    if len(text) > 30:
        text = text[:30] + "…"
    return f'"{text}"'


# --- numbers --------------------------------------------------------------------------------

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


# --- dates ----------------------------------------------------------------------------------


class _Era(NamedTuple):
    name: str
    offset: int  # Gregorian year = offset + era year
    start: dt.date
    end: dt.date


# Changeover days belong to both eras, as both spellings occur (明治45年7月30日 = 大正元年7月30日).
# 明治 starts on the Gregorian equivalent of its first day; dates before 1873 were written in the
# lunisolar calendar and are taken as Gregorian here.
_MEIJI = _Era("明治", 1867, dt.date(1868, 1, 25), dt.date(1912, 7, 30))
_TAISHO = _Era("大正", 1911, dt.date(1912, 7, 30), dt.date(1926, 12, 25))
_SHOWA = _Era("昭和", 1925, dt.date(1926, 12, 25), dt.date(1989, 1, 7))
_HEISEI = _Era("平成", 1988, dt.date(1989, 1, 8), dt.date(2019, 4, 30))
_REIWA = _Era("令和", 2018, dt.date(2019, 5, 1), dt.date.max)
_ERAS: dict[str, _Era] = {}
for _era, _aliases in (
    (_MEIJI, ("明治", "明", "M", "m", "㍾")),
    (_TAISHO, ("大正", "大", "T", "t", "㍽")),
    (_SHOWA, ("昭和", "昭", "S", "s", "㍼")),
    (_HEISEI, ("平成", "平", "H", "h", "㍻")),
    (_REIWA, ("令和", "令", "R", "r", "㋿")),
):
    for _alias in _aliases:
        _ERAS[_alias] = _era

_ERA = r"明治|大正|昭和|平成|令和|[明大昭平令MTSHRmtshr㍾㍽㍼㍻㋿]"
_EY = r"[0-9]{1,2}|元"  # era year; 元年 is year 1
_N2 = r"[0-9]{1,2}"
# Every spelling of a day; group names differ per branch because Python wants them unique.
_DATE_CORE = (
    rf"(?:(?P<wy>[0-9]{{4}})\s*(?P<ws>[-/.])\s*(?P<wm>{_N2})\s*(?P=ws)\s*(?P<wd>{_N2})"
    rf"|(?P<ky>[0-9]{{4}})\s*年\s*(?P<km>{_N2})\s*月\s*(?P<kd>{_N2})\s*日"
    rf"|(?P<e1>{_ERA})\s*(?P<ey1>{_EY})\s*(?P<es>[-/.])\s*(?P<em1>{_N2})\s*(?P=es)\s*(?P<ed1>{_N2})"
    rf"|(?P<e2>{_ERA})\s*(?P<ey2>{_EY})\s*年\s*(?P<em2>{_N2})\s*月\s*(?P<ed2>{_N2})\s*日)"
    # A weekday after the date, "(水)", "(月曜日)", "(月・祝)": accepted, not checked, since a
    # wrong weekday should not turn a whole date column into text.
    r"(?:\s*\((?:[月火水木金土日](?:曜日?)?(?:[・,、]?祝日?)?|祝日?|休日?)\))?"
)
_DATE_RE = re.compile(_DATE_CORE)
_YEAR_MONTH_RE = re.compile(
    rf"(?:(?P<wy>[0-9]{{4}})\s*(?:[-/.]\s*(?P<wm>{_N2})|年\s*(?P<wkm>{_N2})\s*月)"
    rf"|(?P<e>{_ERA})\s*(?P<ey>{_EY})\s*(?:[-/.]\s*(?P<em>{_N2})|年\s*(?P<ekm>{_N2})\s*月))"
)

_DATE_EXAMPLES = "例: 2020-04-01、2020/4/1、2020年4月1日、令和2年4月1日、R2.4.1"


def _make_date(year: int, month: int, day: int, cell: Cell) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"{_show(cell)} は存在しない日付です") from None


def _era_range(era: _Era) -> str:
    start = f"{era.start.year}年{era.start.month}月{era.start.day}日"
    if era.end == dt.date.max:
        return f"{era.name}は{start}から"
    return f"{era.name}は{start}〜{era.end.year}年{era.end.month}月{era.end.day}日"


def _era_year(token: str, era_year: str, cell: Cell) -> tuple[_Era, int]:
    era = _ERAS[token]
    n = 1 if era_year == "元" else int(era_year)
    if n == 0:
        raise ValueError(f"{_show(cell)} の{era.name}0年はありません（1年目は元年または1年です）")
    return era, era.offset + n


def _era_date(token: str, era_year: str, month: str, day: str, cell: Cell) -> dt.date:
    era, year = _era_year(token, era_year, cell)
    d = _make_date(year, int(month), int(day), cell)
    if not era.start <= d <= era.end:
        raise ValueError(f"{_show(cell)} は{era.name}の期間外です（{_era_range(era)}）")
    return d


def _date_from_match(m: re.Match[str], cell: Cell) -> dt.date:
    g = m.group
    if (y := g("wy")) is not None:
        return _make_date(int(y), int(g("wm")), int(g("wd")), cell)
    if (y := g("ky")) is not None:
        return _make_date(int(y), int(g("km")), int(g("kd")), cell)
    if (e := g("e1")) is not None:
        return _era_date(e, g("ey1"), g("em1"), g("ed1"), cell)
    return _era_date(g("e2"), g("ey2"), g("em2"), g("ed2"), cell)


def _date_text(s: str, cell: Cell) -> dt.date | None:
    """A date written on its own; None when ``s`` is not written like one."""
    if len(s) == 8 and s.isdigit() and s.isascii():
        return _make_date(int(s[:4]), int(s[4:6]), int(s[6:]), cell)
    m = _DATE_RE.fullmatch(s)
    return _date_from_match(m, cell) if m is not None else None


def parse_date(cell: Cell) -> dt.date | None:
    """A calendar day in any common Japanese spelling, Western or 和暦.

    Western: "2020-04-01", "2020/4/1", "2020.4.1", "2020年4月1日", "20200401". 和暦 by kanji
    name, one-kanji or letter abbreviation or ligature ("令和2年4月1日", "令和元年5月1日",
    "R2.4.1", "R02/04/01", "H31.4.30", "㍻31年4月30日", "㋿2年4月1日"), checked to fall inside
    the era. Full-width digits, spaces between parts and a trailing weekday "（月）" are fine. A
    midnight timestamp ("2020/4/1 0:00:00", a datetime at 00:00) is that day. Numbers (Excel
    serials) and year-month values are not dates.
    """
    if isinstance(cell, str):
        s = _prep(cell)
        if _missing_text(s):
            return None
        d = _date_text(s, cell)
        if d is not None:
            return d
        m = _TIMESTAMP_RE.fullmatch(s)
        if m is not None:
            stamp = _timestamp_from_match(m, cell)
            if stamp.time() == dt.time(0) and m.group("tz") is None:
                return stamp.date()
            raise ValueError(f"{_show(cell)} は時刻を含むので日付ではなく日時です")
        if _YEAR_MONTH_RE.fullmatch(s):
            raise ValueError(f"{_show(cell)} は年月だけで日がありません")
        raise ValueError(f"{_show(cell)} は日付として読めません（{_DATE_EXAMPLES}）")
    if type(cell) is dt.date:
        return cell
    if cell is None:
        return None
    if isinstance(cell, dt.datetime):
        if cell.time() == dt.time(0) and cell.tzinfo is None:
            return cell.date()
        raise ValueError(f"{_show(cell)} は時刻を含むので日付ではなく日時です")
    if isinstance(cell, dt.date):
        return dt.date(cell.year, cell.month, cell.day)
    if is_missing(cell):
        return None
    if isinstance(cell, int | float | Decimal) and not isinstance(cell, bool):
        # The spreadsheet reader turns date-formatted cells into dates; a bare number here is
        # a number, and guessing Excel serials would turn counts into dates.
        raise ValueError(f"数値 {_show(cell)} は日付として読めません（{_DATE_EXAMPLES}）")
    raise ValueError(f"{_show(cell)} は日付として読めません（{_DATE_EXAMPLES}）")


def parse_year_month(cell: Cell) -> str | None:
    """A month, as "YYYY-MM": "2020/04", "2020-4", "2020年4月", "令和2年4月", "R2.4".

    Meant for columns that hold months only, which stay text in this ISO spelling. Full dates
    are rejected (use parse_date); date cells give their month.
    """
    if isinstance(cell, dt.date):
        return f"{cell.year:04d}-{cell.month:02d}"
    if not isinstance(cell, str):
        if is_missing(cell):
            return None
        raise ValueError(
            f"{_show(cell)} は年月として読めません（例: 2020/04、2020年4月、令和2年4月）"
        )
    s = _prep(cell)
    if _missing_text(s):
        return None
    m = _YEAR_MONTH_RE.fullmatch(s)
    if m is None:
        raise ValueError(
            f"{_show(cell)} は年月として読めません（例: 2020/04、2020年4月、令和2年4月）"
        )
    g = m.group
    if (y := g("wy")) is not None:
        year, month = int(y), int(g("wm") or g("wkm"))
        if year == 0:
            raise ValueError(f"{_show(cell)} は存在しない年月です")
        era = None
    else:
        era, year = _era_year(g("e"), g("ey"), cell)
        month = int(g("em") or g("ekm"))
    if not 1 <= month <= 12:
        raise ValueError(f"{_show(cell)} は存在しない年月です")
    if era is not None and not (
        (era.start.year, era.start.month) <= (year, month) <= (era.end.year, era.end.month)
    ):
        raise ValueError(f"{_show(cell)} は{era.name}の期間外です（{_era_range(era)}）")
    return f"{year:04d}-{month:02d}"


# --- times ----------------------------------------------------------------------------------

# "9:30", "09:30:00.5", "9時", "9時30分", "9時半", "9時30分15秒", with 午前/午後 or AM/PM.
_TIME_CORE = (
    r"(?:(?P<ap>午前|午後|(?i:am|pm))\s*)?"
    r"(?:(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<sec>[0-9]{2})(?:\.(?P<us>[0-9]{1,6}))?)?"
    r"|(?P<jh>[0-9]{1,2})\s*時\s*(?:(?P<half>半)"
    r"|(?P<jmi>[0-9]{1,2})\s*分(?:\s*(?P<jsec>[0-9]{1,2})\s*秒)?)?)"
    r"(?:\s*(?P<ap2>(?i:am|pm|a\.m\.|p\.m\.)))?"
)
_TIME_RE = re.compile(_TIME_CORE)
# Date and time: "T" or spaces between them, or nothing right after 日 / a weekday ")".
_TIMESTAMP_RE = re.compile(
    rf"{_DATE_CORE}(?P<sep>T|\s+|(?<=[日)])){_TIME_CORE}"
    r"(?P<tz>Z|(?P<tzsign>[+\-])(?P<tzh>[0-9]{2})(?::?(?P<tzm>[0-9]{2}))?)?"
)
_TIME_EXAMPLES = "例: 9:30、09:30:00、9時30分、午後1時30分"
_TIMESTAMP_EXAMPLES = "例: 2020-04-01 09:30、2020/4/1 9:30:00、令和2年4月1日 9時30分"
_JST = dt.timezone(dt.timedelta(hours=9))


def _time_from_match(m: re.Match[str], cell: Cell) -> dt.time:
    g = m.group
    if (h := g("h")) is not None:
        hour, minute, second = int(h), int(g("mi")), int(g("sec") or 0)
        micro = int(us.ljust(6, "0")) if (us := g("us")) else 0
    else:
        hour, second, micro = int(g("jh")), int(g("jsec") or 0), 0
        minute = 30 if g("half") else int(g("jmi") or 0)
    ap, ap2 = g("ap"), g("ap2")
    if ap and ap2:
        raise ValueError(f"{_show(cell)} は午前・午後が二重に書かれています")
    marker = (ap or ap2 or "").lower().replace(".", "")
    if marker in ("午前", "午後"):
        # 午前12時 / 午後12時 mean noon or midnight depending on who wrote them.
        if hour > 11:
            raise ValueError(
                f"{_show(cell)} は時刻としてあいまいです（午前・午後は0〜11時で、または24時間制で書いてください）"
            )
        if marker == "午後":
            hour += 12
    elif marker:  # am / pm: the English clock, 12 AM = 0:00 and 12 PM = 12:00
        if not 1 <= hour <= 12:
            raise ValueError(f"{_show(cell)} は時刻の範囲外です（AM・PMは1〜12時）")
        hour = hour % 12 + (12 if marker == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{_show(cell)} は時刻の範囲外です（0:00〜23:59:59 で書いてください）")
    return dt.time(hour, minute, second, micro)


def _timestamp_from_match(m: re.Match[str], cell: Cell) -> dt.datetime:
    day = _date_from_match(m, cell)
    t = _time_from_match(m, cell)
    stamp = dt.datetime.combine(day, t)
    if (tz := m.group("tz")) is not None:
        # Offsets only in the machine layouts (ISO "T", or seconds as PostgreSQL writes them):
        # elsewhere "2020/4/1 9:30-17:00" is an opening-hours range, not UTC-17.
        if m.group("h") is None or (m.group("sep") != "T" and m.group("sec") is None):
            raise ValueError(f"{_show(cell)} は日時として読めません（{_TIMESTAMP_EXAMPLES}）")
        if tz == "Z":
            zone = dt.UTC
        else:
            hours, minutes = int(m.group("tzh")), int(m.group("tzm") or 0)
            if hours > 14 or minutes > 59:
                raise ValueError(f"{_show(cell)} の時差 {tz} は範囲外です")
            offset = dt.timedelta(hours=hours, minutes=minutes)
            zone = dt.timezone(-offset if m.group("tzsign") == "-" else offset)
        # Stored naive, in Japan time like every other timestamp of the catalogue.
        stamp = stamp.replace(tzinfo=zone).astimezone(_JST).replace(tzinfo=None)
    return stamp


def parse_time(cell: Cell) -> dt.time | None:
    """A time of day: "9:00", "09:00:00", "９：００", "9時", "9時30分", "9時半", "午前9時",
    "午後1時30分" (13:30), "1:30 PM". "24:00" and later are rejected, as are 午前/午後 12時
    (ambiguous). time cells pass through; datetime cells are rejected.
    """
    if type(cell) is dt.time:
        return cell
    if isinstance(cell, str):
        s = _prep(cell)
        if _missing_text(s):
            return None
        m = _TIME_RE.fullmatch(s)
        if m is None:
            raise ValueError(f"{_show(cell)} は時刻として読めません（{_TIME_EXAMPLES}）")
        return _time_from_match(m, cell)
    if cell is None or is_missing(cell):
        return None
    if isinstance(cell, dt.time):
        return cell
    raise ValueError(f"{_show(cell)} は時刻として読めません（{_TIME_EXAMPLES}）")


def parse_timestamp(cell: Cell) -> dt.datetime | None:
    """A date with a time of day: "2020-04-01 09:30", "2020-04-01T09:30:00", "2020/4/1 9:30",
    "令和2年4月1日 9時30分"; seconds optional; every date spelling of parse_date.

    A date alone is midnight of that day, so a column mixing dates and timestamps is a timestamp
    column. An offset ("Z", "+09:00") is converted to Japan time and dropped: results are naive
    Japan time. datetime cells pass through (aware ones converted the same way).
    """
    if isinstance(cell, dt.datetime):
        if cell.tzinfo is not None:
            return cell.astimezone(_JST).replace(tzinfo=None)
        return cell if type(cell) is dt.datetime else dt.datetime.combine(cell.date(), cell.time())
    if isinstance(cell, str):
        s = _prep(cell)
        if _missing_text(s):
            return None
        m = _TIMESTAMP_RE.fullmatch(s)
        if m is not None:
            return _timestamp_from_match(m, cell)
        d = _date_text(s, cell)
        if d is not None:
            return dt.datetime(d.year, d.month, d.day)
        raise ValueError(f"{_show(cell)} は日時として読めません（{_TIMESTAMP_EXAMPLES}）")
    if cell is None or is_missing(cell):
        return None
    if isinstance(cell, dt.date):
        return dt.datetime(cell.year, cell.month, cell.day)
    raise ValueError(f"{_show(cell)} は日時として読めません（{_TIMESTAMP_EXAMPLES}）")


# --- booleans and text ----------------------------------------------------------------------

# Compared with the halfwidth, stripped, lower-cased text. "1"/"0" are integers, not booleans,
# and "x"/"X" are the suppression mark (missing), not "×".
_TRUE_WORDS = frozenset({"true", "yes", "y", "はい", "有", "有り", "あり", "○", "◯", "〇"})
_FALSE_WORDS = frozenset({"false", "no", "n", "いいえ", "無", "無し", "なし", "×", "✕"})


def parse_bool(cell: Cell) -> bool | None:
    """true/TRUE/yes/Y/はい/有/あり/○/◯/〇 → True; false/no/N/いいえ/無/なし/×/✕ → False.

    Case-insensitive for the ASCII words. Numbers, "1" and "0" included, are not booleans.
    """
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, str):
        s = _prep(cell).lower()
        if s in _TRUE_WORDS:
            return True
        if s in _FALSE_WORDS:
            return False
        if _missing_text(s):
            return None
    elif cell is None or is_missing(cell):
        return None
    raise ValueError(
        f"{_show(cell)} は真偽値として読めません（例: はい/いいえ、有/無、○/×、true/false）"
    )


def normalize_text(cell: Cell) -> str | None:
    """A text cell as stored: full-width ASCII folded, ends stripped, inner spacing kept.

    None only for strictly missing cells (empty, whitespace, dash/ellipsis placeholders): words
    such as 不明 or 該当なし are content in a text column. Non-text cells are rendered: integral
    floats without ".0", dates and times in ISO form (a space between date and time), booleans
    as "true"/"false".
    """
    if cell.__class__ is str:
        # _prep and _missing_text(strict=True) inlined: this runs on every text cell.
        if cell.isascii() or _FOLDABLE_RE.search(cell) is None:  # type: ignore[union-attr]
            s = cell.strip()  # type: ignore[union-attr]
        else:
            s = cell.translate(_HALFWIDTH).strip()  # type: ignore[union-attr]
        return s if s and s.strip(_PLACEHOLDER_CHARS) else None
    if isinstance(cell, str):
        s = _prep(cell)
        return None if _missing_text(s, strict=True) else s
    if cell is None:
        return None
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, int):
        return str(int(cell))
    if isinstance(cell, float):
        if cell != cell:
            return None
        return str(int(cell)) if cell.is_integer() else repr(cell)
    if isinstance(cell, Decimal):
        if cell.is_nan():
            return None
        if cell.is_finite() and cell == cell.to_integral_value():
            return str(int(cell))
        return str(cell.normalize())
    if isinstance(cell, dt.datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, dt.date | dt.time):
        return cell.isoformat()
    text = str(cell).strip()
    return text or None
