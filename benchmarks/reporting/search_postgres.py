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
    "- *raw SQL*: PostgreSQL answering each search alone: the statements of the backend's SQL "
    "path (`PostgresSearch.plan`: found, counted, ranked, paged and faceted in SQL), over one "
    "psycopg connection without the app. Since the search from seqs "
    "(`search/postgres/in_process.py`), the app answers from each process's remembered term "
    "seqs and copy of the index, and asks PostgreSQL only for what changed and the page.",
    "- Warm-up: the mix once on each system, then twice more over HTTP with a new connection per "
    "request, so that both workers have seen it; the timed passes follow. A fresh process's "
    "first searches are measured apart (below).",
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
    copy = summary.get("copy")
    if copy:
        lines += [
            "",
            f"Each process's copy of the index (doc_copy.py), read afresh as after every change: "
            f"{copy['read_seconds']:.2f} s with all {copy['sort_fields']} sort fields, "
            f"{copy['copy_mib']:.1f} MiB; the SQL path answers while it is read. Term answers "
            f"held by the benchmark process after the runs: {copy['terms_held']:,} terms, "
            f"{copy['term_seqs_mib']:.1f} MiB of seqs (at most 45.8 MiB, least recently used "
            "forgotten first). Worker RSS after the runs: "
            + ", ".join(f"{mib:.0f}" for mib in summary["server"]["rss_mib"])
            + " MiB.",
        ]
        first = copy.get("first_pass")
        if first:
            lines += [
                "",
                "The mix once more in a process just started: its start (`load`: catch-up, "
                "then a background read of the common facets' values of every document, the "
                "active and private documents and the copy of the index) took "
                f"{copy.get('start_seconds', float('nan')):.2f} s; then each term's or phrase's "
                "first search reads its matches from PostgreSQL, "
                f"in-process: p50 {ms(first['p50'])}, p95 {ms(first['p95'])}, "
                f"max {ms(first['max'])} ms.",
            ]
    for mismatch in checks.get("mismatches", []):
        lines.append(f"- differs from the embedded engine: {mismatch}")
    return lines
