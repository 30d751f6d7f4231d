"""What every benchmark run records beside its figures, and where it writes them.

A run record says which code was measured (the commit, ``+dirty`` when src/ or the benchmark
scripts differ from it, and which files), on which machine (cores, CPU, RAM, kernel, Python,
SQLite and PostgreSQL versions), under what load (1/5/15-minute load averages at the start and
the end), when, and with which command line. ``write_result`` puts it in front of the run's
summary in ``benchmarks/results/<name>.json``; ``render_results.py`` turns those files into
RESULTS.md. Quick runs (``--quick``) go to ``benchmarks/.work/results/`` instead, so that a check
never replaces a full run's figures.

Only the standard library and numpy: the renderer and the tests import this module's siblings
without importing tsunagu.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import re
import shlex
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
QUICK_RESULTS = REPO / "benchmarks" / ".work" / "results"
# Changes here do not change what is measured: the results, RESULTS.md and the notes.
_NOT_CODE = re.compile(r"^benchmarks/(results/|[^/]*\.md$)")


def source_revision() -> dict[str, Any]:
    """The commit checked out, and the files under src/ or benchmarks/ that differ from it
    (modified, staged, added or untracked; generated results and Markdown left out)."""
    try:
        head = _git("rev-parse", "--short=7", "HEAD").strip()
        status = _git("status", "--porcelain", "--untracked-files=all", "--", "src", "benchmarks")
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": False, "changed": []}
    changed = []
    for line in status.splitlines():
        path = line[3:].split(" -> ")[-1].strip('"')
        if path and not _NOT_CODE.match(path):
            changed.append(path)
    return {"commit": head, "dirty": bool(changed), "changed": sorted(changed)}


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True, timeout=30
    ).stdout


def machine(extra: dict[str, str] | None = None) -> dict[str, Any]:
    """Cores, CPU model, RAM, kernel and the versions the figures depend on."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gib = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    versions = {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(),
        **(extra or {}),
    }
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": ram_gib,
        "kernel": platform.release(),
        "versions": versions,
    }


def postgres_memory_settings() -> dict[str, str]:
    """The memory docs/operations.md recommends for a PostgreSQL server of its own: a quarter of
    the RAM as shared_buffers (at most 8 GB), so the tables being searched stay in PostgreSQL's
    cache rather than being copied in from the OS cache page by page. The benchmarks' throwaway
    servers use it, as a deployment would."""
    ram_kib = 4 * 2**20
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_kib = int(line.split()[1])
    shared_mib = min(ram_kib // 4 // 1024, 8 * 1024)
    return {"shared_buffers": f"{shared_mib}MB", "effective_cache_size": f"{ram_kib // 2048}MB"}


def postgres_memory_text() -> str:
    return ", ".join(f"{name} {value}" for name, value in postgres_memory_settings().items())


def postgres_version() -> str | None:
    """The version of the PostgreSQL server binary the benchmarks would start, if any."""
    sys.path.insert(0, str(REPO / "tests"))
    try:
        from support.postgres_server import find_pg_bin

        bindir = find_pg_bin()
        if bindir is None:
            return None
        out = subprocess.run(
            [str(bindir / "postgres"), "--version"], capture_output=True, text=True, timeout=30
        ).stdout
    except (ImportError, OSError, subprocess.SubprocessError):
        return None
    finally:
        sys.path.remove(str(REPO / "tests"))
    found = re.search(r"(\d+(?:\.\d+)+)", out)
    return found.group(1) if found else None


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


class RunRecord:
    """Started when a benchmark starts (so the commit is the one its source snapshot came from)
    and finished when it ends; ``as_dict`` is the ``run`` entry of its results file."""

    def __init__(
        self,
        benchmark: str,
        quick: bool = False,
        versions: dict[str, str] | None = None,
        source: dict[str, Any] | None = None,
    ) -> None:
        """``source``: the revision the benchmark's source snapshot was copied from
        (``snapshot.snapshot_revision()``); taken now when not given."""
        self.benchmark = benchmark
        self.quick = quick
        self.argv = ["python", f"benchmarks/{Path(sys.argv[0]).name}", *sys.argv[1:]]
        self.source = source or source_revision()
        self.machine = machine(versions)
        self.started = _now()
        self.load_start = _load()
        self._clock = time.monotonic()
        self.finished: str | None = None
        self.load_end: list[float] | None = None
        self.seconds: float | None = None

    def add_versions(self, **versions: str) -> None:
        """Versions learnt during the run (the PostgreSQL server's, Chromium's …)."""
        self.machine["versions"].update(versions)

    def finish(self) -> RunRecord:
        self.finished = _now()
        self.load_end = _load()
        self.seconds = round(time.monotonic() - self._clock, 1)
        return self

    def as_dict(self) -> dict[str, Any]:
        if self.finished is None:
            self.finish()
        return {
            "benchmark": self.benchmark,
            "command": shlex.join(self.argv),
            "quick": self.quick,
            "commit": self.source["commit"],
            "dirty": self.source["dirty"],
            "changed": self.source["changed"],
            "started": self.started,
            "finished": self.finished,
            "seconds": self.seconds,
            "load_start": self.load_start,
            "load_end": self.load_end,
            "machine": self.machine,
        }


def add_results_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=None,
        help=f"where to write <name>.json (default {RESULTS.relative_to(REPO)}, or "
        f"{QUICK_RESULTS.relative_to(REPO)} with --quick)",
    )


def write_result(
    name: str, record: RunRecord, summary: dict[str, Any], results_dir: Path | None = None
) -> Path:
    """benchmarks/results/<name>.json: the run record and the summary (figures, not samples)."""
    folder = results_dir or (QUICK_RESULTS if record.quick else RESULTS)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    document = {"run": record.as_dict(), "summary": summary}
    path.write_text(json.dumps(_plain(document), ensure_ascii=False, indent=1) + "\n")
    return path


def render_section(name: str, path: Path) -> str:
    """The Markdown that render_results.py makes of one results file, to print after a run."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import render_results

    return render_results.render_file(name, path)


# -- summaries of samples --------------------------------------------------------------------------


def stats(samples: Iterable[float]) -> dict[str, Any]:
    """n, p50, p95, p99, mean, min and max of a list of timings (None when there are none)."""
    values = np.asarray([x for x in samples if x == x], dtype=float)
    if not len(values):
        return {"n": 0, **dict.fromkeys(("p50", "p95", "p99", "mean", "min", "max"))}
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {
        "n": len(values),
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
        "mean": float(values.mean()),
        "min": float(values.min()),
        "max": float(values.max()),
    }


def _plain(value: Any) -> Any:
    """JSON-safe and small: floats to 6 significant digits, NaN and infinities as null."""
    if isinstance(value, float | np.floating):
        number = float(value)
        return None if not math.isfinite(number) else float(f"{number:.6g}")
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return [_plain(v) for v in items]
    if isinstance(value, Path):
        return str(value)
    return value
