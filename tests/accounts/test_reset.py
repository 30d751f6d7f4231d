"""Password reset by e-mail, over HTTP against the live server: ask on the "forgot" page, read
the mail from the real SMTP server, follow its link, set a new password with the page's form,
and sign in. Then the ways it must fail: unknown accounts answered like known ones, reused,
replaced, expired and wrong-purpose links, bad CSRF tokens, weak or mismatched passwords."""

from __future__ import annotations

import hashlib
import itertools
from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select, update

from support.live_server import LiveServer
from support.portal import Visitor, link_in
from support.smtp_server import SmtpServer, body_of
from support.waiting import wait_until
from tsunagu.accounts.models import AccountToken, User
from tsunagu.storage.types import utcnow

NEW_PASSWORD = "新しい-passphrase-2024"
_serial = itertools.count(1)


@pytest.fixture
def person(server: LiveServer, backend: str) -> str:
    """A fresh staff account per test (names differ per backend: both runs share one mailbox)."""
    name = f"rs-{backend[:2]}-person-{next(_serial)}"
    server.make_user(name)
    return name


def old_password(name: str) -> str:
    return f"pw-{name}-0000"  # what LiveServer.make_user sets


def mail_number(smtp: SmtpServer, address: str, n: int) -> EmailMessage:
    """The n-th mail (1-based) sent to `address`, waiting for it."""
    return wait_until(lambda: smtp.mailbox.to(address)[n - 1 :], f"mail #{n} to {address}")[0]


def ask_for_reset(server: LiveServer, ref: str) -> str:
    page = Visitor(server.url).submit("/user/reset", user=ref)
    assert page.status_code == 200
    return page.text


def set_new_password(
    server: LiveServer, link: str, password: str = NEW_PASSWORD, password2: str | None = None
) -> tuple[Visitor, int, str]:
    """Post the link's form. The CSRF token is the session's, read from a page that always has
    a form, so a used or expired link can be posted to as well (a form opened earlier)."""
    visitor = Visitor(server.url)
    response = visitor.post(
        link,
        csrf_token=visitor.csrf("/user/login"),
        password=password,
        password2=password if password2 is None else password2,
    )
    return visitor, response.status_code, response.text


def can_sign_in(server: LiveServer, name: str, password: str) -> bool:
    visitor = Visitor(server.url)
    return visitor.sign_in(name, password).status_code == 303 and visitor.signed_in()


def test_login_page_links_to_the_forgot_page(server: LiveServer) -> None:
    login = Visitor(server.url).get("/user/login")
    assert 'href="/user/reset"' in login.text
    forgot = Visitor(server.url).get("/user/reset")
    assert forgot.status_code == 200
    assert "パスワードを忘れた方" in forgot.text


def test_reset_by_name_end_to_end(server: LiveServer, smtp: SmtpServer, person: str) -> None:
    ask_for_reset(server, person)
    mail = mail_number(smtp, f"{person}@example.jp", 1)
    body = body_of(mail)
    assert "パスワードの再設定" in str(mail["Subject"])
    assert "つなぐ オープンデータカタログ" in str(mail["Subject"]) and person in body
    link = link_in(mail)
    assert link.startswith(f"{server.url}/user/reset/")  # built from site_url
    # Opening the link changes nothing (mail scanners open links too).
    page = Visitor(server.url).get(link)
    assert page.status_code == 200
    assert person in page.text and 'name="password2"' in page.text
    assert page.headers["cache-control"] == "no-store"
    _, status, text = set_new_password(server, link)
    assert status == 200 and "パスワードを再設定しました" in text
    assert can_sign_in(server, person, NEW_PASSWORD)
    assert not can_sign_in(server, person, old_password(person))


def test_reset_by_email_address(server: LiveServer, smtp: SmtpServer, person: str) -> None:
    ask_for_reset(server, f"{person.upper()}@EXAMPLE.JP")  # addresses match in any case
    link = link_in(mail_number(smtp, f"{person}@example.jp", 1))
    assert set_new_password(server, link)[1] == 200
    assert can_sign_in(server, person, NEW_PASSWORD)


