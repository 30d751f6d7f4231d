"""Metric series as stored history: reading them back, and storing one day of them.

A series is a metric with normalised parameters (``SeriesKey``: the key and the canonical JSON
of the parameters). Each run of the snapshot job (metrics/job.py) stores today's value of every
tracked series, and a later run the same day refreshes it, so a day holds the last value
measured on it (on 31 March, the figure the year closed with). Once a day is over its row is
never written again. Days on which no run happened are written as rows without a value when the
next run catches up ("no data"), so a reader sees the gap for what it is and nothing is ever
invented or recomputed for a past day.

Reading, for callers such as plan/ (an indicator bound to a metric)::

    key = series_key("datasets_public", {"kind": "all"})
    points = read_series(session, [key])[key]          # every stored day, gaps as value None
    newest = latest_values(session, [key]).get(key)    # the newest day with a value
    years = yearly_values(session, [key])[key]         # the last value of each fiscal year
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tsunagu.context import Context
from tsunagu.errors import ValidationError
from tsunagu.metrics.models import MetricSnapshot
from tsunagu.metrics.registry import (
    Metric,
    check_params,
    get_metric,
    metrics,
    params_key,
    providers,
)
from tsunagu.storage.types import utcnow

log = logging.getLogger(__name__)

SeriesKey = tuple[str, str]  # (metric key, canonical parameters)
JST = dt.timezone(dt.timedelta(hours=9))
# Series read per query (an IN list of pairs).
_CHUNK = 200


def today() -> dt.date:
    """The day a snapshot belongs to: the catalog serves Japanese public bodies (JST)."""
    return dt.datetime.now(JST).date()


def fiscal_year_of(day: dt.date) -> int:
    """年度: April to March, named by the year it starts in."""
    return day.year if day.month >= 4 else day.year - 1


def series_key(key: str, params: dict[str, Any]) -> SeriesKey:
    """The stored key of a metric with already normalised parameters (registry.check_params)."""
    return (key, params_key(params))


@dataclass(frozen=True)
class Point:
    date: dt.date
    value: float | None  # None: no data that day


# -- reading -------------------------------------------------------------------------------


def _match(keys: Sequence[SeriesKey]) -> Any:
    return or_(*(and_(MetricSnapshot.metric_key == k, MetricSnapshot.params == p) for k, p in keys))


def _chunks(keys: Iterable[SeriesKey]) -> Iterable[list[SeriesKey]]:
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


def read_series(
    session: Session,
    keys: Iterable[SeriesKey],
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> dict[SeriesKey, list[Point]]:
    """Every stored day of each series (oldest first), no-data days included as None."""
    out: dict[SeriesKey, list[Point]] = {}
    for chunk in _chunks(keys):
        for key in chunk:
            out[key] = []
        query = select(
            MetricSnapshot.metric_key,
            MetricSnapshot.params,
            MetricSnapshot.date,
            MetricSnapshot.value,
        ).where(_match(chunk))
        if since is not None:
            query = query.where(MetricSnapshot.date >= since)
        if until is not None:
            query = query.where(MetricSnapshot.date <= until)
        for metric_key, params, day, value in session.execute(query.order_by(MetricSnapshot.date)):
            out[(metric_key, params)].append(Point(day, value))
    return out


# Days back a "recent" read looks: the job stores every tracked series daily, so a series'
# newest value is almost always among them; older ones are found by one seek each.
RECENT_DAYS = 2
# 年度 ends looked up for yearly values (a plan's baseline can be years before its start).
FIRST_FISCAL_YEAR = 2000

# The newest day with a value in [since, until]: a backward walk of the primary key (metric,
# parameters, date) that stops at the first value. Built once: it runs once per series.
_NEWEST = (
    select(MetricSnapshot.date, MetricSnapshot.value)
    .where(
        MetricSnapshot.metric_key == bindparam("key"),
        MetricSnapshot.params == bindparam("params"),
        MetricSnapshot.value.is_not(None),
        MetricSnapshot.date >= bindparam("since"),
        MetricSnapshot.date <= bindparam("until"),
    )
    .order_by(MetricSnapshot.date.desc())
    .limit(1)
)


def _seek_newest(
    session: Session, key: SeriesKey, since: dt.date | None, until: dt.date | None
) -> Point | None:
    row = session.execute(
        _NEWEST,
        {
            "key": key[0],
            "params": key[1],
            "since": since or dt.date(1900, 1, 1),
            "until": until or dt.date(9999, 12, 31),
        },
    ).first()
    return Point(row[0], row[1]) if row else None


def _on_days(session: Session, days: Sequence[dt.date], wanted: set[SeriesKey]) -> list[Any]:
    """Every stored row of ``wanted`` series on the given days, read through the date index
    (a few rows a day per series), so its cost does not grow with the length of the history."""
    if not days:
        return []
    rows = session.execute(
        select(
            MetricSnapshot.metric_key,
            MetricSnapshot.params,
            MetricSnapshot.date,
            MetricSnapshot.value,
        ).where(MetricSnapshot.date.in_(list(days)))
    )
    return [row for row in rows if (row[0], row[1]) in wanted]


def latest_values(session: Session, keys: Iterable[SeriesKey]) -> dict[SeriesKey, Point]:
    """The newest day with a value of each series that has one."""
    wanted = set(keys)
    out: dict[SeriesKey, Point] = {}
    now = today()
    recent = [now - dt.timedelta(days=n) for n in range(RECENT_DAYS + 1)]
    for metric_key, params, day, value in _on_days(session, recent, wanted):
        key = (metric_key, params)
        if value is not None and (key not in out or out[key].date < day):
            out[key] = Point(day, value)
    for key in wanted - set(out):
        found = _seek_newest(session, key, None, None)
        if found is not None:
            out[key] = found
    return out


def yearly_values(session: Session, keys: Iterable[SeriesKey]) -> dict[SeriesKey, list[Point]]:
    """The last day with a value of each fiscal year, oldest year first, for each series.

    A past year's last value is normally its 31 March row (the job writes every day, missed
    days as rows without a value); only a year whose 31 March has no value is searched.
    The current year's is the series' newest value."""
    wanted = set(keys)
    years: dict[SeriesKey, dict[int, Point]] = {key: {} for key in wanted}
    current = fiscal_year_of(today())
    year_ends = [dt.date(year + 1, 3, 31) for year in range(FIRST_FISCAL_YEAR, current)]
    for metric_key, params, day, value in _on_days(session, year_ends, wanted):
        key, year = (metric_key, params), day.year - 1
        if value is not None:
            years[key][year] = Point(day, value)
            continue
        found = _seek_newest(session, key, dt.date(year, 4, 1), day)
        if found is not None:
            years[key][year] = found
    for key, newest in latest_values(session, wanted).items():
        years[key][fiscal_year_of(newest.date)] = newest
    return {key: [by_year[y] for y in sorted(by_year)] for key, by_year in years.items()}


def snapshot_version(session: Session) -> tuple[dt.date | None, int, dt.datetime | None]:
    """Something that changes whenever a snapshot run writes anything: the newest day, its
    number of rows and when the last of them was written (a run measuring the day again
    changes only that), for caches of what is built from snapshots. Reads one day's rows."""
    newest = session.scalar(select(func.max(MetricSnapshot.date)))
    if newest is None:
        return None, 0, None
    count, recorded = session.execute(
        select(func.count(), func.max(MetricSnapshot.recorded)).where(MetricSnapshot.date == newest)
    ).one()
    return newest, int(count or 0), recorded


