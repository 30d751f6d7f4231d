"""The staff workspace's bulk actions over HTTP with ckanapi, on SQLite and PostgreSQL:
bulk_update_owner_org, bulk_update_groups, bulk_update_tags, bulk_validation_run and
bulk_update_preview (what any bulk change, the CKAN bulk_update_* included, would do).

Most selections mix datasets the caller may change with ones they may not: the first change
and the others are skipped and listed, never changed; a dataset the caller may not even see is
listed by the reference they gave and nothing more.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from typing import Any

import ckanapi
import pytest
from sqlalchemy import text

from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.bootstrap import action_context
from tsunagu.catalog.models import Dataset
from tsunagu.catalog.revision import bump_revision
from tsunagu.registry import call_action

ORG_A, ORG_B, ORG_C = "wb-org-a", "wb-org-b", "wb-org-c"
BOUSAI, KANKYO = "wb-bousai", "wb-kankyo"
CSV = "地区,人口\n中央,1200\n北,800\n".encode()
PII_CSV = "氏名,携帯電話\n山田 太郎,090-1234-5678\n佐藤 花子,080-2345-6789\n".encode()
_serial = itertools.count(1)


@dataclass
class Upload:
    filename: str
    file: io.BytesIO


@dataclass
class World:
    server: LiveServer
    tokens: dict[str, str]

    def ckan(self, who: str | None) -> ckanapi.RemoteCKAN:
        return self.server.ckan(self.tokens.get(who or ""))

    def act(self, name: str, data: dict[str, Any]) -> Any:
        return self.server.act(name, data)

    def show(self, ref: str) -> dict[str, Any]:
        return dict(self.act("package_show", {"id": ref}))

    def revision(self) -> int:
        with self.server.services.engine.connect() as connection:
            return int(connection.execute(text("SELECT revision FROM catalog_state")).scalar_one())


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    tokens: dict[str, str] = {}
    for name in ("wb-a-editor", "wb-mover", "wb-a-admin", "wb-outsider", "wb-collaborator"):
        tokens[name] = server.make_user(name)
    tokens["wb-sysadmin"] = server.make_user("wb-sysadmin", sysadmin=True)
    for org in (ORG_A, ORG_B, ORG_C):
        server.act("organization_create", {"name": org, "title": f"組織 {org}"})
    for org, user, role in [
        (ORG_A, "wb-a-editor", "editor"),
        (ORG_A, "wb-mover", "editor"),
        (ORG_B, "wb-mover", "editor"),
        (ORG_C, "wb-mover", "member"),
        (ORG_A, "wb-a-admin", "admin"),
    ]:
        server.act("organization_member_create", {"id": org, "username": user, "role": role})
    for group, title in ((BOUSAI, "防災"), (KANKYO, "環境")):
        server.act("group_create", {"name": group, "title": title})
    return World(server, tokens)


def dataset(world: World, org: str = ORG_A, **fields: Any) -> str:
    name = f"wb-ds-{next(_serial)}"
    world.act(
        "package_create", {"name": name, "title": f"データ {name}", "owner_org": org, **fields}
    )
    return name


def names(items: list[dict[str, Any]]) -> list[str]:
    return [i["name"] for i in items]


def free_tags(world: World, name: str) -> set[str]:
    return {t["name"] for t in world.show(name)["tags"] if not t["vocabulary_id"]}


def groups_of(world: World, name: str) -> set[str]:
    return {g["name"] for g in world.show(name)["groups"]}


def activity_count(world: World, name: str) -> int:
    return len(world.act("package_activity_list", {"id": name, "limit": 100}))


# -- tags ----------------------------------------------------------------------------------------


def test_tags_change_the_editable_datasets_and_list_the_rest(world: World) -> None:
    first = dataset(world, tags=[{"name": "古い"}, {"name": "残す"}])
    second = dataset(world)
    other_org = dataset(world, ORG_B, tags=[{"name": "古い"}])
    hidden = dataset(world, ORG_C, private=True)
    before = {n: activity_count(world, n) for n in (first, second)}
    revision = world.revision()

    result = world.ckan("wb-a-editor").action.bulk_update_tags(
        datasets=[first, second, other_org, hidden, "wb-no-such-dataset"],
        add=["防災", "避難所"],
        remove=["古い"],
    )

    assert names(result["changed"]) == [first, second]
    assert result["changed"][0]["change"] == {
        "tags": {"added": ["防災", "避難所"], "removed": ["古い"]}
    }
    assert free_tags(world, first) == {"残す", "防災", "避難所"}
    assert free_tags(world, second) == {"防災", "避難所"}
    # Another organisation's public dataset: listed by name, not changed.
    skipped = {s["ref"]: s for s in result["skipped"]}
    assert skipped[other_org]["reason"] == "not_authorized"
    assert skipped[other_org]["name"] == other_org
    assert free_tags(world, other_org) == {"古い"}
    # A private dataset the caller may not see, and a name nobody uses, look the same: the
    # reference the caller gave, and nothing else.
    for ref in (hidden, "wb-no-such-dataset"):
        assert set(skipped[ref]) == {"ref", "reason", "messages"}
        assert skipped[ref]["reason"] == "not_found"
    assert "データ" not in str(skipped[hidden])
    # One change each: one activity entry and one revision per changed dataset.
    assert {n: activity_count(world, n) for n in (first, second)} == {
        n: count + 1 for n, count in before.items()
    }
    assert world.revision() == revision + 2
    # Search shows the change at once.
    found = world.ckan("wb-a-editor").action.package_search(fq='tags:"避難所"', rows=100)
    assert {first, second} <= {p["name"] for p in found["results"]}


def test_tags_already_so_are_unchanged_and_vocabulary_tags_stay(world: World) -> None:
    world.act("vocabulary_create", {"name": "wb-frequency", "tags": [{"name": "毎月"}]})
    name = dataset(
        world, tags=[{"name": "防災"}, {"name": "毎月", "vocabulary_id": "wb-frequency"}]
    )
    result = world.ckan("wb-a-editor").action.bulk_update_tags(
        datasets=[name], add=["防災"], remove=["毎月"]
    )
    assert names(result["unchanged"]) == [name]
    assert result["changed"] == [] and result["skipped"] == []
    tags = {(t["name"], bool(t["vocabulary_id"])) for t in world.show(name)["tags"]}
    assert tags == {("防災", False), ("毎月", True)}


# -- categories ----------------------------------------------------------------------------------


def test_groups_are_added_and_removed_per_dataset(world: World) -> None:
    in_kankyo = dataset(world, groups=[{"name": KANKYO}])
    plain = dataset(world)
    other_org = dataset(world, ORG_B)
    editor = world.ckan("wb-a-editor")

    result = editor.action.bulk_update_groups(
        datasets=[in_kankyo, plain, other_org], add=[BOUSAI], remove=[KANKYO]
    )
    assert names(result["changed"]) == [in_kankyo, plain]
    assert result["changed"][0]["change"] == {"groups": {"added": [BOUSAI], "removed": [KANKYO]}}
    assert result["changed"][1]["change"] == {"groups": {"added": [BOUSAI], "removed": []}}
    assert groups_of(world, in_kankyo) == {BOUSAI}
    assert groups_of(world, plain) == {BOUSAI}
    assert names(result["skipped"]) == [other_org]
    assert groups_of(world, other_org) == set()

    again = editor.action.bulk_update_groups(datasets=[in_kankyo, plain], add=[BOUSAI])
    assert names(again["unchanged"]) == [in_kankyo, plain]


# -- moving --------------------------------------------------------------------------------------


def test_move_needs_editor_rights_in_both_organisations(world: World) -> None:
    from_a = dataset(world)
    from_c = dataset(world, ORG_C)  # the mover is only a member there
    in_b = dataset(world, ORG_B)
    result = world.ckan("wb-mover").action.bulk_update_owner_org(
        datasets=[from_a, from_c, in_b], owner_org=ORG_B
    )
    assert names(result["changed"]) == [from_a]
    assert result["changed"][0]["change"] == {"organization": {"from": ORG_A, "to": ORG_B}}
    assert world.show(from_a)["organization"]["name"] == ORG_B
    assert names(result["skipped"]) == [from_c]
    assert result["skipped"][0]["reason"] == "not_authorized"
    assert world.show(from_c)["organization"]["name"] == ORG_C
    assert names(result["unchanged"]) == [in_b]
    # The organisation facet follows at once.
    found = world.ckan("wb-mover").action.package_search(fq=f'name:"{from_a}"')
    assert found["results"][0]["organization"]["name"] == ORG_B


def test_a_collaborator_edits_but_does_not_move(world: World) -> None:
    shared = dataset(world, ORG_C)
    world.act(
        "package_collaborator_create",
        {"id": shared, "user_id": "wb-collaborator", "capacity": "editor"},
    )
    collaborator = world.ckan("wb-collaborator")
    tagged = collaborator.action.bulk_update_tags(datasets=[shared], add=["共同編集"])
    assert names(tagged["changed"]) == [shared]
    world.act(
        "organization_member_create", {"id": ORG_B, "username": "wb-collaborator", "role": "editor"}
    )
    with pytest.raises(ckanapi.NotAuthorized):
        collaborator.action.bulk_update_owner_org(datasets=[shared], owner_org=ORG_B)
    assert world.show(shared)["organization"]["name"] == ORG_C


def test_move_into_an_organisation_without_rights_is_refused(world: World) -> None:
    name = dataset(world)
    with pytest.raises(ckanapi.NotAuthorized):
        world.ckan("wb-a-editor").action.bulk_update_owner_org(datasets=[name], owner_org=ORG_B)
    assert world.show(name)["organization"]["name"] == ORG_A
    with pytest.raises(ckanapi.ValidationError) as raised:
        world.ckan("wb-mover").action.bulk_update_owner_org(
            datasets=[name], owner_org="wb-no-such-org"
        )
    assert "owner_org" in raised.value.error_dict
    with pytest.raises(ckanapi.ValidationError):
        world.ckan("wb-mover").action.bulk_update_owner_org(datasets=[name])
    assert world.show(name)["organization"]["name"] == ORG_A


# -- re-running the checks -----------------------------------------------------------------------


def _checked(world: World, resource_id: str) -> Any:
    return world.act("resource_validation_show", {"id": resource_id}).get("checked")


def test_validation_run_queues_the_checks_of_editable_tables(world: World) -> None:
    with_table = dataset(world)
    with action_context(world.server.services, ignore_auth=True) as context:
        resource = call_action(
            "resource_create",
            context,
            {
                "package_id": with_table,
                "name": "人口表",
                "upload": Upload("p.csv", io.BytesIO(CSV)),
            },
        )
    first = wait_until(lambda: _checked(world, resource["id"]), "the first quality check")
    without_table = dataset(world, resources=[{"url": "https://example.jp/a.pdf", "format": "PDF"}])
    other_org = dataset(world, ORG_B)

    result = world.ckan("wb-a-editor").action.bulk_validation_run(
        datasets=[with_table, without_table, other_org]
    )
    assert names(result["changed"]) == [with_table]
    assert result["changed"][0]["change"] == {"checks": [{"id": resource["id"], "name": "人口表"}]}
    assert names(result["unchanged"]) == [without_table]
    assert names(result["skipped"]) == [other_org]
    wait_until(
        lambda: _checked(world, resource["id"]),
        "the check to run again",
        until=lambda checked: checked and checked != first,
    )


# -- refusals and bad input ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["wb-outsider", None])
def test_a_selection_the_caller_may_not_change_at_all_is_refused(
    world: World, who: str | None
) -> None:
    first, second = dataset(world, tags=[{"name": "元"}]), dataset(world, ORG_B)
    ckan = world.ckan(who)
    for call, data in (
        (ckan.action.bulk_update_tags, {"add": ["外部"]}),
        (ckan.action.bulk_update_groups, {"add": [BOUSAI]}),
        (ckan.action.bulk_validation_run, {}),
    ):
        with pytest.raises(ckanapi.NotAuthorized):
            call(datasets=[first, second], **data)
    assert free_tags(world, first) == {"元"}
    assert groups_of(world, first) == set()


def test_sysadmin_changes_any_dataset(world: World) -> None:
    first, hidden = dataset(world, ORG_B), dataset(world, ORG_C, private=True)
    result = world.ckan("wb-sysadmin").action.bulk_update_tags(
        datasets=[first, hidden], add=["全体"]
    )
    assert names(result["changed"]) == [first, hidden]
    assert free_tags(world, hidden) == {"全体"}


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("bulk_update_tags", {"add": ["x"]}, "datasets"),
        ("bulk_update_tags", {"datasets": [], "add": ["x"]}, "datasets"),
        ("bulk_update_tags", {"datasets": {"id": "x"}, "add": ["x"]}, "datasets"),
        (
            "bulk_update_tags",
            {"datasets": [f"d{i}" for i in range(1001)], "add": ["x"]},
            "datasets",
        ),
        ("bulk_update_tags", {"datasets": ["{name}"], "add": ["<script>"]}, "add"),
        ("bulk_update_tags", {"datasets": ["{name}"], "remove": [1]}, "remove"),
        ("bulk_update_tags", {"datasets": ["{name}"]}, "add"),
        ("bulk_update_groups", {"datasets": ["{name}"], "add": ["wb-no-such-group"]}, "add"),
        ("bulk_update_groups", {"datasets": ["{name}"], "add": [], "remove": []}, "add"),
        ("bulk_update_preview", {"datasets": ["{name}"], "operation": "purge"}, "operation"),
        ("bulk_update_preview", {"datasets": ["{name}"]}, "operation"),
    ],
)
def test_bad_input_is_a_validation_error_and_changes_nothing(
    world: World, action: str, data: dict[str, Any], field: str
) -> None:
    name = dataset(world)
    filled = {
        k: [v.replace("{name}", name) if isinstance(v, str) else v for v in value]
        if isinstance(value, list)
        else value
        for k, value in data.items()
    }
    before = world.show(name)["metadata_modified"]
    with pytest.raises(ckanapi.ValidationError) as raised:
        getattr(world.ckan("wb-a-editor").action, action)(**filled)
    assert field in raised.value.error_dict
    assert world.show(name)["metadata_modified"] == before


def test_writes_need_post(world: World) -> None:
    import requests

    response = requests.get(
        f"{world.server.url}/api/3/action/bulk_update_tags",
        params={"datasets": "x", "add": "y"},
        headers={"Authorization": world.tokens["wb-a-editor"]},
        timeout=30,
    )
    assert response.status_code == 400


# -- preview -------------------------------------------------------------------------------------


def test_preview_says_what_would_change_and_changes_nothing(world: World) -> None:
    hidden = dataset(world, private=True)
    public = dataset(world)
    other_org = dataset(world, ORG_B)
    secret = dataset(world, ORG_C, private=True)
    selection = [hidden, public, other_org, secret]

    admin = world.ckan("wb-a-admin").action.bulk_update_preview(
        operation="public", datasets=selection
    )
    assert names(admin["changed"]) == [hidden]
    assert admin["changed"][0]["change"] == {"private": {"from": True, "to": False}}
    assert names(admin["unchanged"]) == [public]
    assert [s["ref"] for s in admin["skipped"]] == [other_org, secret]
    assert "name" not in admin["skipped"][1]
    assert world.show(hidden)["private"] is True

    # CKAN's bulk actions are for organisation admins: an editor sees every dataset skipped.
    editor = world.ckan("wb-a-editor").action.bulk_update_preview(
        operation="delete", datasets=[hidden, public]
    )
    assert editor["changed"] == []
    assert {s["reason"] for s in editor["skipped"]} == {"not_authorized"}
    assert world.show(public)["state"] == "active"

    moving = world.ckan("wb-mover").action.bulk_update_preview(
        operation="owner_org", owner_org=ORG_B, datasets=[public]
    )
    assert moving["changed"][0]["change"] == {"organization": {"from": ORG_A, "to": ORG_B}}
    assert world.show(public)["organization"]["name"] == ORG_A


def test_preview_needs_a_signed_in_caller(world: World) -> None:
    with pytest.raises(ckanapi.NotAuthorized):
        world.ckan(None).action.bulk_update_preview(operation="public", datasets=[dataset(world)])


# -- the personal-data guard ---------------------------------------------------------------------


def blocked_public_dataset(world: World) -> str:
    """A public dataset holding an upload the personal-data guard flags (published before the
    guard existed: the system flips the flag directly, as the guard would refuse it)."""
    name = dataset(world, private=True)
    with action_context(world.server.services, ignore_auth=True) as context:
        call_action(
            "resource_create",
            context,
            {"package_id": name, "name": "名簿", "upload": Upload("p.csv", io.BytesIO(PII_CSV))},
        )
        row = context.session.query(Dataset).filter_by(name=name).one()
        row.private = False
        row.revision = bump_revision(context.session)
    return name


def test_the_guard_refuses_one_dataset_and_the_rest_change(world: World) -> None:
    blocked = blocked_public_dataset(world)
    clean = dataset(world)
    result = world.ckan("wb-a-editor").action.bulk_update_tags(
        datasets=[blocked, clean], add=["名簿"]
    )
    assert names(result["changed"]) == [clean]
    assert free_tags(world, clean) == {"名簿"}
    [refused] = result["skipped"]
    assert (refused["name"], refused["reason"]) == (blocked, "refused")
    assert refused["messages"] and "change" not in refused
    assert free_tags(world, blocked) == set()
