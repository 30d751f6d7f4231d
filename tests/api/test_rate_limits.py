"""Per-address API limits over real HTTP, on SQLite and PostgreSQL: anonymous calls, and
datastore_search_sql for everyone but sysadmins.

Client addresses are simulated with X-Forwarded-For: the test server runs uvicorn with its
defaults, which believe that header from 127.0.0.1 (as `tsunagu serve` does for
TSUNAGU_TRUSTED_PROXIES), so the limits see the forwarded address. Each test uses its own.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import ckanapi
import pytest
import requests

from support import databases
from support.live_server import LiveServer

API_LIMIT = 10  # a minute: one request back every 6 s, so a slow test run earns none back
SQL_LIMIT = 3  # a minute


@pytest.fixture(scope="module")
def site(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp(f"limits-{backend}")
    live = LiveServer(
        data_dir=tmp,
        database_url=databases.database_url_for(backend, tmp),
        overrides={"api_rate_limit": API_LIMIT, "sql_rate_limit": SQL_LIMIT},
    ).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def tokens(site: LiveServer) -> dict[str, str]:
    return {
        "sysadmin": site.make_user("rl-admin", sysadmin=True),
        "editor": site.make_user("rl-editor"),
    }


@pytest.fixture(scope="module")
def table(site: LiveServer, tokens: dict[str, str]) -> str:
    admin = site.ckan(tokens["sysadmin"])
    admin.action.organization_create(name="rl-city", title="制限市")
    admin.action.package_create(name="rl-data", title="制限", owner_org="rl-city")
    created = admin.action.datastore_create(
        resource={"package_id": "rl-data", "name": "表"},
        fields=[{"id": "n", "type": "int"}],
        records=[{"n": 1}, {"n": 2}],
    )
    return str(created["resource_id"])


def call(
    site: LiveServer,
    address: str,
    action: str = "site_read",
    token: str | None = None,
    method: str = "GET",
    params: dict[str, Any] | None = None,
    session: requests.Session | None = None,
) -> requests.Response:
    headers = {"X-Forwarded-For": address}
    if token:
        headers["Authorization"] = token
    url = f"{site.url}/api/3/action/{action}"
    client = session or requests
    if method == "POST":
        return client.post(url, json=params or {}, headers=headers, timeout=30)
    return client.get(url, params=params, headers=headers, timeout=30)


def exhaust(site: LiveServer, address: str, limit: int = API_LIMIT) -> None:
    """Call until refused: the whole burst is allowed, and not more than the bucket can have
    earned back meanwhile (one request every 60/limit seconds)."""
    started, allowed = time.monotonic(), 0
    while (status := call(site, address).status_code) == 200:
        allowed += 1
        assert allowed <= limit + 1 + (time.monotonic() - started) * limit / 60
    assert status == 429 and allowed >= limit


def assert_rate_limited(response: requests.Response, action: str, limit: int) -> None:
    assert response.status_code == 429
    wait = int(response.headers["retry-after"])
    assert 1 <= wait <= 60 // limit
    body = response.json()
    assert body["success"] is False
    assert body["help"].endswith(f"/api/3/action/help_show?name={action}")
    assert body["error"]["__type"] == "Rate Limit Error"
    assert re.search(r"[ぁ-んァ-ン一-龥]", body["error"]["message"])  # Japanese first
    assert "Rate limit exceeded" in body["error"]["message"]


def test_anonymous_calls_get_429_with_retry_after(site: LiveServer) -> None:
    exhaust(site, "10.20.0.1")
    refused = call(site, "10.20.0.1")
    assert_rate_limited(refused, "site_read", API_LIMIT)
    # The security headers are on the refusal too.
    assert refused.headers["x-content-type-options"] == "nosniff"
    # ckanapi, the client CKAN users have, reports it as an error rather than a result.
    forwarded = requests.Session()
    forwarded.headers["X-Forwarded-For"] = "10.20.0.1"
    client = ckanapi.RemoteCKAN(site.url, user_agent="tsunagu-tests", session=forwarded)
    with pytest.raises(ckanapi.CKANAPIError):
        client.action.site_read()


def test_limits_are_per_client_address(site: LiveServer) -> None:
    exhaust(site, "10.21.0.1")
    assert call(site, "10.21.0.2").status_code == 200


def test_posts_are_counted_before_the_body_is_read(site: LiveServer) -> None:
    exhaust(site, "10.22.0.1")
    refused = call(site, "10.22.0.1", "package_search", method="POST", params={"q": "x"})
    assert_rate_limited(refused, "package_search", API_LIMIT)


def test_the_allowance_comes_back_after_retry_after(site: LiveServer) -> None:
    exhaust(site, "10.23.0.1")
    refused = call(site, "10.23.0.1")
    time.sleep(int(refused.headers["retry-after"]) + 0.2)
    assert call(site, "10.23.0.1").status_code == 200


def test_token_clients_are_not_held_by_the_anonymous_limit(
    site: LiveServer, tokens: dict[str, str]
) -> None:
    exhaust(site, "10.24.0.1")
    for _ in range(API_LIMIT + 10):
        assert call(site, "10.24.0.1", token=tokens["editor"]).status_code == 200
    # A made-up token is no way around it: it is counted (and refused) as anonymous.
    bogus = call(site, "10.24.0.1", token="tsu_not-a-real-token")
    assert_rate_limited(bogus, "site_read", API_LIMIT)
    # On a fresh address a wrong token is still the usual 403.
    assert call(site, "10.24.0.2", token="tsu_not-a-real-token").status_code == 403


def test_signed_in_portal_sessions_are_not_held_by_the_anonymous_limit(
    site: LiveServer, tokens: dict[str, str]
) -> None:
    browser = requests.Session()
    form = browser.get(site.url + "/user/login", timeout=30).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    signed_in = browser.post(
        site.url + "/user/login",
        data={"csrf_token": csrf, "name": "rl-editor", "password": "pw-rl-editor-0000"},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 303
    exhaust(site, "10.25.0.1")
    for _ in range(API_LIMIT + 5):
        assert call(site, "10.25.0.1", session=browser).status_code == 200


def test_simultaneous_calls_share_one_allowance(site: LiveServer) -> None:
    threads = API_LIMIT + 10
    barrier = threading.Barrier(threads)

    def attempt(_: int) -> int:
        barrier.wait(timeout=30)
        return call(site, "10.26.0.1").status_code

    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        statuses = list(pool.map(attempt, range(threads)))
    earned = (time.monotonic() - started) * API_LIMIT / 60  # requests given back meanwhile
    assert set(statuses) == {200, 429}
    assert API_LIMIT <= statuses.count(200) <= API_LIMIT + 1 + earned


def test_sql_is_limited_for_token_users(
    site: LiveServer, tokens: dict[str, str], table: str
) -> None:
    sql = {"sql": f'SELECT n FROM "{table}"'}
    for _ in range(SQL_LIMIT):
        ok = call(site, "10.27.0.1", "datastore_search_sql", token=tokens["editor"], params=sql)
        assert ok.status_code == 200 and len(ok.json()["result"]["records"]) == 2
    refused = call(site, "10.27.0.1", "datastore_search_sql", token=tokens["editor"], params=sql)
    assert_rate_limited(refused, "datastore_search_sql", SQL_LIMIT)
    assert "datastore_search_sql" in refused.json()["error"]["message"]
    # Other actions from the same address and token go on.
    assert (
        call(
            site,
            "10.27.0.1",
            "datastore_search",
            token=tokens["editor"],
            params={"resource_id": table},
        ).status_code
        == 200
    )


def test_sql_is_limited_for_anonymous_callers(site: LiveServer, table: str) -> None:
    sql = {"sql": f'SELECT n FROM "{table}"'}
    for _ in range(SQL_LIMIT):
        assert call(site, "10.28.0.1", "datastore_search_sql", params=sql).status_code == 200
    refused = call(site, "10.28.0.1", "datastore_search_sql", method="POST", params=sql)
    assert_rate_limited(refused, "datastore_search_sql", SQL_LIMIT)


def test_sql_is_not_limited_for_sysadmins(
    site: LiveServer, tokens: dict[str, str], table: str
) -> None:
    sql = {"sql": f'SELECT count(*) AS c FROM "{table}"'}
    for _ in range(SQL_LIMIT * 4):
        response = call(
            site, "10.29.0.1", "datastore_search_sql", token=tokens["sysadmin"], params=sql
        )
        assert response.status_code == 200
