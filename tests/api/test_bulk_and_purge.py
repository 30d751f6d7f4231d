"""Bulk changes, moving and purging over HTTP with ckanapi, on SQLite and PostgreSQL:
bulk_update_private / bulk_update_public / bulk_update_delete, package_owner_org_update,
dataset_purge, group_purge and organization_purge.

A purge is checked where it must leave nothing: the database rows (by foreign key and not), the
datastore tables, the stored files on disk (every version ever uploaded), and the search index of
this process and of another one catching up by revision.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ckanapi
import pytest
from sqlalchemy import inspect, text

from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.errors import NotFound
from tsunagu.search.interface import SearchQuery, Visibility
from tsunagu.search.memory_index import MemoryIndex

ORG_A, ORG_B, GROUP = "bp-org-a", "bp-org-b", "bp-group"
CSV = "地区,人口\n中央,1200\n北,800\n".encode()
PII_CSV = "氏名,携帯電話\n山田 太郎,090-1234-5678\n佐藤 花子,080-2345-6789\n".encode()
_serial = itertools.count(1)


@dataclass
class World:
    server: LiveServer
    tokens: dict[str, str]

    def ckan(self, who: str) -> ckanapi.RemoteCKAN:
        return self.server.ckan(self.tokens.get(who))

    def act(self, name: str, data: dict[str, Any]) -> Any:
        return self.server.act(name, data)

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.server.services.engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text(sql), params)]

    def exists(self, ref: str) -> bool:
        try:
            self.act("package_show", {"id": ref})
        except NotFound:
            return False
        return True


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    tokens = {}
    for name in ("bp-a-admin", "bp-a-editor", "bp-a-member", "bp-b-admin", "bp-outsider"):
        tokens[name] = server.make_user(name)
    tokens["bp-sysadmin"] = server.make_user("bp-sysadmin", sysadmin=True)
    for org in (ORG_A, ORG_B):
        server.act("organization_create", {"name": org, "title": f"組織 {org}"})
    for org, user, role in [
        (ORG_A, "bp-a-admin", "admin"),
        (ORG_A, "bp-a-editor", "editor"),
        (ORG_A, "bp-a-member", "member"),
        (ORG_B, "bp-b-admin", "admin"),
    ]:
        server.act("organization_member_create", {"id": org, "username": user, "role": role})
    server.act("group_create", {"name": GROUP, "title": "防災"})
    return World(server, tokens)


def dataset(world: World, org: str = ORG_A, **fields: Any) -> str:
    name = f"bp-ds-{next(_serial)}"
    world.act(
        "package_create", {"name": name, "title": f"データ {name}", "owner_org": org, **fields}
    )
    return name


def shown(world: World, name: str) -> dict[str, Any]:
    return dict(world.act("package_show", {"id": name}))


def anonymous_finds(world: World, name: str) -> bool:
    found = world.server.ckan().action.package_search(fq=f'name:"{name}"')
    return found["count"] == 1


# -- bulk updates --------------------------------------------------------------------------------


def test_bulk_private_public_and_delete_show_at_once(world: World) -> None:
    names = [dataset(world) for _ in range(2)]
    elsewhere = dataset(world, ORG_B)
    ids = [shown(world, n)["id"] for n in names]
    admin = world.ckan("bp-a-admin")
    org_a = world.act("organization_show", {"id": ORG_A})["id"]
    admin.action.bulk_update_private(datasets=[*ids, shown(world, elsewhere)["id"]], org_id=org_a)
    for name in names:
        assert shown(world, name)["private"] is True
        assert not anonymous_finds(world, name)
    # Only the organisation's own datasets change.
    assert shown(world, elsewhere)["private"] is False
    assert anonymous_finds(world, elsewhere)
    activity = world.act("package_activity_list", {"id": names[0]})
    assert activity[0]["activity_type"] == "changed package"
    admin.action.bulk_update_public(datasets=ids, org_id=ORG_A)
    for name in names:
        assert shown(world, name)["private"] is False
        assert anonymous_finds(world, name)
    admin.action.bulk_update_delete(datasets=ids, org_id=ORG_A)
    for name in names:
        assert shown(world, name)["state"] == "deleted"
        assert not anonymous_finds(world, name)
        assert not world.ckan("bp-a-admin").action.package_search(
            fq=f'name:"{name}"', include_private=True
        )["results"]


@pytest.mark.parametrize("who", ["bp-a-editor", "bp-a-member", "bp-b-admin", "bp-outsider", None])
def test_bulk_updates_are_for_organisation_admins(world: World, who: str | None) -> None:
    """As CKAN's auth: the organisation's 'update' permission, which only admins hold."""
    name = dataset(world)
    ckan = world.ckan(who or "anonymous")
    for call in (
        ckan.action.bulk_update_private,
        ckan.action.bulk_update_delete,
    ):
        with pytest.raises(ckanapi.NotAuthorized):
            call(datasets=[name], org_id=ORG_A)
    assert (shown(world, name)["private"], shown(world, name)["state"]) == (False, "active")
    world.act("package_patch", {"id": name, "private": True})
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.bulk_update_public(datasets=[name], org_id=ORG_A)
    assert shown(world, name)["private"] is True


def test_bulk_update_as_sysadmin_and_bad_paths(world: World) -> None:
    name = dataset(world)
    root = world.ckan("bp-sysadmin")
    root.action.bulk_update_private(datasets=[name], org_id=ORG_A)
    assert shown(world, name)["private"] is True
    with pytest.raises(ckanapi.NotFound):
        root.action.bulk_update_public(datasets=[name], org_id="no-such-org")
    with pytest.raises(ckanapi.ValidationError) as exc:
        root.action.bulk_update_public(datasets={"id": name}, org_id=ORG_A)
    assert "datasets" in exc.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as exc:
        root.action.bulk_update_public(datasets=[name])
    assert "org_id" in exc.value.error_dict
    root.action.bulk_update_public(datasets=[], org_id=ORG_A)  # nothing to do
    assert shown(world, name)["private"] is True


def test_bulk_public_is_refused_for_blocked_personal_data(world: World) -> None:
    """The personal-data guard runs for every dataset bulk makes public: one with a blocked
    upload refuses the whole call, and nothing changes."""
    clean = dataset(world, private=True)
    risky = dataset(world, private=True)
    world.ckan("bp-a-admin").action.resource_create(
        package_id=risky, name="名簿", upload=("meibo.csv", io.BytesIO(PII_CSV))
    )
    with pytest.raises(ckanapi.ValidationError) as exc:
        world.ckan("bp-a-admin").action.bulk_update_public(datasets=[clean, risky], org_id=ORG_A)
    messages = exc.value.error_dict["pii"]
    assert messages and all(m.startswith(f"{risky}: ") for m in messages)
    assert shown(world, clean)["private"] is True
    assert shown(world, risky)["private"] is True
    assert not anonymous_finds(world, clean)


# -- package_owner_org_update --------------------------------------------------------------------


def test_package_owner_org_update(world: World) -> None:
    name = dataset(world)
    root = world.ckan("bp-sysadmin")
    root.action.package_owner_org_update(id=name, organization_id=ORG_B)
    assert shown(world, name)["organization"]["name"] == ORG_B
    org_b = world.act("organization_show", {"id": ORG_B})["id"]
    found = world.server.ckan().action.package_search(fq=f"owner_org:{org_b}", rows=1000)
    assert name in {p["name"] for p in found["results"]}
    with pytest.raises(ckanapi.NotFound):
        root.action.package_owner_org_update(id=name, organization_id="no-such-org")
    with pytest.raises(ckanapi.NotFound):
        root.action.package_owner_org_update(id="no-such-dataset", organization_id=ORG_A)
    with pytest.raises(ckanapi.ValidationError) as exc:
        root.action.package_owner_org_update(id=name)
    assert "organization_id" in exc.value.error_dict
    for who in ("bp-a-admin", "bp-b-admin", "bp-a-editor"):
        with pytest.raises(ckanapi.NotAuthorized):
            world.ckan(who).action.package_owner_org_update(id=name, organization_id=ORG_A)
    assert shown(world, name)["organization"]["name"] == ORG_B


# -- dataset_purge -------------------------------------------------------------------------------


@dataclass
class Rich:
    id: str
    name: str
    resource_ids: list[str]
    tables: list[str]


def rich_dataset(world: World) -> Rich:
    """A dataset with everything a purge must take away: an ingested upload replaced once (two
    files on disk), a datastore table made through the API, a collaborator, a follower, a group,
    extras, tags and activity."""
    admin = world.ckan("bp-a-admin")
    name = f"bp-rich-{next(_serial)}"
    pkg = admin.action.package_create(
        name=name,
        title="消されるデータ",
        owner_org=ORG_A,
        groups=[{"name": GROUP}],
        tags=[{"name": "消去"}],
        extras=[{"key": "note", "value": "x"}],
    )
    upload = admin.action.resource_create(
        package_id=pkg["id"], name="CSV", upload=("a.csv", io.BytesIO(CSV))
    )
    admin.action.resource_update(
        id=upload["id"], name="CSV", upload=("b.csv", io.BytesIO(CSV + "南,10\n".encode()))
    )
    wait_until(
        lambda: admin.action.datastore_ingest_status(resource_id=upload["id"]),
        "the upload to be ingested",
        until=lambda s: s["status"] == "complete",
    )
    wait_until(
        lambda: admin.action.resource_validation_show(id=upload["id"]),
        "the quality check of the upload",
        until=lambda s: s.get("checked"),
    )
    made = admin.action.datastore_create(
        resource={"package_id": pkg["id"], "name": "表"},
        fields=[{"id": "値", "type": "int"}],
        records=[{"値": 1}],
    )
    admin.action.package_collaborator_create(id=pkg["id"], user_id="bp-outsider", capacity="member")
    world.ckan("bp-outsider").action.follow_dataset(id=pkg["id"])
    resource_ids = [upload["id"], made["resource_id"]]
    tables = [t for (t,) in world.rows("SELECT table_name FROM datastore_table")]
    mine = [
        t
        for (t,) in world.rows(
            "SELECT table_name FROM datastore_table WHERE resource_id IN (:a, :b)",
            a=resource_ids[0],
            b=resource_ids[1],
        )
    ]
    assert len(mine) == 2 and set(mine) <= set(tables)
    return Rich(pkg["id"], name, resource_ids, mine)


def resource_folders(world: World, rich: Rich) -> list[Path]:
    root = world.server.services.settings.storage_dir
    return [Path(root) / "resources" / rid for rid in rich.resource_ids]


def leftovers(world: World, rich: Rich) -> dict[str, int]:
    """Rows anywhere in the database that still point at the dataset or its resources."""
    by_dataset = {
        "dataset": "SELECT count(*) FROM dataset WHERE id = :d",
        "resource": "SELECT count(*) FROM resource WHERE dataset_id = :d",
        "dataset_tag": "SELECT count(*) FROM dataset_tag WHERE dataset_id = :d",
        "dataset_group": "SELECT count(*) FROM dataset_group WHERE dataset_id = :d",
        "dataset_extra": "SELECT count(*) FROM dataset_extra WHERE dataset_id = :d",
        "package_collaborator": "SELECT count(*) FROM package_collaborator WHERE dataset_id = :d",
        "activity": "SELECT count(*) FROM activity WHERE object_id = :d",
        "follow": "SELECT count(*) FROM follow WHERE object_id = :d",
    }
    by_resource = {
        "datastore_table": "SELECT count(*) FROM datastore_table WHERE resource_id = :r",
        "ingest_job": "SELECT count(*) FROM ingest_job WHERE resource_id = :r",
        "resource_quality": "SELECT count(*) FROM resource_quality WHERE resource_id = :r",
        "resource_view": "SELECT count(*) FROM resource_view WHERE resource_id = :r",
    }
    out = {table: world.rows(sql, d=rich.id)[0][0] for table, sql in by_dataset.items()}
    for table, sql in by_resource.items():
        out[table] = sum(world.rows(sql, r=rid)[0][0] for rid in rich.resource_ids)
    return out


def indexed(index: MemoryIndex, rich: Rich) -> bool:
    found = index.search(
        SearchQuery(fq=f'name:"{rich.name}"', visibility=Visibility(all_private=True))
    )
    return found.count > 0 or index.get(rich.id) is not None


@pytest.mark.parametrize("first_deleted", [False, True])
def test_dataset_purge_leaves_nothing_behind(world: World, first_deleted: bool) -> None:
    rich = rich_dataset(world)
    services = world.server.services
    other_process = MemoryIndex(services.settings.site_url)
    with services.sessions() as session:
        other_process.rebuild(session)
    assert indexed(other_process, rich)
    files = [f for folder in resource_folders(world, rich) for f in folder.rglob("*.csv")]
    assert len(files) == 2  # the upload and the file it replaced
    before = leftovers(world, rich)
    assert all(count > 0 for table, count in before.items() if table != "resource_view"), before
    if first_deleted:
        world.ckan("bp-a-admin").action.package_delete(id=rich.id)

    world.ckan("bp-sysadmin").action.dataset_purge(id=rich.name)

    assert not world.exists(rich.id)
    with pytest.raises(ckanapi.NotFound):
        world.ckan("bp-sysadmin").action.package_show(id=rich.name)
    assert leftovers(world, rich) == dict.fromkeys(leftovers(world, rich), 0)
    live_tables = inspect(services.engine).get_table_names()
    assert not [t for t in live_tables for gone in rich.tables if t.startswith(gone)]
    for folder in resource_folders(world, rich):
        assert not folder.exists()
    # Search: this process, and another one that catches up by revision.
    root = world.ckan("bp-sysadmin")
    assert (
        root.action.package_search(
            fq=f'name:"{rich.name}"', include_private=True, include_drafts=True
        )["count"]
        == 0
    )
    with services.sessions() as session:
        other_process.refresh(session)
    assert not indexed(other_process, rich)
    assert (
        root.action.group_show(id=GROUP)["package_count"]
        == root.action.package_search(fq=f'groups:"{GROUP}"')["count"]
    )
    # The datastore no longer answers for its tables.
    for rid in rich.resource_ids:
        with pytest.raises(ckanapi.NotFound):
            root.action.datastore_search(resource_id=rid)
    # The name is free again.
    again = world.ckan("bp-a-admin").action.package_create(
        name=rich.name, title="同じ名前", owner_org=ORG_A
    )
    assert again["id"] != rich.id


@pytest.mark.parametrize("who", ["bp-a-admin", "bp-a-editor", "bp-outsider", None])
def test_only_sysadmins_purge_datasets(world: World, who: str | None) -> None:
    name = dataset(world)
    world.act(
        "resource_create",
        {"package_id": name, "url": "https://example.jp/x.csv", "name": "リンク"},
    )
    with pytest.raises(ckanapi.NotAuthorized):
        world.ckan(who or "anonymous").action.dataset_purge(id=name)
    assert shown(world, name)["num_resources"] == 1
    assert anonymous_finds(world, name)


def test_purging_an_unknown_dataset_is_not_found(world: World) -> None:
    with pytest.raises(ckanapi.NotFound):
        world.ckan("bp-sysadmin").action.dataset_purge(id="no-such-dataset")
    with pytest.raises(ckanapi.ValidationError):
        world.ckan("bp-sysadmin").action.dataset_purge()


# -- group_purge and organization_purge ----------------------------------------------------------


def test_group_purge(world: World) -> None:
    group = f"bp-g-{next(_serial)}"
    world.act("group_create", {"name": group, "title": "消すグループ"})
    world.act("group_member_create", {"id": group, "username": "bp-outsider", "role": "admin"})
    name = dataset(world, groups=[{"name": group}])
    with pytest.raises(ckanapi.NotAuthorized):
        world.ckan("bp-outsider").action.group_purge(id=group)  # its admin, not a sysadmin
    assert {g["name"] for g in shown(world, name)["groups"]} == {group}
    world.ckan("bp-sysadmin").action.group_purge(id=group)
    with pytest.raises(ckanapi.NotFound):
        world.ckan("bp-sysadmin").action.group_show(id=group)
    # The dataset stays, outside the group, at once in search.
    assert shown(world, name)["groups"] == []
    assert world.server.ckan().action.package_search(fq=f'groups:"{group}"')["count"] == 0
    group_rows = world.rows(
        'SELECT count(*) FROM group_membership m JOIN "user" u ON u.id = m.user_id '
        "WHERE u.name = 'bp-outsider'"
    )
    assert group_rows == [(0,)]
    assert world.rows('SELECT count(*) FROM "group" WHERE name = :n', n=group) == [(0,)]
    with pytest.raises(ckanapi.NotFound):
        world.ckan("bp-sysadmin").action.group_purge(id=group)
    # A deleted group can be purged too, and the name used again.
    world.act("group_create", {"name": group, "title": "二代目"})
    world.act("group_delete", {"id": group})
    world.ckan("bp-sysadmin").action.group_purge(id=group)
    world.act("group_create", {"name": group, "title": "三代目"})


def test_organization_purge(world: World) -> None:
    org = f"bp-o-{next(_serial)}"
    child = f"bp-o-{next(_serial)}"
    world.act("organization_create", {"name": org, "title": "消す組織"})
    world.act("organization_create", {"name": child, "title": "子組織", "parent": org})
    world.act("organization_member_create", {"id": org, "username": "bp-outsider", "role": "admin"})
    kept = dataset(world, org)
    root = world.ckan("bp-sysadmin")
    with pytest.raises(ckanapi.ValidationError):
        root.action.organization_purge(id=org)  # it still has a dataset
    with pytest.raises(ckanapi.NotAuthorized):
        world.ckan("bp-outsider").action.organization_purge(id=org)
    assert world.act("organization_show", {"id": org})["name"] == org
    world.act("package_delete", {"id": kept})
    root.action.organization_purge(id=org)
    with pytest.raises(ckanapi.NotFound):
        root.action.organization_show(id=org)
    # Its deleted dataset stays in the trash, without an organisation; its members' roles and
    # its place as a parent are gone.
    assert shown(world, kept)["state"] == "deleted"
    assert shown(world, kept)["organization"] is None
    assert world.ckan("bp-outsider").action.organization_list_for_user() == []
    assert root.action.organization_show(id=child)["parent"] is None
    with pytest.raises(ckanapi.NotFound):
        root.action.organization_purge(id=org)
    world.act("organization_create", {"name": org, "title": "再作成"})
