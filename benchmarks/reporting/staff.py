"""RESULTS.md section of benchmarks/staff.py (the staff workspace pages, issue 15).

The script measures parts (the staff table, the 要対応 home and the batch); a part not in
the results file is shown as not measured, with the option that measures it.
"""

from __future__ import annotations

from typing import Any

from reporting import staff_batch, staff_home
from reporting.common import ms, ratio, trio, verdict

INTRO = [
    "- Server: `uvicorn tsunagu.asgi:app` with 1 worker on 127.0.0.1, ingest off. Client: "
    "Python `http.client`, one keep-alive connection per user, signed in through the sign-in "
    "form, sequential, on the same cores. *TTFB* = until the status line and headers are read "
    "(pages are rendered whole before the first byte). Times in ms.",
    "- Catalog: `benchmarks/search.py`'s seeded generator, then what staff pages filter on, "
    "written into the rows: 3 % drafts, update frequencies (datasets whose data is older than "
    "their period plus grace are overdue), a declared standard on 10 %, a quality check "
    "summary on 40 % of the CSV/XLSX files (an eighth of them with errors).",
]

# Parts of the script and what each one's target is; those not in the results are listed as
# not measured.
PARTS = {
    "table": "staff dataset table, filtered page TTFB p95 ≤ 100 ms",
    "home": "要対応 home for a sysadmin ≤ 200 ms",
    "batch": "30-file batch with a metadata sheet queryable ≤ 60 s",
}


def render(summary: dict[str, Any]) -> list[str]:
    catalog = summary["catalog"]
    made = (
        "reused from an earlier run"
        if summary.get("reused")
        else f"generated in {summary['generate_seconds']:.1f} s and bulk-inserted in "
        f"{summary['insert_seconds']:.1f} s"
    )
    lines = [
        f"{summary['datasets']:,} datasets ({made}); {catalog['drafts']:,} drafts, "
        f"{catalog['with_frequency']:,} with an update frequency, {catalog['with_standard']:,} "
        f"with a declared standard, {catalog['checked_resources']:,} resources with a check "
        f"summary. The organisation admin's organisation (`{catalog['staff_org']}`) holds "
        f"{catalog['staff_org_datasets']:,} datasets. Server ready (index built) in "
        f"{summary['server_ready']:.1f} s; worker RSS {summary['rss']:.0f} MiB.",
        "",
    ]
    for part, target in PARTS.items():
        if part not in summary:
            lines += [f"- `{part}` ({target}): not measured in this run.", ""]
    if "table" in summary:
        lines += _table(summary["table"])
    if "home" in summary:
        lines += staff_home.render(summary["home"])
    if "batch" in summary:
        lines += staff_batch.render(summary["batch"])
    return lines


_USERS = {
    "sysadmin": "Sysadmin (every dataset)",
    "org_admin": "Admin of the largest organisation (its datasets only)",
}


def _table(table: dict[str, Any]) -> list[str]:
    lines = [
        f"#### Staff dataset table (`/staff/datasets`), {table['requests']} timed rounds per "
        "page, pages shuffled within each round",
        "",
        "*package_search* is the call the page makes, sent to the HTTP API with the same "
        "parameters (`include_private`, `include_drafts`, the filters as `fq`, 50 rows).",
        "",
    ]
    for role, label in _USERS.items():
        user = table["users"].get(role)
        if user is None:
            continue
        lines += [
            f"{label}:",
            "",
            "| page | datasets matched | TTFB p50 / p95 / p99 | package_search p50 / p95 / p99 "
            "| page ÷ API p95 |",
            "|---|---:|---:|---:|---:|",
        ]
        for case in user["cases"]:
            filtered = "" if case["filtered"] else " (unfiltered)"
            lines.append(
                f"| {case['label']}{filtered} | {case['count']:,} | {trio(case['ttfb'])} | "
                f"{trio(case['api'])} | {ratio(case['ttfb']['p95'], case['api']['p95'])} |"
            )
        pooled = user["filtered_ttfb"]
        lines += [
            "",
            f"Every filtered page together: TTFB p50 {ms(pooled['p50'])}, p95 "
            f"**{ms(pooled['p95'])}**, p99 {ms(pooled['p99'])} ms.",
            "",
        ]
    lines += [
        f"Target: a filtered page in TTFB p95 ≤ {table['target_p95_ms']:.0f} ms at this size — "
        f"worst user's p95 {ms(table['worst_filtered_p95'])} ms: {verdict(table['met'])}.",
        "",
    ]
    return lines
