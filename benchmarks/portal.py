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
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import http.client
import io
import json
import os
import pstats
import random
import re
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import numpy as np
from runrecord import RunRecord, add_results_argument, render_section, stats, write_result
from snapshot import snapshot_revision, snapshot_source

SRC_ENV = "TSUNAGU_BENCH_SEARCH_SRC"  # the same name as search.SRC_ENV


# This run's own copy (search.py's .work/src may be in use by a search.py run); importing
# search below finds it named in SRC_ENV and does not copy again.
PORTAL_SRC = snapshot_source(SRC_ENV, "src-portal")

import search  # noqa: E402  (benchmarks/search.py: generator, server, machine info)
from tsunagu.bootstrap import build_services  # noqa: E402
from tsunagu.config import Settings  # noqa: E402
from tsunagu.demo.loader import load_demo  # noqa: E402
from tsunagu.storage.migrate import upgrade  # noqa: E402

WORK = search.WORK
log, pct = search.log, search.pct

TARGET_LIST_P95_MS = 50.0  # home and search pages, time to first byte
TARGET_DATASET_P95_MS = 100.0  # dataset page with a datastore preview, time to first byte
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Nothing but the loopback server resolves, so a page cannot reach the network.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
# What the views in tsunagu.web.views.public ask package_search for.
HOME_SEARCH = {
    "rows": "6",
    "sort": "metadata_modified desc",
    "facet.field": json.dumps(["groups", "organization", "res_format"]),
    "facet.limit": "-1",
}
FACETS = ["organization", "groups", "tags", "res_format", "license_id"]
PAGE_SIZE = 20
HEADERS = {"Accept": "text/html,application/json", "Accept-Language": "ja"}


OTHERS = re.compile(rb"benchmarks/(search|datastore)\.py")


def other_benchmarks() -> list[str]:
    """Process ids of search.py or datastore.py runs (this script's own children aside)."""
    busy = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if OTHERS.search(cmdline.read_bytes()):
                busy.append(cmdline.parent.name)
    return busy


def wait_for_other_benchmarks(limit_seconds: float = 7200) -> None:
    """The machine is small: do not measure while search.py or datastore.py is running."""
    deadline = time.monotonic() + limit_seconds
    announced = False
    while time.monotonic() < deadline:
        busy = other_benchmarks()
        if not busy:
            return
        if not announced:
            log(f"another benchmark is running (pids {', '.join(busy)}); waiting")
            announced = True
        time.sleep(10)
    raise SystemExit("another benchmark is still running; giving up")


# -- HTTP timing ----------------------------------------------------------------------------------


