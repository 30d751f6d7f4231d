"""Staff workspace benchmark (issue 15): the staff pages at catalog scale.

The issue's targets, each a *part* of this script (``--only`` picks some):

* ``table`` — the staff dataset table (``/staff/datasets``) at 100,000 datasets: time to first
  byte p95 ≤ 100 ms for a filtered page, for a sysadmin (every dataset) and for the admin of the
  largest organisation;
* ``home`` — the 要対応 home for a sysadmin at 100,000 datasets in ≤ 200 ms (staff_home.py);
* ``batch`` — a 30-file batch with a metadata sheet queryable in ≤ 60 s (staff_batch.py, on a
  server of its own with the ingest worker).

Every part shares one catalog and one server (``Bench``): ``benchmarks/search.py``'s seeded
generator, enriched with what staff pages filter on (drafts, update frequencies with their due
dates, declared standards, quality check summaries with and without errors), and ``uvicorn
tsunagu.asgi:app`` (1 worker, ingest off) on it, with a signed-in session per staff user. A part
returns its summary; all of them go to ``benchmarks/results/staff.json`` (run record, see
runrecord.py) and RESULTS.md renders each (reporting/staff.py).

Usage: ``python benchmarks/staff.py [--datasets 100000] [--requests 100] [--quick] [--reuse]
[--only table]``
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import processes
from runrecord import RunRecord, add_results_argument, render_section, stats, write_result
from snapshot import snapshot_revision, snapshot_source

SRC_ENV = "TSUNAGU_BENCH_SEARCH_SRC"  # the same name as search.SRC_ENV
# This run's own copy of src/tsunagu (importing search below finds it named in SRC_ENV), in a
# folder of this process: a second run started meanwhile would otherwise replace it.
STAFF_SRC = snapshot_source(SRC_ENV, f"src-staff-{os.getpid()}")

from staff_batch import part_batch  # noqa: E402  (the batch part, in a module of its own)
from staff_home import part_home  # noqa: E402  (the 要対応 home part, in a module of its own)

import search  # noqa: E402  (benchmarks/search.py: generator, server, helpers)
from tsunagu.bootstrap import action_context, build_services  # noqa: E402
from tsunagu.config import Settings  # noqa: E402
from tsunagu.registry import call_action  # noqa: E402
from tsunagu.workspace import table as staff_table  # noqa: E402

WORK = search.WORK
log = search.log
ENRICH_VERSION = 1
TARGET_TABLE_P95_MS = 100.0
STAFF_USER = "bench-staff"
STAFF_PASSWORD = "bench-staff-password-0000"
SYSADMIN_PASSWORD = "bench-password-0000"  # search.py's bench-admin
STANDARDS = ["evacuation_space", "aed", "population", "public_facility", "tourism"]
FREQUENCIES = ["", "", "monthly", "annual", "quarterly", "as_needed", "weekly"]
OTHERS = re.compile(rb"benchmarks/(search|datastore|portal|load|staff)\.py")


# -- the catalog ----------------------------------------------------------------------------------


def _quality(rng: random.Random, errors: bool) -> dict[str, Any]:
    """A resource's stored check summary (the shape quality/service.py writes)."""
    error_rules = rng.randint(1, 3) if errors else 0
    return {
        "status": "complete",
        "checked": "2026-10-01T09:00:00",
        "standard": rng.choice(STANDARDS) if rng.random() < 0.5 else None,
        "standard_guessed": True,
        "rows": rng.randint(10, 5000),
        "rules": {"error": error_rules, "warning": rng.randint(0, 3), "info": rng.randint(0, 2)},
        "findings": {"error": error_rules * 7, "warning": rng.randint(0, 20), "info": 0},
        "linked": False,
    }


