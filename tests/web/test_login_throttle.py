"""Sign-in throttling over real HTTP, on SQLite and PostgreSQL.

Client addresses are simulated with X-Forwarded-For: the test server runs uvicorn with its
defaults, which believe that header from 127.0.0.1 (the same rule `tsunagu serve` applies to
TSUNAGU_TRUSTED_PROXIES), so `request.client.host` becomes the forwarded address. Every test
uses its own addresses and account names, so the counts of one test never reach another's.
A block runs out without waiting: `pass_time` moves its rows' times back, which is all the server
sees of time going by (it compares them with the clock on every attempt).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from support import databases
from support.live_server import LiveServer
from tsunagu.accounts import passwords, signin, throttle
from tsunagu.accounts.models import LoginThrottle
from tsunagu.storage.database import transaction
from tsunagu.storage.types import utcnow

ACCOUNT_LIMIT = 10
ADDRESS_LIMIT = 15
BLOCK_SECONDS = 10  # long enough to check a block on a busy machine
WRONG = "ユーザー名またはパスワードが違います。"
BLOCKED = "ログインの失敗が続いたため、しばらくログインできません。"


@pytest.fixture(scope="module")
def site(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp(f"throttle-{backend}")
    live = LiveServer(
        data_dir=tmp,
        database_url=databases.database_url_for(backend, tmp),
        overrides={
            "login_max_failures": ACCOUNT_LIMIT,
            "login_address_max_failures": ADDRESS_LIMIT,
            "login_window_seconds": 600,
            "login_block_seconds": BLOCK_SECONDS,
        },
    ).start()
    yield live
    live.stop()


def password_of(name: str) -> str:
    return f"pw-{name}-0000"  # what LiveServer.make_user sets


class Browser:
    """One visitor at one client address, with the login form's CSRF token in hand."""

    def __init__(self, site: LiveServer, address: str) -> None:
        self.site = site
        self.session = requests.Session()
        self.session.headers["X-Forwarded-For"] = address
        form = self.session.get(site.url + "/user/login", timeout=30).text
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]

    def login(self, name: str, password: str) -> requests.Response:
        return self.session.post(
            self.site.url + "/user/login",
            data={"csrf_token": self.token, "name": name, "password": password, "next": "/staff"},
            allow_redirects=False,
            timeout=60,
        )


def message_of(response: requests.Response) -> str:
    found = re.search(r'<p class="error" role="alert" id="login-error">([^<]*)</p>', response.text)
    return found.group(1) if found else ""


def failures_of(site: LiveServer, key: str) -> int | None:
    with site.services.sessions() as session:
        return session.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == key))


def pass_time(site: LiveServer, keys: list[str], seconds: float) -> None:
    """To the server, as if `seconds` went by since these throttle rows were last counted."""
    with transaction(site.services.sessions) as session:
        rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))).all()
        assert len(rows) == len(keys)
        for row in rows:
            row.window_start -= timedelta(seconds=seconds)
            if row.blocked_until is not None:
                row.blocked_until -= timedelta(seconds=seconds)


def test_account_is_blocked_after_n_failures_even_for_the_right_password(
    site: LiveServer,
) -> None:
    site.make_user("th-alice")
    browser = Browser(site, "10.1.0.1")
    for _ in range(ACCOUNT_LIMIT - 1):
        response = browser.login("th-alice", "wrong-password")
        assert response.status_code == 400 and message_of(response) == WRONG
    last = browser.login("th-alice", "wrong-password")
    assert last.status_code == 429
    assert message_of(last).startswith(BLOCKED)
    assert 1 <= int(last.headers["retry-after"]) <= BLOCK_SECONDS
    right = browser.login("th-alice", password_of("th-alice"))
    assert right.status_code == 429 and "set-cookie" not in right.headers
    # The block is on the account, wherever the next try comes from.
    elsewhere = Browser(site, "10.1.0.2").login("th-alice", password_of("th-alice"))
    assert elsewhere.status_code == 429 and message_of(elsewhere).startswith(BLOCKED)


