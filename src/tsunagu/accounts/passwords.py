"""Password hashing with Argon2id, the one rule a new password must meet, and setting one."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from tsunagu.accounts.links import RESET, revoke_links
from tsunagu.accounts.models import User
from tsunagu.accounts.sessions import end_user_sessions

_hasher = PasswordHasher()
MIN_LENGTH = 8
MISMATCH = "確認用のパスワードが一致しません (The passwords you entered do not match)"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: object) -> str | None:
    """Why ``password`` cannot be a new password, or None. Every path that sets one (create,
    update, reset, invitation) asks here, so the rule is the same everywhere."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        return (
            f"パスワードは {MIN_LENGTH} 文字以上にしてください "
            f"(Must be at least {MIN_LENGTH} characters)"
        )
    return None


def set_password(session: Session, user: User, password: str) -> None:
    """Store a new password. This ends every session of the user (the change-password page
    opens a new one for itself) and drops any outstanding reset link, which was meant for the
    old password."""
    user.password_hash = hash_password(password)
    revoke_links(session, user.id, RESET)
    end_user_sessions(session, user.id)
