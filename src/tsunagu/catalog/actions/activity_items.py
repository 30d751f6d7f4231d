"""One activity entry: activity_show, activity_data_show, activity_diff; and activity_create.

An entry is shown to whoever may see it in a stream (catalog/activity_access.py). Unlike CKAN,
where the stored object (``activity_data_show``, ``activity_diff``) needs edit rights unless
``ckan.auth.public_activity_stream_detail`` is set, the streams here already carry each entry's
``data``, so the same rule serves both.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from sqlalchemy import select

from tsunagu.accounts.actions import find_user
from tsunagu.catalog import authz, validation
from tsunagu.catalog.activity_access import activity_dict, can_see_activity, visible_activity
from tsunagu.catalog.lookup import by_id_or_name, require_id
from tsunagu.catalog.models import Activity, Dataset, Group, Organization
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, require
from tsunagu.registry import action

# Activity types activity_create accepts, by the kind of object they are about (CKAN's list, plus
# Tsunagu's own personal-data override).
PACKAGE_TYPES = frozenset(
    {
        "new package",
        "changed package",
        "deleted package",
        "follow dataset",
        "new resource view",
        "changed resource view",
        "deleted resource view",
        "personal data override",
    }
)
USER_TYPES = frozenset({"new user", "changed user", "follow user"})
GROUP_TYPES = frozenset({"new group", "changed group", "deleted group", "follow group"})
ORGANIZATION_TYPES = frozenset(
    {"new organization", "changed organization", "deleted organization", "follow organization"}
)
# Entries only an organisation's members should read, whatever the dataset's state.
INTERNAL_TYPES = frozenset({"personal data override"})
DIFF_TYPES = ("unified", "context", "html")


def _shown(context: Context, ref: str) -> Activity:
    activity = context.session.get(Activity, ref)
    if activity is None:
        raise NotFound("アクティビティが見つかりません (Activity not found)")
    if not can_see_activity(context, activity):
        # As for datasets: anonymous callers cannot tell a hidden entry from a missing one.
        if context.user is None:
            raise NotFound("アクティビティが見つかりません (Activity not found)")
        raise NotAuthorized(
            "このアクティビティを見る権限がありません (Unauthorized to view activity data)"
        )
    return activity


def _object_of(activity: Activity, object_type: str) -> Any:
    """The stored object of one kind. Organisation and group entries keep the object dict itself
    rather than CKAN's ``{"group": ...}``, so either name finds it."""
    data = activity.data or {}
    if object_type in data:
        return data[object_type]
    kind = activity.activity_type.rpartition(" ")[2]
    kinds = ("group", "organization")
    if object_type in kinds and kind in kinds and "id" in data:
        return data
    raise NotFound(
        f"この種類のオブジェクトは記録されていません (Could not find that object_type in the "
        f"activity: {object_type})"
    )


@action("activity_show")
def activity_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """One activity entry.

    :param id: the activity's id
    :rtype: dict
    """
    return activity_dict(_shown(context, require_id(data)))


@action("activity_data_show")
def activity_data_show(context: Context, data: dict[str, Any]) -> Any:
    """The object an activity entry recorded.

    :param id: the activity's id
    :param object_type: ``package``, ``organization`` or ``group`` (optional: all of ``data``)
    """
    activity = _shown(context, require_id(data))
    object_type = data.get("object_type")
    if object_type in (None, ""):
        return activity.data or {}
    return _object_of(activity, str(object_type))


def _previous(context: Context, activity: Activity) -> Activity:
    """The caller's previous visible version of the same object: a diff against an entry they may
    not see (say, from while the dataset was private) would show what it held."""
    previous = context.session.scalar(
        select(Activity)
        .where(
            Activity.object_id == activity.object_id,
            Activity.timestamp < activity.timestamp,
            visible_activity(context),
        )
        .order_by(Activity.timestamp.desc(), Activity.id)
        .limit(1)
    )
    if previous is None:
        raise NotFound(
            "このオブジェクトの前のアクティビティがありません "
            "(Previous activity for this object not found)"
        )
    return previous


def _lines(obj: Any) -> list[str]:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False).split("\n")


def _wrapped(lines: list[str]) -> list[str]:
    # Long lines wrapped, as CKAN does, so an HTML diff of a dataset fits a page.
    out: list[str] = []
    for line in lines:
        out.extend(re.findall(r".{1,70}(?:\s+|$)", line) or [line])
    return out


