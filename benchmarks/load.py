"""Load benchmark: 50 concurrent clients for 60 s doing what a catalog's users do at once —
searches, dataset pages, datastore queries and SQL, dataset writes and file uploads — against
`uvicorn tsunagu.asgi:app` on the embedded default (SQLite, 2 worker processes) and on
PostgreSQL (4 worker processes). After each run every acknowledged write is read back.

Beside it, in the same run and on the same catalog:
- the framework floor: the same clients calling `status_show` (no database work);
- raw SQL: the same number of threads doing the database part of the mix directly (SQLAlchemy
  Core on the same engine: name lookups, a LIKE search, inserts and updates).

Usage: ``python benchmarks/load.py [--clients 50] [--seconds 60] [--quick] [--only sqlite]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from runrecord import RunRecord, add_results_argument, render_section, write_result
from snapshot import snapshot_revision, snapshot_source

SRC_ENV = "TSUNAGU_BENCH_SEARCH_SRC"  # the same name as search.SRC_ENV
LOAD_SRC = snapshot_source(SRC_ENV, "src-load")

from load_bench.clients import MIX, drive, floor, verify  # noqa: E402
from load_bench.raw import raw_sql  # noqa: E402
from load_bench.site import discover, prepare, wait_for_ingest  # noqa: E402

import search  # noqa: E402  (benchmarks/search.py: server, catalog, percentiles)

sys.path.insert(0, str(search.REPO / "tests"))
from support import postgres_server  # noqa: E402  (a throwaway PostgreSQL, as the tests use)

WORK = search.WORK
log, pct = search.log, search.pct


# -- one configuration --------------------------------------------------------------------------


def run_config(
    label: str, workers: int, database_url: str, clients: int, seconds: float
) -> dict[str, Any]:
    site = prepare(label, workers, database_url)
    os.environ["TSUNAGU_MAP_TILES"] = ""
    server = search.Server(site.catalog, workers=workers, src=LOAD_SRC).start()
    try:
        wait_for_ingest(site.catalog.url)
        discover(site, server.url)
        log(f"[{label}] floor: {clients} clients × status_show for {seconds / 4:.0f} s …")
        at_floor, _ = asyncio.run(floor(site, server.url, clients, seconds / 4))
        log(f"[{label}] mix: {clients} clients for {seconds:.0f} s …")
        mixed, ack = asyncio.run(drive(site, server.url, clients, seconds, MIX))
        rss = server.rss()
        wait_for_ingest(site.catalog.url)
        missing = verify(server.url, site.token, ack)
    finally:
        server.stop()
    log(f"[{label}] raw SQL baseline: {clients} threads for {seconds / 4:.0f} s …")
    raw = raw_sql(site, database_url, clients, seconds / 4)
    return {
        "label": label,
        "workers": workers,
        "clients": clients,
        "seconds": mixed.seconds,
        "requests": mixed.requests,
        "per_second": mixed.requests / mixed.seconds,
        "p50_ms": pct(mixed.all_latencies(), 50) * 1000,
        "p95_ms": pct(mixed.all_latencies(), 95) * 1000,
        "p99_ms": pct(mixed.all_latencies(), 99) * 1000,
        "errors": mixed.error_count,
        "error_samples": {k: v[:3] for k, v in mixed.errors.items() if v},
        "by_kind": {
            kind: {
                "n": len(values),
                "p50_ms": pct(values, 50) * 1000,
                "p95_ms": pct(values, 95) * 1000,
                "p99_ms": pct(values, 99) * 1000,
                "errors": len(mixed.errors.get(kind, [])),
            }
            for kind, values in sorted(mixed.latencies.items())
        },
        "acknowledged": {
            "created": len(ack.created),
            "patched": len(ack.patched),
            "uploaded": len(ack.uploaded),
        },
        "missing_after_run": missing,
        "client_cpu_seconds": mixed.client_cpu,
        "worker_rss_mib": rss,
        "floor": {
            "per_second": at_floor.requests / at_floor.seconds,
            "p50_ms": pct(at_floor.all_latencies(), 50) * 1000,
            "p95_ms": pct(at_floor.all_latencies(), 95) * 1000,
            "errors": at_floor.error_count,
        },
        "raw_sql": raw,
        "datasets": len(site.datasets),
        "datastore_tables": len(site.tables),
    }


# -- the results files ---------------------------------------------------------------------------


def measure(
    label: str, workers: int, database_url: str, args: argparse.Namespace
) -> tuple[dict[str, Any], str]:
    """One configuration, written to benchmarks/results/load-<label>.json; its Markdown."""
    record = RunRecord("load", args.quick, source=snapshot_revision())
    run = run_config(label, workers, database_url, args.clients, args.seconds)
    name = f"load-{label.lower()}"
    path = write_result(name, record.finish(), {"mix": MIX, "run": run}, args.results_dir)
    log(f"results written to {path}")
    return run, render_section(name, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--quick", action="store_true", help="10 clients for 10 s")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    parser.add_argument("--output", type=Path, default=None, help="write the Markdown here")
    add_results_argument(parser)
    args = parser.parse_args()
    if args.quick:
        args.clients, args.seconds = 10, 10
    WORK.mkdir(parents=True, exist_ok=True)
    measured = []
    if args.only in (None, "sqlite"):
        measured.append(measure("SQLite", 2, "", args))
    if args.only in (None, "postgresql"):
        with postgres_server.PostgresServer() as pg:
            url = pg.create_database("tsunagu_load")
            measured.append(measure("PostgreSQL", 4, url, args))
    runs = [run for run, _ in measured]
    markdown = "\n".join(text for _, text in measured)
    output = args.output or WORK / "load-results.md"
    output.write_text(markdown)
    print(markdown)
    failed = [r["label"] for r in runs if r["errors"] or sum(r["missing_after_run"].values())]
    if failed:
        log(f"errors or lost writes in: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
