"""When mail cannot go out — no relay configured, or the relay is down — the reset and invite
pages say so, and nothing half-done remains: no reset link that was never mailed, no pending
user, membership or invitation link. Live servers of their own, on both databases."""

from __future__ import annotations

from collections.abc import Iterator

import ckanapi
import pytest
from sqlalchemy import func, select

from support import databases
from support.live_server import LiveServer, free_port
from support.portal import CSRF, Visitor
from tsunagu.accounts.models import AccountToken, User

MESSAGES = {
    "unconfigured": (503, "メール送信が設定されていません"),
    "unreachable": (502, "メールを送信できませんでした"),
}
INVITE_MESSAGES = {
    "unconfigured": (503, "メール送信が設定されていません"),
    "unreachable": (502, "ユーザーは作成されていません"),
}


@pytest.fixture(scope="module", params=sorted(MESSAGES))
def broken(
    request: pytest.FixtureRequest, backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, LiveServer]]:
    kind = str(request.param)
    tmp = tmp_path_factory.mktemp(f"mailless-{backend}-{kind}")
    overrides: dict[str, object] = {}
    if kind == "unreachable":  # configured, but nothing listens there
        overrides = {"smtp_host": "127.0.0.1", "smtp_port": free_port()}
    live = LiveServer(
        data_dir=tmp,
        database_url=databases.database_url_for(backend, tmp),
        overrides=overrides,
    ).start()
    live.make_user("mf-admin")
    live.make_user("mf-root", sysadmin=True)
    live.act("organization_create", {"name": "mf-city", "title": "メール不通市"})
    live.act(
        "organization_member_create", {"id": "mf-city", "username": "mf-admin", "role": "admin"}
    )
    yield kind, live
    live.stop()


def links(live: LiveServer) -> int:
    with live.services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(AccountToken)) or 0)


def user_count(live: LiveServer) -> int:
    with live.services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(User)) or 0)


def members(live: LiveServer) -> set[str]:
    shown = live.act("organization_show", {"id": "mf-city", "include_users": True})
    return {u["name"] for u in shown["users"]}


def test_reset_request_says_mail_failed_and_leaves_no_link(
    broken: tuple[str, LiveServer],
) -> None:
    kind, live = broken
    status, message = MESSAGES[kind]
    answers = []
    for ref in ("mf-admin", "mf-admin@example.jp", "no-such-person"):
        response = Visitor(live.url).submit("/user/reset", user=ref)
        assert response.status_code == status, ref
        assert message in response.text
        assert "メールで送りました" not in response.text
        # The error page keeps the form (with this session's CSRF token) and what was typed.
        answers.append(CSRF.sub("", response.text).replace(ref, "…"))
    # Known and unknown accounts still cannot be told apart.
    assert answers[0] == answers[1] == answers[2]
    assert links(live) == 0


def test_invitation_is_rolled_back_when_mail_fails(broken: tuple[str, LiveServer]) -> None:
    kind, live = broken
    status, message = INVITE_MESSAGES[kind]
    admin = live.ckan(live.make_user(f"mf-api-{kind}"))
    live.act(
        "organization_member_create",
        {"id": "mf-city", "username": f"mf-api-{kind}", "role": "admin"},
    )
    before = (user_count(live), members(live))
    with pytest.raises(ckanapi.CKANAPIError) as caught:
        admin.action.user_invite(email="mf-new@example.jp", group_id="mf-city", role="editor")
    assert message in str(caught.value)
    assert (user_count(live), members(live)) == before
    assert links(live) == 0
    # The members page says so too, and keeps the address typed in.
    visitor = Visitor(live.url)
    visitor.sign_in("mf-admin", "pw-mf-admin-0000")
    page = "/staff/organization/mf-city/members"
    response = visitor.submit(
        page, "/staff/organization/mf-city/invite", email="mf-new@example.jp", role="editor"
    )
    assert response.status_code == status
    assert message in response.text and 'value="mf-new@example.jp"' in response.text
    assert (user_count(live), members(live)) == before
    assert links(live) == 0
