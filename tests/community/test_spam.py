"""Spam protection on what the public posts, on SQLite and PostgreSQL, with the per-client
limits turned on (the shared test server turns them off): the hour's posts and supports per
client, over the API (429 with Retry-After) and through the portal's forms; staff not counted;
and the forms' honeypot field, which stores nothing."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from typing import Any

import ckanapi
import pytest
import requests

from support import databases
from support.live_server import LiveServer
from support.portal import Visitor
from support.sample_images import png
from support.smtp_server import SmtpServer

POSTS, SUPPORTS = 3, 2
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def limited(
    backend: str, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp(f"spam-{backend}")
    live = LiveServer(
        data_dir=tmp,
        database_url=databases.database_url_for(backend, tmp),
        overrides={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "community_max_posts": POSTS,
            "community_max_supports": SUPPORTS,
        },
    ).start()
    live.act(
        "organization_create",
        {"name": "sp-city", "title": "下関市", "kind": "municipality", "local_gov_code": "352012"},
    )
    live.act("package_create", {"name": "sp-data", "title": "避難所", "owner_org": "sp-city"})
    yield live
    live.stop()


def _post(server: LiveServer, **fields: Any) -> requests.Response:
    """An anonymous API call from a client of its own (X-Forwarded-For is not trusted, so the
    address is the test's loopback address: each test stands for one client)."""
    return requests.post(
        f"{server.url}/api/3/action/data_request_create",
        json={"title": f"要望 {next(_serial)}", "description": "ほしい", **fields},
        timeout=30,
    )


def _count(server: LiveServer, title_prefix: str) -> int:
    return int(server.act("data_request_list", {"q": title_prefix, "limit": 100})["count"])


def _clear_limits(server: LiveServer) -> None:
    """Forget every community count (each test starts as a fresh client)."""
    from sqlalchemy import delete

    from tsunagu.accounts.models import LoginThrottle

    with server.services.sessions() as session:
        session.execute(delete(LoginThrottle).where(LoginThrottle.key.like("community-%")))
        session.commit()


@pytest.fixture
def server(limited: LiveServer) -> Iterator[LiveServer]:
    _clear_limits(limited)
    yield limited
    _clear_limits(limited)


def test_an_anonymous_client_may_post_a_few_requests_an_hour(server: LiveServer) -> None:
    tag = f"連投{next(_serial)}"
    for n in range(POSTS):
        assert _post(server, title=f"{tag} {n}").status_code == 200
    refused = _post(server, title=f"{tag} over")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.json()["error"]["__type"] == "Rate Limit Error"
    assert _count(server, tag) == POSTS
    # Use cases count against the same limit.
    with pytest.raises(ckanapi.CKANAPIError):
        server.ckan().action.ckanext_showcase_create(title=f"{tag} 事例", datasets=["sp-data"])


def test_an_invalid_post_costs_nothing(server: LiveServer) -> None:
    for _ in range(POSTS + 2):
        assert _post(server, title="").status_code == 409
    assert _post(server).status_code == 200


def test_staff_are_not_counted(server: LiveServer) -> None:
    name = f"sp-staff-{next(_serial)}"
    token = server.make_user(name)
    server.act("organization_member_create", {"id": "sp-city", "username": name, "role": "member"})
    ckan = server.ckan(token)
    tag = f"職員{next(_serial)}"
    for n in range(POSTS + 2):
        ckan.action.data_request_create(title=f"{tag} {n}", description="電話で受けた要望")
    assert _count(server, tag) == POSTS + 2


def test_a_signed_in_member_of_the_public_is_counted_per_account(server: LiveServer) -> None:
    ckan = server.ckan(server.make_user(f"sp-public-{next(_serial)}"))
    tag = f"一般{next(_serial)}"
    for n in range(POSTS):
        ckan.action.data_request_create(title=f"{tag} {n}", description="ほしい")
    with pytest.raises(ckanapi.CKANAPIError):
        ckan.action.data_request_create(title=f"{tag} over", description="ほしい")
    assert _count(server, tag) == POSTS


def test_supports_from_fresh_browsers_are_limited_per_client(server: LiveServer) -> None:
    posted = server.act(
        "data_request_create", {"title": f"応援 {next(_serial)}", "description": "ほしい"}
    )
    page = f"/request/{posted['id']}"
    statuses = []
    for _ in range(SUPPORTS + 1):
        browser = Visitor(server.url)  # a cleared cookie jar is a new browser
        statuses.append(browser.submit(page, f"{page}/support").status_code)
    assert statuses == [303] * SUPPORTS + [429]
    assert server.act("data_request_show", {"id": posted["id"]})["supporters"] == SUPPORTS


def test_the_request_form_posts_and_then_is_limited(server: LiveServer) -> None:
    visitor = Visitor(server.url)
    tag = f"フォーム{next(_serial)}"
    for n in range(POSTS):
        sent = visitor.submit("/request/new", title=f"{tag} {n}", description="ほしい", website="")
        assert sent.status_code == 303
    refused = visitor.submit("/request/new", title=f"{tag} over", description="ほしい")
    assert refused.status_code == 429
    assert "短い時間に多くの投稿がありました" in refused.text
    assert f"{tag} over" in refused.text  # what was typed is kept
    assert _count(server, tag) == POSTS


@pytest.mark.parametrize("filled", ["http://spam.example", "佐藤"])
def test_a_request_form_with_the_honeypot_filled_stores_nothing(
    server: LiveServer, filled: str
) -> None:
    tag = f"罠{next(_serial)}"
    refused = Visitor(server.url).submit(
        "/request/new", title=tag, description="ほしい", website=filled
    )
    assert refused.status_code == 400
    assert "送信できませんでした" in refused.text
    assert _count(server, tag) == 0


def test_a_use_case_form_with_the_honeypot_filled_stores_nothing(server: LiveServer) -> None:
    visitor = Visitor(server.url)
    title = f"罠の事例 {next(_serial)}"
    token = visitor.csrf("/showcase/new")
    refused = visitor.http.post(
        visitor.url("/showcase/new"),
        data={
            "csrf_token": token,
            "title": title,
            "dataset_1": "sp-data",
            "website": "https://spam.example",
        },
        files={"image_upload": ("a.png", io.BytesIO(png()), "image/png")},
        allow_redirects=False,
        timeout=30,
    )
    assert refused.status_code == 400
    pending = server.act("ckanext_showcase_list", {"state": "pending"})
    assert title not in {s["title"] for s in pending}
    # The same form without the honeypot is taken (pending approval).
    taken = visitor.http.post(
        visitor.url("/showcase/new"),
        data={"csrf_token": token, "title": title, "dataset_1": "sp-data", "website": ""},
        allow_redirects=False,
        timeout=30,
    )
    assert taken.status_code == 200 and "受け付けました" in taken.text
    pending = server.act("ckanext_showcase_list", {"state": "pending"})
    assert title in {s["title"] for s in pending}


def test_the_honeypot_is_hidden_from_people(server: LiveServer) -> None:
    for path in ("/request/new", "/showcase/new"):
        page = Visitor(server.url).get(path).text
        assert '<div class="hp-field" aria-hidden="true">' in page
        assert 'name="website" value="" tabindex="-1" autocomplete="off"' in page
