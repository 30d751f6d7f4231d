"""RESULTS.md section of benchmarks/portal.py (home, search and dataset pages)."""

from __future__ import annotations

from typing import Any

from reporting.common import ms, verdict

INTRO = [
    '- Server: `uvicorn tsunagu.asgi:app` with 1 worker on 127.0.0.1, `TSUNAGU_MAP_TILES=""`. '
    "Client: Python `http.client`, one keep-alive connection, sequential, on the same cores. "
    "Each page request is interleaved with the JSON API calls its view makes (order "
    "alternating), so page ÷ API ratios come from the same machine state.",
    "- *TTFB* = until the status line and headers are read; pages are rendered whole before the "
    "first byte is sent (no streaming), so TTFB is the server time plus one loopback round trip, "
    "and *full* adds the body transfer. *API* = the page's main action (`package_search` / "
    "`package_show`) over HTTP, full response; *all actions* = the sum of every action the view "
    "calls, each as its own HTTP request. Times in ms; ratios are page TTFB ÷ API time at the "
    "same percentile.",
    "- Browser rows: Chromium through Playwright, 1280×900; *warm* = one context after two "
    "unrecorded loads, *cold* = a new context (empty cache) per load; `performance.timing`, ms "
    "from navigationStart. The browser's TTFB (`responseStart`) adds navigation overhead to the "
    "raw figure, and `load` is dominated by the front-end assets and scripts (Leaflet on home "
    "and dataset pages, the preview script), not by the server.",
    "- Only cases that repeat are measured: the same page (or many different dataset pages) "
    "against an unchanging catalog; `portal.py` waits while `search.py` or `datastore.py` runs "
    "and measures a row again if one ran meanwhile.",
]


def render_demo(summary: dict[str, Any]) -> list[str]:
    counts, ingest = summary["counts"], summary["ingest"]
    return [
        f"`load_demo` (what `tsunagu demo load` runs) in {summary['load_seconds']:.1f} s: "
        f"{counts['datasets']} datasets ({counts['private']} private), {counts['resources']} "
        f"resources, {counts['organizations']} organisations, {counts['groups']} groups; ingest "
        f"by the server's worker finished in {ingest['seconds']} s with jobs "
        f"{_statuses(ingest['statuses'])} and {counts['tables']} datastore tables. Server ready "
        f"in {summary['server_ready']:.1f} s; worker RSS {summary['rss']:.0f} MiB.",
        *_common(summary, "Demo", preview=True),
    ]


def render_synthetic(summary: dict[str, Any]) -> list[str]:
    counts = summary["counts"]
    made = (
        "reused from an earlier run"
        if summary["reused"]
        else f"generated in {summary['generate_seconds']:.1f} s and bulk-inserted in "
        f"{summary['insert_seconds']:.1f} s"
    )
    return [
        f"{summary['datasets']:,} datasets requested from `benchmarks/search.py`'s seeded "
        f"generator ({counts['datasets']:,} with the one made through the actions, "
        f"{counts['private']:,} private, {counts['resources']:,} resources, "
        f"{counts['organizations']} organisations, {counts['groups']} groups; {made}). The "
        "synthetic resources are links with no datastore tables, so these dataset pages have no "
        "preview; preview figures are the demo's. Ingest workers off "
        f"(`TSUNAGU_INGEST_WORKERS=0`). Server ready (index built) in "
        f"{summary['server_ready']:.1f} s; worker RSS {summary['rss']:.0f} MiB.",
        *_common(summary, f"{summary['datasets']:,} datasets", preview=False),
    ]


def _statuses(statuses: dict[str, int]) -> str:
    return ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))


def _common(summary: dict[str, Any], label: str, preview: bool) -> list[str]:
    lines = [
        "",
        f"{summary['requests']} timed requests per row after {summary['warmup']} unrecorded "
        "rounds."
        + (
            " The dataset view also counts a page view (an UPDATE and a commit in the catalog "
            "database, every request), which is not in the API columns."
            if summary.get("counts_page_views")
            else ""
        ),
        "",
        *_http_table(summary),
        "",
        *_browser_table(summary["browser"]),
        "",
        "Targets:",
        "",
        *_targets(summary, label, preview),
    ]
    return lines


