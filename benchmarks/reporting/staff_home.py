"""The 要対応 home part of the staff section of RESULTS.md (benchmarks/staff_home.py)."""

from __future__ import annotations

from typing import Any

from reporting.common import ms, trio, verdict

LINES = {
    "personal_data": "files the personal-data guard stops",
    "ingest_errors": "failed ingests",
    "quality_errors": "quality errors",
    "stale_drafts": "drafts older than a week",
    "overdue": "overdue (鮮度)",
    "low_rating": "below the organisation's ★/score",
    "missing_standards": "standard datasets a municipality lacks",
}


def render(home: dict[str, Any]) -> list[str]:
    seeded = home["seeded"]
    cpu = home.get("server_cpu_ms") or {}
    found = ", ".join(f"{LINES.get(kind, kind)} {count:,}" for kind, count in home["lines"].items())
    lines = [
        f"#### 要対応 home (`/staff`), {home['requests']} timed rounds, the three requests "
        "shuffled within each round",
        "",
        f"Added for this part (SQL only, not in the index): {seeded['ingest_jobs']:,} ingest "
        f"jobs, {seeded['ingest_failed']:,} files whose latest ingest failed, "
        f"{seeded['pii_blocked']:,} files the personal-data guard stops (and "
        f"{seeded['pii_overridden']:,} overridden), minimums set by "
        f"{seeded['organizations_with_minimums']} organisations. What the sysadmin's home lists "
        f"({home['organizations']} organisations, {home['total']:,} items): {found}.",
        "",
        "| request | p50 / p95 / p99 ms | server CPU ms a request |",
        "|---|---:|---:|",
        f"| `/staff` as sysadmin (whole prefecture; TTFB) | {trio(home['sysadmin'])} | "
        f"{ms(cpu.get('sysadmin'))} |",
        f"| `/staff` as the largest organisation's admin (TTFB) | {trio(home['org_admin'])} | "
        f"{ms(cpu.get('org_admin'))} |",
        f"| `staff_attention_list` over the API as sysadmin (limit 5) | {trio(home['api'])} | "
        f"{ms(cpu.get('api'))} |",
        "",
        "*Server CPU*: the server process's user + system time over 30 such requests in a row, "
        "divided by 30 — what a request costs whatever else runs on the machine.",
        "",
        f"Target: the sysadmin's home in ≤ {home['target_ms']:.0f} ms at this size — p95 "
        f"{ms(home['sysadmin']['p95'])} ms: {verdict(home['met'])}.",
        "",
    ]
    return lines
