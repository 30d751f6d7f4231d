"""The ``home`` part of benchmarks/staff.py: the 要対応 (needs attention) home at catalog scale
(issue 15: for a sysadmin at 100,000 datasets in ≤ 200 ms).

It runs on the staff table's catalog and server. The catalog already has what the index
answers (drafts, due dates, check summaries with errors); this part adds what SQL answers,
seeded, straight into the rows while the server runs (nothing of it is in the index): an
ingest job for every table file, about 2 % of them failed (a quarter of those fixed by a later
job), the check records of the checked files with the personal-data guard stopping about 0.5 %
(a fifth of those overridden), and minimum ★ and score for half the organisations.

Timed, interleaved round by round, each over one keep-alive connection: ``/staff`` for the
sysadmin (the whole prefecture: every line over every dataset, the count per organisation, the
datasets changed last), ``/staff`` for the admin of the largest organisation, and
``staff_attention_list`` over the HTTP API for the sysadmin (the action alone). Then 30 of each
in a row, reading the server process's CPU time before and after: the CPU a request costs,
which the machine's other load does not change.
"""

from __future__ import annotations

import contextlib
import json
import random
import sqlite3
import uuid
from datetime import datetime, timedelta
from typing import Any

import processes
from runrecord import stats

import search

TARGET_MS = 200.0
HOME_VERSION = 1


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def enrich_home(catalog: search.Catalog, seed: int) -> dict[str, int]:
    """Ingest jobs, check records and organisation minimums (seeded); once per catalog."""
    marker = catalog.data_dir / "home.json"
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("version") == HOME_VERSION:
            search.log("home: reusing the ingest jobs and check records")
            return dict(info["counts"])
    with contextlib.closing(sqlite3.connect(catalog.db_path, timeout=60)) as conn:
        rng = random.Random(seed + 2)
        tables = conn.execute(
            "SELECT id, url, extras FROM resource WHERE format IN ('CSV', 'XLSX') ORDER BY id"
        ).fetchall()
        started = datetime(2026, 10, 1, 9, 0, 0)
        jobs: list[tuple[Any, ...]] = []
        records: list[tuple[Any, ...]] = []
        counts = {"ingest_jobs": 0, "ingest_failed": 0, "pii_blocked": 0, "pii_overridden": 0}
        for resource_id, url, extras in tables:
            at = started + timedelta(minutes=rng.randrange(60 * 24 * 30))
            failed = rng.random() < 0.02
            jobs.append(_job(rng, resource_id, "error" if failed else "complete", at))
            if failed and rng.random() < 0.25:
                jobs.append(_job(rng, resource_id, "complete", at + timedelta(hours=1)))
            elif failed:
                counts["ingest_failed"] += 1
            if "quality" not in json.loads(extras or "{}"):
                continue
            blocked = rng.random() < 0.005
            override: dict[str, Any] = {}
            if blocked and rng.random() < 0.2:
                override = {"reason": "確認済み", "signature": url}
                counts["pii_overridden"] += 1
            elif blocked:
                counts["pii_blocked"] += 1
            records.append((resource_id, url, _sql_time(at), blocked, json.dumps(override)))
        counts["ingest_jobs"] = len(jobs)
        conn.executemany(
            "INSERT INTO ingest_job (id, resource_id, status, rows_done, options, error, "
            "error_line, error_column, log, created, started, finished, heartbeat) "
            "VALUES (?, ?, ?, 0, '{}', ?, NULL, NULL, '[]', ?, ?, ?, NULL)",
            jobs,
        )
        conn.executemany(
            "INSERT INTO resource_quality (resource_id, status, error, signature, checked, "
            "standard_id, standard_guessed, rows, report, pii_signature, pii, pii_blocked, "
            "pii_override) VALUES (?, 'complete', '', ?2, ?3, NULL, 0, 0, '{}', ?2, '{}', ?4, ?5)",
            records,
        )
        orgs = [row[0] for row in conn.execute("SELECT id FROM organization ORDER BY name")]
        settings = [
            (org_id, 3 if i % 2 == 0 else 0, 50 if i % 4 == 0 else 0, _sql_time(started))
            for i, org_id in enumerate(orgs)
            if i % 2 == 0 or i % 4 == 0
        ]
        conn.executemany(
            "INSERT INTO attention_setting (organization_id, min_stars, min_score, modified) "
            "VALUES (?, ?, ?, ?)",
            settings,
        )
        counts["organizations_with_minimums"] = len(settings)
        conn.commit()
    marker.write_text(json.dumps({"version": HOME_VERSION, "counts": counts}))
    return counts


