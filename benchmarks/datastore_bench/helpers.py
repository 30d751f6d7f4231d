"""Small helpers of the datastore benchmark: logging, /proc readings, ports, percentiles."""

from __future__ import annotations

import re
import sys
import time

import numpy as np
import processes

SEARCH = re.compile(rb"benchmarks/search\.py")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def proc_status(field_name: str, pid: int | str = "self") -> float:
    """A /proc/<pid>/status memory field (VmRSS, VmHWM …) in MiB."""
    return processes.proc_mib(pid, field_name)


def pct(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples), q)) if samples else float("nan")


def duckdb_version() -> str:
    import duckdb

    return str(duckdb.__version__)


def wait_for_other_benchmarks(limit_seconds: float = 3600) -> None:
    """The machine is small: do not measure while benchmarks/search.py is running."""
    processes.wait_for_benchmarks(SEARCH, earlier_only=False, limit_seconds=limit_seconds, log=log)
