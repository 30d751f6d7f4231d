"""One ingest: file → detected layout and types → staging table → atomic swap → full text.

Rows load into a staging table in batches (progress is visible while it runs), and its B-tree
indexes are built there; only when every row converted does one transaction drop the previous
table and rename the staging one into place. Any failure drops the staging table, so the
published table stays as it was. The table answers filters, sort, paging and q (by scanning) from
that moment; the full-text index is built afterwards, without holding up reads.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from tsunagu import events
from tsunagu.catalog.models import Resource
from tsunagu.catalog.revision import lock_dataset
from tsunagu.context import Services
from tsunagu.datastore import bulk, fulltext, postings, tables
from tsunagu.datastore.activation import mark_active
from tsunagu.datastore.fetch import fetch_to_file
from tsunagu.datastore.ingest import parallel
from tsunagu.datastore.ingest.batches import (
    Batch,
    batch_converter,
    chunk_batches,
    column_finisher,
)
from tsunagu.datastore.ingest.chunks import Chunk, peek, row_chunks
from tsunagu.datastore.ingest.infer import Converter, column_converter, infer_types
from tsunagu.datastore.ingest.model import COLUMN_TYPES, Cell, IngestError, RawTable
from tsunagu.datastore.ingest.readers import read_table
from tsunagu.datastore.models import DatastoreTable, IngestJob, log_entry
from tsunagu.datastore.naming import shorten, table_name
from tsunagu.events import IngestOutcome
from tsunagu.ops.metrics import observe_job
from tsunagu.storage.types import utcnow
from tsunagu.storage.upsert import take_turns

log = logging.getLogger(__name__)

SAMPLE_ROWS = 1000
# Rows inserted in one transaction.
BATCH_ROWS = 5000
# Rows converted at a time: the reader's chunk (ingest/delimited.CHUNK_ROWS), while its cells
# are still in the CPU cache. On the 1M-row benchmark file the reader process took 6.8 s of CPU
# converting 1000 rows at a time against 8.7 s converting 5000 (median of five runs each);
# batches of 5000 rows of strings no longer fit in the core's 2 MiB cache by the time they are
# converted. The parent's share was the same either way.
CONVERT_ROWS = 1000
PROGRESS_SECONDS = 1.0
# Columns worth an index when a table is wide: identifiers, names, categories, places, dates.
_INDEX_HINT = re.compile(
    r"(id|コード|番号|名称|名前|種別|分類|区分|市区町村|地区|町字|年|日)$", re.IGNORECASE
)
MAX_INDEXED_COLUMNS = 12
# A column repeats when its sample (of at least this many values) has at most this share of
# distinct values.
MIN_REPEAT_SAMPLE = 20
REPEAT_SHARE = 0.5
# Names staff know the encodings by (the codec name follows in brackets for developers).
ENCODING_NAMES = {
    "cp932": "Shift_JIS（cp932）",
    "utf-8-sig": "UTF-8（BOM 付き）",
    "utf-8": "UTF-8",
    "euc_jp": "EUC-JP（euc_jp）",
    "utf-16": "UTF-16",
}


@dataclass
class _Source:
    resource_id: str
    dataset_id: str
    format: str
    url: str
    url_type: str
    storage_key: str
    options: dict[str, Any]
    previous: list[dict[str, Any]]


def run_job(services: Services, job_id: str) -> None:
    started, status = time.perf_counter(), "error"
    try:
        _ingest(services, job_id)
        status = "complete"
    except IngestCancelled as cancelled:
        status = "cancelled"
        _finish(services, job_id, "cancelled", cancelled.message, None, None)
    except IngestError as error:
        _finish(services, job_id, "error", error.message, error.line, error.column)
    except Exception as error:  # a bug must not kill the worker; the job says what happened
        log.exception("ingest job %s failed", job_id)
        _finish(services, job_id, "error", f"予期しないエラーが発生しました: {error}", None, None)
    finally:
        observe_job("ingest", status, time.perf_counter() - started)


def _load_source(services: Services, job_id: str) -> _Source:
    with services.sessions() as session:
        job = session.get(IngestJob, job_id)
        assert job is not None
        resource = session.get(Resource, job.resource_id)
        if resource is None or resource.state == "deleted":
            raise IngestError("リソースが削除されています")
        meta = session.get(DatastoreTable, resource.id)
        return _Source(
            resource.id,
            resource.dataset_id,
            resource.format.upper(),
            resource.url,
            resource.url_type,
            resource.storage_key,
            dict(job.options),
            list(meta.fields) if meta else [],
        )


def _local_file(services: Services, source: _Source, workdir: Path) -> Path:
    if source.url_type == "upload":
        path = services.files.local_path(source.storage_key)
        if path is not None:
            return path
        target = workdir / "upload"
        with services.files.open(source.storage_key) as stream, target.open("wb") as out:
            shutil.copyfileobj(stream, out)
        return target
    settings = services.settings
    return fetch_to_file(
        source.url,
        workdir,
        max_bytes=settings.ingest_max_bytes,
        allow_private=settings.ingest_allow_private_urls,
    )


def _ingest(services: Services, job_id: str) -> None:
    source = _load_source(services, job_id)
    with tempfile.TemporaryDirectory(prefix="tsunagu-ingest-") as workdir:
        path = _local_file(services, source, Path(workdir))
        sheet = source.options.get("sheet")
        outcome = IngestOutcome(
            source.resource_id, path, source.format, sheet, storage_key=source.storage_key
        )
        try:
            _load(services, job_id, source, path)
        except IngestCancelled:
            raise
        except IngestError as error:
            events.ingest_finished(services, replace(outcome, error=error.message))
            raise
        events.ingest_finished(services, outcome)


def _load(services: Services, job_id: str, source: _Source, path: Path) -> None:
    # A big file's reader process starts now, and imports while this one finds the layout and
    # the columns' types (ingest/parallel.py).
    reader = parallel.ReaderProcess() if parallel.big_enough(path) else None
    try:
        _load_with(services, job_id, source, path, reader)
    finally:
        if reader is not None:
            reader.close()


def _load_with(
    services: Services,
    job_id: str,
    source: _Source,
    path: Path,
    reader: parallel.ReaderProcess | None,
) -> None:
    raw = read_table(path, source.format, sheet=source.options.get("sheet"))
    _log(services, job_id, "info", _describe(raw.info))
    sample, chunks = peek(row_chunks(raw.rows), SAMPLE_ROWS)
    sample_cells = [cells for _, cells in sample]
    fields = _fields(raw.columns, sample_cells, source)
    staging = table_name(source.resource_id, "_" + uuid.uuid4().hex[:8])
    with services.engine.begin() as connection:
        staging_table = tables.create(connection, staging, fields)
    try:
        prepared = _batches(services, fields, raw, chunks, path, source, reader)
        try:
            done = _insert_all(services, job_id, staging_table, prepared)
        finally:
            prepared.close()  # a child process reading the file ends with it
        indexed = index_columns(fields, sample_cells)
        # Listeners (the change summary of a new file version) read both tables while both
        # still exist.
        events.table_staged(
            services,
            events.StagedTable(source.resource_id, source.storage_key, staging, fields, done),
        )
        with services.engine.begin() as connection:
            tables.build_btree_indexes(connection, staging, indexed)
        final = _publish(services, job_id, source, staging, fields, indexed, done, raw.info)
    except BaseException:
        with services.engine.begin() as connection:
            tables.drop(connection, staging)
        raise
    if index_full_text(services, source.resource_id, final, job_id):
        index_postings(services, source.resource_id, final, job_id)


def _stored(dialect: str, fields: list[dict[str, Any]]) -> list[Callable[[object], object] | None]:
    # On SQLite the conversion to the stored form (dates as ISO text) is folded in, so that it
    # is remembered with the parsed value.
    return [tables.sqlite_stored(f["type"]) if dialect == "sqlite" else None for f in fields]


def _converters(dialect: str, fields: list[dict[str, Any]]) -> list[Converter]:
    return [
        column_converter(f["type"], store)
        for f, store in zip(fields, _stored(dialect, fields), strict=True)
    ]


def _batches(
    services: Services,
    fields: list[dict[str, Any]],
    raw: RawTable,
    chunks: Iterator[Chunk],
    path: Path,
    source: _Source,
    reader: parallel.ReaderProcess | None = None,
) -> Generator[bulk.Prepared, None, None]:
    """The rows converted and made ready to insert, CONVERT_ROWS at a time; text files column by
    column (ingest/batches.py), and large ones by a second process (ingest/parallel.py)."""
    dialect = services.engine.dialect.name
    kinds = [f["type"] for f in fields]
    if parallel.worth_it(path, raw.info):
        close = getattr(raw.rows, "close", None)
        if close is not None:
            close()  # the child reads the file from its start
        left_raw = _left_to_this_process(dialect, kinds)
        read = parallel.ReadJob(
            str(path),
            source.format,
            source.options.get("sheet"),
            raw.columns,
            kinds,
            dialect,
            CONVERT_ROWS,
            left_raw,
        )
        finish = batch_converter_finisher(dialect, fields, raw.columns)
        # Closed with this generator: a cancelled or failed ingest ends the child at once.
        with closing(parallel.converted_batches(read, raw.info, reader)) as converted:
            for batch in converted:
                yield bulk.prepare(dialect, kinds, finish(batch))
        return
    convert = batch_converter(
        kinds,
        _converters(dialect, fields),
        raw.columns,
        _stored(dialect, fields),
        columnwise=raw.info.format in ("CSV", "TSV"),
    )
    for batch in chunk_batches(chunks, CONVERT_ROWS, convert):
        yield bulk.prepare(dialect, kinds, batch)


# Column types the parent converts when a child reads the file, on SQLite, so that the two
# processes are about equally busy on two cores. On the 1M-row benchmark file, with dates and
# decimals here the parent was the busier; with the decimals moved to the child the load took
# 0.3 s less (and the child still waits about 0.5 s for the parent), while moving the dates too
# made the child the busier and the load 0.9 s longer. On PostgreSQL the parent's COPY is
# busier, so the child converts everything there.
PARENT_CONVERTS = ("date", "timestamp", "time")


def _left_to_this_process(dialect: str, kinds: list[str]) -> list[int]:
    if dialect != "sqlite":
        return []
    return [i for i, kind in enumerate(kinds) if kind in PARENT_CONVERTS]


def batch_converter_finisher(
    dialect: str, fields: list[dict[str, Any]], names: list[str]
) -> Callable[[Batch], Batch]:
    return column_finisher(
        [f["type"] for f in fields], _converters(dialect, fields), names, _stored(dialect, fields)
    )


def _insert_all(
    services: Services, job_id: str, table: Any, prepared: Iterator[bulk.Prepared]
) -> int:
    """Load every batch into the staging table, BATCH_ROWS rows to a transaction.

    Each batch is read and converted before its transaction begins, so on SQLite the write lock
    is free while Python works and web requests can write in between. The job's progress is
    updated in the batch's own transaction, about once a second (PROGRESS_SECONDS) rather than
    per batch through a separate session as before.
    """
    done = 0
    with (
        services.engine.connect() as connection,
        bulk.fewer_collections(),
        bulk.checkpoints_beside(connection),
    ):
        reported = time.monotonic()
        for batch in bulk.joined(prepared, BATCH_ROWS):
            with connection.begin():
                bulk.insert(connection, table, batch)
                done += batch.rows
                if time.monotonic() - reported >= PROGRESS_SECONDS:
                    _progress(connection, job_id, done)
                    reported = time.monotonic()
                cancelled = _cancel_requested(connection, job_id)
            if cancelled:
                raise IngestCancelled("取り込みは取り消されました (Cancelled by job_cancel)")
        with connection.begin():
            _progress(connection, job_id, done)
    return done


class IngestCancelled(IngestError):
    """job_cancel asked a running ingest to stop: the staging table goes, the published table
    stays as it was."""


def _cancel_requested(connection: Any, job_id: str) -> bool:
    options = connection.execute(select(IngestJob.options).where(IngestJob.id == job_id)).scalar()
    return bool((options or {}).get("cancel_requested"))


def _progress(connection: Any, job_id: str, done: int) -> None:
    connection.execute(
        update(IngestJob).where(IngestJob.id == job_id).values(rows_done=done, heartbeat=utcnow())
    )


def _fields(
    columns: list[str], sample: list[list[object]], source: _Source
) -> list[dict[str, Any]]:
    inferred = infer_types(columns, sample)
    previous = {str(f["id"]): f for f in source.previous}
    requested = source.options.get("types") or {}
    taken: set[str] = set()
    fields = []
    for name, kind in zip(columns, inferred, strict=True):
        # Names starting with "_" are the datastore's own (_id, _full_text).
        stored = shorten(name.lstrip("_") or "列" if name.startswith("_") else name, taken)
        taken.add(stored)
        info = dict((previous.get(stored) or {}).get("info") or {})
        override = requested.get(name) or info.get("type_override")
        if override in COLUMN_TYPES:
            kind = override
            info["type_override"] = override
        if stored != name:
            info["original_name"] = name
        fields.append({"id": stored, "type": kind, "info": info})
    return fields


def index_columns(fields: list[dict[str, Any]], sample: Sequence[Sequence[Cell]] = ()) -> list[str]:
    """Columns worth a B-tree index: those named like identifiers, categories, places or dates,
    and those whose values repeat in the sample (categories users filter on), except decimal
    measurements. Every index costs about a second per million rows to build, and a column of
    all-different names, addresses or coordinates is searched with q rather than filtered."""
    chosen = []
    for position, field in enumerate(fields):
        name = str(field["id"])
        if _INDEX_HINT.search(name) or (
            field["type"] != "numeric"
            and _repeats([row[position] for row in sample if position < len(row)])
        ):
            chosen.append(name)
    return chosen[:MAX_INDEXED_COLUMNS]


def _repeats(values: list[Cell]) -> bool:
    present = [v for v in values if v is not None]
    return len(present) >= MIN_REPEAT_SAMPLE and len(set(present)) <= len(present) * REPEAT_SHARE


def _publish(
    services: Services,
    job_id: str,
    source: _Source,
    staging: str,
    fields: list[dict[str, Any]],
    indexed: list[str],
    rows: int,
    info: Any,
) -> str:
    final = table_name(source.resource_id)
    with services.sessions() as session:
        # The dataset's lock first (the order actions take it in), and on SQLite the write lock
        # before any DDL: sqlite3 opens no transaction for DROP or ALTER, so without it the old
        # table would be dropped at once, outside the swap's transaction.
        lock_dataset(session, source.dataset_id)
        connection = session.connection()
        meta = session.get(DatastoreTable, source.resource_id)
        resource = session.get(Resource, source.resource_id)
        if resource is None or resource.state == "deleted":
            # Deleted while this job ran: publish nothing (the caller drops the staging table).
            raise IngestError("取り込み中にリソースが削除されました")
        if meta is not None:
            tables.drop(connection, meta.table_name)
        tables.rename(connection, staging, final)
        if meta is None:
            meta = DatastoreTable(resource_id=source.resource_id, table_name=final)
            session.add(meta)
        meta.table_name = final
        meta.fields = fields
        meta.indexes = indexed
        meta.row_count = rows
        meta.source = asdict(info)
        meta.modified = utcnow()
        mark_active(session, source.resource_id, True, notes=list(info.notes))
        job = session.get(IngestJob, job_id)
        assert job is not None
        job.status = "complete"
        job.rows_done = rows
        job.finished = utcnow()
        job.error = ""
        job.log = [
            *job.log,
            *(log_entry("warning", w) for w in info.warnings),
            log_entry("info", f"{rows} 行を取り込みました"),
        ]
        session.commit()
    return final


def index_full_text(
    services: Services, resource_id: str, table: str, job_id: str | None = None
) -> bool:
    """Build the full-text index of a published table that has none yet; reads go on meanwhile.
    Returns whether it was built.

    Another ingest of the same resource may publish over the table at any moment, and a
    restarted process rebuilds what a killed one left unbuilt, so builders take turns on the
    table's name and each checks again, under that lock, that the index is still missing. A
    failure leaves the table answering q by scanning, and says so in the job's log.
    """
    started = time.perf_counter()
    try:
        with services.sessions() as session:
            take_turns(session, f"datastore-full-text:{table}")
            connection = session.connection()
            meta = session.get(DatastoreTable, resource_id)
            if meta is None or meta.table_name != table:
                return False
            if fulltext.coverage(connection, table) is not fulltext.Coverage.NONE:
                return False
            fulltext.build(connection, table)
            session.commit()
        fulltext.settle(services.engine, table)
    except Exception as error:  # the data is published; only q's speed is at stake
        log.exception("full-text index of %s failed", table)
        _log(
            services,
            job_id,
            "warning",
            "全文検索の索引を作れませんでした。q は索引なしで答えます "
            f"(Full-text index failed; q scans the table): {error}",
        )
        return False
    seconds = time.perf_counter() - started
    _log(services, job_id, "info", f"全文検索の索引ができました（{seconds:.1f} 秒）")
    return True


def index_postings(
    services: Services, resource_id: str, table: str, job_id: str | None = None
) -> None:
    """The postings that count one- and two-character words without reading the table
    (datastore/postings.py, postings_sqlite.py), built after the full-text index while reads
    and writes go on; a failure leaves q on the full-text index, exact, and says so in the
    job's log."""
    started = time.perf_counter()
    try:
        with services.sessions() as session:
            postings.take_building_turn(session, table)
            meta = session.get(DatastoreTable, resource_id)
            if meta is None or meta.table_name != table:
                return
            if meta.row_count > postings.MAX_ROWS:
                _log(
                    services,
                    job_id,
                    "info",
                    f"{postings.MAX_ROWS:,} 行を超える表なので、短い語は全文検索の索引で"
                    f"答えます (Over {postings.MAX_ROWS:,} rows: short words use the "
                    "full-text index)",
                )
                return
            postings.build(session.connection(), table)
            session.commit()
    except Exception as error:  # the data is published; only q's speed is at stake
        log.exception("short-word postings of %s failed", table)
        _log(
            services,
            job_id,
            "warning",
            "短い語の索引を作れませんでした。q は全文検索の索引で答えます "
            f"(Short-word postings failed; q uses the full-text index): {error}",
        )
        return
    seconds = time.perf_counter() - started
    _log(services, job_id, "info", f"短い語の索引ができました（{seconds:.1f} 秒）")


