"""Checking a name and password at the portal's sign-in, with throttling.

The answer never tells whether an account exists: an unknown (or not active) name is checked
against a stand-in hash, so it costs the same Argon2 work as a wrong password; its failures are
counted under the name all the same, so it gets blocked just like a real account.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache

from sqlalchemy import select, update

from tsunagu.accounts import throttle
from tsunagu.accounts.models import User
from tsunagu.accounts.passwords import hash_password, needs_rehash, verify_password
from tsunagu.context import Services
from tsunagu.storage.database import transaction
from tsunagu.storage.types import utcnow


@dataclass(frozen=True)
class SignIn:
    user_id: str | None = None
    # Seconds until the account name or the client address may try again (0: not blocked).
    retry_after: int = 0


@cache
def _stand_in_hash() -> str:
    # Made with the same hasher and parameters as real passwords, so verifying costs the same.
    return hash_password(secrets.token_urlsafe(16))


def sign_in(services: Services, name: str, password: str, address: str) -> SignIn:
    """Runs in a worker thread: Argon2 takes tens of milliseconds on purpose."""
    limits = throttle.Limits.from_settings(services.settings)
    account, client = throttle.account_key(name), throttle.address_key(address)
    now = utcnow()
    with transaction(services.sessions) as session:
        wait = throttle.seconds_blocked(session, [account, client], now)
        if wait:
            # Refused before any password check, even a right one: the block is what stops
            # the guessing.
            return SignIn(retry_after=wait)
        row = session.execute(
            select(User.id, User.password_hash).where(User.name == name, User.state == "active")
        ).first()
    # No database transaction is held while hashing.
    upgraded: str | None = None
    if row is not None and row.password_hash:
        user_id: str | None = row.id if verify_password(row.password_hash, password) else None
        if user_id is not None and needs_rehash(row.password_hash):
            # A hash brought from CKAN (pbkdf2-sha512) becomes Argon2 now the password is known.
            upgraded = hash_password(password)
    else:
        verify_password(_stand_in_hash(), password)
        user_id = None
    now = utcnow()
    with transaction(services.sessions) as session:
        if user_id is not None:
            if upgraded is not None:
                session.execute(
                    update(User)
                    .where(User.id == user_id, User.password_hash == row.password_hash)
                    .values(password_hash=upgraded)
                )
            # Only the account is forgiven: one's own success must not wipe the count of an
            # address that has been trying other people's names.
            throttle.clear(session, account)
            return SignIn(user_id=user_id)
        wait = max(
            throttle.record_failure(session, account, limits.account_failures, limits, now),
            throttle.record_failure(session, client, limits.address_failures, limits, now),
        )
    return SignIn(retry_after=wait)
