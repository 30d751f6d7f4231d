"""Datastore benchmark: ingest of a large Shift_JIS municipal CSV, then datastore_search on it.

Steps, all in one run so that every figure has a baseline measured on the same machine state:

1. generate a seeded cp932 CSV of N rows shaped like municipal data (和暦 dates, full-width digits
   with separators, △ negatives, empty and 「－」 cells, quoted remarks);
2. DuckDB baseline: transcode the file to UTF-8 with Python's codec (DuckDB cannot read cp932
   without a downloadable extension), then ``CREATE TABLE t AS SELECT * FROM read_csv(...)``;
3. Tsunagu ingest on the embedded default (SQLite in a fresh data dir): org, dataset and an
   uploaded CSV resource made through the actions, then ``claim_next`` + ``run_job`` in a child
   process (wall time, rows/s, peak RSS); a second, instrumented child run splits the time by
   phase, and a cProfile run on a prefix of the file lists the top functions;
4. ``datastore_search`` over HTTP (uvicorn subprocess, ingest workers off) with one equality
   filter and with a text query, interleaved call by call with the same call made in-process
   through the action and with the raw SQL on the same database file;
5. optionally the same ingest and searches on PostgreSQL (``tests/support/postgres_server.py``).

Usage: ``python benchmarks/datastore.py [--rows 1000000] [--quick]``

Each step lives in ``datastore_bench/`` (``source_file``, ``baselines``, ``ingest_child``,
``searching``, ``summary``); this file runs them in order and is what the ingest child runs too
(``--child``). ``datastore_bench.config`` puts the measured copy of src/ first on sys.path, so it
is imported before anything that imports tsunagu.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from datastore_bench.baselines import (
    duckdb_load,
    parse_floor,
    sqlite_floor,
    sqlite_utils_load,
    transcode,
)
from datastore_bench.config import REPO, WORK, before_source
from datastore_bench.helpers import duckdb_version, log, wait_for_other_benchmarks
from datastore_bench.ingest_child import child_main, prepare_catalog, run_child
from datastore_bench.searching import RawPostgres, RawSqlite, search_stage
from datastore_bench.source_file import SourceFile, prefix_file, source_file
from datastore_bench.summary import own_seconds, summarise
from runrecord import (
    RunRecord,
    add_results_argument,
    postgres_memory_settings,
    postgres_memory_text,
    render_section,
    write_result,
)
from snapshot import snapshot_revision


def ingest_backend(
    report: dict[str, Any],
    backend: str,
    database_url: str,
    source: SourceFile,
    args: argparse.Namespace,
) -> tuple[Path, dict[str, Any]]:
    """Plain (and, on SQLite, instrumented) ingest runs on `backend`; returns the plain run's
    data dir and what prepare_catalog made there."""
    data_dir = WORK / f"datastore-{backend}"
    made = prepare_catalog(data_dir, database_url, source.path)
    log(f"{backend}: uploaded through resource_create in {made['upload_seconds']:.1f} s")
    wait_for_other_benchmarks()
    log(f"{backend}: ingest (plain run)")
    plain = run_child(
        {"mode": "plain", "data_dir": str(data_dir), "database_url": database_url},
        args.timeout,
    )
    if plain["status"] != "complete":
        raise SystemExit(f"ingest failed: {plain['error']}")
    log(
        f"{backend}: {plain['rows']:,} rows in {plain['seconds']:.1f} s, peak RSS "
        f"{plain['vmhwm_mb']:.0f} MiB"
    )
    plain["upload_seconds"] = made["upload_seconds"]
    report[f"ingest_{backend}"] = plain
    if args.split and backend == "sqlite":
        split_dir = WORK / f"datastore-{backend}-split"
        prepare_catalog(split_dir, "", source.path)
        wait_for_other_benchmarks()
        log(f"{backend}: instrumented ingest (phase split)")
        report[f"split_{backend}"] = run_child(
            {"mode": "split", "data_dir": str(split_dir), "database_url": ""}, args.timeout
        )
        shutil.rmtree(split_dir, ignore_errors=True)
    return data_dir, made


def ingest_ab(source: SourceFile, args: argparse.Namespace, before_src: Path) -> dict[str, Any]:
    """Before/after ingests of the first --ab-rows rows, alternating (before, after, after,
    before, …) so that a neighbour's burst of work does not land on one side only."""
    rows = min(args.ab_rows, args.rows)
    head = prefix_file(source, rows)
    runs: dict[str, list[float]] = {"before": [], "after": []}
    queryable: dict[str, list[float]] = {"before": [], "after": []}
    peaks: dict[str, list[float]] = {"before": [], "after": []}
    scratch = WORK / "datastore-ab"
    try:
        for n in range(args.ab_repeat):
            order = ("before", "after") if n % 2 == 0 else ("after", "before")
            for side in order:
                prepare_catalog(scratch, "", head)
                wait_for_other_benchmarks()
                spec = {"mode": "plain", "data_dir": str(scratch), "database_url": ""}
                if side == "before":
                    spec["src"] = str(before_src)
                result = run_child(spec, args.timeout)
                if result["status"] != "complete" or result["rows"] != rows:
                    raise SystemExit(f"A/B ingest ({side}) failed: {result['error']}")
                runs[side].append(own_seconds(result))
                queryable[side].append(result["queryable_seconds"])
                peaks[side].append(result["vmhwm_mb"])
                log(
                    f"A/B {n + 1}/{args.ab_repeat} {side}: {result['seconds']:.1f} s "
                    f"(queryable {result['queryable_seconds']:.1f} s)"
                )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        head.unlink(missing_ok=True)
    return {"rows": rows, "runs": runs, "queryable": queryable, "peaks": peaks}


