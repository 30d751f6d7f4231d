"""API tokens: random secrets shown once, stored only as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagu.accounts.models import ApiToken, User
from tsunagu.storage.types import utcnow

PREFIX = "tsu_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=digest(secret))
    session.add(token)
    session.flush()
    return token, secret


def user_for_token(session: Session, secret: str) -> User | None:
    secret = secret.strip()
    if secret.lower().startswith("bearer "):
        secret = secret[7:].strip()
    if not secret:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if token is None or token.user.state != "active":
        return None
    now = utcnow()
    # Record use at most once a minute to keep reads free of writes.
    if token.last_access is None or (now - token.last_access).total_seconds() > 60:
        token.last_access = now
    return token.user
