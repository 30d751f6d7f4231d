"""Who is signed in (a session record named by the signed cookie, see accounts/sessions.py) and
contexts for page actions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tsunagu.accounts.models import User
from tsunagu.accounts.sessions import end_session, open_session, user_for_session
from tsunagu.context import Context, Services
from tsunagu.registry import call_action
from tsunagu.storage.database import transaction


def services_of(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


# The session cookie's key for the session secret (accounts/sessions.py). Cookies from before
# server-side sessions carried "user_id" instead: they name no session, so they sign nobody in.
SESSION_KEY = "sid"


def has_session(request: Request) -> bool:
    """Whether the cookie claims a signed-in session (checked against the database later): a
    cheap first test that sends visitors without one to the sign-in page."""
    return bool(request.session.get(SESSION_KEY))


def start_session(request: Request, session: Session, user: User) -> None:
    """Sign ``user`` in on this browser: a new session record and a fresh cookie (against
    session fixation); the session the browser had before, if any, ends."""
    end_session(session, request.session.get(SESSION_KEY))
    request.session.clear()
    request.session[SESSION_KEY] = open_session(session, user, services_of(request).settings)


def begin_session(request: Request, user_id: str) -> None:
    """start_session for a user just checked by id (the sign-in form); runs in a thread."""
    with transaction(services_of(request).sessions) as session:
        user = session.get(User, user_id)
        if user is None:
            request.session.clear()
            return
        start_session(request, session, user)


def finish_session(request: Request) -> None:
    """Sign out: the record goes (so a copy of the cookie is dead too), then the cookie."""
    with transaction(services_of(request).sessions) as session:
        end_session(session, request.session.get(SESSION_KEY))
    request.session.clear()


class SignInRequired(Exception):
    """A page for signed-in staff was asked for with a session that has ended."""


def require_sign_in(request: Request) -> None:
    """Mark this request as one for signed-in staff: should its session turn out to have ended
    (checked once, when the page opens its database session), the answer is the sign-in page
    rather than the page as an anonymous visitor would see it."""
    request.state.needs_sign_in = True


async def sign_in_again(request: Request, exc: Exception) -> Response:
    return RedirectResponse(f"/user/login?next={quote(request.url.path)}", status_code=303)


def signed_in_user(session: Session, request: Request) -> User | None:
    secret = request.session.get(SESSION_KEY)
    if not secret:
        return None
    user = user_for_session(session, secret, services_of(request).settings)
    if user is None:
        # Signed out elsewhere, idle or too old, deleted, or the password changed: for good.
        request.session.clear()
        if getattr(request.state, "needs_sign_in", False):
            raise SignInRequired()
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