@action("activity_diff")
def activity_diff(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """How an entry's object differs from the previous entry about it that you may see.

    :param id: the activity's id
    :param object_type: ``package``, ``organization`` or ``group``
    :param diff_type: ``unified`` (default), ``context`` or ``html``
    :returns: ``{"diff": ..., "activities": [previous, this]}``
    """
    errors: validation.Errors = {}
    activity_id = validation.as_text(data, "id", errors)
    object_type = validation.as_text(data, "object_type", errors)
    diff_type = validation.as_text(data, "diff_type", errors) or "unified"
    for field, value in (("id", activity_id), ("object_type", object_type)):
        if not value:
            validation.add(errors, field, "必須項目です (Missing value)")
    if diff_type not in DIFF_TYPES:
        validation.add(
            errors,
            "diff_type",
            f"{', '.join(DIFF_TYPES)} のいずれかを指定してください (diff_type not recognized)",
        )
    require(errors)
    activity = _shown(context, activity_id)
    previous = _previous(context, activity)
    before, after = (
        _lines(_object_of(previous, object_type)),
        _lines(_object_of(activity, object_type)),
    )
    if diff_type == "unified":
        diff = "\n".join(difflib.unified_diff(before, after))
    elif diff_type == "context":
        diff = "\n".join(difflib.context_diff(before, after))
    else:
        diff = difflib.HtmlDiff().make_table(_wrapped(before), _wrapped(after))
    return {"diff": diff, "activities": [activity_dict(previous), activity_dict(activity)]}


def _target(
    context: Context, activity_type: str, ref: str, errors: validation.Errors
) -> tuple[str, str | None, bool]:
    """(object id, organisation to record it under, private?) for a new entry."""
    try:
        if activity_type in PACKAGE_TYPES:
            dataset = by_id_or_name(context.session, Dataset, ref)
            private = dataset.private or dataset.state != "active"
            return dataset.id, dataset.owner_org, private or activity_type in INTERNAL_TYPES
        if activity_type in ORGANIZATION_TYPES:
            org = by_id_or_name(context.session, Organization, ref)
            return org.id, org.id, False
        if activity_type in GROUP_TYPES:
            return by_id_or_name(context.session, Group, ref).id, None, False
        return find_user(context, ref).id, None, False
    except NotFound:
        validation.add(errors, "object_id", f"見つかりません (Not found): {ref}")
        return "", None, False


@action("activity_create", write=True)
def activity_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Record an activity by hand (sysadmins only, as in CKAN).

    :param user_id: who did it (id or name)
    :param object_id: the dataset, organisation, group or user it is about (id or name)
    :param activity_type: e.g. ``changed package``
    :param data: what to keep with it (optional)
    :param permission_private: mark it private (optional)
    """
    authz.require_sysadmin(context)
    errors: validation.Errors = {}
    activity_type = validation.as_text(data, "activity_type", errors)
    user_ref = validation.as_text(data, "user_id", errors)
    object_ref = validation.as_text(data, "object_id", errors)
    for field, value in (
        ("user_id", user_ref),
        ("object_id", object_ref),
        ("activity_type", activity_type),
    ):
        if not value:
            validation.add(errors, field, "必須項目です (Missing value)")
    known = PACKAGE_TYPES | USER_TYPES | GROUP_TYPES | ORGANIZATION_TYPES
    if activity_type and activity_type not in known:
        validation.add(
            errors, "activity_type", f"未知の種類です (Not found: Activity type): {activity_type}"
        )
    payload = data.get("data") or {}
    if not isinstance(payload, dict):
        validation.add(errors, "data", "辞書で指定してください (Must be a dictionary)")
        payload = {}
    private_asked = validation.as_bool(data, "permission_private", errors)
    user_id = ""
    if user_ref:
        try:
            user_id = find_user(context, user_ref).id
        except NotFound:
            validation.add(
                errors, "user_id", f"ユーザーが見つかりません (Not found: User): {user_ref}"
            )
    object_id, owner_org, private = "", None, False
    if object_ref and activity_type in known:
        object_id, owner_org, private = _target(context, activity_type, object_ref, errors)
    require(errors)
    activity = Activity(
        user_id=user_id,
        object_id=object_id,
        activity_type=activity_type,
        owner_org=owner_org,
        # A caller may mark an entry private, never make a private dataset's entry public.
        permission_private=private or private_asked,
        data=payload,
    )
    context.session.add(activity)
    context.session.flush()
    return activity_dict(activity)
