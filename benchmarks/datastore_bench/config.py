"""Where the datastore benchmark works and what code it measures (a private copy of src/, put
first on sys.path when this module is imported, before anything imports tsunagu), and the
targets it checks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from snapshot import snapshot_source

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".work"
REPO = ROOT.parent
SRC_ENV = "TSUNAGU_BENCH_DATASTORE_SRC"
SRC = snapshot_source(SRC_ENV, "src-datastore")
sys.path.insert(0, str(SRC))


def before_source(ref: str, paths: list[str]) -> tuple[Path | None, list[str]]:
    """A copy of the snapshot with every file under `paths` that differs from `ref` put back as
    it is at `ref`, so one run measures the code before and after a change (the rest of the
    tree is the same in both)."""
    try:
        changed = subprocess.run(
            ["git", "-C", str(REPO), "diff", "--name-only", ref, "--", *paths],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None, []
    if not changed:
        return None, []
    target = WORK / "src-datastore-before"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(SRC / "tsunagu", target / "tsunagu")
    for name in changed:
        local = target / Path(name).relative_to("src")
        shown = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{ref}:{name}"], capture_output=True, timeout=30
        )
        if shown.returncode == 0:
            local.write_bytes(shown.stdout)
        else:
            local.unlink(missing_ok=True)  # added since ref
    return target, changed


# Bump when the generator changes, so a file of another shape is never reused.
GENERATOR_VERSION = 1
TARGET_DUCKDB_RATIO = 0.5
TARGET_SEARCH_P95_MS = 20.0
TARGET_SEARCH_RAW_RATIO = 2.0
TARGET_PEAK_MB = 500.0
# Issue 14's restated ingest targets, and the short-word search targets.
TARGET_QUERYABLE_FLOOR_RATIO = 1.5  # upload → queryable ÷ raw insert + B-tree indexes
TARGET_SQLITE_UTILS_RATIO = 4.0  # our rows/s ÷ sqlite-utils insert --csv rows/s
TARGET_FULL_TEXT_FLOOR_RATIO = 1.2  # upload → full text ready ÷ the whole raw floor
TARGET_SHORT_P95_MS = {"sqlite": 20.0, "postgresql": 40.0}
ADMIN = "bench-admin"
DATASET = "bench-facilities"
SEARCH_LIMIT = 100