def floor_pair(ingest: dict[str, Any], floor: dict[str, Any]) -> dict[str, float]:
    """One ingest and the raw floor measured beside it: what the restated targets compare."""
    return {
        "queryable_seconds": ingest["queryable_seconds"],
        "full_text_seconds": ingest["full_text_seconds"],
        "floor_no_fts": floor["insert"] + floor["indexes"],
        "floor_seconds": floor["seconds"],
    }


def ingest_repeats(
    source: SourceFile, args: argparse.Namespace, floor_db: Path, ingest: dict[str, Any]
) -> list[dict[str, float]]:
    """More SQLite ingests of the whole file, each with a raw floor measured right beside it
    (the floor first every other time), so that the restated targets rest on the median of
    paired ratios rather than on one pair: on this machine one ingest varies by ±0.4 s from run
    to run. The floor reads its rows from the first ingest's table (``floor_db``)."""
    pairs = []
    scratch = WORK / "datastore-repeat"
    try:
        for n in range(1, args.ingest_repeat):
            prepare_catalog(scratch, "", source.path)
            wait_for_other_benchmarks()
            floor_first = n % 2 == 1
            if floor_first:
                floor = sqlite_floor(floor_db, ingest["table"], ingest["indexes"])
            run = run_child(
                {"mode": "plain", "data_dir": str(scratch), "database_url": ""}, args.timeout
            )
            if run["status"] != "complete":
                raise SystemExit(f"repeated ingest failed: {run['error']}")
            if not floor_first:
                floor = sqlite_floor(floor_db, ingest["table"], ingest["indexes"])
            pairs.append(floor_pair(run, floor))
            log(
                f"repeat {n + 1}/{args.ingest_repeat}: queryable {run['queryable_seconds']:.1f} s "
                f"(floor {pairs[-1]['floor_no_fts']:.1f} s), full text "
                f"{run['full_text_seconds']:.1f} s (floor {floor['seconds']:.1f} s)"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return pairs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--searches", type=int, default=300, help="calls per search kind")
    parser.add_argument(
        "--short-repeat", type=int, default=25, help="timed calls per 2-char word and way"
    )
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--quick", action="store_true", help="50k rows, 100 searches")
    parser.add_argument(
        "--profile-rows", type=int, default=200_000, help="rows in the cProfile run (0: none)"
    )
    parser.add_argument(
        "--before",
        default="HEAD",
        help="also measure the code with --before-paths as at this git ref, when they differ "
        "from it ('' to skip)",
    )
    parser.add_argument("--before-paths", nargs="+", default=["src/tsunagu/datastore"])
    parser.add_argument("--ab-rows", type=int, default=200_000, help="rows per A/B ingest")
    parser.add_argument("--ab-repeat", type=int, default=3, help="A/B ingests per side")
    parser.add_argument(
        "--ingest-repeat",
        type=int,
        default=3,
        help="SQLite ingests of the whole file, each paired with a raw floor (medians)",
    )
    parser.add_argument("--no-split", dest="split", action="store_false", help="skip phase split")
    parser.add_argument("--no-postgres", dest="postgres", action="store_false")
    parser.add_argument("--timeout", type=float, default=3600, help="per ingest, seconds")
    parser.add_argument("--output", type=Path, default=None, help="write the Markdown here")
    add_results_argument(parser)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(json.loads(args.child))
        return 0
    if args.quick:
        args.rows, args.searches = 50_000, min(args.searches, 100)
        args.profile_rows = min(args.profile_rows, 50_000)
        args.ab_rows = min(args.ab_rows, 50_000)
    wait_for_other_benchmarks()
    record = RunRecord("datastore", args.quick, {"duckdb": duckdb_version()}, snapshot_revision())
    report: dict[str, Any] = {"load": [os.getloadavg()]}
    before_src, changed = (
        before_source(args.before, args.before_paths) if args.before else (None, [])
    )
    if before_src is not None:
        report["before_ref"] = args.before
        report["changed"] = changed
        log(f"{', '.join(changed)} differ from {args.before}: measuring both")

    source = source_file(args.rows, args.seed)
    report["source"] = source
    log(f"{source.path.name}: {source.size / 1e6:.1f} MB")

    utf8 = WORK / f"datastore-{args.rows}-utf8.csv"
    log("DuckDB baseline: transcoding cp932 → UTF-8")
    transcode_seconds = min(transcode(source.path, utf8) for _ in range(2))
    duck: dict[str, Any] = {"transcode_seconds": transcode_seconds}
    log("DuckDB baseline: read_csv into tables")
    duck["memory"] = duckdb_load(utf8, ":memory:", None, 3)
    duck["one_thread"] = duckdb_load(utf8, ":memory:", 1, 3)
    duck["file"] = duckdb_load(utf8, str(WORK / "datastore-duck.db"), None, 3)
    log("sqlite-utils insert --csv on the UTF-8 twin")
    report["sqlite_utils"] = sqlite_utils_load(utf8, 1 if args.quick else 2)
    log(f"sqlite-utils {report['sqlite_utils']['seconds']:.1f} s")
    utf8.unlink(missing_ok=True)
    report["duckdb"] = duck
    log(
        f"DuckDB {duck['memory']['seconds']:.2f} s (+{transcode_seconds:.2f} s transcoding), "
        f"{duck['memory']['rows']:,} rows"
    )

    data_dir, made = ingest_backend(report, "sqlite", "", source, args)
    ingest = report["ingest_sqlite"]
    wait_for_other_benchmarks()
    log("floors: raw SQLite on the normalised rows; cp932 + csv.reader alone")
    report["floor"] = sqlite_floor(data_dir / "tsunagu.db", ingest["table"], ingest["indexes"])
    report["parse_floor"] = parse_floor(source.path)
    log(
        f"raw SQLite floor {report['floor']['seconds']:.1f} s; "
        f"parse floor {report['parse_floor']['seconds']:.1f} s"
    )
    repeats = ingest_repeats(source, args, data_dir / "tsunagu.db", ingest)
    report["floor_pairs"] = [floor_pair(ingest, report["floor"]), *repeats]
    columns = [f["id"] for f in ingest["fields"]]
    raw = RawSqlite(data_dir / "tsunagu.db", ingest["table"], columns)
    try:
        report["check"] = raw.stats()
        report["search_sqlite"] = search_stage(
            data_dir, "", made["resource_id"], raw, args, before_src
        )
    finally:
        raw.close()
    report["load"].append(os.getloadavg())

    if before_src is not None and args.ab_repeat:
        report["ab"] = ingest_ab(source, args, before_src)

    if args.profile_rows:
        rows = min(args.profile_rows, args.rows)
        head = prefix_file(source, rows)
        profile_dir = WORK / "datastore-profile"
        prepare_catalog(profile_dir, "", head)
        wait_for_other_benchmarks()
        log(f"cProfile ingest of {rows:,} rows")
        report["profile"] = run_child(
            {"mode": "profile", "data_dir": str(profile_dir), "database_url": ""}, args.timeout
        )
        report["profile"]["rows"] = rows
        shutil.rmtree(profile_dir, ignore_errors=True)
        head.unlink(missing_ok=True)

    if args.postgres:
        run_postgres(report, source, args, before_src)
    else:
        report["postgres_skipped"] = "--no-postgres"
    report["load"].append(os.getloadavg())

    if report.get("postgres_version"):
        record.add_versions(postgresql=f"{report['postgres_version']} ({postgres_memory_text()})")
    path = write_result("datastore", record.finish(), summarise(report), args.results_dir)
    markdown = render_section("datastore", path)
    output = args.output or WORK / f"datastore-results-{args.rows}.md"
    output.write_text(markdown)
    print(markdown)
    log(f"results written to {path}, Markdown to {output}")
    return 0


def run_postgres(
    report: dict[str, Any], source: SourceFile, args: argparse.Namespace, before_src: Path | None
) -> None:
    sys.path.insert(0, str(REPO / "tests"))
    from support import postgres_server

    log("PostgreSQL: starting a throwaway server")
    try:
        pg = postgres_server.maybe_start(postgres_memory_settings())
    except RuntimeError as error:
        report["postgres_skipped"] = f"the server did not start ({error})"
        return
    if pg is None:
        report["postgres_skipped"] = postgres_server.UNAVAILABLE_REASON or "not available"
        return
    report["postgres"] = pg
    try:
        url = pg.create_database("bench_datastore")
        data_dir, made = ingest_backend(report, "postgres", url, source, args)
        ingest = report["ingest_postgres"]
        raw = RawPostgres(url, ingest["table"], [f["id"] for f in ingest["fields"]])
        try:
            version = raw.conn.info.server_version
            report["postgres_version"] = f"{version // 10000}.{version % 10000}"
            report["search_postgres"] = search_stage(
                data_dir, url, made["resource_id"], raw, args, before_src
            )
        finally:
            raw.close()
    finally:
        pg.stop()


if __name__ == "__main__":
    raise SystemExit(main())
