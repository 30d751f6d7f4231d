"""和暦: the Japanese eras from 明治 on, their spellings and their date ranges."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from tsunagu.datastore.ingest.messages import _show
from tsunagu.datastore.ingest.model import Cell


class Era(NamedTuple):
    name: str
    offset: int  # Gregorian year = offset + era year
    start: dt.date
    end: dt.date


# Changeover days belong to both eras, as both spellings occur (明治45年7月30日 = 大正元年7月30日).
# 明治 starts on the Gregorian equivalent of its first day; dates before 1873 were written in the
# lunisolar calendar and are taken as Gregorian here.
_MEIJI = Era("明治", 1867, dt.date(1868, 1, 25), dt.date(1912, 7, 30))
_TAISHO = Era("大正", 1911, dt.date(1912, 7, 30), dt.date(1926, 12, 25))
_SHOWA = Era("昭和", 1925, dt.date(1926, 12, 25), dt.date(1989, 1, 7))
_HEISEI = Era("平成", 1988, dt.date(1989, 1, 8), dt.date(2019, 4, 30))
_REIWA = Era("令和", 2018, dt.date(2019, 5, 1), dt.date.max)
_ERAS: dict[str, Era] = {}
for _era, _aliases in (
    (_MEIJI, ("明治", "明", "M", "m", "㍾")),
    (_TAISHO, ("大正", "大", "T", "t", "㍽")),
    (_SHOWA, ("昭和", "昭", "S", "s", "㍼")),
    (_HEISEI, ("平成", "平", "H", "h", "㍻")),
    (_REIWA, ("令和", "令", "R", "r", "㋿")),
):
    for _alias in _aliases:
        _ERAS[_alias] = _era


def era_of(token: str) -> Era:
    """The era a spelling names (令和, 令, R, r, ㋿ …, as the patterns below match them);
    KeyError for any other text."""
    return _ERAS[token]


# For regular expressions of dates elsewhere: every spelling of an era era_of knows, and an
# era year (元年 is year 1). Group them when alternation matters: (?:{ERA_PATTERN}).
ERA_PATTERN = r"明治|大正|昭和|平成|令和|[明大昭平令MTSHRmtshr㍾㍽㍼㍻㋿]"
ERA_YEAR_PATTERN = r"[0-9]{1,2}|元"


def era_range_text(era: Era) -> str:
    """When an era ran, for messages: 「平成は1989年1月8日〜2019年4月30日」."""
    start = f"{era.start.year}年{era.start.month}月{era.start.day}日"
    if era.end == dt.date.max:
        return f"{era.name}は{start}から"
    return f"{era.name}は{start}〜{era.end.year}年{era.end.month}月{era.end.day}日"


def gregorian_year(token: str, era_year: str, cell: Cell) -> tuple[Era, int]:
    """The era and Gregorian year of an era spelling and era year as the patterns matched them;
    ValueError naming ``cell`` for year 0."""
    era = _ERAS[token]
    n = 1 if era_year == "元" else int(era_year)
    if n == 0:
        raise ValueError(f"{_show(cell)} の{era.name}0年はありません（1年目は元年または1年です）")
    return era, era.offset + n
