"""Activity entries and streams over HTTP with ckanapi, on SQLite and PostgreSQL: activity_show,
activity_data_show, activity_diff, activity_create, user_activity_list, group_activity_list,
the dashboard, and the paging and filters every stream shares. (Who may see private entries
is covered viewer by viewer in test_privacy.py.)"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import ckanapi
import pytest

from support.live_server import LiveServer

ORG, GROUP = "act-org", "act-group"
_serial = itertools.count(1)


@dataclass
class World:
    server: LiveServer
    admin: ckanapi.RemoteCKAN
    publisher: ckanapi.RemoteCKAN  # admin of ORG
    publisher_id: str
    anonymous: ckanapi.RemoteCKAN

    def user(self) -> tuple[str, ckanapi.RemoteCKAN]:
        name = f"act-user-{next(_serial)}"
        return name, self.server.ckan(self.server.make_user(name))

    def dataset(self, **fields: Any) -> dict[str, Any]:
        name = f"act-ds-{next(_serial)}"
        values = {"name": name, "title": "変更前", "owner_org": ORG, **fields}
        return dict(self.publisher.action.package_create(**values))


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    server.act("organization_create", {"name": ORG, "title": "山口県"})
    server.act("group_create", {"name": GROUP, "title": "防災"})
    admin = server.ckan(server.make_user("act-admin", sysadmin=True))
    publisher = server.ckan(server.make_user("act-publisher"))
    server.act(
        "organization_member_create", {"id": ORG, "username": "act-publisher", "role": "admin"}
    )
    publisher_id = server.act("user_show", {"id": "act-publisher"})["id"]
    return World(server, admin, publisher, publisher_id, server.ckan(None))


def _epoch(timestamp: str) -> float:
    """CKAN's `before`/`after` form: seconds since the epoch (timestamps are naive UTC)."""
    return datetime.fromisoformat(timestamp).replace(tzinfo=UTC).timestamp()


# -- one entry ----------------------------------------------------------------------------------


def test_activity_show_returns_the_entry(world: World) -> None:
    dataset = world.dataset()
    listed = world.anonymous.action.package_activity_list(id=dataset["id"])
    assert [a["activity_type"] for a in listed] == ["new package"]
    shown = world.anonymous.action.activity_show(id=listed[0]["id"])
    assert shown == listed[0]
    assert set(shown) == {"id", "timestamp", "user_id", "object_id", "activity_type", "data"}
    assert shown["user_id"] == world.publisher_id
    assert shown["object_id"] == dataset["id"]


def test_activity_show_of_an_unknown_id(world: World) -> None:
    with pytest.raises(ckanapi.NotFound):
        world.anonymous.action.activity_show(id="no-such-activity")
    with pytest.raises(ckanapi.ValidationError):
        world.anonymous.action.activity_show()


def test_activity_data_show(world: World) -> None:
    dataset = world.dataset()
    entry = world.anonymous.action.package_activity_list(id=dataset["id"])[0]
    package = world.anonymous.action.activity_data_show(id=entry["id"], object_type="package")
    assert package["name"] == dataset["name"]
    assert package["title"] == "変更前"
    whole = world.anonymous.action.activity_data_show(id=entry["id"])
    assert whole["package"] == package
    with pytest.raises(ckanapi.NotFound):
        world.anonymous.action.activity_data_show(id=entry["id"], object_type="user")


def test_activity_data_show_of_an_organisation_entry(world: World) -> None:
    name = f"act-org-{next(_serial)}"
    org = world.admin.action.organization_create(name=name, title="周南市")
    entry = world.anonymous.action.organization_activity_list(id=name)[0]
    assert entry["activity_type"] == "new organization"
    for object_type in ("organization", "group"):
        shown = world.anonymous.action.activity_data_show(id=entry["id"], object_type=object_type)
        assert shown["id"] == org["id"]


