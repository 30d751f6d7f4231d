"""Finding a resource's datastore table with the caller's rights checked."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.engine import Connection

from tsunagu.catalog import authz
from tsunagu.catalog.access import editable_dataset, readable_dataset
from tsunagu.catalog.lookup import require_id, resource_by_id
from tsunagu.catalog.models import Dataset, Resource
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
        raise _no_table(resource_id)
    return meta


def _no_table(resource_id: str) -> NotFound:
    return NotFound(
        f'データストアに表がありません (Resource "{resource_id}" was not found in the datastore)'
    )


@dataclass(frozen=True)
class TableInfo:
    """What datastore_search needs of a table: its name and data dictionary (read-only)."""

    resource_id: str
    table_name: str
    fields: list[dict[str, Any]]
    # Column name → type, with "_id" first; built once per table version.
    types: dict[str, str] = field(default_factory=dict)


# The rights check and the table's metadata in one indexed query on the request's own connection
# (so in its transaction): the ORM loads of the resource, its dataset and the DatastoreTable row
# were most of datastore_search's own time. Nothing about visibility is cached, so a resource or
# dataset that turns private or deleted is refused on the very next call, whichever process
# changed it; only the parsed data dictionary is reused while its stored JSON text is unchanged.
_LOOKUP = (
    "SELECT r.state, d.owner_org, d.private, d.state, d.creator_user_id, d.id, "
    "t.table_name, t.fields "
    "FROM resource r JOIN dataset d ON d.id = r.dataset_id "
    "LEFT JOIN datastore_table t ON t.resource_id = r.id "
    "WHERE r.id = {marker}"
)
_parsed: dict[str, tuple[tuple[str, str], TableInfo]] = {}
_parsed_lock = threading.Lock()
MAX_PARSED_TABLES = 512


def readable_table(context: Context, resource_id: str) -> TableInfo:
    """The table of a resource the caller may read; NotFound/NotAuthorized exactly as
    readable_resource and table_meta raise them."""
    connection = context.session.connection()
    row = _lookup(connection, resource_id)
    if row is None or row[0] == "deleted":
        resource_by_id(context.session, resource_id)  # raises the usual NotFound
        raise NotFound(f"リソースが見つかりません (Resource not found): {resource_id}")
    _, owner_org, private, state, creator, dataset_id, name, fields = row
    if not authz.can_read_dataset(context, owner_org, bool(private), state, creator, dataset_id):
        # Raises the same NotFound/NotAuthorized as every other read of the dataset.
        readable_dataset(
            context,
            Dataset(
                id=dataset_id,
                owner_org=owner_org,
                private=bool(private),
                state=state,
                creator_user_id=creator,
            ),
        )
    if name is None:
        raise _no_table(resource_id)
    return _table_info(resource_id, name, fields)


def _lookup(connection: Connection, resource_id: str) -> tuple[Any, ...] | None:
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(_LOOKUP.format(marker=marker), (resource_id,))
        row = cursor.fetchone()
    finally:
        cursor.close()
    return tuple(row) if row is not None else None


def _table_info(resource_id: str, name: str, fields: Any) -> TableInfo:
    # SQLite hands the JSON column back as text, PostgreSQL's driver as parsed objects.
    text = fields if isinstance(fields, str) else orjson.dumps(fields).decode()
    key = (name, text)
    cached = _parsed.get(resource_id)
    if cached is not None and cached[0] == key:
        return cached[1]
    parsed = orjson.loads(text) if isinstance(fields, str) else fields
    parsed = list(parsed or [])
    info = TableInfo(
        resource_id,
        name,
        parsed,
        {"_id": "int", **{str(f["id"]): str(f["type"]) for f in parsed}},
    )
    with _parsed_lock:
        if len(_parsed) >= MAX_PARSED_TABLES:
            _parsed.clear()
        _parsed[resource_id] = (key, info)
    return info
