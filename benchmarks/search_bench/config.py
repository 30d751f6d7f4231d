"""Where the search benchmark works and what code it measures (a private copy of src/, put
first on sys.path when this module is imported, before anything imports tsunagu), and the
targets it checks."""

from __future__ import annotations

import sys
from pathlib import Path

from snapshot import snapshot_source

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".work"
REPO = ROOT.parent


# A benchmark that imports this module (benchmarks/portal.py) takes its own snapshot and names
# it here first, so that importing never replaces .work/src under a search.py run in progress.
SRC_ENV = "TSUNAGU_BENCH_SEARCH_SRC"


SRC = snapshot_source(SRC_ENV, "src")
sys.path.insert(0, str(SRC))


# Bump when the generator changes, so --reuse never picks up a catalog of another shape.
GENERATOR_VERSION = 1
TARGET_SEARCH_P95_MS = 30.0
TARGET_SHOW_RPS = 800.0
TARGET_INDEX_MIB = 500.0  # index memory per host, however many workers (issue 14)
TARGET_READY_SECONDS = 10.0  # a worker ready from a snapshot
TARGET_REBUILD_SECONDS = 60.0
# The nationwide scale (issue 14): build time and memory are reported, the search p95 has a target.
LARGE_CATALOG = 1_000_000
TARGET_LARGE_SEARCH_P95_MS = 50.0


def result_name(datasets: int) -> str:
    """search.json for the 100,000-dataset figures, search-1m.json for the nationwide scale."""
    return "search-1m" if datasets >= LARGE_CATALOG else "search"


def targets_for(datasets: int) -> dict[str, float]:
    if datasets >= LARGE_CATALOG:
        return {"search_p95_ms": TARGET_LARGE_SEARCH_P95_MS}
    return {
        "search_p95_ms": TARGET_SEARCH_P95_MS,
        "show_rps": TARGET_SHOW_RPS,
        "index_mib": TARGET_INDEX_MIB,
        "ready_seconds": TARGET_READY_SECONDS,
        "rebuild_seconds": TARGET_REBUILD_SECONDS,
    }


SHARING_WORKERS = (1, 2, 4)
ADMIN = "bench-admin"
MISMATCHES_SHOWN = 30  # count differences listed in the results, each to be explained
