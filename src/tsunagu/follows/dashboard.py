"""The signed-in user's dashboard: their own activity and that of everything they follow.

Followed datasets bring their own entries; followed groups their own and those of the datasets now
in them; followed organisations their own and those of their datasets; followed users what they
did and what was done to them (CKAN's rules). Every entry still passes the caller's visibility
condition, so following a user never shows what that user did to a dataset the follower may not
read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select

from tsunagu.accounts.models import User
from tsunagu.catalog.activity_access import activity_dict, visible_activity
from tsunagu.catalog.activity_window import fetch, window
from tsunagu.catalog.models import Activity, dataset_group
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized
from tsunagu.follows.models import Follow
from tsunagu.follows.targets import DATASET, GROUP, ORGANIZATION, USER
from tsunagu.registry import action
from tsunagu.storage.types import utcnow


def dashboard_condition(context: Context, user: User) -> ColumnElement[bool]:
    """Entries that belong on ``user``'s dashboard (before visibility is applied)."""
    followed: dict[str, list[str]] = {DATASET: [], GROUP: [], ORGANIZATION: [], USER: []}
    for object_id, object_type in context.session.execute(
        select(Follow.object_id, Follow.object_type).where(Follow.follower_id == user.id)
    ):
        followed.setdefault(object_type, []).append(object_id)
    people = [user.id, *followed[USER]]
    conditions: list[ColumnElement[bool]] = [
        Activity.user_id.in_(people),
        Activity.object_id.in_(people),
    ]
    if followed[DATASET]:
        conditions.append(Activity.object_id.in_(followed[DATASET]))
    if followed[GROUP]:
        in_groups = select(dataset_group.c.dataset_id).where(
            dataset_group.c.group_id.in_(followed[GROUP])
        )
        conditions += [
            Activity.object_id.in_(followed[GROUP]),
            Activity.object_id.in_(in_groups),
        ]
    if followed[ORGANIZATION]:
        conditions += [
            Activity.object_id.in_(followed[ORGANIZATION]),
            Activity.owner_org.in_(followed[ORGANIZATION]),
        ]
    return or_(*conditions)


def not_by(user: User) -> ColumnElement[bool]:
    return or_(Activity.user_id.is_(None), Activity.user_id != user.id)


def last_viewed(user: User) -> datetime:
    # Before the first visit everything since the account was made is new (CKAN starts the
    # dashboard at account creation).
    return user.dashboard_viewed or user.created


def new_entries(context: Context, user: User, since: datetime) -> Select[tuple[Activity]]:
    """Entries on ``user``'s dashboard, by others, after ``since``, that ``context`` may see."""
    return select(Activity).where(
        dashboard_condition(context, user),
        visible_activity(context),
        not_by(user),
        Activity.timestamp > since,
    )


def _signed_in(context: Context) -> User:
    if context.user is None:
        raise NotAuthorized(
            "ダッシュボードを見るにはログインが必要です "
            "(You must be logged in to access your dashboard.)"
        )
    return context.user


@action("dashboard_activity_list")
def dashboard_activity_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """As other activity lists, plus ``is_new``: whether the entry arrived since the user last
    marked their dashboard read. The user's own entries are never new."""
    user = _signed_in(context)
    stmt = select(Activity).where(dashboard_condition(context, user))
    seen = last_viewed(user)
    result = []
    for activity in fetch(context, stmt, window(data)):
        shown = activity_dict(activity)
        shown["is_new"] = activity.user_id != user.id and activity.timestamp > seen
        result.append(shown)
    return result


@action("dashboard_new_activities_count")
def dashboard_new_activities_count(context: Context, data: dict[str, Any]) -> int:
    """How many entries on your dashboard are new (by others, since you last marked it read).

    :rtype: int
    """
    user = _signed_in(context)
    stmt = new_entries(context, user, last_viewed(user))
    return int(context.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


@action("dashboard_mark_activities_old", write=True)
def dashboard_mark_activities_old(context: Context, data: dict[str, Any]) -> None:
    """Mark everything on your dashboard read."""
    user = _signed_in(context)
    row = context.session.get(User, user.id)
    if row is not None:
        row.dashboard_viewed = utcnow()
