"""Step 2 of the datastore benchmark: what other tools and raw SQLite take for the same file."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from datastore_bench.config import WORK
from tsunagu.datastore import tables


def transcode(source: Path, target: Path) -> float:
    started = time.perf_counter()
    with (
        source.open(encoding="cp932", newline="") as fin,
        target.open("w", encoding="utf-8", newline="") as fout,
    ):
        while chunk := fin.read(1 << 20):
            fout.write(chunk)
    return time.perf_counter() - started


def duckdb_load(utf8: Path, database: str, threads: int | None, repeat: int) -> dict[str, Any]:
    import duckdb

    times, count, types = [], 0, []
    for _ in range(repeat):
        if database != ":memory:":
            Path(database).unlink(missing_ok=True)
            Path(database + ".wal").unlink(missing_ok=True)
        con = duckdb.connect(database)
        try:
            if threads:
                con.execute(f"SET threads = {threads}")
            started = time.perf_counter()
            con.execute(
                "CREATE TABLE t AS SELECT * FROM read_csv(?, header = true, all_varchar = false)",
                [str(utf8)],
            )
            if database != ":memory:":
                con.execute("CHECKPOINT")
            times.append(time.perf_counter() - started)
            count = con.execute("SELECT count(*) FROM t").fetchone()[0]  # type: ignore[index]
            types = [(r[0], r[1]) for r in con.execute("DESCRIBE t").fetchall()]
            effective_threads = con.execute("SELECT current_setting('threads')").fetchone()[0]  # type: ignore[index]
        finally:
            con.close()
    if database != ":memory:":
        Path(database).unlink(missing_ok=True)
    return {
        "seconds": float(np.median(times)),
        "all": times,
        "rows": count,
        "types": types,
        "threads": effective_threads,
    }


def sqlite_utils_load(utf8: Path, repeat: int) -> dict[str, Any]:
    """Datastore's loader as users would run it: `sqlite-utils insert db t file.csv --csv` on
    the UTF-8 twin (it reads no Shift_JIS), into a new database file each time; it keeps 和暦
    dates and "1,234" as text and builds no index."""
    command = Path(sys.executable).with_name("sqlite-utils")
    target = WORK / "datastore-sqlite-utils.db"
    runs = []
    for _ in range(repeat):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        started = time.perf_counter()
        subprocess.run(
            [str(command), "insert", str(target), "t", str(utf8), "--csv"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        runs.append(time.perf_counter() - started)
    rows = sqlite3.connect(target).execute("SELECT count(*) FROM t").fetchone()[0]
    target.unlink(missing_ok=True)
    version = subprocess.run(
        [str(command), "--version"], check=True, capture_output=True, text=True
    ).stdout.strip()
    return {"seconds": min(runs), "all": runs, "rows": rows, "version": version}


def parse_floor(path: Path) -> dict[str, Any]:
    """Python's own floor for reading this file: cp932 decoding plus csv.reader, nothing else
    (no layout detection, no conversion, no database)."""
    started = time.perf_counter()
    with path.open(encoding="cp932", newline="") as stream:
        rows = sum(1 for _ in csv.reader(stream)) - 1
    return {"seconds": time.perf_counter() - started, "rows": rows}


def sqlite_floor(source_db: Path, table: str, indexed: list[str]) -> dict[str, Any]:
    """Raw SQLite doing the ingest's database work on rows already normalised: the rows of the
    table Tsunagu loaded (read back in batches, not timed) go into an empty table of the same
    schema with ``executemany``, one transaction, then the same B-tree indexes and the same
    FTS5 index are built by the same ``tables.build_indexes``. What this costs is the floor of
    any ingest that keeps the table in SQLite with these indexes."""
    from sqlalchemy import event

    from tsunagu.storage.database import make_engine

    target = WORK / "datastore-floor.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{source_db}?mode=ro", uri=True)
    create = source.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()[0]
    columns = [r[1] for r in source.execute(f"PRAGMA table_info({tables.quote(table)})")]
    names = ", ".join(tables.quote(c) for c in columns)
    engine = make_engine(f"sqlite:///{target}")
    timings = {"insert": 0.0, "indexes": 0.0, "fts": 0.0}
    rows = 0
    try:
        with engine.connect() as connection:
            raw = connection.connection.driver_connection
            with connection.begin():
                connection.exec_driver_sql(create)
            insert = (
                f"INSERT INTO {tables.quote(table)} ({names}) "
                f"VALUES ({', '.join('?' for _ in columns)})"
            )
            cursor = source.execute(f"SELECT {names} FROM {tables.quote(table)} ORDER BY _id")
            with connection.begin():
                while batch := cursor.fetchmany(5000):
                    started = time.perf_counter()
                    raw.executemany(insert, batch)  # type: ignore[union-attr]
                    timings["insert"] += time.perf_counter() - started
                    rows += len(batch)
                started = time.perf_counter()
            timings["insert"] += time.perf_counter() - started  # the commit
            clock: dict[str, float] = defaultdict(float)

            @event.listens_for(engine, "before_cursor_execute")
            def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
                conn.info["floor_started"] = time.perf_counter()

            @event.listens_for(engine, "after_cursor_execute")
            def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
                spent = time.perf_counter() - conn.info.pop("floor_started")
                clock["indexes" if statement.lstrip().startswith("CREATE INDEX") else "fts"] += (
                    spent
                )

            started = time.perf_counter()
            with connection.begin():
                tables.build_indexes(connection, table, indexed)
            timings["indexes_and_fts"] = time.perf_counter() - started
            timings["indexes"], timings["fts"] = clock["indexes"], clock["fts"]
    finally:
        engine.dispose()
        source.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
    timings["seconds"] = timings["insert"] + timings["indexes_and_fts"]
    return {**timings, "rows": rows, "indexed": indexed}
