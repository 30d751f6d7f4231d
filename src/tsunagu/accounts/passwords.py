"""Password hashing with Argon2id, the one rule a new password must meet, and setting one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from tsunagu.accounts.links import RESET, revoke_links
from tsunagu.accounts.models import User
from tsunagu.accounts.sessions import end_user_sessions
from tsunagu.config import PASSWORD_HASH_COSTS

# Argon2id costs a deployment chooses (config.Settings.password_hash_cost): "standard" is
# argon2-cffi's default (RFC 9106's second recommendation: t=3, 64 MiB, 4 lanes); "minimum" is
# OWASP's minimum for Argon2id (t=2, 19 MiB, 1 lane), about a seventh of the CPU per sign-in, for
# small hosts and for the test suite, which makes thousands of accounts. Hashes keep their own
# parameters, so either checks both; a sign-in rehashes to the chosen one (needs_rehash). The
# parameters live with the setting (config.PASSWORD_HASH_COSTS), which only accepts their names.
HASHERS = {name: PasswordHasher(**given) for name, given in PASSWORD_HASH_COSTS.items()}
_hasher = HASHERS["standard"]


def use_cost(name: str) -> None:
    """Hash new passwords with ``name``'s parameters in this process (one setting a process)."""
    global _hasher
    _hasher = HASHERS[name]


MIN_LENGTH = 8
MISMATCH = "確認用のパスワードが一致しません (The passwords you entered do not match)"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    if not password_hash:
        return False
    if password_hash.startswith(_CKAN_PREFIX):
        return _verify_ckan(password_hash, password)
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Accounts brought from CKAN (``ckanapi load users``) keep their password: CKAN stores passlib's
# pbkdf2_sha512, "$pbkdf2-sha512$<rounds>$<salt>$<checksum>" in passlib's base64 ("." for "+",
# no padding). It is checked here and replaced by an Argon2 hash at the first sign-in.
_CKAN_PREFIX = "$pbkdf2-sha512$"
_CKAN_HASH = re.compile(
    r"^\$pbkdf2-sha512\$([0-9]{1,7})\$([./A-Za-z0-9]{1,128})\$([./A-Za-z0-9]{86})$"
)
_MAX_ROUNDS = 1_000_000  # a stored hash must not make every sign-in attempt arbitrarily slow


def _ab64(text: str) -> bytes:
    return base64.b64decode(text.replace(".", "+") + "=" * (-len(text) % 4))


def _verify_ckan(password_hash: str, password: str) -> bool:
    match = _CKAN_HASH.match(password_hash)
    if match is None or not 1 <= int(match[1]) <= _MAX_ROUNDS:
        return False
    try:
        salt, expected = _ab64(match[2]), _ab64(match[3])
    except ValueError:
        return False
    actual = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, int(match[1]), 64)
    return hmac.compare_digest(actual, expected)


def imported_hash_problem(value: object) -> str | None:
    """Why ``value`` cannot be kept as an account's password hash (user_create's
    ``password_hash``), or None: Tsunagu's own Argon2 hashes and CKAN's pbkdf2_sha512 are read."""
    if isinstance(value, str) and value.startswith("$argon2"):
        try:
            _hasher.check_needs_rehash(value)
        except (InvalidHashError, ValueError):
            return "Argon2 ハッシュの形式が正しくありません (Invalid Argon2 hash)"
        return None
    if isinstance(value, str) and (match := _CKAN_HASH.match(value)):
        if not 1 <= int(match[1]) <= _MAX_ROUNDS:
            return f"反復回数は {_MAX_ROUNDS} 回以下にしてください (Too many rounds)"
        return None
    return (
        "読み込めるのは Argon2 と CKAN の pbkdf2-sha512 のハッシュです "
        "(Only Argon2 and CKAN's pbkdf2-sha512 password hashes can be imported)"
    )


def needs_rehash(password_hash: str) -> bool:
    """A hash from another system (or older Argon2 parameters): replace it at sign-in."""
    if not password_hash.startswith("$argon2"):
        return True
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


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
