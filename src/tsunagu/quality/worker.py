"""Quality checks in a background thread of their own.

Validating and scanning a big table takes about as long as ingesting it, so the checks must not
hold up the next queued ingest. The ingest worker hands each finished file over; a linked file is
copied first, as the ingest's own copy is deleted when its job ends, while an upload is read
again from storage. The queue lives in memory: checks lost with a killed process are found again
at the next start (uploads) or by `tsunagu quality check`.
"""

from __future__ import annotations

import logging
import queue
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from tsunagu.context import Services
from tsunagu.events import IngestOutcome

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckTask:
    resource_id: str
    path: Path | None  # a private copy of a fetched file; None reads the stored upload
    sheet: str | None = None
    workdir: Path | None = None  # removed once the check is done


_workers: dict[int, QualityWorker] = {}  # by id(services): tests run several servers at once


def worker_for(services: Services) -> QualityWorker | None:
    return _workers.get(id(services))


class QualityWorker:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._queue: queue.Queue[CheckTask | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="quality-worker", daemon=True)

    def start(self) -> None:
        _workers[id(self.services)] = self
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        _workers.pop(id(self.services), None)
        self._queue.put(None)
        self._thread.join(timeout=timeout)
        while True:  # what was not reached: its copies go, `quality check` finds it later
            try:
                task = self._queue.get_nowait()
            except queue.Empty:
                break
            if task is not None and task.workdir is not None:
                shutil.rmtree(task.workdir, ignore_errors=True)

    def submit(self, task: CheckTask) -> None:
        self._queue.put(task)

    def hand_over(self, outcome: IngestOutcome, *, stored_upload: bool) -> None:
        """Queue the check of a file the ingest just read."""
        if stored_upload:
            self.submit(CheckTask(outcome.resource_id, None, outcome.sheet))
            return
        workdir = Path(tempfile.mkdtemp(prefix="tsunagu-quality-"))
        copy = workdir / outcome.path.name
        shutil.copyfile(outcome.path, copy)
        self.submit(CheckTask(outcome.resource_id, copy, outcome.sheet, workdir))

    def _loop(self) -> None:
        from tsunagu.quality.batch import resources_to_check
        from tsunagu.quality.gate import run_check

        try:
            for resource_id in resources_to_check(self.services, uploads_only=True):
                self.submit(CheckTask(resource_id, None))
        except Exception:
            log.exception("could not list the resources left unchecked")
        while (task := self._queue.get()) is not None:
            try:
                run_check(self.services, task.resource_id, task.path, task.sheet)
            except Exception:  # a bug must not stop the worker; the next check still runs
                log.exception("quality check of %s failed", task.resource_id)
            finally:
                if task.workdir is not None:
                    shutil.rmtree(task.workdir, ignore_errors=True)
