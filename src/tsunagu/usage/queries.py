"""Reading usage back: the most used public datasets of a period, and a thing's daily counts.

Both add this process's counts not yet written (at most FLUSH_SECONDS old), so what a visitor
just did shows at once on the process that served it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import BigInteger, ColumnElement, Select, func, literal, select
from sqlalchemy.orm import Session

from tsunagu.catalog.models import Dataset
from tsunagu.usage.counters import COLUMNS, pending_copy, today
from tsunagu.usage.models import DATASET, DatasetUsage, UsageDaily

# The periods of the popular lists: days back from today (today included); None is all time.
PERIODS: dict[str, int | None] = {"today": 1, "7d": 7, "30d": 30, "all": None}
SORTS = ("downloads", "page_views")
Counts = dict[str, int]


@dataclass(frozen=True)
class Ranked:
    dataset_id: str
    counts: Counts  # page_views, api_views, downloads, api_downloads


def period_days(period: str, until: dt.date | None = None) -> tuple[dt.date | None, dt.date]:
    """The first and last day of a period ending today (no first day: all time)."""
    until = until or today()
    days = PERIODS[period]
    return (until - dt.timedelta(days=days - 1) if days else None), until


def _public(organization_id: str | None) -> list[ColumnElement[bool]]:
    where = [Dataset.state == "active", Dataset.private.is_(False)]
    if organization_id:
        where.append(Dataset.owner_org == organization_id)
    return where


def _zero() -> Counts:
    return dict.fromkeys(COLUMNS, 0)


def popular(
    session: Session,
    *,
    since: dt.date | None,
    until: dt.date,
    sort: str = "downloads",
    organization_id: str | None = None,
    limit: int = 10,
) -> list[Ranked]:
    """Public, active datasets (of one organisation, if given) by ``sort`` over the days from
    ``since`` to ``until`` (all time when ``since`` is None: the running totals), most first;
    datasets without any use are left out."""
    batch = pending_copy(session)
    if since is None:
        pending = {
            i: {**_zero(), "page_views": v, "downloads": d} for i, (v, d) in batch.totals.items()
        }
        query = _totals_query(organization_id)
    else:
        pending = {}
        for (kind, object_id, day), numbers in batch.daily.items():
            if kind == DATASET and since <= day <= until:
                counts = pending.setdefault(object_id, _zero())
                for name, n in zip(COLUMNS, numbers, strict=True):
                    counts[name] += n
        query = _daily_query(since, until, organization_id)
    order = query.selected_columns[sort]
    # A pending count can lift at most len(pending) datasets past the stored ones, so the
    # stored top (limit + that many) holds every dataset the true top can have.
    rows = session.execute(
        query.order_by(order.desc(), query.selected_columns["dataset_id"]).limit(
            limit + len(pending)
        )
    )
    found = {
        row.dataset_id: {name: int(getattr(row, name) or 0) for name in COLUMNS} for row in rows
    }
    others = [i for i in pending if i not in found]
    if others:
        # Pending datasets outside the stored top: their stored counts (public ones only).
        rows = session.execute(query.where(Dataset.id.in_(others)))
        found.update(
            {
                row.dataset_id: {name: int(getattr(row, name) or 0) for name in COLUMNS}
                for row in rows
            }
        )
        # Pending datasets with nothing stored yet, if public.
        fresh = [i for i in others if i not in found]
        if fresh:
            visible = session.scalars(
                select(Dataset.id).where(Dataset.id.in_(fresh), *_public(organization_id))
            )
            found.update({i: _zero() for i in visible})
    for dataset_id, counts in pending.items():
        if dataset_id in found:
            for name, n in counts.items():
                found[dataset_id][name] += n
    ranked = sorted(
        (i for i in found if found[i][sort] > 0),
        key=lambda i: (-found[i][sort], -sum(found[i].values()), i),
    )
    return [Ranked(i, found[i]) for i in ranked[:limit]]


def _totals_query(organization_id: str | None) -> Select[tuple[str, int, int, int, int]]:
    zero = literal(0, BigInteger)
    return (
        select(
            DatasetUsage.dataset_id.label("dataset_id"),
            DatasetUsage.page_views.label("page_views"),
            zero.label("api_views"),
            DatasetUsage.downloads.label("downloads"),
            zero.label("api_downloads"),
        )
        .join(Dataset, Dataset.id == DatasetUsage.dataset_id)
        .where(*_public(organization_id))
    )


def _daily_query(
    since: dt.date, until: dt.date, organization_id: str | None
) -> Select[tuple[str, int, int, int, int]]:
    return (
        select(
            UsageDaily.object_id.label("dataset_id"),
            *(func.sum(getattr(UsageDaily, name)).label(name) for name in COLUMNS),
        )
        .join(Dataset, Dataset.id == UsageDaily.object_id)
        .where(
            UsageDaily.kind == DATASET,
            UsageDaily.day >= since,
            UsageDaily.day <= until,
            *_public(organization_id),
        )
        .group_by(UsageDaily.object_id)
    )


def daily_counts(
    session: Session, kind: str, object_ids: Sequence[str], since: dt.date, until: dt.date
) -> dict[dt.date, Counts]:
    """The counts of each day from ``since`` to ``until`` (every day, zeros included) of the
    rows of ``kind`` for ``object_ids`` added up."""
    days = {since + dt.timedelta(days=n): _zero() for n in range((until - since).days + 1)}
    if object_ids:
        rows = session.execute(
            select(
                UsageDaily.day,
                *(func.sum(getattr(UsageDaily, name)).label(name) for name in COLUMNS),
            )
            .where(
                UsageDaily.kind == kind,
                UsageDaily.object_id.in_(list(object_ids)),
                UsageDaily.day >= since,
                UsageDaily.day <= until,
            )
            .group_by(UsageDaily.day)
        )
        for row in rows:
            for name in COLUMNS:
                days[row.day][name] += int(getattr(row, name) or 0)
        wanted = set(object_ids)
        for (row_kind, object_id, day), numbers in pending_copy(session).daily.items():
            if row_kind == kind and object_id in wanted and since <= day <= until:
                for name, n in zip(COLUMNS, numbers, strict=True):
                    days[day][name] += n
    return days
