"""Actual values of indicators bound to a live catalog metric (tsunagu.metrics).

The metric's daily snapshots are the indicator's real history: what the catalog counted on each
day, stored by the snapshot job, never recomputed. A plan page needs little of it: the latest
value (for the progress) and the last value of each fiscal year (for the yearly columns and the
trend chart); the whole daily series is read for one indicator at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from tsunagu.context import Context
from tsunagu.metrics import registry, snapshots
from tsunagu.plan import fiscal
from tsunagu.plan.models import Indicator
from tsunagu.plan.progress import Point
from tsunagu.plan.values import plain


@dataclass
class Live:
    """What a bound indicator's metric says: its label and unit, and its points (the last of
    each fiscal year and the latest; or every day when asked for)."""

    key: str
    label: str = ""
    unit: str = ""
    points: list[Point] = field(default_factory=list)
    # False when the metric is not (or no longer) known to this site.
    known: bool = True


def yearly(points: Iterable[Point]) -> list[Point]:
    """The last point of each fiscal year, oldest first."""
    last: dict[int, Point] = {}
    for point in sorted(points, key=lambda p: p.date):
        last[fiscal.fiscal_year_of(point.date)] = point
    return [last[y] for y in sorted(last)]


def _key(indicator: Indicator) -> snapshots.SeriesKey:
    return snapshots.series_key(indicator.metric_key, dict(indicator.metric_params or {}))


def _describe(indicator: Indicator) -> Live:
    found = registry.get_metric(indicator.metric_key)
    if found is None:
        return Live(key=indicator.metric_key, known=False)
    return Live(key=found.key, label=found.label, unit=found.unit)


def _point(point: snapshots.Point) -> Point:
    return Point(point.date, point.value, plain(point.value) if point.value is not None else "")


def live_for(context: Context, indicators: Iterable[Indicator]) -> dict[str, Live]:
    """Live series summaries (the last point of each fiscal year and the latest) for every
    bound indicator among ``indicators``: two grouped queries, whatever the history's length."""
    bound = [i for i in indicators if i.metric_key]
    if not bound:
        return {}
    keys = [_key(i) for i in bound]
    latest = snapshots.latest_values(context.session, keys)
    years = snapshots.yearly_values(context.session, keys)
    found: dict[str, Live] = {}
    for indicator, key in zip(bound, keys, strict=True):
        live = _describe(indicator)
        points = {p.date: _point(p) for p in years.get(key, [])}
        if key in latest:
            points[latest[key].date] = _point(latest[key])
        live.points = [points[day] for day in sorted(points)]
        found[indicator.id] = live
    return found


def daily(context: Context, indicator: Indicator, since: dt.date | None = None) -> Live | None:
    """Every stored day of a bound indicator's metric (None when it is not bound); days the
    snapshot missed are absent here (no data), never filled in."""
    if not indicator.metric_key:
        return None
    live = _describe(indicator)
    key = _key(indicator)
    stored = snapshots.read_series(context.session, [key], since)[key]
    live.points = [_point(p) for p in stored if p.value is not None]
    return live
