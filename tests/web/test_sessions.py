"""Portal sessions live in the database (table user_session), over HTTP on SQLite and PostgreSQL:
signing out ends the session in every copy of the cookie and in every server process sharing the
database; a session ends after the idle limit without requests, and at its lifetime however busy;
signing in again replaces the browser's earlier session; the table keeps only a digest of the
cookie's secret.

Two servers share one database and one signing key here, as two worker processes (or machines
behind a load balancer) would. Time passes without waiting: `pass_time` moves a user's session
rows back by so many seconds, which is all the server sees of time going by (it compares the
row's times with the clock on every request).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from support import databases
from support.live_server import LiveServer
from support.portal import Visitor
from tsunagu.accounts.models import User, UserSession
from tsunagu.accounts.tokens import digest
from tsunagu.storage.database import transaction

IDLE = 6
LIFETIME = 16
COOKIE = "tsunagu_session"


@pytest.fixture(scope="module")
def pair(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, LiveServer]]:
    tmp = tmp_path_factory.mktemp(f"sessions-{backend}")
    url = databases.database_url_for(backend, tmp)
    overrides = {
        "secret_key": "sessions-test-key-" + backend,
        "session_idle_seconds": IDLE,
        "session_lifetime_seconds": LIFETIME,
    }
    first = LiveServer(data_dir=tmp / "a", database_url=url, overrides=overrides).start()
    second = LiveServer(data_dir=tmp / "b", database_url=url, overrides=overrides).start()
    yield first, second
    second.stop()
    first.stop()


@pytest.fixture
def site(pair: tuple[LiveServer, LiveServer]) -> LiveServer:
    return pair[0]


def user(site: LiveServer, name: str) -> str:
    site.make_user(name)
    return f"pw-{name}-0000"


def signed_in_visitor(site: LiveServer, name: str, password: str) -> Visitor:
    visitor = Visitor(site.url)
    assert visitor.sign_in(name, password).status_code == 303
    return visitor


def cookie_of(visitor: Visitor) -> str:
    value = visitor.http.cookies.get(COOKIE)
    assert value
    return value


def with_cookie(site: LiveServer, cookie: str) -> Visitor:
    """Another browser holding a copy of a cookie (copied, stolen, or the same browser's request
    reaching another worker)."""
    other = Visitor(site.url)
    other.http.cookies.set(COOKIE, cookie)
    return other


def api_user(visitor: Visitor) -> dict[str, object] | None:
    """Whom the Action API takes the cookie for on a read (None: anonymous)."""
    answer = visitor.get("/api/3/action/user_show").json()
    return answer["result"] if answer["success"] else None


def session_rows(site: LiveServer, name: str) -> list[UserSession]:
    with site.services.sessions() as session:
        return list(
            session.scalars(
                select(UserSession)
                .join(User, User.id == UserSession.user_id)
                .where(User.name == name)
            )
        )


def pass_time(site: LiveServer, name: str, seconds: float) -> None:
    """To the server, as if `seconds` went by with no request from the user's sessions."""
    with transaction(site.services.sessions) as session:
        rows = session.scalars(
            select(UserSession).join(User, User.id == UserSession.user_id).where(User.name == name)
        ).all()
        assert rows
        for row in rows:
            row.created -= timedelta(seconds=seconds)
            row.last_seen -= timedelta(seconds=seconds)


def test_signing_out_ends_every_copy_of_the_session_in_every_process(
    pair: tuple[LiveServer, LiveServer], backend: str
) -> None:
    first, second = pair
    name = f"ss-{backend[:2]}-out"
    password = user(first, name)
    browser = signed_in_visitor(first, name, password)
    cookie = cookie_of(browser)
    elsewhere = with_cookie(second, cookie)  # the other process knows the session
    assert elsewhere.signed_in() and api_user(elsewhere)["name"] == name  # type: ignore[index]
    other_browser = signed_in_visitor(second, name, password)  # the same user, another browser

    page = browser.get("/staff")
    assert browser.post("/user/logout", csrf_token=browser.csrf(page.text)).status_code == 303

    for live in (first, second):
        replay = with_cookie(live, cookie).get("/staff")
        assert replay.status_code == 303 and replay.headers["location"].startswith("/user/login")
        assert api_user(with_cookie(live, cookie)) is None
    # Only that session ended: the user's other browser is still signed in.
    assert other_browser.signed_in()
    assert len(session_rows(first, name)) == 1


def test_the_table_keeps_only_a_digest_of_the_cookies_secret(
    site: LiveServer, backend: str
) -> None:
    name = f"ss-{backend[:2]}-digest"
    browser = signed_in_visitor(site, name, user(site, name))
    payload = cookie_of(browser).split(".")[0]
    content = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    assert set(content) == {"sid"}  # no user id, no password stamp: only the secret
    [row] = session_rows(site, name)
    assert row.id == digest(content["sid"]) and row.id != content["sid"]


def test_signing_in_again_replaces_the_browsers_earlier_session(
    site: LiveServer, backend: str
) -> None:
    name = f"ss-{backend[:2]}-again"
    password = user(site, name)
    browser = signed_in_visitor(site, name, password)
    before = cookie_of(browser)
    assert browser.sign_in(name, password).status_code == 303
    assert cookie_of(browser) != before and browser.signed_in()
    assert not with_cookie(site, before).signed_in()  # a fixed or copied old cookie is dead
    assert len(session_rows(site, name)) == 1


def test_a_session_ends_after_the_idle_limit(site: LiveServer, backend: str) -> None:
    name = f"ss-{backend[:2]}-idle"
    browser = signed_in_visitor(site, name, user(site, name))
    assert browser.signed_in()
    cookie = cookie_of(browser)
    pass_time(site, name, IDLE + 1)
    replay = with_cookie(site, cookie).get("/staff")
    assert replay.status_code == 303 and replay.headers["location"].startswith("/user/login")
    assert api_user(with_cookie(site, cookie)) is None
    assert not browser.signed_in()
    assert session_rows(site, name) == []  # gone, not merely refused


def test_a_busy_session_outlives_the_idle_limit_but_not_its_lifetime(
    site: LiveServer, backend: str
) -> None:
    name = f"ss-{backend[:2]}-busy"
    password = user(site, name)
    browser = signed_in_visitor(site, name, password)
    elapsed, checks = 0, 0
    # A request every 2 s (well inside the idle limit) keeps it going past that limit …
    while elapsed < LIFETIME - 3:
        assert browser.signed_in(), f"signed out after {elapsed} s"
        checks += 1
        pass_time(site, name, 2)
        elapsed += 2
    assert elapsed > IDLE + 2 and checks >= 5
    [row] = session_rows(site, name)
    assert row.created < row.last_seen - timedelta(seconds=IDLE)  # each request moved it on
    # … but not past its lifetime, busy as it is (its last request is inside the idle limit).
    pass_time(site, name, LIFETIME + 1 - elapsed)
    replay = browser.get("/staff")
    assert replay.status_code == 303 and replay.headers["location"].startswith("/user/login")
    # Signing in again starts a new session.
    assert signed_in_visitor(site, name, password).signed_in()


def test_a_password_change_elsewhere_ends_the_session_in_every_process(
    pair: tuple[LiveServer, LiveServer], backend: str
) -> None:
    first, second = pair
    name = f"ss-{backend[:2]}-pw"
    password = user(first, name)
    browser = signed_in_visitor(second, name, password)
    cookie = cookie_of(browser)
    first.act("user_update", {"id": name, "password": "a-new-password-1"})
    assert session_rows(first, name) == []
    assert not with_cookie(first, cookie).signed_in()
    assert not browser.signed_in()