def index_missing_full_text(services: Services) -> None:
    """Build the full-text indexes a process killed after publishing left unbuilt."""
    with services.sessions() as session:
        connection = session.connection()
        pending = [
            (resource_id, table)
            for resource_id, table in session.execute(
                select(DatastoreTable.resource_id, DatastoreTable.table_name)
            )
            if fulltext.coverage(connection, table) is fulltext.Coverage.NONE
        ]
    for resource_id, table in pending:
        log.info("building the missing full-text index of %s", table)
        if index_full_text(services, resource_id, table):
            index_postings(services, resource_id, table)


def _describe(info: Any) -> str:
    parts = [f"形式 {info.format}"]
    if info.encoding:
        parts.append(f"文字コード {ENCODING_NAMES.get(info.encoding, info.encoding)}")
    if info.sheet:
        parts.append(f"シート「{info.sheet}」")
    parts.append(f"列名は {info.header_line} 行目")
    return "、".join(parts)


def _log(services: Services, job_id: str | None, level: str, message: str) -> None:
    """Add to the job's log; nothing when the work runs without a job (a start-up rebuild)."""
    if job_id is None:
        return
    with services.sessions() as session:
        job = session.get(IngestJob, job_id)
        if job is not None:
            job.log = [*job.log, log_entry(level, message)]
            session.commit()


def _finish(
    services: Services, job_id: str, status: str, message: str, line: int | None, column: str | None
) -> None:
    with services.sessions() as session:
        job = session.get(IngestJob, job_id)
        if job is None:
            return
        job.status = status
        job.error = message
        job.error_line = line
        job.error_column = column
        job.finished = utcnow()
        job.log = [*job.log, log_entry("error", message)]
        _forget_failed_overrides(session, job)
        session.commit()


def _forget_failed_overrides(session: Any, job: IngestJob) -> None:
    """A type override that made the ingest fail is not kept, or every later upload would fail
    the same way; the published table still has its previous types."""
    failed = job.options.get("types") or {}
    meta = session.get(DatastoreTable, job.resource_id)
    if not failed or meta is None:
        return
    fields = []
    for field in meta.fields:
        info = dict(field.get("info") or {})
        if field["id"] in failed and info.get("type_override") == failed[field["id"]]:
            info.pop("type_override")
        fields.append({**field, "info": info})
    meta.fields = fields
