"""A large text file read and converted by a child process (ingest/parallel.py) gives the very
batches, notes, warnings and errors the in-process read gives, and the child ends with the
iterator."""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tsunagu.bootstrap import action_context, build_services
from tsunagu.catalog.models import Resource
from tsunagu.config import Settings
from tsunagu.context import Services
from tsunagu.datastore import bulk, pipeline, tables
from tsunagu.datastore.ingest import parallel, stored
from tsunagu.datastore.ingest.batches import (
    Batch,
    batch_converter,
    chunk_batches,
    column_finisher,
)
from tsunagu.datastore.ingest.chunks import row_chunks
from tsunagu.datastore.ingest.infer import column_converter, infer_types
from tsunagu.datastore.ingest.model import IngestError
from tsunagu.datastore.ingest.readers import read_table
from tsunagu.datastore.models import DatastoreTable, IngestJob
from tsunagu.registry import call_action
from tsunagu.storage.migrate import upgrade

HEADER = "番号,名称,開設日,定員,比率,備考"


def _write(path: Path, rows: int, bad_at: int | None = None) -> None:
    lines = ["施設一覧（令和6年4月1日現在）", HEADER]
    for n in range(rows):
        opened = "令和元年5月1日" if n % 3 else f"R{n % 5 + 2}.4.{n % 28 + 1}"
        capacity = "１，２００" if n % 4 == 0 else ("－" if n % 7 == 0 else str(n % 300))
        ratio = f"△{n % 9}.5" if n % 5 == 0 else f"{n % 90}.{n % 10}1"
        lines.append(f"{n},施設{n},{opened},{capacity},{ratio},{'' if n % 2 else '備考'}")
        if n == 40:
            lines.append(f"{n},短い行")
        if bad_at is not None and n == bad_at:
            lines[-1] = f"{n},施設,令和2年2月30日,1,1.5,"
    lines += ["", "※出典：県", "注1）定員は人"]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))


def _in_process(path: Path, job: parallel.ReadJob) -> tuple[list[Any], list[str], list[str]]:
    raw = read_table(path, "CSV")
    stored = [tables.sqlite_stored(k) if job.dialect == "sqlite" else None for k in job.kinds]
    convert = batch_converter(
        job.kinds,  # type: ignore[arg-type]
        [column_converter(k, s) for k, s in zip(job.kinds, stored, strict=True)],  # type: ignore[arg-type]
        raw.columns,
        stored,
        columnwise=True,
    )
    converted = list(chunk_batches(row_chunks(raw.rows), job.batch_rows, convert))
    return converted, raw.info.notes, raw.info.warnings


def _job(path: Path, dialect: str) -> tuple[parallel.ReadJob, Any]:
    raw = read_table(path, "CSV")
    sample = [cells for _, cells in itertools.islice(raw.rows, 1000)]
    kinds = list(infer_types(raw.columns, sample))
    raw.rows.close()  # type: ignore[attr-defined]
    job = parallel.ReadJob(str(path), "CSV", None, raw.columns, kinds, dialect, 700)
    return job, raw.info


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_child_gives_what_the_in_process_read_gives(tmp_path: Path, dialect: str) -> None:
    path = tmp_path / "t.csv"
    _write(path, 5000)
    job, info = _job(path, dialect)
    assert job.kinds == ["int", "text", "date", "int", "numeric", "text"]
    expected, notes, warnings = _in_process(path, job)
    got = list(parallel.converted_batches(job, info))
    assert got == expected
    # As the pipeline then prepares them.
    assert _prepared(dialect, job.kinds, got) == _prepared(dialect, job.kinds, expected)
    assert sum(b.rows for b in got) == 5001
    assert (info.notes, info.warnings) == (notes, warnings)
    assert "※出典：県" in info.notes and any("少ない行" in w for w in info.warnings)


def test_a_reader_started_ahead_reads_the_job_it_is_given_later(tmp_path: Path) -> None:
    reader = parallel.ReaderProcess()  # as the ingest starts, before the columns are known
    path = tmp_path / "t.csv"
    _write(path, 2000)
    job, info = _job(path, "sqlite")
    expected, notes, _warnings = _in_process(path, job)
    assert list(parallel.converted_batches(job, info, reader)) == expected
    assert info.notes == notes
    assert reader.child.poll() is not None


def test_a_reader_started_ahead_and_not_needed_ends_quietly() -> None:
    """A big file that turned out not to be text (or an ingest that failed before reading)."""
    reader = parallel.ReaderProcess()
    assert reader.child.stdin is not None
    reader.child.stdin.close()  # no job comes
    assert reader.child.wait(timeout=60) == 0
    reader.close()


def test_a_bad_cell_comes_back_as_the_same_error_after_the_batches_before_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.csv"
    _write(path, 3000, bad_at=2500)
    job, info = _job(path, "sqlite")
    with pytest.raises(IngestError) as expected:
        _in_process(path, job)
    got: list[Any] = []
    with pytest.raises(IngestError) as error:
        for batch in parallel.converted_batches(job, info):
            got.append(batch)
    assert (error.value.message, error.value.line, error.value.column) == (
        expected.value.message,
        expected.value.line,
        expected.value.column,
    )
    # The batches before the one holding the bad row (whole chunks of the reader) came back.
    assert error.value.column == "開設日" and 0 < sum(b.rows for b in got) < 2500


