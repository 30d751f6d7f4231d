"""Short-word postings rebuilt in the background once writes to a table go quiet, on both databases.

Tables made by datastore_create + datastore_upsert get postings, a write after an ingest
invalidates them and the rebuild restores them, a burst of writes queues one rebuild, a write
during a rebuild goes through at once and never leaves postings marked valid that miss it, a
database whose trigger function predates the reading mark gets the new one, and a failed rebuild
or a table dropped meanwhile leaves q exact. Over HTTP with ckanapi, with a short quiet period.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select, text

from support import databases
from support.datastore_tables import relation_exists, table_name
from support.live_server import LiveServer
from support.smtp_server import SmtpServer
from support.waiting import wait_until
from tsunagu.datastore import postings, postings_jobs, postings_sqlite
from tsunagu.datastore.ingest.values import to_halfwidth
from tsunagu.jobs.models import Job

QUIET = 1.0
HEADER = ["内容", "種別"]
QUERIES = ["萩", "萩市", "公園", "新", "公園 萩", "ab", "無い"]


@pytest.fixture(scope="module")
def quiet_server(
    backend: str, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp(f"postings-rebuild-{backend}")
    live = LiveServer(
        data_dir=tmp,
        database_url=databases.database_url_for(backend, tmp),
        overrides={"datastore_postings_quiet_seconds": QUIET},
    ).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def admin(quiet_server: LiveServer) -> Any:
    ckan = quiet_server.ckan(quiet_server.make_user("pr-admin", sysadmin=True))
    ckan.action.organization_create(name="pr-org", title="萩")
    ckan.action.package_create(name="pr-data", title="施設", owner_org="pr-org")
    return ckan


@pytest.fixture
def server(quiet_server: LiveServer) -> LiveServer:
    return quiet_server


class _Held:
    """The rebuild worker kept from taking jobs until released, so that a test sees the state
    between a write and its rebuild however slow the machine is."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.claim = postings_jobs.claim_quiet
        self.monkeypatch = monkeypatch
        monkeypatch.setattr(postings_jobs, "claim_quiet", lambda *_args: None)

    def release(self) -> None:
        self.monkeypatch.setattr(postings_jobs, "claim_quiet", self.claim)


def _records(start: int, count: int) -> list[dict[str, str]]:
    names = ["萩市の公園", "下関の薬局", "AbC 公園", "長門の避難所"]
    return [
        {"内容": f"{names[i % 4]}{i}", "種別": ["公園", "薬局"][i % 2]}
        for i in range(start, start + count)
    ]


def _created(admin: Any, records: list[dict[str, str]]) -> str:
    made = admin.action.datastore_create(
        resource={"package_id": "pr-data", "name": "API の表"},
        fields=[{"id": "内容", "type": "text"}, {"id": "種別", "type": "text"}],
        indexes=["種別"],
        records=records,
    )
    return str(made["resource_id"])


def _csv(records: list[dict[str, str]]) -> bytes:
    return (
        "\n".join(",".join(r) for r in [HEADER, *(r.values() for r in records)]) + "\n"
    ).encode()


def _uploaded(admin: Any, records: list[dict[str, str]]) -> str:
    """A resource whose file went through the ingest, with the postings it builds."""
    resource = admin.action.resource_create(
        package_id="pr-data",
        name="施設",
        format="CSV",
        upload=("施設.csv", io.BytesIO(_csv(records))),
    )
    rid = str(resource["id"])
    wait_until(
        lambda: admin.action.datastore_ingest_status(resource_id=rid),
        "the ingest and its postings",
        until=lambda s: any(e["message"].startswith("短い語の索引ができました") for e in s["log"]),
    )
    return rid


def _state(admin: Any, rid: str) -> str:
    return str(admin.action.datastore_info(id=rid)["meta"]["short_word_postings"])


def _wait_valid(admin: Any, rid: str) -> None:
    wait_until(
        lambda: _state(admin, rid), "the postings to be rebuilt", until=lambda s: s == "valid"
    )


def _ids(result: dict[str, Any]) -> list[int]:
    return [r["_id"] for r in result["records"]]


