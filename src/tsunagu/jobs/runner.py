"""What every worker of the shared `job` table does alike: a thread that claims a queued job and
runs it until stopped, and a heartbeat beside a running job.

Each kind (quality checks, batches, harvests) keeps its own module for what it does with a job;
this one holds the polling loop and the heartbeat, so a fix to either reaches them all.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from tsunagu.context import Services
from tsunagu.jobs.queue import HEARTBEAT_SECONDS, beat, claim_next, prune_finished, recover_stale

log = logging.getLogger(__name__)


class Heartbeat:
    """Touches a running job's heartbeat in a background thread while the `with` block runs, so
    a long job is not taken for a dead one; `cancelled` turns true when someone asks the job to
    stop (job_cancel …), and `on_cancel` is called each time a beat sees that request.

    A beat that fails is only logged: on SQLite the job's own transaction may hold the write
    lock, and the next beat catches up."""

    def __init__(
        self,
        services: Services,
        job_id: str,
        *,
        kind: str,
        every: float = HEARTBEAT_SECONDS,
        progress: Callable[[], dict[str, Any]] | None = None,
        on_cancel: Callable[[], None] | None = None,
    ) -> None:
        self.services = services
        self.job_id = job_id
        self.kind = kind
        self.every = every
        self.progress = progress
        self.on_cancel = on_cancel
        self.cancelled = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"{kind}-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                progress = self.progress() if self.progress is not None else None
                if beat(self.services, self.job_id, progress):
                    self.cancelled = True
                    if self.on_cancel is not None:
                        self.on_cancel()
            except Exception as error:
                log.warning("could not touch %s job %s: %s", self.kind, self.job_id, error)


class JobWorker:
    """Claims and runs queued jobs of one kind in a background thread until stopped.

    A kind sets `kind` and `run`; it may claim differently (`claim`), tidy up before the thread
    starts (`prepare`: by default a dead process's jobs are queued again and old finished ones
    deleted), do something once in the thread before polling (`begin`) or on every round
    (`tick`). A job that raises is logged and the worker goes on."""

    kind: str = ""

    def __init__(self, services: Services, poll_seconds: float = 0.25) -> None:
        self.services = services
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"{self.kind}-worker", daemon=True)

    def start(self) -> None:
        self.prepare()
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._thread.join(timeout=timeout)

    def prepare(self) -> None:
        recover_stale(self.services, self.kind)
        prune_finished(self.services, self.kind)

    def begin(self) -> None:
        """Runs once in the worker's thread before the first claim."""

    def tick(self) -> None:
        """Runs in the worker's thread before every claim."""

    def claim(self) -> str | None:
        return claim_next(self.services, self.kind)

    def run(self, job_id: str) -> None:
        raise NotImplementedError

    def _loop(self) -> None:
        self.begin()
        while not self._stop.is_set():
            self.tick()
            try:
                job_id = self.claim()
            except Exception:
                log.exception("could not claim a %s job", self.kind)
                job_id = None
            if job_id is None:
                self._stop.wait(self.poll_seconds)
                continue
            try:
                self.run(job_id)
            except Exception:
                log.exception("%s job %s failed", self.kind, job_id)
