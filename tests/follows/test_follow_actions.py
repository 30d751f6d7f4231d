"""Following datasets, groups, organisations and users over HTTP with ckanapi, on SQLite and
PostgreSQL: CKAN 2.11's parameters, answers and rights, and private datasets kept hidden."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import ckanapi
import pytest

from support.live_server import LiveServer

ORG = "fo-org"
_serial = itertools.count(1)


@dataclass
class World:
    server: LiveServer
    admin: ckanapi.RemoteCKAN  # sysadmin
    publisher: ckanapi.RemoteCKAN  # admin of ORG
    member: ckanapi.RemoteCKAN  # member of ORG: reads its private datasets
    anonymous: ckanapi.RemoteCKAN

    def user(self) -> tuple[str, ckanapi.RemoteCKAN]:
        """A fresh signed-in user with no rights anywhere."""
        name = f"fo-user-{next(_serial)}"
        return name, self.server.ckan(self.server.make_user(name))

    def dataset(self, **fields: Any) -> dict[str, Any]:
        name = f"fo-ds-{next(_serial)}"
        values = {"name": name, "title": f"避難所一覧 {name}", "owner_org": ORG, **fields}
        return dict(self.publisher.action.package_create(**values))


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    server.act("organization_create", {"name": ORG, "title": "宇部市"})
    server.act("group_create", {"name": "fo-group", "title": "防災"})
    admin = server.ckan(server.make_user("fo-admin", sysadmin=True))
    publisher = server.ckan(server.make_user("fo-publisher"))
    member = server.ckan(server.make_user("fo-member"))
    for user, role in (("fo-publisher", "admin"), ("fo-member", "member")):
        server.act("organization_member_create", {"id": ORG, "username": user, "role": role})
    return World(server, admin, publisher, member, server.ckan(None))


def _user_id(world: World, name: str) -> str:
    return str(world.server.act("user_show", {"id": name})["id"])


def test_follow_dataset_answers_with_the_follow(world: World) -> None:
    name, ckan = world.user()
    dataset = world.dataset()
    follow = ckan.action.follow_dataset(id=dataset["name"])
    assert set(follow) == {"follower_id", "object_id", "datetime"}
    assert follow["follower_id"] == _user_id(world, name)
    assert follow["object_id"] == dataset["id"]
    assert follow["datetime"]
    assert ckan.action.am_following_dataset(id=dataset["id"]) is True
    assert world.anonymous.action.dataset_follower_count(id=dataset["name"]) == 1
    assert world.anonymous.action.dataset_followee_count(id=name) == 1
    assert world.anonymous.action.followee_count(id=name) == 1
    listed = ckan.action.dataset_followee_list(id=name)
    assert [d["name"] for d in listed] == [dataset["name"]]
    assert listed[0]["title"] == dataset["title"]


def test_following_twice_keeps_one_follow(world: World) -> None:
    """CKAN 2.11 answers a second follow with the existing one (2.10 and before said 409)."""
    name, ckan = world.user()
    dataset = world.dataset()
    first = ckan.action.follow_dataset(id=dataset["id"])
    again = ckan.action.follow_dataset(id=dataset["name"])
    assert again == first
    assert world.anonymous.action.dataset_follower_count(id=dataset["id"]) == 1
    assert ckan.action.dataset_followee_count(id=name) == 1


def test_unfollow_and_unfollow_again(world: World) -> None:
    """Unfollowing what one does not follow does nothing, as in CKAN 2.11."""
    name, ckan = world.user()
    dataset = world.dataset()
    ckan.action.follow_dataset(id=dataset["id"])
    assert ckan.action.unfollow_dataset(id=dataset["name"]) is None
    assert ckan.action.am_following_dataset(id=dataset["id"]) is False
    assert world.anonymous.action.dataset_follower_count(id=dataset["id"]) == 0
    assert ckan.action.unfollow_dataset(id=dataset["id"]) is None
    assert ckan.action.dataset_followee_list(id=name) == []


@pytest.mark.parametrize(
    "action",
    [
        "follow_dataset",
        "follow_group",
        "follow_user",
        "unfollow_dataset",
        "unfollow_group",
        "unfollow_user",
        "am_following_dataset",
        "am_following_group",
        "am_following_user",
        "dataset_follower_count",
        "group_follower_count",
        "organization_follower_count",
        "user_follower_count",
        "dataset_followee_count",
        "followee_count",
    ],
)
def test_an_unknown_object_is_a_validation_error(world: World, action: str) -> None:
    _, ckan = world.user()
    with pytest.raises(ckanapi.ValidationError) as caught:
        ckan.call_action(action, {"id": "no-such-thing"})
    assert "id" in caught.value.error_dict


@pytest.mark.parametrize("action", ["follow_dataset", "am_following_dataset"])
def test_a_missing_id_is_a_validation_error(world: World, action: str) -> None:
    _, ckan = world.user()
    with pytest.raises(ckanapi.ValidationError) as caught:
        ckan.call_action(action, {})
    assert caught.value.error_dict["id"]


@pytest.mark.parametrize(
    ("action", "target"),
    [
        ("follow_dataset", "dataset"),
        ("unfollow_dataset", "dataset"),
        ("am_following_dataset", "dataset"),
        ("follow_group", "group"),
        ("unfollow_group", "group"),
        ("am_following_group", "group"),
        ("follow_user", "user"),
        ("unfollow_user", "user"),
        ("am_following_user", "user"),
        ("dashboard_activity_list", None),
        ("dashboard_new_activities_count", None),
        ("dashboard_mark_activities_old", None),
    ],
)
def test_anonymous_callers_are_refused(world: World, action: str, target: str | None) -> None:
    ids = {"dataset": world.dataset()["id"], "group": "fo-group", "user": "fo-member", None: ""}
    data = {"id": ids[target]} if target else {}
    with pytest.raises(ckanapi.NotAuthorized):
        world.anonymous.call_action(action, data)
    if target == "dataset":
        assert world.anonymous.action.dataset_follower_count(id=ids["dataset"]) == 0


def test_counts_are_for_anyone(world: World) -> None:
    name, ckan = world.user()
    ckan.action.follow_user(id="fo-member")
    ckan.action.follow_group(id="fo-group")
    anonymous = world.anonymous.action
    assert anonymous.user_follower_count(id="fo-member") >= 1
    assert anonymous.group_follower_count(id="fo-group") >= 1
    assert anonymous.user_followee_count(id=name) == 1
    assert anonymous.group_followee_count(id=name) == 1
    assert anonymous.organization_followee_count(id=name) == 0
    assert anonymous.followee_count(id=name) == 2


def test_a_user_cannot_follow_themself(world: World) -> None:
    name, ckan = world.user()
    with pytest.raises(ckanapi.ValidationError) as caught:
        ckan.action.follow_user(id=name)
    assert "id" in caught.value.error_dict
    assert world.anonymous.action.user_follower_count(id=name) == 0


def test_follow_user(world: World) -> None:
    name, ckan = world.user()
    other, _ = world.user()
    follow = ckan.action.follow_user(id=other)
    assert follow["object_id"] == _user_id(world, other)
    assert ckan.action.am_following_user(id=other) is True
    assert world.anonymous.action.user_follower_count(id=other) == 1
    followees = ckan.action.user_followee_list(id=name)
    assert [u["name"] for u in followees] == [other]
    assert "email" not in followees[0]
    ckan.action.unfollow_user(id=other)
    assert ckan.action.am_following_user(id=other) is False


def test_an_organisation_is_followed_through_follow_group(world: World) -> None:
    name, ckan = world.user()
    org_id = world.server.act("organization_show", {"id": ORG})["id"]
    follow = ckan.action.follow_group(id=ORG)
    assert follow["object_id"] == org_id
    assert ckan.action.am_following_group(id=org_id) is True
    assert world.anonymous.action.organization_follower_count(id=ORG) >= 1
    assert world.anonymous.action.group_follower_count(id=ORG) >= 1
    assert [o["name"] for o in ckan.action.organization_followee_list(id=name)] == [ORG]
    assert ckan.action.group_followee_list(id=name) == []
    assert ckan.action.organization_followee_count(id=name) == 1
    assert ckan.action.group_followee_count(id=name) == 0
    ckan.action.unfollow_group(id=ORG)
    assert ckan.action.organization_followee_list(id=name) == []


def test_follower_lists_are_for_sysadmins(world: World) -> None:
    name, ckan = world.user()
    dataset = world.dataset()
    ckan.action.follow_dataset(id=dataset["id"])
    ckan.action.follow_group(id=ORG)
    for caller in (ckan, world.publisher, world.anonymous):
        with pytest.raises(ckanapi.NotAuthorized):
            caller.action.dataset_follower_list(id=dataset["id"])
        with pytest.raises(ckanapi.NotAuthorized):
            caller.action.organization_follower_list(id=ORG)
    followers = world.admin.action.dataset_follower_list(id=dataset["name"])
    assert [u["name"] for u in followers] == [name]
    assert "email" not in followers[0]
    assert name in {u["name"] for u in world.admin.action.organization_follower_list(id=ORG)}
    assert name in {u["name"] for u in world.admin.action.group_follower_list(id=ORG)}
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.user_follower_list(id=name)


def test_followee_lists_are_for_the_user_and_sysadmins(world: World) -> None:
    name, ckan = world.user()
    other, other_ckan = world.user()
    dataset = world.dataset(title="あいう避難所")
    ckan.action.follow_dataset(id=dataset["id"])
    ckan.action.follow_group(id="fo-group")
    ckan.action.follow_group(id=ORG)
    ckan.action.follow_user(id=other)
    for action in (
        "followee_list",
        "dataset_followee_list",
        "group_followee_list",
        "organization_followee_list",
        "user_followee_list",
    ):
        with pytest.raises(ckanapi.NotAuthorized):
            other_ckan.call_action(action, {"id": name})
        with pytest.raises(ckanapi.NotAuthorized):
            world.anonymous.call_action(action, {"id": name})
    everything = ckan.action.followee_list(id=name)
    assert everything == world.admin.action.followee_list(id=name)
    assert {(f["type"], f["dict"]["name"]) for f in everything} == {
        ("dataset", dataset["name"]),
        ("group", "fo-group"),
        ("organization", ORG),
        ("user", other),
    }
    names = [f["display_name"] for f in everything]
    assert names == sorted(names)
    assert ckan.action.followee_count(id=name) == 4
    assert [f["type"] for f in ckan.action.followee_list(id=name, q="あいう")] == ["dataset"]
    assert [f["type"] for f in ckan.action.followee_list(id=name, q="防")] == ["group"]


def test_private_dataset_cannot_be_found_by_following_it(world: World) -> None:
    """To someone who may not read it, a private dataset answers exactly like a missing one."""
    _, outsider = world.user()
    private = world.dataset(private=True)

    def error(action: str, ref: str) -> dict[str, Any]:
        with pytest.raises(ckanapi.ValidationError) as caught:
            outsider.call_action(action, {"id": ref})
        return dict(caught.value.error_dict)

    for action in (
        "follow_dataset",
        "unfollow_dataset",
        "am_following_dataset",
        "dataset_follower_count",
    ):
        for ref in (private["id"], private["name"]):
            assert error(action, ref) == error(action, "no-such-dataset"), action
    with pytest.raises(ckanapi.NotAuthorized):
        world.anonymous.action.follow_dataset(id=private["id"])
    with pytest.raises(ckanapi.ValidationError):
        world.anonymous.action.dataset_follower_count(id=private["id"])
    # The organisation's member may read it, and so may follow it.
    assert world.member.action.follow_dataset(id=private["name"])["object_id"] == private["id"]
    assert world.member.action.dataset_follower_count(id=private["id"]) == 1
    assert world.admin.action.dataset_follower_count(id=private["id"]) == 1


def test_a_followed_dataset_made_private_drops_out_but_can_be_unfollowed(world: World) -> None:
    name, ckan = world.user()
    dataset = world.dataset()
    ckan.action.follow_dataset(id=dataset["id"])
    world.publisher.action.package_patch(id=dataset["id"], private=True)
    assert ckan.action.dataset_followee_list(id=name) == []
    assert ckan.action.followee_list(id=name) == []
    assert ckan.action.dataset_followee_count(id=name) == 0
    assert world.anonymous.action.followee_count(id=name) == 0
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.am_following_dataset(id=dataset["id"])
    # The sysadmin still sees the follow, and the follower may drop it.
    assert world.admin.action.dataset_follower_count(id=dataset["id"]) == 1
    assert [d["name"] for d in world.admin.action.dataset_followee_list(id=name)] == [
        dataset["name"]
    ]
    assert ckan.action.unfollow_dataset(id=dataset["name"]) is None
    assert world.admin.action.dataset_follower_count(id=dataset["id"]) == 0


def test_a_deleted_dataset_is_no_longer_followed(world: World) -> None:
    name, ckan = world.user()
    dataset = world.dataset()
    ckan.action.follow_dataset(id=dataset["id"])
    world.publisher.action.package_delete(id=dataset["id"])
    assert ckan.action.dataset_followee_list(id=name) == []
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.follow_dataset(id=dataset["id"])
