"""Dataset collaborators over HTTP with ckanapi, on SQLite and PostgreSQL.

Organisation A (admin ``co-admin``) owns a private dataset with an uploaded CSV and a datastore
table. ``co-member`` and ``co-editor`` belong to no organisation; they are made collaborators on
that one dataset. What a collaborator may read and write is checked through every door: show,
search, download, datastore reads, updates; and removing the collaborator closes them at once.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from typing import Any

import ckanapi
import pytest
import requests

from support.live_server import LiveServer

ORG_A, ORG_B = "co-org-a", "co-org-b"
CSV = "地区,人口\n中央,1200\n".encode()
_serial = itertools.count(1)


@dataclass
class World:
    server: LiveServer
    tokens: dict[str, str]

    def ckan(self, who: str) -> ckanapi.RemoteCKAN:
        return self.server.ckan(self.tokens.get(who))

    def user_id(self, name: str) -> str:
        return str(self.server.act("user_show", {"id": name})["id"])


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    for org in (ORG_A, ORG_B):
        server.act("organization_create", {"name": org, "title": f"組織 {org}"})
    tokens = {}
    for name in ("co-admin", "co-editor-a", "co-member", "co-editor", "co-outsider", "co-b-admin"):
        tokens[name] = server.make_user(name)
    tokens["co-sysadmin"] = server.make_user("co-sysadmin", sysadmin=True)
    for org, user, role in [
        (ORG_A, "co-admin", "admin"),
        (ORG_A, "co-editor-a", "editor"),
        (ORG_B, "co-b-admin", "admin"),
        (ORG_B, "co-editor", "editor"),  # an editor in B, but only a collaborator in A
    ]:
        server.act("organization_member_create", {"id": org, "username": user, "role": role})
    return World(server, tokens)


@dataclass(frozen=True)
class Private:
    id: str
    name: str
    resource_id: str
    download_url: str
    table_id: str


def private_dataset(world: World, **fields: Any) -> Private:
    """A fresh private dataset of A with an uploaded CSV and a datastore table."""
    admin = world.ckan("co-admin")
    name = f"co-private-{next(_serial)}"
    pkg = admin.action.package_create(
        name=name, title=f"非公開 {name}", owner_org=ORG_A, private=True, **fields
    )
    resource = admin.action.resource_create(
        package_id=pkg["id"], name="CSV", upload=("p.csv", io.BytesIO(CSV))
    )
    table = admin.action.datastore_create(
        resource={"package_id": pkg["id"], "name": "表"},
        fields=[{"id": "値", "type": "int"}],
        records=[{"値": 7}],
    )
    return Private(pkg["id"], name, resource["id"], resource["url"], table["resource_id"])


def add(world: World, dataset: Private, user: str, capacity: str) -> dict[str, Any]:
    return world.ckan("co-admin").action.package_collaborator_create(
        id=dataset.id, user_id=user, capacity=capacity
    )


def found_in_search(world: World, who: str, dataset: Private, **params: Any) -> bool:
    result = world.ckan(who).action.package_search(fq=f'name:"{dataset.name}"', **params)
    return dataset.name in {p["name"] for p in result["results"]}


def can_download(world: World, who: str, dataset: Private) -> bool:
    response = requests.get(
        dataset.download_url, headers={"Authorization": world.tokens[who]}, timeout=10
    )
    return response.status_code == 200 and response.content == CSV


def reads(world: World, who: str, dataset: Private) -> dict[str, bool]:
    """Every way of reading the dataset, and whether it worked."""
    ckan = world.ckan(who)
    out = {}
    for door, call in {
        "package_show": lambda: ckan.action.package_show(id=dataset.id),
        "resource_show": lambda: ckan.action.resource_show(id=dataset.resource_id),
        "datastore_search": lambda: ckan.action.datastore_search(resource_id=dataset.table_id),
        "datastore_info": lambda: ckan.action.datastore_info(id=dataset.table_id),
        "datastore_search_sql": lambda: ckan.action.datastore_search_sql(
            sql=f'SELECT "値" FROM "{dataset.table_id}"'
        ),
    }.items():
        try:
            call()
            out[door] = True
        except (ckanapi.NotAuthorized, ckanapi.NotFound):
            out[door] = False
    out["search"] = found_in_search(world, who, dataset, include_private=True)
    out["download"] = can_download(world, who, dataset)
    return out


ALL_DOORS = {
    "package_show",
    "resource_show",
    "datastore_search",
    "datastore_info",
    "datastore_search_sql",
    "search",
    "download",
}


# -- creating, listing, removing -----------------------------------------------------------------


def test_org_admin_adds_lists_and_changes_collaborators(world: World) -> None:
    dataset = private_dataset(world)
    created = add(world, dataset, "co-member", "member")
    assert created["package_id"] == dataset.id
    assert created["user_id"] == world.user_id("co-member")
    assert created["capacity"] == "member"
    assert created["modified"]
    add(world, dataset, "co-editor", "editor")
    admin = world.ckan("co-admin")
    listed = admin.action.package_collaborator_list(id=dataset.name)
    assert {(c["user_id"], c["capacity"]) for c in listed} == {
        (world.user_id("co-member"), "member"),
        (world.user_id("co-editor"), "editor"),
    }
    editors = admin.action.package_collaborator_list(id=dataset.id, capacity="editor")
    assert [c["user_id"] for c in editors] == [world.user_id("co-editor")]
    # Adding again changes the role.
    assert add(world, dataset, "co-member", "editor")["capacity"] == "editor"
    assert len(admin.action.package_collaborator_list(id=dataset.id, capacity="editor")) == 2


def test_list_for_user_is_for_the_user_themself(world: World) -> None:
    dataset = private_dataset(world)
    add(world, dataset, "co-member", "member")
    mine = world.ckan("co-member").action.package_collaborator_list_for_user(id="co-member")
    assert dataset.id in {c["package_id"] for c in mine}
    entry = next(c for c in mine if c["package_id"] == dataset.id)
    assert entry["capacity"] == "member" and entry["modified"]
    only_editor = world.ckan("co-member").action.package_collaborator_list_for_user(
        id=world.user_id("co-member"), capacity="editor"
    )
    assert dataset.id not in {c["package_id"] for c in only_editor}
    by_sysadmin = world.ckan("co-sysadmin").action.package_collaborator_list_for_user(
        id="co-member"
    )
    assert dataset.id in {c["package_id"] for c in by_sysadmin}
    for who in ("co-admin", "co-outsider", "anonymous"):
        with pytest.raises(ckanapi.NotAuthorized):
            world.ckan(who).action.package_collaborator_list_for_user(id="co-member")


def test_removing_a_collaborator(world: World) -> None:
    dataset = private_dataset(world)
    add(world, dataset, "co-member", "member")
    world.ckan("co-admin").action.package_collaborator_delete(id=dataset.id, user_id="co-member")
    assert world.ckan("co-admin").action.package_collaborator_list(id=dataset.id) == []
    with pytest.raises(ckanapi.NotFound):
        world.ckan("co-admin").action.package_collaborator_delete(
            id=dataset.id, user_id="co-member"
        )


# -- what collaborators may read and write -------------------------------------------------------


def test_without_collaboration_nothing_is_readable(world: World) -> None:
    dataset = private_dataset(world)
    for who in ("co-member", "co-editor", "co-outsider", "co-b-admin"):
        assert reads(world, who, dataset) == dict.fromkeys(ALL_DOORS, False), who


@pytest.mark.parametrize("capacity", ["member", "editor"])
def test_a_collaborator_reads_the_private_dataset_everywhere(world: World, capacity: str) -> None:
    dataset = private_dataset(world)
    user = f"co-{capacity}"
    add(world, dataset, user, capacity)
    assert reads(world, user, dataset) == dict.fromkeys(ALL_DOORS, True)
    # Private datasets stay out of a search that does not ask for them, as for org members.
    assert not found_in_search(world, user, dataset)
    # package_search's facets count it for the collaborator only.
    facets = world.ckan(user).action.package_search(
        fq=f'name:"{dataset.name}"', include_private=True, **{"facet.field": ["organization"]}
    )["facets"]
    assert facets["organization"] == {ORG_A: 1}


def test_collaboration_gives_no_rights_on_the_organisations_other_datasets(world: World) -> None:
    dataset, other = private_dataset(world), private_dataset(world)
    add(world, dataset, "co-editor", "editor")
    assert reads(world, "co-editor", other) == dict.fromkeys(ALL_DOORS, False)
    with pytest.raises(ckanapi.NotAuthorized):
        world.ckan("co-editor").action.package_patch(id=other.id, title="乗っ取り")


def test_a_member_collaborator_may_not_write(world: World) -> None:
    dataset = private_dataset(world)
    add(world, dataset, "co-member", "member")
    ckan = world.ckan("co-member")
    for call in (
        lambda: ckan.action.package_patch(id=dataset.id, title="変更"),
        lambda: ckan.action.resource_patch(id=dataset.resource_id, name="変更"),
        lambda: ckan.action.package_delete(id=dataset.id),
        lambda: ckan.action.datastore_upsert(
            resource_id=dataset.table_id, method="insert", records=[{"値": 1}]
        ),
    ):
        with pytest.raises(ckanapi.NotAuthorized):
            call()
    shown = world.server.act("package_show", {"id": dataset.id})
    assert (shown["title"], shown["state"]) == (f"非公開 {dataset.name}", "active")


def test_an_editor_collaborator_edits_the_dataset_and_its_data(world: World) -> None:
    dataset = private_dataset(world)
    add(world, dataset, "co-editor", "editor")
    ckan = world.ckan("co-editor")
    assert ckan.action.package_patch(id=dataset.id, title="共同編集")["title"] == "共同編集"
    assert ckan.action.resource_patch(id=dataset.resource_id, name="改名")["name"] == "改名"
    ckan.action.datastore_upsert(resource_id=dataset.table_id, method="insert", records=[{"値": 8}])
    assert world.server.act("datastore_info", {"id": dataset.table_id})["meta"]["count"] == 2
    # The change is in search at once.
    found = ckan.action.package_search(q="共同編集", include_private=True)["results"]
    assert dataset.name in {p["name"] for p in found}


def test_an_editor_collaborator_may_not_move_the_dataset(world: World) -> None:
    """Not even to an organisation where they are an editor (CKAN's
    allow_collaborators_to_change_owner_org is off by default)."""
    dataset = private_dataset(world)
    add(world, dataset, "co-editor", "editor")
    ckan = world.ckan("co-editor")
    with pytest.raises((ckanapi.NotAuthorized, ckanapi.ValidationError)):
        ckan.action.package_patch(id=dataset.id, owner_org=ORG_B)
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.package_owner_org_update(id=dataset.id, organization_id=ORG_B)
    assert world.server.act("package_show", {"id": dataset.id})["organization"]["name"] == ORG_A


def test_an_editor_collaborator_may_delete_the_dataset_as_in_ckan(world: World) -> None:
    dataset = private_dataset(world)
    add(world, dataset, "co-editor", "editor")
    world.ckan("co-editor").action.package_delete(id=dataset.id)
    assert world.server.act("package_show", {"id": dataset.id})["state"] == "deleted"
    # A deleted dataset gives its collaborators nothing, and no longer shows in their list.
    assert not reads(world, "co-editor", dataset)["package_show"]
    mine = world.ckan("co-editor").action.package_collaborator_list_for_user(id="co-editor")
    assert dataset.id not in {c["package_id"] for c in mine}


def test_drafts_are_for_editor_collaborators(world: World) -> None:
    dataset = private_dataset(world, state="draft")
    add(world, dataset, "co-member", "member")
    add(world, dataset, "co-editor", "editor")
    with pytest.raises(ckanapi.NotAuthorized):
        world.ckan("co-member").action.package_show(id=dataset.id)
    assert world.ckan("co-editor").action.package_show(id=dataset.id)["state"] == "draft"
    drafts = {"include_private": True, "include_drafts": True}
    assert found_in_search(world, "co-editor", dataset, **drafts)
    assert not found_in_search(world, "co-member", dataset, **drafts)


def test_removing_a_collaborator_revokes_access_at_once(world: World) -> None:
    dataset = private_dataset(world)
    add(world, dataset, "co-editor", "editor")
    assert reads(world, "co-editor", dataset) == dict.fromkeys(ALL_DOORS, True)
    world.ckan("co-admin").action.package_collaborator_delete(id=dataset.id, user_id="co-editor")
    assert reads(world, "co-editor", dataset) == dict.fromkeys(ALL_DOORS, False)
    with pytest.raises(ckanapi.NotAuthorized):
        world.ckan("co-editor").action.package_patch(id=dataset.id, title="もう無理")


def test_a_public_dataset_stays_public_for_collaborators(world: World) -> None:
    dataset = private_dataset(world)
    world.ckan("co-admin").action.package_patch(id=dataset.id, private=False)
    add(world, dataset, "co-member", "member")
    assert found_in_search(world, "co-member", dataset)
    assert found_in_search(world, "co-outsider", dataset)


# -- bad paths -----------------------------------------------------------------------------------


@pytest.mark.parametrize("capacity", ["admin", "owner", ""])
def test_wrong_capacity_is_a_validation_error(world: World, capacity: str) -> None:
    dataset = private_dataset(world)
    with pytest.raises(ckanapi.ValidationError) as exc:
        add(world, dataset, "co-member", capacity)
    assert "capacity" in exc.value.error_dict
    assert world.ckan("co-admin").action.package_collaborator_list(id=dataset.id) == []
    with pytest.raises(ckanapi.ValidationError):
        world.ckan("co-admin").action.package_collaborator_list(id=dataset.id, capacity="owner")


def test_unknown_user_or_dataset_is_not_found(world: World) -> None:
    dataset = private_dataset(world)
    admin = world.ckan("co-admin")
    with pytest.raises(ckanapi.NotFound):
        admin.action.package_collaborator_create(id=dataset.id, user_id="nobody", capacity="member")
    with pytest.raises(ckanapi.NotFound):
        admin.action.package_collaborator_create(
            id="no-such", user_id="co-member", capacity="member"
        )
    with pytest.raises(ckanapi.NotFound):
        admin.action.package_collaborator_list(id="no-such")
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.package_collaborator_create(id=dataset.id, capacity="member")
    assert "user_id" in exc.value.error_dict


@pytest.mark.parametrize("who", ["co-editor-a", "co-outsider", "co-b-admin", "co-editor"])
def test_only_the_organisation_admin_manages_collaborators(world: World, who: str) -> None:
    """An editor of A, an outsider, the admin of another organisation, and an editor-collaborator
    (admin collaborators are not enabled) may not add, list or remove collaborators."""
    dataset = private_dataset(world)
    add(world, dataset, "co-editor", "editor")
    ckan = world.ckan(who)
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.package_collaborator_create(
            id=dataset.id, user_id="co-outsider", capacity="editor"
        )
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.package_collaborator_list(id=dataset.id)
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.package_collaborator_delete(id=dataset.id, user_id="co-editor")
    listed = world.ckan("co-admin").action.package_collaborator_list(id=dataset.id)
    assert [(c["user_id"], c["capacity"]) for c in listed] == [
        (world.user_id("co-editor"), "editor")
    ]


def test_anonymous_is_told_a_private_dataset_does_not_exist(world: World) -> None:
    dataset = private_dataset(world)
    anonymous = world.server.ckan()
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.package_collaborator_list(id=dataset.id)
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.package_collaborator_create(
            id=dataset.id, user_id="co-member", capacity="member"
        )


def test_a_sysadmin_manages_collaborators(world: World) -> None:
    dataset = private_dataset(world)
    ckan = world.ckan("co-sysadmin")
    ckan.action.package_collaborator_create(id=dataset.id, user_id="co-member", capacity="member")
    assert len(ckan.action.package_collaborator_list(id=dataset.id)) == 1
    ckan.action.package_collaborator_delete(id=dataset.id, user_id="co-member")
    assert ckan.action.package_collaborator_list(id=dataset.id) == []
