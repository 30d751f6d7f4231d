"""Invitations over HTTP: an organisation admin invites from the members page, the mail arrives
at the real SMTP server, the invited person opens the link, picks a name and a password, and
signs in as a member. And who may not invite, what a pending account cannot do, and the links
that must not work."""

from __future__ import annotations

import itertools
from datetime import timedelta
from email.message import EmailMessage

import ckanapi
import pytest
from sqlalchemy import select, update

from support.live_server import LiveServer
from support.portal import Visitor, link_in
from support.smtp_server import SmtpServer, body_of
from support.waiting import wait_until
from tsunagu.accounts.models import AccountToken, User
from tsunagu.storage.types import utcnow

PASSWORD = "招待-passphrase-2024"
_serial = itertools.count(1)


def password_of(name: str) -> str:
    return f"pw-{name}-0000"  # what LiveServer.make_user sets


@pytest.fixture(scope="module")
def site(server: LiveServer, backend: str) -> dict[str, str]:
    """iv-admin administers iv-city (and nothing else); iv-editor edits there; iv-other
    administers iv-town. The prefix differs per backend: both runs share one mailbox."""
    p = f"iv{backend[:2]}"
    names = {k: f"{p}-{k}" for k in ("admin", "editor", "other", "root")}
    names["city"], names["town"] = f"{p}-city", f"{p}-town"
    tokens = {}
    for key in ("admin", "editor", "other", "root"):
        tokens[key] = server.make_user(names[key], sysadmin=key == "root")
    server.act("organization_create", {"name": names["city"], "title": "周南市 情報政策課"})
    server.act("organization_create", {"name": names["town"], "title": "和木町"})
    for user, org, role in (
        ("admin", "city", "admin"),
        ("editor", "city", "editor"),
        ("other", "town", "admin"),
    ):
        server.act(
            "organization_member_create",
            {"id": names[org], "username": names[user], "role": role},
        )
    return {**names, **{f"token-{k}": v for k, v in tokens.items()}}


def address(site: dict[str, str]) -> str:
    return f"{site['city']}-new-{next(_serial)}@example.jp"


def mail_number(smtp: SmtpServer, to: str, n: int) -> EmailMessage:
    return wait_until(lambda: smtp.mailbox.to(to)[n - 1 :], f"mail #{n} to {to}")[0]


def staff(server: LiveServer, site: dict[str, str], who: str) -> Visitor:
    visitor = Visitor(server.url)
    assert visitor.sign_in(site[who], password_of(site[who])).status_code == 303
    return visitor


def invite_on_page(visitor: Visitor, org: str, email: str, role: str = "editor") -> tuple[int, str]:
    page = f"/staff/organization/{org}/members"
    response = visitor.submit(page, f"/staff/organization/{org}/invite", email=email, role=role)
    return response.status_code, response.text


def accept(
    server: LiveServer, link: str, name: str, password: str = PASSWORD, **extra: str
) -> tuple[int, str]:
    visitor = Visitor(server.url)
    response = visitor.post(
        link,
        csrf_token=visitor.csrf("/user/login"),
        name=name,
        fullname=extra.get("fullname", ""),
        password=password,
        password2=extra.get("password2", password),
    )
    return response.status_code, response.text


def pending_user(server: LiveServer, email: str) -> User | None:
    with server.services.sessions() as session:
        return session.scalar(select(User).where(User.email == email))


