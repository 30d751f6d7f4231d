"""datastore_create, datastore_upsert, datastore_delete, the data dictionary and ingest runs."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select, text
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError

from tsunagu.catalog import validation
from tsunagu.context import Context
from tsunagu.datastore import postings_jobs, search_conditions, search_request, tables
from tsunagu.datastore import records as record_io
from tsunagu.datastore.access import editable_resource, resource_id_of, table_meta
from tsunagu.datastore.activation import mark_active
from tsunagu.datastore.jobs import is_tabular, submit
from tsunagu.datastore.models import DatastoreTable
from tsunagu.datastore.naming import check_column_names, table_name
from tsunagu.errors import ValidationError, require
from tsunagu.events import datastore_changed
from tsunagu.registry import action, call_action
from tsunagu.storage.types import utcnow


def _names(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    return (
        [str(v) for v in value]
        if isinstance(value, list)
        else [p.strip() for p in str(value).split(",") if p.strip()]
    )


def _clean_fields(raw: Any) -> list[dict[str, Any]]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or not all(isinstance(f, dict) and f.get("id") for f in raw):
        raise ValidationError(
            {
                "fields": [
                    "id を持つオブジェクトの配列で指定してください "
                    "(Must be a list of objects with an id)"
                ]
            }
        )
    check_column_names([str(f["id"]) for f in raw])
    fields = []
    for field in raw:
        kind = tables.canonical_type(str(field.get("type") or "text"))
        if kind is None:
            raise ValidationError(
                {
                    "fields": [
                        f"列「{field['id']}」の型 {field.get('type')} は使えません (Unknown type)"
                    ]
                }
            )
        fields.append({"id": str(field["id"]), "type": kind, "info": dict(field.get("info") or {})})
    return fields


@action("datastore_create", write=True)
def datastore_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    if not data.get("resource_id") and isinstance(data.get("resource"), dict):
        # As in CKAN: a new resource whose data lives only in the datastore.
        created = call_action(
            "resource_create", context, {**data["resource"], "url_type": "datastore"}
        )
        data = {**data, "resource_id": created["id"]}
    resource_id = resource_id_of(data)
    editable_resource(context, resource_id)
    fields = _clean_fields(data.get("fields"))
    primary_key = _names(data.get("primary_key"))
    indexes = _names(data.get("indexes"))
    meta = context.session.get(DatastoreTable, resource_id)
    connection = context.session.connection()
    if meta is None:
        if not fields:
            raise ValidationError({"fields": ["新しい表には fields が必要です (fields required)"]})
        _check_keys(fields, primary_key, indexes)
        name = table_name(resource_id)
        tables.create(connection, name, fields)
        tables.build_indexes(connection, name, [c for c in indexes if c not in primary_key])
        if primary_key:
            columns = ", ".join(tables.quote(c) for c in primary_key)
            connection.execute(
                text(
                    f"CREATE UNIQUE INDEX {tables.quote(name + '_pk')} "
                    f"ON {tables.quote(name)} ({columns})"
                )
            )
        meta = DatastoreTable(
            resource_id=resource_id,
            table_name=name,
            fields=fields,
            primary_key=primary_key,
            indexes=indexes,
        )
        context.session.add(meta)
    else:
        _extend(connection, meta, fields)
    context.session.flush()
    records = record_io.parse_records(data.get("records"))
    if records:
        _insert(context, meta, records)
    mark_active(context.session, resource_id, True)
    meta.modified = utcnow()
    if records:
        # The table's short-word postings, rebuilt once writes to it go quiet.
        postings_jobs.request_rebuild(context.session, meta)
    return {
        "resource_id": resource_id,
        "fields": search_request.field_dicts(meta),
        "primary_key": meta.primary_key,
        "indexes": meta.indexes,
        "method": "insert",
    }


def _check_keys(fields: list[dict[str, Any]], primary_key: list[str], indexes: list[str]) -> None:
    names = {f["id"] for f in fields}
    unknown = [c for c in [*primary_key, *indexes] if c not in names]
    if unknown:
        raise ValidationError(
            {"primary_key": [f"列がありません: {', '.join(unknown)} (Unknown columns)"]}
        )


def _extend(connection: Any, meta: DatastoreTable, fields: list[dict[str, Any]]) -> None:
    """Add new columns and update the dictionary of existing ones (types never change here)."""
    current = {str(f["id"]): f for f in meta.fields}
    updated = [dict(f) for f in meta.fields]
    for field in fields:
        existing = current.get(field["id"])
        if existing is None:
            connection.execute(
                text(
                    f"ALTER TABLE {tables.quote(meta.table_name)} ADD COLUMN "
                    f"{tables.quote(field['id'])} "
                    f"{tables.SQL_TYPES[field['type']]().compile(dialect=connection.dialect)}"
                )
            )
            updated.append(field)
        elif existing["type"] != field["type"]:
            raise ValidationError(
                {
                    "fields": [
                        f"列「{field['id']}」の型は datastore_dictionary_update の type_override で変えてください "
                        f"(Change types with a type override)"
                    ]
                }
            )
        elif field["info"]:
            for item in updated:
                if item["id"] == field["id"]:
                    item["info"] = {**(item.get("info") or {}), **field["info"]}
    meta.fields = updated


def _insert(context: Context, meta: DatastoreTable, records: list[dict[str, Any]]) -> None:
    rows = record_io.convert_records(records, meta.fields)
    names = [str(f["id"]) for f in meta.fields]
    table = tables.table_object(meta.table_name, meta.fields)
    try:
        tables.insert_rows(
            context.session.connection(), table, [[row.get(n) for n in names] for row in rows]
        )
    except (IntegrityError, sqlite3.IntegrityError):
        raise ValidationError(
            {"records": ["主キーが重複しています (Duplicate primary key)"]}
        ) from None
    meta.row_count += len(rows)


def _rows_changed(context: Context, meta: DatastoreTable) -> None:
    """Rows written or deleted through the API: the table's listeners hear of it in this
    transaction (a map layer of shelters is rebuilt within seconds, not at the next sweep), and
    its short-word postings are rebuilt once writes to it go quiet."""
    meta.modified = utcnow()
    datastore_changed(context.session, meta.resource_id, list(meta.fields))
    postings_jobs.request_rebuild(context.session, meta)


@action("datastore_upsert", write=True)
def datastore_upsert(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    resource_id = resource_id_of(data)
    editable_resource(context, resource_id)
    meta = table_meta(context, resource_id)
    method = str(data.get("method") or "upsert")
    if method not in ("upsert", "insert", "update"):
        raise ValidationError({"method": ["upsert, insert, update のいずれか (Unknown method)"]})
    records = record_io.parse_records(data.get("records"))
    if method == "insert":
        _insert(context, meta, records)
    else:
        _update(
            context,
            meta,
            record_io.convert_records(records, meta.fields, allow_id=True),
            insert_missing=method == "upsert",
        )
    _rows_changed(context, meta)
    return {"resource_id": resource_id, "method": method, "records": records}


def _update(
    context: Context, meta: DatastoreTable, rows: list[dict[str, Any]], *, insert_missing: bool
) -> None:
    keys = meta.primary_key or ["_id"]
    table = tables.table_object(meta.table_name, meta.fields)
    connection = context.session.connection()
    names = [str(f["id"]) for f in meta.fields]
    for number, row in enumerate(rows, start=1):
        if any(k not in row for k in keys):
            raise ValidationError(
                {
                    "records": [
                        f"{number} 件目: 主キー {', '.join(keys)} がありません "
                        f'(fields "{", ".join(keys)}" are missing)'
                    ]
                }
            )
        where = [table.c[k] == row[k] for k in keys]
        existing = connection.execute(select(table).where(*where)).mappings().first()
        if existing is None:
            if not insert_missing or keys == ["_id"]:
                raise ValidationError(
                    {"records": [f"{number} 件目: 更新する行がありません (key not found)"]}
                )
            tables.insert_rows(connection, table, [[row.get(n) for n in names]])
            meta.row_count += 1
            continue
        merged = {n: row.get(n, existing[n]) for n in names}
        connection.execute(
            sql_update(table)
            .where(table.c["_id"] == existing["_id"])
            .values(**merged, _full_text=tables.full_text(merged.values()))
        )


@action("datastore_delete", write=True)
def datastore_delete(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    resource_id = resource_id_of(data)
    editable_resource(context, resource_id)
    meta = table_meta(context, resource_id)
    connection = context.session.connection()
    filters = data.get("filters")
    if filters in (None, "", {}):
        tables.drop(connection, meta.table_name)
        context.session.delete(meta)
        mark_active(context.session, resource_id, False)
        return {"resource_id": resource_id}
    request = search_request.parse_request(meta, {"filters": filters})
    table = tables.table_object(meta.table_name, meta.fields)
    connection.execute(
        sql_delete(table).where(search_conditions.where_clause(connection, table, request))
    )
    meta.row_count = connection.execute(select(func.count()).select_from(table)).scalar_one()
    _rows_changed(context, meta)
    return {"resource_id": resource_id, "filters": filters}


@action("datastore_dictionary_update", write=True)
def datastore_dictionary_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Labels, descriptions and type overrides of a table's columns (staff's data dictionary).

    A changed type override re-casts the table: it is re-ingested with the new type.
    """
    resource_id = resource_id_of(data)
    resource = editable_resource(context, resource_id)
    meta = table_meta(context, resource_id)
    raw = data.get("fields")
    if not isinstance(raw, list):
        raise ValidationError({"fields": ["オブジェクトの配列で指定してください (Must be a list)"]})
    by_id = {str(f["id"]): dict(f) for f in meta.fields}
    overrides: dict[str, str] = {}
    errors: validation.Errors = {}
    for item in raw:
        if not isinstance(item, dict) or str(item.get("id")) not in by_id:
            validation.add(
                errors,
                "fields",
                f"列がありません: {item.get('id') if isinstance(item, dict) else item}",
            )
            continue
        field = by_id[str(item["id"])]
        info = {
            **(field.get("info") or {}),
            **{
                k: v
                for k, v in (item.get("info") or {}).items()
                if k in ("label", "notes", "type_override")
            },
        }
        override = info.get("type_override")
        if override:
            kind = tables.canonical_type(str(override))
            if kind is None:
                validation.add(errors, "fields", f"列「{item['id']}」: 型 {override} は使えません")
                continue
            info["type_override"] = kind
            if kind != field["type"]:
                overrides[field["id"]] = kind
        field["info"] = info
    require(errors)
    meta.fields = [by_id[str(f["id"])] for f in meta.fields]
    job = None
    if overrides:
        if not is_tabular(resource):
            raise ValidationError(
                {
                    "fields": [
                        "ファイルから取り込んだ表だけ型を変更できます "
                        "(Only ingested tables can be re-cast)"
                    ]
                }
            )
        job = submit(context, resource, {"types": overrides})
    return {
        "resource_id": resource_id,
        "fields": search_request.field_dicts(meta),
        "job_id": job.id if job else None,
    }


@action("datastore_ingest", write=True)
def datastore_ingest(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Queue (again) the ingest of a resource's file; ``sheet`` picks a workbook sheet."""
    resource_id = resource_id_of(data)
    resource = editable_resource(context, resource_id)
    if not is_tabular(resource):
        raise ValidationError(
            {
                "format": [
                    f"表形式ではありません: {resource.format or '不明'} (Not a tabular format)"
                ]
            }
        )
    options = {"sheet": str(data["sheet"])} if data.get("sheet") else {}
    job = submit(context, resource, options)
    return {"resource_id": resource_id, "job_id": job.id, "status": job.status}


@action("xloader_submit", write=True)
def xloader_submit(context: Context, data: dict[str, Any]) -> bool:
    """datastore_ingest under the name xloader clients call."""
    datastore_ingest(context, data)
    return True
