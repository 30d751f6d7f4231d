"""The daily metric snapshot as real history, on SQLite and PostgreSQL: metric_snapshot_run
twice the same day stores one row per series; days without a run are written as explicit
"no data" when the next run catches up, never as values; two `tsunagu metrics snapshot`
processes at once store each series once; a failing metric stores nothing that day; the app's
scheduler thread stores what is missing; series bound by another capability are stored.

The module's server runs without the scheduler (metrics_snapshot_seconds=0), so only the test
stores snapshots; rows of earlier days are written as the system, standing for past runs.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ckanapi
import pytest
from sqlalchemy import delete, func, select

from support import databases
from support.attention_items import dataset
from support.faulty_metrics import failing_value, registered_metric
from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.jobs.models import Job
from tsunagu.metrics import job as metric_job
from tsunagu.metrics import registry, snapshots
from tsunagu.metrics.models import MetricSnapshot
from tsunagu.metrics.registry import params_key
from tsunagu.metrics.snapshots import fiscal_year_of, snapshot_version, today

ROOT = Path(__file__).resolve().parents[2]
MUNICIPAL = ("datasets_public", params_key({"kind": "municipality"}))


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp(f"snapshots-{backend}")
    live = LiveServer(
        data_dir=tmp,
        database_url=databases.database_url_for(backend, tmp),
        overrides={"metrics_snapshot_seconds": 0},
    ).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> ckanapi.RemoteCKAN:
    server.act(
        "organization_create",
        {"name": "ms-city", "title": "萩市", "kind": "municipality", "local_gov_code": "352047"},
    )
    for n in range(2):
        dataset(server, "ms-city", f"ms-public-{n}")
    dataset(server, "ms-city", "ms-private", private=True)
    return server.ckan(server.make_user("ms-sysadmin", sysadmin=True))


@pytest.fixture
def stored_today(admin: ckanapi.RemoteCKAN) -> None:
    """Every series has today's row, whichever tests ran before (a run of the day)."""
    assert admin.action.metric_snapshot_run()["status"] == "complete"


def _public_in_city(server: LiveServer) -> float:
    """The public datasets of ms-city (the module's one municipality) as anyone sees them."""
    return float(server.ckan().action.package_search(fq="organization:ms-city", rows=0)["count"])


def _rows(server: LiveServer, key: tuple[str, str]) -> list[tuple[dt.date, float | None]]:
    with server.services.sessions() as session:
        found = session.execute(
            select(MetricSnapshot.date, MetricSnapshot.value)
            .where(MetricSnapshot.metric_key == key[0], MetricSnapshot.params == key[1])
            .order_by(MetricSnapshot.date)
        )
        return [(day, value) for day, value in found]


def _rows_of_day(server: LiveServer, day: dt.date) -> int:
    with server.services.sessions() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(MetricSnapshot).where(MetricSnapshot.date == day)
            )
            or 0
        )


def _forget(server: LiveServer, key: tuple[str, str] | None = None) -> None:
    """Remove a series' rows (every series' rows of today when no key), and today's job."""
    with server.services.sessions() as session:
        if key is None:
            session.execute(delete(MetricSnapshot).where(MetricSnapshot.date == today()))
        else:
            session.execute(
                delete(MetricSnapshot).where(
                    MetricSnapshot.metric_key == key[0], MetricSnapshot.params == key[1]
                )
            )
        session.execute(delete(Job).where(Job.id == metric_job.job_id(today())))
        session.commit()


def _store_past(server: LiveServer, key: tuple[str, str], day: dt.date, value: float) -> None:
    """A row as a run on ``day`` would have stored it."""
    with server.services.sessions() as session:
        session.add(
            MetricSnapshot(
                metric_key=key[0],
                params=key[1],
                date=day,
                fiscal_year=fiscal_year_of(day),
                value=value,
            )
        )
        session.commit()


