"""The ingest's fast paths give exactly what the plain ones give: remembered conversions, SQLite
parameters, the choice of indexed columns, the once-a-second commits and the FTS5 build."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from tsunagu.bootstrap import action_context, build_services
from tsunagu.config import Settings
from tsunagu.context import Services
from tsunagu.datastore import bulk, fulltext, pipeline, tables
from tsunagu.datastore.ingest.batches import Batch
from tsunagu.datastore.ingest.infer import (
    column_converter,
    convert_row,
    converter,
    memoized,
)
from tsunagu.datastore.ingest.model import COLUMN_TYPES, IngestError
from tsunagu.datastore.models import IngestJob
from tsunagu.registry import call_action
from tsunagu.storage.database import make_engine
from tsunagu.storage.migrate import upgrade

CELLS: list[Any] = [
    None,
    "",
    " ",
    "－",
    "不明",
    "12",
    "１，２００",
    "△5",
    "-3",
    "12.50",
    "34.28916",
    "1e3",
    "令和2年4月1日",
    "R5.4.1",
    "H31.4.30",
    "令和0年1月1日",
    "2020/4/1 9:30",
    "9時半",
    "はい",
    "×",
    "ｗｉ－ｆｉ",
    "abc",
    "2020-02-30",
    1,
    1.0,
    True,
    False,
    dt.date(2020, 4, 1),
    dt.datetime(2020, 4, 1, 9, 30),
    dt.time(9, 30),
]


def _outcome(convert: Any, cell: Any) -> tuple[str, Any]:
    try:
        return "ok", convert(cell)
    except ValueError as exc:
        return "error", str(exc)


@pytest.mark.parametrize("kind", COLUMN_TYPES)
def test_column_converter_matches_the_plain_converter(kind: str) -> None:
    plain = converter(kind)  # type: ignore[arg-type]
    fast = column_converter(kind)  # type: ignore[arg-type]
    stored = tables.sqlite_stored(kind)
    on_sqlite = column_converter(kind, stored)  # type: ignore[arg-type]
    rng = random.Random(7)
    cells = CELLS * 3
    rng.shuffle(cells)
    for cell in cells:  # every cell several times: first conversions and remembered ones
        expected = _outcome(plain, cell)
        assert _outcome(fast, cell) == expected, cell
        if expected[0] == "ok" and stored is not None and expected[1] is not None:
            expected = ("ok", stored(expected[1]))
        assert _outcome(on_sqlite, cell) == expected, cell


def test_memoized_keeps_errors_and_equal_keys_apart() -> None:
    calls: list[Any] = []

    def convert(cell: Any) -> Any:
        calls.append(cell)
        if cell == "bad":
            raise ValueError("bad cell")
        return None if cell is None else ("converted", cell)

    remembered = memoized(convert)
    calls.clear()
    assert remembered("a") == remembered("a") == ("converted", "a")
    assert calls == ["a"]
    for _ in range(2):
        with pytest.raises(ValueError, match="bad cell"):
            remembered("bad")
    assert calls.count("bad") == 2  # failures are not remembered
    # 1, 1.0 and True are the same dict key but different cells: never cached.
    assert [remembered(v) for v in (1, 1.0, True)] == [("converted", v) for v in (1, 1.0, True)]
    assert remembered(None) is None


def test_memoized_drops_a_cache_that_does_not_pay() -> None:
    calls: list[str] = []

    def convert(cell: Any) -> Any:
        calls.append(cell)
        return cell

    remembered = memoized(convert, limit=10)
    for n in range(30):  # all different: the full cache had no hits
        remembered(str(n))
    calls.clear()
    remembered("0")
    remembered("0")
    assert calls == ["0", "0"]  # converted directly now
    repeating = memoized(convert, limit=10)
    for n in range(200):
        repeating(str(n % 5))
    calls.clear()
    repeating("3")
    assert calls == []


def test_memoized_ascii_direct() -> None:
    calls: list[str] = []

    def convert(cell: Any) -> Any:
        calls.append(cell)
        return cell

    remembered = memoized(convert, ascii_direct=True)
    calls.clear()
    for cell in ("12", "12", "１２", "１２"):
        remembered(cell)
    assert calls == ["12", "12", "１２"]


def test_convert_row_reports_the_bad_cell_with_remembered_converters() -> None:
    converters = [column_converter("int"), column_converter("date")]  # type: ignore[arg-type]
    assert convert_row(converters, ["１２", "R2.4.1"], 2, ["数", "日"]) == [12, dt.date(2020, 4, 1)]
    with pytest.raises(IngestError) as error:
        convert_row(converters, ["１２", "令和2年2月30日"], 3, ["数", "日"])
    assert error.value.line == 3 and error.value.column == "日"


def test_sqlite_parameters_bind_as_before() -> None:
    end = fulltext.FULL_TEXT_END
    table = tables.table_object(
        "t",
        [
            {"id": "日", "type": "date"},
            {"id": "時", "type": "timestamp"},
            {"id": "刻", "type": "time"},
            {"id": "名", "type": "text"},
            {"id": "数", "type": "numeric"},
            {"id": "真", "type": "bool"},
        ],
    )
    rows: list[list[object]] = [
        [dt.date(2020, 4, 1), dt.datetime(2020, 4, 1, 9, 30), dt.time(9, 5), "公園", 1.5, True],
        ["2020-04-01", None, None, "", 0, False],
    ]
    assert tables.sqlite_parameters(table, rows) == [
        (
            "2020-04-01",
            "2020-04-01 09:30:00",
            "09:05:00",
            "公園",
            1.5,
            True,
            "2020-04-01\u30002020-04-01 09:30:00\u300009:05:00\u3000公園\u30001.5\u3000True" + end,
        ),
        ("2020-04-01", None, None, "", 0, False, "2020-04-01\u30000\u3000False" + end),
    ]
    assert tables.full_text(rows[0]) == tables.sqlite_parameters(table, rows)[0][-1]


def test_index_columns() -> None:
    fields = [
        {"id": "番号", "type": "int"},  # hinted by name
        {"id": "施設名", "type": "text"},  # all different
        {"id": "分類", "type": "text"},  # hinted
        {"id": "区", "type": "text"},  # repeats
        {"id": "率", "type": "numeric"},  # repeats, but a measurement
        {"id": "定員", "type": "int"},  # repeats
    ]
    sample = [[str(n), f"施設{n}", "a", f"区{n % 3}", "1.5", str(n % 4)] for n in range(50)]
    assert pipeline.index_columns(fields, sample) == ["番号", "分類", "区", "定員"]
    assert pipeline.index_columns(fields, sample[:5]) == ["番号", "分類"]  # too few to tell
    wide = [{"id": f"列{n}の種別", "type": "text"} for n in range(20)]
    assert len(pipeline.index_columns(wide)) == pipeline.MAX_INDEXED_COLUMNS


def test_fts_build_matches_like(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fts.db'}")
    fields = [{"id": "名", "type": "text"}, {"id": "日", "type": "date"}]
    rng = random.Random(3)
    words = ["下関市", "公民館", "湯田温泉", "Wi-Fi", "ｗｉ－ｆｉ", "2020"]
    rows: list[list[object]] = [
        ["".join(rng.sample(words, 2)), dt.date(2020, 1, 1 + n % 28)] for n in range(3000)
    ]
    with engine.begin() as connection:
        table = tables.create(connection, "t", fields)
        tables.insert_rows(connection, table, rows)
        tables.build_indexes(connection, "t", ["日"])
    with engine.connect() as connection:
        for word in ("下関市", "湯田温泉", "wi-fi", "2020-01-1", "公民館下関"):
            phrase = '"' + word + '"'
            fts = connection.execute(
                text('SELECT count(*) FROM "t_fts" WHERE "t_fts" MATCH :p'), {"p": phrase}
            ).scalar_one()
            like = connection.execute(
                text("SELECT count(*) FROM t WHERE lower(_full_text) LIKE lower(:p)"),
                {"p": f"%{word}%"},
            ).scalar_one()
            assert fts == like, word
        check = connection.execute(
            text('INSERT INTO "t_fts"("t_fts") VALUES (\'integrity-check\')')
        )
        check.close()
    engine.dispose()


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    services = build_services(Settings(data_dir=tmp_path))
    upgrade(services.engine)
    yield services
    services.engine.dispose()


def _job(services: Services) -> str:
    with action_context(services, ignore_auth=True) as context:
        call_action("organization_create", context, {"name": "org", "title": "市"})
        call_action("package_create", context, {"name": "ds", "title": "表", "owner_org": "org"})
        resource = call_action(
            "resource_create", context, {"package_id": "ds", "name": "r", "url": "http://x.test/"}
        )
    with services.sessions() as session:
        job = IngestJob(resource_id=resource["id"], status="running")
        session.add(job)
        session.commit()
        return job.id


def _committed_progress(services: Services, job_id: str) -> int:
    with services.sessions() as session:
        return session.scalars(select(IngestJob.rows_done).where(IngestJob.id == job_id)).one()


@pytest.mark.parametrize(("every", "expected"), [(0.0, [0, 10, 20]), (3600.0, [0, 0, 0])])
def test_rows_load_in_batches_with_progress_by_elapsed_time(
    services: Services, monkeypatch: pytest.MonkeyPatch, every: float, expected: list[int]
) -> None:
    monkeypatch.setattr(pipeline, "PROGRESS_SECONDS", every)
    monkeypatch.setattr(pipeline, "BATCH_ROWS", 10)  # a transaction per batch below
    job_id = _job(services)
    with services.engine.begin() as connection:
        table = tables.create(connection, "ds_progress", [{"id": "値", "type": "int"}])
    database = services.engine.url.database
    assert database
    seen: list[int] = []

    def prepared() -> Iterator[bulk.Prepared]:
        for start in range(0, 25, 10):
            # Before each batch: what other connections see and may do.
            seen.append(_committed_progress(services, job_id))
            # The write lock is free while rows are read and converted: another writer gets in
            # at once instead of waiting for the whole load.
            other = sqlite3.connect(database, timeout=0.05)
            try:
                other.execute("UPDATE ingest_job SET error = '' WHERE id = ?", (job_id,))
                other.commit()
            finally:
                other.close()
            values = list(range(start, min(start + 10, 25)))
            yield bulk.prepare("sqlite", ["int"], Batch([values], len(values)))

    assert pipeline._insert_all(services, job_id, table, prepared()) == 25
    assert seen == expected
    assert _committed_progress(services, job_id) == 25
    with services.engine.connect() as connection:
        assert connection.execute(text('SELECT count(*) FROM "ds_progress"')).scalar_one() == 25


def _checkpointers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ingest-checkpoints"]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_small_converted_batches_join_into_transactions_of_batch_rows(dialect: str) -> None:
    sizes = [1000, 1000, 1000, 700, 1000, 1000, 300]
    start, converted = 0, []
    for size in sizes:
        values = list(range(start, start + size))
        converted.append(bulk.prepare(dialect, ["int"], Batch([values], size)))
        start += size

    joined = list(bulk.joined(converted, 2500))

    assert [batch.rows for batch in joined] == [3000, 2700, 300]
    rows = [row for batch in joined for row in (batch.sqlite or batch.other or [])]
    assert [row[0] for row in rows] == list(range(sum(sizes)))
    assert all((batch.sqlite is None) == (dialect != "sqlite") for batch in joined)
    assert list(bulk.joined([], 2500)) == []


def test_a_thread_beside_the_load_checkpoints_and_the_setting_comes_back(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a load runs its connection leaves checkpoints to a thread beside it (the database
    file grows though the loading connection never checkpoints); after it, and after a failed
    load, the connection checkpoints as before and the thread is gone."""
    monkeypatch.setattr(bulk, "CHECKPOINT_SECONDS", 0.01)
    database = Path(str(services.engine.url.database))
    with services.engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        usual = raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        with connection.begin():
            connection.exec_driver_sql("CREATE TABLE loaded (v TEXT)")
        running = set(_checkpointers())  # other loads' in this process, if any
        with bulk.checkpoints_beside(connection):
            assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
            (ours,) = set(_checkpointers()) - running
            size = database.stat().st_size
            for _ in range(20):
                with connection.begin():
                    raw.executemany("INSERT INTO loaded VALUES (?)", [("x" * 500,)] * 200)
            deadline = time.monotonic() + 10
            while database.stat().st_size <= size and time.monotonic() < deadline:
                time.sleep(0.01)
            assert database.stat().st_size > size  # pages reached the file: a checkpoint ran
        assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == usual
        assert not ours.is_alive()
        running = set(_checkpointers())
        with pytest.raises(RuntimeError), bulk.checkpoints_beside(connection):
            (ours,) = set(_checkpointers()) - running
            raise RuntimeError
        assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == usual
        assert not ours.is_alive()
