"""The plan dashboard part of benchmarks/analytics.py (issue 12): a plan of 100 measures and
150 indicators, each indicator bound to a catalog metric with 5 years of daily history, its
dashboard page (/plan/{name}/dashboard) answered in ≤ 100 ms TTFB p95.

The plan and its history are written straight into the catalog's database (seeded, as
analytics.py writes its usage history): 1 plan, 9 headings, 100 measures with 3 stages each,
150 indicators, and 150 × ~1,826 metric_snapshot rows (one a day, about 1 % of days "no data").
Timed over one keep-alive connection: the dashboard page and its JSON, warm (the overview is
kept per process until the plan or the day's snapshots change), and cold (the plan touched
before each request, so the overview is computed again from the database, as after any change).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import random
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

from runrecord import stats

PLAN_NAME = "bench-plan"
MEASURES = 100
INDICATORS = 150
YEARS = 5
TARGET_MS = 100.0
COLD_REQUESTS = 10


def _id() -> str:
    return str(uuid.uuid4())


def _fiscal_year(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def seed_plan(db_path: Path, seed: int, today: dt.date) -> dict[str, Any]:
    """Write the plan and its history (replacing an earlier benchmark plan)."""
    from tsunagu.metrics.registry import params_key  # this run's source snapshot

    rng = random.Random(seed + 12)
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    first = today - dt.timedelta(days=round(365.25 * YEARS))
    days = [first + dt.timedelta(days=n) for n in range((today - first).days + 1)]
    with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute("PRAGMA foreign_keys=ON")
        old = conn.execute("SELECT id FROM plan WHERE name = ?", (PLAN_NAME,)).fetchone()
        if old:
            conn.execute("DELETE FROM plan WHERE id = ?", old)
        conn.execute("DELETE FROM metric_snapshot WHERE params LIKE '%bench-plan-%'")
        (owner,) = conn.execute("SELECT id FROM organization ORDER BY name LIMIT 1").fetchone()
        plan_id = _id()
        start_fy = _fiscal_year(first)
        end_fy = _fiscal_year(today) + 1
        conn.execute(
            "INSERT INTO plan (id, name, title, description, owner_org, period_start, period_end,"
            " level_names, evaluation, source_url, published, state, creator_user_id, created,"
            " modified) VALUES (?, ?, ?, '', ?, ?, ?, ?, '', '', 1, 'active', NULL, ?, ?)",
            (
                plan_id,
                PLAN_NAME,
                "ベンチマーク計画",
                owner,
                start_fy,
                end_fy,
                json.dumps(["施策の柱", "推進方策", "施策"], ensure_ascii=False),
                now,
                now,
            ),
        )
        nodes = []
        for pillar in range(1, 4):
            pillar_id = _id()
            conn.execute(
                "INSERT INTO plan_node VALUES (?, ?, NULL, 0, ?, ?, '', ?, ?)",
                (pillar_id, plan_id, str(pillar), f"柱 {pillar}", str(pillar), pillar),
            )
            for strategy in range(1, 3):
                node_id = _id()
                conn.execute(
                    "INSERT INTO plan_node VALUES (?, ?, ?, 1, ?, ?, '', ?, ?)",
                    (node_id, plan_id, pillar_id, str(strategy), f"推進方策 {pillar}-{strategy}",
                     f"{pillar}/{strategy}", strategy),
                )  # fmt: skip
                nodes.append(node_id)
        measures = []
        for number in range(1, MEASURES + 1):
            measure_id = _id()
            measures.append(measure_id)
            conn.execute(
                "INSERT INTO plan_measure (id, plan_id, node_id, number, name, summary,"
                " departments, organizations, categories, note, position, created, modified)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, '[]', '[\"opendata\"]', '', ?, ?, ?)",
                (measure_id, plan_id, nodes[number % len(nodes)], str(number), f"施策 {number}",
                 "取組の概要。", json.dumps(["情報企画課"], ensure_ascii=False), number, now, now),
            )  # fmt: skip
            for offset, stage in enumerate(("検討", "構築", "運用")):
                conn.execute(
                    "INSERT INTO plan_measure_stage VALUES (?, ?, ?, ?, ?)",
                    (_id(), measure_id, end_fy - 2 + offset, f"{end_fy - 2 + offset}年度", stage),
                )
        snapshot_rows = 0
        for index in range(INDICATORS):
            params = {"kind": "all", "organization": f"bench-plan-{index}"}
            key = params_key(params)
            base = rng.randint(50, 500)
            growth = rng.uniform(0.02, 0.3)  # a year
            target = round(base * (1 + growth * (YEARS + 1.5)))
            conn.execute(
                "INSERT INTO plan_indicator (id, plan_id, measure_id, node_id, name, unit, scope,"
                " direction, definition, note, baseline_value, baseline_qualifier, baseline_text,"
                " baseline_label, baseline_fiscal_year, baseline_date, target_value,"
                " target_qualifier, target_text, target_label, target_fiscal_year, target_date,"
                " metric_key, metric_params, position, created, modified) VALUES (?, ?, ?, NULL,"
                " ?, '件', '県・市町', 'increase', '', '', ?, '', ?, ?, ?, ?, ?, '', ?, ?, ?, ?,"
                " 'datasets_public', ?, ?, ?, ?)",
                (_id(), plan_id, measures[index % MEASURES], f"指標 {index + 1}", base, str(base),
                 f"{start_fy}年度", start_fy, dt.date(start_fy + 1, 3, 31).isoformat(), target,
                 str(target), f"{end_fy}年度", end_fy, dt.date(end_fy + 1, 3, 31).isoformat(),
                 json.dumps(params), index + 1, now, now),
            )  # fmt: skip
            rows = []
            for n, day in enumerate(days):
                value = None
                if rng.random() > 0.01:  # ~1 % of days the job did not run: "no data"
                    value = float(round(base * (1 + growth * n / 365.25) + rng.gauss(0, 2)))
                rows.append(
                    ("datasets_public", key, day.isoformat(), _fiscal_year(day), value, now)
                )
            conn.executemany("INSERT INTO metric_snapshot VALUES (?, ?, ?, ?, ?, ?)", rows)
            snapshot_rows += len(rows)
    return {
        "measures": MEASURES,
        "indicators": INDICATORS,
        "days": len(days),
        "snapshot_rows": snapshot_rows,
        "seed_seconds": time.perf_counter() - started,
    }


def _touch(db_path: Path) -> None:
    """A change to the plan, as any edit makes: the cached overview no longer applies."""
    with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute(
            "UPDATE plan SET modified = ? WHERE name = ?",
            (dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" "), PLAN_NAME),
        )


def _get(connection: http.client.HTTPConnection, path: str) -> tuple[float, float, int, int]:
    """(TTFB ms, full ms, status, bytes)."""
    started = time.perf_counter()
    connection.request("GET", path, headers={"User-Agent": "tsunagu-benchmark"})
    response = connection.getresponse()
    first = time.perf_counter()
    body = response.read()
    done = time.perf_counter()
    return (first - started) * 1000, (done - started) * 1000, response.status, len(body)


def measure(port: int, db_path: Path, requests: int) -> dict[str, Any]:
    paths = {
        "page": f"/plan/{PLAN_NAME}/dashboard",
        "json": f"/plan/{PLAN_NAME}/dashboard.json",
    }
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    results: dict[str, Any] = {}
    try:
        for key, path in paths.items():
            ttfb, full, sizes = [], [], []
            for n in range(3 + requests):
                first, whole, status, size = _get(connection, path)
                if status != 200:
                    raise RuntimeError(f"{path}: HTTP {status}")
                if n >= 3:
                    ttfb.append(first)
                    full.append(whole)
                    sizes.append(size)
            results[f"{key}_warm"] = {"ttfb": stats(ttfb), "full": stats(full), "bytes": sizes[0]}
        cold_ttfb, cold_full = [], []
        for _ in range(COLD_REQUESTS):
            _touch(db_path)
            first, whole, status, _size = _get(connection, paths["page"])
            if status != 200:
                raise RuntimeError(f"{paths['page']}: HTTP {status}")
            cold_ttfb.append(first)
            cold_full.append(whole)
        results["page_cold"] = {"ttfb": stats(cold_ttfb), "full": stats(cold_full)}
    finally:
        connection.close()
    p95 = results["page_warm"]["ttfb"]["p95"]
    results.update(
        requests=requests,
        cold_requests=COLD_REQUESTS,
        target_ms=TARGET_MS,
        met=p95 is not None and p95 <= TARGET_MS,
    )
    return results


def part(bench: Any) -> dict[str, Any]:
    """The plan_dashboard part: seed, start a server of the catalog, time the dashboard."""
    server = bench.server("plan", TSUNAGU_USAGE_ANALYTICS="1")
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date()
    seeded = seed_plan(bench.catalog.db_path, bench.args.seed, today)
    return {"plan": seeded, **measure(server.port, bench.catalog.db_path, bench.args.requests)}
