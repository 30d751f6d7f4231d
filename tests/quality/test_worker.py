"""The quality worker: checks off the ingest worker's path, copies cleaned up, never stopped by
one bad check, and uploads left unchecked by a killed process found again at start."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.waiting import wait_until
from tsunagu.bootstrap import action_context, build_services
from tsunagu.config import Settings
from tsunagu.context import Services
from tsunagu.events import IngestOutcome
from tsunagu.quality.models import ResourceQuality
from tsunagu.quality.worker import CheckTask, QualityWorker, worker_for
from tsunagu.registry import call_action
from tsunagu.storage.migrate import upgrade

CSV = "名称,所在地_連結表記\n市民会館,山口県下関市南部町1-1\n".encode()


@dataclass
class _Upload:
    filename: str
    file: io.BytesIO


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    services = build_services(Settings(data_dir=tmp_path))
    upgrade(services.engine)
    with action_context(services, ignore_auth=True) as context:
        call_action("organization_create", context, {"name": "org", "title": "組織"})
        call_action("package_create", context, {"name": "ds", "title": "表", "owner_org": "org"})
    yield services
    services.engine.dispose()


def _upload(services: Services) -> str:
    with action_context(services, ignore_auth=True) as context:
        created = call_action(
            "resource_create",
            context,
            {"package_id": "ds", "name": "表", "upload": _Upload("t.csv", io.BytesIO(CSV))},
        )
    return str(created["id"])


def _checked(services: Services, resource_id: str) -> ResourceQuality:
    def record() -> ResourceQuality | None:
        with services.sessions() as session:
            return session.get(ResourceQuality, resource_id)

    return wait_until(
        record,
        f"the quality check of {resource_id}",
        until=lambda r: r is not None and r.checked is not None,
    )


def test_unchecked_uploads_are_found_at_start(services: Services) -> None:
    resource_id = _upload(services)  # no worker and no ingest ran: never checked
    worker = QualityWorker(services)
    worker.start()
    try:
        assert worker_for(services) is worker
        assert _checked(services, resource_id).status == "complete"
    finally:
        worker.stop()
    assert worker_for(services) is None


def test_a_linked_file_is_copied_and_the_copy_removed(services: Services, tmp_path: Path) -> None:
    resource_id = _upload(services)
    fetched = tmp_path / "fetched.csv"
    fetched.write_bytes(CSV)
    worker = QualityWorker(services)
    worker.start()
    try:
        _checked(services, resource_id)  # the start-up catch-up
        copies: list[Any] = []
        real_submit = worker.submit
        worker.submit = lambda task: (copies.append(task), real_submit(task))  # type: ignore[method-assign]
        worker.hand_over(IngestOutcome(resource_id, fetched, "CSV", None), stored_upload=False)
        fetched.unlink()  # the ingest's own copy goes when its job ends
        (task,) = copies
        assert task.workdir is not None and task.path.read_bytes() == CSV
        workdir = task.workdir
        wait_until(lambda: not workdir.exists(), f"the check's copy {workdir} to be removed")
    finally:
        worker.stop()


def test_a_failing_check_does_not_stop_the_worker(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tsunagu.quality import gate

    real = gate.run_check
    calls: list[str] = []

    def flaky(services: Services, resource_id: str, *args: Any) -> None:
        calls.append(resource_id)
        if resource_id == "boom":
            raise RuntimeError("a bug")
        real(services, resource_id, *args)

    monkeypatch.setattr(gate, "run_check", flaky)
    resource_id = _upload(services)
    worker = QualityWorker(services)
    worker.submit(CheckTask("boom", None))
    worker.start()
    try:
        assert _checked(services, resource_id).status == "complete"
        assert calls[0] == "boom"
    finally:
        worker.stop()


def test_stop_removes_copies_it_did_not_reach(services: Services, tmp_path: Path) -> None:
    worker = QualityWorker(services)  # never started: nothing is reached
    workdir = tmp_path / "copy"
    workdir.mkdir()
    (workdir / "f.csv").write_bytes(CSV)
    worker.submit(CheckTask("x", workdir / "f.csv", None, workdir))
    worker._thread.start()  # run the loop without registering, then stop at once
    worker.stop()
    assert not workdir.exists()
