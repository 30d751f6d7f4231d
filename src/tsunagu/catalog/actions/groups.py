"""group_* actions: categories (防災, 子育て …) that cut across organisations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tsunagu.catalog import authz, validation
from tsunagu.catalog.activity import record_activity
from tsunagu.catalog.dictize import group_dict
from tsunagu.catalog.lookup import by_id_or_name, require_id
from tsunagu.catalog.models import Dataset, Group, dataset_group
from tsunagu.catalog.revision import bump_revision
from tsunagu.catalog.search_params import search_query
from tsunagu.context import Context
from tsunagu.errors import require
from tsunagu.registry import action
from tsunagu.storage.upsert import flush_or_conflict

NAME_IN_USE = "この名前は既に使われています (Group name already exists in database)"


def _clean(context: Context, data: dict[str, Any], current: Group | None) -> dict[str, Any]:
    errors: validation.Errors = {}
    values = {"name": validation.check_name(data.get("name"), "name", errors)}
    for field in ("title", "description", "image_url"):
        values[field] = validation.as_text(data, field, errors)
    if not values["title"]:
        validation.add(errors, "title", "必須項目です (Missing value)")
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
    group = Group(**_clean(context, data, None), revision=bump_revision(context.session))
    context.session.add(group)
    _save_name(context, group, None)
    result = {**group_dict(group), "package_count": 0}
    record_activity(context, group.id, "new group", result)
    return result


@action("group_update", write=True)
def group_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    group = by_id_or_name(context.session, Group, require_id(data), deleted=False)
    authz.require_sysadmin(context)
    for key, value in _clean(
        context, {**data, "name": data.get("name", group.name)}, group
    ).items():
        setattr(group, key, value)
    _save_name(context, group, group.id)
    # Datasets before the revision counter, the order every dataset write locks them in.
    datasets = context.session.scalars(
        select(Dataset)
        .join(dataset_group)
        .where(dataset_group.c.group_id == group.id)
        .order_by(Dataset.id)
        .with_for_update(of=Dataset)
    ).all()
    group.revision = bump_revision(context.session)
    for dataset in datasets:
        dataset.revision = group.revision
    result = {**group_dict(group), "package_count": _counts(context).get(group.name, 0)}
    record_activity(context, group.id, "changed group", result)
    return result


@action("group_show")
def group_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    group = by_id_or_name(context.session, Group, require_id(data), deleted=False)
    result = {**group_dict(group), "package_count": _counts(context).get(group.name, 0)}
    if validation.as_bool(data, "include_datasets", {}, default=False):
        query = search_query(
            context, {"fq": f'groups:"{group.name}"', "rows": 1000, "sort": "title_string asc"}
        )
        result["packages"] = context.services.search.search(query).results
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
    return [{**group_dict(g), "package_count": counts.get(g.name, 0)} for g in groups]
