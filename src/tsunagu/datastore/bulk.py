"""Loading converted batches (ingest/batches.py) into an ingest's staging table.

On SQLite the parameters, each row followed by its ``_full_text``, are built column by column
before the batch's transaction begins, so the write lock is held only for the insert itself.
PostgreSQL takes the rows through ``tables.insert_rows`` (COPY).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from tsunagu.datastore import tables
from tsunagu.datastore.ingest.batches import Batch

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    """A batch ready for one insert: SQLite parameters (made as they are bound, so read once),
    or rows for tables.insert_rows."""

    rows: int
    sqlite: Iterable[tuple[object, ...]] | None = None
    other: list[tuple[object, ...]] | None = None


def joined(prepared: Iterable[Prepared], rows: int) -> Iterator[Prepared]:
    """The batches joined into batches of at least ``rows`` rows (the last may have fewer):
    rows are converted in smaller pieces than they are inserted (pipeline.CONVERT_ROWS)."""
    group: list[Prepared] = []
    count = 0
    for batch in prepared:
        group.append(batch)
        count += batch.rows
        if count >= rows:
            yield _join(group)
            group, count = [], 0
    if group:
        yield _join(group)


def _join(group: list[Prepared]) -> Prepared:
    if len(group) == 1:
        return group[0]
    count = sum(batch.rows for batch in group)
    if group[0].sqlite is not None:
        return Prepared(count, sqlite=chain.from_iterable(b.sqlite or () for b in group))
    return Prepared(count, other=list(chain.from_iterable(b.other or () for b in group)))


def prepare(dialect: str, kinds: list[str], batch: Batch) -> Prepared:
    if dialect != "sqlite":
        return Prepared(batch.rows, other=batch.row_tuples())
    return Prepared(batch.rows, sqlite=sqlite_parameters(kinds, batch))


# Kinds whose stored values on SQLite are str (or None): text, and dates and times as ISO text.
_STORED_AS_TEXT = ("text", "date", "timestamp", "time")


def sqlite_parameters(kinds: list[str], batch: Batch) -> Iterator[tuple[object, ...]]:
    """As tables.sqlite_parameters on the same rows, for values already in their stored form
    (dates as ISO text): each row's values followed by its _full_text.

    The values and full texts are made here, before the insert's transaction; the row tuples
    only as executemany binds them. zip then reuses one tuple for every row (each is freed once
    bound), where a list of a batch's tuples was built and freed again: on the 1M-row benchmark
    file that took about half a second of the loading process."""
    if not batch.rows:
        return iter(())
    texts: list[Any] = []
    written = batch.texts or [None] * len(kinds)
    for kind, values, printed in zip(kinds, batch.columns, written, strict=True):
        if kind in _STORED_AS_TEXT:
            texts.append(values)  # str() of a str is itself
        elif printed is not None:
            texts.append(printed)  # str() of each value, known from the cells it was read from
        else:
            # str() of every value, as full_text() does; None stays None to be left out.
            texts.append([v if v is None else str(v) for v in values])
    separator = tables.FULL_TEXT_SEPARATOR
    end = tables.full_text(())  # what full_text() puts after the values (a row of none)
    # filter(None, …) leaves out None and "", as full_text() does.
    full_texts = [separator.join(filter(None, row)) + end for row in zip(*texts, strict=True)]
    return zip(*batch.columns, full_texts, strict=True)


def insert(connection: Connection, table: Table, prepared: Prepared) -> None:
    if prepared.sqlite is None:
        tables.insert_rows(connection, table, prepared.other or [])  # type: ignore[arg-type]
        return
    names = [c.name for c in table.columns if c.name != "_id"]  # the fields, then _full_text
    columns = ", ".join(tables.quote(n) for n in names)
    placeholders = ", ".join("?" for _ in names)
    raw = connection.connection.driver_connection
    raw.executemany(  # type: ignore[union-attr]
        f"INSERT INTO {tables.quote(table.name)} ({columns}) VALUES ({placeholders})",
        prepared.sqlite,
    )


# While a load runs, the cyclic garbage collector starts a pass only after this many more
# container objects were made than freed, instead of Python's 700.
LOAD_GC_THRESHOLD = 100_000
_gc_lock = threading.Lock()
_gc_loads = 0
_gc_saved: tuple[int, int, int] | None = None


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect cyclic garbage less often while rows load.

    A batch holds tens of thousands of row lists and tuples at once, all of them containers the
    collector tracks, so with Python's threshold it runs every few hundred rows and again and
    again walks the batch and the tables of converted values; that was a quarter of the CPU
    time of an ingest. Nothing the load makes is cyclic: reference counting frees it all. The
    threshold is process-wide, so other threads' garbage waits a little longer too; the usual
    one comes back when the last load running in the process ends.
    """
    global _gc_loads, _gc_saved
    with _gc_lock:
        if _gc_loads == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(max(_gc_saved[0], LOAD_GC_THRESHOLD), *_gc_saved[1:])
        _gc_loads += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_loads -= 1
            if _gc_loads == 0 and _gc_saved is not None:
                gc.set_threshold(*_gc_saved)


# How often the thread beside a load copies the write-ahead log into the database file.
CHECKPOINT_SECONDS = 0.5


@contextlib.contextmanager
def checkpoints_beside(connection: Connection) -> Iterator[None]:
    """On SQLite, checkpoint the write-ahead log from a thread beside a load, not in its commits.

    A load commits a transaction per batch (so web requests can write in between), and with
    SQLite's automatic checkpoints every few commits also copied the log into the database file:
    on a million-row file, 0.6 s of the loading thread's time, which the rest of the ingest
    waits for. Here the connection's automatic checkpoints are off while the load runs, and a
    thread copies the log every CHECKPOINT_SECONDS on a connection of its own (a passive
    checkpoint: it never waits for the writer or blocks it), on the other core, as SQLite's
    documentation suggests for such writers. The log stays small, and the connection's own
    setting comes back at the end.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    database = raw.execute("PRAGMA database_list").fetchone()[2]  # type: ignore[union-attr]
    if not database:  # an in-memory database has no log
        yield
        return
    (previous,) = raw.execute("PRAGMA wal_autocheckpoint").fetchone()  # type: ignore[union-attr]
    raw.execute("PRAGMA wal_autocheckpoint=0")  # type: ignore[union-attr]
    stop = threading.Event()
    thread = threading.Thread(
        target=_checkpoint_until, args=(database, stop), name="ingest-checkpoints", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        raw.execute(f"PRAGMA wal_autocheckpoint={int(previous)}")  # type: ignore[union-attr]


def _checkpoint_until(database: str, stop: threading.Event) -> None:
    try:
        checkpointer = sqlite3.connect(database, check_same_thread=False)
    except sqlite3.Error:
        log.exception("no connection to checkpoint %s beside a load", database)
        return
    try:
        while not stop.wait(CHECKPOINT_SECONDS):
            checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error:
        # The load goes on; the next commit after it checkpoints as usual.
        log.exception("checkpointing %s beside a load failed", database)
    finally:
        checkpointer.close()
