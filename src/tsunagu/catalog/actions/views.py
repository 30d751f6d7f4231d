"""resource_view_* actions and the default-view actions, with CKAN's parameters and rights: who
may edit the resource may change its views, who may read it may read them, and clearing every
view of the site is for sysadmins."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import delete, select

from tsunagu.catalog import authz, validation
from tsunagu.catalog.access import editable_dataset, readable_dataset
from tsunagu.catalog.lookup import require_id, resource_by_id
from tsunagu.catalog.models import Resource, ResourceView
from tsunagu.catalog.resource_views import (
    CORE_KEYS,
    add_missing,
    datastore_defaults,
    file_defaults,
    next_position,
    view_dict,
    views_of,
)
from tsunagu.context import Context
from tsunagu.errors import NotFound, ValidationError, require
from tsunagu.registry import action
from tsunagu.storage.types import new_id

# A view's settings are small (a few column names, a URL); this keeps a client from storing
# arbitrary documents in them.
MAX_CONFIG_BYTES = 64 * 1024


def _view(context: Context, data: dict[str, Any]) -> ResourceView:
    view = context.session.get(ResourceView, require_id(data))
    if view is None:
        raise NotFound("ビューが見つかりません (Resource view not found)")
    return view


def _readable_resource(context: Context, resource_id: str) -> Resource:
    resource = resource_by_id(context.session, resource_id)
    readable_dataset(context, resource.dataset)
    return resource


def _editable_resource(context: Context, resource_id: str) -> Resource:
    resource = resource_by_id(context.session, resource_id)
    editable_dataset(context, resource.dataset_id)
    return resource


def _config(data: dict[str, Any], current: dict[str, Any], errors: validation.Errors) -> Any:
    """`config` (a dict or a JSON string, as CKAN documents) merged with every other key the
    client sent (as CKAN's resource_view_dict_save keeps them)."""
    config = dict(current)
    given = data.get("config")
    if isinstance(given, str) and given.strip():
        try:
            given = orjson.loads(given)
        except orjson.JSONDecodeError:
            validation.add(
                errors, "config", "JSON を解釈できません (Could not parse as valid JSON)"
            )
            given = None
    if given not in (None, "") and not isinstance(given, dict):
        validation.add(errors, "config", "辞書で指定してください (Must be a dict)")
    elif isinstance(given, dict):
        config.update(given)
    config.update({k: v for k, v in data.items() if k not in CORE_KEYS and not k.startswith("__")})
    if len(orjson.dumps(config)) > MAX_CONFIG_BYTES:
        validation.add(
            errors, "config", f"設定が大きすぎます (Config exceeds {MAX_CONFIG_BYTES} bytes)"
        )
    return config


def _text(data: dict[str, Any], field: str, errors: validation.Errors, default: str) -> str:
    return validation.as_text(data, field, errors, limit=1000) if field in data else default


@action("resource_view_create", write=True)
def resource_view_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Create a view of a resource (needs the right to edit the resource's dataset).

    Any ``view_type`` is accepted and kept, also ones Tsunagu does not render, so views copied
    from another CKAN survive; the portal renders ``datatables_view``, ``tsunagu_map`` and
    ``tsunagu_chart``.

    :param resource_id: the resource's id
    :param title: the view's title
    :param description: a description (optional)
    :param view_type: the type of view
    :param config: the view's settings (a dict, or its JSON string); other keys sent are kept
        in it too and shown at the top level, as in CKAN
    :returns: the new view
    :rtype: dictionary
    """
    errors: validation.Errors = {}
    resource_id = validation.as_text(data, "resource_id", errors, limit=100)
    view_type = validation.as_text(data, "view_type", errors, limit=100)
    title = validation.as_text(data, "title", errors, limit=1000)
    description = validation.as_text(data, "description", errors, limit=10000)
    for field, value in (("resource_id", resource_id), ("view_type", view_type), ("title", title)):
        if not value:
            validation.add(errors, field, "必須項目です (Missing value)")
    config = _config(data, {}, errors)
    require(errors)
    resource = _editable_resource(context, resource_id)
    view = ResourceView(
        id=new_id(),
        resource_id=resource.id,
        position=next_position(context.session, resource.id),
        view_type=view_type,
        title=title,
        description=description,
        config=config,
    )
    context.session.add(view)
    context.session.flush()
    return view_dict(view, resource.dataset_id)


@action("resource_view_update", write=True)
def resource_view_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Update a view (needs the right to edit the resource's dataset); ``view_type`` cannot
    change. Keys not sent keep their values except the view's settings, which are replaced by
    those sent (as CKAN's update replaces them).

    :param id: the view's id
    :returns: the updated view
    :rtype: dictionary
    """
    view = _view(context, data)
    resource = _editable_resource(context, view.resource_id)
    errors: validation.Errors = {}
    title = _text(data, "title", errors, view.title)
    description = _text(data, "description", errors, view.description)
    if "title" in data and not title:
        validation.add(errors, "title", "必須項目です (Missing value)")
    config = _config(data, {}, errors)
    require(errors)
    view.title = title
    view.description = description
    view.config = config
    context.session.flush()
    return view_dict(view, resource.dataset_id)


@action("resource_view_delete", write=True)
def resource_view_delete(context: Context, data: dict[str, Any]) -> dict[str, str]:
    """Delete a view (needs the right to edit the resource's dataset).

    :param id: the view's id
    :returns: ``{"resource_id": …}``
    """
    view = _view(context, data)
    _editable_resource(context, view.resource_id)
    resource_id = view.resource_id
    context.session.delete(view)
    context.session.flush()
    return {"resource_id": resource_id}


@action("resource_view_show")
def resource_view_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A view, for anyone who may read its resource.

    :param id: the view's id
    :rtype: dictionary
    """
    view = _view(context, data)
    resource = _readable_resource(context, view.resource_id)
    return view_dict(view, resource.dataset_id)


@action("resource_view_list")
def resource_view_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """A resource's views in their order, for anyone who may read the resource. Views of
    types Tsunagu does not render are listed too.

    :param id: the resource's id
    :rtype: list of dictionaries
    """
    resource = _readable_resource(context, require_id(data))
    return [view_dict(v, resource.dataset_id) for v in views_of(context.session, resource.id)]


@action("resource_view_reorder", write=True)
def resource_view_reorder(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Put a resource's views in a new order (needs the right to edit the dataset). Views not
    named keep their order after the named ones.

    :param id: the resource's id
    :param order: view ids in the order wanted
    :returns: ``{"id": resource id, "order": [view ids]}``
    """
    resource_id = require_id(data)
    order = data.get("order")
    if isinstance(order, str):
        try:
            order = orjson.loads(order)
        except orjson.JSONDecodeError:
            order = None
    if not isinstance(order, list) or not all(isinstance(v, str) for v in order):
        raise ValidationError({"order": ["ビュー id のリストで指定してください (Must be a list)"]})
    if len(set(order)) != len(order):
        raise ValidationError({"order": ["同じビューが重複しています (No duplicates allowed)"]})
    resource = _editable_resource(context, resource_id)
    views = {v.id: v for v in views_of(context.session, resource.id)}
    missing = [v for v in order if v not in views]
    if missing:
        raise ValidationError(
            {"order": [f"ビューが見つかりません: {missing[0]} (View does not exist)"]}
        )
    new_order = order + [v for v in views if v not in order]
    for position, view_id in enumerate(new_order):
        views[view_id].position = position
    context.session.flush()
    return {"id": resource.id, "order": new_order}


@action("resource_view_clear", write=True)
def resource_view_clear(context: Context, data: dict[str, Any]) -> None:
    """Delete every view of the site, or every view of the given types (sysadmins only).

    :param view_types: the types to delete (optional)
    :type view_types: list of strings
    """
    authz.require_sysadmin(context)
    types = data.get("view_types")
    if isinstance(types, str):
        types = [t.strip() for t in types.split(",") if t.strip()]
    if types not in (None, []) and (
        not isinstance(types, list) or not all(isinstance(t, str) for t in types)
    ):
        raise ValidationError({"view_types": ["文字列のリストで指定してください (Must be a list)"]})
    stmt = delete(ResourceView)
    if types:
        stmt = stmt.where(ResourceView.view_type.in_(types))
    context.session.execute(stmt)


def _defaults(
    context: Context, resource: Resource, create_datastore_views: bool
) -> list[dict[str, Any]]:
    if create_datastore_views:
        from tsunagu.datastore.models import DatastoreTable  # the catalog reads, never writes it

        meta = context.session.get(DatastoreTable, resource.id)
        defaults = datastore_defaults(list(meta.fields)) if meta is not None else []
    else:
        defaults = file_defaults(resource)
    made = add_missing(context.session, resource.id, defaults)
    return [view_dict(v, resource.dataset_id) for v in made]


def _flag(data: dict[str, Any]) -> bool:
    errors: validation.Errors = {}
    value = validation.as_bool(data, "create_datastore_views", errors, default=False)
    require(errors)
    return value


def _dict_param(data: dict[str, Any], field: str) -> dict[str, Any]:
    value = data.get(field)
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            value = None
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        raise ValidationError({field: ["id を含む辞書で指定してください (Missing value)"]})
    return value


@action("resource_create_default_resource_views", write=True)
def resource_create_default_resource_views(
    context: Context, data: dict[str, Any]
) -> list[dict[str, Any]]:
    """Create the resource's default views it does not have yet (needs the right to edit the
    dataset). With ``create_datastore_views`` the table, map and chart views its datastore table
    supports; without, the views that need no datastore (an image's ``image_view``).

    :param resource: the resource's dict (its ``id`` is used)
    :param create_datastore_views: default false, as in CKAN
    :returns: the views created (empty when none)
    """
    resource = _editable_resource(context, _dict_param(data, "resource")["id"])
    return _defaults(context, resource, _flag(data))


@action("package_create_default_resource_views", write=True)
def package_create_default_resource_views(
    context: Context, data: dict[str, Any]
) -> list[dict[str, Any]]:
    """``resource_create_default_resource_views`` for every resource of a dataset.

    :param package: the dataset's dict (its ``id`` is used)
    :param create_datastore_views: default false, as in CKAN
    :returns: the views created (empty when none)
    """
    dataset = editable_dataset(context, _dict_param(data, "package")["id"])
    flag = _flag(data)
    resources = context.session.scalars(
        select(Resource)
        .where(Resource.dataset_id == dataset.id, Resource.state == "active")
        .order_by(Resource.position)
    )
    return [made for r in resources for made in _defaults(context, r, flag)]