def _sql_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy stores DateTime on SQLite


def _job(rng: random.Random, resource_id: str, status: str, at: datetime) -> tuple[Any, ...]:
    error = "「12人」は整数として読めません" if status == "error" else ""
    finished = _sql_time(at + timedelta(seconds=5))
    return (_uuid(rng), resource_id, status, error, _sql_time(at), _sql_time(at), finished)


def _server_cpu_ms(bench: Any, get: Any, times: int) -> float | None:
    """The server's CPU time per request over ``times`` requests in a row: what the request
    costs whatever else shares the machine (wall-clock times grow with the load average)."""
    proc = getattr(bench.server, "proc", None)
    if proc is None:
        return None
    before = processes.cpu_seconds([proc.pid])
    for _ in range(times):
        _, status, _ = get()
        if status != 200:
            raise RuntimeError(f"status {status}")
    return (processes.cpu_seconds([proc.pid]) - before) * 1000 / times


def part_home(bench: Any, connection: Any) -> dict[str, Any]:
    """``connection``: staff.py's keep-alive ``Connection`` class."""
    seeded = enrich_home(bench.catalog, bench.seed)
    pages = {
        "sysadmin": connection(bench.server.port, bench.cookies["sysadmin"]),
        "org_admin": connection(bench.server.port, bench.cookies["org_admin"]),
    }
    api = connection(bench.server.port)
    api.headers["Authorization"] = bench.tokens["sysadmin"]
    api_path = "/api/3/action/staff_attention_list?limit=5"
    for _ in range(3):  # warm-up: the index's sort keys, the caches
        for page in pages.values():
            _, status, body = page.get("/staff")
            if status != 200:
                raise RuntimeError(f"/staff: {status} {body[:300]!r}")
        _, status, body = api.get(api_path)
        if status != 200:
            raise RuntimeError(f"staff_attention_list: {status} {body[:300]!r}")
    answer = json.loads(body)["result"]
    lines = {line["kind"]: line["count"] for line in answer["lines"]}
    search.log(f"home: {bench.requests} rounds; lines {lines}")
    samples: dict[str, list[float]] = {"sysadmin": [], "org_admin": [], "api": []}
    rng = random.Random(bench.seed)
    for _ in range(bench.requests):
        order = ["sysadmin", "org_admin", "api"]
        rng.shuffle(order)
        for key in order:
            took, status, _ = api.get(api_path) if key == "api" else pages[key].get("/staff")
            if status != 200:
                raise RuntimeError(f"{key}: {status}")
            samples[key].append(took)
    cpu = {
        "sysadmin": _server_cpu_ms(bench, lambda: pages["sysadmin"].get("/staff"), 30),
        "org_admin": _server_cpu_ms(bench, lambda: pages["org_admin"].get("/staff"), 30),
        "api": _server_cpu_ms(bench, lambda: api.get(api_path), 30),
    }
    for conn in (*pages.values(), api):
        conn.close()
    sysadmin = stats(samples["sysadmin"])
    return {
        "requests": bench.requests,
        "target_ms": TARGET_MS,
        "seeded": seeded,
        "lines": lines,
        "total": answer["total"],
        "organizations": len(answer["organizations"]),
        "sysadmin": sysadmin,
        "org_admin": stats(samples["org_admin"]),
        "api": stats(samples["api"]),
        "server_cpu_ms": cpu,
        "met": sysadmin["p95"] <= TARGET_MS,
    }
