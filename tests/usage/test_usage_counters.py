"""Usage counts: batched in memory, written by the flusher, never lost at a clean shutdown, and
adding up when several processes count the same datasets."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import event, insert, select

from support.databases import database_url_for
from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.bootstrap import action_context, build_services
from tsunagu.config import Settings
from tsunagu.context import Services
from tsunagu.registry import call_action
from tsunagu.storage.migrate import upgrade
from tsunagu.usage.counters import Subject, UsageFlusher, flush, record, today
from tsunagu.usage.models import DatasetUsage, UsageDaily
from tsunagu.usage.queries import popular

SRC = Path(__file__).resolve().parents[2] / "src"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0"


def get(url: str) -> requests.Response:
    """A page as a browser asks for it (page views are counted for browsers only)."""
    return requests.get(url, headers={"User-Agent": BROWSER}, timeout=10)


@pytest.fixture
def services(backend: str, tmp_path: Path) -> Iterator[Services]:
    settings = Settings(
        data_dir=tmp_path, database_url=database_url_for(backend, tmp_path), ingest_workers=0
    )
    built = build_services(settings)
    upgrade(built.engine)
    yield built
    built.engine.dispose()


def make_datasets(services: Services, *names: str) -> list[str]:
    with action_context(services, ignore_auth=True) as context:
        if not call_action("organization_list", context, {}):
            call_action("organization_create", context, {"name": "ube", "title": "宇部市"})
        return [
            call_action("package_create", context, {"name": n, "title": n, "owner_org": "ube"})[
                "id"
            ]
            for n in names
        ]


def count(sessions: Any, dataset_id: str, *, download: bool) -> None:
    """One use by a browser of a dataset (of no organisation here: the totals are tested)."""
    record(sessions, Subject(dataset_id, None, True), download=download, client="browser")


def most_downloaded(session: Any, limit: int, since: dt.date | None = None) -> list[str]:
    ranked = popular(session, since=since, until=today(), sort="downloads", limit=limit)
    return [r.dataset_id for r in ranked]


def stored(services: Services) -> dict[str, tuple[int, int]]:
    with services.sessions() as session:
        return {
            row.dataset_id: (row.page_views, row.downloads)
            for row in session.query(DatasetUsage).all()
        }


def test_counts_wait_in_memory_until_flushed(services: Services) -> None:
    evac, park = make_datasets(services, "evac", "park")
    flusher = UsageFlusher(services.sessions, every_seconds=3600)
    flusher.start()
    try:
        for _ in range(3):
            count(services.sessions, evac, download=False)
        count(services.sessions, evac, download=True)
        count(services.sessions, park, download=True)
        assert stored(services) == {}  # no write per view
        assert flush(services.sessions) == 2 + 3  # two totals, two datasets' days and the site's
        assert stored(services) == {evac: (3, 1), park: (0, 1)}
        assert flush(services.sessions) == 0  # nothing pending: nothing to do
        count(services.sessions, evac, download=False)
    finally:
        flusher.stop()
    # The count made just before the shutdown was written by stop().
    assert stored(services) == {evac: (4, 1), park: (0, 1)}


def test_without_a_flusher_counts_are_written_at_once(services: Services) -> None:
    (evac,) = make_datasets(services, "evac")
    count(services.sessions, evac, download=True)
    assert stored(services) == {evac: (0, 1)}
    flusher = UsageFlusher(services.sessions, every_seconds=3600)
    flusher.start()
    flusher.stop()
    count(services.sessions, evac, download=False)  # after shutdown: not left in memory
    assert stored(services) == {evac: (1, 1)}


def test_flusher_writes_periodically(services: Services) -> None:
    (evac,) = make_datasets(services, "evac")
    flusher = UsageFlusher(services.sessions, every_seconds=0.05)
    flusher.start()
    try:
        count(services.sessions, evac, download=False)
        wait_until(
            lambda: stored(services),
            "the flusher to write the count",
            until=lambda counts: counts == {evac: (1, 0)},
        )
    finally:
        flusher.stop()


def test_count_of_a_deleted_dataset_is_dropped_not_retried(services: Services) -> None:
    (evac,) = make_datasets(services, "evac")
    flusher = UsageFlusher(services.sessions, every_seconds=3600)
    flusher.start()
    try:
        count(services.sessions, "no-such-dataset", download=True)
        count(services.sessions, evac, download=True)
        assert flush(services.sessions) > 0
        assert stored(services) == {evac: (0, 1)}
        assert flush(services.sessions) == 0  # the unknown id is gone, not pending forever
    finally:
        flusher.stop()


def test_first_row_inserted_by_another_process_meanwhile(services: Services, backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite lets one writer at a time, so no other process can insert meanwhile")
    (evac,) = make_datasets(services, "evac")
    other = build_services(services.settings)
    raced: list[bool] = []

    def other_process_inserts_first(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO dataset_usage") and not raced:
            raced.append(True)
            with other.engine.begin() as connection:
                connection.execute(
                    insert(DatasetUsage).values(dataset_id=evac, page_views=5, downloads=0)
                )

    event.listen(services.engine, "before_cursor_execute", other_process_inserts_first)
    try:
        flusher = UsageFlusher(services.sessions, every_seconds=3600)
        flusher.start()
        count(services.sessions, evac, download=False)
        flusher.stop()
    finally:
        event.remove(services.engine, "before_cursor_execute", other_process_inserts_first)
        other.engine.dispose()
    assert raced and stored(services) == {evac: (6, 0)}


def test_a_locked_database_keeps_the_counts_for_the_next_flush(tmp_path: Path) -> None:
    services = build_services(Settings(data_dir=tmp_path, ingest_workers=0))
    upgrade(services.engine)
    (evac,) = make_datasets(services, "evac")
    services.engine.dispose()

    @event.listens_for(services.engine, "connect")
    def _fail_fast(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=50")

    flusher = UsageFlusher(services.sessions, every_seconds=3600)
    flusher.start()
    try:
        count(services.sessions, evac, download=True)
        blocker = sqlite3.connect(tmp_path / "tsunagu.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the database
        try:
            assert flush(services.sessions) == 0
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert stored(services) == {}
        assert flush(services.sessions) == 1 + 2  # the total, the dataset's day, the site's
        assert stored(services) == {evac: (0, 1)}
    finally:
        flusher.stop()
        services.engine.dispose()


def test_all_time_ranking_includes_this_process_pending_downloads(services: Services) -> None:
    a, b, c = make_datasets(services, "aa", "bb", "cc")
    for dataset_id, downloads in ((a, 5), (b, 1)):
        for _ in range(downloads):
            count(services.sessions, dataset_id, download=True)  # written at once
    flusher = UsageFlusher(services.sessions, every_seconds=3600)
    flusher.start()
    try:
        for _ in range(10):
            count(services.sessions, b, download=True)
        count(services.sessions, c, download=True)
        count(services.sessions, a, download=False)  # a view is not a download
        with services.sessions() as session:
            assert most_downloaded(session, 3) == [b, a, c]
            assert most_downloaded(session, 1) == [b]
            assert most_downloaded(session, 3, since=today()) == [b, a, c]  # the daily rows
        flush(services.sessions)
        with services.sessions() as session:
            assert most_downloaded(session, 3) == [b, a, c]
    finally:
        flusher.stop()


# One process of a multi-process server: counts in bursts, flushing often, then shuts down.
WORKER = textwrap.dedent(
    """
    import datetime as dt
    import sys
    import tsunagu.models  # noqa: F401  (every table, as the app loads them)
    from tsunagu.storage.database import make_engine, make_session_factory
    from tsunagu.usage.counters import Subject, UsageFlusher, flush, record

    url, ids = sys.argv[1], sys.argv[2:]
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    flusher = UsageFlusher(sessions, every_seconds=0.01)
    flusher.start()
    # Across midnight at the end of a fiscal year: the last day of March, then April 1st.
    days = [dt.date(2027, 3, 31), dt.date(2027, 4, 1)]
    for i in range(300):
        for dataset_id in ids:
            subject = Subject(dataset_id, "org-1", True, resource_id=dataset_id[::-1])
            client = "program" if i % 5 == 0 else "browser"
            record(sessions, subject, download=i % 3 == 0, client=client, day=days[i % 2])
        if i % 25 == 0:
            flush(sessions)
    flusher.stop()
    engine.dispose()
    """
)


def test_several_processes_add_up(services: Services) -> None:
    ids = make_datasets(services, "evac", "park")
    url = str(services.engine.url.render_as_string(hide_password=False))
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, *ids],
            env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        )
        for _ in range(3)
    ]
    assert [p.wait(timeout=120) for p in processes] == [0, 0, 0]
    # 300 counts per dataset and process; every third is a download, every fifth a program's.
    expected: dict[tuple[str, str, dt.date], list[int]] = {}
    totals = dict.fromkeys(ids, (0, 0))
    for i in range(300):
        day = dt.date(2027, 3, 31) if i % 2 == 0 else dt.date(2027, 4, 1)
        download, program = i % 3 == 0, i % 5 == 0
        step = [
            int(not download and not program),
            int(not download and program),
            int(download),
            int(download and program),
        ]
        for dataset_id in ids:
            views, downloads = totals[dataset_id]
            totals[dataset_id] = (views + int(not download and not program), downloads + download)
            for key in (
                ("dataset", dataset_id, day),
                ("resource", dataset_id[::-1], day),
                ("organization", "org-1", day),
                ("site", "", day),
            ):
                row = expected.setdefault(key, [0, 0, 0, 0])
                for n, add in enumerate(step):
                    row[n] += 3 * add
    assert stored(services) == {i: (3 * v, 3 * d) for i, (v, d) in totals.items()}
    with services.sessions() as session:
        daily = {
            (r.kind, r.object_id, r.day): [r.page_views, r.api_views, r.downloads, r.api_downloads]
            for r in session.scalars(select(UsageDaily))
        }
    assert daily == expected


def test_app_batches_page_views_and_writes_them_at_shutdown(
    tmp_path: Path,
) -> None:
    live = LiveServer(data_dir=tmp_path).start()
    (evac,) = make_datasets(live.services, "evac")
    try:
        for _ in range(3):
            assert get(f"{live.url}/dataset/evac").status_code == 200
        flush(live.services.sessions)  # the hook for tests that read counts right after a view
        assert stored(live.services) == {evac: (3, 0)}
        assert get(f"{live.url}/dataset/evac").status_code == 200
        assert get(f"{live.url}/dataset/no-such").status_code == 404
        assert stored(live.services) == {evac: (3, 0)}  # batched, not written per view
    finally:
        live.stop()
    assert stored(live.services) == {evac: (4, 0)}
