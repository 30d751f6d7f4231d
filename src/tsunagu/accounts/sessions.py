"""Signed-in portal sessions, kept in the database (table ``user_session``).

The browser's cookie (signed by Starlette, but readable) carries only a random session secret;
the row, found by the secret's SHA-256, says whose session it is. So a session ends for good
when its row goes — signing out, idling for ``session_idle_seconds``, lasting past
``session_lifetime_seconds`` — even in a copy of the cookie taken earlier, and in every worker
process, since they share the database.

The row also keeps a stamp derived from the user's password hash at sign-in. Any change of
password (a reset, the change-password page, a sysadmin setting it, accepting an invitation)
gives a new hash, so every session begun before it stops matching, whichever way the hash was
written; ``set_password`` deletes those rows as well. The stamp is a digest of the Argon2id
hash (itself salted), so it reveals nothing about the password.

Each request costs one primary-key read (joined with the user); ``last_seen`` is written at most
once a minute (sooner only for idle limits shorter than four minutes), as API tokens do."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from tsunagu.accounts.models import User, UserSession
from tsunagu.accounts.tokens import digest
from tsunagu.config import Settings
from tsunagu.storage.types import utcnow

TOUCH_SECONDS = 60


def session_stamp(user: User) -> str:
    return hashlib.sha256(b"tsunagu-session:" + user.password_hash.encode()).hexdigest()[:32]


def open_session(session: Session, user: User, settings: Settings) -> str:
    """A new session for ``user``; returns the secret for the cookie (never stored)."""
    now = utcnow()
    sweep(session, settings, now)  # sign-ins are rare enough to tidy up on
    secret = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            id=digest(secret),
            user_id=user.id,
            stamp=session_stamp(user),
            created=now,
            last_seen=now,
        )
    )
    session.flush()
    return secret


def end_session(session: Session, secret: object) -> None:
    """Sign out: the row goes, so the cookie (and any copy of it) names nothing."""
    if isinstance(secret, str) and secret:
        session.execute(delete(UserSession).where(UserSession.id == digest(secret)))


def end_user_sessions(session: Session, user_id: str) -> None:
    """Every session of a user (password changed, user deleted)."""
    # Synchronised with the ORM session (the default): the caller's own session row may be
    # loaded, and must not be written back after this.
    session.execute(delete(UserSession).where(UserSession.user_id == user_id))


def _expired(row: UserSession, settings: Settings, now: datetime) -> bool:
    return now - row.last_seen >= timedelta(
        seconds=settings.session_idle_seconds
    ) or now - row.created >= timedelta(seconds=settings.session_lifetime_seconds)


def user_for_session(session: Session, secret: object, settings: Settings) -> User | None:
    """The active user whose live session ``secret`` names, or None (the row, if any, is gone
    then: a session that has ended never comes back). Call it before any other work of the
    request on ``session``."""
    if not isinstance(secret, str) or not secret:
        return None
    found = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.id == digest(secret))
    ).first()
    if found is None:
        return None
    row, user = found
    now = utcnow()
    if (
        user.state != "active"
        or not hmac.compare_digest(row.stamp, session_stamp(user))
        or _expired(row, settings, now)
    ):
        # Deleted and committed at once (this is the request's first work, so nothing else is
        # committed with it): whatever the request does next, even failing, cannot bring the
        # session back.
        session.delete(row)
        session.commit()
        return None
    touch = min(TOUCH_SECONDS, settings.session_idle_seconds / 4)
    if (now - row.last_seen).total_seconds() >= touch:
        row.last_seen = now
    return user


def sweep(session: Session, settings: Settings, now: datetime) -> None:
    """Delete sessions that can no longer be used (idle or too old)."""
    session.execute(
        delete(UserSession)
        .where(
            or_(
                UserSession.last_seen <= now - timedelta(seconds=settings.session_idle_seconds),
                UserSession.created <= now - timedelta(seconds=settings.session_lifetime_seconds),
            )
        )
        .execution_options(synchronize_session=False)
    )
