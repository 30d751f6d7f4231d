"""The daily snapshot as a job in the ``job`` table, and the thread that schedules it.

Each day has one job row, its id derived from the date, so every process (app workers, the
``tsunagu metrics snapshot`` command from cron) names the same row: creating it twice is a no-op
and running it takes an atomic UPDATE from pending to running that only one process wins. The
loser reports that the day is being stored elsewhere. A later run the same day queues the row
again and measures the day's values again, so a day keeps one row per series, whoever runs it
and however often, holding the last value measured that day.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tsunagu.context import Context, Services
from tsunagu.jobs.models import Job
from tsunagu.jobs.queue import FINISHED, finish, finish_in, prune_finished, recover_stale
from tsunagu.metrics import snapshots
from tsunagu.storage.types import utcnow

log = logging.getLogger(__name__)

KIND = "metric_snapshot"
_NAMESPACE = uuid.UUID("6f1f8a52-4d0e-4b8e-9a43-2f7c1e0d5b11")


def job_id(day: dt.date) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{KIND}:{day.isoformat()}"))


def _ensure_job(services: Services, day: dt.date) -> None:
    """Create the day's job row unless some process already has."""
    with services.sessions() as session:
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        now = utcnow()
        session.execute(
            insert(Job)
            .values(
                id=job_id(day),
                kind=KIND,
                title=f"メトリクスの記録 {day.isoformat()} (metric snapshot)",
                object_id=day.isoformat(),
                status="pending",
                options={"date": day.isoformat()},
                progress={},
                error="",
                cancel_requested=False,
                created=now,
            )
            .on_conflict_do_nothing()
        )
        session.commit()


def _claim(services: Services, day: dt.date) -> bool:
    """Queue the day's finished job again and take it; False when another process runs it."""
    with services.sessions() as session:
        now = utcnow()
        session.execute(
            update(Job)
            .where(Job.id == job_id(day), Job.status.in_(FINISHED))
            .values(status="pending", cancel_requested=False, error="", finished=None)
        )
        claimed = session.execute(
            update(Job)
            .where(Job.id == job_id(day), Job.status == "pending")
            .values(status="running", started=now, heartbeat=now)
        )
        session.commit()
        return int(claimed.rowcount or 0) == 1  # type: ignore[attr-defined]


def run_day(services: Services, day: dt.date | None = None) -> dict[str, Any]:
    """Store ``day``'s snapshot (today, Japan time, by default) and say what was done:
    ``status`` is "complete", "running" (another process has it) or "error"."""
    day = day or snapshots.today()
    _ensure_job(services, day)
    if not _claim(services, day):
        return {"date": day.isoformat(), "status": "running", "job_id": job_id(day)}
    try:
        session = services.sessions()
        try:
            outcome = snapshots.store_day(Context(services=services, session=session), day)
            # The day's values and the job's end in one commit: whoever sees the values can run
            # the day again at once, and is not told another process is still storing it.
            session.execute(
                update(Job).where(Job.id == job_id(day)).values(progress=outcome.as_dict())
            )
            finish_in(session, job_id(day), "complete")
            session.commit()
        finally:
            session.close()
    except Exception as exc:
        log.exception("metric snapshot of %s failed", day)
        finish(services, job_id(day), "error", str(exc)[:2000])
        return {"date": day.isoformat(), "status": "error", "job_id": job_id(day)}
    return {**outcome.as_dict(), "status": "complete", "job_id": job_id(day)}


class SnapshotScheduler:
    """A thread in each app process: every ``metrics_snapshot_seconds`` it stores today's
    snapshot (Japan time). The first run after midnight writes the day (and catches up missed
    days as no data), later ones measure it again and add series bound during the day, so the
    day ends with its value at most one interval before midnight. Several processes may run
    one each: see run_day."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.every = float(services.settings.metrics_snapshot_seconds)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="metric-snapshots", daemon=True)

    def start(self) -> None:
        if self.every > 0:
            self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)

    def tick(self) -> None:
        recover_stale(self.services, KIND)  # a process that died mid-run
        run_day(self.services, snapshots.today())
        prune_finished(self.services, KIND, keep=dt.timedelta(days=400))

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("metric snapshot check failed")
            self._stop.wait(self.every)
