"""user_update, user_patch, user_delete, user_autocomplete and user_list over the Action API with
the unmodified ckanapi client: who may change what, what needs the current password, who sees
e-mail addresses, and what a deleted user can no longer do."""

from __future__ import annotations

import itertools

import ckanapi
import pytest
from sqlalchemy import select

from support.live_server import LiveServer
from support.portal import Visitor
from tsunagu.accounts.models import User

_serial = itertools.count(1)


def password_of(name: str) -> str:
    return f"pw-{name}-0000"  # what LiveServer.make_user sets


@pytest.fixture(scope="module")
def root(server: LiveServer) -> ckanapi.RemoteCKAN:
    return server.ckan(server.make_user("ua-root", sysadmin=True))


@pytest.fixture
def person(server: LiveServer) -> tuple[str, ckanapi.RemoteCKAN]:
    """A fresh user and a client holding their API token."""
    name = f"ua-person-{next(_serial)}"
    return name, server.ckan(server.make_user(name))


def can_sign_in(server: LiveServer, name: str, password: str) -> bool:
    visitor = Visitor(server.url)
    return visitor.sign_in(name, password).status_code == 303 and visitor.signed_in()


# -- user_update / user_patch -----------------------------------------------------------------


def test_a_user_updates_their_own_profile(
    server: LiveServer, person: tuple[str, ckanapi.RemoteCKAN]
) -> None:
    name, ckan = person
    updated = ckan.action.user_update(id=name, fullname="山口 花子", about="防災課")
    assert (updated["fullname"], updated["about"], updated["display_name"]) == (
        "山口 花子",
        "防災課",
        "山口 花子",
    )
    assert updated["email"] == f"{name}@example.jp"  # left out, so kept
    # Patch changes only what it is given.
    patched = ckan.action.user_patch(id=name, about="危機管理課")
    assert (patched["fullname"], patched["about"]) == ("山口 花子", "危機管理課")


def test_email_notifications_flag_is_stored_on_the_user(
    server: LiveServer, person: tuple[str, ckanapi.RemoteCKAN]
) -> None:
    name, ckan = person
    assert ckan.action.user_show(id=name)["activity_streams_email_notifications"] is False
    shown = ckan.action.user_patch(id=name, activity_streams_email_notifications=True)
    assert shown["activity_streams_email_notifications"] is True
    with server.services.sessions() as session:
        assert session.scalar(select(User.email_notifications).where(User.name == name)) is True
    ckan.action.user_update(id=name, activity_streams_email_notifications="false")
    with server.services.sessions() as session:
        assert session.scalar(select(User.email_notifications).where(User.name == name)) is False
    with pytest.raises(ckanapi.ValidationError) as caught:
        ckan.action.user_patch(id=name, activity_streams_email_notifications="maybe")
    assert "activity_streams_email_notifications" in caught.value.error_dict


def test_own_password_change_needs_the_current_password(
    server: LiveServer, person: tuple[str, ckanapi.RemoteCKAN]
) -> None:
    name, ckan = person
    for wrong in ({}, {"old_password": "not-my-password"}):
        with pytest.raises(ckanapi.ValidationError) as caught:
            ckan.action.user_patch(id=name, password="brand-new-secret-1", **wrong)
        assert "old_password" in caught.value.error_dict
    assert can_sign_in(server, name, password_of(name))
    with pytest.raises(ckanapi.ValidationError) as caught:
        ckan.action.user_patch(id=name, password="short", old_password=password_of(name))
    assert "password" in caught.value.error_dict
    ckan.action.user_patch(id=name, password="brand-new-secret-1", old_password=password_of(name))
    assert can_sign_in(server, name, "brand-new-secret-1")
    assert not can_sign_in(server, name, password_of(name))


def test_own_email_change_needs_the_current_password_and_a_free_address(
    root: ckanapi.RemoteCKAN, person: tuple[str, ckanapi.RemoteCKAN]
) -> None:
    name, ckan = person
    with pytest.raises(ckanapi.ValidationError) as caught:
        ckan.action.user_patch(id=name, email="elsewhere@example.jp")
    assert "old_password" in caught.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as caught:
        ckan.action.user_patch(id=name, email="ua-root@example.jp", old_password=password_of(name))
    assert "email" in caught.value.error_dict  # another active account has it
    with pytest.raises(ckanapi.ValidationError) as caught:
        ckan.action.user_patch(id=name, email="not-an-address", old_password=password_of(name))
    assert "email" in caught.value.error_dict
    moved = ckan.action.user_patch(
        id=name, email=f"{name}.new@example.jp", old_password=password_of(name)
    )
    assert moved["email"] == f"{name}.new@example.jp"


def test_sysadmin_sets_another_users_password_and_name(
    server: LiveServer, root: ckanapi.RemoteCKAN, person: tuple[str, ckanapi.RemoteCKAN]
) -> None:
    name, _ckan = person
    root.action.user_patch(id=name, password="set-by-the-admin-1")  # no old password needed
    assert can_sign_in(server, name, "set-by-the-admin-1")
    renamed = root.action.user_patch(id=name, name=f"{name}-renamed")
    assert renamed["name"] == f"{name}-renamed"
    with pytest.raises(ckanapi.ValidationError) as caught:
        root.action.user_patch(id=f"{name}-renamed", name="ua-root")
    assert "name" in caught.value.error_dict


