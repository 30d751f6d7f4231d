"""The harvest worker: a thread in each app process that queues due sources, takes up jobs of
processes that died, and runs queued harvest jobs one at a time."""

from __future__ import annotations

import logging
import time

from tsunagu.context import Services
from tsunagu.harvest import schedule
from tsunagu.harvest.jobs import KIND, claim_next, close_orphans, run_job
from tsunagu.jobs.queue import prune_finished, recover_stale
from tsunagu.jobs.runner import JobWorker

log = logging.getLogger(__name__)


class HarvestWorker(JobWorker):
    kind = KIND

    def __init__(self, services: Services, poll_seconds: float = 0.5) -> None:
        super().__init__(services, poll_seconds)
        self._next_check = 0.0

    def prepare(self) -> None:
        self._housekeeping()
        prune_finished(self.services, KIND)

    def tick(self) -> None:
        if time.monotonic() >= self._next_check:
            self._housekeeping()

    def claim(self) -> str | None:
        return claim_next(self.services)  # one job per source at a time

    def run(self, job_id: str) -> None:
        run_job(self.services, job_id)

    def _housekeeping(self) -> None:
        try:
            recover_stale(self.services, KIND)  # a dead process's job is queued again
            close_orphans(self.services)
            schedule.queue_due(self.services)
        except Exception:
            log.exception("harvest housekeeping failed")
        self._next_check = time.monotonic() + self.services.settings.harvest_schedule_seconds