def enrich(catalog: search.Catalog, seed: int) -> dict[str, Any]:
    """What staff filter on, written straight into the generated catalog (seeded): 3 % drafts,
    update frequencies (so some datasets are overdue), declared standards on 10 %, a check
    summary on 40 % of the CSV/XLSX resources (an eighth of them with errors); and a user who is
    admin of the largest organisation. Every row's revision stays; the server indexes it all at
    start."""
    marker = catalog.data_dir / "staff.json"
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("version") == ENRICH_VERSION:
            log("reusing the enriched catalog")
            return dict(info["info"])
    rng = random.Random(seed + 1)
    started = time.perf_counter()
    with contextlib.closing(sqlite3.connect(catalog.db_path)) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM dataset ORDER BY id")]
        rows = []
        for dataset_id in ids:
            state = "draft" if rng.random() < 0.03 else "active"
            standard = rng.choice(STANDARDS) if rng.random() < 0.10 else ""
            rows.append((state, rng.choice(FREQUENCIES), standard, dataset_id))
        conn.executemany(
            "UPDATE dataset SET state = ?, frequency = ?, standard_id = ? WHERE id = ?", rows
        )
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM resource WHERE format IN ('CSV', 'XLSX') ORDER BY id"
            )
        ]
        checked = []
        for resource_id in tables:
            if rng.random() < 0.4:
                summary = _quality(rng, errors=rng.random() < 0.125)
                extras = json.dumps({"quality": summary}, ensure_ascii=False)
                checked.append((extras, resource_id))
        conn.executemany("UPDATE resource SET extras = ? WHERE id = ?", checked)
        top_org_id, top_org, top_count = conn.execute(
            "SELECT o.id, o.name, count(*) FROM dataset d JOIN organization o "
            "ON o.id = d.owner_org GROUP BY o.id, o.name ORDER BY count(*) DESC, o.name LIMIT 1"
        ).fetchone()
        conn.commit()
        counts = {
            "datasets": len(ids),
            "drafts": sum(1 for r in rows if r[0] == "draft"),
            "with_frequency": sum(1 for r in rows if r[1]),
            "with_standard": sum(1 for r in rows if r[2]),
            "checked_resources": len(checked),
        }
    services = build_services(Settings(data_dir=catalog.data_dir, database_url=catalog.url))
    with action_context(services, ignore_auth=True) as context:
        call_action(
            "user_create",
            context,
            {"name": STAFF_USER, "email": "staff@example.jp", "password": STAFF_PASSWORD},
        )
    with action_context(services, ignore_auth=True) as context:
        call_action(
            "organization_member_create",
            context,
            {"id": top_org, "username": STAFF_USER, "role": "admin"},
        )
    with action_context(services, ignore_auth=True) as context:
        token = call_action("api_token_create", context, {"user": STAFF_USER, "name": "bench"})
    services.engine.dispose()
    info = {
        **counts,
        "staff_org": top_org,
        "staff_org_id": top_org_id,
        "staff_org_datasets": top_count,
        "staff_token": token["token"],
        "enrich_seconds": time.perf_counter() - started,
    }
    marker.write_text(json.dumps({"version": ENRICH_VERSION, "info": info}))
    return info


# -- HTTP -----------------------------------------------------------------------------------------


def sign_in(url: str, name: str, password: str) -> str:
    """The Cookie header of a signed-in staff session (through the sign-in form, as a browser)."""
    with httpx.Client(base_url=url, timeout=120, follow_redirects=False) as client:
        page = client.get("/user/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if token is None:
            raise RuntimeError("the sign-in page has no form")
        answer = client.post(
            "/user/login",
            data={"csrf_token": token.group(1), "name": name, "password": password},
        )
        if answer.status_code != 303:
            raise RuntimeError(f"signing in as {name}: {answer.status_code}")
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


class Connection:
    """One keep-alive connection with a session cookie; ``get`` returns (ms to the response
    headers, status, body). Pages are rendered whole before the first byte is sent, so the
    first figure is the time to first byte."""

    def __init__(self, port: int, cookie: str = "") -> None:
        self.port = port
        self.headers = {"Accept": "text/html,application/json", "Accept-Language": "ja"}
        if cookie:
            self.headers["Cookie"] = cookie
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str) -> tuple[float, int, bytes]:
        for attempt in range(2):
            try:
                started = time.perf_counter()
                self.conn.request("GET", path, headers=self.headers)
                response = self.conn.getresponse()
                first = time.perf_counter()
                return (first - started) * 1000, response.status, response.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


