"""Waiting for what happens in the background (ingest, quality checks, mail, counter flushes).

Every test that polls uses `wait_until`, so all of them share one generous limit: on a busy
2-core machine running the suite with `-n 3` against PostgreSQL, a background job can take many
times longer than on a quiet one. The limit only costs time when something is really broken,
and then the message says what never happened and what was last seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Seconds. Long enough for the slowest background job seen on a loaded CI machine, with margin.
TIMEOUT = 120.0


def wait_until(
    probe: Callable[[], T],
    what: str,
    *,
    until: Callable[[T], object] = bool,
    timeout: float = TIMEOUT,
    every: float | None = None,
) -> T:
    """Call `probe` until `until(value)` holds and return that value. Polls quickly at first,
    then less often (at most every 0.5 s), so a long wait does not load the machine; `every`
    polls at that fixed interval instead (to catch a state that does not last, e.g. running)."""
    deadline = time.monotonic() + timeout
    pause = every or 0.02
    while True:
        value = probe()
        if until(value):
            return value
        if time.monotonic() > deadline:
            seen = repr(value)
            if len(seen) > 500:
                seen = seen[:500] + " …"
            raise AssertionError(
                f"gave up after {timeout:.0f} s waiting for {what}; last seen: {seen}"
            )
        time.sleep(pause)
        if every is None:
            pause = min(pause * 1.5, 0.5)
