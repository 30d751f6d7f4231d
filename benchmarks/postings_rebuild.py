"""Writes to a datastore table while its short-word postings are rebuilt (PostgreSQL), beside the
same writes with no rebuild running and during the rebuild as it was before a7978f3 (which held
the table against writes for the whole build), in one run (see benchmarks/README.md).

Steps:

1. a throwaway PostgreSQL server (tests/support) and a table shaped as an ingest leaves one
   (``_id``, two text columns, ``_full_text``) of ``--rows`` generated rows, about 50 characters
   of Japanese text each;
2. its postings built once (``datastore.postings.build``), timed;
3. three phases, each with a writer inserting one row every 50 ms over a connection of its own,
   each insert its own transaction (as each ``datastore_upsert`` commits): no rebuild; the
   rebuild of this version (in another connection, as the rebuild job runs it); the rebuild
   of ``a7978f3^`` (its ``postings.py`` loaded from git). For each: the rebuild's time and the
   writes' latency. (That a write during the rebuild leaves the postings unmarked is
   tests/datastore/test_postings_rebuild.py's.)

Writes benchmarks/results/postings_rebuild.json (benchmarks/.work/results with --quick).

Usage: ``python benchmarks/postings_rebuild.py [--rows 1000000] [--quick]``
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

from reporting.postings_rebuild import render
from runrecord import (
    RunRecord,
    add_results_argument,
    postgres_memory_settings,
    postgres_memory_text,
    postgres_version,
    stats,
    write_result,
)
from snapshot import WORK, snapshot_revision, snapshot_source

SRC_ENV = "TSUNAGU_BENCH_POSTINGS_SRC"
SRC = snapshot_source(SRC_ENV, "src-postings-rebuild")
sys.path.insert(0, str(SRC))

import psycopg  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from tsunagu.datastore import postings  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from support import postgres_server  # noqa: E402

TABLE = "bench_table"
BEFORE = "a7978f3^"  # the last commit whose rebuild held the table for the whole build
WRITE_EVERY = 0.05  # seconds between the writer's inserts
BASELINE_SECONDS = 5.0
# Generated text: a place, a facility and a numbered address, as in municipal facility lists.
_PLACES = "'萩市','下関市','宇部市','山口市','防府市','下松市','岩国市','光市','長門市','柳井市'"
_KINDS = "'公園','薬局','避難所','図書館','公民館','体育館','保育園','診療所','郵便局','交番'"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def make_table(engine: Engine, rows: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                f'CREATE TABLE "{TABLE}" (_id integer PRIMARY KEY, "名称" text, "種別" text,'
                " _full_text text)"
            )
        )
        connection.execute(
            text(
                f"INSERT INTO \"{TABLE}\" SELECT g, name, kind, name || ' ' || kind FROM ("
                f"SELECT g, (ARRAY[{_PLACES}])[1 + g % 10] || '立第' || (g % 97)::text"
                f" || (ARRAY[{_KINDS}])[1 + (g / 10) % 10] || ' ' || (ARRAY[{_PLACES}])"
                f"[1 + (g / 100) % 10] || '大字' || (g % 1000)::text || '番地の'"
                f" || (ARRAY[{_KINDS}])[1 + (g / 7) % 10] || '前' AS name,"
                f" (ARRAY[{_KINDS}])[1 + (g / 10) % 10] AS kind"
                " FROM generate_series(1, :rows) AS g) AS generated"
            ),
            {"rows": rows},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'VACUUM ANALYZE "{TABLE}"'))


def module_before() -> ModuleType:
    """datastore/postings.py as it was at BEFORE, loaded from git."""
    source = subprocess.run(
        ["git", "show", f"{BEFORE}:src/tsunagu/datastore/postings.py"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = WORK / "postings_before.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("postings_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Writer:
    """Inserts a row every WRITE_EVERY seconds until stopped; keeps each insert's latency."""

    def __init__(self, url: str, first_id: int) -> None:
        self.connection = psycopg.connect(url, autocommit=True)
        self.next_id = first_id
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="writer")

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            self.connection.execute(
                f'INSERT INTO "{TABLE}" VALUES (%s, %s, %s, %s)',
                (self.next_id, "萩市立第1公園", "公園", "萩市立第1公園 公園"),
            )
            self.latencies.append((time.perf_counter() - started) * 1000)
            self.next_id += 1
            self._stop.wait(max(0.0, WRITE_EVERY - (time.perf_counter() - started)))

    def __enter__(self) -> Writer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.connection.close()


def rebuild(engine: Engine, module: ModuleType) -> float:
    """One build with ``module``'s postings.build, as the rebuild job runs it (its own
    transaction, committed at the end); returns its seconds."""
    started = time.perf_counter()
    with engine.connect() as connection:
        module.build(connection, TABLE)
        connection.commit()
    return time.perf_counter() - started


def phase(engine: Engine, raw_url: str, first_id: int, module: ModuleType | None) -> dict[str, Any]:
    with Writer(raw_url, first_id) as writer:
        time.sleep(1.0)  # the writer's own pace before the rebuild starts
        if module is None:
            time.sleep(BASELINE_SECONDS)
            seconds = None
        else:
            seconds = rebuild(engine, module)
        time.sleep(1.0)
    return {
        "rebuild_seconds": seconds,
        "writes": stats(writer.latencies),
        "next_id": writer.next_id,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 rows")
    add_results_argument(parser)
    args = parser.parse_args()
    if args.quick:
        args.rows = 100_000
    record = RunRecord("postings_rebuild", args.quick, source=snapshot_revision())
    before = module_before()
    pg = postgres_server.maybe_start(postgres_memory_settings())
    if pg is None:
        raise SystemExit(f"PostgreSQL is not available: {postgres_server.UNAVAILABLE_REASON}")
    try:
        url = pg.create_database("bench_" + uuid.uuid4().hex[:10])
        record.add_versions(postgresql=f"{postgres_version()} ({postgres_memory_text()})")
        engine = create_engine(url)
        raw_url = url.replace("postgresql+psycopg://", "postgresql://")
        log(f"generating {args.rows:,} rows")
        make_table(engine, args.rows)
        log("building the postings once")
        first_build = rebuild(engine, postings)
        phases: dict[str, dict[str, Any]] = {}
        next_id = args.rows + 1
        for name, module in (("none", None), ("now", postings), ("before", before)):
            log(f"writes during: {name}")
            phases[name] = phase(engine, raw_url, next_id, module)
            next_id = phases[name].pop("next_id")
        engine.dispose()
    finally:
        pg.stop()
    summary = {"rows": args.rows, "first_build_seconds": first_build, "phases": phases}
    path = write_result("postings_rebuild", record.finish(), summary, args.results_dir)
    log(f"wrote {path}")
    print("\n".join(render(summary)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
