"""follow_*, unfollow_*, am_following_*, *_follower_* and *_followee_* actions (CKAN 2.11).

As in CKAN 2.11, following something already followed answers with the existing follow, and
unfollowing something not followed does nothing; an ``id`` naming nothing is a validation error
(409). Unlike CKAN, a dataset the caller may not read is treated as naming nothing, everywhere
here, and lists and counts of what a user follows leave out datasets the caller may not read.

Who may call what (CKAN's rules): following, unfollowing and ``am_following_*`` need a signed-in
user; follower lists are for sysadmins; a followee list is for the user themself and sysadmins;
counts are for anyone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, or_, select

from tsunagu.accounts.actions.users import user_dict
from tsunagu.accounts.models import User
from tsunagu.catalog import authz
from tsunagu.catalog.dictize import (
    group_dict,
    organization_dict,
    package_dicts,
    with_follower_counts,
)
from tsunagu.catalog.lookup import require_id
from tsunagu.catalog.models import Dataset, Group, Organization
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, ValidationError
from tsunagu.follows.models import Follow
from tsunagu.follows.targets import (
    DATASET,
    GROUP,
    ORGANIZATION,
    USER,
    add_follow,
    find_target,
    follow_dict,
    followed_id,
    may_read,
    not_found,
)
from tsunagu.registry import action

# What CKAN calls each kind in its messages ("You must be logged in to follow datasets").
_PLURAL = {DATASET: "datasets", GROUP: "groups", USER: "users"}


def _me(context: Context, verb: str, kind: str) -> User:
    if context.user is None:
        raise NotAuthorized(f"ログインが必要です (You must be logged in to {verb} {_PLURAL[kind]})")
    return context.user


# -- following and unfollowing ------------------------------------------------------------------


def _follow(context: Context, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    me = _me(context, "follow", kind)
    target = find_target(context, kind, data)
    if target.type == USER and target.id == me.id:
        raise ValidationError({"id": ["自分自身はフォローできません (You cannot follow yourself)"]})
    return follow_dict(add_follow(context, me.id, target))


def _unfollow(context: Context, kind: str, data: dict[str, Any]) -> None:
    me = _me(context, "unfollow", kind)
    object_id = followed_id(context, kind, require_id(data))
    if object_id is None:
        find_target(context, kind, data)  # 409 when it names nothing the caller may know of
        return
    context.session.execute(
        delete(Follow).where(Follow.follower_id == me.id, Follow.object_id == object_id)
    )


@action("follow_dataset", write=True)
def follow_dataset(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Start following a dataset.

    :param id: the dataset's id or name
    :returns: the follow: ``follower_id``, ``object_id``, ``datetime``
    """
    return _follow(context, DATASET, data)


