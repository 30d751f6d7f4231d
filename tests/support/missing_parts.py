"""Tests that need a part this machine may lack (PostgreSQL's server, Debian's Chromium).

Locally such tests skip, so a developer without the part can still run the rest; but a skip must
never pass for a green run. Every such skip goes through `skip_or_fail`, which marks the reason,
and the summary at the end of the run counts them loudly. In CI (`.ci/run` sets
TSUNAGU_REQUIRE_POSTGRES / TSUNAGU_REQUIRE_BROWSER) the same places fail instead.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

MARK = "missing part"
# How to get each part (Debian; `make test` runs the script itself).
REMEDY = {
    "PostgreSQL": "as root, `bash scripts/system_deps.sh` installs postgresql",
    "Chromium": "as root, `bash scripts/system_deps.sh` installs chromium",
}


def skip_or_fail(part: str, reason: str, required_by: str) -> None:
    """Skip the test because `part` is missing, or fail it when the environment variable
    `required_by` says the part is mandatory here (as in CI)."""
    if os.environ.get(required_by):
        pytest.fail(f"{part} is required ({required_by} is set) but unavailable: {reason}")
    pytest.skip(f"{MARK} [{part}]: {reason}")


def _reason(report: Any) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def count_missing(skipped: Iterable[Any]) -> Counter[tuple[str, str]]:
    """(part, reason) → number of tests skipped for it, from the run's skip reports (under xdist
    the controller receives every worker's reports, so this sees them all)."""
    counts: Counter[tuple[str, str]] = Counter()
    for report in skipped:
        reason = _reason(report)
        if f"{MARK} [" not in reason:
            continue
        part, _, why = reason.split(f"{MARK} [", 1)[1].partition("]: ")
        counts[(part, why)] += 1
    return counts


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: Any) -> Iterator[None]:
    """After pytest's own summary (the outermost wrapper finishes last), just above the final
    counts line. tests/conftest.py imports this hook."""
    yield
    report_missing(terminalreporter)


def report_missing(terminal: Any) -> None:
    counts = count_missing(terminal.stats.get("skipped", []))
    if not counts:
        return
    total = sum(counts.values())
    terminal.write_sep(
        "!", f"{total} TESTS DID NOT RUN: A PART IS MISSING ON THIS MACHINE", red=True
    )
    for (part, why), number in sorted(counts.items()):
        terminal.write_line(f"  {number} skipped without {part}: {why}", red=True, bold=True)
        if part in REMEDY:
            terminal.write_line(f"      fix: {REMEDY[part]}", red=True)
    terminal.write_sep("!", "this run does not show that those tests pass", red=True)
