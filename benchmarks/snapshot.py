"""What code a benchmark measures: a private copy of src/tsunagu, and which commit it came from.

Importing this module does nothing; the benchmarks call it before they import tsunagu.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from runrecord import source_revision

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / ".work"

# The commit and uncommitted changes at the moment this process copied the source.
_taken: dict[str, Any] = {}


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
    _taken.update(source_revision())
    shutil.copytree(
        REPO / "src" / "tsunagu",
        target / "tsunagu",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    os.environ[env] = str(target)
    return target


def snapshot_revision() -> dict[str, Any]:
    """The commit (and changed files) the snapshot was copied from; now, if none was copied."""
    return dict(_taken) or source_revision()
