"""RESULTS.md lines of the plan_dashboard part of benchmarks/analytics.py."""

from __future__ import annotations

from typing import Any

from reporting.common import trio, verdict


def render(part: dict[str, Any]) -> list[str]:
    plan = part["plan"]
    warm = part["page_warm"]
    lines = [
        f"#### Plan dashboard: {plan['measures']} measures, {plan['indicators']} indicators, "
        f"{plan['days']:,} days of daily history each ({plan['snapshot_rows']:,} snapshot rows)",
        "",
        f"{part['requests']} timed requests each over one keep-alive connection after 3 "
        f"unrecorded ones; *cold*: the plan touched before each of {part['cold_requests']} "
        "requests, so the overview is computed again from the database (as after any change "
        "to the plan or a new day's snapshot); *warm*: the overview kept by the process.",
        "",
        "| request | TTFB p50 / p95 / p99 ms | full p50 / p95 / p99 ms | bytes |",
        "|---|---:|---:|---:|",
        f"| dashboard page, warm | {trio(warm['ttfb'])} | {trio(warm['full'])} | "
        f"{warm['bytes']:,} |",
        f"| dashboard JSON, warm | {trio(part['json_warm']['ttfb'])} | "
        f"{trio(part['json_warm']['full'])} | {part['json_warm']['bytes']:,} |",
        f"| dashboard page, cold | {trio(part['page_cold']['ttfb'])} | "
        f"{trio(part['page_cold']['full'])} | |",
        "",
        f"Target: page TTFB p95 ≤ {part['target_ms']:g} ms — {warm['ttfb']['p95']:.1f} ms: "
        f"{verdict(part['met'])}.",
        "",
    ]
    return lines
