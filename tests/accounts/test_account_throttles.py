"""The account paths other than sign-in are throttled too, over HTTP on SQLite and PostgreSQL:

- the "forgot password" form, per name or address typed (so a known address cannot be sent mail
  after mail) and per client address; unknown names are counted and refused exactly like known
  ones, so the answers still tell nothing about which accounts exist;
- the current-password check of user_update (the API with a token, and the change-password page
  with a session), per account: a stolen token or session is no way to guess the password.

Counts live in the sign-in throttle's table (`login_throttle`), so every process shares them.
Client addresses are simulated with X-Forwarded-For (uvicorn believes it from 127.0.0.1). A block
runs out without waiting: `pass_time` moves its row's times back, which is all the server sees of
time going by.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from support import databases
from support.live_server import LiveServer
from support.portal import Visitor
from support.smtp_server import SmtpServer
from tsunagu.accounts.models import LoginThrottle
from tsunagu.storage.database import transaction

PER_NAME = 3
PER_ADDRESS = 5
GUESSES = 4
BLOCK_SECONDS = 8
SENT = "メールで送りました"
THROTTLED = "再設定の申し込みが続いたため、しばらく受け付けられません。"
WRONG = "現在のパスワードが正しくありません"
_serial = itertools.count(1)
_addresses = (f"10.77.{n // 250}.{n % 250 + 1}" for n in itertools.count())


@pytest.fixture(scope="module")
def site(
    backend: str, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp(f"account-throttles-{backend}")
    live = LiveServer(
        data_dir=tmp,
        database_url=databases.database_url_for(backend, tmp),
        overrides={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "mail_from": "tsunagu@example.jp",
            "reset_max_requests": PER_NAME,
            "reset_address_max_requests": PER_ADDRESS,
            "login_max_failures": GUESSES,
            "login_window_seconds": 600,
            "login_block_seconds": BLOCK_SECONDS,
        },
    ).start()
    yield live
    live.stop()


def pass_time(site: LiveServer, key: str, seconds: float) -> None:
    """To the server, as if `seconds` went by since this throttle row was last counted."""
    with transaction(site.services.sessions) as session:
        row = session.get(LoginThrottle, key)
        assert row is not None and row.blocked_until is not None, key
        row.window_start -= timedelta(seconds=seconds)
        row.blocked_until -= timedelta(seconds=seconds)


def person(site: LiveServer, backend: str) -> str:
    name = f"at-{backend[:2]}-{next(_serial)}"
    site.make_user(name)
    return name


def password_of(name: str) -> str:
    return f"pw-{name}-0000"  # what LiveServer.make_user sets


def visitor_at(site: LiveServer, address: str) -> Visitor:
    visitor = Visitor(site.url)
    visitor.http.headers["X-Forwarded-For"] = address
    return visitor


def ask(site: LiveServer, ref: str, address: str | None = None) -> requests.Response:
    """One request on the forgot-password page, from a fresh browser at `address`."""
    return visitor_at(site, address or next(_addresses)).submit("/user/reset", user=ref)


def reset_mails(smtp: SmtpServer, address: str) -> int:
    return sum(1 for m in smtp.mailbox.to(address) if "パスワードの再設定" in str(m["Subject"]))


def normalised(page: str, ref: str) -> str:
    """The page without what differs per visitor: the name typed and the form's CSRF token."""
    return page.replace(ref, "REF").split('name="csrf_token"')[0]


# -- the forgot-password form -------------------------------------------------------------------


def test_reset_requests_for_one_account_are_capped_then_refused(
    site: LiveServer, smtp: SmtpServer, backend: str
) -> None:
    name = person(site, backend)
    address = f"{name}@example.jp"
    # Each from another client address: only the per-name count applies.
    for typed in (name, f"  {name} ", name):
        answer = ask(site, typed)
        assert answer.status_code == 200 and SENT in answer.text
    assert reset_mails(smtp, address) == PER_NAME
    # What was typed counts once trimmed and lower-cased: another spelling is refused too.
    refused = ask(site, name.upper())
    assert refused.status_code == 429 and THROTTLED in refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= BLOCK_SECONDS
    assert reset_mails(smtp, address) == PER_NAME  # no more mail
    # After the block the form works again for that name.
    pass_time(site, f"reset:{name}", BLOCK_SECONDS + 1)
    again = ask(site, name)
    assert again.status_code == 200 and SENT in again.text
    assert reset_mails(smtp, address) == PER_NAME + 1


def test_unknown_names_are_counted_and_answered_like_known_ones(
    site: LiveServer, smtp: SmtpServer, backend: str
) -> None:
    known = person(site, backend)
    unknown = f"at-{backend[:2]}-nobody-{next(_serial)}"
    for _ in range(PER_NAME):
        a, b = ask(site, known), ask(site, unknown)
        assert a.status_code == b.status_code == 200
        assert normalised(a.text, known) == normalised(b.text, unknown)
    a, b = ask(site, known), ask(site, unknown)
    assert a.status_code == b.status_code == 429
    assert normalised(a.text, known) == normalised(b.text, unknown)
    assert THROTTLED in a.text
    assert {"retry-after"} <= a.headers.keys() and {"retry-after"} <= b.headers.keys()


