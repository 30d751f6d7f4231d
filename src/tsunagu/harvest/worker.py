"""The harvest worker: a thread in each app process that queues due sources, takes up jobs of
processes that died, and runs queued harvest jobs one at a time."""

from __future__ import annotations

import logging
import threading
import time

from tsunagu.context import Services
from tsunagu.harvest import schedule
from tsunagu.harvest.jobs import KIND, claim_next, close_orphans, run_job
from tsunagu.jobs.queue import prune_finished, recover_stale

log = logging.getLogger(__name__)


class HarvestWorker:
    def __init__(self, services: Services, poll_seconds: float = 0.5) -> None:
        self.services = services
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="harvest-worker", daemon=True)
        self._next_check = 0.0

    def start(self) -> None:
        self._housekeeping()
        prune_finished(self.services, KIND)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._thread.join(timeout=timeout)

    def _housekeeping(self) -> None:
        try:
            recover_stale(self.services, KIND)  # a dead process's job is queued again
            close_orphans(self.services)
            schedule.queue_due(self.services)
        except Exception:
            log.exception("harvest housekeeping failed")
        self._next_check = time.monotonic() + self.services.settings.harvest_schedule_seconds

    def _loop(self) -> None:
        while not self._stop.is_set():
            if time.monotonic() >= self._next_check:
                self._housekeeping()
            try:
                job_id = claim_next(self.services)
            except Exception:
                log.exception("could not claim a harvest job")
                job_id = None
            if job_id is None:
                self._stop.wait(self.poll_seconds)
                continue
            try:
                run_job(self.services, job_id)
            except Exception:
                log.exception("harvest job %s failed", job_id)