# -- writing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    metric: Metric
    params: dict[str, Any]

    @property
    def key(self) -> SeriesKey:
        return series_key(self.metric.key, self.params)


def tracked_series(context: Context) -> list[Series]:
    """What the snapshot stores: each metric's headline series and every series a capability
    binds (plan indicators). A binding whose metric or parameters are no longer valid (a
    deleted organisation) is skipped with a warning rather than stopping the others."""
    found: dict[SeriesKey, Series] = {}
    wanted: list[tuple[str, dict[str, Any]]] = [
        (m.key, dict(params)) for m in metrics() for params in m.headline
    ]
    for provider in providers():
        try:
            wanted += list(provider(context.session))
        except Exception:
            log.exception("metric series provider %s failed", provider)
    for key, given in wanted:
        found_metric = get_metric(key)
        if found_metric is None:
            log.warning("bound metric %s is not known to this site", key)
            continue
        try:
            params = check_params(context, found_metric, given)
        except ValidationError as exc:
            log.warning("bound metric %s has bad parameters %s: %s", key, given, exc.errors)
            continue
        series = Series(found_metric, params)
        found.setdefault(series.key, series)
    return list(found.values())


@dataclass
class Outcome:
    day: dt.date
    written: int = 0  # series given the day's first value
    updated: int = 0  # series whose value of the day was measured again
    no_data: int = 0  # missed days written as no data
    failed: list[str] = field(default_factory=list)  # series whose value could not be computed

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "written": self.written,
            "updated": self.updated,
            "no_data": self.no_data,
            "failed": self.failed,
        }


