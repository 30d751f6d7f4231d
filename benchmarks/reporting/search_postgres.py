"""RESULTS.md section of benchmarks/search_postgres.py (package_search on the PostgreSQL search
backend, issue 14)."""

from __future__ import annotations

from typing import Any

from reporting.common import ms, ratio, verdict

TARGET_P95_MS = 50.0
TARGET_DATASETS = 100_000
INTRO = [
    "- Server: `uvicorn tsunagu.asgi:app --workers 2` with `TSUNAGU_SEARCH_BACKEND=postgresql` on a "
    "throwaway PostgreSQL holding `benchmarks/search.py`'s generated catalog (copied from its "
    "SQLite catalog), the same query mix as search.py.",
    "- *raw SQL*: the very statements the backend sends for each query, over one psycopg "
    "connection without the app: what the HTTP figure costs beyond PostgreSQL's own work.",
]


def render(summary: dict[str, Any]) -> list[str]:
    overall = summary["overall"]
    checks = summary["checks"]
    p95 = overall["http"]["p95"]
    lines = [
        f"{summary['datasets']:,} datasets; shared index built (rebuild) in "
        f"{summary['build_seconds']:.1f} s; table sizes {summary['sizes']}.",
        "",
        f"Same count, first page and facets as the embedded engine: "
        f"{checks['same_as_embedded']} of {summary['queries']} queries"
        + ("" if summary["compared"] else " (not compared in this run)")
        + f"; HTTP count equal to in-process: {checks['http_vs_engine']}.",
        "",
        "| kind | HTTP p50 | HTTP p95 | in-process p95 | raw SQL p95 | HTTP / raw (p95) |",
        "|---|---|---|---|---|---|",
    ]
    for row in [{"kind": "all", **overall}, *summary["kinds"]]:
        lines.append(
            f"| {row['kind']} | {ms(row['http']['p50'])} | {ms(row['http']['p95'])}"
            f" | {ms(row['engine']['p95'])} | {ms(row['raw']['p95'])}"
            f" | {ratio(row['http']['p95'], row['raw']['p95'])} |"
        )
    target = f"Target: package_search p95 ≤ {TARGET_P95_MS:.0f} ms over HTTP at 100,000 datasets"
    if summary["datasets"] >= TARGET_DATASETS:
        lines += ["", f"{target}: {verdict(p95 is not None and p95 <= TARGET_P95_MS)} ({ms(p95)})."]
    else:
        lines += ["", f"{target}: not judged on {summary['datasets']:,} datasets ({ms(p95)})."]
    for mismatch in checks.get("mismatches", []):
        lines.append(f"- differs from the embedded engine: {mismatch}")
    return lines
