"""The demo catalog loaded once per test process and backend, and copied for each module.

Loading it is the actions, then some seventy ingests, the map rebuilds and the quality checks
they start: about twenty seconds on a quiet machine, and eight modules want it. A copy is the
data directory copied, and on PostgreSQL a database made from the loaded one as its template,
well under a second.

What a copy cannot share with the server that loaded it: the address. Links the demo put in
its files (the オープンデータ一覧) name the loading server's port; every URL the site makes itself
comes from the serving settings, so it is the copy's.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from support import databases
from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.datastore.models import IngestJob
from tsunagu.demo.loader import load_demo
from tsunagu.jobs.models import Job

# What a demo server may receive: the demo's own files are larger than the default limit.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_ACTIVE = ("pending", "running")


@dataclass
class _Loaded:
    data_dir: Path
    database: str | None  # PostgreSQL: the loaded database, a template for the copies


def settled(live: LiveServer) -> int:
    """Ingests and background jobs (map rebuilds, quality checks …) not yet done."""
    with live.services.sessions() as session:
        ingests = session.scalar(
            select(func.count()).select_from(IngestJob).where(IngestJob.status.in_(_ACTIVE))
        )
        jobs = session.scalar(select(func.count()).select_from(Job).where(Job.status.in_(_ACTIVE)))
    return int(ingests or 0) + int(jobs or 0)


class DemoCopies:
    """Hands out live servers, each on its own copy of one loaded demo per backend."""

    def __init__(self) -> None:
        self._loaded: dict[str, _Loaded] = {}
        self._root = Path(tempfile.mkdtemp(prefix="tsunagu-demo-"))

    def start(self, backend: str, data_dir: Path, **live: Any) -> LiveServer:
        """A started server on a copy of the demo in `data_dir` (empty), with the backend's
        search settings; `live`: LiveServer's other arguments (overrides …)."""
        loaded = self._loaded.get(backend) or self._load(backend)
        shutil.copytree(loaded.data_dir, data_dir, dirs_exist_ok=True)
        if loaded.database is None:
            url = f"sqlite:///{data_dir / 'tsunagu.db'}"
        else:
            url = _copy_database(loaded.database)
        live.setdefault("max_upload_bytes", MAX_UPLOAD_BYTES)
        live["overrides"] = {**databases.search_settings(backend), **live.get("overrides", {})}
        return LiveServer(data_dir=data_dir, database_url=url, **live).start()

    def _load(self, backend: str) -> _Loaded:
        data_dir = self._root / backend
        data_dir.mkdir()
        url = databases.database_url_for(backend, data_dir)
        live = LiveServer(data_dir=data_dir, database_url=url, max_upload_bytes=MAX_UPLOAD_BYTES)
        live.start()
        try:
            load_demo(live.services)
            wait_until(
                lambda: settled(live), "the demo's background work", until=lambda n: n == 0,
                timeout=600,
            )  # fmt: skip
        finally:
            live.stop()
        database = None if backend == "sqlite" else url.rsplit("/", 1)[-1]
        self._loaded[backend] = _Loaded(data_dir, database)
        return self._loaded[backend]

    def remove(self) -> None:
        shutil.rmtree(self._root, ignore_errors=True)


def _copy_database(template: str) -> str:
    server = databases.postgres()
    assert server is not None  # the template was made on it
    name = "t_" + uuid.uuid4().hex[:12]
    # A connection the loading server's threads left a moment ago may still be closing.
    for attempt in range(50):
        try:
            return server.create_database(name, template=template)
        except Exception as error:
            if "being accessed by other users" not in str(error) or attempt == 49:
                raise
            time.sleep(0.1)
    raise AssertionError("unreachable")
