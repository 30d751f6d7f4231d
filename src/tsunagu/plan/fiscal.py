"""Fiscal years (年度: April to March, named after the calendar year they start in), shown in
和暦 (令和7年度) and Western form, and the periods plans write beside their values.

Plans write periods many ways: 「R2年度」「令和元年度」「2019 (令元)」「H30年中」「R2. 1月」
「H33年3月末」「H29平均」「H29年度実績」. Each is read as a :class:`Period`: the fiscal year it falls
in, the last day it covers (what progress is measured against) and the label exactly as written.
Miyagi's plan writes H32 and H33, Heisei years that never came (Heisei ended in its 31st year):
they are read as the years they would have been (H32 = 2020) and the label stays beside them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from tsunagu.datastore.ingest.eras import ERA_PATTERN, ERA_YEAR_PATTERN, era_of
from tsunagu.datastore.ingest.halfwidth import to_halfwidth

PeriodKind = Literal["fiscal_year", "calendar_year", "month", "day"]

# Eras as the plan pages name them, newest first (a fiscal year takes the era in force on 1 May
# of its first year: FY2019 is 令和元年度, FY1988 is 昭和63年度).
_NAMES = (
    ("令和", "R", dt.date(2019, 5, 1), 2018),
    ("平成", "H", dt.date(1989, 1, 8), 1988),
    ("昭和", "S", dt.date(1926, 12, 25), 1925),
)


@dataclass(frozen=True)
class Period:
    label: str  # as written
    fiscal_year: int
    end: dt.date  # the last day the period covers
    kind: PeriodKind


def fiscal_year_of(day: dt.date) -> int:
    """The fiscal year a day falls in: 2021-03-31 → 2020, 2021-04-01 → 2021."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_end(year: int) -> dt.date:
    return dt.date(year + 1, 3, 31)


def fiscal_year_start(year: int) -> dt.date:
    return dt.date(year, 4, 1)


def _era_of(year: int) -> tuple[str, str, int]:
    """(era name, letter, era year) naming a fiscal or calendar year."""
    may_first = dt.date(year, 5, 1)
    for name, letter, start, offset in _NAMES:
        if may_first >= start:
            return name, letter, year - offset
    raise ValueError(f"{year} is before 昭和")


def _era_year_text(n: int) -> str:
    return "元" if n == 1 else str(n)


def wareki(year: int) -> str:
    """令和7年度 for 2025 (the 和暦 name of a fiscal year)."""
    if year < 1927:
        return f"{year}年度"
    name, _letter, n = _era_of(year)
    return f"{name}{_era_year_text(n)}年度"


def wareki_short(year: int) -> str:
    """R7年度 for 2025, as plan tables abbreviate it."""
    if year < 1927:
        return f"{year}年度"
    _name, letter, n = _era_of(year)
    return f"{letter}{_era_year_text(n)}年度"


def western(year: int) -> str:
    return f"{year}年度"


def label(year: int | None) -> str:
    """令和7年度（2025年度）; "" for no year."""
    if year is None:
        return ""
    return f"{wareki(year)}（{western(year)}）"


def label_en(year: int | None) -> str:
    """FY2025 (April 2025 – March 2026)."""
    if year is None:
        return ""
    return f"FY{year} (April {year} – March {year + 1})"


# -- reading what plans write ---------------------------------------------------------------

