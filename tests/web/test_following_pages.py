"""Following from the portal over real HTTP: the buttons on dataset and organisation pages, and
the staff page 「フォロー中」 with the digest opt-in (POST forms with CSRF tokens)."""

from __future__ import annotations

import itertools
import re
from typing import Any

import ckanapi
import pytest
import requests

from support.live_server import LiveServer

ORG = "fp-org"
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def site(server: LiveServer) -> LiveServer:
    server.act("organization_create", {"name": ORG, "title": "防府市"})
    server.make_user("fp-publisher")
    server.act(
        "organization_member_create", {"id": ORG, "username": "fp-publisher", "role": "admin"}
    )
    return server


def _publisher(site: LiveServer) -> ckanapi.RemoteCKAN:
    token = site.act("api_token_create", {"user": "fp-publisher", "name": f"t{next(_serial)}"})
    return site.ckan(token["token"])


def _dataset(site: LiveServer, **fields: object) -> dict[str, Any]:
    name = f"fp-ds-{next(_serial)}"
    values = {"name": name, "title": f"観光施設 {name}", "owner_org": ORG, **fields}
    return dict(site.act("package_create", values))


def _signed_in(site: LiveServer) -> tuple[str, requests.Session]:
    name = f"fp-user-{next(_serial)}"
    site.make_user(name)
    session = requests.Session()
    form = session.get(site.url + "/user/login", timeout=10).text
    response = session.post(
        site.url + "/user/login",
        data={"csrf_token": _token(form), "name": name, "password": f"pw-{name}-0000"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303
    return name, session


def _token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no form on the page"
    return found.group(1)


def _post(
    session: requests.Session, site: LiveServer, page: str, path: str, **data: str
) -> requests.Response:
    token = _token(session.get(site.url + page, timeout=10).text)
    return session.post(
        site.url + path, data={"csrf_token": token, **data}, allow_redirects=False, timeout=10
    )


def _followers(site: LiveServer, action: str, ref: str) -> int:
    return int(site.act(action, {"id": ref}))


def test_anonymous_readers_see_no_follow_button(site: LiveServer) -> None:
    dataset = _dataset(site)
    page = requests.get(f"{site.url}/dataset/{dataset['name']}", timeout=10).text
    assert "follow-form" not in page
    response = requests.post(
        f"{site.url}/dataset/{dataset['name']}/follow", allow_redirects=False, timeout=10
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/user/login")
    assert _followers(site, "dataset_follower_count", dataset["id"]) == 0


def test_follow_and_unfollow_a_dataset_from_its_page(site: LiveServer) -> None:
    _, session = _signed_in(site)
    dataset = _dataset(site)
    page = f"/dataset/{dataset['name']}"
    shown = session.get(site.url + page, timeout=10).text
    assert f'action="{page}/follow"' in shown
    assert "フォロワー 0 人" in shown
    followed = _post(session, site, page, f"{page}/follow")
    assert followed.status_code == 303
    assert followed.headers["location"] == page
    assert _followers(site, "dataset_follower_count", dataset["id"]) == 1
    shown = session.get(site.url + page, timeout=10).text
    assert f'action="{page}/unfollow"' in shown
    assert "フォローをやめる" in shown and "フォロワー 1 人" in shown
    assert _post(session, site, page, f"{page}/unfollow").status_code == 303
    assert _followers(site, "dataset_follower_count", dataset["id"]) == 0


def test_a_follow_without_the_csrf_token_is_refused(site: LiveServer) -> None:
    _, session = _signed_in(site)
    dataset = _dataset(site)
    for data in ({}, {"csrf_token": "forged"}):
        response = session.post(
            f"{site.url}/dataset/{dataset['name']}/follow",
            data=data,
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 403
    assert _followers(site, "dataset_follower_count", dataset["id"]) == 0


def test_a_private_dataset_cannot_be_followed_by_an_outsider(site: LiveServer) -> None:
    _, session = _signed_in(site)
    secret = _dataset(site, private=True)
    response = _post(session, site, "/staff", f"/dataset/{secret['name']}/follow")
    assert response.status_code == 404
    assert secret["title"] not in response.text
    assert _followers(site, "dataset_follower_count", secret["id"]) == 0


def test_follow_an_organisation_from_its_page(site: LiveServer) -> None:
    _, session = _signed_in(site)
    page = f"/organization/{ORG}"
    before = _followers(site, "organization_follower_count", ORG)
    assert f'action="{page}/follow"' in session.get(site.url + page, timeout=10).text
    assert _post(session, site, page, f"{page}/follow").status_code == 303
    assert _followers(site, "organization_follower_count", ORG) == before + 1
    assert f'action="{page}/unfollow"' in session.get(site.url + page, timeout=10).text
    assert _post(session, site, page, f"{page}/unfollow").status_code == 303
    assert _followers(site, "organization_follower_count", ORG) == before


def test_the_following_page(site: LiveServer) -> None:
    name, session = _signed_in(site)
    dataset = _dataset(site)
    page = f"/dataset/{dataset['name']}"
    _post(session, site, page, f"{page}/follow")
    _post(session, site, "/staff/following", "/staff/following/read")
    _publisher(site).action.package_patch(id=dataset["id"], title="観光施設（更新）")
    shown = session.get(site.url + "/staff/following", timeout=10).text
    assert "新しい更新 1 件" in shown
    assert f'<a href="{page}">観光施設（更新）</a>' in shown
    assert "新着" in shown
    assert "フォロー中のものが更新されたら" in shown
    # The digest opt-in, through user_patch.
    assert (
        _post(
            session,
            site,
            "/staff/following",
            "/staff/following/notifications",
            email_notifications="on",
        ).status_code
        == 303
    )
    assert site.act("user_show", {"id": name})["activity_streams_email_notifications"] is True
    assert "checked" in session.get(site.url + "/staff/following", timeout=10).text
    assert (
        _post(session, site, "/staff/following", "/staff/following/notifications").status_code
        == 303
    )
    assert site.act("user_show", {"id": name})["activity_streams_email_notifications"] is False
    # Mark everything read, then stop following from the list.
    _post(session, site, "/staff/following", "/staff/following/read")
    assert "新しい更新 0 件" in session.get(site.url + "/staff/following", timeout=10).text
    unfollowed = _post(
        session,
        site,
        "/staff/following",
        "/staff/following/unfollow",
        type="dataset",
        id=dataset["id"],
    )
    assert unfollowed.status_code == 303
    assert _followers(site, "dataset_follower_count", dataset["id"]) == 0
    assert (
        "まだ何もフォローしていません"
        in session.get(site.url + "/staff/following", timeout=10).text
    )


def test_the_following_page_needs_a_sign_in(site: LiveServer) -> None:
    response = requests.get(f"{site.url}/staff/following", allow_redirects=False, timeout=10)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/user/login")
    posted = requests.post(
        f"{site.url}/staff/following/notifications", allow_redirects=False, timeout=10
    )
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/user/login")
