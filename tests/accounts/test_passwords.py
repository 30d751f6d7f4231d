"""The change-password page for signed-in staff, over HTTP: the current password and the new one
twice; the session that changed it stays signed in, the user's other sessions end."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from support.live_server import LiveServer
from support.portal import Visitor
from tsunagu.accounts.models import User
from tsunagu.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    use_cost,
    verify_password,
)
from tsunagu.config import Settings

NEW = "変更後の-passphrase-77"
_serial = itertools.count(1)


@pytest.fixture
def person(server: LiveServer, backend: str) -> str:
    name = f"pw-{backend[:2]}-{next(_serial)}"
    server.make_user(name)
    return name


def old_password(name: str) -> str:
    return f"pw-{name}-0000"  # what LiveServer.make_user sets


def signed_in_as(server: LiveServer, name: str, password: str) -> Visitor:
    visitor = Visitor(server.url)
    assert visitor.sign_in(name, password).status_code == 303
    return visitor


def change(visitor: Visitor, old: str, new: str, new2: str | None = None) -> tuple[int, str]:
    response = visitor.submit(
        "/staff/password", old_password=old, password=new, password2=new if new2 is None else new2
    )
    return response.status_code, response.text


def can_sign_in(server: LiveServer, name: str, password: str) -> bool:
    visitor = Visitor(server.url)
    return visitor.sign_in(name, password).status_code == 303 and visitor.signed_in()


def test_the_staff_menu_links_to_the_page_and_anonymous_visitors_are_sent_to_sign_in(
    server: LiveServer, person: str
) -> None:
    visitor = signed_in_as(server, person, old_password(person))
    assert 'href="/staff/password"' in visitor.get("/staff").text
    page = visitor.get("/staff/password")
    assert page.status_code == 200 and 'name="old_password"' in page.text
    anonymous = Visitor(server.url).get("/staff/password")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/user/login")


def test_changing_the_password_ends_other_sessions_but_not_this_one(
    server: LiveServer, person: str
) -> None:
    here = signed_in_as(server, person, old_password(person))
    elsewhere = signed_in_as(server, person, old_password(person))
    status, text = change(here, old_password(person), NEW)
    assert status == 200 and "パスワードを変更しました" in text
    assert here.signed_in()
    assert not elsewhere.signed_in()
    assert can_sign_in(server, person, NEW)
    assert not can_sign_in(server, person, old_password(person))
    with server.services.sessions() as session:
        stored = session.scalar(select(User.password_hash).where(User.name == person))
    assert stored is not None and stored.startswith("$argon2id$") and verify_password(stored, NEW)


@pytest.mark.parametrize(
    ("old", "new", "new2", "field", "message"),
    [
        ("wrong-password-1", NEW, NEW, "old_password", "現在のパスワードが正しくありません"),
        (None, NEW, NEW + "x", "password2", "一致しません"),
        (None, "short", "short", "password", "8 文字以上"),
        (None, "", "", "password", "8 文字以上"),
    ],
)
def test_refused_changes_keep_the_old_password(
    server: LiveServer,
    person: str,
    old: str | None,
    new: str,
    new2: str,
    field: str,
    message: str,
) -> None:
    visitor = signed_in_as(server, person, old_password(person))
    status, text = change(visitor, old or old_password(person), new, new2)
    assert status == 400 and message in text
    assert f'aria-describedby="err-{field}"' in text
    assert visitor.signed_in()
    assert can_sign_in(server, person, old_password(person))


def test_bad_csrf_token_changes_nothing(server: LiveServer, person: str) -> None:
    visitor = signed_in_as(server, person, old_password(person))
    visitor.get("/staff/password")
    for token in ("forged", ""):
        refused = visitor.post(
            "/staff/password",
            csrf_token=token,
            old_password=old_password(person),
            password=NEW,
            password2=NEW,
        )
        assert refused.status_code == 403
    assert can_sign_in(server, person, old_password(person))


def test_the_minimum_length_is_one_rule() -> None:
    assert password_problem("1234567") is not None
    assert password_problem("12345678") is None
    assert password_problem(None) is not None
    assert verify_password(hash_password("正しい馬のバッテリー"), "正しい馬のバッテリー")
    assert not verify_password(hash_password("a-password-1"), "a-password-2")
    assert not verify_password("", "")  # pending accounts have no hash: nothing matches


@pytest.fixture()
def cost() -> Iterator[None]:
    """Whatever a test sets, the process goes back to the cost the test servers use."""
    yield
    use_cost("minimum")


def test_either_argon2_cost_checks_hashes_of_both_and_rehashes_to_its_own(cost: None) -> None:
    use_cost("standard")
    standard = hash_password("a-password-1")
    assert "$m=65536,t=3,p=4$" in standard
    use_cost("minimum")
    minimum = hash_password("a-password-1")
    assert "$m=19456,t=2,p=1$" in minimum  # OWASP's minimum for Argon2id
    for stored in (standard, minimum):
        assert verify_password(stored, "a-password-1")
        assert not verify_password(stored, "a-password-2")
    assert needs_rehash(standard) and not needs_rehash(minimum)
    use_cost("standard")
    assert needs_rehash(minimum) and not needs_rehash(standard)


def test_an_unknown_argon2_cost_is_refused_with_its_setting_named() -> None:
    with pytest.raises(ValueError, match="TSUNAGU_PASSWORD_HASH_COST"):
        Settings(password_hash_cost="cheap")
    assert Settings.from_env().password_hash_cost == "standard"  # the default deployment
