"""Failed sign-ins counted per account name and per client address (table ``login_throttle``);
also password-reset requests and wrong current passwords (see the keys below).

The counts live in the database, so every worker process and machine shares them. Each failure
is one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement: the row is created or counted
atomically on SQLite and PostgreSQL alike, so simultaneous failures are neither lost nor able to
race each other into a duplicate-key error. The statement never reads before it writes, which
also spares SQLite's WAL mode the "snapshot too old" error a read-then-write transaction gets
when another writer commits in between.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, func, or_, select
from sqlalchemy.orm import Session

from tsunagu.accounts.models import LoginThrottle
from tsunagu.config import Settings
from tsunagu.storage.upsert import dialect_insert

KEY_LENGTH = 200
# Stale rows (window over, no block running) are swept on every this-many failures a process
# records, so names tried once by a password sprayer do not pile up for ever.
SWEEP_EVERY = 100
_failures_seen = itertools.count(1)


@dataclass(frozen=True)
class Limits:
    account_failures: int
    address_failures: int
    window: timedelta
    block: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            account_failures=settings.login_max_failures,
            address_failures=settings.login_address_max_failures,
            window=timedelta(seconds=settings.login_window_seconds),
            block=timedelta(seconds=settings.login_block_seconds),
        )


def account_key(name: str) -> str:
    # Counted by the name as typed (lower-cased), whether or not such an account exists: the
    # answer must not depend on existence, and the name is all an attacker controls.
    return ("user:" + name.strip().lower())[:KEY_LENGTH]


def address_key(address: str) -> str:
    return ("addr:" + address)[:KEY_LENGTH]


# The same counts serve two other guessable or abusable paths, under their own keys:
# password-reset requests (each one sends mail), per name or address typed and per client
# address; and wrong current passwords given to user_update by a signed-in user (or a token).


def reset_key(ref: str) -> str:
    # As account_key: by what was typed, so known and unknown accounts are counted alike.
    return ("reset:" + ref.strip().lower())[:KEY_LENGTH]


def reset_address_key(address: str) -> str:
    return ("reset-addr:" + address)[:KEY_LENGTH]


def password_check_key(user_id: str) -> str:
    return ("oldpw:" + user_id)[:KEY_LENGTH]


def seconds_blocked(session: Session, keys: list[str], now: datetime) -> int:
    """How long the longest running block among ``keys`` still lasts (0: none is blocked)."""
    until = session.scalar(
        select(func.max(LoginThrottle.blocked_until)).where(
            LoginThrottle.key.in_(keys), LoginThrottle.blocked_until > now
        )
    )
    return _seconds_until(until, now) if until is not None else 0


def record_failure(session: Session, key: str, limit: int, limits: Limits, now: datetime) -> int:
    """Count one failure for ``key``; returns the seconds of the block it starts or continues
    (0 when the key may go on trying). ``limit`` 0 counts nothing."""
    if limit <= 0:
        return 0
    table = LoginThrottle.__table__
    # An old window, or a block that has run out, starts the count afresh.
    fresh = or_(
        table.c.window_start <= now - limits.window,
        and_(table.c.blocked_until.is_not(None), table.c.blocked_until <= now),
    )
    failures = case((fresh, 1), else_=table.c.failures + 1)
    blocked_until = case(
        (failures >= limit, now + limits.block),
        (fresh, None),
        else_=table.c.blocked_until,
    )
    statement = (
        dialect_insert(session, table)
        .values(
            key=key,
            failures=1,
            window_start=now,
            blocked_until=now + limits.block if limit <= 1 else None,
        )
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": failures,
                "window_start": case((fresh, now), else_=table.c.window_start),
                "blocked_until": blocked_until,
            },
        )
        .returning(table.c.blocked_until)
    )
    until = session.execute(statement).scalar_one()
    if next(_failures_seen) % SWEEP_EVERY == 0:
        sweep(session, limits, now)
    return _seconds_until(until, now) if until is not None and until > now else 0


def clear(session: Session, key: str) -> None:
    """Forget ``key``'s failures (a successful sign-in)."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def sweep(session: Session, limits: Limits, now: datetime) -> None:
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.window_start <= now - limits.window,
            or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until <= now),
        )
    )


def _seconds_until(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))
