"""Search and package_show benchmark over a synthetic Japanese catalog (see benchmarks/README.md).

Steps, all in one run so that every figure has a baseline measured on the same machine state:

1. generate N synthetic datasets (seeded) and bulk-insert them into a fresh SQLite catalog;
2. build the index and write the host's snapshot file (time by phase, file size, RSS);
3. time a fixed query mix three ways, each system running the whole mix in its own loop per
   pass: the index itself (``MemoryIndex.search``), the HTTP API of a real uvicorn server, and
   raw SQLite doing the same work (``search_baseline.py``: term and trigram FTS5 indexes of the
   same normalised text, the same synonyms, GROUP BY facets, ORDER BY … LIMIT/OFFSET);
4. measure package_show throughput against ``uvicorn --workers 2`` (wrk, or a Python load
   generator), beside a raw SQLite lookup loop;
5. one index per host: start ``uvicorn --workers W`` for W = 1, 2, 4 from the snapshot (ready
   time), warm each up with the query mix and package_show, and sum the workers' PSS
   (/proc/PID/smaps_rollup: a page shared by k processes counts 1/k in each, so the shared
   snapshot counts once); the same with an empty catalog gives the framework's own share, and
   the difference is the index's memory on the host.

Writes benchmarks/results/search.json (run record and summary; see runrecord.py).

Usage: ``python benchmarks/search.py [--datasets 100000] [--queries 300] [--quick] [--reuse]``
(``--datasets 1000000`` works the same way; generate once and pass ``--reuse`` afterwards.)
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from processes import child_pids
from runrecord import RunRecord, add_results_argument, render_section, stats, write_result
from search_bench.catalog import Catalog, create_catalog
from search_bench.config import (
    ADMIN,
    LARGE_CATALOG,
    MISMATCHES_SHOWN,
    REPO,
    SRC_ENV,
    WORK,
    result_name,
    targets_for,
)
from search_bench.helpers import log, pct, rss_mb
from search_bench.queries import KIND_WEIGHTS, Query, make_queries
from search_bench.serving import Server, Timings, run_mix
from search_bench.throughput import (
    ensure_wrk,
    measure_sharing,
    raw_lookup_qps,
    raw_sample_of,
    run_python_load,
    run_wrk,
)
from search_bench.vocabulary import GROUPS, ORGS
from snapshot import snapshot_revision

from tsunagu.bootstrap import build_services
from tsunagu.config import Settings

# What the other benchmarks (analytics, harvest, load, staff, portal, map, search_postgres)
# take from this module: the generator, the server and helpers.
__all__ = [
    "ADMIN",
    "KIND_WEIGHTS",
    "MISMATCHES_SHOWN",
    "REPO",
    "SRC_ENV",
    "WORK",
    "Catalog",
    "Query",
    "Server",
    "child_pids",
    "create_catalog",
    "ensure_wrk",
    "log",
    "make_queries",
    "pct",
]


def summarise(report: dict[str, Any]) -> dict[str, Any]:
    """What goes into benchmarks/results/search.json: figures, not samples."""
    by_kind: dict[str, Timings] = report["by_kind"]
    systems = ["engine", "http", "raw"] + (["http_before"] if report.get("before") else [])
    overall = {
        name: stats([x for t in by_kind.values() for x in getattr(t, name)]) for name in systems
    }
    kinds = [
        {"kind": kind, **{name: stats(getattr(by_kind[kind], name)) for name in systems}}
        for kind in KIND_WEIGHTS
        if kind in by_kind
    ]
    checks = dict(report["checks"])
    checks["median_count"] = float(np.median(checks.pop("counts") or [0]))
    return {
        "catalog": {
            "datasets": report["datasets"],
            "rows": report["rows"],
            "organisations": len(ORGS),
            "groups": len(GROUPS),
            "reused": not report["generate_seconds"],
            "generate_seconds": report["generate_seconds"],
            "insert_seconds": report["insert_seconds"],
        },
        "index": {
            "build_seconds": report["build_seconds"],
            "rss_before_mib": report["rss_before"],
            "rss_after_mib": report["rss_after"],
            # Phases of the build: documents and postings in memory, then the snapshot file.
            "phases": report.get("build_phases", {}),
        },
        "sharing": report.get("sharing", []),
        "server": {
            "workers": 2,
            "ready_seconds": report["server_ready"],
            "rss_mib": report["server_rss"],
            "rss_after_mib": report.get("server_rss_after", []),
            "pss_after_mib": report.get("server_pss_after", []),
        },
        "before": report.get("before"),
        "baseline": {"build_seconds": report["baseline_seconds"]},
        "queries": report["queries"],
        "raw_sampled": report["raw_sampled"],
        "passes": report["passes"],
        "overall": overall,
        "kinds": kinds,
        "checks": checks,
        "show": {**report["show"], "seconds": report["show_seconds"]},
        "status": report.get("status"),
        "raw_lookup": {"row_qps": report["raw_row_qps"], "json_qps": report["raw_json_qps"]},
        "targets": targets_for(report["datasets"]),
    }


# -- main -----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--passes", type=int, default=2, help="timed passes over the mix")
    parser.add_argument("--seconds", type=int, default=15, help="package_show load duration")
    parser.add_argument(
        "--raw-per-kind",
        type=int,
        default=None,
        help="time raw SQLite on this many queries of each kind only (default: all of them, "
        f"3 per kind from {LARGE_CATALOG:,} datasets, where one raw query takes seconds)",
    )
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--quick", action="store_true", help="5k datasets, short runs")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse a catalog generated earlier with the same size and seed",
    )
    parser.add_argument("--no-wrk", action="store_true", help="use the Python load generator")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install wrk")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--output", type=Path, default=None, help="write the Markdown here")
    add_results_argument(parser)
    parser.add_argument(
        "--before-src",
        type=Path,
        default=None,
        help="a directory holding a previous tsunagu package (e.g. `git archive HEAD "
        "src/tsunagu | tar -x -C DIR --strip-components=1`): a second server runs it and its "
        "HTTP times and results are compared in the same run",
    )
    args = parser.parse_args()
    if args.before_src:
        # Absolute: the server runs in .work, and a PYTHONPATH entry that does not exist there
        # would silently fall back to the installed (current) code.
        args.before_src = args.before_src.resolve()
        if not (args.before_src / "tsunagu" / "__init__.py").exists():
            parser.error(f"--before-src {args.before_src}: no tsunagu package there")
    if args.quick:
        args.datasets, args.queries, args.seconds = 5_000, min(args.queries, 100), 5
    name = result_name(args.datasets)
    record = RunRecord(name, args.quick, source=snapshot_revision())

    catalog = create_catalog(args.datasets, args.seed, args.reuse)
    log(f"catalog ready: {catalog.rows}")

    settings = Settings(data_dir=catalog.data_dir, database_url=catalog.url)
    services = build_services(settings)
    gc.collect()
    rss_before = rss_mb()
    log("building the index in-process")
    started = time.perf_counter()
    with services.sessions() as session:
        indexed = services.search.rebuild(session)
    build_seconds = time.perf_counter() - started
    gc.collect()
    rss_after = rss_mb()
    log(f"indexed {indexed:,} datasets in {build_seconds:.1f} s; RSS {rss_after:.0f} MiB")
    build_phases = dict(getattr(services.search, "build_timings", {}))
    log(f"build phases: {build_phases}")

    # Imported here: search_baseline imports tsunagu, which must come from the snapshot of src/
    # that importing search_bench put first on sys.path.
    from search_baseline import Baseline

    baseline = Baseline(catalog.data_dir / "baseline.db")
    baseline_seconds: float | None = None
    if args.reuse and baseline.holds(services.search.docs):
        log("reusing the SQLite baseline: it holds the index's documents")
    else:
        log("building the SQLite baseline")
        baseline_seconds = baseline.build(services.search.docs)
    baseline.open()

    queries = make_queries(args.queries, args.seed)
    if args.raw_per_kind is None:
        args.raw_per_kind = 3 if args.datasets >= LARGE_CATALOG else 0
    raw_sample = raw_sample_of(queries, args.raw_per_kind)
    server = Server(catalog, workers=2, site_url=settings.site_url)
    before = Server(catalog, workers=2, src=args.before_src) if args.before_src else None
    report: dict[str, Any] = {
        "datasets": args.datasets,
        "rows": catalog.rows,
        "generate_seconds": catalog.generate_seconds,
        "insert_seconds": catalog.insert_seconds,
        "build_seconds": build_seconds,
        "rss_before": rss_before,
        "rss_after": rss_after,
        "build_phases": build_phases,
        "baseline_seconds": baseline_seconds,
        "queries": len(queries),
        "raw_sampled": len(raw_sample) if raw_sample is not None else len(queries),
        "passes": args.passes,
        "show_seconds": args.seconds,
    }
    try:
        log("starting uvicorn --workers 2 (the workers open the snapshot just written)")
        server.start()
        report["server_ready"] = server.ready_seconds
        report["server_rss"] = server.rss()
        log(f"server ready in {server.ready_seconds:.1f} s at {server.url}")
        if before is not None:
            # Started after the first is ready, so neither's start-up time is shared.
            log(f"starting a second server on the previous code in {args.before_src}")
            before.start()
            report["before"] = {
                "src": str(args.before_src),
                "ready_seconds": before.ready_seconds,
                "rss_mib": before.rss(),
            }
            log(f"previous-code server ready in {before.ready_seconds:.1f} s at {before.url}")

        by_kind, checks = run_mix(
            queries, services, server, baseline, catalog.token, args.passes, before, raw_sample
        )
        report["by_kind"], report["checks"] = by_kind, checks

        names = catalog.public_names
        paths = [f"/api/3/action/package_show?id={name}" for name in names]
        wrk = None if args.no_wrk else ensure_wrk(not args.no_install)
        # Short warm-up so both workers have touched their code paths.
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for path in random.Random(3).choices(paths, k=200):
                client.get(path).raise_for_status()
        log(f"package_show load for {args.seconds} s")
        if wrk:
            report["show"] = run_wrk(wrk, server.url, paths, args.seconds, args.connections, 1)
            report["status"] = run_wrk(
                wrk,
                server.url,
                ["/api/3/action/status_show"],
                min(args.seconds, 5),
                args.connections,
                1,
            )
        else:
            report["show"] = run_python_load(
                server.port, paths, args.seconds, 2, max(1, args.connections // 8)
            )
        report["server_rss_after"] = server.rss()
        report["server_pss_after"] = server.pss()
    finally:
        server.stop()
        if before is not None:
            before.stop()
        baseline.close()
    report["sharing"] = measure_sharing(catalog, queries, settings.site_url)
    report["raw_row_qps"] = raw_lookup_qps(
        catalog.db_path, "SELECT * FROM dataset WHERE name = ?", catalog.public_names, 3
    )
    report["raw_json_qps"] = raw_lookup_qps(
        baseline.path, "SELECT raw FROM doc WHERE name = ?", catalog.public_names, 3
    )
    path = write_result(name, record.finish(), summarise(report), args.results_dir)
    markdown = render_section(name, path)
    output = args.output or WORK / f"search-results-{args.datasets}.md"
    output.write_text(markdown)
    print(markdown)
    log(f"results written to {path}, Markdown to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
