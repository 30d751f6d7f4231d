"""Members of groups and organisations over HTTP with ckanapi, on SQLite and PostgreSQL:
member_create / member_delete / member_list, group_member_create / group_member_delete, and the
group actions whose rights follow group roles (group_update, group_patch, group_delete,
group_list_authz), with group_package_show and the autocompletes.

Cast: group ``mb-bousai`` has an admin, an editor and a member (none of them in any organisation);
organisation A has an admin and an editor; ``mb-outsider`` belongs nowhere.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import ckanapi
import pytest

from support.live_server import LiveServer

GROUP, OTHER_GROUP, ORG_A, ORG_B = "mb-bousai", "mb-kosodate", "mb-org-a", "mb-org-b"
USERS = (
    "mb-gadmin",
    "mb-geditor",
    "mb-gmember",
    "mb-a-admin",
    "mb-a-editor",
    "mb-b-admin",
    "mb-outsider",
    "mb-victim",
)
_serial = itertools.count(1)


@dataclass
class World:
    server: LiveServer
    tokens: dict[str, str]

    def ckan(self, who: str) -> ckanapi.RemoteCKAN:
        return self.server.ckan(self.tokens.get(who))

    def user_id(self, name: str) -> str:
        return str(self.server.act("user_show", {"id": name})["id"])

    def act(self, name: str, data: dict[str, Any]) -> Any:
        return self.server.act(name, data)


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    tokens = {name: server.make_user(name) for name in USERS}
    tokens["mb-sysadmin"] = server.make_user("mb-sysadmin", sysadmin=True)
    server.act("group_create", {"name": GROUP, "title": "防災", "description": "災害への備え"})
    server.act("group_create", {"name": OTHER_GROUP, "title": "子育て"})
    for role in ("admin", "editor", "member"):
        server.act("group_member_create", {"id": GROUP, "username": f"mb-g{role}", "role": role})
    for org in (ORG_A, ORG_B):
        server.act("organization_create", {"name": org, "title": f"組織 {org}"})
    server.act(
        "organization_member_create", {"id": ORG_A, "username": "mb-a-admin", "role": "admin"}
    )
    server.act(
        "organization_member_create", {"id": ORG_A, "username": "mb-a-editor", "role": "editor"}
    )
    server.act(
        "organization_member_create", {"id": ORG_B, "username": "mb-b-admin", "role": "admin"}
    )
    return World(server, tokens)


def dataset(world: World, *, private: bool = False, groups: list[str] | None = None) -> str:
    name = f"mb-ds-{next(_serial)}"
    world.act(
        "package_create",
        {
            "name": name,
            "title": f"避難所 {name}",
            "owner_org": ORG_A,
            "private": private,
            "groups": [{"name": g} for g in groups or []],
        },
    )
    return name


def groups_of(world: World, name: str) -> set[str]:
    return {g["name"] for g in world.act("package_show", {"id": name})["groups"]}


def group_users(world: World, group: str) -> dict[str, str]:
    rows = world.act("member_list", {"id": group, "object_type": "user"})
    names = {world.user_id(n): n for n in (*USERS, "mb-sysadmin")}
    return {names.get(user_id, user_id): capacity for user_id, _, capacity in rows}


def fresh_group(world: World) -> str:
    name = f"mb-group-{next(_serial)}"
    world.act("group_create", {"name": name, "title": "変更前", "description": "説明"})
    world.act("group_member_create", {"id": name, "username": "mb-gadmin", "role": "admin"})
    world.act("group_member_create", {"id": name, "username": "mb-gmember", "role": "member"})
    return name


# -- users in groups -----------------------------------------------------------------------------


def test_group_admin_adds_changes_and_removes_a_user(world: World) -> None:
    group = fresh_group(world)
    ckan = world.ckan("mb-gadmin")
    created = ckan.action.group_member_create(id=group, username="mb-victim", role="editor")
    assert created["table_name"] == "user"
    assert created["table_id"] == world.user_id("mb-victim")
    assert created["capacity"] == "editor"
    assert created["state"] == "active"
    assert created["group_id"] == world.act("group_show", {"id": group})["id"]
    assert group_users(world, group)["mb-victim"] == "editor"
    ckan.action.group_member_create(id=group, username=world.user_id("mb-victim"), role="member")
    assert group_users(world, group)["mb-victim"] == "member"
    ckan.action.group_member_delete(id=group, username="mb-victim")
    assert "mb-victim" not in group_users(world, group)
    # Removing someone who is not a member changes nothing (as CKAN).
    ckan.action.group_member_delete(id=group, username="mb-victim")


def test_member_create_with_a_user_works_like_group_member_create(world: World) -> None:
    group = fresh_group(world)
    ckan = world.ckan("mb-gadmin")
    created = ckan.action.member_create(
        id=group, object="mb-victim", object_type="user", capacity="admin"
    )
    assert (created["table_name"], created["capacity"]) == ("user", "admin")
    assert group_users(world, group)["mb-victim"] == "admin"
    ckan.action.member_delete(id=group, object="mb-victim", object_type="user")
    assert "mb-victim" not in group_users(world, group)


@pytest.mark.parametrize("who", ["mb-gmember", "mb-geditor", "mb-outsider", "mb-a-admin", None])
def test_only_group_admins_manage_group_users(world: World, who: str | None) -> None:
    group = fresh_group(world)
    if who == "mb-geditor":
        world.act("group_member_create", {"id": group, "username": who, "role": "editor"})
    ckan = world.ckan(who or "anonymous")
    before = group_users(world, group)
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.group_member_create(id=group, username="mb-victim", role="member")
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.member_create(
            id=group, object="mb-victim", object_type="user", capacity="member"
        )
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.group_member_delete(id=group, username="mb-gmember")
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.member_delete(id=group, object="mb-gmember", object_type="user")
    assert group_users(world, group) == before


def test_group_member_bad_paths(world: World) -> None:
    group = fresh_group(world)
    ckan = world.ckan("mb-gadmin")
    with pytest.raises(ckanapi.ValidationError) as exc:
        ckan.action.group_member_create(id=group, username="mb-victim", role="owner")
    assert "role" in exc.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as exc:
        ckan.action.group_member_create(id=group, username="no-such-user", role="member")
    assert "username" in exc.value.error_dict
    with pytest.raises(ckanapi.NotFound):
        ckan.action.group_member_create(id="no-such-group", username="mb-victim", role="member")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.group_member_delete(id=group, username="no-such-user")
    with pytest.raises(ckanapi.ValidationError) as exc:
        ckan.action.member_create(
            id=group, object="mb-victim", object_type="user", capacity="owner"
        )
    assert "capacity" in exc.value.error_dict
    with pytest.raises(ckanapi.NotFound):
        ckan.action.member_create(
            id=group, object="no-such-user", object_type="user", capacity="member"
        )
    with pytest.raises(ckanapi.ValidationError) as exc:
        ckan.action.member_create(id=group, object="mb-victim", object_type="tag", capacity="x")
    assert "object_type" in exc.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as exc:
        ckan.action.member_create(id=group, object_type="user", capacity="member")
    assert "object" in exc.value.error_dict
    assert "mb-victim" not in group_users(world, group)


def test_an_admin_may_not_lower_their_own_role(world: World) -> None:
    group = fresh_group(world)
    ckan = world.ckan("mb-gadmin")
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.group_member_create(id=group, username="mb-gadmin", role="member")
    assert group_users(world, group)["mb-gadmin"] == "admin"
    with pytest.raises(ckanapi.NotAuthorized):
        world.ckan("mb-a-admin").action.organization_member_create(
            id=ORG_A, username="mb-a-admin", role="editor"
        )
    users = world.act("organization_show", {"id": ORG_A, "include_users": True})["users"]
    assert {u["name"]: u["capacity"] for u in users}["mb-a-admin"] == "admin"


def test_users_of_an_organisation_through_member_create(world: World) -> None:
    org = f"mb-extra-{next(_serial)}"
    world.act("organization_create", {"name": org, "title": "組織"})
    world.act("organization_member_create", {"id": org, "username": "mb-a-admin", "role": "admin"})
    admin = world.ckan("mb-a-admin")
    admin.action.member_create(id=org, object="mb-victim", object_type="user", capacity="editor")
    rows = admin.action.member_list(id=org, object_type="user")
    assert [world.user_id("mb-victim"), "user", "editor"] in rows
    with pytest.raises(ckanapi.NotAuthorized):
        world.ckan("mb-victim").action.member_create(
            id=org, object="mb-outsider", object_type="user", capacity="member"
        )
    admin.action.member_delete(id=org, object="mb-victim", object_type="user")
    assert world.user_id("mb-victim") not in {r[0] for r in admin.action.member_list(id=org)}


# -- datasets in groups --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["mb-gmember", "mb-geditor", "mb-gadmin", "mb-a-editor"])
def test_adding_a_dataset_to_a_group(world: World, who: str) -> None:
    """Any member of the group may (CKAN's manage_group), and so may an editor of the dataset."""
    name = dataset(world)
    created = world.ckan(who).action.member_create(
        id=GROUP, object=name, object_type="package", capacity="public"
    )
    assert created["table_name"] == "package"
    assert created["capacity"] == "public"
    assert groups_of(world, name) == {GROUP}
    # Search shows it at once.
    found = world.ckan("mb-outsider").action.package_search(fq=f'groups:"{GROUP}"', rows=1000)
    assert name in {p["name"] for p in found["results"]}
    world.ckan(who).action.member_delete(id=GROUP, object=name, object_type="package")
    assert groups_of(world, name) == set()
    found = world.ckan("mb-outsider").action.package_search(fq=f'groups:"{GROUP}"', rows=1000)
    assert name not in {p["name"] for p in found["results"]}


@pytest.mark.parametrize("who", ["mb-outsider", "mb-b-admin", None])
def test_others_may_not_add_or_remove_datasets(world: World, who: str | None) -> None:
    """An outsider, an admin of another organisation and an anonymous caller."""
    name = dataset(world)
    inside = dataset(world, groups=[GROUP])
    ckan = world.ckan(who or "anonymous")
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.member_create(id=GROUP, object=name, object_type="package", capacity="public")
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.member_delete(id=GROUP, object=inside, object_type="package")
    assert groups_of(world, name) == set()
    assert groups_of(world, inside) == {GROUP}


def test_a_group_member_may_not_add_a_private_dataset_they_cannot_read(world: World) -> None:
    name = dataset(world, private=True)
    with pytest.raises(ckanapi.NotAuthorized):
        world.ckan("mb-gmember").action.member_create(
            id=GROUP, object=name, object_type="package", capacity="public"
        )
    with pytest.raises(ckanapi.NotFound):
        world.server.ckan().action.member_create(
            id=GROUP, object=name, object_type="package", capacity="public"
        )
    assert groups_of(world, name) == set()
    # Its organisation's editor may.
    world.ckan("mb-a-editor").action.member_create(
        id=GROUP, object=name, object_type="package", capacity="public"
    )
    assert groups_of(world, name) == {GROUP}


def test_dataset_member_bad_paths(world: World) -> None:
    name = dataset(world)
    ckan = world.ckan("mb-gadmin")
    with pytest.raises(ckanapi.ValidationError) as exc:
        ckan.action.member_create(id=GROUP, object=name, object_type="package", capacity="admin")
    assert "capacity" in exc.value.error_dict
    with pytest.raises(ckanapi.NotFound):
        ckan.action.member_create(
            id=GROUP, object="no-such-dataset", object_type="package", capacity="public"
        )
    with pytest.raises(ckanapi.NotFound):
        ckan.action.member_create(
            id="no-such-group", object=name, object_type="package", capacity="public"
        )
    # A dataset's organisation is its owner_org, not a membership.
    with pytest.raises(ckanapi.ValidationError) as exc:
        world.ckan("mb-sysadmin").action.member_create(
            id=ORG_B, object=name, object_type="package", capacity="organization"
        )
    assert "object_type" in exc.value.error_dict
    assert groups_of(world, name) == set()
    assert world.act("package_show", {"id": name})["organization"]["name"] == ORG_A


# -- member_list ---------------------------------------------------------------------------------


def test_member_list_of_a_group(world: World) -> None:
    group = fresh_group(world)
    public = dataset(world, groups=[group])
    private = dataset(world, private=True, groups=[group])
    public_id = world.act("package_show", {"id": public})["id"]
    private_id = world.act("package_show", {"id": private})["id"]
    as_member = world.ckan("mb-gmember").action.member_list(id=group)
    assert [world.user_id("mb-gadmin"), "user", "admin"] in as_member
    assert [world.user_id("mb-gmember"), "user", "member"] in as_member
    assert [public_id, "package", "public"] in as_member
    # The private dataset is listed only to those who may read it.
    assert private_id not in {r[0] for r in as_member}
    as_editor = world.ckan("mb-a-editor").action.member_list(id=group, object_type="package")
    assert {r[0] for r in as_editor} == {public_id, private_id}
    admins = world.ckan("mb-gmember").action.member_list(id=group, capacity="admin")
    assert admins == [[world.user_id("mb-gadmin"), "user", "admin"]]


@pytest.mark.parametrize("who", ["mb-outsider", None])
def test_member_list_shows_users_to_members_only(world: World, who: str | None) -> None:
    group = fresh_group(world)
    public = dataset(world, groups=[group])
    ckan = world.ckan(who or "anonymous")
    rows = ckan.action.member_list(id=group)
    assert rows == [[world.act("package_show", {"id": public})["id"], "package", "public"]]
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.member_list(id=group, object_type="user")
    org_rows = ckan.action.member_list(id=ORG_A)
    assert {r[1] for r in org_rows} <= {"package"}
    assert world.user_id("mb-a-admin") not in {r[0] for r in org_rows}


def test_member_list_of_an_organisation(world: World) -> None:
    public = dataset(world)
    private = dataset(world, private=True)
    ids = {n: world.act("package_show", {"id": n})["id"] for n in (public, private)}
    as_admin = world.ckan("mb-a-admin").action.member_list(id=ORG_A)
    assert [world.user_id("mb-a-editor"), "user", "editor"] in as_admin
    assert [ids[public], "package", "organization"] in as_admin
    assert [ids[private], "package", "organization"] in as_admin
    as_outsider = world.ckan("mb-outsider").action.member_list(id=ORG_A, object_type="package")
    assert [ids[public], "package", "organization"] in as_outsider
    assert ids[private] not in {r[0] for r in as_outsider}


def test_member_list_bad_paths(world: World) -> None:
    ckan = world.ckan("mb-gadmin")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.member_list(id="no-such-group")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.member_list(id=GROUP, object_type="tag")


# -- changing and deleting groups ----------------------------------------------------------------


def test_group_admin_updates_and_patches_the_group(world: World) -> None:
    group = fresh_group(world)
    ckan = world.ckan("mb-gadmin")
    patched = ckan.action.group_patch(id=group, title="変更後")
    assert patched["title"] == "変更後"
    assert patched["description"] == "説明"  # patch keeps what it was not given
    updated = ckan.action.group_update(id=group, title="更新後")
    assert (updated["title"], updated["description"]) == ("更新後", "")
    world.ckan("mb-sysadmin").action.group_patch(id=group, title="管理者")
    assert world.act("group_show", {"id": group})["title"] == "管理者"


@pytest.mark.parametrize("who", ["mb-gmember", "mb-geditor", "mb-outsider", "mb-a-admin", None])
def test_only_group_admins_change_or_delete_the_group(world: World, who: str | None) -> None:
    group = fresh_group(world)
    if who == "mb-geditor":
        world.act("group_member_create", {"id": group, "username": who, "role": "editor"})
    ckan = world.ckan(who or "anonymous")
    for call in (
        lambda: ckan.action.group_patch(id=group, title="乗っ取り"),
        lambda: ckan.action.group_update(id=group, title="乗っ取り"),
        lambda: ckan.action.group_delete(id=group),
    ):
        with pytest.raises(ckanapi.NotAuthorized):
            call()
    shown = world.act("group_show", {"id": group})
    assert (shown["title"], shown["state"]) == ("変更前", "active")


def test_deleting_a_group_takes_its_datasets_and_members_out(world: World) -> None:
    group = fresh_group(world)
    name = dataset(world, groups=[group])
    world.ckan("mb-gadmin").action.group_delete(id=group)
    with pytest.raises(ckanapi.NotFound):
        world.ckan("mb-gadmin").action.group_show(id=group)
    assert groups_of(world, name) == set()
    found = world.ckan("mb-outsider").action.package_search(fq=f'groups:"{group}"')
    assert found["count"] == 0
    authz = world.ckan("mb-gadmin").action.group_list_authz()
    assert group not in {g["name"] for g in authz}
    with pytest.raises(ckanapi.NotFound):
        world.ckan("mb-gadmin").action.group_delete(id=group)


# -- group_list_authz, group_package_show, autocomplete ------------------------------------------


def test_group_list_authz(world: World) -> None:
    assert {g["name"] for g in world.ckan("mb-gmember").action.group_list_authz()} >= {GROUP}
    assert OTHER_GROUP not in {
        g["name"] for g in world.ckan("mb-gmember").action.group_list_authz()
    }
    assert world.ckan("mb-outsider").action.group_list_authz() == []
    assert world.server.ckan().action.group_list_authz() == []
    everything = {g["name"] for g in world.ckan("mb-sysadmin").action.group_list_authz()}
    assert {GROUP, OTHER_GROUP} <= everything
    assert world.ckan("mb-sysadmin").action.group_list_authz(am_member=True) == []
    name = dataset(world, groups=[GROUP])
    available = world.ckan("mb-gmember").action.group_list_authz(available_only=True, id=name)
    assert GROUP not in {g["name"] for g in available}
    counted = world.ckan("mb-gmember").action.group_list_authz(
        include_dataset_count=True, include_member_count=True
    )
    bousai = next(g for g in counted if g["name"] == GROUP)
    assert bousai["package_count"] >= 1
    assert bousai["member_count"] == 3
    assert "package_count" not in world.ckan("mb-gmember").action.group_list_authz()[0]


def test_group_package_show(world: World) -> None:
    group = fresh_group(world)
    names = [dataset(world, groups=[group]) for _ in range(3)]
    hidden = dataset(world, private=True, groups=[group])
    shown = world.ckan("mb-outsider").action.group_package_show(id=group)
    assert {p["name"] for p in shown} == set(names)
    assert len(world.ckan("mb-outsider").action.group_package_show(id=group, limit=2)) == 2
    # As CKAN (package_search without include_private): public datasets, whoever asks.
    as_editor = world.ckan("mb-a-editor").action.group_package_show(id=group)
    assert hidden not in {p["name"] for p in as_editor}
    with pytest.raises(ckanapi.ValidationError):
        world.ckan("mb-outsider").action.group_package_show(id=group, limit=-1)
    with pytest.raises(ckanapi.NotFound):
        world.ckan("mb-outsider").action.group_package_show(id="no-such-group")


def test_autocomplete(world: World) -> None:
    anonymous = world.server.ckan()
    found = anonymous.action.group_autocomplete(q="bou")
    assert [(g["name"], g["title"]) for g in found] == [(GROUP, "防災")]
    assert set(found[0]) == {"id", "name", "title"}
    assert [g["name"] for g in anonymous.action.group_autocomplete(q="子育")] == [OTHER_GROUP]
    # Groups and organisations are kept apart.
    assert anonymous.action.group_autocomplete(q="mb-org") == []
    orgs = anonymous.action.organization_autocomplete(q="MB-ORG")
    assert [o["name"] for o in orgs] == [ORG_A, ORG_B]
    assert len(anonymous.action.organization_autocomplete(q="組織", limit=1)) == 1
    # % and _ are plain characters, not wildcards.
    assert anonymous.action.organization_autocomplete(q="%") == []
    with pytest.raises(ckanapi.ValidationError):
        anonymous.action.group_autocomplete()


def test_organization_list_for_user_with_counts(world: World) -> None:
    dataset(world)
    orgs = world.ckan("mb-a-editor").action.organization_list_for_user(
        include_dataset_count=True, include_member_count=True
    )
    assert [(o["name"], o["capacity"]) for o in orgs] == [(ORG_A, "editor")]
    # Public datasets are counted, as in CKAN's lists.
    public = world.server.ckan().action.package_search(fq=f"organization:{ORG_A}")["count"]
    assert orgs[0]["package_count"] == public
    assert orgs[0]["member_count"] == 2
    assert (
        world.ckan("mb-a-editor").action.organization_list_for_user(permission="membership") == []
    )
