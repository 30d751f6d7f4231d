"""Applying batches as jobs in the `job` table (kind "batch"), claimed by a worker thread in
each app process like the quality checks (jobs/queue.py): one atomic claim, a heartbeat while
running, and a job whose process died is queued again (service.run is safe to repeat)."""

from __future__ import annotations

import logging
import threading

from tsunagu.context import Services
from tsunagu.jobs.models import Job
from tsunagu.jobs.queue import (
    HEARTBEAT_SECONDS,
    beat,
    claim_next,
    finish,
    prune_finished,
    recover_stale,
)
from tsunagu.workspace.batch.service import KIND, mark_cancelled, run

log = logging.getLogger(__name__)


def run_job(services: Services, job_id: str) -> None:
    with services.sessions() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        batch_id = str(job.object_id or "")
        if job.cancel_requested:  # asked to stop before it began: nothing is made
            mark_cancelled(services, batch_id)
            finish(services, job_id, "cancelled")
            return
    stop = threading.Event()

    def heartbeat() -> None:
        # On SQLite the drafts' transaction holds the write lock, so a beat may wait for it;
        # it is only a sign of life, and the next one catches up.
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                beat(services, job_id)
            except Exception:
                log.warning("could not touch batch job %s", job_id)

    beating = threading.Thread(target=heartbeat, name="batch-heartbeat", daemon=True)
    beating.start()
    try:
        status, error = run(services, batch_id)
    finally:
        stop.set()
        beating.join(timeout=10)
    finish(services, job_id, status, error)


class BatchWorker:
    """Claims and runs queued batches in a background thread until stopped."""

    def __init__(self, services: Services, poll_seconds: float = 0.25) -> None:
        self.services = services
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="batch-worker", daemon=True)

    def start(self) -> None:
        recover_stale(self.services, KIND)
        prune_finished(self.services, KIND)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._thread.join(timeout=timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job_id = claim_next(self.services, KIND)
            except Exception:
                log.exception("could not claim a batch job")
                job_id = None
            if job_id is None:
                self._stop.wait(self.poll_seconds)
                continue
            try:
                run_job(self.services, job_id)
            except Exception:
                log.exception("batch job %s failed", job_id)