def test_the_link_is_stored_only_as_a_digest_with_the_configured_lifetime(
    server: LiveServer, smtp: SmtpServer, person: str
) -> None:
    ask_for_reset(server, person)
    secret = link_in(mail_number(smtp, f"{person}@example.jp", 1)).rsplit("/", 1)[1]
    with server.services.sessions() as session:
        token = session.scalar(
            select(AccountToken)
            .join(User, User.id == AccountToken.user_id)
            .where(User.name == person)
        )
        assert token is not None
        assert token.purpose == "reset"
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in token.token_hash
        lifetime = token.expires - token.created
    hours = server.services.settings.reset_token_hours
    assert timedelta(hours=hours) - timedelta(minutes=1) < lifetime <= timedelta(hours=hours)


def test_unknown_accounts_get_the_same_answer_and_no_mail(
    server: LiveServer, smtp: SmtpServer, person: str
) -> None:
    known = ask_for_reset(server, person)
    mail_number(smtp, f"{person}@example.jp", 1)
    unknown_name = ask_for_reset(server, "no-such-person")
    unknown_address = ask_for_reset(server, "nobody-here@example.jp")
    assert known == unknown_name == unknown_address  # byte for byte: nothing to tell them apart
    assert "メールで送りました" in known
    assert not smtp.mailbox.to("nobody-here@example.jp")


def test_a_link_works_only_once(server: LiveServer, smtp: SmtpServer, person: str) -> None:
    ask_for_reset(server, person)
    link = link_in(mail_number(smtp, f"{person}@example.jp", 1))
    assert set_new_password(server, link)[1] == 200
    _, status, text = set_new_password(server, link, "another-passphrase-99")
    assert status == 400 and "このリンクは使えません" in text
    assert Visitor(server.url).get(link).status_code == 400
    assert can_sign_in(server, person, NEW_PASSWORD)
    assert not can_sign_in(server, person, "another-passphrase-99")


def test_a_newer_request_replaces_the_older_link(
    server: LiveServer, smtp: SmtpServer, person: str
) -> None:
    ask_for_reset(server, person)
    first = link_in(mail_number(smtp, f"{person}@example.jp", 1))
    ask_for_reset(server, person)
    second = link_in(mail_number(smtp, f"{person}@example.jp", 2))
    assert first != second
    assert set_new_password(server, first)[1] == 400
    assert set_new_password(server, second)[1] == 200
    assert can_sign_in(server, person, NEW_PASSWORD)


def expire_links(server: LiveServer, name: str) -> None:
    """Move the user's links past their expiry, as if the lifetime had gone by."""
    with server.services.sessions() as session:
        user_id = session.scalar(select(User.id).where(User.name == name))
        session.execute(
            update(AccountToken)
            .where(AccountToken.user_id == user_id)
            .values(expires=utcnow() - timedelta(seconds=1))
        )
        session.commit()


def test_an_expired_link_is_refused(server: LiveServer, smtp: SmtpServer, person: str) -> None:
    ask_for_reset(server, person)
    link = link_in(mail_number(smtp, f"{person}@example.jp", 1))
    visitor = Visitor(server.url)
    token = visitor.csrf(link)  # the form was opened in time …
    expire_links(server, person)
    refused = visitor.post(link, csrf_token=token, password=NEW_PASSWORD, password2=NEW_PASSWORD)
    assert refused.status_code == 400 and "このリンクは使えません" in refused.text  # … sent late
    assert visitor.get(link).status_code == 400
    assert can_sign_in(server, person, old_password(person))


