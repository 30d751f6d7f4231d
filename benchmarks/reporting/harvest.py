"""RESULTS.md section of benchmarks/harvest.py (one Tsunagu harvesting another as CKAN)."""

from __future__ import annotations

from typing import Any

INTRO = [
    "One Tsunagu harvests another over HTTP as a CKAN source (issue 11): a full harvest, then "
    "an incremental one after 1 % of the remote datasets changed, then the same with the "
    "deletion check (`package_list` compared with every remote id). Both servers are "
    "`uvicorn tsunagu.asgi:app` with 1 worker on SQLite; the harvesting one has ingest off, so "
    "only harvesting is measured. Times are each job's own start-to-finish, from its history. "
    "Targets: the incremental harvest ≥ 20× faster than the full one, peak memory of the "
    "harvesting server ≤ 300 MB."
]


def _row(label: str, figures: dict[str, Any]) -> str:
    counts = figures["counts"]
    rate = figures["written_per_second"]
    return (
        f"| {label} | {counts['added']:,} | {counts['updated']:,} | {counts['unchanged']:,} | "
        f"{counts['withdrawn']:,} | {counts['errored']:,} | {figures['seconds']:.2f} | "
        f"{rate:.1f} |"
        if rate is not None
        else f"| {label} | … |"
    )


def render(summary: dict[str, Any]) -> list[str]:
    targets = summary["targets"]
    ratio, peak = summary["ratio"], summary["peak_mb"]
    lines = [
        f"- Remote catalog: {summary['remote_datasets']:,} datasets (search.py's generator, 5 % "
        f"private, read with the source's API key); {summary['harvested']:,} datasets here "
        f"afterwards. Pages of {summary['page_size']} (`package_search`).",
        f"- Changed before the incremental runs: {summary['changed']:,} titles, through the "
        f"remote's `package_patch` ({summary['change_seconds']:.1f} s).",
        "",
        "| job | added | updated | unchanged | withdrawn | errors | seconds | written/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        _row("full", summary["full"]),
        _row("incremental (1 % changed)", summary["incremental"]),
        _row("incremental + deletion check", summary["incremental_listed"]),
        "",
        f"- Full harvest: **{summary['full']['written_per_second']:.1f} datasets/s**.",
        f"- Incremental: **{ratio:.0f}× faster** than the full run (target ≥ "
        f"{targets['ratio']:.0f}×: {'met' if ratio >= targets['ratio'] else 'not met'}); with "
        f"the deletion check {summary['ratio_listed']:.0f}×.",
        f"- Peak memory of the harvesting server over the three jobs: **{peak:.0f} MB** (target "
        f"≤ {targets['peak_mb']:.0f} MB: {'met' if peak <= targets['peak_mb'] else 'not met'}); "
        f"{summary['peak_mb_with_search']:.0f} MB once a search has built the index of every "
        "harvested dataset, with the reading dictionary (pykakasi) every serving process loads.",
    ]
    return lines
