"""Who is signed in (a user id in the signed session cookie) and contexts for page actions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request

from tsunagu.accounts.models import User
from tsunagu.accounts.sessions import session_stamp, user_for_session
from tsunagu.context import Context, Services
from tsunagu.registry import call_action


def services_of(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def start_session(request: Request, user: User) -> None:
    """Sign ``user`` in on this browser: a fresh session (against session fixation) holding the
    user id and the stamp of their current password (see accounts/sessions.py)."""
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["auth"] = session_stamp(user)


def begin_session(request: Request, user_id: str) -> None:
    """start_session for a user just checked by id (the sign-in form); runs in a thread."""
    request.session.clear()
    with services_of(request).sessions() as session:
        user = session.get(User, user_id)
        if user is not None:
            start_session(request, user)


def signed_in_user(session: Session, request: Request) -> User | None:
    user_id = request.session.get("user_id")
    if not user_id:
        return None
    user = user_for_session(session, user_id, request.session.get("auth"))
    if user is None:
        # Deleted, or the password changed since this session began: signed out for good.
        request.session.clear()
    return user


@contextmanager
def page_context(request: Request) -> Iterator[Context]:
    """A context acting as the signed-in user; commits when the block succeeds."""
    services = services_of(request)
    session = services.sessions()
    try:
        context = Context(services=services, session=session, user=signed_in_user(session, request))
        request.state.user = context.user
        yield context
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def act(request: Request, name: str, data: dict[str, Any] | None = None) -> Any:
    with page_context(request) as context:
        return call_action(name, context, data or {})
