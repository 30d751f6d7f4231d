"""Analytics benchmark (issue 12): what usage counting costs, and the plan dashboard.

The issue's targets, each a *part* of this script (``--only`` picks some):

* ``usage`` — with usage analytics on, package_show throughput (and the dataset page's) must be
  ≥ 0.9× of analytics off, measured in the same run. Two servers on one catalog, identical but
  for ``TSUNAGU_USAGE_ANALYTICS`` (1 / 0), are loaded in turn, round by round, the order
  alternating (on-off, off-on, …) so that a neighbour's load falls on both alike. Every request
  names itself as a client that is counted (package_show as ckanapi, the page as a browser),
  and afterwards the counts stored are checked against the requests the "on" server answered
  (and none from the "off" one). Beside it: ``usage_popular_list`` over 90 days of history;
* ``plan_dashboard`` — the plan dashboard for a plan of 100 measures and 150 indicators with
  5 years of daily history in ≤ 100 ms TTFB p95 (benchmarks/plan_dashboard.py).

The catalog is ``benchmarks/search.py``'s seeded generator into ``.work/analytics-catalog-N-sSEED``,
with 90 days of usage history written into it (``seed_history``). Servers run
``uvicorn tsunagu.asgi:app`` with 1 worker each, ingest, harvest and snapshots off, from this
run's own source snapshot. Results: ``benchmarks/results/analytics.json`` (run record, see
runrecord.py); RESULTS.md renders them (reporting/analytics.py).

Usage: ``python benchmarks/analytics.py [--datasets 10000] [--rounds 8] [--seconds 10]
[--quick] [--reuse] [--only usage]``
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import multiprocessing
import os
import random
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import processes
from runrecord import RunRecord, add_results_argument, render_section, stats, write_result
from snapshot import snapshot_revision, snapshot_source

SRC_ENV = "TSUNAGU_BENCH_SEARCH_SRC"  # the same name as search.SRC_ENV
# This run's own copy of src/tsunagu (importing search below finds it named in SRC_ENV).
ANALYTICS_SRC = snapshot_source(SRC_ENV, f"src-analytics-{os.getpid()}")

import plan_dashboard  # noqa: E402  (the plan_dashboard part, P1's)

import search  # noqa: E402  (benchmarks/search.py: generator, server, helpers)

WORK = search.WORK
log = search.log
HISTORY_VERSION = 1
HISTORY_DAYS = 90
TARGET_RATIO = 0.9
# What the load generator says it is: counted as API use and as a browser's page view.
PROGRAM = "ckanapi/4.7 (+https://github.com/ckan/ckanapi)"
BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


# -- the catalog's usage history ------------------------------------------------------------------


def seed_history(catalog: search.Catalog, seed: int) -> dict[str, Any]:
    """90 days of counts (seeded): each day a fifth of the public datasets used, a few of them
    a lot (as on real portals), with their organisations' and the site's rows. Written straight
    into usage_daily and dataset_usage, as the flusher would have."""
    marker = catalog.data_dir / "analytics.json"
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("version") == HISTORY_VERSION:
            log("reusing the usage history")
            return dict(info["info"])
    rng = random.Random(seed + 7)
    started = time.perf_counter()
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date()
    with contextlib.closing(sqlite3.connect(catalog.db_path)) as conn:
        public = conn.execute(
            "SELECT id, owner_org FROM dataset WHERE private = 0 AND state = 'active' ORDER BY id"
        ).fetchall()
        conn.execute("DELETE FROM usage_daily")
        conn.execute("DELETE FROM dataset_usage")
        weights = [1 / (i + 1) ** 0.8 for i in range(len(public))]
        rows: dict[tuple[str, str, str], list[int]] = {}
        totals: dict[str, list[int]] = {}
        for back in range(HISTORY_DAYS, 0, -1):
            day = (today - dt.timedelta(days=back)).isoformat()
            used = rng.choices(range(len(public)), weights=weights, k=len(public) // 5)
            for index in used:
                dataset_id, org = public[index]
                numbers = [rng.randint(1, 20), rng.randint(0, 5), rng.randint(0, 8), 0]
                numbers[3] = rng.randint(0, numbers[2])
                for key in (("dataset", dataset_id), ("organization", org), ("site", "")):
                    row = rows.setdefault((*key, day), [0, 0, 0, 0])
                    for n, value in enumerate(numbers):
                        row[n] += value
                total = totals.setdefault(dataset_id, [0, 0])
                total[0] += numbers[0]
                total[1] += numbers[2]
        conn.executemany(
            "INSERT INTO usage_daily (kind, object_id, day, page_views, api_views, downloads, "
            "api_downloads) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(*key, *numbers) for key, numbers in rows.items()],
        )
        conn.executemany(
            "INSERT INTO dataset_usage (dataset_id, page_views, downloads, updated) "
            "VALUES (?, ?, ?, ?)",
            [(i, v, d, f"{today.isoformat()} 00:00:00") for i, (v, d) in totals.items()],
        )
        conn.commit()
    info = {
        "days": HISTORY_DAYS,
        "daily_rows": len(rows),
        "datasets_used": len(totals),
        "seed_seconds": time.perf_counter() - started,
    }
    marker.write_text(json.dumps({"version": HISTORY_VERSION, "info": info}))
    return info


def counted(catalog: search.Catalog) -> dict[str, int]:
    """Today's counts of the whole site (public datasets), from the database."""
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date().isoformat()
    with contextlib.closing(sqlite3.connect(catalog.db_path)) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(page_views), 0), coalesce(sum(api_views), 0) FROM usage_daily "
            "WHERE kind = 'site' AND day = ?",
            (today,),
        ).fetchone()
    return {"page_views": int(row[0]), "api_views": int(row[1])}