def test_the_child_ends_when_the_ingest_stops_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.csv"
    _write(path, 20_000)
    job, info = _job(path, "sqlite")
    started: list[subprocess.Popen[bytes]] = []
    real = subprocess.Popen

    def popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        started.append(real(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(subprocess, "Popen", popen)
    reading = parallel.converted_batches(job, info)
    next(reading)
    (child,) = started
    assert child.poll() is None  # still converting the batches after the first
    reading.close()  # what a cancelled ingest does
    assert child.poll() is not None


def test_only_large_text_files_are_read_by_a_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.csv"
    _write(path, 100)
    info = read_table(path, "CSV").info
    assert not parallel.worth_it(path, info)
    monkeypatch.setattr(parallel, "MIN_BYTES", path.stat().st_size)
    assert parallel.worth_it(path, info)
    info.format = "XLSX"
    assert not parallel.worth_it(path, info)


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    services = build_services(Settings(data_dir=tmp_path / "site"))
    upgrade(services.engine)
    with action_context(services, ignore_auth=True) as context:
        call_action("organization_create", context, {"name": "org", "title": "県"})
        call_action("package_create", context, {"name": "ds", "title": "表", "owner_org": "org"})
    yield services
    services.engine.dispose()


def _ingest(services: Services, path: Path, name: str) -> tuple[str, str]:
    """Run the pipeline's load on a local file for a new resource: (resource id, job id)."""
    with action_context(services, ignore_auth=True) as context:
        resource = call_action(
            "resource_create",
            context,
            {"package_id": "ds", "name": name, "url": "http://x.test/t.csv", "format": "CSV"},
        )
    with services.sessions() as session:
        job = IngestJob(resource_id=resource["id"], status="running")
        session.add(job)
        session.commit()
        job_id = job.id
    source = pipeline._Source(resource["id"], "", "CSV", "", "upload", "", {}, [])
    with services.sessions() as session:
        source.dataset_id = session.get(Resource, resource["id"]).dataset_id  # type: ignore[union-attr]
    pipeline._load(services, job_id, source, path)
    return resource["id"], job_id


def _stored(services: Services, resource_id: str) -> tuple[list[Any], Any]:
    with services.sessions() as session:
        meta = session.get(DatastoreTable, resource_id)
        assert meta is not None
        rows = session.execute(text(f'SELECT * FROM "{meta.table_name}" ORDER BY _id')).all()
        return [tuple(r) for r in rows], (meta.fields, meta.source)


def test_an_ingest_through_the_child_stores_what_an_ingest_in_process_stores(
    tmp_path: Path, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.csv"
    _write(path, 4000)
    in_process, _ = _ingest(services, path, "in-process")
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    started: list[subprocess.Popen[bytes]] = []
    real = subprocess.Popen

    def popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        started.append(real(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(subprocess, "Popen", popen)
    child, _ = _ingest(services, path, "child")
    assert len(started) == 1 and started[0].poll() is not None
    rows, meta = _stored(services, child)
    assert (rows, meta) == _stored(services, in_process)
    assert len(rows) == 4001 and "※出典：県" in meta[1]["notes"]


def test_a_bad_cell_fails_an_ingest_through_the_child_as_in_process(
    tmp_path: Path, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.csv"
    _write(path, 3000, bad_at=2500)
    with pytest.raises(IngestError) as expected:
        _ingest(services, path, "in-process")
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    with pytest.raises(IngestError) as error:
        _ingest(services, path, "child")
    assert (error.value.message, error.value.line, error.value.column) == (
        expected.value.message,
        expected.value.line,
        expected.value.column,
    )
    with services.engine.connect() as connection:  # both staging tables were dropped
        names = connection.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'ds_%'")
        ).all()
    assert names == []


def _finished(job: parallel.ReadJob, info: Any) -> list[Any]:
    """The child's batches with the columns it left as read converted here, as the pipeline
    does."""
    stored = [tables.sqlite_stored(k) if job.dialect == "sqlite" else None for k in job.kinds]
    finish = column_finisher(
        job.kinds,  # type: ignore[arg-type]
        [column_converter(k, s) for k, s in zip(job.kinds, stored, strict=True)],  # type: ignore[arg-type]
        job.columns,
        stored,
    )
    return [finish(batch) for batch in parallel.converted_batches(job, info)]


def _two_line_cell(path: Path) -> None:
    # A quoted name over two lines early on: the rows after it are numbered one line further.
    data = path.read_bytes().replace("施設100,".encode("cp932"), '"施設\r\n100",'.encode("cp932"))
    path.write_bytes(data)


@pytest.mark.parametrize("bad_at", [None, 1200, 2500])
@pytest.mark.parametrize("left_raw", [[2, 4], [0, 2, 3, 4]])
def test_columns_the_child_leaves_as_read_are_converted_here_as_in_process(
    tmp_path: Path, bad_at: int | None, left_raw: list[int]
) -> None:
    """On SQLite the parent converts some columns itself (pipeline.PARENT_CONVERTS): the same
    batches, and a bad cell in one of them the same error with its line and column."""
    path = tmp_path / "t.csv"
    _write(path, 3000, bad_at=bad_at)
    _two_line_cell(path)
    job, info = _job(path, "sqlite")
    job.left_raw = left_raw
    job.batch_rows = 1500  # the first batch has the row over two lines, and row 1200
    if bad_at is None:
        expected, notes, warnings = _in_process(path, job)
        got = _finished(job, info)
        assert [(b.columns, b.rows, b.texts) for b in got] == [
            (b.columns, b.rows, b.texts) for b in expected
        ]
        assert _prepared("sqlite", job.kinds, got) == _prepared("sqlite", job.kinds, expected)
        assert (info.notes, info.warnings) == (notes, warnings)
        return
    with pytest.raises(IngestError) as expected_error:
        _in_process(path, job)
    with pytest.raises(IngestError) as error:
        _finished(job, info)
    assert (error.value.message, error.value.line, error.value.column) == (
        expected_error.value.message,
        expected_error.value.line,
        expected_error.value.column,
    )
    assert error.value.column == "開設日"
    # Title and header lines, the short row after row 40, the name over two lines in row 100.
    assert error.value.line == bad_at + 5


def test_batches_are_packed_for_the_pipe_and_unpacked_as_they_were() -> None:
    """Columns of strings cross the pipe joined into one string each, and come back equal, of
    the same sequence type, with texts still the very values where they were."""
    import copy
    import pickle

    cells = ("下関市", "宇部市", "a b")
    batch = Batch(
        [
            cells,  # text kept as read: texts are the values
            ["1", "2", "3"],  # raw cells left for the parent
            [1, 2, 3],  # numbers, with their texts as read
            ("a\x00b", "c", "d"),  # a cell holding the separator: as it is
            ("x", None, "z"),  # a missing cell: as it is
            [34.5, 131.25, None],
        ],
        3,
        [cells, None, ("1", "2", "3"), None, None, ["34.5", "131.25", None]],
    )
    expected = copy.deepcopy(batch)
    packed, packs = parallel._packed(batch)
    assert sorted((i, is_texts) for i, is_texts, *_ in packs) == [(0, False), (1, False), (2, True)]
    got = parallel._unpacked(*pickle.loads(pickle.dumps((packed, packs))))
    assert got == expected
    assert got.texts[0] is got.columns[0]
    assert [type(c) for c in got.columns] == [type(c) for c in expected.columns]


def test_the_reader_process_reads_and_converts_without_sqlalchemy(tmp_path: Path) -> None:
    """The child's imports (which it pays before its first batch) leave SQLAlchemy out, and the
    stored form it folds in is the one datastore.tables gives."""
    path = tmp_path / "t.csv"
    _write(path, 50)
    job, _ = _job(path, "sqlite")
    script = (
        "import io, sys\n"
        "from tsunagu.datastore.ingest import parallel\n"
        f"job = parallel.ReadJob(**{parallel.asdict(job)!r})\n"
        "out = io.BytesIO()\n"
        "parallel._read(job, out)\n"
        "assert out.getvalue(), 'no batches written'\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'))\n"
    )
    done = subprocess.run(
        [parallel.sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**parallel.os.environ, "PYTHONPATH": parallel.os.pathsep.join(parallel.sys.path)},
        check=True,
    )
    assert done.stdout.strip() == "[]"
    assert tables.sqlite_stored("date") is stored.sqlite_stored("date")
    assert tables.sqlite_stored("text") is None


def _prepared(dialect: str, kinds: list[str], batches: list[Batch]) -> list[tuple[object, ...]]:
    """The rows the pipeline inserts for these batches (SQLite's made as they are bound)."""
    rows: list[tuple[object, ...]] = []
    for batch in batches:
        prepared = bulk.prepare(dialect, kinds, batch)
        rows.extend(prepared.sqlite if prepared.sqlite is not None else prepared.other or [])
    return rows


def test_a_column_joined_by_its_conversion_is_sent_as_that_string() -> None:
    """The strings a conversion already joined (Batch.joined) are sent as they are, and one with
    a cell holding the separator is not: it splits into another number of cells."""
    good = ("下関市", "宇部市", "萩市")
    bad = ("a\x00b", "c", "d")
    batch = Batch(
        [good, bad, [34.5, 131.25, 1.5]],
        3,
        [good, bad, ("34.5", "131.25", "1.5")],
        ["下関市\x00宇部市\x00萩市", "a\x00b\x00c\x00d", "34.5\x00131.25\x001.5"],
    )
    packed, packs = parallel._packed(batch)
    assert [(i, is_texts, joined) for i, is_texts, joined, *_ in packs] == [
        (0, False, "下関市\x00宇部市\x00萩市"),
        (2, True, "34.5\x00131.25\x001.5"),
    ]
    got = parallel._unpacked(packed, packs)
    assert got.columns[:2] == [good, bad] and got.texts[2] == ("34.5", "131.25", "1.5")
