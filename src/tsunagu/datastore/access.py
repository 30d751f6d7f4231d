"""Finding a resource's datastore table with the caller's rights checked."""

from __future__ import annotations

from typing import Any

from tsunagu.catalog.access import editable_dataset, readable_dataset
from tsunagu.catalog.lookup import require_id, resource_by_id
from tsunagu.catalog.models import Resource
from tsunagu.context import Context
from tsunagu.datastore.models import DatastoreTable
from tsunagu.errors import NotFound


def resource_id_of(data: dict[str, Any]) -> str:
    return require_id(data, "resource_id") if data.get("resource_id") else require_id(data)


def readable_resource(context: Context, resource_id: str) -> Resource:
    resource = resource_by_id(context.session, resource_id)
    readable_dataset(context, resource.dataset)
    return resource


def editable_resource(context: Context, resource_id: str) -> Resource:
    resource = resource_by_id(context.session, resource_id)
    editable_dataset(context, resource.dataset_id)
    return resource


def table_meta(context: Context, resource_id: str) -> DatastoreTable:
    meta = context.session.get(DatastoreTable, resource_id)
    if meta is None:
        raise NotFound(
            f'データストアに表がありません (Resource "{resource_id}" was not found '
            f"in the datastore)"
        )
    return meta