_EY = rf"(?P<ey>{ERA_YEAR_PATTERN})"
_ERA_YEAR = rf"(?P<era>{ERA_PATTERN})\s*\.?\s*{_EY}"
_WESTERN = r"(?P<wy>(?:19|20)[0-9]{2})"
_YEAR = rf"(?:{_ERA_YEAR}|{_WESTERN})"
_MONTH = r"(?P<month>[0-9]{1,2})"
_DAY = r"(?P<day>[0-9]{1,2})"
# Each shape: the year part, then what follows it.
_SHAPES: tuple[tuple[re.Pattern[str], PeriodKind], ...] = (
    # 令和2年1月20日, R2.1.20, 2020/1/20
    (re.compile(rf"{_YEAR}\s*[年./\-]\s*{_MONTH}\s*[月./\-]\s*{_DAY}\s*日?(?:現在|時点)?"), "day"),
    # H30年3月末, R2. 1月, 2020年1月, H31年2月末
    (
        re.compile(rf"{_YEAR}\s*[年./\-]\s*{_MONTH}\s*月?\s*(?:末|末日|末現在|現在|時点)?"),
        "month",
    ),
    # H30年度, 令和元年度, 2020年度, H30年度末, H29年度実績, 2020（令和2）年度
    (
        re.compile(rf"{_YEAR}\s*(?:[（(][^）)]*[）)])?\s*年度\s*(?:末|実績|見込み?|中)?"),
        "fiscal_year",
    ),
    # H30年中, H29平均, H30年, 2017 (calendar years)
    (re.compile(rf"{_YEAR}\s*(?:年中|年平均|平均|年)"), "calendar_year"),
    # H30, R元, 2019: a bare year, taken as a fiscal year (plans count in 年度)
    (re.compile(rf"{_YEAR}"), "fiscal_year"),
)
_PARENS = re.compile(r"[（(]([^）)]*)[）)]")


def _gregorian(match: re.Match[str]) -> int:
    if match.group("wy"):
        return int(match.group("wy"))
    token = match.group("era")
    era = era_of(token)
    ey = match.group("ey")
    n = 1 if ey == "元" else int(ey)
    if n == 0:
        raise ValueError(f"{era.name}0年はありません")
    return era.offset + n


def _period_from(text: str, label: str) -> Period | None:
    for pattern, kind in _SHAPES:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        year = _gregorian(match)
        if kind == "day":
            try:
                day = dt.date(year, int(match.group("month")), int(match.group("day")))
            except ValueError:
                raise ValueError(f"「{label}」は存在しない日付です") from None
            return Period(label, fiscal_year_of(day), day, "day")
        if kind == "month":
            month = int(match.group("month"))
            if not 1 <= month <= 12:
                raise ValueError(f"「{label}」の月が 1〜12 ではありません")
            last = calendar.monthrange(year, month)[1]
            day = dt.date(year, month, last)
            return Period(label, fiscal_year_of(day), day, "month")
        if kind == "calendar_year":
            return Period(label, year, dt.date(year, 12, 31), "calendar_year")
        return Period(label, year, fiscal_year_end(year), "fiscal_year")
    return None


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", to_halfwidth(text))
    return re.sub(r"\s+", " ", text).strip()


def parse_period(text: str) -> Period | None:
    """The period a plan's label names, or None when ``text`` is not a period at all.

    ValueError when it is written like one but cannot be (令和0年, 13月, 2月30日).
    """
    label = text.strip()
    folded = _fold(label)
    if not folded:
        return None
    folded = folded.removeprefix("基準").removeprefix("目標").strip(" :：")
    found = _period_from(folded, label)
    if found is not None:
        return found
    # "2019 (令元)", "2017 (平 29)", "2019 (令2.1月)": the Western year with its era spelling in
    # brackets; the more precise of the two is kept (a month names its own fiscal year).
    bracket = _PARENS.search(folded)
    if bracket is not None:
        outside = _PARENS.sub("", folded).strip()
        inside = _period_from(bracket.group(1).replace(" ", ""), label)
        western_year = _period_from(outside, label) if outside else None
        if inside is not None and inside.kind in ("day", "month"):
            return inside
        if western_year is not None:
            return western_year
        if inside is not None:
            return inside
    return None


def fiscal_year_from_header(text: str) -> tuple[int, str] | None:
    """A year column of a plan table ("R2年度", "令和2年度", "H32", "2020年度", "工程表 R3年度",
    "R2年度 実績"): (fiscal year, the year as written), or None."""
    folded = _fold(text)
    match = re.search(rf"(?:{ERA_PATTERN})\s*(?:{ERA_YEAR_PATTERN})|(?:19|20)[0-9]{{2}}", folded)
    if match is None:
        return None
    candidate = match.group(0)
    rest = folded[match.end() :]
    if rest.startswith("年度"):
        candidate += "年度"
    period = parse_period(candidate)
    if period is None:
        return None
    return period.fiscal_year, candidate


def years(start: int | None, end: int | None) -> list[int]:
    if start is None or end is None or end < start:
        return []
    return list(range(start, end + 1))
