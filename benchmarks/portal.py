"""Portal page benchmark: time to first byte and full download of the home, search and dataset
pages, beside the JSON API actions each page calls, in the same run (see benchmarks/README.md).

1. Demo catalog: a fresh data directory, ``load_demo`` (the code behind ``tsunagu demo load``),
   uvicorn started on it and left to finish every ingest job; then the home page, three searches
   (a word, a word with an organisation facet filter, page 3) and three dataset pages whose
   resources have datastore previews, each timed ``--requests`` times over one keep-alive
   connection, interleaved request by request with the API calls the view makes.
2. With Debian's ``/usr/bin/chromium``: the browser's ``load`` event for each page type
   (Playwright; warm cache in one browser context, and cold in a new context per load).
3. 100k synthetic datasets made by ``benchmarks/search.py``'s generator: the same timings for
   the home page, searches with facets and dataset pages (no datastore tables there).

Usage: ``python benchmarks/portal.py [--requests 200] [--datasets 100000] [--quick] [--reuse]``

The steps live in ``portal_bench/`` (``http_timing``, ``browser``, ``catalogs``, ``profiling``,
``summary``); this file runs them. ``portal_bench.config`` names this run's copy of src/ before
it imports benchmarks/search.py, so it is imported before anything else of the run.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from portal_bench.browser import browser_loads
from portal_bench.catalogs import (
    big_cases,
    catalog_counts,
    demo_cases,
    demo_catalog,
    server_env,
    wait_for_ingest,
)
from portal_bench.config import WORK, log, search, wait_for_other_benchmarks
from portal_bench.http_timing import Connection, measure
from portal_bench.profiling import profile_pages
from portal_bench.summary import finish
from runrecord import RunRecord, add_results_argument
from snapshot import snapshot_revision


def run_server(catalog: search.Catalog) -> search.Server:
    server = search.Server(catalog, workers=1)
    server.start(timeout=1800)
    log(f"server ready in {server.ready_seconds:.1f} s at {server.url}")
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=10, help="unrecorded rounds per page")
    parser.add_argument("--loads", type=int, default=20, help="browser loads per page type")
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--quick", action="store_true", help="5k datasets, 50 requests")
    parser.add_argument("--reuse", action="store_true", help="reuse the generated catalog")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="PATH",
        help="only profile these page paths in-process (on the big catalog, or the demo one "
        "with --skip-big), then exit",
    )
    parser.add_argument("--profile-repeat", type=int, default=50)
    parser.add_argument("--no-wait", action="store_true", help="do not wait for other benchmarks")
    parser.add_argument("--output", type=Path, default=None, help="write the Markdown here")
    add_results_argument(parser)
    args = parser.parse_args()
    if args.quick:
        args.datasets, args.requests, args.loads = 5_000, 50, 5
    if not args.no_wait:
        wait_for_other_benchmarks()

    if args.profile:
        if args.skip_big:
            catalog, _ = demo_catalog()
            server_env(TSUNAGU_INGEST_WORKERS="1")
            server = run_server(catalog)
            try:
                wait_for_ingest(catalog.db_path)
            finally:
                server.stop()
        else:
            data_dir = WORK / f"portal-catalog-{args.datasets}-s{args.seed}"
            catalog = search.create_catalog(args.datasets, args.seed, True, data_dir)
        text = profile_pages(catalog.data_dir, catalog.db_path, args.profile, args.profile_repeat)
        output = args.output or WORK / "portal-profile.txt"
        output.write_text(text)
        print(text)
        log(f"profile written to {output}")
        return 0

    markdown: list[str] = []
    if not args.skip_demo:
        record = RunRecord("portal", args.quick, source=snapshot_revision())
        log("demo catalog: load_demo into a fresh data directory")
        catalog, info = demo_catalog()
        log(f"demo loaded in {info['load_seconds']:.1f} s; starting the server (ingest on)")
        server_env(TSUNAGU_INGEST_WORKERS="1")
        server = run_server(catalog)
        try:
            statuses = wait_for_ingest(catalog.db_path)
            seconds = statuses.pop("seconds")
            log(f"ingest finished in {seconds} s: {statuses}")
            conn = Connection(server.port)
            cases, pages = demo_cases(conn)
            measure(conn, cases, args.requests, args.warmup, not args.no_wait)
            conn.close()
            browser = (
                "skipped (--no-browser)"
                if args.no_browser
                else browser_loads(server.url, pages, args.loads, not args.no_wait)
            )
            demo = {
                **info,
                "counts": catalog_counts(catalog.db_path),
                "ingest": {"seconds": seconds, "statuses": statuses},
                "server_ready": server.ready_seconds,
                "rss": server.rss()[0],
                "cases": cases,
                "browser": browser,
            }
        finally:
            server.stop()
        _note_chromium(record, browser)
        markdown.append(finish("portal-demo", record, demo, args))
    if not args.skip_big:
        if not args.no_wait:
            wait_for_other_benchmarks()
        record = RunRecord("portal", args.quick, source=snapshot_revision())
        data_dir = WORK / f"portal-catalog-{args.datasets}-s{args.seed}"
        catalog = search.create_catalog(args.datasets, args.seed, args.reuse, data_dir)
        reused = not catalog.generate_seconds
        log(f"catalog ready: {catalog.rows}; starting the server (ingest off)")
        server_env(TSUNAGU_INGEST_WORKERS="0")
        server = run_server(catalog)
        try:
            if not args.no_wait:
                wait_for_other_benchmarks()  # one may have started while the index was built
            conn = Connection(server.port)
            cases, pages = big_cases(conn, catalog, args.requests, args.seed)
            measure(conn, cases, args.requests, args.warmup, not args.no_wait)
            conn.close()
            browser = (
                "skipped (--no-browser)"
                if args.no_browser
                else browser_loads(server.url, pages, args.loads, not args.no_wait)
            )
            big = {
                "datasets": args.datasets,
                "counts": catalog_counts(catalog.db_path),
                "reused": reused,
                "generate_seconds": catalog.generate_seconds,
                "insert_seconds": catalog.insert_seconds,
                "server_ready": server.ready_seconds,
                "rss": server.rss()[0],
                "cases": cases,
                "browser": browser,
            }
        finally:
            server.stop()
        _note_chromium(record, browser)
        markdown.append(finish("portal-synthetic", record, big, args))
    output = args.output or WORK / "portal-results.md"
    output.write_text("\n".join(markdown))
    print("\n".join(markdown))
    log(f"Markdown written to {output}")
    return 0


def _note_chromium(record: RunRecord, browser: Any) -> None:
    if isinstance(browser, dict):
        record.add_versions(chromium=browser["version"])


if __name__ == "__main__":
    raise SystemExit(main())
