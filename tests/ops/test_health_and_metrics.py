"""/healthz, /readyz and /metrics over HTTP, and `tsunagu serve` with several workers adding up
its metrics and writing JSON logs."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import orjson
import pytest

from support.databases import database_url_for
from support.live_server import LiveServer, free_port
from support.waiting import wait_until
from tsunagu.bootstrap import build_services
from tsunagu.config import Settings
from tsunagu.ops.health import readiness
from tsunagu.storage.migrate import upgrade


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text output (0 when absent)."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_healthz_answers_while_the_process_is_up(server: LiveServer) -> None:
    answer = httpx.get(f"{server.url}/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}
    assert answer.headers["cache-control"] == "no-store"


def test_readyz_checks_the_database_and_its_migrations(server: LiveServer) -> None:
    answer = httpx.get(f"{server.url}/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


def test_not_ready_when_migrations_are_behind(backend: str, tmp_path: Path) -> None:
    services = build_services(
        Settings(data_dir=tmp_path, database_url=database_url_for(backend, tmp_path))
    )
    try:
        upgrade(services.engine, "0004")
        ready, checks = readiness(services)
        assert not ready
        assert checks["database"] == "ok"
        assert checks["migrations"].startswith("behind: 0004")
    finally:
        services.engine.dispose()


def test_not_ready_when_the_database_is_unreachable(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/nothing"
    services = build_services(Settings(data_dir=tmp_path, database_url=url))
    try:
        ready, checks = readiness(services)
    finally:
        services.engine.dispose()
    assert not ready
    assert checks["database"].startswith("error: ")


def test_metrics_count_requests_by_action_and_status(server: LiveServer) -> None:
    def scrape() -> str:
        answer = httpx.get(f"{server.url}/metrics")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/plain")
        return answer.text

    before = scrape()
    for _ in range(3):
        assert httpx.get(f"{server.url}/api/3/action/package_search").status_code == 200
    assert httpx.get(f"{server.url}/api/3/action/no_such_action").status_code == 404
    assert httpx.get(f"{server.url}/api/3/action/package_show?id=missing").status_code == 404
    after = scrape()

    def delta(name: str, **labels: str) -> float:
        return _sample(after, name, **labels) - _sample(before, name, **labels)

    ok = {"handler": "action:package_search", "method": "GET", "status": "200"}
    assert delta("tsunagu_http_requests_total", **ok) == 3
    assert delta("tsunagu_http_requests_total", handler="action:unknown", status="404") == 1
    assert delta("tsunagu_http_requests_total", handler="action:package_show", status="404") == 1
    count = "tsunagu_http_request_duration_seconds_count"
    assert delta(count, handler="action:package_search") == 3
    assert _sample(after, "tsunagu_http_request_duration_seconds_bucket", le="+Inf") > 0


def test_metrics_show_queue_depth_and_ingest_durations(server: LiveServer) -> None:
    token = server.make_user("metrics-admin", sysadmin=True)
    ckan = server.ckan(token)
    ckan.action.organization_create(name="metrics-org", title="計測")
    package = ckan.action.package_create(name="metrics-ds", title="計測", owner_org="metrics-org")
    text = httpx.get(f"{server.url}/metrics").text
    assert "# TYPE tsunagu_jobs_queued gauge" in text
    # Completed ones only, like the count below: the registry is shared by every test server in
    # this process, and ingests that failed in other modules' tests must not be counted here.
    done_before = _sample(
        text, "tsunagu_job_duration_seconds_count", kind="ingest", status="complete"
    )
    ckan.action.resource_create(
        package_id=package["id"],
        name="表",
        format="CSV",
        upload=("a.csv", io.BytesIO(b"a,b\n1,2\n")),
    )
    wait_until(
        lambda: _sample(
            httpx.get(f"{server.url}/metrics").text,
            "tsunagu_job_duration_seconds_count",
            kind="ingest",
            status="complete",
        ),
        "the ingest to finish and be counted in /metrics",
        until=lambda done: done > done_before,
    )


@pytest.mark.skipif(sys.platform != "linux", reason="signals and process groups as on Linux")
def test_serve_with_two_workers_adds_up_metrics_and_logs_json(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TSUNAGU_DATA_DIR": str(tmp_path),
        "TSUNAGU_LOG_FORMAT": "json",
        "TSUNAGU_MAP_TILES": "",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    tsunagu = Path(sys.executable).with_name("tsunagu")
    process = subprocess.Popen(
        [str(tsunagu), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert process.poll() is None, "tsunagu serve exited"
            try:
                return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(ready, "tsunagu serve to become ready")
        # New connections each time, so both workers answer some of them.
        for _ in range(40):
            httpx.get(f"{url}/api/3/action/status_show").raise_for_status()
        text = httpx.get(f"{url}/metrics").text
        assert _sample(text, "tsunagu_http_requests_total", handler="action:status_show") == 40
        # Both workers counted into the shared folder, and /metrics added them up.
        written = {f.name for f in (tmp_path / "metrics").glob("counter_*.db")}
        assert len(written) == 2, written
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    lines = [line for line in stderr.decode().splitlines() if line.strip()]
    assert lines, "serve wrote no log lines"
    entries = [orjson.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    assert any(e["logger"].startswith("uvicorn") for e in entries)
