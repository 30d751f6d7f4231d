"""Harvest jobs in the shared ``job`` table (kind "harvest"): queued by "run now" or the
schedule, claimed by one atomic UPDATE, a heartbeat while running.

A job never stays "running" forever: a job whose process died (no heartbeat for
``queue.STALE_AFTER``) is queued again by the next worker to look (at start and every few
seconds) and taken up where it stopped (records done in it are skipped, so nothing is made
twice); after ``MAX_ATTEMPTS`` interrupted runs it is closed as failed instead.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from tsunagu.catalog.models import Organization
from tsunagu.context import Services
from tsunagu.harvest.engine import Engine, JobFailed, SourceFacts
from tsunagu.harvest.harvesters import harvester_for
from tsunagu.harvest.models import HarvestError, HarvestJob, HarvestSource
from tsunagu.harvest.protocol import SourceError
from tsunagu.harvest.run import JobRun
from tsunagu.jobs.models import Job
from tsunagu.jobs.queue import HEARTBEAT_SECONDS, active_job, enqueue, finish_in
from tsunagu.jobs.runner import Heartbeat
from tsunagu.net.fetch import FetchError
from tsunagu.storage.types import utcnow
from tsunagu.storage.upsert import begin_write

log = logging.getLogger(__name__)

KIND = "harvest"
MAX_ATTEMPTS = 3
# Incremental harvests ask for changes since the last good job's start, minus this margin for
# clocks that differ and for changes committed while that job ran (as ckanext-harvest does).
OVERLAP = timedelta(hours=1)


def queue_job(
    session: Session, source: HarvestSource, *, full: bool, requested_by: str | None
) -> Job | None:
    """Queue a job for the source, unless one is already waiting or running (then None).

    The source's row is locked first (the write lock on SQLite), so two requests at once cannot
    both see no job and both queue one."""
    lock_source(session, source.id)
    if active_job(session, KIND, source.id) is not None:
        return None
    job, _ = enqueue(
        session,
        KIND,
        object_id=source.id,
        title=f"収集: {source.title or source.name}",
        options={"full": full, "requested_by": requested_by},
    )
    session.add(
        HarvestJob(
            id=job.id,
            source_id=source.id,
            status="pending",
            mode="full" if full else "incremental",
            requested_by=requested_by,
        )
    )
    session.flush()
    return job


def lock_source(session: Session, source_id: str) -> None:
    begin_write(session)
    session.execute(select(HarvestSource.id).where(HarvestSource.id == source_id).with_for_update())


def claim_next(services: Services) -> str | None:
    """Take the oldest pending harvest job whose source has no job running: one source is
    never harvested by two jobs at once, whichever processes claim them. The source's row is
    locked while its running jobs are looked at, so two claims for one source take turns."""
    with services.sessions() as session:
        candidates = session.execute(
            select(Job.id, Job.object_id)
            .where(Job.kind == KIND, Job.status == "pending")
            .order_by(Job.created)
            .limit(5)
        ).all()
        for job_id, source_id in candidates:
            lock_source(session, str(source_id))
            busy = session.scalar(
                select(Job.id)
                .where(Job.kind == KIND, Job.object_id == source_id, Job.status == "running")
                .limit(1)
            )
            claimed = None
            if busy is None:
                now = utcnow()
                claimed = session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status == "pending")
                    .values(status="running", started=now, heartbeat=now)
                )
            session.commit()
            if claimed is not None and claimed.rowcount == 1:
                return str(job_id)
    return None


def _plan(session: Session, source: HarvestSource, job_id: str, full: bool) -> tuple[Any, ...]:
    """(since, list_all, mode) for this job."""
    last_good = session.scalar(
        select(HarvestJob)
        .where(
            HarvestJob.source_id == source.id,
            HarvestJob.status == "complete",
            HarvestJob.id != job_id,
            # A job from before the source's settings changed (other filters …) does not count,
            # nor one that may have missed records (paging that looped …).
            HarvestJob.started >= source.modified,
            ~exists().where(
                HarvestError.job_id == HarvestJob.id,
                HarvestError.stage == "gather",
                HarvestError.key == "",
            ),
        )
        .order_by(HarvestJob.started.desc())
        .limit(1)
    )
    full = full or last_good is None or last_good.started is None
    since = None if full or last_good is None else last_good.started - OVERLAP
    hours = float((source.config or {}).get("id_check_hours", 24))
    list_all = (
        full
        or source.last_listed is None
        or utcnow() - source.last_listed >= timedelta(hours=hours)
    )
    return since, list_all, "full" if full else "incremental"


def _close(services: Services, job_id: str, status: str, message: str) -> None:
    with services.sessions() as session:
        status = finish_in(session, job_id, status, message)
        session.execute(
            update(HarvestJob)
            .where(HarvestJob.id == job_id)
            .values(status=status, message=message, finished=utcnow())
        )
        session.commit()


def _attempt(services: Services, job_id: str) -> tuple[Job | None, int]:
    with services.sessions() as session:
        job = session.get(Job, job_id)
        if job is None:
            return None, 0
        options = dict(job.options or {})
        options["attempts"] = int(options.get("attempts", 0)) + 1
        job.options = options
        session.commit()
        session.expunge(job)
        return job, options["attempts"]


def run_job(services: Services, job_id: str) -> None:
    """Run one claimed harvest job to its end and record how it ended."""
    job, attempts = _attempt(services, job_id)
    if job is None:
        return
    if attempts > MAX_ATTEMPTS:
        _close(
            services,
            job_id,
            "error",
            f"処理が {MAX_ATTEMPTS} 回中断されたため、失敗として終了しました（もう一度実行できます）",
        )
        return
    if job.cancel_requested:
        _close(services, job_id, "cancelled", "")
        return
    with services.sessions() as session:
        source = session.get(HarvestSource, str(job.object_id))
        org = session.get(Organization, source.owner_org) if source is not None else None
        if source is None or org is None or source.state != "active":
            _close(services, job_id, "cancelled", "収集元が削除されました")
            return
        harvest_job = session.get(HarvestJob, job_id) or HarvestJob(id=job_id, source_id=source.id)
        session.add(harvest_job)
        since, list_all, mode = _plan(session, source, job_id, bool(job.options.get("full")))
        harvest_job.status, harvest_job.mode = "running", mode
        harvest_job.started = harvest_job.started or utcnow()
        session.commit()
        facts = SourceFacts.load(source, org)
        deadline = time.monotonic() + services.settings.harvest_job_max_seconds
        run = JobRun(services, source, since=since, list_all=list_all, deadline=deadline)
        kind = source.kind
    status, message = "complete", ""
    engine: Engine | None = None
    # The heartbeat is also how a request to stop reaches the job (job_cancel /
    # harvest_job_abort), so it beats more often than the queue needs.
    with Heartbeat(
        services,
        job_id,
        kind=KIND,
        every=min(HEARTBEAT_SECONDS, 2.0),
        progress=run.progress_dict,
        on_cancel=run.cancelled.set,
    ):
        try:
            engine = Engine(services, facts, job_id, harvester_for(kind), run)
            engine.harvest()
            if run.cancelled.is_set():
                status = "cancelled"
            message = "\n".join(engine.notes)
        except (JobFailed, SourceError, FetchError) as error:
            status, message = "error", error.message
        except Exception as error:  # a bug: the job says so, the worker goes on
            log.exception("harvest job %s failed", job_id)
            status, message = "error", f"予期しないエラーが発生しました: {type(error).__name__}"
    if engine is not None:
        engine.record_warnings()
        if status == "error":
            engine.record_error("", "", message, stage="gather")
    run.progress("終了しました")
    _finish(
        services,
        job_id,
        facts.id,
        status,
        message,
        listed=run.listed_keys is not None,
        progress=run.progress_dict(),
    )


def _finish(
    services: Services,
    job_id: str,
    source_id: str,
    status: str,
    message: str,
    *,
    listed: bool,
    progress: dict[str, Any],
) -> None:
    now = utcnow()
    with services.sessions() as session:
        session.execute(update(Job).where(Job.id == job_id).values(progress=progress))
        # One commit for the queue's row and the harvest history: a client that sees the job
        # ended may run the source again at once, and must not find its queue row still running.
        status = finish_in(session, job_id, status, message)
        harvest_job = session.get(HarvestJob, job_id)
        if harvest_job is not None:
            harvest_job.status, harvest_job.message = status, message
            harvest_job.finished = harvest_job.gather_finished = now
            harvest_job.listed = listed and status == "complete"
        if listed and status == "complete":
            session.execute(
                update(HarvestSource).where(HarvestSource.id == source_id).values(last_listed=now)
            )
        session.commit()


def close_orphans(services: Services) -> int:
    """Harvest histories left open whose job row has ended (or gone): say how it ended."""
    with services.sessions() as session:
        rows = session.execute(
            select(HarvestJob, Job.status, Job.error)
            .outerjoin(Job, Job.id == HarvestJob.id)
            .where(HarvestJob.status.in_(("pending", "running")))
        ).all()
        closed = 0
        for harvest_job, status, error in rows:
            if status in ("pending", "running"):
                continue
            harvest_job.status = status or "error"
            harvest_job.message = error or harvest_job.message or "ジョブが見つかりません"
            harvest_job.finished = harvest_job.finished or utcnow()
            closed += 1
        session.commit()
        return closed
