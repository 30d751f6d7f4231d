"""What code a benchmark measures: a private copy of src/tsunagu, and which commit it came from.

Importing this module does nothing; the benchmarks call it before they import tsunagu.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / ".work"


def snapshot_source(env: str, folder: str) -> Path:
    """Copy src/tsunagu to .work/<folder>, so that edits made during a run cannot mix code
    versions, and name the copy in the environment variable `env`. A copy already named there
    (by a parent process, or a benchmark importing another one) is used as it is."""
    given = os.environ.get(env)
    if given:
        return Path(given)
    target = WORK / folder
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        REPO / "src" / "tsunagu",
        target / "tsunagu",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    os.environ[env] = str(target)
    return target


def source_state() -> str:
    """The commit measured, and the files under src/ changed since it: "`abc1234` + …"."""
    try:
        head = _git("rev-parse", "--short", "HEAD").strip()
        dirty = _git("status", "--porcelain", "--untracked-files=no", "--", "src").split("\n")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    changed = [line[3:] for line in dirty if line.strip()]
    return f"`{head}`" + (f" + uncommitted changes to {', '.join(changed)}" if changed else "")


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True, timeout=30
    ).stdout
