"""The batch part of the staff section of RESULTS.md (benchmarks/staff_batch.py)."""

from __future__ import annotations

from typing import Any

from reporting.common import verdict


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def render(batch: dict[str, Any]) -> list[str]:
    lines = [
        "#### Many files at once: 30 standard files and a metadata sheet until every table is "
        f"queryable (target ≤ {batch['target_seconds']:.0f} s: {verdict(batch['met'])})",
        "",
        "A server of its own (1 worker, 1 ingest worker, SQLite, an empty catalog), the page's "
        "own requests: the form's POST with 30 CSV files and an .xlsx sheet (the preview), the "
        "create button's POST, then `batch_status` every 0.25 s; at the end `datastore_search` "
        "on every table. Times from the first byte of the upload.",
        "",
        "| municipalities | files (MB) | preview | drafts made | every table loaded | tables "
        "queryable |",
        "|---|---|---|---|---|---|",
    ]
    for run in batch["runs"]:
        seconds = run["seconds"]
        lines.append(
            f"| {', '.join(run['municipalities'])} | {run['files']} "
            f"({run['bytes'] / 1e6:.2f}) | {_s(seconds.get('upload_preview'))} | "
            f"{_s(seconds.get('drafts_made'))} | {_s(seconds.get('loaded'))} | "
            f"{run['queryable']} / {run['tables']} |"
        )
    lines.append("")
    return lines
