"""RESULTS.md section of benchmarks/analytics.py (usage analytics and the plan dashboard, issue 12).

The script measures parts; a part not in the results file is shown as not measured.
"""

from __future__ import annotations

from typing import Any

from reporting.common import count, ratio, trio, verdict
from reporting.plan_dashboard import render as render_plan_dashboard

INTRO = [
    "- Servers: `uvicorn tsunagu.asgi:app`, 1 worker each, ingest, harvest and snapshots off, on "
    "one SQLite catalog (`benchmarks/search.py`'s seeded generator) with 90 days of usage "
    "history written into it. Client: Python `http.client` keep-alive connections in one "
    "process on the same cores.",
    "- *Analytics on/off*: two servers identical but for `TSUNAGU_USAGE_ANALYTICS` (1 / 0), "
    "loaded in turn for the same time, round by round, the order alternating (on-off, "
    "off-on, …), so that other work on the machine falls on both alike. The ratio is the "
    'requests the "on" server answered per second over the "off" server\'s, over all rounds.',
]

# Parts of the script and what each one's target is.
PARTS = {
    "usage": "package_show and dataset page throughput with analytics on ≥ 0.9× off",
    "plan_dashboard": "plan dashboard (100 measures, 150 indicators, 5 years daily) TTFB p95 "
    "≤ 100 ms",
}


def render(summary: dict[str, Any]) -> list[str]:
    made = (
        "reused from an earlier run"
        if summary.get("reused")
        else f"generated in {summary['generate_seconds']:.1f} s and bulk-inserted in "
        f"{summary['insert_seconds']:.1f} s"
    )
    history = summary["history"]
    lines = [
        f"{summary['datasets']:,} datasets ({made}); usage history: {history['days']} days, "
        f"{history['daily_rows']:,} daily rows, {history['datasets_used']:,} datasets used.",
        "",
    ]
    for part, target in PARTS.items():
        if part not in summary:
            lines += [f"- `{part}` ({target}): not measured in this run.", ""]
    if "usage" in summary:
        lines += _usage(summary["usage"])
    if "plan_dashboard" in summary:
        lines += render_plan_dashboard(summary["plan_dashboard"])
    return lines


def _usage(usage: dict[str, Any]) -> list[str]:
    lines = [
        f"#### Usage analytics on against off: {usage['rounds']} rounds of "
        f"{usage['seconds']:g} s per server and case, {usage['connections']} keep-alive "
        "connections",
        "",
        "| request | on: req/s | off: req/s | on ÷ off | rounds' ratios (min–max) | "
        "p50 / p95 / p99 ms on | p50 / p95 / p99 ms off | failed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in usage["cases"]:
        rounds = case["round_ratios"] or [None]
        spread = f"{min(rounds):.2f}–{max(rounds):.2f}" if rounds[0] is not None else "–"
        lines.append(
            f"| {case['label']} | {count(case['rps_on'])} | {count(case['rps_off'])} | "
            f"{ratio(case['rps_on'], case['rps_off'])} | {spread} | "
            f"{trio(case['latency_on'])} | {trio(case['latency_off'])} | {case['failed']} |"
        )
    worst = min((c["ratio"] or 0) for c in usage["cases"])
    stored, answered = usage["counted"]["stored_today"], usage["counted"]["answered_on"]
    lines += [
        "",
        f"Target: on ≥ {usage['target_ratio']:g}× off for each — lowest {worst:.2f}×: "
        f"{verdict(usage['met'])}.",
        "",
        f'Counted: the "on" server answered {answered["api_views"]:,} package_show calls and '
        f"{answered['page_views']:,} dataset pages (warm-up included); today's stored counts "
        f"grew by {stored['api_views']:,} API views and {stored['page_views']:,} page views "
        '(the "off" server adds none).',
        "",
    ]
    popular = usage.get("popular")
    if popular:
        lines += [
            f"`usage_popular_list` over the HTTP API (limit 10), {popular['requests']} timed "
            "calls each, over the 90 days of history:",
            "",
            "| call | p50 / p95 / p99 ms |",
            "|---|---:|",
        ]
        labels = {
            "30d": "last 30 days, by downloads",
            "7d_page_views": "last 7 days, by page views",
            "all": "all time (running totals)",
            "30d_organization": f"last 30 days, one organisation (`{popular['organization']}`)",
        }
        for key, timing in popular["calls"].items():
            lines.append(f"| {labels.get(key, key)} | {trio(timing)} |")
        lines.append("")
    return lines
