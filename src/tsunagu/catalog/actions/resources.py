"""resource_* actions."""

from __future__ import annotations

from typing import Any

from tsunagu.catalog import ids
from tsunagu.catalog.access import editable_dataset, readable_dataset
from tsunagu.catalog.datasets import touch
from tsunagu.catalog.dictize import resource_dict
from tsunagu.catalog.licenses import get_license
from tsunagu.catalog.lookup import require_id, resource_by_id
from tsunagu.catalog.resources import apply_resource
from tsunagu.context import Context
from tsunagu.events import resource_deleted, resource_saved
from tsunagu.registry import action


def _result(context: Context, package: dict[str, Any], resource_id: str) -> dict[str, Any]:
    return next(r for r in package["resources"] if r["id"] == resource_id)


@action("resource_create", write=True)
def resource_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    dataset = editable_dataset(context, require_id(data, "package_id"))
    resource = ids.resource_with_id(context, dataset, data.get("id"), "id")
    apply_resource(context, dataset, resource, data)
    if resource not in dataset.resources:  # not a deleted one asked for again by its id
        dataset.resources.append(resource)
    result = _result(context, touch(context, dataset, "changed package"), resource.id)
    resource_saved(context, resource)
    return result


@action("resource_update", write=True)
def resource_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    resource = resource_by_id(context.session, require_id(data))
    dataset = editable_dataset(context, resource.dataset_id)
    apply_resource(context, dataset, resource, data)
    result = _result(context, touch(context, dataset, "changed package"), resource.id)
    resource_saved(context, resource)
    return result


@action("resource_patch", write=True)
def resource_patch(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    resource = resource_by_id(context.session, require_id(data))
    editable_dataset(context, resource.dataset_id)
    current = resource_dict(resource, context.settings.site_url)
    if resource.url_type == "upload":
        current["url"] = resource.url
    return resource_update(context, {**current, **data})


@action("resource_delete", write=True)
def resource_delete(context: Context, data: dict[str, Any]) -> None:
    resource = resource_by_id(context.session, require_id(data))
    dataset = editable_dataset(context, resource.dataset_id)
    resource.state = "deleted"
    touch(context, dataset, "changed package")
    resource_deleted(context, resource)


@action("resource_show")
def resource_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    resource = resource_by_id(context.session, require_id(data))
    dataset = readable_dataset(context, resource.dataset)
    license = get_license(dataset.license_id)
    return resource_dict(resource, context.settings.site_url, bool(license and license.is_open))