# -- shared state of the parts --------------------------------------------------------------------


@dataclass
class Bench:
    catalog: search.Catalog
    server: search.Server
    info: dict[str, Any]
    requests: int
    seed: int
    # By role, "sysadmin" (every dataset) and "org_admin" (the largest organisation): a
    # signed-in session's Cookie header, and an API token.
    cookies: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


# -- part: the staff dataset table ----------------------------------------------------------------


@dataclass
class Case:
    key: str
    label: str
    params: dict[str, str]
    filtered: bool = True


def table_cases(bench: Bench) -> list[Case]:
    org = bench.info["staff_org"]
    return [
        Case("all", "no filter (newest first)", {}, filtered=False),
        Case("draft", "state: draft", {"state": "draft"}),
        Case("private_title", "private, by title", {"visibility": "private", "sort": "title"}),
        Case("org_csv", "organisation + CSV", {"organization": org, "res_format": "CSV"}),
        Case("errors", "has errors", {"errors": "1"}),
        Case("overdue", "overdue (date range)", {"overdue": "1"}),
        Case("stars_standard", "★3+ and a standard", {"stars": "3", "standard": STANDARDS[0]}),
        Case("q_org", "word + organisation", {"q": "避難所", "organization": org}),
        Case("overdue_due", "overdue, most overdue first", {"overdue": "1", "sort": "due"}),
        Case("deep_page", "page 40 of everything", {"page": "40"}, filtered=False),
    ]


def _api_path(case: Case, scope: str | None) -> str:
    """The package_search call the page makes, as an HTTP API request (lists as JSON)."""
    data = staff_table.search_data(staff_table.parse(case.params), scope)
    params = {
        key: json.dumps(value, ensure_ascii=False) if isinstance(value, list) else str(value)
        for key, value in data.items()
    }
    return "/api/3/action/package_search?" + urlencode(params)


_COUNT = re.compile(r"([\d,]+) 件のデータセット")


def part_table(bench: Bench) -> dict[str, Any]:
    """TTFB of each page of the table, per user, interleaved case by case; beside it the same
    package_search over the HTTP API (the engine's share)."""
    users: dict[str, Any] = {}
    for role, scope in (
        ("sysadmin", None),
        ("org_admin", f'owner_org:"{bench.info["staff_org_id"]}"'),
    ):
        cases = table_cases(bench)
        page = Connection(bench.server.port, bench.cookies[role])
        api = Connection(bench.server.port)
        api.headers["Authorization"] = bench.tokens[role]
        ttfb: dict[str, list[float]] = {c.key: [] for c in cases}
        api_ms: dict[str, list[float]] = {c.key: [] for c in cases}
        counts: dict[str, int] = {}
        paths = {c.key: "/staff/datasets?" + urlencode(c.params) for c in cases}
        for case in cases:  # warm-up, and what each page shows
            for _ in range(3):
                _, status, body = page.get(paths[case.key])
            if status != 200:
                raise RuntimeError(f"{paths[case.key]}: {status} {body[:300]!r}")
            found = _COUNT.search(body.decode())
            counts[case.key] = int(found.group(1).replace(",", "")) if found else -1
        log(f"table as {role}: {bench.requests} rounds of {len(cases)} pages")
        rng = random.Random(bench.seed)
        for _ in range(bench.requests):
            order = list(cases)
            rng.shuffle(order)
            for case in order:
                took, status, _ = page.get(paths[case.key])
                if status != 200:
                    raise RuntimeError(f"{paths[case.key]}: {status}")
                ttfb[case.key].append(took)
                took, status, body = api.get(_api_path(case, scope))
                if status != 200:
                    raise RuntimeError(f"package_search: {status} {body[:300]!r}")
                api_ms[case.key].append(took)
        page.close()
        api.close()
        filtered = [x for c in cases if c.filtered for x in ttfb[c.key]]
        users[role] = {
            "cases": [
                {
                    "key": c.key,
                    "label": c.label,
                    "path": paths[c.key],
                    "filtered": c.filtered,
                    "count": counts[c.key],
                    "ttfb": stats(ttfb[c.key]),
                    "api": stats(api_ms[c.key]),
                }
                for c in cases
            ],
            "filtered_ttfb": stats(filtered),
        }
    worst = max(u["filtered_ttfb"]["p95"] for u in users.values())
    return {
        "requests": bench.requests,
        "target_p95_ms": TARGET_TABLE_P95_MS,
        "users": users,
        "worst_filtered_p95": worst,
        "met": worst <= TARGET_TABLE_P95_MS,
    }