def _http_table(summary: dict[str, Any]) -> list[str]:
    lines = [
        "| page | path | KiB | TTFB p50 | TTFB p95 | TTFB p99 | full p95 | API action | "
        "API p50 | API p95 | page/API p50 | page/API p95 | all actions p95 | page/all p95 |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in summary["cases"]:
        ttfb, api, every = c["page_ttfb"], c["api_full"], c["all_full"]
        extras = c["extras_label"]
        lines.append(
            f"| {c['label']} | `{c['shown']}` | {c['kib']:.0f} | {ms(ttfb['p50'])} | "
            f"**{ms(ttfb['p95'])}** | {ms(ttfb['p99'])} | {ms(c['page_full']['p95'])} | "
            f"{c['primary_label']} | {ms(api['p50'])} | {ms(api['p95'])} | "
            f"{_times(ttfb['p50'], api['p50'])} | {_times(ttfb['p95'], api['p95'])} | "
            + (
                f"{ms(every['p95'])} ({extras}) | {_times(ttfb['p95'], every['p95'])} |"
                if extras
                else "— | — |"
            )
        )
    floor = summary["floor"]
    lines += [
        "",
        f"HTTP floor in the same run (`GET /api/3/action/status_show`): p50 {ms(floor['p50'])} "
        f"ms, p95 {ms(floor['p95'])} ms.",
    ]
    errors = {c["label"]: c["errors"] for c in summary["cases"] if c["errors"]}
    if errors:
        lines.append(f"Failed checks (status or expected content): {errors}.")
    return lines + _overlaps(summary["cases"])


def _times(a: float | None, b: float | None) -> str:
    return f"{a / b:.1f}×" if a is not None and b else "n/a"


def _overlaps(rows: list[dict[str, Any]]) -> list[str]:
    hit = [r for r in rows if r.get("others")]
    if not hit:
        return []
    pids = sorted({p for r in hit for p in r["others"]}, key=int)
    return [
        f"**Another benchmark (search.py/datastore.py, pids {', '.join(pids)}) was running "
        f"during:** {', '.join(r['label'] for r in hit)}; those rows share the cores with it."
    ]


def _browser_table(browser: dict[str, Any]) -> list[str]:
    if browser.get("skipped"):
        return [f"Browser `load` event: {browser['skipped']}."]
    lines = [
        f"Browser: Chromium {browser['version']}, {browser['loads']} loads per row.",
        "",
        "| page | warm TTFB p50 | warm DOMContentLoaded p50 | warm load p50 | warm load p95 | "
        "cold load p50 | cold load p95 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in browser["rows"]:
        cells = [
            row["warm_ttfb_p50"],
            row["warm_dcl_p50"],
            row["warm_load_p50"],
            row["warm_load_p95"],
            row["cold_load_p50"],
            row["cold_load_p95"],
        ]
        lines.append(f"| {row['label']} | " + " | ".join(f"{x:.0f}" for x in cells) + " |")
    if browser["outside"]:
        lines.append(f"\nRequests to other hosts (refused): {', '.join(browser['outside'][:5])}.")
    note = _overlaps(browser["rows"])
    return [*lines, "", *note] if note else lines


def _targets(summary: dict[str, Any], label: str, preview: bool) -> list[str]:
    targets, cases = summary["targets"], summary["cases"]
    out = []
    lists = [c for c in cases if c["key"] == "home" or c["key"].startswith("search")]
    if lists:
        worst = max(lists, key=lambda c: c["page_ttfb"]["p95"])
        value, limit = worst["page_ttfb"]["p95"], targets["list_p95_ms"]
        out.append(
            f"- {label}: home and search TTFB p95 ≤ {limit:.0f} ms: {verdict(value <= limit)} "
            f"(worst: {worst['label']}, {ms(value)} ms)."
        )
    datasets = [c for c in cases if c["key"].startswith("dataset")]
    if datasets:
        worst = max(datasets, key=lambda c: c["page_ttfb"]["p95"])
        value, limit = worst["page_ttfb"]["p95"], targets["dataset_p95_ms"]
        what = "dataset page with preview" if preview else "dataset page (no preview)"
        out.append(
            f"- {label}: {what} TTFB p95 ≤ {limit:.0f} ms: {verdict(value <= limit)} "
            f"(worst: {worst['label']}, {ms(value)} ms)."
        )
    return out