def test_users_cannot_rename_themselves_or_make_themselves_sysadmin(
    person: tuple[str, ckanapi.RemoteCKAN],
) -> None:
    name, ckan = person
    with pytest.raises(ckanapi.ValidationError) as caught:
        ckan.action.user_patch(id=name, name=f"{name}-x")
    assert "name" in caught.value.error_dict
    shown = ckan.action.user_patch(id=name, sysadmin=True, state="deleted")
    assert shown["sysadmin"] is False and shown["state"] == "active"  # ignored, as in CKAN


def test_users_cannot_update_other_users(
    server: LiveServer, root: ckanapi.RemoteCKAN, person: tuple[str, ckanapi.RemoteCKAN]
) -> None:
    _name, ckan = person
    for action in (ckan.action.user_update, ckan.action.user_patch):
        with pytest.raises(ckanapi.NotAuthorized):
            action(id="ua-root", fullname="乗っ取り")
        with pytest.raises(ckanapi.NotAuthorized):
            action(id="ua-root", password="taken-over-1234")
    with pytest.raises(ckanapi.NotAuthorized):
        server.ckan().action.user_patch(id="ua-root", fullname="匿名")
    assert server.act("user_show", {"id": "ua-root"})["fullname"] == ""
    with pytest.raises(ckanapi.NotFound):
        ckan.action.user_update(id="no-such-user", fullname="x")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.user_update(fullname="no id")


# -- user_delete ------------------------------------------------------------------------------


def test_a_deleted_user_loses_memberships_tokens_and_sign_in(
    server: LiveServer, root: ckanapi.RemoteCKAN, person: tuple[str, ckanapi.RemoteCKAN]
) -> None:
    name, ckan = person
    org = f"ua-org-{next(_serial)}"
    server.act("organization_create", {"name": org, "title": "削除テスト課"})
    server.act("organization_member_create", {"id": org, "username": name, "role": "editor"})
    browser = Visitor(server.url)
    browser.sign_in(name, password_of(name))
    assert browser.signed_in()
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.user_delete(id=name)  # not even oneself
    assert root.action.user_delete(id=name) is None
    members = root.action.organization_show(id=org, include_users=True)["users"]
    assert name not in {u["name"] for u in members}
    assert not server.act("api_token_list", {"user": name})
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.user_show()  # the old token no longer works
    assert not browser.signed_in()  # the open session ended
    assert not can_sign_in(server, name, password_of(name))
    assert root.action.user_show(id=name)["state"] == "deleted"
    with pytest.raises(ckanapi.NotFound):
        server.ckan(server.make_user(f"ua-viewer-{next(_serial)}")).action.user_show(id=name)
    with pytest.raises(ckanapi.NotFound):
        root.action.user_delete(id="no-such-user")


# -- who sees e-mail addresses ----------------------------------------------------------------


def test_autocomplete_finds_by_name_and_full_name_but_not_by_email(
    server: LiveServer, root: ckanapi.RemoteCKAN, person: tuple[str, ckanapi.RemoteCKAN]
) -> None:
    name, ckan = person
    server.act(
        "user_create",
        {
            "name": "ua-hidden",
            "email": "zq-secret@example.jp",
            "fullname": "周南 太郎",
            "password": "pw-ua-hidden-0",
        },
    )
    by_name = ckan.action.user_autocomplete(q="ua-hid")
    assert by_name == [{"id": by_name[0]["id"], "name": "ua-hidden", "fullname": "周南 太郎"}]
    assert [u["name"] for u in ckan.action.user_autocomplete(q="周南")] == ["ua-hidden"]
    assert ckan.action.user_autocomplete(q="zq-secret") == []  # no probing of addresses
    assert [u["name"] for u in root.action.user_autocomplete(q="zq-secret")] == ["ua-hidden"]
    assert "email" not in str(root.action.user_autocomplete(q="ua-hidden"))
    # % and _ are taken literally, ignore_self and limit work
    assert ckan.action.user_autocomplete(q="%") == []
    assert name not in {u["name"] for u in ckan.action.user_autocomplete(q="ua-", ignore_self=True)}
    assert len(ckan.action.user_autocomplete(q="ua-", limit=1)) == 1
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.user_autocomplete()
    with pytest.raises(ckanapi.NotAuthorized):
        server.ckan().action.user_autocomplete(q="ua-")


def test_user_list_email_filter_is_for_sysadmins_only(
    server: LiveServer, root: ckanapi.RemoteCKAN, person: tuple[str, ckanapi.RemoteCKAN]
) -> None:
    name, ckan = person
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.user_list(email="ua-root@example.jp")
    found = root.action.user_list(email="UA-ROOT@example.jp")
    assert [u["name"] for u in found] == ["ua-root"] and found[0]["email"] == "ua-root@example.jp"
    listed = {u["name"]: u for u in ckan.action.user_list(q="ua-")}
    assert "email" not in listed["ua-root"]
    assert listed[name]["email"] == f"{name}@example.jp"  # one's own, yes
    assert ckan.action.user_list(q="zq-secret@") == []  # q searches addresses for sysadmins only
    names = ckan.action.user_list(q="ua-", all_fields=False, order_by="name")
    assert names == sorted(names) and all(isinstance(n, str) for n in names)
    assert len(ckan.action.user_list(q="ua-", limit=2)) == 2