def _assert_exact(admin: Any, rid: str) -> None:
    """Every query's page and total equal a scan of the table's current rows."""
    rows = admin.action.datastore_search(resource_id=rid, limit=10_000)["records"]
    for q in QUERIES:
        words = [w.lower() for w in to_halfwidth(q).split()]
        wanted = [
            r["_id"]
            for r in rows
            if all(w in "\u3000".join(r[h] or "" for h in HEADER).lower() for w in words)
        ]
        page = admin.action.datastore_search(resource_id=rid, q=q, limit=1000)
        assert _ids(page) == wanted, q
        assert page["total"] == len(wanted), q
        kept = admin.action.datastore_search(resource_id=rid, q=q, filters={"種別": "公園"})
        assert kept["total"] == len([r for r in rows if r["_id"] in wanted and r["種別"] == "公園"])


def _assert_exact_by_scan(admin: Any, rid: str, used: list[bool]) -> None:
    """Exact answers, none of them from the postings."""
    used.clear()
    _assert_exact(admin, rid)
    assert not any(used), used


def _assert_exact_from_postings(admin: Any, rid: str, used: list[bool]) -> None:
    """Exact answers, every one of them from the postings."""
    used.clear()
    _assert_exact(admin, rid)
    assert used and all(used), used


def _jobs(server: LiveServer, rid: str) -> list[Job]:
    with server.services.sessions() as session:
        return list(
            session.scalars(
                select(Job)
                .where(Job.kind == postings_jobs.KIND, Job.object_id == rid)
                .order_by(Job.created)
            )
        )


def _settled(server: LiveServer, rid: str) -> list[Job]:
    return wait_until(  # type: ignore[no-any-return]
        lambda: _jobs(server, rid),
        "the rebuild job to end",
        until=lambda jobs: jobs and all(j.status in ("complete", "error") for j in jobs),
    )


def test_a_created_and_upserted_table_gets_postings_once_writes_go_quiet(
    server: LiveServer, admin: Any, used: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    held = _Held(monkeypatch)
    rid = _created(admin, _records(0, 30))
    admin.action.datastore_upsert(resource_id=rid, method="insert", records=_records(30, 30))
    assert _state(admin, rid) == "pending"
    _assert_exact_by_scan(admin, rid, used)
    held.release()
    _wait_valid(admin, rid)
    _assert_exact_from_postings(admin, rid, used)
    assert [j.status for j in _jobs(server, rid)] == ["complete"]


def test_an_upsert_after_an_ingest_invalidates_and_the_rebuild_restores(
    server: LiveServer, admin: Any, used: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = _uploaded(admin, _records(0, 40))
    assert _state(admin, rid) == "valid"
    first = admin.action.datastore_search(resource_id=rid, limit=1)["records"][0]["_id"]
    held = _Held(monkeypatch)
    admin.action.datastore_upsert(
        resource_id=rid, method="upsert", records=[{"_id": first, "内容": "新しい萩の名前"}]
    )
    assert _state(admin, rid) == "pending"
    _assert_exact_by_scan(admin, rid, used)
    held.release()
    _wait_valid(admin, rid)
    _assert_exact_from_postings(admin, rid, used)
    hits = admin.action.datastore_search(resource_id=rid, q="新")
    assert [r["内容"] for r in hits["records"]] == ["新しい萩の名前"]
    # A filtered delete does the same.
    held = _Held(monkeypatch)
    admin.action.datastore_delete(resource_id=rid, filters={"種別": "薬局"})
    assert _state(admin, rid) == "pending"
    held.release()
    _wait_valid(admin, rid)
    _assert_exact_from_postings(admin, rid, used)


def test_a_burst_of_writes_queues_one_rebuild(
    server: LiveServer, admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """100 upserts from four clients at once, with the worker held back: one waiting job."""
    rid = _created(admin, _records(0, 5))
    _wait_valid(admin, rid)
    before = len(_jobs(server, rid))
    held = _Held(monkeypatch)

    def write(n: int) -> None:
        admin.action.datastore_upsert(resource_id=rid, method="insert", records=_records(n, 1))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(100, 200)))
    waiting = _jobs(server, rid)[before:]
    assert [j.status for j in waiting] == ["pending"], waiting
    assert _state(admin, rid) == "pending"
    held.release()
    _wait_valid(admin, rid)
    assert [j.status for j in _jobs(server, rid)[before:]] == ["complete"]
    _assert_exact(admin, rid)
    assert admin.action.datastore_info(id=rid)["meta"]["count"] == 105


def _held_build(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> tuple[threading.Event, threading.Event]:
    """Make the next build stop once it starts reading the table (the reading mark set; on
    PostgreSQL in a snapshot of its own), until released."""
    reading, release = threading.Event(), threading.Event()

    def hold() -> None:
        reading.set()
        assert release.wait(60), "the test never released the build"

    if server.services.engine.dialect.name == "sqlite":
        read = postings_sqlite._gram_bitmaps

        def held_read(*args: Any) -> Any:
            hold()
            return read(*args)

        monkeypatch.setattr(postings_sqlite, "_gram_bitmaps", held_read)
    else:
        chunks = postings._chunks

        def held_chunks(*args: Any) -> Any:  # a generator: holds when the build starts reading
            hold()
            yield from chunks(*args)

        monkeypatch.setattr(postings, "_chunks", held_chunks)
    return reading, release


def _waiting_for_lock(server: LiveServer, table: str) -> bool:
    with server.services.engine.connect() as connection:
        return bool(
            connection.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = to_regclass(:t)"
                ),
                {"t": f'"{table}"'},
            )
        )