def test_unknown_names_get_the_same_answers_as_real_accounts(site: LiveServer) -> None:
    site.make_user("th-bob")
    real, unknown = Browser(site, "10.2.0.1"), Browser(site, "10.2.0.2")
    for _ in range(ACCOUNT_LIMIT - 1):
        a, b = real.login("th-bob", "wrong"), unknown.login("th-nobody", "wrong")
        assert (a.status_code, message_of(a)) == (b.status_code, message_of(b)) == (400, WRONG)
        # The whole page is the same but for the name typed and the form's own CSRF token.
        assert a.text.replace("th-bob", "NAME").replace(real.token, "TOKEN") == b.text.replace(
            "th-nobody", "NAME"
        ).replace(unknown.token, "TOKEN")
    a, b = real.login("th-bob", "wrong"), unknown.login("th-nobody", "wrong")
    assert a.status_code == b.status_code == 429
    assert message_of(a) == message_of(b) and message_of(a).startswith(BLOCKED)
    assert a.headers.keys() >= {"retry-after"} and b.headers.keys() >= {"retry-after"}


def test_unknown_names_cost_the_same_password_hashing(
    site: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown name is checked against a stand-in Argon2 hash made with the same parameters:
    without it the answer would come back in a few milliseconds instead of the tens an Argon2
    check takes. Counted rather than timed (the server runs in this process), because timings
    on a busy machine say nothing reliable."""
    site.make_user("th-carol")
    checked: list[str] = []

    def counting_verify(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return passwords.verify_password(password_hash, password)

    monkeypatch.setattr(signin, "verify_password", counting_verify)
    browser = Browser(site, "10.3.0.1")
    assert browser.login("th-carol", "wrong").status_code == 400
    assert browser.login("th-ghost", "wrong").status_code == 400
    known, unknown = checked
    assert known != unknown
    assert argon2_parameters(known) == argon2_parameters(unknown)


def argon2_parameters(password_hash: str) -> str:
    """`$argon2id$v=19$m=…,t=…,p=…$salt$hash` without the salt and hash."""
    return password_hash.rsplit("$", 2)[0]


def test_success_resets_the_account_count(site: LiveServer) -> None:
    site.make_user("th-dave")
    browser = Browser(site, "10.4.0.1")
    for _ in range(ACCOUNT_LIMIT - 1):
        assert browser.login("th-dave", "wrong").status_code == 400
    assert failures_of(site, "user:th-dave") == ACCOUNT_LIMIT - 1
    ok = browser.login("th-dave", password_of("th-dave"))
    assert ok.status_code == 303 and ok.headers["location"] == "/staff"
    assert failures_of(site, "user:th-dave") is None
    # A fresh allowance: another N-1 failures are still only "wrong password".
    other = Browser(site, "10.4.0.2")
    for _ in range(ACCOUNT_LIMIT - 1):
        assert other.login("th-dave", "wrong").status_code == 400
    # The address's count is not forgiven by a success.
    assert failures_of(site, "addr:10.4.0.1") == ACCOUNT_LIMIT - 1


def test_address_is_blocked_after_failures_across_accounts(site: LiveServer) -> None:
    site.make_user("th-erin")
    sprayer = Browser(site, "10.5.0.1")
    for i in range(ADDRESS_LIMIT - 1):
        assert sprayer.login(f"th-sprayed-{i}", "Password1").status_code == 400
    assert sprayer.login("th-sprayed-last", "Password1").status_code == 429
    # Every name is refused from that address now, even a right password...
    blocked = sprayer.login("th-erin", password_of("th-erin"))
    assert blocked.status_code == 429 and message_of(blocked).startswith(BLOCKED)
    # ...while the same account signs in from another address.
    ok = Browser(site, "10.5.0.2").login("th-erin", password_of("th-erin"))
    assert ok.status_code == 303


def test_block_runs_out(site: LiveServer) -> None:
    site.make_user("th-frank")
    browser = Browser(site, "10.6.0.1")
    for _ in range(ACCOUNT_LIMIT - 1):
        browser.login("th-frank", "wrong")
    blocked = browser.login("th-frank", "wrong")
    assert blocked.status_code == 429
    retry_after = int(blocked.headers["retry-after"])
    assert BLOCK_SECONDS - 1 <= retry_after <= BLOCK_SECONDS  # the block has just begun
    pass_time(site, ["user:th-frank", "addr:10.6.0.1"], retry_after - 3)
    still = browser.login("th-frank", password_of("th-frank"))  # not over yet
    assert still.status_code == 429 and message_of(still).startswith(BLOCKED)
    pass_time(site, ["user:th-frank", "addr:10.6.0.1"], 3.2)
    # After the block, counting starts afresh: one failure is only a wrong password...
    again = browser.login("th-frank", "wrong")
    assert again.status_code == 400 and message_of(again) == WRONG
    assert failures_of(site, "user:th-frank") == 1
    # ...and the right password signs in.
    assert browser.login("th-frank", password_of("th-frank")).status_code == 303


def test_simultaneous_failures_are_all_counted(site: LiveServer) -> None:
    """ACCOUNT_LIMIT wrong passwords for one account at once, from as many addresses: the
    throttle row is created by one of them and counted by all (INSERT … ON CONFLICT), so exactly
    the last one starts the block and the right password is refused afterwards. A lost count
    would let it in."""
    site.make_user("th-grace")
    browsers = [Browser(site, f"10.7.0.{i}") for i in range(ACCOUNT_LIMIT)]
    barrier = threading.Barrier(len(browsers))

    def attempt(browser: Browser) -> int:
        barrier.wait(timeout=30)
        return browser.login("th-grace", "wrong").status_code

    with ThreadPoolExecutor(len(browsers)) as pool:
        statuses = sorted(pool.map(attempt, browsers))
    assert statuses == [400] * (ACCOUNT_LIMIT - 1) + [429]
    assert failures_of(site, "user:th-grace") == ACCOUNT_LIMIT
    assert all(failures_of(site, f"addr:10.7.0.{i}") == 1 for i in range(ACCOUNT_LIMIT))
    late = Browser(site, "10.7.1.1").login("th-grace", password_of("th-grace"))
    assert late.status_code == 429


def test_simultaneous_first_failures_of_new_names_do_not_collide(site: LiveServer) -> None:
    """Many first failures for the same unknown name and address at once: every one creates or
    counts the same two rows; none fails with a duplicate key."""
    browsers = [Browser(site, "10.8.0.1") for _ in range(12)]
    barrier = threading.Barrier(len(browsers))

    def attempt(browser: Browser) -> int:
        barrier.wait(timeout=30)
        return browser.login("th-new-name", "wrong").status_code

    with ThreadPoolExecutor(len(browsers)) as pool:
        statuses = list(pool.map(attempt, browsers))
    # 10 failures block the name; any request checked after that is refused uncounted.
    assert set(statuses) <= {400, 429} and statuses.count(400) == ACCOUNT_LIMIT - 1
    assert failures_of(site, "user:th-new-name") in range(ACCOUNT_LIMIT, 13)
    assert failures_of(site, "addr:10.8.0.1") == failures_of(site, "user:th-new-name")


def test_stale_rows_are_swept_and_running_blocks_kept(site: LiveServer) -> None:
    """Names tried once are forgotten once their window is over; a block still running is kept
    even when its window is over. (The sweep runs every SWEEP_EVERY failures a process records;
    here it is called directly on the server's own database.)"""
    limits = throttle.Limits(
        account_failures=3,
        address_failures=3,
        window=timedelta(minutes=1),
        block=timedelta(hours=1),
    )
    now = utcnow()
    earlier = now - timedelta(minutes=2)  # outside the window
    long_ago = now - timedelta(hours=2)  # outside the window and any block
    with transaction(site.services.sessions) as session:
        throttle.record_failure(session, "user:th-stale", 3, limits, earlier)
        for _ in range(3):
            throttle.record_failure(session, "user:th-old-block", 3, limits, long_ago)
            throttle.record_failure(session, "user:th-blocked", 3, limits, earlier)
        throttle.record_failure(session, "user:th-fresh", 3, limits, now)
    with transaction(site.services.sessions) as session:
        assert throttle.seconds_blocked(session, ["user:th-blocked"], now) == 58 * 60
        throttle.sweep(session, limits, now)
    assert failures_of(site, "user:th-stale") is None
    assert failures_of(site, "user:th-old-block") is None
    assert failures_of(site, "user:th-fresh") == 1
    assert failures_of(site, "user:th-blocked") == 3
