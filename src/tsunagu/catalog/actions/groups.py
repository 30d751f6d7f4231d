"""group_* actions: categories (防災, 子育て …) that cut across organisations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from tsunagu.accounts.models import User
from tsunagu.catalog import authz, foreign_fields, ids, rosters, validation
from tsunagu.catalog.access import readable_dataset
from tsunagu.catalog.actions.organizations import logo_url
from tsunagu.catalog.activity import record_activity
from tsunagu.catalog.autocomplete import autocomplete
from tsunagu.catalog.dictize import group_dict, with_follower_counts
from tsunagu.catalog.lookup import by_id_or_name, require_id
from tsunagu.catalog.models import Dataset, Group, GroupMembership, dataset_group
from tsunagu.catalog.revision import bump_revision
from tsunagu.catalog.search_params import search_query
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, require
from tsunagu.registry import action
from tsunagu.storage.types import new_id
from tsunagu.storage.upsert import flush_or_conflict

NAME_IN_USE = "この名前は既に使われています (Group name already exists in database)"


def _clean(context: Context, data: dict[str, Any], current: Group | None) -> dict[str, Any]:
    errors: validation.Errors = {}
    values: dict[str, Any] = {"name": validation.check_name(data.get("name"), "name", errors)}
    for field in ("title", "description", "image_url"):
        values[field] = validation.as_text(data, field, errors)
    if not values["title"]:
        validation.add(errors, "title", "必須項目です (Missing value)")
    values["image_url"] = logo_url(values["image_url"], data)
    values["extras"] = foreign_fields.container_extras(
        data, current.extras if current is not None else None, errors
    )
    clash = context.session.scalar(select(Group.id).where(Group.name == values["name"]))
    if clash and (current is None or clash != current.id):
        validation.add(errors, "name", NAME_IN_USE)
    require(errors)
    return values


def _save_name(context: Context, group: Group, own_id: str | None) -> None:
    """Flush; a name another request took since _clean checked it is a 409, not a 500."""
    flush_or_conflict(
        context.session, Group, field="name", value=group.name, own_id=own_id, message=NAME_IN_USE
    )


def _counts(context: Context) -> dict[str, int]:
    query = search_query(context, {"rows": 0, "facet.field": ["groups"], "facet.limit": -1})
    context.services.search.refresh(context.session)
    return context.services.search.search(query).facets.get("groups", {})


@action("group_create", write=True)
def group_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    authz.require_sysadmin(context)
    group_id = ids.chosen_id(context, data, "group") or new_id()
    errors: validation.Errors = {}
    roster = rosters.read_roster(context, data, errors)
    values = _clean(context, data, None)
    require(errors)
    group = Group(id=group_id, **values, revision=bump_revision(context.session))
    context.session.add(group)
    _save_name(context, group, None)
    rosters.apply_roster(context, group, roster)
    result = {**group_dict(group), "package_count": 0}
    record_activity(context, group.id, "new group", result)
    return result


def _require_group_admin(context: Context, group: Group) -> None:
    if not authz.has_group_role(context, group.id, "admin"):
        raise NotAuthorized(
            f"このグループを変更する権限がありません (User not authorized to edit group {group.id})"
        )


@action("group_update", write=True)
def group_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Replace a group's name, title, description and image (group admins and sysadmins)."""
    group = by_id_or_name(context.session, Group, require_id(data), deleted=False)
    _require_group_admin(context, group)
    errors: validation.Errors = {}
    roster = rosters.read_roster(context, data, errors)
    values = _clean(context, {**data, "name": data.get("name", group.name)}, group)
    require(errors)
    for key, value in values.items():
        setattr(group, key, value)
    _save_name(context, group, group.id)
    rosters.apply_roster(context, group, roster)
    group.revision = restamp_members(context, group.id)
    result = {**group_dict(group), "package_count": _counts(context).get(group.name, 0)}
    with_follower_counts(context.session, [result])
    record_activity(context, group.id, "changed group", result)
    return result


@action("group_show")
def group_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    group = by_id_or_name(context.session, Group, require_id(data), deleted=False)
    result = {**group_dict(group), "package_count": _counts(context).get(group.name, 0)}
    with_follower_counts(context.session, [result])
    if validation.as_bool(data, "include_datasets", {}, default=False):
        query = search_query(
            context, {"fq": f'groups:"{group.name}"', "rows": 1000, "sort": "title_string asc"}
        )
        result["packages"] = context.services.search.search(query).results
    if validation.as_bool(data, "include_users", {}, default=False):
        # Shown to the group's members and sysadmins, as for organisations.
        result["users"] = []
        if authz.has_group_role(context, group.id, "member"):
            rows = context.session.execute(
                select(User, GroupMembership.capacity)
                .join(GroupMembership, GroupMembership.user_id == User.id)
                .where(GroupMembership.group_id == group.id)
                .order_by(User.name)
            )
            result["users"] = [
                {"id": u.id, "name": u.name, "fullname": u.fullname, "capacity": cap}
                for u, cap in rows
            ]
    return result