def test_reset_requests_from_one_client_address_are_capped(
    site: LiveServer, smtp: SmtpServer, backend: str
) -> None:
    here = next(_addresses)
    for _ in range(PER_ADDRESS):  # a different name each time: only the address count adds up
        assert ask(site, f"at-{backend[:2]}-spray-{next(_serial)}", here).status_code == 200
    target = person(site, backend)
    refused = ask(site, target, here)
    assert refused.status_code == 429 and THROTTLED in refused.text
    assert reset_mails(smtp, f"{target}@example.jp") == 0
    # Another address may still ask for the same account.
    assert ask(site, target).status_code == 200
    assert reset_mails(smtp, f"{target}@example.jp") == 1


# -- the current password in user_update ---------------------------------------------------------


def api_patch(site: LiveServer, token: str, **data: Any) -> requests.Response:
    return requests.post(
        site.url + "/api/3/action/user_patch",
        json=data,
        headers={"Authorization": token},
        timeout=60,
    )


def can_sign_in(site: LiveServer, name: str, password: str) -> bool:
    return Visitor(site.url).sign_in(name, password).status_code == 303


def test_wrong_current_passwords_through_the_api_are_throttled(
    site: LiveServer, backend: str
) -> None:
    name = person(site, backend)
    token = str(site.act("api_token_create", {"user": name, "name": "stolen"})["token"])
    for _ in range(GUESSES - 1):
        wrong = api_patch(site, token, id=name, password="taken-over-123", old_password="guess")
        assert wrong.status_code == 409 and WRONG in str(wrong.json()["error"]["old_password"])
    last = api_patch(site, token, id=name, password="taken-over-123", old_password="guess")
    assert last.status_code == 409
    # Blocked now, even with the right password, and for the address as well as the password.
    for change in ({"password": "taken-over-123"}, {"email": "thief@example.jp"}):
        blocked = api_patch(site, token, id=name, old_password=password_of(name), **change)
        assert blocked.status_code == 429, blocked.text
        assert blocked.json()["error"]["__type"] == "Rate Limit Error"
        assert 1 <= int(blocked.headers["retry-after"]) <= BLOCK_SECONDS
    assert can_sign_in(site, name, password_of(name))  # nothing changed; sign-in not blocked
    user_id = site.act("user_show", {"id": name})["id"]
    pass_time(site, f"oldpw:{user_id}", BLOCK_SECONDS + 1)
    done = api_patch(
        site, token, id=name, password="my-own-choice-1", old_password=password_of(name)
    )
    assert done.status_code == 200, done.text
    assert can_sign_in(site, name, "my-own-choice-1")


def test_a_right_current_password_clears_the_count_and_a_missing_one_is_not_a_guess(
    site: LiveServer, backend: str
) -> None:
    name = person(site, backend)
    token = str(site.act("api_token_create", {"user": name, "name": "mine"})["token"])
    for _ in range(GUESSES * 2):
        missing = api_patch(site, token, id=name, password="another-one-123")
        assert missing.status_code == 409 and "old_password" in missing.json()["error"]
    for _ in range(GUESSES - 1):
        assert api_patch(site, token, id=name, about="x", email=f"{name}-2@example.jp",
                         old_password="typo").status_code == 409  # fmt: skip
    fixed = api_patch(
        site, token, id=name, email=f"{name}-2@example.jp", old_password=password_of(name)
    )
    assert fixed.status_code == 200, fixed.text
    # The count started again: GUESSES - 1 more wrong ones are still only refused, not blocked.
    for _ in range(GUESSES - 1):
        assert api_patch(site, token, id=name, email=f"{name}-3@example.jp",
                         old_password="typo").status_code == 409  # fmt: skip


def test_a_sysadmin_setting_a_password_is_not_counted(site: LiveServer, backend: str) -> None:
    name = person(site, backend)
    root = str(site.make_user(f"at-{backend[:2]}-root-{next(_serial)}", sysadmin=True))
    for n in range(GUESSES + 1):
        done = api_patch(site, root, id=name, password=f"set-by-admin-{n}00")
        assert done.status_code == 200, done.text
    assert can_sign_in(site, name, f"set-by-admin-{GUESSES}00")


def test_wrong_current_passwords_on_the_change_password_page_are_throttled(
    site: LiveServer, backend: str
) -> None:
    name = person(site, backend)
    browser = Visitor(site.url)
    assert browser.sign_in(name, password_of(name)).status_code == 303

    def change(old: str) -> requests.Response:
        return browser.submit(
            "/staff/password", old_password=old, password="a-new-one-123", password2="a-new-one-123"
        )

    for _ in range(GUESSES):
        wrong = change("guess")
        assert wrong.status_code == 400 and WRONG in wrong.text
    blocked = change(password_of(name))
    assert blocked.status_code == 429 and "しばらく変更できません" in blocked.text
    assert 'aria-describedby="err-old_password"' in blocked.text
    assert 1 <= int(blocked.headers["retry-after"]) <= BLOCK_SECONDS
    assert browser.signed_in() and can_sign_in(site, name, password_of(name))