# Parts in the order they run; each takes the shared Bench and returns its summary. The 要対応
# home and the batch are in modules of their own (staff_home.py, staff_batch.py).
PARTS: dict[str, Callable[[Bench], dict[str, Any]]] = {
    "table": part_table,
    "home": lambda bench: part_home(bench, Connection),
    "batch": part_batch,
}


# -- main -----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100, help="rounds of each page")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--quick", action="store_true", help="5k datasets, 20 rounds")
    parser.add_argument("--reuse", action="store_true", help="reuse the catalog made last time")
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"parts to run, of: {', '.join(PARTS)}"
    )
    add_results_argument(parser)
    args = parser.parse_args()
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {unknown}; known: {list(PARTS)}")
    if args.quick:
        args.datasets, args.requests = 5_000, min(args.requests, 20)
    record = RunRecord("staff", args.quick, source=snapshot_revision())

    data_dir = WORK / f"staff-catalog-{args.datasets}-s{args.seed}"
    catalog = search.create_catalog(args.datasets, args.seed, args.reuse, data_dir=data_dir)
    info = enrich(catalog, args.seed)
    log(f"catalog ready: {catalog.rows}; {info}")
    os.environ.update({"TSUNAGU_INGEST_WORKERS": "0", "TSUNAGU_MAP_TILES": ""})
    server = search.Server(catalog, workers=1)
    summary: dict[str, Any] = {
        "datasets": args.datasets,
        "reused": args.reuse and catalog.generate_seconds == 0,
        "generate_seconds": catalog.generate_seconds,
        "insert_seconds": catalog.insert_seconds,
        "rows": catalog.rows,
        "catalog": {k: v for k, v in info.items() if k != "staff_token"},
    }
    try:
        processes.wait_for_benchmarks(OTHERS)
        log("starting uvicorn (1 worker; it builds its index)")
        server.start()
        summary["server_ready"] = server.ready_seconds
        bench = Bench(catalog, server, info, args.requests, args.seed)
        bench.tokens = {"sysadmin": catalog.token, "org_admin": info["staff_token"]}
        bench.cookies["sysadmin"] = sign_in(server.url, search.ADMIN, SYSADMIN_PASSWORD)
        bench.cookies["org_admin"] = sign_in(server.url, STAFF_USER, STAFF_PASSWORD)
        for name in parts:
            processes.wait_for_benchmarks(OTHERS)
            log(f"part {name}")
            summary[name] = PARTS[name](bench)
        summary["rss"] = max(server.rss() or [0])
    finally:
        server.stop()
        if STAFF_SRC.name == f"src-staff-{os.getpid()}":  # this process's copy, not a parent's
            shutil.rmtree(STAFF_SRC, ignore_errors=True)
    path = write_result("staff", record.finish(), summary, args.results_dir)
    print(render_section("staff", path))
    log(f"results written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
