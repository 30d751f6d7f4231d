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
from tsunagu.plan import fiscal
from tsunagu.plan.models import Indicator
from tsunagu.plan.progress import Point


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


def live_for(context: Context, indicators: Iterable[Indicator]) -> dict[str, Live]:
    """Live series summaries (the last point of each fiscal year and the latest) for every
    bound indicator among ``indicators``."""
    bound = [i for i in indicators if i.metric_key]
    return {i.id: _unknown(i) for i in bound}


def daily(context: Context, indicator: Indicator, since: dt.date | None = None) -> Live | None:
    """Every stored day of a bound indicator's metric (None when it is not bound)."""
    if not indicator.metric_key:
        return None
    return _unknown(indicator)


def _unknown(indicator: Indicator) -> Live:
    return Live(key=indicator.metric_key, known=False)