def test_org_admin_invites_and_the_new_member_signs_in(
    server: LiveServer, smtp: SmtpServer, site: dict[str, str]
) -> None:
    email = address(site)
    admin = staff(server, site, "admin")
    members = admin.get(f"/staff/organization/{site['city']}/members").text
    assert f'action="/staff/organization/{site["city"]}/invite"' in members
    status, text = invite_on_page(admin, site["city"], email)
    assert status == 200 and f"{email} に招待メールを送りました" in text
    mail = mail_number(smtp, email, 1)
    body = body_of(mail)
    assert "周南市 情報政策課" in str(mail["Subject"]) and "編集者" in body
    assert f"{server.services.settings.invite_token_days} 日間" in body
    link = link_in(mail)
    assert link.startswith(f"{server.url}/user/invite/")
    # The account exists, pending, already holding its role; it cannot sign in yet.
    user = pending_user(server, email)
    assert user is not None and user.state == "pending" and user.password_hash == ""
    root = server.ckan(site["token-root"])
    roles = {
        u["name"]: u["capacity"]
        for u in root.action.organization_show(id=site["city"], include_users=True)["users"]
    }
    assert roles[user.name] == "editor"
    # Opening the link shows the form; choosing a name and password activates the account.
    page = Visitor(server.url).get(link)
    assert page.status_code == 200 and email in page.text
    assert page.headers["cache-control"] == "no-store"
    chosen = f"{site['city']}-hanako-{next(_serial)}"
    status, text = accept(server, link, chosen, fullname="周南 花子")
    assert status == 200 and "アカウントが有効になりました" in text
    visitor = Visitor(server.url)
    assert visitor.sign_in(chosen, PASSWORD).status_code == 303
    dashboard = visitor.get("/staff").text
    assert "周南市 情報政策課" in dashboard  # a member of the organisation it was invited to
    shown = root.action.user_show(id=chosen)
    assert (shown["state"], shown["fullname"], shown["email"]) == ("active", "周南 花子", email)
    assert accept(server, link, chosen + "-again")[0] == 400  # the link is used up


def test_a_pending_user_cannot_sign_in_or_be_used(
    server: LiveServer, smtp: SmtpServer, site: dict[str, str]
) -> None:
    email = address(site)
    admin = server.ckan(site["token-admin"])
    invited = admin.action.user_invite(email=email, group_id=site["city"], role="member")
    assert invited["state"] == "pending" and "email" not in invited  # not the admin's to see
    mail_number(smtp, email, 1)
    for password in ("", "anything-at-all", PASSWORD):
        visitor = Visitor(server.url)
        assert visitor.sign_in(invited["name"], password).status_code == 400
        assert not visitor.signed_in()
    root = server.ckan(site["token-root"])
    with pytest.raises(ckanapi.ValidationError):
        root.action.api_token_create(user=invited["name"], name="for a pending user")
    assert invited["name"] not in {
        u["name"] for u in root.action.user_autocomplete(q=invited["name"])
    }
    assert root.action.user_show(id=invited["name"])["state"] == "pending"


def test_org_admin_cannot_invite_into_another_organisation(
    server: LiveServer, smtp: SmtpServer, site: dict[str, str]
) -> None:
    email = address(site)
    with pytest.raises(ckanapi.NotAuthorized):
        server.ckan(site["token-admin"]).action.user_invite(
            email=email, group_id=site["town"], role="admin"
        )
    status, _text = invite_on_page(staff(server, site, "admin"), site["town"], email)
    assert status == 403
    assert pending_user(server, email) is None
    assert not smtp.mailbox.to(email)


@pytest.mark.parametrize("who", ["editor", "other", "anonymous"])
def test_only_admins_of_the_organisation_invite(
    server: LiveServer, smtp: SmtpServer, site: dict[str, str], who: str
) -> None:
    email = address(site)
    ckan = server.ckan(site[f"token-{who}"] if who != "anonymous" else None)
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.user_invite(email=email, group_id=site["city"], role="member")
    if who == "editor":
        status, _text = invite_on_page(staff(server, site, "editor"), site["city"], email)
        assert status == 403
    assert pending_user(server, email) is None
    assert not smtp.mailbox.to(email)


def test_sysadmin_invites_into_any_organisation(
    server: LiveServer, smtp: SmtpServer, site: dict[str, str]
) -> None:
    email = address(site)
    server.ckan(site["token-root"]).action.user_invite(
        email=email, group_id=site["town"], role="admin"
    )
    assert "和木町" in body_of(mail_number(smtp, email, 1))


def test_invitation_input_is_checked(
    server: LiveServer, smtp: SmtpServer, site: dict[str, str]
) -> None:
    admin = server.ckan(site["token-admin"])
    bad = {
        "email": {"email": "not-an-address", "group_id": site["city"], "role": "member"},
        "role": {"email": address(site), "group_id": site["city"], "role": "owner"},
    }
    for field, data in bad.items():
        with pytest.raises(ckanapi.ValidationError) as caught:
            admin.action.user_invite(**data)
        assert field in caught.value.error_dict
    # An address an active account already has (CKAN's email_is_unique).
    taken = f"{site['editor']}@example.jp"
    with pytest.raises(ckanapi.ValidationError) as caught:
        admin.action.user_invite(email=taken, group_id=site["city"], role="member")
    assert "email" in caught.value.error_dict
    with pytest.raises(ckanapi.NotFound):
        admin.action.user_invite(email=address(site), group_id="no-such-org", role="member")
    # The page shows the same refusals on the members page.
    status, text = invite_on_page(staff(server, site, "admin"), site["city"], taken)
    assert status == 400 and "既に登録されています" in text


