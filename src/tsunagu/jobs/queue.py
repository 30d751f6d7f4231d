"""The `job` table as a queue shared by every process: enqueue inside a transaction, claim with
one atomic UPDATE (as datastore/jobs.py does for ingest), heartbeat while running, and hand a
dead process's job to the next worker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tsunagu.context import Services
from tsunagu.jobs.models import Job
from tsunagu.storage.types import utcnow

ACTIVE = ("pending", "running")
FINISHED = ("complete", "error", "cancelled")
# A running job's worker touches its heartbeat every HEARTBEAT_SECONDS; one silent for
# STALE_AFTER belonged to a process that died, and is queued again.
HEARTBEAT_SECONDS = 20.0
STALE_AFTER = timedelta(minutes=5)
# Finished jobs stay listable (job_list status=complete …) this long, then go.
KEEP_FINISHED = timedelta(days=30)


def pending_job(session: Session, kind: str, object_id: str | None) -> Job | None:
    return session.scalar(
        select(Job)
        .where(Job.kind == kind, Job.object_id == object_id, Job.status == "pending")
        .order_by(Job.created)
        .limit(1)
    )


def active_job(session: Session, kind: str, object_id: str) -> Job | None:
    """The newest pending or running job of this kind for the object, if any."""
    return session.scalar(
        select(Job)
        .where(Job.kind == kind, Job.object_id == object_id, Job.status.in_(ACTIVE))
        .order_by(Job.created.desc())
        .limit(1)
    )


def enqueue(
    session: Session,
    kind: str,
    *,
    object_id: str | None,
    title: str,
    options: dict[str, Any] | None = None,
) -> tuple[Job, dict[str, Any] | None]:
    """Queue a job; a job of the same kind still waiting for the same object is reused (its
    options replaced). Returns the job and, when one was reused, its previous options (so the
    caller can clean up what they referred to). The caller commits."""
    job = pending_job(session, kind, object_id)
    if job is not None:
        previous = dict(job.options or {})
        job.options = dict(options or {})
        job.title = title
        return job, previous
    job = Job(
        kind=kind,
        object_id=object_id,
        title=title,
        status="pending",
        options=dict(options or {}),
        progress={},
        error="",
        cancel_requested=False,
    )
    session.add(job)
    session.flush()
    return job, None


def claim_next(
    services: Services,
    kind: str,
    ready: Callable[[dict[str, Any] | None], bool] | None = None,
    candidates: int = 5,
) -> str | None:
    """Take the oldest pending job of `kind` (among the oldest `candidates`, those whose options
    are `ready` when that is given); the WHERE on status makes a claim by two processes at once
    impossible (one UPDATE matches, the other matches no row)."""
    with services.sessions() as session:
        waiting = session.execute(
            select(Job.id, Job.options)
            .where(Job.kind == kind, Job.status == "pending")
            .order_by(Job.created)
            .limit(candidates)
        ).all()
        for job_id, options in waiting:
            if ready is not None and not ready(options):
                continue
            now = utcnow()
            claimed = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == "pending")
                .values(status="running", started=now, heartbeat=now)
            )
            session.commit()
            if claimed.rowcount == 1:
                return job_id
    return None


def beat(services: Services, job_id: str, progress: dict[str, Any] | None = None) -> bool:
    """Touch a running job's heartbeat (and progress); True when someone asked it to stop."""
    values: dict[str, Any] = {"heartbeat": utcnow()}
    if progress is not None:
        values["progress"] = progress
    with services.sessions() as session:
        session.execute(
            update(Job).where(Job.id == job_id, Job.status == "running").values(**values)
        )
        session.commit()
        return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))


def cancel_requested(session: Session, job_id: str) -> bool:
    return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))


def finish(services: Services, job_id: str, status: str, error: str = "") -> None:
    """Record how a running job ended; a job asked to stop ends as cancelled."""
    with services.sessions() as session:
        finish_in(session, job_id, status, error)
        session.commit()


def finish_in(session: Session, job_id: str, status: str, error: str = "") -> str:
    """``finish`` in the caller's transaction, so that what the job recorded of its own and the
    queue's row end together; returns the status the job ended with."""
    job = session.get(Job, job_id)
    if job is None:
        return status
    if job.cancel_requested and status == "complete":
        status = "cancelled"
    job.status = status
    job.error = error
    job.finished = utcnow()
    job.heartbeat = job.finished
    return status


def recover_stale(services: Services, kind: str) -> int:
    """Queue again the running jobs of `kind` whose process died (no heartbeat for a while)."""
    stale = utcnow() - STALE_AFTER
    with services.sessions() as session:
        result = session.execute(
            update(Job)
            .where(
                Job.kind == kind,
                Job.status == "running",
                (Job.heartbeat < stale) | (Job.heartbeat.is_(None) & (Job.started < stale)),
            )
            .values(status="pending", started=None)
        )
        session.commit()
        return int(result.rowcount or 0)


def prune_finished(services: Services, kind: str, keep: timedelta = KEEP_FINISHED) -> int:
    """Delete finished jobs of `kind` older than `keep`, so the table does not grow forever."""
    with services.sessions() as session:
        result = session.execute(
            delete(Job).where(
                Job.kind == kind, Job.status.in_(FINISHED), Job.finished < utcnow() - keep
            )
        )
        session.commit()
        return int(result.rowcount or 0)
