"""The quality worker: checks are jobs in the `job` table, off the ingest worker's path; copies
are cleaned up; one bad check never stops the worker; a job left running by a killed process
runs again; several processes share one queue."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from support.uploads import Upload
from support.waiting import wait_until
from tsunagu.bootstrap import action_context, build_services
from tsunagu.config import Settings
from tsunagu.context import Services
from tsunagu.events import IngestOutcome
from tsunagu.jobs.models import Job
from tsunagu.quality.check_queue import KIND, hand_over, queue_check
from tsunagu.quality.models import ResourceQuality
from tsunagu.quality.worker import QualityWorker
from tsunagu.registry import call_action
from tsunagu.storage.migrate import upgrade
from tsunagu.storage.types import utcnow

CSV = "名称,所在地_連結表記\n市民会館,山口県下関市南部町1-1\n".encode()


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
            {"package_id": "ds", "name": "表", "upload": Upload("t.csv", io.BytesIO(CSV))},
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


def _job(services: Services, job_id: str) -> Job:
    with services.sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None
        session.expunge(job)
        return job


def _finished(services: Services, job_id: str) -> Job:
    return wait_until(
        lambda: _job(services, job_id),
        f"job {job_id} to finish",
        until=lambda job: job.status not in ("pending", "running"),
    )


def _queue(services: Services, resource_id: str, **options: object) -> str:
    with services.sessions() as session:
        job = queue_check(session, resource_id, **options)  # type: ignore[arg-type]
        session.commit()
        return job.id


def test_unchecked_uploads_are_queued_and_checked_at_start(services: Services) -> None:
    resource_id = _upload(services)  # no worker and no ingest ran: never checked
    worker = QualityWorker(services)
    worker.start()
    try:
        assert _checked(services, resource_id).status == "complete"
        with services.sessions() as session:
            jobs = session.scalars(select(Job).where(Job.object_id == resource_id)).all()
        assert [j.kind for j in jobs] == [KIND]
        assert _finished(services, jobs[0].id).status == "complete"
    finally:
        worker.stop()


def test_a_linked_file_is_copied_and_the_copy_removed(services: Services, tmp_path: Path) -> None:
    resource_id = _upload(services)
    fetched = tmp_path / "fetched.csv"
    fetched.write_bytes(CSV)
    outcome = IngestOutcome(resource_id, fetched, "CSV", None)
    job_id = hand_over(services, outcome, stored_upload=False)
    fetched.unlink()  # the ingest's own copy goes when its job ends
    copy = Path(str(_job(services, job_id).options["path"]))
    assert copy.read_bytes() == CSV
    worker = QualityWorker(services)
    worker.start()
    try:
        assert _finished(services, job_id).status == "complete"
        # Removed as the worker leaves the job, a moment after it is marked complete.
        wait_until(lambda: not copy.parent.exists(), "the job's copy of the file to go")
    finally:
        worker.stop()


def test_a_failing_check_does_not_stop_the_worker(services: Services, tmp_path: Path) -> None:
    resource_id = _upload(services)
    # A "copy" that is a directory: reading it fails inside the check.
    broken = tmp_path / "not-a-file"
    broken.mkdir()
    bad = _queue(services, resource_id, path=broken)
    worker = QualityWorker(services)
    worker.start()
    try:
        failed = _finished(services, bad)
        assert failed.status == "error"
        assert failed.error
        good = _queue(services, resource_id)
        assert _finished(services, good).status == "complete"
        assert _checked(services, resource_id).status == "complete"
    finally:
        worker.stop()


def test_a_job_left_running_by_a_killed_process_runs_again(services: Services) -> None:
    resource_id = _upload(services)
    job_id = _queue(services, resource_id)
    with services.sessions() as session:  # claimed by a process that then died
        job = session.get(Job, job_id)
        assert job is not None
        job.status = "running"
        job.started = job.heartbeat = utcnow() - timedelta(hours=1)
        session.commit()
    worker = QualityWorker(services)
    worker.start()
    try:
        assert _finished(services, job_id).status == "complete"
        assert _checked(services, resource_id).status == "complete"
    finally:
        worker.stop()


def test_two_processes_share_one_queue(services: Services, tmp_path: Path) -> None:
    ids = [_upload(services) for _ in range(6)]
    jobs = [_queue(services, rid) for rid in ids]
    other = build_services(Settings(data_dir=tmp_path))  # a second process's own engine
    workers = [QualityWorker(services), QualityWorker(other)]
    for worker in workers:
        worker.start()
    try:
        for job_id in jobs:
            job = _finished(services, job_id)
            assert job.status == "complete"
            assert job.started is not None and job.finished is not None
        for rid in ids:
            assert _checked(services, rid).status == "complete"
    finally:
        for worker in workers:
            worker.stop()
        other.engine.dispose()


def test_a_queued_check_of_a_replaced_copy_removes_the_old_copy(
    services: Services, tmp_path: Path
) -> None:
    resource_id = _upload(services)
    first = tmp_path / "first"
    first.mkdir()
    (first / "f.csv").write_bytes(CSV)
    job_id = _queue(services, resource_id, path=first / "f.csv", workdir=first)
    second = tmp_path / "second"
    second.mkdir()
    (second / "f.csv").write_bytes(CSV)
    assert _queue(services, resource_id, path=second / "f.csv", workdir=second) == job_id
    assert not first.exists()
    assert second.exists()


def test_old_finished_jobs_are_pruned_at_start(services: Services) -> None:
    resource_id = _upload(services)
    old, recent = _queue(services, resource_id), None
    with services.sessions() as session:
        job = session.get(Job, old)
        assert job is not None
        job.status, job.finished = "complete", utcnow() - timedelta(days=31)
        session.commit()
    recent = _queue(services, resource_id)
    worker = QualityWorker(services)
    worker.start()
    try:
        assert _finished(services, recent).status == "complete"
        with services.sessions() as session:
            assert session.get(Job, old) is None
    finally:
        worker.stop()