def test_an_invitation_link_does_not_reset_a_password(
    server: LiveServer, smtp: SmtpServer, backend: str
) -> None:
    address = f"rs-{backend[:2]}-invitee@example.jp"
    org = f"rs-{backend[:2]}-org"
    server.act("organization_create", {"name": org, "title": "再設定テスト課"})
    server.act("user_invite", {"email": address, "group_id": org, "role": "member"})
    invite = link_in(mail_number(smtp, address, 1))
    secret = invite.rsplit("/", 1)[1]
    as_reset = f"{server.url}/user/reset/{secret}"
    assert Visitor(server.url).get(as_reset).status_code == 400
    assert set_new_password(server, invite.replace("/invite/", "/reset/"))[1] == 400
    # and the other way round: a reset link is no invitation
    name = f"rs-{backend[:2]}-other-way"
    server.make_user(name)
    ask_for_reset(server, name)
    reset = link_in(mail_number(smtp, f"{name}@example.jp", 1))
    assert Visitor(server.url).get(reset.replace("/reset/", "/invite/")).status_code == 400
    # both links still work for what they were made for
    assert Visitor(server.url).get(invite).status_code == 200
    assert set_new_password(server, reset)[1] == 200


def test_bad_csrf_token_changes_nothing(server: LiveServer, smtp: SmtpServer, person: str) -> None:
    ask_for_reset(server, person)
    link = link_in(mail_number(smtp, f"{person}@example.jp", 1))
    visitor = Visitor(server.url)
    visitor.get(link)
    for token in ("forged", ""):
        refused = visitor.post(
            link, csrf_token=token, password=NEW_PASSWORD, password2=NEW_PASSWORD
        )
        assert refused.status_code == 403
    assert can_sign_in(server, person, old_password(person))
    # A forged request for a reset mail sends nothing either.
    before = len(smtp.mailbox.to(f"{person}@example.jp"))
    assert visitor.post("/user/reset", csrf_token="forged", user=person).status_code == 403
    assert len(smtp.mailbox.to(f"{person}@example.jp")) == before
    assert set_new_password(server, link)[1] == 200  # the link itself was not used up


@pytest.mark.parametrize(
    ("password", "password2", "message"),
    [
        ("short", "short", "8 文字以上"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "一致しません"),
        ("", "", "8 文字以上"),
    ],
)
def test_weak_or_mismatched_passwords_keep_the_link(
    server: LiveServer, smtp: SmtpServer, person: str, password: str, password2: str, message: str
) -> None:
    ask_for_reset(server, person)
    link = link_in(mail_number(smtp, f"{person}@example.jp", 1))
    _, status, text = set_new_password(server, link, password, password2)
    assert status == 400 and message in text
    assert can_sign_in(server, person, old_password(person))
    assert set_new_password(server, link)[1] == 200


def test_a_reset_signs_out_other_sessions(
    server: LiveServer, smtp: SmtpServer, person: str
) -> None:
    elsewhere = Visitor(server.url)
    assert elsewhere.sign_in(person, old_password(person)).status_code == 303
    assert elsewhere.signed_in()
    ask_for_reset(server, person)
    link = link_in(mail_number(smtp, f"{person}@example.jp", 1))
    assert set_new_password(server, link)[1] == 200
    assert not elsewhere.signed_in()
    assert elsewhere.get("/staff").status_code == 303  # and the cookie is gone for good
    # The API does not take the stale cookie as the user either.
    shown = elsewhere.get("/api/3/action/user_show")
    assert shown.json()["success"] is False


def test_deleted_and_pending_accounts_get_no_mail(
    server: LiveServer, smtp: SmtpServer, backend: str
) -> None:
    gone = f"rs-{backend[:2]}-gone"
    server.make_user(gone)
    server.act("user_delete", {"id": gone})
    assert "メールで送りました" in ask_for_reset(server, gone)
    org = f"rs-{backend[:2]}-pending-org"
    server.act("organization_create", {"name": org, "title": "保留"})
    pending = server.act(
        "user_invite",
        {"email": f"rs-{backend[:2]}-pending@example.jp", "group_id": org, "role": "member"},
    )
    mail_number(smtp, f"rs-{backend[:2]}-pending@example.jp", 1)  # the invitation
    assert "メールで送りました" in ask_for_reset(server, pending["name"])
    # the next mails to arrive are another account's, not these two
    canary = f"rs-{backend[:2]}-canary"
    server.make_user(canary)
    ask_for_reset(server, canary)
    mail_number(smtp, f"{canary}@example.jp", 1)
    assert not smtp.mailbox.to(f"{gone}@example.jp")
    assert len(smtp.mailbox.to(f"rs-{backend[:2]}-pending@example.jp")) == 1