def test_a_second_run_the_same_day_measures_the_day_again_in_its_one_row(
    server: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    _forget(server)
    _forget(server, MUNICIPAL)  # and its earlier days
    public = _public_in_city(server)  # the private dataset does not count
    first = admin.action.metric_snapshot_run()
    assert first["status"] == "complete" and first["date"] == today().isoformat()
    assert first["written"] > 20 and first["updated"] == 0
    assert (first["no_data"], first["failed"]) == (0, [])
    assert _rows_of_day(server, today()) == first["written"]
    assert _rows(server, MUNICIPAL) == [(today(), public)]
    dataset(server, "ms-city", "ms-later")  # the catalog changes during the day
    with server.services.sessions() as session:
        version = snapshot_version(session)
    second = admin.action.metric_snapshot_run()
    assert (second["status"], second["written"], second["no_data"]) == ("complete", 0, 0)
    assert second["updated"] == first["written"]
    assert _rows_of_day(server, today()) == first["written"]  # still one row per series
    assert _rows(server, MUNICIPAL) == [(today(), public + 1)]  # the day's last measure
    with server.services.sessions() as session:
        assert snapshot_version(session) != version  # what caches of snapshots key on
    job = admin.action.job_show(id=metric_job.job_id(today()))
    assert (job["queue"], job["status"]) == ("metric_snapshot", "complete")
    series = admin.action.metric_series(key="datasets_public", params={"kind": "municipality"})
    assert series["tracked"] is True
    assert series["points"] == [
        {"date": today().isoformat(), "value": public + 1, "no_data": False}
    ]


def test_missed_days_are_explicit_no_data_and_past_values_stay(
    server: LiveServer, admin: ckanapi.RemoteCKAN, stored_today: None
) -> None:
    _forget(server, MUNICIPAL)
    public = _public_in_city(server)
    four_days_ago = today() - dt.timedelta(days=4)
    _store_past(server, MUNICIPAL, four_days_ago, 5.0)
    params = {"kind": "municipality"}
    # Before any run catches up, the missing days already show as no data, today included.
    shown = admin.action.metric_series(key="datasets_public", params=params)["points"]
    assert [p["date"] for p in shown] == [
        (four_days_ago + dt.timedelta(days=n)).isoformat() for n in range(5)
    ]
    assert [p["value"] for p in shown] == [5.0, None, None, None, None]
    assert [p["no_data"] for p in shown] == [False, True, True, True, True]
    ran = admin.action.metric_snapshot_run()
    assert (ran["written"], ran["no_data"]) == (1, 3)  # only this series had no row today
    stored = _rows(server, MUNICIPAL)
    assert stored == [
        (four_days_ago, 5.0),  # what was counted then, not recomputed
        (four_days_ago + dt.timedelta(days=1), None),
        (four_days_ago + dt.timedelta(days=2), None),
        (four_days_ago + dt.timedelta(days=3), None),
        (today(), public),
    ]
    shown = admin.action.metric_series(key="datasets_public", params=params)["points"]
    assert [p["value"] for p in shown] == [5.0, None, None, None, public]
    assert [p["no_data"] for p in shown] == [False, True, True, True, False]
    # since/until narrow the range; until beyond today stops at today.
    narrowed = admin.action.metric_series(
        key="datasets_public",
        params=params,
        since=(today() - dt.timedelta(days=2)).isoformat(),
        until=(today() + dt.timedelta(days=30)).isoformat(),
    )["points"]
    assert [p["value"] for p in narrowed] == [None, None, public]
    with pytest.raises(ckanapi.ValidationError) as refused:
        admin.action.metric_series(key="datasets_public", params=params, since="昨日")
    assert "since" in refused.value.error_dict
    again = admin.action.metric_snapshot_run()
    assert (again["written"], again["no_data"]) == (0, 0)
    assert _rows(server, MUNICIPAL)[:4] == stored[:4]  # past days are never written again


def _cli(server: LiveServer) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "TSUNAGU_DATA_DIR": str(server.data_dir),
        "TSUNAGU_DATABASE_URL": server.database_url,
        "TSUNAGU_SITE_URL": server.url,
        "PYTHONPATH": str(ROOT / "src"),
    }
    command = [sys.executable, "-c", "from tsunagu.cli import main; main()", "metrics", "snapshot"]
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_two_processes_at_once_store_each_series_once(
    server: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    ran = admin.action.metric_snapshot_run()
    tracked = ran["written"] + ran["updated"]  # the day stored now or by an earlier run
    _forget(server)  # today not stored yet, and no job for it
    assert _rows_of_day(server, today()) == 0
    processes = [_cli(server), _cli(server)]
    outputs = [p.communicate(timeout=300) for p in processes]
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, (out, err)
    assert _rows_of_day(server, today()) == tracked
    # Between them they wrote each series' day once: one stored the day, the other found it
    # being stored, or measured it again.
    written = []
    for out, _err in outputs:
        if "別のプロセスが実行中" in out:
            written.append(0)
        else:
            written.append(int(out.split(": ", 1)[1].split(" 系列", 1)[0]))
    assert sorted(written) == [0, tracked], outputs
    job = admin.action.job_show(id=metric_job.job_id(today()))
    assert job["status"] == "complete"


@pytest.fixture
def flaky_metric(server: LiveServer) -> Iterator[dict[str, str | None]]:
    """A metric registered for one test that fails in the way ``state["fail"]`` names while it
    is set: raising, giving text or NaN instead of a number, or running a statement the
    database refuses (on PostgreSQL that aborts the transaction it runs in)."""
    state: dict[str, str | None] = {"fail": "raise"}

    def compute(context: Any, _params: dict[str, Any]) -> object:
        return failing_value(context, state["fail"], 42.0)

    with registered_metric("test_flaky", compute, headline=({},)):
        yield state
    _forget(server, ("test_flaky", params_key({})))


@pytest.mark.parametrize("failure", ["text", "nan", "sql"])
def test_a_metric_that_fails_leaves_the_other_series_stored(
    server: LiveServer,
    admin: ckanapi.RemoteCKAN,
    flaky_metric: dict[str, str | None],
    failure: str,
) -> None:
    flaky_metric["fail"] = failure
    _forget(server)
    ran = admin.action.metric_snapshot_run()
    assert (ran["status"], ran["failed"]) == ("complete", ["test_flaky {}"])
    assert ran["written"] > 0
    assert _rows_of_day(server, today()) == ran["written"]  # committed, not lost with it
    assert _rows(server, ("test_flaky", params_key({}))) == []


def test_a_failing_metric_stores_no_value_and_its_day_becomes_no_data(
    server: LiveServer,
    admin: ckanapi.RemoteCKAN,
    stored_today: None,
    flaky_metric: dict[str, str | None],
) -> None:
    key = ("test_flaky", params_key({}))
    two_days_ago = today() - dt.timedelta(days=2)
    _store_past(server, key, two_days_ago, 40.0)
    ran = admin.action.metric_snapshot_run()
    assert ran["failed"] == ["test_flaky {}"] and ran["written"] == 0
    assert _rows(server, key) == [(two_days_ago, 40.0)]  # nothing invented, no gap written yet
    flaky_metric["fail"] = None
    ran = admin.action.metric_snapshot_run()
    assert (ran["failed"], ran["written"], ran["no_data"]) == ([], 1, 1)
    assert _rows(server, key) == [
        (two_days_ago, 40.0),
        (today() - dt.timedelta(days=1), None),
        (today(), 42.0),
    ]


@pytest.fixture
def bound_series() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Series another capability binds (as plan indicators do), through a series provider."""
    bound: list[tuple[str, dict[str, Any]]] = []

    def provider(_session: Any) -> list[tuple[str, dict[str, Any]]]:
        return list(bound)

    registry.series_provider(provider)
    yield bound
    registry._PROVIDERS.remove(provider)


def test_series_a_capability_binds_are_stored_and_bad_bindings_skipped(
    server: LiveServer,
    admin: ckanapi.RemoteCKAN,
    stored_today: None,
    bound_series: list[tuple[str, dict[str, Any]]],
) -> None:
    org_id = server.act("organization_show", {"id": "ms-city"})["id"]
    bound_series += [
        ("datasets_public", {"organization": "ms-city"}),
        ("no_such_metric", {}),  # a binding to a metric this site no longer has
        ("datasets_public", {"organization": "gone-org"}),  # to a deleted organisation
    ]
    series = admin.action.metric_series(key="datasets_public", params={"organization": "ms-city"})
    assert (series["tracked"], series["points"]) == (True, [])
    ran = admin.action.metric_snapshot_run()
    assert (ran["status"], ran["written"], ran["failed"]) == ("complete", 1, [])
    key = ("datasets_public", params_key({"kind": "all", "organization": org_id}))
    public = _public_in_city(server)
    assert _rows(server, key) == [(today(), public)]
    series = admin.action.metric_series(key="datasets_public", params={"organization": org_id})
    assert series["points"] == [{"date": today().isoformat(), "value": public, "no_data": False}]


def test_the_app_runs_the_snapshot_on_its_own(
    server: LiveServer, admin: ckanapi.RemoteCKAN, tmp_path: Path
) -> None:
    """A second app on the same database with the scheduler thread on (a short interval): it
    stores a series missing today and keeps measuring the day while it runs."""
    admin.action.metric_snapshot_run()
    _forget(server, MUNICIPAL)
    other = LiveServer(
        data_dir=tmp_path,
        database_url=server.database_url,
        overrides={"metrics_snapshot_seconds": 0.3},
    ).start()
    try:
        wait_until(lambda: _rows(server, MUNICIPAL), "the app to store the missing series")
        dataset(server, "ms-city", "ms-while-running")
        public = _public_in_city(server)
        wait_until(
            lambda: _rows(server, MUNICIPAL),
            "the app to measure the day again",
            until=lambda rows: rows == [(today(), public)],
        )
    finally:
        other.stop()
    assert admin.action.job_show(id=metric_job.job_id(today()))["status"] == "complete"


def test_metric_snapshot_run_is_for_sysadmins(
    server: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    token = server.make_user("ms-editor")
    server.act(
        "organization_member_create", {"id": "ms-city", "username": "ms-editor", "role": "editor"}
    )
    for caller in (server.ckan(), server.ckan(token)):
        with pytest.raises(ckanapi.NotAuthorized):
            caller.action.metric_snapshot_run()


def test_newest_and_yearly_values_read_past_gaps_and_old_rows(
    server: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    """What a plan reads (metrics/snapshots.py): the newest value even when it is weeks old, and
    the last value of each 年度, a year ending on a no-data day taking its last real value."""
    from tsunagu.metrics.snapshots import latest_values, yearly_values

    org = server.act("organization_create", {"name": "ms-town", "title": "阿武町", "kind": "other"})
    key = ("datasets_public", params_key({"kind": "all", "organization": org["id"]}))
    forty_days_ago = today() - dt.timedelta(days=40)
    stored = {
        dt.date(2023, 6, 1): 1.0,
        dt.date(2024, 3, 30): 2.0,
        dt.date(2024, 3, 31): None,  # the year ended on a day without a run
        dt.date(2025, 3, 31): 3.0,
        forty_days_ago: 4.0,
        forty_days_ago + dt.timedelta(days=1): None,
    }
    with server.services.sessions() as session:
        for day, value in stored.items():
            session.add(
                MetricSnapshot(
                    metric_key=key[0],
                    params=key[1],
                    date=day,
                    fiscal_year=fiscal_year_of(day),
                    value=value,
                )
            )
        session.commit()
        newest = latest_values(session, [key])[key]
        years = yearly_values(session, [key])[key]
    assert (newest.date, newest.value) == (forty_days_ago, 4.0)
    last_by_year: dict[int, tuple[dt.date, float]] = {}
    for day, value in sorted(stored.items()):
        if value is not None:
            last_by_year[fiscal_year_of(day)] = (day, value)
    assert [(p.date, p.value) for p in years] == [last_by_year[y] for y in sorted(last_by_year)]
    assert (years[0].date, years[0].value) == (dt.date(2024, 3, 30), 2.0)
    shown = admin.action.metric_show(key="datasets_public", params={"organization": "ms-town"})
    assert shown["latest_snapshot"] == {"date": forty_days_ago.isoformat(), "value": 4.0}


def _today_point(points: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((p for p in points if p["date"] == today().isoformat()), None)


def test_a_day_seen_stored_can_be_run_again_at_once(
    server: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    """The day's values and its job's end are one commit: as soon as a client sees today's
    value, a run of the day is taken at once (not answered "running", another process's)."""
    _forget(server)
    other = server.ckan(server.make_user("ms-sysadmin-2", sysadmin=True))
    first: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: first.update(other.action.metric_snapshot_run()))
    runner.start()
    try:
        wait_until(
            lambda: admin.action.metric_series(
                key="datasets_public", params={"kind": "municipality"}
            )["points"],
            "today's value to be stored",
            until=lambda points: (_today_point(points) or {}).get("value") is not None,
            every=0.01,
        )
        again = admin.action.metric_snapshot_run()
    finally:
        runner.join(timeout=120)
    assert first["status"] == "complete" and first["written"] > 20
    assert (again["status"], again["written"], again["updated"]) == (
        "complete",
        0,
        first["written"],
    )
    job = admin.action.job_show(id=metric_job.job_id(today()))
    assert (job["status"], job["error"]) == ("complete", None)


@pytest.fixture
def failing_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Storing fails part way through the run (the database, not a metric): the fifth row."""
    upsert = snapshots._upsert
    calls = {"n": 0}

    def failing_upsert(session: Any, row: dict[str, Any]) -> None:
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("保存先のディスクがいっぱいです")
        upsert(session, row)

    monkeypatch.setattr(snapshots, "_upsert", failing_upsert)


def test_an_error_in_the_run_stores_nothing_and_ends_the_job_as_error(
    server: LiveServer,
    admin: ckanapi.RemoteCKAN,
    failing_storage: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _forget(server)
    ran = admin.action.metric_snapshot_run()
    assert ran["status"] == "error"
    job = admin.action.job_show(id=metric_job.job_id(today()))
    assert job["status"] == "error" and "ディスクがいっぱい" in job["error"]
    assert _rows_of_day(server, today()) == 0  # the four stored before it went with it
    series = admin.action.metric_series(key="datasets_public", params={"kind": "municipality"})
    assert (_today_point(series["points"]) or {}).get("value") is None
    monkeypatch.undo()
    again = admin.action.metric_snapshot_run()  # at once: the job's row has ended
    assert again["status"] == "complete" and again["written"] > 20
    assert admin.action.job_show(id=metric_job.job_id(today()))["status"] == "complete"
