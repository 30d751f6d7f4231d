"""What can be followed, found by id or name, and whether the caller may know it exists.

As in CKAN, an ``id`` that names nothing is a validation error (409). A dataset the caller may
not read gets exactly the same answer, so following cannot be used to find private datasets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from tsunagu.accounts.models import User
from tsunagu.catalog.access import readable_dataset
from tsunagu.catalog.dictize import iso
from tsunagu.catalog.lookup import require_id
from tsunagu.catalog.models import Dataset, Group, Organization
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, ValidationError
from tsunagu.follows.models import Follow
from tsunagu.storage.types import utcnow
from tsunagu.storage.upsert import get_or_create

# object_type values kept in the follow table.
DATASET, GROUP, ORGANIZATION, USER = "dataset", "group", "organization", "user"
_LABELS = {
    DATASET: ("データセット", "Dataset"),
    GROUP: ("グループ", "Group"),
    USER: ("ユーザー", "User"),
}


@dataclass(frozen=True)
class Target:
    id: str
    type: str


def not_found(kind: str) -> ValidationError:
    japanese, english = _LABELS[kind]
    return ValidationError({"id": [f"{japanese}が見つかりません (Not found: {english})"]})


def may_read(context: Context, dataset: Dataset) -> bool:
    try:
        readable_dataset(context, dataset)
    except (NotFound, NotAuthorized):
        return False
    return True


def _dataset(context: Context, ref: str) -> Dataset | None:
    return context.session.scalar(
        select(Dataset).where(or_(Dataset.id == ref, Dataset.name == ref))
    )


def _group_or_org(context: Context, ref: str) -> Target | None:
    """Groups and organisations share CKAN's group_* follow actions; an organisation's id works
    wherever a group's does."""
    for model, kind in ((Group, GROUP), (Organization, ORGANIZATION)):
        found = context.session.execute(
            select(model.id, model.state).where(or_(model.id == ref, model.name == ref))
        ).first()
        if found is not None and found.state != "deleted":
            return Target(found.id, kind)
    return None


def _user(context: Context, ref: str) -> User | None:
    user = context.session.scalar(select(User).where(or_(User.id == ref, User.name == ref)))
    return user if user is not None and user.state != "deleted" else None


def find_target(context: Context, kind: str, data: dict[str, Any]) -> Target:
    """The object named by ``data["id"]``; ``kind`` is dataset, group (a group or an
    organisation) or user."""
    ref = require_id(data)
    if kind == DATASET:
        dataset = _dataset(context, ref)
        if dataset is None or dataset.state == "deleted" or not may_read(context, dataset):
            raise not_found(DATASET)
        return Target(dataset.id, DATASET)
    if kind == GROUP:
        target = _group_or_org(context, ref)
        if target is None:
            raise not_found(GROUP)
        return target
    user = _user(context, ref)
    if user is None:
        raise not_found(USER)
    return Target(user.id, USER)


def followed_id(context: Context, kind: str, ref: str) -> str | None:
    """The id ``ref`` names among what the caller already follows, readable or not: one may always
    stop following something, even a dataset that has since become private."""
    if context.user is None:
        return None
    if kind == DATASET:
        found = _dataset(context, ref)
        candidate = found.id if found is not None else None
    elif kind == GROUP:
        target = _group_or_org(context, ref)
        candidate = target.id if target is not None else None
    else:
        user = _user(context, ref)
        candidate = user.id if user is not None else None
    if candidate is None:
        return None
    follow = context.session.get(Follow, (context.user.id, candidate))
    return candidate if follow is not None else None


def follow_dict(follow: Follow) -> dict[str, Any]:
    """CKAN's follower-table dict."""
    return {
        "follower_id": follow.follower_id,
        "object_id": follow.object_id,
        "datetime": iso(follow.created),
    }


def add_follow(context: Context, follower_id: str, target: Target) -> Follow:
    """The follow row, made if missing. Two requests following at once both succeed: the insert
    skips a row another transaction has just made."""
    return get_or_create(
        context.session,
        Follow,
        {"follower_id": follower_id, "object_id": target.id},
        {"object_type": target.type, "created": utcnow()},
    )
