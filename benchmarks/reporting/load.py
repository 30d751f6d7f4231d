"""RESULTS.md section of benchmarks/load.py (concurrent clients, every acknowledged write read
back)."""

from __future__ import annotations

import json
from typing import Any

from reporting.common import count

INTRO = [
    "Concurrent clients (one asyncio process, httpx, on the same cores as the server) doing at "
    "once what a catalog's users do — searches, dataset pages, datastore queries and SQL, "
    "dataset writes and file uploads — against `uvicorn tsunagu.asgi:app` on the demo catalog "
    "(山口県 and its cities, every datastore table loaded). Writes use a sysadmin token, reads "
    "are anonymous. After the run every acknowledged write is read back (*missing after*). "
    "Beside it, on the same catalog: the framework floor (the same clients calling "
    "`status_show`, no database work) and raw SQL (as many threads doing the database part of "
    "the mix directly with SQLAlchemy Core: name lookups, a LIKE search, inserts and updates).",
]


def render(summary: dict[str, Any]) -> list[str]:
    run = summary["run"]
    ack, missing = run["acknowledged"], sum(run["missing_after_run"].values())
    floor, raw = run["floor"], run["raw_sql"]
    lines = [
        f"{run['clients']} clients for {run['seconds']:.0f} s on {run['label']} with "
        f"{run['workers']} worker processes; {run['datasets']} datasets and "
        f"{run['datastore_tables']} datastore tables to aim the reads at. Mix (weights out of "
        "100): " + ", ".join(f"{k} {v}" for k, v in summary["mix"].items()) + ".",
        "",
        "| requests | req/s | p50 ms | p95 ms | p99 ms | errors | acknowledged writes | "
        "missing after | status_show req/s (floor) | mix ÷ floor | raw SQL ops/s | "
        "mix ÷ raw SQL |",
        "|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
        f"| {run['requests']:,} | {count(run['per_second'])} | {run['p50_ms']:.1f} | "
        f"{run['p95_ms']:.1f} | {run['p99_ms']:.1f} | {run['errors']} | {ack['created']} "
        f"created, {ack['patched']} patched, {ack['uploaded']} uploads | {missing} | "
        f"{count(floor['per_second'])} | {run['per_second'] / floor['per_second']:.2f}× | "
        f"{count(raw['per_second'])} | {run['per_second'] / raw['per_second']:.2f}× |",
        "",
        "By kind (ms):",
        "",
        "| kind | n | p50 | p95 | p99 | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, row in run["by_kind"].items():
        lines.append(
            f"| {kind} | {row['n']:,} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | "
            f"{row['p99_ms']:.1f} | {row['errors']} |"
        )
    rss = ", ".join(f"{x:.0f}" for x in run["worker_rss_mib"])
    lines += [
        "",
        f"Worker RSS after the run: {rss} MiB. Load generator CPU: "
        f"{run['client_cpu_seconds']:.0f} s over {run['seconds']:.0f} s. status_show floor p50 "
        f"{floor['p50_ms']:.1f} / p95 {floor['p95_ms']:.1f} ms.",
    ]
    if run["error_samples"]:
        lines.append(f"Errors (first few): {json.dumps(run['error_samples'], ensure_ascii=False)}")
    return lines