# The trigger function as databases made before the reading mark have it: it deletes only the
# valid mark.
_FUNCTION_BEFORE_READING_MARK = """
CREATE OR REPLACE FUNCTION tsunagu_postings_invalidate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'DELETE FROM ' || quote_ident(TG_TABLE_SCHEMA) || '.'
    || quote_ident(TG_TABLE_NAME || '_pst') || ' WHERE gram = ''''';
  RETURN NULL;
END
$$
"""


def test_a_write_during_a_rebuild_goes_through_and_never_leaves_valid_postings_that_miss_it(
    server: LiveServer, admin: Any, used: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    if server.services.engine.dialect.name == "postgresql":
        with server.services.engine.begin() as connection:  # the build puts in the current one
            connection.exec_driver_sql(_FUNCTION_BEFORE_READING_MARK)
    rid = _created(admin, _records(0, 20))
    reading, release = _held_build(server, monkeypatch)
    assert reading.wait(60), "the rebuild never started"
    assert _state(admin, rid) == "rebuilding"
    try:
        # Another client writes while the rebuild reads the table: it does not wait.
        admin.action.datastore_upsert(
            resource_id=rid, method="insert", records=[{"内容": "新萩ab公園", "種別": "公園"}]
        )
        _assert_exact_by_scan(admin, rid, used)
    finally:
        # The next rebuild waits until the state after the write is seen.
        held = _Held(monkeypatch)
        release.set()
    # The rebuild read the rows before the write: its postings are not valid (PostgreSQL puts
    # them in place unmarked, SQLite not at all), and the write queued the next one.
    wait_until(
        lambda: [j.status for j in _jobs(server, rid)],
        "the rebuild to end",
        until=lambda statuses: statuses == ["complete", "pending"],
    )
    assert _state(admin, rid) == "pending"
    _assert_exact_by_scan(admin, rid, used)
    held.release()
    _wait_valid(admin, rid)
    _assert_exact_from_postings(admin, rid, used)
    assert admin.action.datastore_search(resource_id=rid, q="新")["total"] == 1
    assert [j.status for j in _jobs(server, rid)] == ["complete", "complete"]


def test_a_failed_rebuild_leaves_q_exact_and_the_table_usable(
    server: LiveServer, admin: Any, used: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(postings, "build", broken)
    rid = _created(admin, _records(0, 20))
    jobs = _settled(server, rid)
    assert [j.status for j in jobs] == ["error"]
    assert "Short-word postings failed" in jobs[0].error and "disk full" in jobs[0].error
    assert _state(admin, rid) == "none"
    _assert_exact_by_scan(admin, rid, used)
    # Still writable; the next quiet period rebuilds once the build works again.
    monkeypatch.undo()
    admin.action.datastore_upsert(resource_id=rid, method="insert", records=_records(20, 2))
    _wait_valid(admin, rid)
    _assert_exact(admin, rid)


def test_a_table_dropped_before_its_rebuild_runs_ends_the_job_quietly(
    server: LiveServer, admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = _Held(monkeypatch)
    rid = _created(admin, _records(0, 10))
    table = table_name(server, rid)
    admin.action.datastore_delete(resource_id=rid)
    assert [j.status for j in _jobs(server, rid)] == ["pending"]
    held.release()
    jobs = _settled(server, rid)
    assert [(j.status, j.error) for j in jobs] == [("complete", "")]
    assert not relation_exists(server, table) and not relation_exists(server, postings.name(table))


def test_a_table_dropped_during_its_rebuild_ends_the_job_quietly(
    server: LiveServer, admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = _created(admin, _records(0, 10))
    table = table_name(server, rid)
    reading, release = _held_build(server, monkeypatch)
    assert reading.wait(60), "the rebuild never started"
    dropper = ThreadPoolExecutor(1)
    dropped = dropper.submit(admin.action.datastore_delete, resource_id=rid)
    try:
        if server.services.engine.dialect.name == "postgresql":
            wait_until(lambda: _waiting_for_lock(server, table), "the drop to wait for the build")
        else:  # the build holds no lock while it reads: the drop goes through at once
            dropped.result(timeout=60)
    finally:
        release.set()
    dropped.result(timeout=60)
    dropper.shutdown()
    jobs = _settled(server, rid)
    assert [(j.status, j.error) for j in jobs] == [("complete", "")]
    assert not relation_exists(server, table) and not relation_exists(server, postings.name(table))


def test_a_table_replaced_by_an_ingest_while_its_rebuild_waits_keeps_the_new_postings(
    server: LiveServer, admin: Any, used: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = _uploaded(admin, _records(0, 20))
    held = _Held(monkeypatch)
    admin.action.datastore_upsert(resource_id=rid, method="insert", records=_records(20, 1))
    before = admin.action.datastore_ingest_status(resource_id=rid)["job_id"]
    admin.action.resource_update(
        id=rid,
        package_id="pr-data",
        name="施設",
        format="CSV",
        upload=("b.csv", io.BytesIO(_csv(_records(50, 7)))),
    )
    wait_until(
        lambda: admin.action.datastore_ingest_status(resource_id=rid),
        "the re-ingest and its postings",
        until=lambda s: (
            s["job_id"] != before
            and any(e["message"].startswith("短い語の索引ができました") for e in s["log"])
        ),
    )
    assert [j.status for j in _jobs(server, rid)] == ["pending"]
    held.release()
    jobs = _settled(server, rid)
    assert [(j.status, j.error) for j in jobs] == [("complete", "")]
    assert _state(admin, rid) == "valid"
    _assert_exact_from_postings(admin, rid, used)
    assert admin.action.datastore_info(id=rid)["meta"]["count"] == 7


def test_a_starting_worker_queues_the_tables_without_postings(
    server: LiveServer, admin: Any, used: list[bool]
) -> None:
    """A table whose postings are missing (loaded before they existed, or a build a stopped
    process never ran) gets them once a worker starts: begin() queues one rebuild per table,
    and none for a table whose postings are valid."""
    rid = _uploaded(admin, _records(0, 30))
    kept = _uploaded(admin, _records(40, 5))
    with server.services.engine.begin() as connection:
        postings.drop(connection, table_name(server, rid))
    assert _state(admin, rid) == "none"
    before = {r: len(_jobs(server, r)) for r in (rid, kept)}
    postings_jobs.PostingsWorker(server.services).begin()  # what a starting worker does
    _wait_valid(admin, rid)
    _assert_exact_from_postings(admin, rid, used)
    assert len(_jobs(server, rid)) == before[rid] + 1
    assert len(_jobs(server, kept)) == before[kept]