# -- load -----------------------------------------------------------------------------------------


def _load_worker(args: tuple[int, list[str], str, float, int, int]) -> tuple[int, int, list[float]]:
    """One process of keep-alive connections asking for ``paths`` for ``seconds``: (answered,
    failed, latencies in ms)."""
    port, paths, agent, seconds, threads, seed = args
    answered, failed, latencies = [0], [0], []
    lock = threading.Lock()

    def loop(thread_seed: int) -> None:
        rng = random.Random(thread_seed)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        ok = bad = 0
        mine: list[float] = []
        deadline = time.perf_counter() + seconds
        while (now := time.perf_counter()) < deadline:
            try:
                connection.request("GET", rng.choice(paths), headers={"User-Agent": agent})
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                bad += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            if response.status == 200:
                ok += 1
                mine.append((time.perf_counter() - now) * 1000)
            else:
                bad += 1
        connection.close()
        with lock:
            answered[0] += ok
            failed[0] += bad
            latencies.extend(mine)

    workers = [threading.Thread(target=loop, args=(seed * 100 + i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return answered[0], failed[0], latencies


@dataclass
class Slot:
    answered: int
    failed: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.answered / self.seconds


def load(pool: Any, port: int, paths: list[str], agent: str, seconds: float, threads: int) -> Slot:
    started = time.perf_counter()
    answered, failed, latencies = pool.apply(
        _load_worker, ((port, paths, agent, seconds, threads, random.randrange(1 << 30)),)
    )
    return Slot(answered, failed, max(seconds, time.perf_counter() - started - 0.05), latencies)


# -- shared state of the parts --------------------------------------------------------------------


@dataclass
class Bench:
    catalog: search.Catalog
    args: argparse.Namespace
    history: dict[str, Any]
    servers: dict[str, search.Server] = field(default_factory=dict)

    def server(self, name: str, **env: str) -> search.Server:
        """A server of this catalog (started once, stopped at the end) with ``env`` set."""
        if name not in self.servers:
            with processes.environment(**env):
                log(f"starting server {name!r} ({env or 'defaults'})")
                self.servers[name] = search.Server(self.catalog, workers=1).start()
        return self.servers[name]

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


# -- part: what counting costs --------------------------------------------------------------------


@dataclass
class Case:
    key: str
    label: str
    agent: str
    paths: list[str]


def part_usage(bench: Bench) -> dict[str, Any]:
    """package_show and the dataset page, analytics on against off, interleaved rounds."""
    args = bench.args
    on = bench.server("on", TSUNAGU_USAGE_ANALYTICS="1")
    off = bench.server("off", TSUNAGU_USAGE_ANALYTICS="0")
    rng = random.Random(args.seed)
    names = rng.sample(bench.catalog.public_names, min(2000, len(bench.catalog.public_names)))
    cases = [
        Case(
            "package_show",
            "package_show (Action API, as ckanapi)",
            PROGRAM,
            [f"/api/3/action/package_show?id={quote(n)}" for n in names],
        ),
        Case(
            "dataset_page",
            "dataset page (as a browser)",
            BROWSER,
            [f"/dataset/{quote(n)}" for n in names],
        ),
    ]
    before = counted(bench.catalog)
    slots: dict[str, dict[str, list[Slot]]] = {c.key: {"on": [], "off": []} for c in cases}
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        warm: dict[str, int] = {}
        for case in cases:  # warm-up: caches, the index, both processes' code paths
            for label, server in (("on", on), ("off", off)):
                slot = load(pool, server.port, case.paths, case.agent, 2, args.connections)
                if label == "on":
                    warm[case.key] = slot.answered
        for round_no in range(args.rounds):
            order = [("on", on), ("off", off)] if round_no % 2 == 0 else [("off", off), ("on", on)]
            for case in cases:
                for label, server in order:
                    slot = load(
                        pool, server.port, case.paths, case.agent, args.seconds, args.connections
                    )
                    slots[case.key][label].append(slot)
            log(
                f"round {round_no + 1}/{args.rounds}: "
                + ", ".join(
                    f"{c.key} on {slots[c.key]['on'][-1].rps:.0f} / off "
                    f"{slots[c.key]['off'][-1].rps:.0f} req/s"
                    for c in cases
                )
            )
    # The "on" server writes what it still holds when it stops; the "off" one has nothing.
    on.stop()
    after = counted(bench.catalog)
    results = []
    for case in cases:
        mine = slots[case.key]
        total_on = sum(s.answered for s in mine["on"])
        total_off = sum(s.answered for s in mine["off"])
        seconds_on = sum(s.seconds for s in mine["on"])
        seconds_off = sum(s.seconds for s in mine["off"])
        rps_on, rps_off = total_on / seconds_on, total_off / seconds_off
        per_round = [a.rps / b.rps for a, b in zip(mine["on"], mine["off"], strict=True) if b.rps]
        results.append(
            {
                "key": case.key,
                "label": case.label,
                "user_agent": case.agent,
                "rps_on": rps_on,
                "rps_off": rps_off,
                "ratio": rps_on / rps_off if rps_off else None,
                "round_ratios": per_round,
                "round_ratio_median": sorted(per_round)[len(per_round) // 2] if per_round else None,
                "answered_on": total_on,
                "answered_off": total_off,
                "failed": sum(s.failed for s in mine["on"] + mine["off"]),
                "latency_on": stats(x for s in mine["on"] for x in s.latencies),
                "latency_off": stats(x for s in mine["off"] for x in s.latencies),
            }
        )
    by_key = {r["key"]: r for r in results}
    # Every answer of the "on" server, warm-up included, must be in today's counts.
    expected = {
        "api_views": by_key["package_show"]["answered_on"] + warm["package_show"],
        "page_views": by_key["dataset_page"]["answered_on"] + warm["dataset_page"],
    }
    stored = {k: after[k] - before[k] for k in expected}
    return {
        "rounds": args.rounds,
        "seconds": args.seconds,
        "connections": args.connections,
        "target_ratio": TARGET_RATIO,
        "cases": results,
        "counted": {"answered_on": expected, "stored_today": stored},
        "popular": _popular(bench, off),
        "met": all((r["ratio"] or 0) >= TARGET_RATIO for r in results),
    }


def _popular(bench: Bench, server: search.Server) -> dict[str, Any]:
    """usage_popular_list over the seeded history: 30 days, all time, one organisation."""
    with contextlib.closing(sqlite3.connect(bench.catalog.db_path)) as conn:
        (org,) = conn.execute(
            "SELECT o.name FROM organization o JOIN dataset d ON d.owner_org = o.id "
            "GROUP BY o.name ORDER BY count(*) DESC, o.name LIMIT 1"
        ).fetchone()
    calls = {
        "30d": {"period": "30d"},
        "7d_page_views": {"period": "7d", "sort": "page_views"},
        "all": {"period": "all"},
        "30d_organization": {"period": "30d", "organization": org},
    }
    timings: dict[str, list[float]] = {k: [] for k in calls}
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        for _ in range(3 + bench.args.requests):
            for key, data in calls.items():
                started = time.perf_counter()
                connection.request(
                    "GET",
                    "/api/3/action/usage_popular_list?" + urlencode({**data, "limit": 10}),
                    headers={"User-Agent": PROGRAM},
                )
                response = connection.getresponse()
                body = response.read()
                if response.status != 200:
                    raise RuntimeError(
                        f"usage_popular_list {data}: {response.status} {body[:300]!r}"
                    )
                timings[key].append((time.perf_counter() - started) * 1000)
    finally:
        connection.close()
    return {
        "requests": bench.args.requests,
        "organization": org,
        "calls": {key: stats(values[3:]) for key, values in timings.items()},
    }


# Parts in the order they run; each takes the shared Bench and returns its summary.
PARTS: dict[str, Callable[[Bench], dict[str, Any]]] = {
    "usage": part_usage,
    "plan_dashboard": plan_dashboard.part,
}


# -- main -----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=8, help="on/off rounds (alternating order)")
    parser.add_argument("--seconds", type=float, default=10.0, help="load per server per round")
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections")
    parser.add_argument("--requests", type=int, default=50, help="timed popular-list calls")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--quick", action="store_true", help="1k datasets, 2 rounds of 2 s")
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
        args.datasets, args.rounds, args.seconds = 1_000, 2, 2.0
        args.requests = min(args.requests, 10)
    record = RunRecord("analytics", args.quick, source=snapshot_revision())

    data_dir = WORK / f"analytics-catalog-{args.datasets}-s{args.seed}"
    catalog = search.create_catalog(args.datasets, args.seed, args.reuse, data_dir=data_dir)
    history = seed_history(catalog, args.seed)
    log(f"catalog ready: {catalog.rows}; history {history}")
    os.environ.update(
        {
            "TSUNAGU_INGEST_WORKERS": "0",
            "TSUNAGU_HARVEST_WORKERS": "0",
            "TSUNAGU_METRICS_SNAPSHOT_SECONDS": "0",
            "TSUNAGU_MAP_TILES": "",
        }
    )
    summary: dict[str, Any] = {
        "datasets": args.datasets,
        "reused": args.reuse and catalog.generate_seconds == 0,
        "generate_seconds": catalog.generate_seconds,
        "insert_seconds": catalog.insert_seconds,
        "rows": catalog.rows,
        "history": history,
    }
    bench = Bench(catalog, args, history)
    try:
        for name in parts:
            log(f"part {name}")
            summary[name] = PARTS[name](bench)
    finally:
        bench.stop()
        if ANALYTICS_SRC.name == f"src-analytics-{os.getpid()}":  # this process's copy
            shutil.rmtree(ANALYTICS_SRC, ignore_errors=True)
    path = write_result("analytics", record.finish(), summary, args.results_dir)
    print(render_section("analytics", path))
    log(f"results written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