def test_activity_diff(world: World) -> None:
    dataset = world.dataset()
    world.publisher.action.package_patch(id=dataset["id"], title="変更後")
    newest, oldest = world.anonymous.action.package_activity_list(id=dataset["id"])
    result = world.anonymous.action.activity_diff(id=newest["id"], object_type="package")
    assert [a["id"] for a in result["activities"]] == [oldest["id"], newest["id"]]
    assert '-  "title": "変更前",' in result["diff"]
    assert '+  "title": "変更後",' in result["diff"]
    context = world.anonymous.action.activity_diff(
        id=newest["id"], object_type="package", diff_type="context"
    )
    assert "変更後" in context["diff"] and context["diff"] != result["diff"]
    html = world.anonymous.action.activity_diff(
        id=newest["id"], object_type="package", diff_type="html"
    )
    assert html["diff"].lstrip().startswith("<table")
    with pytest.raises(ckanapi.NotFound):  # the first entry has nothing before it
        world.anonymous.action.activity_diff(id=oldest["id"], object_type="package")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"object_type": "package"}, "id"),
        ({"id": "x"}, "object_type"),
        ({"id": "x", "object_type": "package", "diff_type": "ndiff"}, "diff_type"),
    ],
)
def test_activity_diff_checks_its_input(world: World, data: dict[str, Any], field: str) -> None:
    with pytest.raises(ckanapi.ValidationError) as caught:
        world.anonymous.call_action("activity_diff", data)
    assert field in caught.value.error_dict


def test_a_diff_skips_entries_the_caller_may_not_see(world: World) -> None:
    """A dataset first private, then public: the public's diff starts from the first public
    version, never from the private one."""
    dataset = world.dataset(private=True, notes="内部メモ")
    world.publisher.action.package_patch(id=dataset["id"], notes="", private=False)
    world.publisher.action.package_patch(id=dataset["id"], title="変更後")
    public = world.anonymous.action.package_activity_list(id=dataset["id"])
    assert len(public) == 2
    result = world.anonymous.action.activity_diff(id=public[0]["id"], object_type="package")
    assert [a["id"] for a in result["activities"]] == [public[1]["id"], public[0]["id"]]
    assert "内部メモ" not in str(result)
    with pytest.raises(ckanapi.NotFound):
        world.anonymous.action.activity_diff(id=public[1]["id"], object_type="package")
    everything = world.admin.action.package_activity_list(id=dataset["id"])
    assert len(everything) == 3
    sysadmin_diff = world.admin.action.activity_diff(id=public[1]["id"], object_type="package")
    assert "内部メモ" in sysadmin_diff["diff"]


# -- activity_create ----------------------------------------------------------------------------


def test_activity_create_records_an_entry(world: World) -> None:
    dataset = world.dataset()
    created = world.admin.action.activity_create(
        user_id="act-publisher",
        object_id=dataset["name"],
        activity_type="changed package",
        data={"package": {"title": "手で記録"}},
    )
    assert created["object_id"] == dataset["id"]
    assert created["user_id"] == world.publisher_id
    assert created["data"] == {"package": {"title": "手で記録"}}
    listed = world.anonymous.action.package_activity_list(id=dataset["id"])
    assert listed[0] == created


def test_activity_create_for_a_private_dataset_stays_private(world: World) -> None:
    dataset = world.dataset(private=True)
    created = world.admin.action.activity_create(
        user_id="act-publisher", object_id=dataset["id"], activity_type="changed package"
    )
    _, outsider = world.user()
    with pytest.raises(ckanapi.NotAuthorized):
        outsider.action.activity_show(id=created["id"])
    with pytest.raises(ckanapi.NotFound):
        world.anonymous.action.activity_show(id=created["id"])
    assert world.publisher.action.activity_show(id=created["id"])["id"] == created["id"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"object_id": "x", "activity_type": "changed package"}, "user_id"),
        ({"user_id": "act-publisher", "activity_type": "changed package"}, "object_id"),
        (
            {"user_id": "act-publisher", "object_id": "no-such", "activity_type": "new package"},
            "object_id",
        ),
        (
            {"user_id": "no-such-user", "object_id": ORG, "activity_type": "new organization"},
            "user_id",
        ),
        (
            {"user_id": "act-publisher", "object_id": ORG, "activity_type": "painted"},
            "activity_type",
        ),
        (
            {
                "user_id": "act-publisher",
                "object_id": GROUP,
                "activity_type": "new group",
                "data": [1],
            },
            "data",
        ),
    ],
)
def test_activity_create_checks_its_input(world: World, data: dict[str, Any], field: str) -> None:
    with pytest.raises(ckanapi.ValidationError) as caught:
        world.admin.call_action("activity_create", data)
    assert field in caught.value.error_dict


def test_activity_create_is_for_sysadmins(world: World) -> None:
    dataset = world.dataset()
    for caller in (world.publisher, world.anonymous):
        with pytest.raises(ckanapi.NotAuthorized):
            caller.action.activity_create(
                user_id="act-publisher", object_id=dataset["id"], activity_type="changed package"
            )
    assert len(world.anonymous.action.package_activity_list(id=dataset["id"])) == 1


# -- user and group streams ---------------------------------------------------------------------


