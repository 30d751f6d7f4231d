"""Users and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tsunagu.storage.database import Base
from tsunagu.storage.types import new_id, utcnow


class User(Base):
    __tablename__ = "user"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    fullname: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str] = mapped_column(Text, default="")
    about: Mapped[str] = mapped_column(Text, default="")
    password_hash: Mapped[str] = mapped_column(Text, default="")
    sysadmin: Mapped[bool] = mapped_column(Boolean, default=False)
    # active / pending (invited, no password yet) / deleted
    state: Mapped[str] = mapped_column(String(20), default="active")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    image_url: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Opt-in e-mail digest of changes to what the user follows, and when the last one went out.
    email_notifications: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    digest_sent: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # When the user last read their dashboard (CKAN's dashboard_new_activities_count).
    dashboard_viewed: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text, default="")
    # Only a SHA-256 of the secret is kept: the token is random and long, so a slow KDF is not needed.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_access: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    user: Mapped[User] = relationship(back_populates="tokens")


class AccountToken(Base):
    """A single-use, expiring link sent by e-mail: a password reset or an invitation.

    Only a SHA-256 of the secret is kept, as for API tokens."""

    __tablename__ = "account_token"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # reset / invite
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires: Mapped[datetime] = mapped_column(DateTime)
    used: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class LoginThrottle(Base):
    """Failed sign-ins counted per account and per client address, shared by every process."""

    __tablename__ = "login_throttle"

    # "user:<name>" or "addr:<client address>"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class UserSession(Base):
    """A signed-in portal session. The browser's cookie carries a random secret; only its SHA-256
    is kept here, so signing out (deleting the row) ends the session wherever the cookie has
    been copied, and a leaked table holds nothing a browser could present."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # The stamp of the password hash at sign-in (accounts/sessions.py).
    stamp: Mapped[str] = mapped_column(String(32))
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
