"""Which signed-in browser sessions are still good.

A session cookie carries the user id and a stamp derived from the user's password hash. Any
change of password (a reset, the change-password page, a sysadmin setting it, accepting an
invitation) gives a new hash and so a new stamp, which signs out every other session of that
user without a table of sessions. The stamp is a digest of the Argon2id hash (itself salted), so
the cookie, which is signed but readable, reveals nothing about the password."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy.orm import Session

from tsunagu.accounts.models import User


def session_stamp(user: User) -> str:
    return hashlib.sha256(b"tsunagu-session:" + user.password_hash.encode()).hexdigest()[:32]


def user_for_session(session: Session, user_id: object, stamp: object) -> User | None:
    """The active user a session cookie names, if its stamp still matches."""
    if not isinstance(user_id, str) or not user_id or not isinstance(stamp, str):
        return None
    user = session.get(User, user_id)
    if user is None or user.state != "active":
        return None
    if not hmac.compare_digest(stamp, session_stamp(user)):
        return None
    return user
