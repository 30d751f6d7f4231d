"""Roles go to active users only, over the Action API with ckanapi on SQLite and PostgreSQL.

A deleted user cannot be made a member, group member or collaborator again (that would undo
user_delete); a pending user (invited, not yet accepted) gets a role only through an invitation
— whoever holds the invitation link becomes that account — though an admin may still change the
role they invited them with. Inviting the address of a deleted account makes a new pending
account; the address of an active one is refused. Also: the e-mail digest skips users who are
not active, and num_followers in organisation and group dicts is the real count.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import ckanapi
import pytest
from sqlalchemy import select

from support.live_server import LiveServer
from support.smtp_server import SmtpServer, body_of
from tsunagu.accounts.models import User

_serial = itertools.count(1)
NOT_ACCEPTED = "has not accepted their invitation yet"


@dataclass
class World:
    server: LiveServer
    prefix: str
    root: ckanapi.RemoteCKAN
    admin: ckanapi.RemoteCKAN  # admin of org and group
    org: str
    group: str
    dataset: str

    def fresh(self, label: str) -> str:
        name = f"{self.prefix}-{label}-{next(_serial)}"
        self.server.make_user(name)
        return name

    def deleted_user(self) -> str:
        name = self.fresh("gone")
        self.root.action.user_delete(id=name)
        return name

    def pending_user(self) -> dict[str, Any]:
        """Invited into another organisation: pending, holding a role there only."""
        email = f"{self.prefix}-invited-{next(_serial)}@example.jp"
        return dict(
            self.root.action.user_invite(email=email, group_id=f"{self.org}-other", role="member")
        )


@pytest.fixture(scope="module")
def world(server: LiveServer, backend: str) -> World:
    prefix = f"ms{backend[:2]}"
    org, group = f"{prefix}-org", f"{prefix}-group"
    root = server.ckan(server.make_user(f"{prefix}-root", sysadmin=True))
    admin_name = f"{prefix}-admin"
    admin = server.ckan(server.make_user(admin_name))
    for name in (org, f"{org}-other"):
        root.action.organization_create(name=name, title="市")
    root.action.organization_member_create(id=org, username=admin_name, role="admin")
    root.action.group_create(name=group, title="防災")
    root.action.group_member_create(id=group, username=admin_name, role="admin")
    dataset = f"{prefix}-ds"
    admin.action.package_create(name=dataset, title="避難所", owner_org=org, private=True)
    return World(server, prefix, root, admin, org, group, dataset)


def user_state(server: LiveServer, name: str) -> str | None:
    with server.services.sessions() as session:
        return session.scalar(select(User.state).where(User.name == name))


def org_users(world: World, org: str) -> dict[str, str]:
    shown = world.root.action.organization_show(id=org, include_users=True)
    return {u["name"]: u["capacity"] for u in shown["users"]}


# -- deleted users -------------------------------------------------------------------------------


def test_a_deleted_user_cannot_be_given_a_role_anywhere(world: World) -> None:
    gone = world.deleted_user()
    for caller in (world.admin, world.root):
        with pytest.raises(ckanapi.ValidationError) as org_error:
            caller.action.organization_member_create(id=world.org, username=gone, role="editor")
        assert "username" in org_error.value.error_dict
        with pytest.raises(ckanapi.ValidationError) as group_error:
            caller.action.group_member_create(id=world.group, username=gone, role="member")
        assert "username" in group_error.value.error_dict
        with pytest.raises(ckanapi.NotFound):
            caller.action.member_create(
                id=world.org, object=gone, object_type="user", capacity="editor"
            )
        with pytest.raises(ckanapi.NotFound):
            caller.action.package_collaborator_create(
                id=world.dataset, user_id=gone, capacity="editor"
            )
    assert gone not in org_users(world, world.org)
    assert world.root.action.package_collaborator_list(id=world.dataset) == []
    assert user_state(world.server, gone) == "deleted"


# -- pending users -------------------------------------------------------------------------------


def test_a_pending_user_gets_no_role_except_through_an_invitation(world: World) -> None:
    pending = world.pending_user()
    name = pending["name"]
    for caller in (world.admin, world.root):
        with pytest.raises(ckanapi.ValidationError) as org_error:
            caller.action.organization_member_create(id=world.org, username=name, role="editor")
        assert NOT_ACCEPTED in str(org_error.value.error_dict["username"])
        with pytest.raises(ckanapi.ValidationError) as group_error:
            caller.action.group_member_create(id=world.group, username=pending["id"], role="member")
        assert NOT_ACCEPTED in str(group_error.value.error_dict["username"])
        with pytest.raises(ckanapi.ValidationError) as member_error:
            caller.action.member_create(
                id=world.group, object=name, object_type="user", capacity="member"
            )
        assert NOT_ACCEPTED in str(member_error.value.error_dict["object"])
        with pytest.raises(ckanapi.ValidationError) as collaborator_error:
            caller.action.package_collaborator_create(
                id=world.dataset, user_id=name, capacity="editor"
            )
        assert NOT_ACCEPTED in str(collaborator_error.value.error_dict["user_id"])
    assert name not in org_users(world, world.org)
    assert world.root.action.package_collaborator_list(id=world.dataset) == []
    # An invitation into this organisation does give the same account a role here.
    invited = world.admin.action.user_invite(
        email=pending["email"], group_id=world.org, role="member"
    )
    assert invited["id"] == pending["id"] and org_users(world, world.org)[name] == "member"


def test_an_admin_may_change_the_role_of_someone_they_invited(world: World) -> None:
    email = f"{world.prefix}-newcomer-{next(_serial)}@example.jp"
    invited = world.admin.action.user_invite(email=email, group_id=world.org, role="member")
    assert invited["state"] == "pending"
    changed = world.admin.action.organization_member_create(
        id=world.org, username=invited["id"], role="editor"
    )
    assert (
        changed["capacity"] == "editor" and org_users(world, world.org)[invited["name"]] == "editor"
    )
    # And remove them before they accept.
    world.admin.action.organization_member_delete(id=world.org, username=invited["id"])
    assert invited["name"] not in org_users(world, world.org)


# -- user_invite and existing accounts -----------------------------------------------------------


def test_inviting_the_address_of_a_deleted_account_makes_a_new_pending_one(world: World) -> None:
    gone = world.deleted_user()
    invited = world.admin.action.user_invite(
        email=f"{gone}@example.jp", group_id=world.org, role="editor"
    )
    assert invited["state"] == "pending" and invited["name"] != gone
    assert user_state(world.server, gone) == "deleted"  # not brought back
    users = org_users(world, world.org)
    assert gone not in users and users[invited["name"]] == "editor"


def test_inviting_the_address_of_an_active_account_is_refused(world: World) -> None:
    active = world.fresh("active")
    with pytest.raises(ckanapi.ValidationError) as caught:
        world.admin.action.user_invite(
            email=f"{active}@example.jp", group_id=world.org, role="member"
        )
    assert "email" in caught.value.error_dict
    assert active not in org_users(world, world.org)


# -- the e-mail digest ---------------------------------------------------------------------------


def test_the_digest_skips_users_who_are_not_active(
    world: World, server: LiveServer, smtp: SmtpServer
) -> None:
    public = f"{world.prefix}-digest-ds-{next(_serial)}"
    world.admin.action.package_create(name=public, title="公開データ", owner_org=world.org)
    readers = {}
    for label in ("active", "deleted", "pending"):
        name = world.fresh(f"digest-{label}")
        ckan = server.ckan(server.act("api_token_create", {"user": name, "name": "t"})["token"])
        ckan.action.user_patch(id=name, activity_streams_email_notifications=True)
        ckan.action.follow_dataset(id=public)
        readers[label] = name
    world.root.action.user_delete(id=readers["deleted"])
    world.root.action.user_update(id=readers["pending"], state="pending")
    world.admin.action.package_patch(id=public, notes="更新しました")
    sent = world.root.action.send_email_notifications()
    assert sent["failed"] == []
    mails = smtp.mailbox.to(f"{readers['active']}@example.jp")
    assert any("公開データ" in body_of(m) for m in mails)
    for label in ("deleted", "pending"):
        assert smtp.mailbox.to(f"{readers[label]}@example.jp") == [], label


# -- num_followers -------------------------------------------------------------------------------


def test_num_followers_is_the_real_count(world: World, server: LiveServer) -> None:
    org, group = f"{world.prefix}-followed-org", f"{world.prefix}-followed-group"
    world.root.action.organization_create(name=org, title="フォローされる市")
    world.root.action.group_create(name=group, title="フォローされるグループ")
    followers = [world.fresh("follower") for _ in range(3)]
    for n, name in enumerate(followers):
        ckan = server.ckan(server.act("api_token_create", {"user": name, "name": "t"})["token"])
        ckan.action.follow_group(id=org)
        if n < 2:
            ckan.action.follow_group(id=group)
    world.root.action.user_delete(id=followers[0])  # a deleted follower no longer counts

    def shown(items: list[dict[str, Any]], name: str) -> int:
        return int(next(i for i in items if i["name"] == name)["num_followers"])

    reader = world.server.ckan()
    assert reader.action.organization_show(id=org)["num_followers"] == 2
    assert reader.action.organization_follower_count(id=org) == 2
    assert shown(reader.action.organization_list(all_fields=True, organizations=[org]), org) == 2
    assert reader.action.group_show(id=group)["num_followers"] == 1
    assert reader.action.group_follower_count(id=group) == 1
    assert shown(reader.action.group_list(all_fields=True), group) == 1
    assert shown(world.root.action.organization_list_for_user(permission="read"), org) == 2
    assert shown(world.root.action.group_list_authz(), group) == 1
    follower = server.ckan(
        server.act("api_token_create", {"user": followers[1], "name": "t2"})["token"]
    )
    assert shown(follower.action.organization_followee_list(id=followers[1]), org) == 2
    assert shown(follower.action.group_followee_list(id=followers[1]), group) == 1
    # Nothing followed: 0.
    assert reader.action.organization_show(id=world.org)["num_followers"] == 0