class Connection:
    """One keep-alive connection; ``get`` returns (ms to the response headers, ms to the last
    byte, status, body). The server sends headers and body together once the page is rendered,
    so the first figure is the time to first byte."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str) -> tuple[float, float, int, bytes]:
        for attempt in range(2):
            try:
                started = time.perf_counter()
                self.conn.request("GET", path, headers=HEADERS)
                response = self.conn.getresponse()
                first = time.perf_counter()
                body = response.read()
                done = time.perf_counter()
                return (first - started) * 1000, (done - started) * 1000, response.status, body
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def api(self, path: str) -> Any:
        _, _, status, body = self.get(path)
        data = json.loads(body)
        if status != 200 or not data.get("success"):
            raise RuntimeError(f"{path}: {status} {body[:300]!r}")
        return data["result"]

    def close(self) -> None:
        self.conn.close()


def action(name: str, params: dict[str, str] | None = None) -> str:
    return f"/api/3/action/{name}" + ("?" + urlencode(params) if params else "")


@dataclass
class Target:
    page: str  # the page's path, percent-encoded
    primary: str  # the API call that fetches the page's main data
    extras: list[str] = field(default_factory=list)  # the other actions the view calls


@dataclass
class Case:
    key: str
    label: str
    shown: str  # the page's path as a person reads it
    primary_label: str
    targets: list[Target]
    expect: str = ""  # a piece of HTML every response must contain
    expect_count: int = 0  # occurrences of expect
    page_ttfb: list[float] = field(default_factory=list)
    page_full: list[float] = field(default_factory=list)
    api_full: list[float] = field(default_factory=list)
    all_full: list[float] = field(default_factory=list)
    page_bytes: list[int] = field(default_factory=list)
    errors: int = 0
    others: set[str] = field(default_factory=set)  # other benchmarks seen while measuring

    def reset(self) -> None:
        for name in ("page_ttfb", "page_full", "api_full", "all_full", "page_bytes", "others"):
            getattr(self, name).clear()
        self.errors = 0

    @property
    def extras_label(self) -> str:
        names = []
        for path in self.targets[0].extras:
            name = path.split("/action/")[1].split("?")[0]
            if name not in names:
                names.append(name)
        return " + ".join([self.primary_label, *names]) if names else ""


def clean_rows(rows: list[Any], run: Any, wait: bool, attempts: int = 3) -> None:
    """Run each row; when another benchmark showed up meanwhile, wait for it to end and run the
    row again (up to ``attempts`` times; a row still overlapping one stays flagged)."""
    for row in rows:
        for attempt in range(attempts):
            if wait:
                wait_for_other_benchmarks()
            run(row)
            if not row.others or not wait or attempt == attempts - 1:
                break
            log(f"  {row.label}: another benchmark ran meanwhile; measuring it again")
            row.reset()


def measure(
    conn: Connection, cases: list[Case], requests: int, warmup: int, wait: bool = True
) -> None:
    """Page and API calls interleaved request by request (their order alternating), so both
    see the same machine state."""
    clean_rows(cases, lambda case: measure_case(conn, case, requests, warmup), wait)


def measure_case(conn: Connection, case: Case, requests: int, warmup: int) -> None:
    started = time.perf_counter()
    for i in range(warmup + requests):
        target = case.targets[i % len(case.targets)]
        if i % 25 == 0:
            case.others.update(other_benchmarks())
        page_first = i % 2 == 0
        if page_first:
            page = conn.get(target.page)
        primary = conn.get(target.primary)
        extras = [conn.get(path) for path in target.extras]
        if not page_first:
            page = conn.get(target.page)
        ttfb, full, status, body = page
        ok = status == 200 and primary[2] == 200 and all(e[2] == 200 for e in extras)
        if case.expect:
            ok = ok and body.decode().count(case.expect) >= max(1, case.expect_count)
        if not ok:
            case.errors += 1
        if i < warmup:
            continue
        case.page_ttfb.append(ttfb)
        case.page_full.append(full)
        case.page_bytes.append(len(body))
        case.api_full.append(primary[1])
        case.all_full.append(primary[1] + sum(e[1] for e in extras))
    case.others.update(other_benchmarks())
    log(
        f"  {case.label}: page TTFB p50 {pct(case.page_ttfb, 50):.1f} ms, "
        f"p95 {pct(case.page_ttfb, 95):.1f} ms; {case.primary_label} p50 "
        f"{pct(case.api_full, 50):.1f} ms ({time.perf_counter() - started:.0f} s)"
    )


def floor_case() -> Case:
    path = action("status_show")
    return Case("floor", "status_show (HTTP floor)", path, "status_show", [Target(path, path)])


def search_case(key: str, label: str, params: dict[str, Any], count: int) -> Case:
    """A /dataset page and the package_search call search() in web/views/public.py makes."""
    page = int(params.get("page", 1))
    fq = " AND ".join(f'{f}:"{v}"' for f in FACETS if (v := params.get(f)))
    api = {
        "q": params.get("q", ""),
        "fq": fq,
        "rows": str(PAGE_SIZE),
        "start": str((page - 1) * PAGE_SIZE),
        "sort": "",
        "facet.field": json.dumps(FACETS),
        "facet.limit": "20",
        "include_private": "true",
    }
    shown = "/dataset?" + "&".join(f"{k}={v}" for k, v in params.items())
    return Case(
        key,
        label,
        shown,
        "package_search",
        [Target("/dataset?" + urlencode(params), action("package_search", api))],
        expect=f"{count} 件のデータセット",
    )


def home_case() -> Case:
    return Case(
        "home",
        "home",
        "/",
        "package_search",
        [
            Target(
                "/",
                action("package_search", HOME_SEARCH),
                [
                    action("group_list", {"all_fields": "true", "sort": "package_count desc"}),
                    action("organization_list", {"all_fields": "true"}),
                ],
            )
        ],
    )


def dataset_target(package: dict[str, Any]) -> Target:
    """The dataset page and what dataset() calls: package_show, datastore_info and the first
    page of datastore_search for each resource with a table, package_activity_list."""
    extras = []
    for resource in package["resources"]:
        if resource.get("datastore_active"):
            extras.append(action("datastore_info", {"id": resource["id"]}))
            extras.append(
                action("datastore_search", {"resource_id": resource["id"], "limit": "20"})
            )
    extras.append(action("package_activity_list", {"id": package["id"], "limit": "10"}))
    return Target(
        "/dataset/" + quote(package["name"]),
        action("package_show", {"id": package["name"]}),
        extras,
    )


# -- the browser ----------------------------------------------------------------------------------

NAVIGATION = """() => { const t = performance.timing; return [t.responseStart - t.navigationStart,
  t.domContentLoadedEventEnd - t.navigationStart, t.loadEventEnd - t.navigationStart]; }"""


@dataclass
class BrowserRow:
    label: str
    shown: str
    paths: list[str]
    warm: list[list[float]] = field(default_factory=list)  # [ttfb, dcl, load] per load
    cold: list[list[float]] = field(default_factory=list)
    others: set[str] = field(default_factory=set)

    def reset(self) -> None:
        self.warm.clear()
        self.cold.clear()
        self.others.clear()


def browser_loads(
    base_url: str, pages: list[tuple[str, str, list[str]]], loads: int, wait: bool = True
) -> Any:
    """``load`` event times: warm (one context, two unrecorded loads first) and cold (a new
    context, so an empty cache, for every load)."""
    if not CHROMIUM.exists():
        return f"skipped: {CHROMIUM} is not installed"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "skipped: playwright is not installed"
    outside: list[str] = []

    def one(context: Any, path: str) -> list[float]:
        page = context.new_page()
        page.goto(base_url + path, wait_until="load", timeout=60_000)
        page.wait_for_function("performance.timing.loadEventEnd > 0", timeout=60_000)
        timing = [float(x) for x in page.evaluate(NAVIGATION)]
        page.close()
        return timing

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:

            def run(row: BrowserRow) -> None:
                paths = row.paths
                context = browser.new_context(
                    locale="ja-JP", viewport={"width": 1280, "height": 900}
                )
                context.on(
                    "request",
                    lambda r: (
                        outside.append(r.url)
                        if not r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                        else None
                    ),
                )
                for i in range(loads + 2):
                    if i % 5 == 0:
                        row.others.update(other_benchmarks())
                    timing = one(context, paths[i % len(paths)])
                    if i >= 2:
                        row.warm.append(timing)
                context.close()
                for i in range(loads):
                    if i % 5 == 0:
                        row.others.update(other_benchmarks())
                    context = browser.new_context(
                        locale="ja-JP", viewport={"width": 1280, "height": 900}
                    )
                    row.cold.append(one(context, paths[i % len(paths)]))
                    context.close()
                row.others.update(other_benchmarks())
                log(
                    f"  browser {row.label}: load p50 warm "
                    f"{pct([t[2] for t in row.warm], 50):.0f} ms, cold "
                    f"{pct([t[2] for t in row.cold], 50):.0f} ms"
                )

            rows = [BrowserRow(label, shown, paths) for label, shown, paths in pages]
            clean_rows(rows, run, wait)
            version = browser.version
        finally:
            browser.close()
    return {"rows": rows, "version": version, "outside": sorted(set(outside))}


# -- the two catalogs -----------------------------------------------------------------------------


def server_env(**values: str) -> None:
    os.environ["TSUNAGU_MAP_TILES"] = ""  # a blank map base: no tile requests
    os.environ.update(values)


def demo_catalog() -> tuple[search.Catalog, dict[str, Any]]:
    data_dir = WORK / "portal-demo"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    db_path = data_dir / "tsunagu.db"
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{db_path}")
    services = build_services(settings)
    upgrade(services.engine)
    started = time.perf_counter()
    summary = load_demo(services)
    info = {"load_seconds": time.perf_counter() - started, "summary": summary}
    services.engine.dispose()
    return search.Catalog(db_path, data_dir, 0, "", []), info


def wait_for_ingest(db_path: Path, timeout: float = 1200) -> dict[str, int]:
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.closing(sqlite3.connect(db_path, timeout=30)) as conn:
            statuses = dict(conn.execute("SELECT status, count(*) FROM ingest_job GROUP BY status"))
        if not statuses.get("pending") and not statuses.get("running"):
            statuses["seconds"] = round(time.perf_counter() - started)
            return statuses
        time.sleep(1)
    raise RuntimeError(f"ingest not finished after {timeout:.0f} s: {statuses}")


def catalog_counts(db_path: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        one = lambda sql: int(conn.execute(sql).fetchone()[0])  # noqa: E731
        return {
            "datasets": one("SELECT count(*) FROM dataset WHERE state = 'active'"),
            "private": one("SELECT count(*) FROM dataset WHERE state = 'active' AND private"),
            "resources": one("SELECT count(*) FROM resource WHERE state = 'active'"),
            "organizations": one("SELECT count(*) FROM organization WHERE state = 'active'"),
            "groups": one("SELECT count(*) FROM \"group\" WHERE state = 'active'"),
            "tables": one("SELECT count(*) FROM datastore_table"),
        }


def demo_cases(conn: Connection) -> tuple[list[Case], list[tuple[str, str, list[str]]]]:
    cases = [floor_case(), home_case()]
    for key, label, params in (
        ("search_q", "search: q", {"q": "避難所"}),
        ("search_facet", "search: q + facet", {"q": "人口"}),
        ("search_page3", "search: page 3", {"page": "3"}),
    ):
        if key == "search_facet":
            facets = conn.api(
                action(
                    "package_search", {"q": "人口", "rows": "0", "facet.field": '["organization"]'}
                )
            )["facets"]["organization"]
            params = {**params, "organization": max(facets, key=lambda k: (facets[k], k))}
        api = {"q": params.get("q", ""), "rows": "0"}
        if "organization" in params:
            api["fq"] = f'organization:"{params["organization"]}"'
        count = conn.api(action("package_search", api))["count"]
        cases.append(search_case(key, label, params, count))
    # The heaviest preview pages: most tables first, then most resources, then by name.
    found = conn.api(action("package_search", {"fq": "res_format:CSV", "rows": "1000"}))
    candidates = []
    for hit in found["results"]:
        package = conn.api(action("package_show", {"id": hit["name"]}))
        tables = sum(bool(r.get("datastore_active")) for r in package["resources"])
        if tables:
            candidates.append((-tables, -len(package["resources"]), package["name"], package))
    chosen = [(c[3], -c[0]) for c in sorted(candidates, key=lambda c: c[:3])[:3]]
    if len(chosen) < 3:
        raise RuntimeError(f"only {len(chosen)} CSV datasets with a datastore table")
    for n, (package, tables) in enumerate(chosen, start=1):
        cases.append(
            Case(
                f"dataset{n}",
                f"dataset {n} ({tables} preview{'s' if tables > 1 else ''})",
                f"/dataset/{package['name']}",
                "package_show",
                [dataset_target(package)],
                expect='class="ds-preview"',
                expect_count=tables,
            )
        )
    browser_pages = [(c.label, c.shown, [t.page for t in c.targets]) for c in cases[1:5]]
    browser_pages.append(
        ("dataset (3 pages in turn)", "/dataset/…", [c.targets[0].page for c in cases[5:]])
    )
    return cases, browser_pages


def big_cases(
    conn: Connection, catalog: search.Catalog, requests: int, seed: int
) -> tuple[list[Case], list[tuple[str, str, list[str]]]]:
    cases = [floor_case(), home_case()]
    facets = conn.api(
        action("package_search", {"q": "人口", "rows": "0", "facet.field": '["organization"]'})
    )["facets"]["organization"]
    top_org = max(facets, key=lambda k: (facets[k], k))
    for key, label, params in (
        ("search_q", "search: q", {"q": "避難所"}),
        ("search_facet", "search: q + facet", {"q": "人口", "organization": top_org}),
        ("search_page3", "search: page 3", {"page": "3"}),
    ):
        api = {"q": params.get("q", ""), "rows": "0"}
        if "organization" in params:
            api["fq"] = f'organization:"{params["organization"]}"'
        count = conn.api(action("package_search", api))["count"]
        cases.append(search_case(key, label, params, count))
    names = random.Random(seed).sample(
        catalog.public_names, min(requests, len(catalog.public_names))
    )
    targets = [dataset_target(conn.api(action("package_show", {"id": name}))) for name in names]
    cases.append(
        Case(
            "dataset",
            f"dataset ({len(names)} different, no preview)",
            "/dataset/<random public name>",
            "package_show",
            targets,
            expect="<h1>",
        )
    )
    browser_pages = [(c.label, c.shown, [t.page for t in c.targets]) for c in cases[1:]]
    return cases, browser_pages


# -- profiling ------------------------------------------------------------------------------------


def profile_pages(data_dir: Path, db_path: Path, paths: list[str], repeat: int) -> str:
    """cProfile around a page's view, called in this thread (the route matched as Starlette
    would, the search index built as at server start, no ingest workers): where the time goes
    between the actions, the template and the rest. Middleware and uvicorn are left out."""
    from urllib.parse import urlsplit

    from starlette.requests import Request
    from starlette.routing import Match

    from tsunagu.app import create_app

    settings = Settings.from_env(
        data_dir=data_dir, database_url=f"sqlite:///{db_path}", ingest_workers=0, map_tiles=""
    )
    services = build_services(settings)
    app = create_app(settings, services)
    with services.sessions() as session:
        services.search.rebuild(session)

    def call(path: str) -> int:
        parts = urlsplit(path)
        scope: dict[str, Any] = {
            "type": "http",
            "method": "GET",
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(),
            "headers": [(b"host", b"127.0.0.1")],
            "app": app,
            "session": {},
            "state": {},
        }
        for route in app.routes:
            match, child = route.matches(scope)
            if match == Match.FULL:
                scope.update(child)
                return int(route.endpoint(Request(scope)).status_code)  # type: ignore[attr-defined]
        raise RuntimeError(f"no route for {path}")

    out = []
    for path in paths:
        for _ in range(5):
            if call(path) != 200:
                raise RuntimeError(f"{path} did not answer 200")
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(repeat):
            call(path)
        profiler.disable()
        each = (time.perf_counter() - started) / repeat * 1000
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(r"tsunagu|jinja2|sqlalchemy/orm/session", 40)
        out.append(f"### {path}: {each:.1f} ms per view call under cProfile ({repeat} runs)\n")
        out.append(text.getvalue())
    services.engine.dispose()
    return "\n".join(out)


# -- the results files ---------------------------------------------------------------------------


def case_summary(case: Case) -> dict[str, Any]:
    return {
        "key": case.key,
        "label": case.label,
        "shown": case.shown,
        "primary_label": case.primary_label,
        "extras_label": case.extras_label,
        "kib": float(np.median(case.page_bytes)) / 1024 if case.page_bytes else 0.0,
        "page_ttfb": stats(case.page_ttfb),
        "page_full": stats(case.page_full),
        "api_full": stats(case.api_full),
        "all_full": stats(case.all_full),
        "errors": case.errors,
        "others": sorted(case.others, key=int),
    }


def browser_summary(result: Any, loads: int) -> dict[str, Any]:
    if isinstance(result, str):
        return {"skipped": result}
    rows = []
    for row in result["rows"]:
        warm, cold = np.asarray(row.warm), np.asarray(row.cold)
        rows.append(
            {
                "label": row.label,
                "warm_ttfb_p50": np.percentile(warm[:, 0], 50),
                "warm_dcl_p50": np.percentile(warm[:, 1], 50),
                "warm_load_p50": np.percentile(warm[:, 2], 50),
                "warm_load_p95": np.percentile(warm[:, 2], 95),
                "cold_load_p50": np.percentile(cold[:, 2], 50),
                "cold_load_p95": np.percentile(cold[:, 2], 95),
                "others": sorted(row.others, key=int),
            }
        )
    return {
        "version": result["version"],
        "loads": loads,
        "rows": rows,
        "outside": result["outside"],
    }


def summarise(catalog: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """What goes into benchmarks/results/portal-demo.json or portal-synthetic.json."""
    cases: list[Case] = catalog.pop("cases")
    floor = next(c for c in cases if c.key == "floor")
    views = (PORTAL_SRC / "tsunagu" / "web" / "views" / "public.py").read_text()
    return {
        **catalog,
        "browser": browser_summary(catalog["browser"], args.loads),
        "requests": args.requests,
        "warmup": args.warmup,
        "counts_page_views": "usage.counters" in views,
        "cases": [case_summary(c) for c in cases if c.key != "floor"],
        "floor": stats(floor.page_ttfb),
        "targets": {"list_p95_ms": TARGET_LIST_P95_MS, "dataset_p95_ms": TARGET_DATASET_P95_MS},
    }


def finish(name: str, record: RunRecord, catalog: dict[str, Any], args: argparse.Namespace) -> str:
    path = write_result(name, record.finish(), summarise(catalog, args), args.results_dir)
    log(f"results written to {path}")
    return render_section(name, path)


# -- main -----------------------------------------------------------------------------------------


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