def test_inviting_again_sends_a_new_link_and_the_old_one_stops(
    server: LiveServer, smtp: SmtpServer, site: dict[str, str]
) -> None:
    email = address(site)
    admin = server.ckan(site["token-admin"])
    first_user = admin.action.user_invite(email=email, group_id=site["city"], role="member")
    first = link_in(mail_number(smtp, email, 1))
    second_user = admin.action.user_invite(email=email, group_id=site["city"], role="editor")
    second = link_in(mail_number(smtp, email, 2))
    assert first_user["id"] == second_user["id"]  # one pending account, not two
    assert Visitor(server.url).get(first).status_code == 400
    name = f"{site['city']}-again-{next(_serial)}"
    assert accept(server, second, name)[0] == 200
    roles = {
        u["name"]: u["capacity"]
        for u in server.ckan(site["token-root"]).action.organization_show(
            id=site["city"], include_users=True
        )["users"]
    }
    assert roles[name] == "editor"


def test_an_expired_invitation_is_refused(
    server: LiveServer, smtp: SmtpServer, site: dict[str, str]
) -> None:
    email = address(site)
    server.ckan(site["token-admin"]).action.user_invite(
        email=email, group_id=site["city"], role="member"
    )
    link = link_in(mail_number(smtp, email, 1))
    with server.services.sessions() as session:
        user_id = session.scalar(select(User.id).where(User.email == email))
        token = session.scalar(select(AccountToken).where(AccountToken.user_id == user_id))
        assert token is not None and token.purpose == "invite"
        days = server.services.settings.invite_token_days
        assert token.expires - token.created > timedelta(days=days) - timedelta(minutes=1)
        session.execute(
            update(AccountToken)
            .where(AccountToken.user_id == user_id)
            .values(expires=utcnow() - timedelta(seconds=1))
        )
        session.commit()
    status, text = accept(server, link, f"{site['city']}-late-{next(_serial)}")
    assert status == 400 and "このリンクは使えません" in text
    assert pending_user(server, email).state == "pending"  # type: ignore[union-attr]


def test_accepting_checks_the_name_and_passwords_and_keeps_the_link(
    server: LiveServer, smtp: SmtpServer, site: dict[str, str]
) -> None:
    email = address(site)
    server.ckan(site["token-admin"]).action.user_invite(
        email=email, group_id=site["city"], role="member"
    )
    link = link_in(mail_number(smtp, email, 1))
    for name, password, password2, message in (
        (site["admin"], PASSWORD, PASSWORD, "既に使われています"),
        ("Bad Name", PASSWORD, PASSWORD, "半角英小文字"),
        (f"{site['city']}-ok-{next(_serial)}", "short", "short", "8 文字以上"),
        (f"{site['city']}-ok-{next(_serial)}", PASSWORD, PASSWORD + "x", "一致しません"),
    ):
        status, text = accept(server, link, name, password, password2=password2)
        assert status == 400 and message in text, message
    assert pending_user(server, email).state == "pending"  # type: ignore[union-attr]
    assert accept(server, link, f"{site['city']}-fine-{next(_serial)}")[0] == 200


def test_bad_csrf_token_on_invite_and_accept(
    server: LiveServer, smtp: SmtpServer, site: dict[str, str]
) -> None:
    email = address(site)
    admin = staff(server, site, "admin")
    forged = admin.post(
        f"/staff/organization/{site['city']}/invite",
        csrf_token="forged",
        email=email,
        role="admin",
    )
    assert forged.status_code == 403
    assert pending_user(server, email) is None and not smtp.mailbox.to(email)
    server.ckan(site["token-admin"]).action.user_invite(
        email=email, group_id=site["city"], role="member"
    )
    link = link_in(mail_number(smtp, email, 1))
    visitor = Visitor(server.url)
    visitor.get(link)
    refused = visitor.post(
        link, csrf_token="forged", name="iv-forged", password=PASSWORD, password2=PASSWORD
    )
    assert refused.status_code == 403
    assert pending_user(server, email).state == "pending"  # type: ignore[union-attr]
