"""Calendar days, months and timestamps, Western or 和暦 (a timestamp is a day plus a time
of day, and a midnight timestamp is a day, so the three live together)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from tsunagu.datastore.ingest.eras import (
    ERA_PATTERN,
    ERA_YEAR_PATTERN,
    era_range_text,
    gregorian_year,
)
from tsunagu.datastore.ingest.halfwidth import _prep
from tsunagu.datastore.ingest.messages import _show
from tsunagu.datastore.ingest.missing import _missing_text, is_missing
from tsunagu.datastore.ingest.model import Cell
from tsunagu.datastore.ingest.times import _TIME_CORE, _time_from_match

_N2 = r"[0-9]{1,2}"
# Every spelling of a day; group names differ per branch because Python wants them unique.
_DATE_CORE = (
    rf"(?:(?P<wy>[0-9]{{4}})\s*(?P<ws>[-/.])\s*(?P<wm>{_N2})\s*(?P=ws)\s*(?P<wd>{_N2})"
    rf"|(?P<ky>[0-9]{{4}})\s*年\s*(?P<km>{_N2})\s*月\s*(?P<kd>{_N2})\s*日"
    rf"|(?P<e1>{ERA_PATTERN})\s*(?P<ey1>{ERA_YEAR_PATTERN})\s*(?P<es>[-/.])\s*(?P<em1>{_N2})\s*(?P=es)\s*(?P<ed1>{_N2})"
    rf"|(?P<e2>{ERA_PATTERN})\s*(?P<ey2>{ERA_YEAR_PATTERN})\s*年\s*(?P<em2>{_N2})\s*月\s*(?P<ed2>{_N2})\s*日)"
    # A weekday after the date, "(水)", "(月曜日)", "(月・祝)": accepted, not checked, since a
    # wrong weekday should not turn a whole date column into text.
    r"(?:\s*\((?:[月火水木金土日](?:曜日?)?(?:[・,、]?祝日?)?|祝日?|休日?)\))?"
)
_DATE_RE = re.compile(_DATE_CORE)
_YEAR_MONTH_RE = re.compile(
    rf"(?:(?P<wy>[0-9]{{4}})\s*(?:[-/.]\s*(?P<wm>{_N2})|年\s*(?P<wkm>{_N2})\s*月)"
    rf"|(?P<e>{ERA_PATTERN})\s*(?P<ey>{ERA_YEAR_PATTERN})\s*(?:[-/.]\s*(?P<em>{_N2})|年\s*(?P<ekm>{_N2})\s*月))"
)

_DATE_EXAMPLES = "例: 2020-04-01、2020/4/1、2020年4月1日、令和2年4月1日、R2.4.1"
# Date and time: "T" or spaces between them, or nothing right after 日 / a weekday ")".
_TIMESTAMP_RE = re.compile(
    rf"{_DATE_CORE}(?P<sep>T|\s+|(?<=[日)])){_TIME_CORE}"
    r"(?P<tz>Z|(?P<tzsign>[+\-])(?P<tzh>[0-9]{2})(?::?(?P<tzm>[0-9]{2}))?)?"
)
_TIMESTAMP_EXAMPLES = "例: 2020-04-01 09:30、2020/4/1 9:30:00、令和2年4月1日 9時30分"
_JST = dt.timezone(dt.timedelta(hours=9))


def _make_date(year: int, month: int, day: int, cell: Cell) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"{_show(cell)} は存在しない日付です") from None


def _era_date(token: str, era_year: str, month: str, day: str, cell: Cell) -> dt.date:
    era, year = gregorian_year(token, era_year, cell)
    d = _make_date(year, int(month), int(day), cell)
    if not era.start <= d <= era.end:
        raise ValueError(f"{_show(cell)} は{era.name}の期間外です（{era_range_text(era)}）")
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
        era, year = gregorian_year(g("e"), g("ey"), cell)
        month = int(g("em") or g("ekm"))
    if not 1 <= month <= 12:
        raise ValueError(f"{_show(cell)} は存在しない年月です")
    if era is not None and not (
        (era.start.year, era.start.month) <= (year, month) <= (era.end.year, era.end.month)
    ):
        raise ValueError(f"{_show(cell)} は{era.name}の期間外です（{era_range_text(era)}）")
    return f"{year:04d}-{month:02d}"


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
