"""RESULTS.md section of benchmarks/postings_rebuild.py: writes to a datastore table while its
short-word postings are rebuilt (PostgreSQL)."""

from __future__ import annotations

from typing import Any

from reporting.common import ms, ratio

INTRO = [
    "- One writer inserts a row every 50 ms, each insert its own transaction, over its own "
    "connection; the table is the benchmark's own, shaped as an ingest leaves one.",
    "- *now*: the rebuild of this version (writes wait only while it sets its reading mark and "
    "while it swaps the postings in); *before*: the rebuild of `a7978f3^`, which held the table "
    "against writes from its read to its commit; *none*: the same writes with no rebuild.",
]

_LABELS = {"none": "no rebuild", "now": "rebuild, now", "before": "rebuild, before (a7978f3^)"}


def render(summary: dict[str, Any]) -> list[str]:
    phases = summary["phases"]
    baseline = phases["none"]["writes"]
    lines = [
        *INTRO,
        "",
        f"{summary['rows']:,} rows; first build of the postings "
        f"{summary['first_build_seconds']:.1f} s.",
        "",
        "| writes during | rebuild | writes | p50 | p95 | max | max / no rebuild's max |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("none", "now", "before"):
        found = phases[name]
        writes = found["writes"]
        seconds = found["rebuild_seconds"]
        lines.append(
            f"| {_LABELS[name]} | {'–' if seconds is None else f'{seconds:.1f} s'}"
            f" | {writes['n']} | {ms(writes['p50'])} ms | {ms(writes['p95'])} ms"
            f" | {ms(writes['max'])} ms | {ratio(writes['max'], baseline['max'])} |"
        )
    return lines
