"""Single-use, expiring links sent by e-mail (password reset, invitation).

The secret travels only in the mail; the database keeps its SHA-256 (like API tokens: the secret
is long and random, so a slow hash adds nothing). A user has at most one live link per purpose:
issuing a new one deletes the older ones, and using one marks it used with a conditional UPDATE,
so two requests racing with the same link cannot both succeed."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tsunagu.accounts.models import AccountToken, User
from tsunagu.accounts.tokens import digest
from tsunagu.errors import ActionError
from tsunagu.storage.types import utcnow

RESET = "reset"
INVITE = "invite"


class InvalidLink(ActionError):
    """The link is unknown, for something else, already used, replaced by a newer one, or
    expired. One answer for all of these: which one it was helps nobody but a guesser."""

    error_type = "Invalid Link"
    status = 400

    def __init__(self) -> None:
        super().__init__(
            "このリンクは使えません。期限切れか、すでに使われたか、新しいリンクが送られています "
            "(This link is invalid or has expired)"
        )


def issue_link(session: Session, user: User, purpose: str, lifetime: timedelta) -> str:
    revoke_links(session, user.id, purpose)
    secret = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=digest(secret),
            expires=utcnow() + lifetime,
        )
    )
    session.flush()
    return secret


def find_link(session: Session, secret: str, purpose: str) -> AccountToken | None:
    """The live link for ``secret``: None when unknown, for another purpose, used or expired."""
    if not secret:
        return None
    token = session.scalar(select(AccountToken).where(AccountToken.token_hash == digest(secret)))
    if token is None or token.purpose != purpose or token.used is not None:
        return None
    if token.expires <= utcnow():
        return None
    return token


def use_link(session: Session, token: AccountToken) -> bool:
    """Mark the link used; False when another request used it first."""
    result = session.execute(
        update(AccountToken)
        .where(AccountToken.id == token.id, AccountToken.used.is_(None))
        .values(used=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def revoke_links(session: Session, user_id: str, purpose: str | None = None) -> None:
    statement = delete(AccountToken).where(AccountToken.user_id == user_id)
    if purpose is not None:
        statement = statement.where(AccountToken.purpose == purpose)
    session.execute(statement.execution_options(synchronize_session=False))
