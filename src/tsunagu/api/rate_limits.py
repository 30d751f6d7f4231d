"""Requests a minute per client address for the Action API: anonymous calls, and the costly
``datastore_search_sql`` for everyone but sysadmins.

Each limit is a token bucket per address: a client may burst up to the limit, then gets one
request back every 60/limit seconds. The buckets live in this process's memory, so with
``serve --workers N`` (or several machines) a client can make up to N times the limit; the hard
limit belongs in the reverse proxy (nginx ``limit_req``, see docs/operations.md). This layer
keeps a single process usable when nothing stands in front of it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tsunagu.accounts.models import User
from tsunagu.config import Settings
from tsunagu.errors import ActionError

SQL_ACTION = "datastore_search_sql"
# Buckets are swept once there are this many; a full bucket carries no information.
SWEEP_AT = 10_000


class RateLimited(ActionError):
    error_type = "Rate Limit Error"
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """``per_minute`` requests a minute per key, with bursts up to ``per_minute``."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens a second
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._sweep_at = SWEEP_AT
        # Taken from the event loop and from worker threads alike.
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Spend one request for ``key``: 0 when allowed, else the seconds until one is."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(self.capacity, now)
                if len(self._buckets) > self._sweep_at:
                    self._sweep(now)
            else:
                bucket.tokens = min(
                    self.capacity, bucket.tokens + (now - bucket.updated) * self.rate
                )
                bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate

    def _sweep(self, now: float) -> None:
        full = [
            key
            for key, b in self._buckets.items()
            if b.tokens + (now - b.updated) * self.rate >= self.capacity
        ]
        for key in full:
            del self._buckets[key]
        # Many busy clients: sweep again only after as many new ones, so the cost stays linear.
        self._sweep_at = max(SWEEP_AT, 2 * len(self._buckets))


class ApiLimits:
    """The two Action API limits of one app; a limit of 0 is off."""

    def __init__(self, settings: Settings) -> None:
        self.anonymous = TokenBuckets(settings.api_rate_limit) if settings.api_rate_limit else None
        self.sql = TokenBuckets(settings.sql_rate_limit) if settings.sql_rate_limit else None

    def check_anonymous(self, address: str) -> None:
        """A call without a (valid) API token or signed-in session."""
        _check(
            self.anonymous,
            address,
            "API の呼び出しが多すぎます。しばらく待ってからもう一度お試しください。"
            "API トークンを使うとこの制限はかかりません (Rate limit exceeded for anonymous "
            "API calls; use an API token to avoid it)",
        )

    def check_action(self, address: str, name: str, user: User | None) -> None:
        """Limits that depend on the action and on who is calling."""
        if name == SQL_ACTION and not (user is not None and user.sysadmin):
            _check(
                self.sql,
                address,
                "datastore_search_sql の呼び出しが多すぎます。しばらく待ってからもう一度お試し"
                "ください (Rate limit exceeded for datastore_search_sql)",
            )


def _check(buckets: TokenBuckets | None, address: str, message: str) -> None:
    if buckets is None:
        return
    wait = buckets.take(address)
    if wait:
        raise RateLimited(message, retry_after=max(1, math.ceil(wait)))