def test_user_activity_list(world: World) -> None:
    name, _ = world.user()
    user_id = world.server.act("user_show", {"id": name})["id"]
    world.server.act("organization_member_create", {"id": ORG, "username": name, "role": "editor"})
    editor = world.server.ckan(
        world.server.act("api_token_create", {"user": name, "name": "t"})["token"]
    )
    dataset = world.dataset()
    editor.action.package_patch(id=dataset["id"], title="編集者が変更")
    listed = world.anonymous.action.user_activity_list(id=name)
    assert [(a["activity_type"], a["object_id"]) for a in listed] == [
        ("changed package", dataset["id"])
    ]
    assert listed[0]["user_id"] == user_id
    assert world.anonymous.action.user_activity_list(id=user_id) == listed
    with pytest.raises(ckanapi.NotFound):
        world.anonymous.action.user_activity_list(id="no-such-user")


def test_group_activity_list(world: World) -> None:
    name = f"act-group-{next(_serial)}"
    group = world.admin.action.group_create(name=name, title="子育て")
    inside = world.dataset(groups=[{"name": name}])
    outside = world.dataset()
    listed = world.anonymous.action.group_activity_list(id=name)
    assert {(a["activity_type"], a["object_id"]) for a in listed} == {
        ("new group", group["id"]),
        ("new package", inside["id"]),
    }
    assert outside["id"] not in str(listed)
    with pytest.raises(ckanapi.NotFound):
        world.anonymous.action.group_activity_list(id="no-such-group")


# -- paging and filters -------------------------------------------------------------------------


def test_limit_offset_before_and_after(world: World) -> None:
    dataset = world.dataset()
    for n in range(4):
        time.sleep(0.01)  # distinct timestamps
        world.publisher.action.package_patch(id=dataset["id"], title=f"版 {n}")
    everything = world.anonymous.action.package_activity_list(id=dataset["id"])
    assert len(everything) == 5
    stamps = [a["timestamp"] for a in everything]
    assert stamps == sorted(stamps, reverse=True)
    assert world.anonymous.action.package_activity_list(id=dataset["id"], limit=2) == everything[:2]
    assert (
        world.anonymous.action.package_activity_list(id=dataset["id"], limit=2, offset=2)
        == everything[2:4]
    )
    middle = _epoch(everything[2]["timestamp"])
    before = world.anonymous.action.package_activity_list(id=dataset["id"], before=middle)
    assert before == everything[3:]
    # With only `after`, the oldest entries after it come first (as CKAN), shown newest first.
    after = world.anonymous.action.package_activity_list(id=dataset["id"], after=middle, limit=1)
    assert after == [everything[1]]
    iso = world.anonymous.action.package_activity_list(
        id=dataset["id"], before=everything[2]["timestamp"]
    )
    assert iso == everything[3:]


def test_activity_types_filters(world: World) -> None:
    dataset = world.dataset()
    world.publisher.action.package_patch(id=dataset["id"], title="変更後")
    only_new = world.anonymous.action.package_activity_list(
        id=dataset["id"], activity_types=["new package"]
    )
    assert [a["activity_type"] for a in only_new] == ["new package"]
    not_new = world.anonymous.action.package_activity_list(
        id=dataset["id"], exclude_activity_types=["new package"]
    )
    assert [a["activity_type"] for a in not_new] == ["changed package"]
    with pytest.raises(ckanapi.ValidationError) as caught:
        world.anonymous.action.package_activity_list(
            id=dataset["id"],
            activity_types=["new package"],
            exclude_activity_types=["changed package"],
        )
    assert "activity_types" in caught.value.error_dict


@pytest.mark.parametrize(
    ("field", "value"), [("limit", "many"), ("offset", -1), ("before", "yesterday")]
)
def test_paging_is_checked(world: World, field: str, value: Any) -> None:
    with pytest.raises(ckanapi.ValidationError) as caught:
        world.anonymous.call_action("recently_changed_packages_activity_list", {field: value})
    assert field in caught.value.error_dict


# -- the dashboard ------------------------------------------------------------------------------


