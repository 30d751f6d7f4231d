"""Quality checks as jobs in the `job` table, run by a worker thread in each app process.

Validating and scanning a big table takes about as long as ingesting it, so the checks must not
hold up the next queued ingest: the ingest worker only queues a check (kind "quality") and goes
on. The queue lives in the database, so a check survives a killed process (its job goes back to
pending when its heartbeat stops), shows in `job_list` with its status, and is shared by every
process (a job is claimed by one atomic UPDATE).

A linked file is copied for its check, as the ingest's own copy is deleted when its job ends;
the copy is local to the machine that made it, so a worker that finds it gone fetches the link
again. An upload is read again from storage.
"""

from __future__ import annotations

import logging
from pathlib import Path

from tsunagu.context import Services
from tsunagu.jobs.models import Job
from tsunagu.jobs.queue import active_job, finish
from tsunagu.jobs.runner import Heartbeat, JobWorker
from tsunagu.quality.batch import resources_to_check
from tsunagu.quality.check_queue import KIND, queue_check, remove_copy
from tsunagu.quality.gate import run_check

log = logging.getLogger(__name__)


def queue_unchecked(services: Services) -> int:
    """Queue a check for each upload whose current file has no result and no job (left
    unchecked by a killed process of an older version, or never checked)."""
    queued = 0
    for resource_id in resources_to_check(services, uploads_only=True):
        with services.sessions() as session:
            if active_job(session, KIND, resource_id) is None:
                queue_check(session, resource_id, if_stale=True)
                session.commit()
                queued += 1
    return queued


def run_job(services: Services, job_id: str) -> None:
    """Run one claimed check job and record how it ended: run_check ends the job in the commit
    that stores its result; a check that fails stores nothing and its job ends in error."""
    with services.sessions() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        options = dict(job.options or {})
        resource_id = str(job.object_id or "")
    try:
        path = Path(options["path"]) if options.get("path") else None
        fetch = path is not None and not path.exists()  # copied on another machine, or lost
        with Heartbeat(services, job_id, kind=KIND):
            run_check(
                services,
                resource_id,
                None if fetch else path,
                options.get("sheet"),
                job_id=job_id,
                fetch_link=fetch or bool(options.get("fetch_link")),
                if_stale=bool(options.get("if_stale")),
            )
    except Exception as exc:  # a bug must not stop the worker; the job says what happened
        log.exception("quality check of %s failed", resource_id)
        finish(services, job_id, "error", f"予期しないエラーが発生しました: {exc}")
    finally:
        remove_copy(options)


class QualityWorker(JobWorker):
    """Claims and runs queued quality checks in a background thread until stopped."""

    kind = KIND

    def begin(self) -> None:
        try:
            queue_unchecked(self.services)
        except Exception:
            log.exception("could not queue the resources left unchecked")

    def run(self, job_id: str) -> None:
        run_job(self.services, job_id)
