"""The automatic switch: requests a second in this process, and when they switch 災害モード on.

Each process counts the requests it is asked (health checks, metrics and static files aside)
in one-second slots (`LoadMeter`, a ring of counters: counting is one list increment on the
event loop). Once a second its `DisasterWorker` averages the last
``disaster_auto_window_seconds`` and asks `should_extend`:

* while the automatic mode is off, a rate of at least ``disaster_auto_rps`` switches it on;
* while it is on, a rate of at least ``disaster_auto_off_ratio`` × that keeps it on
  (hysteresis: a load hovering around the threshold does not flap the mode);
* after a sysadmin's switch (``disaster_mode_update``), only requests since that switch count:
  a window that still holds the burst a sysadmin has just switched off after does not switch
  the mode on again at once. Load that goes on switches it on again a window later, unless the
  sysadmin also set ``automatic`` to false.

Switching on and keeping on are one write: ``tsunagu.disaster_auto_until`` moved to now +
``disaster_auto_calm_seconds`` (state.py), which every process reads. So the mode goes off
by itself once no process has been busy for the calm period, and one busy process is enough
to keep it on for all. The time is written again only when it would move by a few seconds,
so a busy site writes the row about every five seconds, not on every check.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from tsunagu.config import Settings
from tsunagu.disaster.state import DisasterState

# Seconds of history kept: the longest window a setting may ask for.
HISTORY = 600
# Not counted: probes and scrapes (not visitors) and static files (cheap, and a page's
# stylesheet and scripts would count each visit several times).
NOT_COUNTED = ("/healthz", "/readyz", "/metrics", "/static/")


class LoadMeter:
    """Requests per one-second slot over the last `HISTORY` seconds. `count` runs on the event
    loop; `rate` may run on another thread and only reads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._slots = [0] * HISTORY
        self._second = int(self._clock())

    def count(self, path: str = "") -> None:
        if path.startswith(NOT_COUNTED):
            return
        now = int(self._clock())
        if now != self._second:
            self._advance(now)
        self._slots[now % HISTORY] += 1

    def _advance(self, now: int) -> None:
        for second in range(self._second + 1, min(now, self._second + HISTORY) + 1):
            self._slots[second % HISTORY] = 0
        self._second = now

    def rate(self, window: int) -> float:
        """Average requests a second over the last `window` whole seconds (not the current
        one, which is still filling)."""
        window = max(1, min(window, HISTORY - 1))
        now = int(self._clock())
        last = self._second
        total = 0
        for second in range(now - window, now):
            # A slot holds this second's count only if it was written since the ring last
            # passed it; seconds after the last count had no requests.
            if last - HISTORY < second <= last:
                total += self._slots[second % HISTORY]
        return total / window


def should_extend(rate: float, state: DisasterState, now: datetime, settings: Settings) -> bool:
    """Whether this process's load switches the automatic mode on or keeps it on."""
    threshold = settings.disaster_auto_rps
    if threshold <= 0 or not state.automatic_allowed:
        return False
    if state.automatic(now):
        return rate >= threshold * settings.disaster_auto_off_ratio
    if state.since is not None and now < counted_from(state.since, settings):
        return False
    return rate >= threshold


def counted_from(since: datetime, settings: Settings) -> datetime:
    """When a window measured from now holds no request from before a switch at ``since``.
    The window is whole seconds before the current one, and ``since`` is stored to the second
    (it may be up to a second early): two seconds of margin."""
    return since + timedelta(seconds=max(1, settings.disaster_auto_window_seconds) + 2)


def next_until(state: DisasterState, now: datetime, settings: Settings) -> datetime | None:
    """The new end of the automatic period, or None when the stored one is recent enough."""
    calm = timedelta(seconds=max(1, settings.disaster_auto_calm_seconds))
    until = now + calm
    step = min(timedelta(seconds=5), calm / 2)
    if state.auto_until is not None and until - state.auto_until < step:
        return None
    return until