def test_dashboard_shows_what_the_user_follows_and_what_is_new(world: World) -> None:
    name, ckan = world.user()
    followed, other = world.dataset(), world.dataset()
    ckan.action.follow_dataset(id=followed["id"])
    ckan.action.dashboard_mark_activities_old()
    assert ckan.action.dashboard_new_activities_count() == 0
    world.publisher.action.package_patch(id=followed["id"], title="変更後")
    world.publisher.action.package_patch(id=other["id"], title="変更後")
    board = ckan.action.dashboard_activity_list()
    assert [(a["object_id"], a["activity_type"], a["is_new"]) for a in board[:1]] == [
        (followed["id"], "changed package", True)
    ]
    assert {a["object_id"] for a in board} == {followed["id"]}
    assert [a["is_new"] for a in board] == [True, False]  # "new package" came before the mark
    assert ckan.action.dashboard_new_activities_count() == 1
    ckan.action.dashboard_mark_activities_old()
    assert ckan.action.dashboard_new_activities_count() == 0
    assert [a["is_new"] for a in ckan.action.dashboard_activity_list()] == [False, False]
    assert name not in str(board)


def test_dashboard_of_followed_organisations_groups_and_users(world: World) -> None:
    _, ckan = world.user()
    group = f"act-group-{next(_serial)}"
    world.admin.action.group_create(name=group, title="観光")
    org = f"act-org-{next(_serial)}"
    world.admin.action.organization_create(name=org, title="萩市")
    world.server.act(
        "organization_member_create", {"id": org, "username": "act-publisher", "role": "admin"}
    )
    ckan.action.follow_group(id=group)
    ckan.action.follow_group(id=org)
    in_group = world.dataset(groups=[{"name": group}])
    in_org = dict(
        world.publisher.action.package_create(
            name=f"act-ds-{next(_serial)}", title="萩", owner_org=org
        )
    )
    unrelated = world.dataset()
    seen = {a["object_id"] for a in ckan.action.dashboard_activity_list(limit=100)}
    assert {in_group["id"], in_org["id"]} <= seen
    assert unrelated["id"] not in seen
    ckan.action.unfollow_group(id=group)
    ckan.action.unfollow_group(id=org)
    ckan.action.follow_user(id="act-publisher")
    seen = {a["object_id"] for a in ckan.action.dashboard_activity_list(limit=100)}
    assert {in_group["id"], in_org["id"], unrelated["id"]} <= seen


def test_own_activity_is_on_the_dashboard_but_never_new(world: World) -> None:
    name, ckan = world.user()
    world.server.act("organization_member_create", {"id": ORG, "username": name, "role": "editor"})
    dataset = world.dataset()
    ckan.action.package_patch(id=dataset["id"], title="自分で変更")
    board = ckan.action.dashboard_activity_list()
    assert [(a["object_id"], a["is_new"]) for a in board] == [(dataset["id"], False)]
    assert ckan.action.dashboard_new_activities_count() == 0


def test_dashboard_hides_what_the_user_may_not_read(world: World) -> None:
    _, outsider = world.user()
    member_name, member = world.user()
    world.server.act(
        "organization_member_create", {"id": ORG, "username": member_name, "role": "member"}
    )
    for ckan in (outsider, member):
        ckan.action.follow_user(id="act-publisher")
        ckan.action.follow_group(id=ORG)
        ckan.action.dashboard_mark_activities_old()
    secret = world.dataset(private=True, title="秘密の計画")
    world.publisher.action.package_patch(id=secret["id"], notes="内部")
    assert secret["id"] not in str(outsider.action.dashboard_activity_list(limit=100))
    assert outsider.action.dashboard_new_activities_count() == 0
    assert secret["id"] in {
        a["object_id"] for a in member.action.dashboard_activity_list(limit=100)
    }
    assert member.action.dashboard_new_activities_count() == 2


def test_a_collaborator_sees_a_private_datasets_entries_while_collaborating(world: World) -> None:
    name, collaborator = world.user()
    secret = world.dataset(private=True, title="共同作業の下書き")
    world.publisher.action.package_patch(id=secret["id"], notes="内部の変更")
    with pytest.raises(ckanapi.NotAuthorized):
        collaborator.action.package_activity_list(id=secret["id"])
    world.publisher.action.package_collaborator_create(
        id=secret["id"], user_id=name, capacity="member"
    )
    entries = collaborator.action.package_activity_list(id=secret["id"])
    assert [e["activity_type"] for e in entries] == ["changed package", "new package"]
    assert collaborator.action.activity_show(id=entries[0]["id"])["object_id"] == secret["id"]
    collaborator.action.follow_dataset(id=secret["id"])
    assert secret["id"] in {a["object_id"] for a in collaborator.action.dashboard_activity_list()}
    world.publisher.action.package_collaborator_delete(id=secret["id"], user_id=name)
    with pytest.raises(ckanapi.NotAuthorized):
        collaborator.action.activity_show(id=entries[0]["id"])
    assert secret["id"] not in str(collaborator.action.dashboard_activity_list())
