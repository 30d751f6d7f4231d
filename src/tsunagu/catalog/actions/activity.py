"""Activity streams. Every stream applies the same visibility condition (catalog/activity_access.py),
so private datasets' history and internal entries reach only those who may read them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, or_, select

from tsunagu.accounts.actions import find_user
from tsunagu.catalog.access import readable_dataset
from tsunagu.catalog.activity_access import activity_dict
from tsunagu.catalog.activity_window import fetch, window
from tsunagu.catalog.lookup import by_id_or_name, require_id
from tsunagu.catalog.models import Activity, Dataset, Group, Organization, dataset_group
from tsunagu.context import Context
from tsunagu.registry import action

Stream = Callable[[Context, dict[str, Any]], list[dict[str, Any]]]

# Every stream takes CKAN's paging and filters (catalog/activity_window.py); help_show shows them.
_WINDOW_PARAMS = """    :param limit: at most this many (default 31, at most 100)
    :param offset: skip this many
    :param before: older than this (seconds since the epoch, or ISO 8601)
    :param after: newer than this
    :param activity_types: only these types
    :param exclude_activity_types: all but these types
    """


def _windowed(fn: Stream) -> Stream:
    doc = (fn.__doc__ or "").rstrip()
    fn.__doc__ = doc + ("\n" if ":param" in doc else "\n\n") + _WINDOW_PARAMS
    return fn


def _stream(context: Context, stmt: Select[tuple[Activity]], data: dict[str, Any]) -> list[Any]:
    return [activity_dict(a) for a in fetch(context, stmt, window(data))]


@action("package_activity_list")
@_windowed
def package_activity_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """A dataset's activity stream, newest first.

    :param id: the dataset's id or name
    """
    dataset = readable_dataset(context, by_id_or_name(context.session, Dataset, require_id(data)))
    return _stream(context, select(Activity).where(Activity.object_id == dataset.id), data)


@action("organization_activity_list")
@_windowed
def organization_activity_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """An organisation's activity stream: its own changes and its datasets'.

    :param id: the organisation's id or name
    """
    org = by_id_or_name(context.session, Organization, require_id(data), deleted=False)
    stmt = select(Activity).where(or_(Activity.owner_org == org.id, Activity.object_id == org.id))
    return _stream(context, stmt, data)


@action("group_activity_list")
@_windowed
def group_activity_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """A group's activity stream: its own changes and those of the datasets now in it.

    :param id: the group's id or name
    """
    group = by_id_or_name(context.session, Group, require_id(data), deleted=False)
    in_group = select(dataset_group.c.dataset_id).where(dataset_group.c.group_id == group.id)
    stmt = select(Activity).where(
        or_(Activity.object_id == group.id, Activity.object_id.in_(in_group))
    )
    return _stream(context, stmt, data)


@action("user_activity_list")
@_windowed
def user_activity_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """A user's activity stream: what they did, and what was done to them.

    :param id: the user's id or name
    """
    user = find_user(context, require_id(data))
    stmt = select(Activity).where(or_(Activity.user_id == user.id, Activity.object_id == user.id))
    return _stream(context, stmt, data)


@action("recently_changed_packages_activity_list")
@_windowed
def recently_changed_packages_activity_list(
    context: Context, data: dict[str, Any]
) -> list[dict[str, Any]]:
    """Dataset activity across the whole catalog, newest first."""
    return _stream(context, select(Activity).where(Activity.activity_type.like("% package")), data)
