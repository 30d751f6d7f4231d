"""Sources run on their schedule (hourly, daily, weekly; manual never) by a check in every app
process. Two processes never queue the same run: a source is claimed by one atomic UPDATE that
moves its ``next_run`` on only if it still holds the value this process read."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update

from tsunagu.context import Services
from tsunagu.harvest.models import HarvestSource
from tsunagu.storage.types import utcnow

log = logging.getLogger(__name__)

INTERVALS = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
}
FREQUENCIES = ("manual", *INTERVALS)
LABELS = {"manual": "手動のみ", "hourly": "1 時間ごと", "daily": "毎日", "weekly": "毎週"}
# CKAN's harvest frequencies, accepted on input.
CKAN_FREQUENCIES = {"MANUAL": "manual", "DAILY": "daily", "WEEKLY": "weekly", "ALWAYS": "hourly"}


def normalise(frequency: str) -> str | None:
    value = frequency.strip()
    value = CKAN_FREQUENCIES.get(value.upper(), value.lower())
    return value if value in FREQUENCIES else None


def first_run(frequency: str, now: datetime | None = None) -> datetime | None:
    """A new or rescheduled source runs soon; a manual one never on its own."""
    return None if frequency == "manual" else (now or utcnow())


def following(frequency: str, previous: datetime, now: datetime) -> datetime:
    """The next run after ``now`` on the source's rhythm (a late run does not drift it)."""
    step = INTERVALS[frequency]
    if previous + step > now:
        return previous + step
    missed = (now - previous) // step
    return previous + step * (missed + 1)


def queue_due(services: Services) -> int:
    """Queue a job for each source whose time has come; returns how many were queued."""
    from tsunagu.harvest.jobs import queue_job  # jobs imports the engine; this stays light

    now = utcnow()
    with services.sessions() as session:
        due = session.execute(
            select(HarvestSource.id, HarvestSource.next_run, HarvestSource.frequency)
            .where(
                HarvestSource.state == "active",
                HarvestSource.active.is_(True),
                HarvestSource.frequency != "manual",
                HarvestSource.next_run <= now,
            )
            .order_by(HarvestSource.next_run)
            .limit(100)
        ).all()
    queued = 0
    for source_id, previous, frequency in due:
        if frequency not in INTERVALS:
            continue
        with services.sessions() as session:
            claimed = session.execute(
                update(HarvestSource)
                .where(HarvestSource.id == source_id, HarvestSource.next_run == previous)
                .values(next_run=following(frequency, previous, now))
            )
            if claimed.rowcount != 1:
                session.rollback()  # another process took this run
                continue
            source = session.get(HarvestSource, source_id)
            if source is not None and queue_job(session, source, full=False, requested_by=None):
                queued += 1
            session.commit()
    return queued