_LAST_DAY = select(func.max(MetricSnapshot.date)).where(
    MetricSnapshot.metric_key == bindparam("key"),
    MetricSnapshot.params == bindparam("params"),
)


def last_days(session: Session, keys: Sequence[SeriesKey]) -> dict[SeriesKey, dt.date]:
    """The newest stored day (value or not) of each series that has any: one primary-key
    seek a series, whatever the length of its history."""
    out: dict[SeriesKey, dt.date] = {}
    for key in dict.fromkeys(keys):
        day = session.scalar(_LAST_DAY, {"key": key[0], "params": key[1]})
        if day is not None:
            out[key] = day
    return out


def store_day(context: Context, day: dt.date) -> Outcome:
    """Store ``day``'s value of every tracked series: a new row, or the day's row measured
    again; before a series' first row of the day, the days missed since its last row are
    written as no data (if absent: never over a past value). A series whose newest row is
    later than ``day`` is left alone. The caller commits."""
    outcome = Outcome(day)
    tracked = tracked_series(context)
    last = last_days(context.session, [s.key for s in tracked])
    now = utcnow()
    for series in tracked:
        previous = last.get(series.key)
        if previous is not None and previous > day:
            log.warning("metric %s %s has rows after %s; not written", *series.key, day)
            continue
        try:
            number = series.metric.measure(context, series.params)
        except Exception:
            # No value rather than a wrong one: an earlier value of the day stays, a later run
            # may succeed, and a day without any becomes "no data" when the next day's run
            # catches up.
            log.exception("metric %s %s could not be computed", *series.key)
            outcome.failed.append(f"{series.key[0]} {series.key[1]}")
            continue
        if previous is not None and previous < day:
            gap = [previous + dt.timedelta(days=n) for n in range(1, (day - previous).days)]
            outcome.no_data += _insert_absent(
                context.session, [_row(series.key, missed, None, now) for missed in gap]
            )
        _upsert(context.session, _row(series.key, day, number, now))
        if previous == day:
            outcome.updated += 1
        else:
            outcome.written += 1
    return outcome


def _row(key: SeriesKey, day: dt.date, value: float | None, now: dt.datetime) -> dict[str, Any]:
    return {
        "metric_key": key[0],
        "params": key[1],
        "date": day,
        "fiscal_year": fiscal_year_of(day),
        "value": value,
        "recorded": now,
    }


def _insert_absent(session: Session, rows: list[dict[str, Any]]) -> int:
    """INSERT … ON CONFLICT DO NOTHING (both databases); how many rows went in."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # RETURNING gives exactly the rows that went in on both databases (rowcount of an
    # ORM-enabled INSERT is not reliable on PostgreSQL).
    statement = (
        insert(MetricSnapshot).values(rows).on_conflict_do_nothing().returning(MetricSnapshot.date)
    )
    return len(session.execute(statement).all())


def _upsert(session: Session, row: dict[str, Any]) -> None:
    """The day's row, or its value and time replaced (a run at the same moment elsewhere
    leaves one row either way)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(MetricSnapshot).values(row)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["metric_key", "params", "date"],
            set_={"value": statement.excluded.value, "recorded": statement.excluded.recorded},
        )
    )