@action("follow_group", write=True)
def follow_group(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Start following a group or, as in CKAN, an organisation.

    :param id: its id or name
    :returns: the follow: ``follower_id``, ``object_id``, ``datetime``
    """
    return _follow(context, GROUP, data)


@action("follow_user", write=True)
def follow_user(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Start following another user.

    :param id: the user's id or name
    :returns: the follow: ``follower_id``, ``object_id``, ``datetime``
    """
    return _follow(context, USER, data)


@action("unfollow_dataset", write=True)
def unfollow_dataset(context: Context, data: dict[str, Any]) -> None:
    """Stop following a dataset.

    :param id: the dataset's id or name
    """
    _unfollow(context, DATASET, data)


@action("unfollow_group", write=True)
def unfollow_group(context: Context, data: dict[str, Any]) -> None:
    """Stop following a group or an organisation.

    :param id: its id or name
    """
    _unfollow(context, GROUP, data)


@action("unfollow_user", write=True)
def unfollow_user(context: Context, data: dict[str, Any]) -> None:
    """Stop following a user.

    :param id: the user's id or name
    """
    _unfollow(context, USER, data)


def _am_following(context: Context, kind: str, data: dict[str, Any]) -> bool:
    if context.user is None:
        raise NotAuthorized("ログインが必要です (You must be logged in)")
    target = find_target(context, kind, data)
    return context.session.get(Follow, (context.user.id, target.id)) is not None


@action("am_following_dataset")
def am_following_dataset(context: Context, data: dict[str, Any]) -> bool:
    """Whether you follow a dataset.

    :param id: the dataset's id or name
    :rtype: bool
    """
    return _am_following(context, DATASET, data)


@action("am_following_group")
def am_following_group(context: Context, data: dict[str, Any]) -> bool:
    """Whether you follow a group or an organisation.

    :param id: its id or name
    :rtype: bool
    """
    return _am_following(context, GROUP, data)


@action("am_following_user")
def am_following_user(context: Context, data: dict[str, Any]) -> bool:
    """Whether you follow a user.

    :param id: the user's id or name
    :rtype: bool
    """
    return _am_following(context, USER, data)


# -- followers of one object ----------------------------------------------------------------------


def _followers(context: Context, object_id: str) -> Any:
    return (
        select(User)
        .join(Follow, Follow.follower_id == User.id)
        .where(Follow.object_id == object_id, User.state != "deleted")
    )


def _follower_count(context: Context, kind: str, data: dict[str, Any]) -> int:
    target = find_target(context, kind, data)
    count = select(func.count()).select_from(_followers(context, target.id).subquery())
    return int(context.session.scalar(count) or 0)


def _public_user(context: Context, user: User) -> dict[str, Any]:
    # As CKAN's user lists: no e-mail address, even for a sysadmin.
    shown = user_dict(context, user)
    for private in ("email", "activity_streams_email_notifications"):
        shown.pop(private, None)
    return shown


def _follower_list(context: Context, kind: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    authz.require_sysadmin(context)
    target = find_target(context, kind, data)
    users = context.session.scalars(_followers(context, target.id).order_by(User.name))
    return [_public_user(context, u) for u in users]


@action("dataset_follower_count")
def dataset_follower_count(context: Context, data: dict[str, Any]) -> int:
    """How many users follow a dataset.

    :param id: the dataset's id or name
    :rtype: int
    """
    return _follower_count(context, DATASET, data)


@action("group_follower_count")
def group_follower_count(context: Context, data: dict[str, Any]) -> int:
    """How many users follow a group (or an organisation).

    :param id: its id or name
    :rtype: int
    """
    return _follower_count(context, GROUP, data)


@action("organization_follower_count")
def organization_follower_count(context: Context, data: dict[str, Any]) -> int:
    """How many users follow an organisation.

    :param id: its id or name
    :rtype: int
    """
    return _follower_count(context, GROUP, data)


@action("user_follower_count")
def user_follower_count(context: Context, data: dict[str, Any]) -> int:
    """How many users follow a user.

    :param id: the user's id or name
    :rtype: int
    """
    return _follower_count(context, USER, data)


@action("dataset_follower_list")
def dataset_follower_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The users who follow a dataset (sysadmins only).

    :param id: the dataset's id or name
    :rtype: list of user dicts
    """
    return _follower_list(context, DATASET, data)


@action("group_follower_list")
def group_follower_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The users who follow a group or an organisation (sysadmins only).

    :param id: its id or name
    :rtype: list of user dicts
    """
    return _follower_list(context, GROUP, data)


@action("organization_follower_list")
def organization_follower_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The users who follow an organisation (sysadmins only).

    :param id: its id or name
    :rtype: list of user dicts
    """
    return _follower_list(context, GROUP, data)


@action("user_follower_list")
def user_follower_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The users who follow a user (sysadmins only).

    :param id: the user's id or name
    :rtype: list of user dicts
    """
    return _follower_list(context, USER, data)


# -- what one user follows ----------------------------------------------------------------------


def _follower(context: Context, data: dict[str, Any], *, own_only: bool) -> User:
    """The user whose followees are asked for. Lists are for the user themself and sysadmins
    (CKAN's rule); counts are for anyone."""
    if own_only and context.user is None and not context.is_sysadmin:
        raise NotAuthorized("ログインが必要です (You must be logged in)")
    ref = require_id(data)
    user = context.session.scalar(select(User).where(or_(User.id == ref, User.name == ref)))
    own = user is not None and context.user is not None and user.id == context.user.id
    if own_only and not own and not context.is_sysadmin:
        raise NotAuthorized(
            "他のユーザーのフォロー先は見られません (Not authorized to see what this user follows)"
        )
    if user is None or user.state == "deleted":
        raise not_found(USER)
    return user


def _followed(context: Context, user: User, object_type: str) -> list[str]:
    return list(
        context.session.scalars(
            select(Follow.object_id)
            .where(Follow.follower_id == user.id, Follow.object_type == object_type)
            .order_by(Follow.created, Follow.object_id)
        )
    )


def followed_datasets(context: Context, user: User) -> list[Dataset]:
    """The datasets ``user`` follows that the caller may read, in the order they were followed."""
    ids = _followed(context, user, DATASET)
    rows = {d.id: d for d in context.session.scalars(select(Dataset).where(Dataset.id.in_(ids)))}
    return [
        rows[i]
        for i in ids
        if i in rows and rows[i].state != "deleted" and may_read(context, rows[i])
    ]


def _followees(context: Context, user: User, kind: str) -> list[dict[str, Any]]:
    if kind == DATASET:
        datasets = followed_datasets(context, user)
        dicts = package_dicts(context.session, [d.id for d in datasets], context.settings.site_url)
        return [dicts[d.id] for d in datasets]
    ids = _followed(context, user, kind)
    if kind == USER:
        users = {u.id: u for u in context.session.scalars(select(User).where(User.id.in_(ids)))}
        return [
            _public_user(context, users[i])
            for i in ids
            if i in users and users[i].state != "deleted"
        ]
    if kind == GROUP:
        groups = {g.id: g for g in context.session.scalars(select(Group).where(Group.id.in_(ids)))}
        return with_follower_counts(
            context.session,
            [group_dict(groups[i]) for i in ids if i in groups and groups[i].state != "deleted"],
        )
    orgs = {
        o.id: o
        for o in context.session.scalars(select(Organization).where(Organization.id.in_(ids)))
    }
    return with_follower_counts(
        context.session,
        [organization_dict(orgs[i]) for i in ids if i in orgs and orgs[i].state != "deleted"],
    )


@action("user_followee_list")
def user_followee_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The users a user follows (the user themself and sysadmins).

    :param id: the following user's id or name
    :rtype: list of user dicts
    """
    return _followees(context, _follower(context, data, own_only=True), USER)


@action("dataset_followee_list")
def dataset_followee_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The datasets a user follows that you may read (the user themself and sysadmins).

    :param id: the following user's id or name
    :rtype: list of package dicts
    """
    return _followees(context, _follower(context, data, own_only=True), DATASET)


@action("group_followee_list")
def group_followee_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The groups a user follows (the user themself and sysadmins).

    :param id: the following user's id or name
    :rtype: list of group dicts
    """
    return _followees(context, _follower(context, data, own_only=True), GROUP)


@action("organization_followee_list")
def organization_followee_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The organisations a user follows (the user themself and sysadmins).

    :param id: the following user's id or name
    :rtype: list of organisation dicts
    """
    return _followees(context, _follower(context, data, own_only=True), ORGANIZATION)


@action("user_followee_count")
def user_followee_count(context: Context, data: dict[str, Any]) -> int:
    """How many users a user follows.

    :param id: the following user's id or name
    :rtype: int
    """
    return len(_followees(context, _follower(context, data, own_only=False), USER))


@action("dataset_followee_count")
def dataset_followee_count(context: Context, data: dict[str, Any]) -> int:
    """How many datasets a user follows (counting only those you may read).

    :param id: the following user's id or name
    :rtype: int
    """
    return len(followed_datasets(context, _follower(context, data, own_only=False)))


@action("group_followee_count")
def group_followee_count(context: Context, data: dict[str, Any]) -> int:
    """How many groups a user follows.

    :param id: the following user's id or name
    :rtype: int
    """
    return len(_followees(context, _follower(context, data, own_only=False), GROUP))


@action("organization_followee_count")
def organization_followee_count(context: Context, data: dict[str, Any]) -> int:
    """How many organisations a user follows.

    :param id: the following user's id or name
    :rtype: int
    """
    return len(_followees(context, _follower(context, data, own_only=False), ORGANIZATION))


_KINDS = (USER, DATASET, GROUP, ORGANIZATION)


@action("followee_count")
def followee_count(context: Context, data: dict[str, Any]) -> int:
    """How many things of any kind a user follows (datasets only if you may read them).

    :param id: the following user's id or name
    :rtype: int
    """
    user = _follower(context, data, own_only=False)
    return len(followed_datasets(context, user)) + sum(
        len(_followees(context, user, kind)) for kind in (USER, GROUP, ORGANIZATION)
    )


@action("followee_list")
def followee_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Everything a user follows (the user themself and sysadmins).

    :param id: the following user's id or name
    :param q: keep only those whose display name starts with this (optional)
    :returns: ``{"type", "display_name", "dict"}`` for each, sorted by display name
    """
    user = _follower(context, data, own_only=True)
    found = [
        {
            "type": kind,
            "display_name": d.get("display_name") or d.get("title") or d.get("name") or "",
            "dict": d,
        }
        for kind in _KINDS
        for d in _followees(context, user, kind)
    ]
    found.sort(key=lambda f: str(f["display_name"]))
    q = str(data.get("q") or "").strip().lower()
    if q:
        found = [f for f in found if str(f["display_name"]).strip().lower().startswith(q)]
    return found
