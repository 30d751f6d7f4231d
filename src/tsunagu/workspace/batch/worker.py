"""Applying batches as jobs in the `job` table (kind "batch"), claimed by a worker thread in
each app process like the quality checks (jobs/runner.py): one atomic claim, a heartbeat while
running, and a job whose process died is queued again (service.run is safe to repeat).

The job's row ends in the same commit as the batch (service.run), so batch_status never shows a
batch applied or failed beside a job still running."""

from __future__ import annotations

from tsunagu.context import Services
from tsunagu.jobs.models import Job
from tsunagu.jobs.runner import Heartbeat, JobWorker
from tsunagu.workspace.batch.service import KIND, mark_cancelled, run


def run_job(services: Services, job_id: str) -> None:
    with services.sessions() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        batch_id = str(job.object_id or "")
        if job.cancel_requested:  # asked to stop before it began: nothing is made
            mark_cancelled(services, batch_id, job_id)
            return
    # On SQLite the drafts' transaction holds the write lock, so a beat may wait for it;
    # it is only a sign of life, and the next one catches up.
    with Heartbeat(services, job_id, kind=KIND):
        run(services, batch_id, job_id)


class BatchWorker(JobWorker):
    """Claims and runs queued batches in a background thread until stopped."""

    kind = KIND

    def run(self, job_id: str) -> None:
        run_job(self.services, job_id)
