"""Harvest jobs in the background, on SQLite and PostgreSQL: a job never stays "running"
forever (a killed process's job is taken up again by the next process without making anything
twice, and closed as failed after repeated interruptions), the schedule queues each run once
however many processes look, a running job stops when asked, and "run now" refuses a second
job while one is waiting or running."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import ckanapi
import pytest
from sqlalchemy import func, select

from support import databases
from support.fake_ckan import FakeCkan, Site, package, serve
from support.harvest import harvest, harvesting_server, wait_for_job
from support.live_server import LiveServer, free_port
from support.waiting import wait_until
from tsunagu.bootstrap import action_context, build_services
from tsunagu.config import Settings
from tsunagu.context import Services
from tsunagu.harvest.models import HarvestJob, HarvestObject
from tsunagu.jobs import queue
from tsunagu.jobs.models import Job
from tsunagu.registry import call_action
from tsunagu.storage.migrate import upgrade
from tsunagu.storage.types import utcnow

ROOT = Path(__file__).resolve().parents[2]
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCkan]:
    yield from serve()


@pytest.fixture(scope="module")
def local(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = harvesting_server(backend, tmp_path_factory.mktemp(f"jobs-{backend}"))
    live.act("organization_create", {"name": "jobs-city", "title": "ジョブ市"})
    yield live
    live.stop()


@pytest.fixture(scope="module")
def admin(local: LiveServer) -> ckanapi.RemoteCKAN:
    return local.ckan(local.make_user("jobs-admin", sysadmin=True))


def slow_site(fake: FakeCkan, count: int, delay: float) -> tuple[str, Site]:
    name = f"jobs{next(_serial)}"
    site = fake.site(name, delay=delay)
    site.datasets = [
        package(f"{name}-{n:02d}", f"{name}-{n:02d}", f"施設 {n}") for n in range(count)
    ]
    return name, site


def new_source(admin: ckanapi.RemoteCKAN, url: str, org: str = "jobs-city", **values: Any) -> str:
    name = f"jobs-src-{next(_serial)}"
    admin.action.harvest_source_create(
        name=name, url=url, source_type="ckan", owner_org=org, **values
    )
    return name


def _subprocess_server(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TSUNAGU_DATA_DIR": str(settings.data_dir),
        "TSUNAGU_DATABASE_URL": settings.database_url,
        "TSUNAGU_SITE_URL": f"http://127.0.0.1:{port}",
        "TSUNAGU_HARVEST_PRIVATE_NETWORKS": "127.0.0.1",
        "TSUNAGU_HARVEST_SCHEDULE_SECONDS": "0.5",
        "TSUNAGU_MAP_TILES": "",
    }
    command = [sys.executable, "-m", "uvicorn", "tsunagu.asgi:app", "--port", str(port)]
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _harvest_job(services: Services, job_id: str) -> tuple[str, int]:
    with services.sessions() as session:
        job = session.get(HarvestJob, job_id)
        assert job is not None
        return job.status, job.added


def test_a_killed_processs_job_is_taken_up_again_without_duplicates(
    backend: str,
    fake: FakeCkan,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site_name, site = slow_site(fake, 12, delay=0.3)
    settings = Settings(
        data_dir=tmp_path,
        database_url=databases.database_url_for(backend, tmp_path),
        harvest_private_networks=("127.0.0.1",),
    )
    services = build_services(settings)
    upgrade(services.engine)
    with action_context(services, ignore_auth=True) as context:
        call_action("organization_create", context, {"name": "killed-city", "title": "市"})
        call_action(
            "harvest_source_create",
            context,
            {
                "name": "killed",
                "url": fake.url(site_name),
                "source_type": "ckan",
                "owner_org": "killed-city",
                "config": {"page_size": 2},
            },
        )
        job_id = call_action("harvest_run", context, {"id": "killed"})["id"]
    process = _subprocess_server(settings, free_port())
    try:
        wait_until(
            lambda: _harvest_job(services, job_id), "a few datasets", until=lambda s: s[1] >= 3
        )
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    status, added_before = _harvest_job(services, job_id)
    assert status == "running" and 3 <= added_before < 12
    site.delay = 0.0
    # A silent job is taken for dead after queue.STALE_AFTER (5 minutes); a second here.
    monkeypatch.setattr(queue, "STALE_AFTER", timedelta(seconds=1))
    time.sleep(1.5)
    services.engine.dispose()
    live = LiveServer(
        data_dir=tmp_path,
        database_url=settings.database_url,
        overrides={"harvest_private_networks": ("127.0.0.1",), "harvest_schedule_seconds": 0.5},
    ).start()
    try:
        admin = live.ckan(live.make_user("after-kill", sysadmin=True))
        job = wait_for_job(admin, job_id)
        assert job["job_status"] == "complete"
        assert job["counts"]["added"] == 12 and job["counts"]["errored"] == 0
        found = admin.action.package_search(fq="organization:killed-city", rows=100)
        assert found["count"] == 12
        assert len({p["name"] for p in found["results"]}) == 12
        with live.services.sessions() as session:
            keys = session.scalars(select(HarvestObject.key)).all()
            assert sorted(keys) == sorted(site.ids())
            attempts = session.get(Job, job_id)
            assert attempts is not None and attempts.options["attempts"] == 2
    finally:
        live.stop()


def _fake_running_job(local: LiveServer, source: str, attempts: int) -> str:
    """A job left "running" by a process that died long ago."""
    long_ago = utcnow() - timedelta(hours=1)
    job_id = local.act("harvest_run", {"id": source})["id"]
    with local.services.sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None
        if job.status != "pending":
            pytest.skip("the job was claimed before the test could stage it")  # pragma: no cover
        job.status, job.started, job.heartbeat = "running", long_ago, long_ago
        job.options = {**job.options, "attempts": attempts}
        session.commit()
    return job_id


def test_a_job_interrupted_too_often_is_closed_as_failed(
    local: LiveServer, admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    site_name, _site = slow_site(fake, 1, delay=0.0)
    source = new_source(admin, fake.url(site_name), active=False)  # nothing claims it meanwhile
    admin.action.harvest_source_patch(id=source, active=True)
    job_id = _fake_running_job(local, source, attempts=3)
    job = wait_for_job(admin, job_id)  # the next look at stale jobs queues it; it is not run
    assert job["job_status"] == "error"
    assert "3 回中断されたため、失敗として終了しました" in job["message"]
    assert job["counts"]["added"] == 0


def test_the_schedule_queues_each_run_once_across_processes(
    local: LiveServer, admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    site_name, _site = slow_site(fake, 2, delay=0.0)
    second = LiveServer(
        data_dir=local.data_dir,
        database_url=local.database_url,
        overrides={"harvest_private_networks": ("127.0.0.1",), "harvest_schedule_seconds": 0.2},
    ).start()
    try:
        source = new_source(admin, fake.url(site_name), frequency="hourly")
        jobs = wait_until(
            lambda: admin.action.harvest_job_list(source_id=source),
            "the scheduled job",
            until=lambda found: found and found[0]["job_status"] == "complete",
        )
        time.sleep(2)  # both processes look at the schedule several times more
        assert len(admin.action.harvest_job_list(source_id=source)) == len(jobs) == 1
        assert jobs[0]["counts"]["added"] == 2
        shown = admin.action.harvest_source_show(id=source)
        next_run = datetime.fromisoformat(shown["next_run"])
        assert timedelta(minutes=55) < next_run - utcnow() <= timedelta(hours=1)
    finally:
        second.stop()


def test_a_running_job_stops_when_aborted_and_withdraws_nothing(
    local: LiveServer, admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    site_name, site = slow_site(fake, 20, delay=0.4)
    source = new_source(
        admin, fake.url(site_name), config={"page_size": 1, "withdraw_after_days": 0}
    )
    job = admin.action.harvest_run(id=source)
    with pytest.raises(ckanapi.ValidationError) as twice:
        admin.action.harvest_run(id=source)
    assert "既に実行待ちか実行中のジョブがあります" in str(twice.value.error_dict)
    running = wait_until(
        lambda: admin.action.harvest_job_show(id=job["id"]),
        "the job to make a dataset and say so",
        until=lambda j: j["counts"]["added"] >= 1 and j["progress"].get("done", 0) >= 1,
    )
    assert running["status"] == "Running" and running["progress"]["done"] >= 1
    queues = {j["queue"] for j in admin.action.job_list(queues=["harvest"])}
    assert queues == {"harvest"}
    admin.action.harvest_job_abort(source_id=source)
    stopped = wait_for_job(admin, job["id"])
    assert (stopped["job_status"], stopped["status"]) == ("cancelled", "Aborted")
    assert 1 <= stopped["counts"]["added"] < 20 and stopped["counts"]["withdrawn"] == 0
    site.delay = 0.0
    done = harvest(admin, source)
    assert done["mode"] == "full" and done["job_status"] == "complete"
    with local.services.sessions() as session:
        count = session.scalar(
            select(func.count())
            .select_from(HarvestObject)
            .where(HarvestObject.key.like(f"{site_name}-%"))
        )
    assert count == 20


def test_job_show_and_job_cancel_stop_a_running_harvest(
    local: LiveServer, admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    """CKAN's own job actions reach harvest jobs too: job_show reads one, job_cancel stops it."""
    site_name, site = slow_site(fake, 20, delay=0.4)
    source = new_source(
        admin, fake.url(site_name), config={"page_size": 1, "withdraw_after_days": 0}
    )
    job = admin.action.harvest_run(id=source)
    wait_until(
        lambda: admin.action.harvest_job_show(id=job["id"]),
        "the job to make a dataset",
        until=lambda j: j["counts"]["added"] >= 1,
    )
    shown = admin.action.job_show(id=job["id"])
    assert (shown["id"], shown["queue"], shown["status"]) == (job["id"], "harvest", "running")
    admin.action.job_cancel(id=job["id"])
    stopped = wait_for_job(admin, job["id"])
    assert (stopped["job_status"], stopped["status"]) == ("cancelled", "Aborted")
    assert 1 <= stopped["counts"]["added"] < 20
    assert admin.action.job_show(id=job["id"])["status"] == "cancelled"
    with pytest.raises(ckanapi.ValidationError):
        admin.action.job_cancel(id=job["id"])  # already finished
    site.delay = 0.0


def test_run_now_sent_ten_times_at_once_queues_one_job(
    local: LiveServer, admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    site_name, site = slow_site(fake, 2, delay=0.5)
    source = new_source(admin, fake.url(site_name))
    barrier = threading.Barrier(10)
    answers: list[str] = []

    def run_now() -> None:
        client = local.ckan(admin.apikey)
        barrier.wait()
        try:
            client.action.harvest_run(id=source)
            answers.append("queued")
        except ckanapi.ValidationError:
            answers.append("refused")

    threads = [threading.Thread(target=run_now) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(answers) == ["queued"] + ["refused"] * 9
    [job] = admin.action.harvest_job_list(source_id=source)
    assert wait_for_job(admin, job["id"])["counts"]["added"] == 2
    site.delay = 0.0
