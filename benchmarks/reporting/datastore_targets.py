"""The datastore benchmark's targets, each against its yardstick from the same run: the
issue's figures for ingest, search and short words, restated as paired ratios."""

from __future__ import annotations

from statistics import median
from typing import Any

from reporting.common import count, ms, ratio, verdict


def own_seconds(ingest: dict[str, Any]) -> float:
    """The ingest's wall time without the ingest_finished listeners (other capabilities)."""
    return float(ingest["seconds"] - ingest.get("listener_seconds", 0.0))


def duckdb_rates(summary: dict[str, Any]) -> tuple[float, float]:
    """DuckDB's parse-only rows/s, and with the transcoding it needs to read cp932 at all."""
    duck = summary["duckdb"]
    memory = duck["memory"]
    return (
        memory["rows"] / memory["seconds"],
        memory["rows"] / (memory["seconds"] + duck["transcode_seconds"]),
    )


def targets(summary: dict[str, Any]) -> list[str]:
    targets, ing = summary["targets"], summary["ingest"]["sqlite"]
    rps, whole = ing["rows"] / own_seconds(ing), ing["rows"] / ing["seconds"]
    parse_rps, both_rps = duckdb_rates(summary)
    goal = targets["duckdb_ratio"]
    lines = [
        f"- Ingest ≥ {goal}× DuckDB's throughput (the first yardstick, which issue 14 replaced "
        "with the floor ratios and sqlite-utils below: no SQLite table can reach it): "
        f"{verdict(rps / parse_rps >= goal)} against "
        f"DuckDB reading the UTF-8 copy ({rps / parse_rps:.3f}×), "
        f"{verdict(rps / both_rps >= goal)} counting the transcoding DuckDB needs to read this "
        f"file at all ({rps / both_rps:.3f}×); with the quality checks that run inside the job "
        f"{whole / parse_rps:.3f}× and {whole / both_rps:.3f}×."
    ]
    floor = summary.get("floor")
    if floor:
        floor_rps = floor["rows"] / floor["seconds"]
        lines.append(
            f"  The raw SQLite floor (same table, indexes and FTS5 on normalised rows) is "
            f"{floor_rps / parse_rps:.3f}× DuckDB; Tsunagu's ingest is {rps / floor_rps:.2f}× "
            "that floor's throughput."
        )
    search = summary["search"]["sqlite"]
    rows = {row["kind"]: row for row in search["kinds"]}
    for label, row in (
        ("equality filter", rows.get("filter: 種別 = …")),
        ("text query (3+ characters)", rows.get("**q, all 3+**")),
    ):
        if not row:
            continue
        p95, raw95 = row["http"]["p95"], row["raw"]["p95"]
        limit, most = targets["search_p95_ms"], targets["search_raw_ratio"]
        lines.append(
            f"- datastore_search, {label}: p95 ≤ {limit:.0f} ms {verdict(p95 <= limit)} "
            f"({ms(p95)} ms over HTTP); ≤ {most:.0f}× raw SQL {verdict(p95 <= most * raw95)} "
            f"({ratio(p95, raw95)} of {ms(raw95)} ms)."
        )
    lines += _restated_targets(summary)
    for backend in ("sqlite", "postgresql"):
        lines += _short_word_targets(summary, backend)
    peak = ing["vmhwm_mb"] + ing.get("reader_maxrss_mb", 0.0)
    lines.append(
        f"- Peak memory of the ingest ≤ {targets['peak_mb']:.0f} MB: "
        f"{verdict(peak <= targets['peak_mb'])} ({peak:.0f} MiB: the peak RSS of the ingest "
        f"process, {ing['vmhwm_mb']:.0f} MiB, plus that of its reader process, "
        f"{ing.get('reader_maxrss_mb', 0.0):.0f} MiB, as if both peaked at once)."
    )
    return lines


def _restated_targets(summary: dict[str, Any]) -> list[str]:
    """Issue 14: ingest against the same storage's floor and against sqlite-utils."""
    targets, ing = summary["targets"], summary["ingest"]["sqlite"]
    pairs = summary.get("floor_pairs")
    if not pairs or not ing.get("queryable_seconds") or "queryable_floor_ratio" not in targets:
        return []
    goal_q, goal_f = targets["queryable_floor_ratio"], targets["full_text_floor_ratio"]
    to_queryable, queryable_text = _paired(
        pairs, "queryable_seconds", "floor_no_fts", "`executemany` + the same B-tree indexes"
    )
    to_full_text, full_text_text = _paired(
        pairs, "full_text_seconds", "floor_seconds", "the whole floor"
    )
    lines = [
        f"- Job start → queryable ≤ {goal_q}× the raw SQLite floor without full text: "
        f"{verdict(to_queryable <= goal_q)} ({queryable_text}).",
        f"- Full text ready ≤ {goal_f}× the whole floor: "
        f"{verdict(to_full_text <= goal_f)} ({full_text_text}).",
    ]
    utils = summary.get("sqlite_utils")
    if utils:
        ours, theirs = ing["rows"] / ing["queryable_seconds"], utils["rows"] / utils["seconds"]
        goal = targets["sqlite_utils_ratio"]
        lines.append(
            f"- Throughput ≥ {goal}× `sqlite-utils insert --csv` on the UTF-8 twin: "
            f"{verdict(ours >= goal * theirs)} ({count(ours)} rows/s to queryable against "
            f"{count(theirs)} rows/s: {ours / theirs:.2f}×)."
        )
    return lines


def _paired(pairs: list[dict[str, float]], ours: str, theirs: str, what: str) -> tuple[float, str]:
    """The median ratio of each ingest's ``ours`` to the floor's ``theirs`` measured beside it,
    and the sentence giving every pair."""
    ratios = [p[ours] / p[theirs] for p in pairs]
    each = ", ".join(
        f"{p[ours]:.1f} s against {p[theirs]:.1f} s: {r:.2f}×"
        for p, r in zip(pairs, ratios, strict=True)
    )
    if len(pairs) == 1:
        return ratios[0], f"{each}, {what}"
    return median(ratios), (
        f"median {median(ratios):.2f}× of {len(pairs)} ingests, each against {what} measured "
        f"right before or after it: {each}"
    )


def _short_word_targets(summary: dict[str, Any], backend: str) -> list[str]:
    search = summary["search"].get(backend)
    limits = summary["targets"].get("short_p95_ms")
    if not search or not limits:
        return []
    rows = {row["kind"]: row for row in search["kinds"]}
    lines = []
    name = "SQLite" if backend == "sqlite" else "PostgreSQL"
    for kind in ("q: 2 characters", "q: 2 characters + 種別 = …"):
        row = rows.get(kind)
        if not row:
            continue
        p95, raw95 = row["http"]["p95"], row["raw"]["p95"]
        limit, most = limits[backend], summary["targets"]["search_raw_ratio"]
        lines.append(
            f"- {name}, {kind.removeprefix('q: ')}: p95 ≤ {limit:.0f} ms {verdict(p95 <= limit)} "
            f"({ms(p95)} ms over HTTP); ≤ {most:.0f}× raw SQL {verdict(p95 <= most * raw95)} "
            f"({ratio(p95, raw95)} of {ms(raw95)} ms)."
        )
    return lines
