"""Temporal coverage (temporal_start / temporal_end): ISO dates, typed any way staff write them.

Dates go through the datastore's own reader (datastore/ingest/dates.py), so 和暦 is understood
the same everywhere: 令和6年4月1日, R6.4.1, 2024/4/1. A month (平成31年4月) or a year (2024年,
令和6年度) is taken as its first day for a start and its last day for an end, with 年度 being
the Japanese fiscal year (April to March).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from tsunagu.datastore.ingest.dates import parse_date, parse_year_month
from tsunagu.datastore.ingest.eras import ERA_PATTERN, ERA_YEAR_PATTERN, gregorian_year
from tsunagu.datastore.ingest.halfwidth import _prep

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_YEAR = re.compile(
    rf"^(?:(?P<wy>\d{{4}})|(?P<e>{ERA_PATTERN})\s*(?P<ey>{ERA_YEAR_PATTERN}))\s*年?(?P<fiscal>度)?$"
)
EXAMPLES = "例: 2024-04-01、2024/4/1、令和6年4月1日、R6.4.1、平成31年4月、令和6年度"


def _year_bounds(m: re.Match[str], text: str, end: bool) -> dt.date:
    era = None
    if m.group("wy"):
        year = int(m.group("wy"))
    else:
        era, year = gregorian_year(m.group("e"), m.group("ey"), text)
        if not era.start.year <= year <= era.end.year:
            raise ValueError(f"「{text}」は{era.name}の期間外です")
    if m.group("fiscal"):
        # 年度 keeps its April-to-March span even across an era change (令和元年度 = 2019-04-01).
        return dt.date(year + 1, 3, 31) if end else dt.date(year, 4, 1)
    if end:
        last = dt.date(year, 12, 31)
        return min(last, era.end) if era else last
    first = dt.date(year, 1, 1)
    return max(first, era.start) if era else first


def parse_bound(text: str, *, end: bool) -> str:
    """The ISO date (YYYY-MM-DD) for a start (end=False) or end of coverage; "" for "".

    ValueError with a Japanese message when the text is not a date, month or year.
    """
    text = _prep(text)
    if not text:
        return ""
    if _ISO_DATE.match(text):
        try:
            dt.date.fromisoformat(text[:10])
        except ValueError:
            raise ValueError(f"「{text}」は存在しない日付です") from None
        return text
    problem = ""
    try:
        day = parse_date(text)
        if day is not None:
            return day.isoformat()
    except ValueError as error:
        problem = str(error)
    try:
        month = parse_year_month(text)
    except ValueError:
        month = None
    if month is not None:
        year, mon = int(month[:4]), int(month[5:])
        last = calendar.monthrange(year, mon)[1]
        return dt.date(year, mon, last if end else 1).isoformat()
    if m := _YEAR.match(text):
        return _year_bounds(m, text, end).isoformat()
    if problem and "読めません" not in problem and "年月だけ" not in problem:
        raise ValueError(_plain(problem))  # a real date that does not exist, or outside its era
    raise ValueError(f"「{text}」は日付として読めません（{EXAMPLES}）")


def _plain(message: str) -> str:
    # The datastore quotes cells with ASCII quotes for its reports; a form field reads better
    # with Japanese brackets.
    return re.sub(r'^"([^"]*)"\s*', r"「\1」", message)
