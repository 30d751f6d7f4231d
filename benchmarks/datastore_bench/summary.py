"""The datastore benchmark's figures: phases, medians and the summary written to
benchmarks/results/datastore.json."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from runrecord import stats

from datastore_bench.config import (
    REPO,
    SEARCH_LIMIT,
    TARGET_DUCKDB_RATIO,
    TARGET_FULL_TEXT_FLOOR_RATIO,
    TARGET_PEAK_MB,
    TARGET_QUERYABLE_FLOOR_RATIO,
    TARGET_SEARCH_P95_MS,
    TARGET_SEARCH_RAW_RATIO,
    TARGET_SHORT_P95_MS,
    TARGET_SQLITE_UTILS_RATIO,
)
from datastore_bench.searching import Timings
from datastore_bench.source_file import SourceFile
from datastore_bench.vocabulary import HEADER, Q_WORDS, SHORT_ALONE, WORDS_2

PHASE_ORDER = [
    "read: open, sniff, layout",
    "read: decode + csv + body rows",
    "infer: infer_types on the sample",
    "convert: convert_row",
    "insert: build parameter tuples (_sqlite_value, full_text)",
    "insert: sqlite executemany",
    "insert: commit + progress update",
    "index: B-tree indexes",
    "index: FTS5 trigram build",
    "index: trigram GIN",
    "publish: rename, metadata, commit",
    "after: ingest_finished listeners (quality checks, not the datastore)",
    "other (pipeline loop, tempdir, job log)",
]


def phases_of(split: dict[str, Any]) -> dict[str, float]:
    p = defaultdict(float, split["phases"])
    out = {k: p[k] for k in PHASE_ORDER[:4]}
    out[PHASE_ORDER[4]] = p["insert_rows"] - p["insert: sqlite executemany"]
    out[PHASE_ORDER[5]] = p["insert: sqlite executemany"]
    if "_insert_all" in p:
        # Rows are read and converted lazily inside the batch loop.
        inside = p["insert_rows"] + p[PHASE_ORDER[1]] + p[PHASE_ORDER[3]]
        out[PHASE_ORDER[6]] = p["_insert_all"] - inside
    else:
        out[PHASE_ORDER[6]] = p["_flush"] - p["insert_rows"]
    out[PHASE_ORDER[7]] = p["index: B-tree indexes"]
    out[PHASE_ORDER[8]] = p["index: FTS5 trigram build"]
    out[PHASE_ORDER[9]] = p["index: trigram GIN"]
    # The indexes are built outside _publish: B-tree on the staging table, full text after.
    out[PHASE_ORDER[10]] = p["_publish"]
    out[PHASE_ORDER[11]] = split.get("listener_seconds", 0.0)
    out[PHASE_ORDER[12]] = split["seconds"] - sum(out.values())
    return {k: v for k, v in out.items() if v > 0.0005 or k.startswith(("read", "convert"))}


def own_seconds(ingest: dict[str, Any]) -> float:
    """The ingest's wall time without the ingest_finished listeners (other capabilities)."""
    return float(ingest["seconds"] - ingest.get("listener_seconds", 0.0))


def all_q(by_kind: dict[str, Timings]) -> Timings:
    out = Timings()
    for kind, t in by_kind.items():
        if kind.startswith("q: ") and "2 characters" not in kind:
            out.extend(t)
    return out


# -- the results file ----------------------------------------------------------------------------

BACKENDS = (("sqlite", "sqlite"), ("postgresql", "postgres"))  # results name, report key
INGEST_KEYS = (
    "rows", "seconds", "queryable_seconds", "full_text_seconds", "postings_seconds",
    "upload_seconds",
    "listener_seconds", "vmhwm_mb", "reader_maxrss_mb", "reader_cpu_seconds", "rss_before_mb",
    "user_seconds", "system_seconds", "status",
    "error", "fields", "indexes",
)  # fmt: skip


