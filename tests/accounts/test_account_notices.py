"""A changed password or e-mail address is announced by mail to the account's address — and to
the old address too when the address changes — whoever made the change: the user (change-password
page, or the API with the current password), a reset link, or a sysadmin. Over HTTP on SQLite and
PostgreSQL, reading the mail from the real SMTP server. Refused changes and other profile edits
send nothing, and a relay that is down does not undo the change.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from email.message import EmailMessage

import ckanapi
import pytest
import requests

from support import databases
from support.live_server import LiveServer, free_port
from support.portal import Visitor, link_in
from support.smtp_server import SmtpServer, body_of
from support.waiting import wait_until

PASSWORD_SUBJECT = "パスワードが変更されました"
ADDRESS_SUBJECT = "登録メールアドレスが変更されました"
NEW = "a-brand-new-secret-7"
_serial = itertools.count(1)


def password_of(name: str) -> str:
    return f"pw-{name}-0000"  # what LiveServer.make_user sets


@pytest.fixture
def person(server: LiveServer, backend: str) -> tuple[str, str]:
    """A fresh user (names differ per backend: both runs share one mailbox) and their token."""
    name = f"nt-{backend[:2]}-{next(_serial)}"
    return name, server.make_user(name)


@pytest.fixture(scope="module")
def root(server: LiveServer, backend: str) -> ckanapi.RemoteCKAN:
    return server.ckan(server.make_user(f"nt-{backend[:2]}-root", sysadmin=True))


def notices(smtp: SmtpServer, address: str, subject: str) -> list[EmailMessage]:
    return [m for m in smtp.mailbox.to(address) if subject in str(m["Subject"])]


def wait_for_notice(smtp: SmtpServer, address: str, subject: str) -> str:
    """The body of the one notice with `subject` to exactly `address`, waiting for it."""
    found = wait_until(
        lambda: [m for m in notices(smtp, address, subject) if str(m["To"]) == address],
        f"a notice {subject!r} to {address}",
    )
    assert len(found) == 1, [body_of(m) for m in found]
    return body_of(found[0])


def no_notice_after_a_while(smtp: SmtpServer, address: str) -> None:
    """Notices are sent before the answer returns; a moment more rules out a slow relay."""
    time.sleep(0.5)
    for subject in (PASSWORD_SUBJECT, ADDRESS_SUBJECT):
        assert notices(smtp, address, subject) == [], subject


# -- password ------------------------------------------------------------------------------------


def test_changing_ones_password_on_the_portal_is_announced(
    server: LiveServer, smtp: SmtpServer, person: tuple[str, str]
) -> None:
    name, _ = person
    browser = Visitor(server.url)
    assert browser.sign_in(name, password_of(name)).status_code == 303
    changed = browser.submit(
        "/staff/password", old_password=password_of(name), password=NEW, password2=NEW
    )
    assert changed.status_code == 200
    body = wait_for_notice(smtp, f"{name}@example.jp", PASSWORD_SUBJECT)
    assert f"ユーザー名「{name}」のパスワードが" in body and "ご本人の操作で" in body
    assert "（日本時間）" in body and f"{server.url}/user/reset" in body
    assert "old_password" not in body and NEW not in body and password_of(name) not in body


def test_changing_ones_password_through_the_api_is_announced(
    server: LiveServer, smtp: SmtpServer, person: tuple[str, str]
) -> None:
    name, token = person
    server.ckan(token).action.user_patch(id=name, password=NEW, old_password=password_of(name))
    assert "ご本人の操作で" in wait_for_notice(smtp, f"{name}@example.jp", PASSWORD_SUBJECT)


def test_a_sysadmin_setting_the_password_is_announced_as_theirs(
    server: LiveServer, smtp: SmtpServer, person: tuple[str, str], root: ckanapi.RemoteCKAN
) -> None:
    name, _ = person
    root.action.user_patch(id=name, password=NEW)
    body = wait_for_notice(smtp, f"{name}@example.jp", PASSWORD_SUBJECT)
    assert "システム管理者によって" in body


def test_a_password_reset_is_announced(
    server: LiveServer, smtp: SmtpServer, person: tuple[str, str]
) -> None:
    name, _ = person
    address = f"{name}@example.jp"
    assert Visitor(server.url).submit("/user/reset", user=name).status_code == 200
    reset = wait_until(lambda: smtp.mailbox.to(address), "the reset mail")[0]
    visitor = Visitor(server.url)
    done = visitor.post(
        link_in(reset),
        csrf_token=visitor.csrf("/user/login"),
        password=NEW,
        password2=NEW,
    )
    assert done.status_code == 200
    body = wait_for_notice(smtp, address, PASSWORD_SUBJECT)
    assert "パスワード再設定のリンクから" in body


# -- e-mail address ------------------------------------------------------------------------------


def test_changing_ones_address_is_announced_to_the_old_and_the_new_address(
    server: LiveServer, smtp: SmtpServer, person: tuple[str, str]
) -> None:
    name, token = person
    old, new = f"{name}@example.jp", f"{name}-new@example.jp"
    server.ckan(token).action.user_patch(id=name, email=new, old_password=password_of(name))
    to_old = wait_for_notice(smtp, old, ADDRESS_SUBJECT)
    to_new = wait_for_notice(smtp, new, ADDRESS_SUBJECT)
    assert "別のアドレスに変更されました" in to_old and "ご本人の操作で" in to_old
    assert new not in to_old  # the old address is told that, not where to
    assert "このメールアドレスが" in to_new and f"ユーザー名「{name}」" in to_new
    assert notices(smtp, old, PASSWORD_SUBJECT) == []  # the password did not change


def test_a_sysadmin_changing_address_and_password_is_announced_to_both_addresses(
    server: LiveServer, smtp: SmtpServer, person: tuple[str, str], root: ckanapi.RemoteCKAN
) -> None:
    name, _ = person
    old, new = f"{name}@example.jp", f"{name}-moved@example.jp"
    root.action.user_patch(id=name, email=new, password=NEW)
    for address in (old, new):
        body = wait_for_notice(smtp, address, ADDRESS_SUBJECT)
        assert "システム管理者によって" in body and "同時にパスワードも変更され" in body


# -- nothing to announce -------------------------------------------------------------------------


def test_refused_changes_and_other_edits_send_nothing(
    server: LiveServer, smtp: SmtpServer, person: tuple[str, str]
) -> None:
    name, token = person
    ckan = server.ckan(token)
    address = f"{name}@example.jp"
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.user_patch(id=name, password=NEW, old_password="not-mine")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.user_patch(id=name, email="broken-address", old_password=password_of(name))
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.user_patch(id=name, password="short", old_password=password_of(name))
    ckan.action.user_patch(id=name, fullname="名前だけ", about="プロフィールだけ")
    ckan.action.user_patch(id=name, email=address.upper(), old_password=password_of(name))
    no_notice_after_a_while(smtp, address)
    no_notice_after_a_while(smtp, address.upper())


def test_a_user_without_an_address_can_still_change_the_password(
    server: LiveServer, root: ckanapi.RemoteCKAN, backend: str
) -> None:
    name = f"nt-{backend[:2]}-noaddress"
    server.act("user_create", {"name": name, "email": "", "password": password_of(name)})
    root.action.user_patch(id=name, password=NEW)
    assert Visitor(server.url).sign_in(name, NEW).status_code == 303


# -- a relay that is down ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def relay_down(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp(f"notices-relay-down-{backend}")
    live = LiveServer(
        data_dir=tmp,
        database_url=databases.database_url_for(backend, tmp),
        overrides={"smtp_host": "127.0.0.1", "smtp_port": free_port()},  # nothing listens
    ).start()
    yield live
    live.stop()


def test_a_change_stands_when_its_notice_cannot_be_sent(relay_down: LiveServer) -> None:
    token = relay_down.make_user("nt-down")
    answer = requests.post(
        relay_down.url + "/api/3/action/user_patch",
        json={
            "id": "nt-down",
            "password": NEW,
            "email": "nt-down-new@example.jp",
            "old_password": password_of("nt-down"),
        },
        headers={"Authorization": token},
        timeout=60,
    )
    assert answer.status_code == 200 and answer.json()["success"] is True
    assert answer.json()["result"]["email"] == "nt-down-new@example.jp"
    assert Visitor(relay_down.url).sign_in("nt-down", NEW).status_code == 303
