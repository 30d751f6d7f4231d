"""Small helpers: logging, a process's memory (RSS, PSS), percentiles, seeded ids."""

from __future__ import annotations

import random
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import processes

# -- small helpers -------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rss_mb(pid: int | str = "self") -> float:
    return processes.proc_mib(pid, "VmRSS")


def pss_mb(pid: int) -> float:
    """Proportional set size: each page divided by the number of processes mapping it."""
    return processes.proc_mib(pid, "Pss", "smaps_rollup")


def mapped_snapshot_pss_mb(pid: int) -> float:
    """PSS of the search snapshot file's pages mapped by one process (/proc/PID/smaps)."""
    total = 0
    inside = False
    try:
        for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
            if line[:1] in "0123456789abcdef" and "-" in line.split(" ", 1)[0]:
                inside = "/search/snapshot-" in line
            elif inside and line.startswith("Pss:"):
                total += int(line.split()[1])
    except OSError:
        return float("nan")
    return total / 1024


def pct(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples), q)) if samples else float("nan")


def seeded_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