def _search_summary(result: dict[str, Any]) -> dict[str, Any]:
    by_kind: dict[str, Timings] = result["by_kind"]
    order = sorted(by_kind, key=lambda k: (k.startswith("q"), "2 char" in k, k))
    rows = [(kind, by_kind[kind]) for kind in order]
    q_all = all_q(by_kind)
    if q_all.http:
        shorts = sum(kind.startswith(SHORT_ALONE) for kind in by_kind)
        rows.insert(len(rows) - shorts, ("**q, all 3+**", q_all))
    kinds = []
    for kind, t in rows:
        hits = t.hits or [0]
        kinds.append(
            {
                "kind": kind,
                **{
                    name: stats(getattr(t, name))
                    for name in ("http", "http_before", "action", "raw")
                },
                "hits": {"median": float(np.median(hits)), "min": min(hits), "max": max(hits)},
                "errors": t.errors,
                "mismatches": t.mismatches,
            }
        )
    return {
        "server_ready": result["server_ready"],
        "server_rss_mb": result["server_rss_mb"],
        "limit": SEARCH_LIMIT,
        "floor": stats(result["floor_ms"]),
        "kinds": kinds,
        "short_word_postings": result.get("short_word_postings"),
    }


def _profile_summary(prof: dict[str, Any]) -> dict[str, Any]:
    def label(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "function": row["function"].replace(f"{REPO}/", "")}

    cumulative = [
        label(row)
        for row in prof["profile"]["cumulative"]
        if "profile" not in row["function"] and not row["function"].endswith(("run_job", "_ingest"))
    ]
    return {
        "rows": prof["rows"],
        "seconds": prof["seconds"],
        "total": prof["profile"]["total"],
        "pstats": Path(prof["pstats"]).name,
        "own": [label(row) for row in prof["profile"]["own"][:14]],
        "cumulative": cumulative[:12],
    }


def summarise(report: dict[str, Any]) -> dict[str, Any]:
    """What goes into benchmarks/results/datastore.json: figures, not samples."""
    src: SourceFile = report["source"]
    split = report.get("split_sqlite")
    return {
        "file": {
            "rows": src.rows,
            "size_bytes": src.size,
            "sha256": src.sha256,
            "generate_seconds": src.generate_seconds,
            "header": HEADER,
            "expected": src.expected,
        },
        "load": [load[0] for load in report["load"]],
        "before": (
            {"ref": report["before_ref"], "changed": report["changed"]}
            if report.get("changed")
            else None
        ),
        "duckdb": report["duckdb"],
        "ingest": {
            backend: {k: ing[k] for k in INGEST_KEYS if k in ing}
            for backend, key in BACKENDS
            if (ing := report.get(f"ingest_{key}"))
        },
        "floor": report.get("floor"),
        "floor_pairs": report.get("floor_pairs"),
        "parse_floor": report.get("parse_floor"),
        "check": report.get("check"),
        "split": (
            {"seconds": split["seconds"], "phases": list(phases_of(split).items())}
            if split
            else None
        ),
        "profile": _profile_summary(report["profile"]) if report.get("profile") else None,
        "ab": report.get("ab"),
        "search": {
            backend: _search_summary(result)
            for backend, key in BACKENDS
            if (result := report.get(f"search_{key}"))
        },
        "q_words": {group: len(words) for group, words in Q_WORDS.items()},
        "words_2": WORDS_2,
        "postgres_version": report.get("postgres_version"),
        "postgres_skipped": report.get("postgres_skipped"),
        "targets": {
            "duckdb_ratio": TARGET_DUCKDB_RATIO,
            "search_p95_ms": TARGET_SEARCH_P95_MS,
            "search_raw_ratio": TARGET_SEARCH_RAW_RATIO,
            "peak_mb": TARGET_PEAK_MB,
            "queryable_floor_ratio": TARGET_QUERYABLE_FLOOR_RATIO,
            "sqlite_utils_ratio": TARGET_SQLITE_UTILS_RATIO,
            "full_text_floor_ratio": TARGET_FULL_TEXT_FLOOR_RATIO,
            "short_p95_ms": TARGET_SHORT_P95_MS,
        },
        "sqlite_utils": report.get("sqlite_utils"),
    }