@action("group_list")
def group_list(context: Context, data: dict[str, Any]) -> list[Any]:
    errors: validation.Errors = {}
    all_fields = validation.as_bool(data, "all_fields", errors)
    limit, offset = validation.paging(data, errors)
    sort = str(data.get("sort") or "title asc")
    field, _, direction = sort.partition(" ")
    if field not in ("name", "title", "package_count"):
        validation.add(errors, "sort", "name, title, package_count のいずれかで並べ替えてください")
    require(errors)
    groups = list(context.session.scalars(select(Group).where(Group.state == "active")))
    counts = _counts(context)
    keys = {
        "name": lambda g: g.name,
        "title": lambda g: g.title or g.name,
        "package_count": lambda g: counts.get(g.name, 0),
    }
    groups.sort(key=keys[field], reverse=direction.strip().lower() == "desc")
    groups = groups[offset : offset + limit if limit is not None else None]
    if not all_fields:
        return [g.name for g in groups]
    return with_follower_counts(
        context.session, [{**group_dict(g), "package_count": counts.get(g.name, 0)} for g in groups]
    )


@action("group_patch", write=True)
def group_patch(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Change only the fields sent of a group (group admins and sysadmins)."""
    group = by_id_or_name(context.session, Group, require_id(data), deleted=False)
    _require_group_admin(context, group)
    current: dict[str, Any] = {
        k: getattr(group, k) for k in ("name", "title", "description", "image_url")
    }
    current["extras"] = group_dict(group)["extras"]
    return group_update(context, {**current, **data, "id": group.id})


def restamp_members(context: Context, group_id: str) -> int:
    """Stamp the group's datasets with a new revision (their dicts list the group); returns it.
    The datasets are locked before the revision counter, the order every dataset write takes
    them in (catalog/revision.lock_dataset): a file check finishing on one of them holds its
    row and then wants the counter."""
    datasets = context.session.scalars(
        select(Dataset)
        .join(dataset_group)
        .where(dataset_group.c.group_id == group_id)
        .order_by(Dataset.id)
        .with_for_update(of=Dataset)
    ).all()
    revision = bump_revision(context.session)
    for dataset in datasets:
        dataset.revision = revision
    return revision


@action("group_delete", write=True)
def group_delete(context: Context, data: dict[str, Any]) -> None:
    """Mark a group deleted. As in CKAN its memberships go with it: its datasets leave it and its
    users lose their roles (restoring the group does not bring them back)."""
    group = by_id_or_name(context.session, Group, require_id(data), deleted=False)
    _require_group_admin(context, group)
    group.state = "deleted"
    group.revision = restamp_members(context, group.id)
    context.session.execute(delete(dataset_group).where(dataset_group.c.group_id == group.id))
    context.session.execute(delete(GroupMembership).where(GroupMembership.group_id == group.id))
    authz.forget_capacities(context)
    record_activity(context, group.id, "deleted group", group_dict(group))


@action("group_list_authz")
def group_list_authz(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The groups the caller may add datasets to: those where they hold any role (CKAN's
    ``manage_group``); every group for a sysadmin unless ``am_member``."""
    errors: validation.Errors = {}
    available_only = validation.as_bool(data, "available_only", errors)
    am_member = validation.as_bool(data, "am_member", errors)
    with_counts = validation.as_bool(data, "include_dataset_count", errors)
    with_members = validation.as_bool(data, "include_member_count", errors)
    require(errors)
    if context.user is None and not context.ignore_auth:
        return []
    stmt = select(Group).where(Group.state == "active")
    if not context.is_sysadmin or am_member:
        if context.user is None:
            return []
        stmt = stmt.join(GroupMembership, GroupMembership.group_id == Group.id).where(
            GroupMembership.user_id == context.user.id
        )
    groups = list(context.session.scalars(stmt))
    if available_only and data.get("id"):
        # CKAN reads the dataset from its context; over the API it is named by ``id``.
        dataset = readable_dataset(
            context, by_id_or_name(context.session, Dataset, require_id(data))
        )
        taken = {g.id for g in dataset.groups}
        groups = [g for g in groups if g.id not in taken]
    counts = _counts(context) if with_counts else {}
    members: dict[str, int] = {}
    if with_members:
        counted = context.session.execute(
            select(GroupMembership.group_id, func.count()).group_by(GroupMembership.group_id)
        )
        members = {group_id: count for group_id, count in counted}
    out = []
    for group in groups:
        item = group_dict(group)
        if with_counts:
            item["package_count"] = counts.get(group.name, 0)
        if with_members:
            item["member_count"] = members.get(group.id, 0)
        out.append(item)
    with_follower_counts(context.session, out)
    return sorted(out, key=lambda g: g["display_name"])


@action("group_package_show")
def group_package_show(context: Context, data: dict[str, Any]) -> list[Any]:
    """A group's datasets, newest first as package_search ranks them (public ones, as CKAN)."""
    group = by_id_or_name(context.session, Group, require_id(data), deleted=False)
    errors: validation.Errors = {}
    limit, _ = validation.paging(data, errors, default_limit=10, max_limit=1000)
    require(errors)
    query = search_query(
        context, {"fq": f'groups:"{group.name}"', "rows": 10 if limit is None else limit}
    )
    context.services.search.refresh(context.session)
    return context.services.search.search(query).results


@action("group_autocomplete")
def group_autocomplete(context: Context, data: dict[str, Any]) -> list[dict[str, str]]:
    """Active groups whose name or title contains ``q``, as ``{id, name, title}``.

    :param q: the text to look for
    :param limit: at most this many (default 20)
    """
    return autocomplete(context, Group, data)
