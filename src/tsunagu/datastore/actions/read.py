"""datastore_search, datastore_search_sql, datastore_info and the ingest status."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from tsunagu.catalog import validation
from tsunagu.catalog.dictize import iso
from tsunagu.context import Context
from tsunagu.datastore import fulltext, postings_jobs, search, search_request, sql
from tsunagu.datastore.access import (
    readable_resource,
    readable_table,
    resource_id_of,
    table_meta,
)
from tsunagu.datastore.ingest.infer import point_columns
from tsunagu.datastore.jobs import latest_job
from tsunagu.datastore.models import DatastoreTable
from tsunagu.errors import NotFound, require
from tsunagu.registry import action


@action("datastore_search")
def datastore_search(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    resource_id = resource_id_of(data)
    table = readable_table(context, resource_id)
    request = search_request.parse_request(table, data)
    result = search.run(context.session.connection(), table, request)
    base = "/api/3/action/datastore_search?"
    params = {"resource_id": resource_id, "limit": request.limit}
    result["_links"] = {
        "start": base + urlencode({**params, "offset": request.offset}),
        "next": base + urlencode({**params, "offset": request.offset + request.limit}),
    }
    if request.q:
        result["q"] = request.q
    if request.filters:
        result["filters"] = data.get("filters")
    if request.sort:
        result["sort"] = ", ".join(f'"{c}" {"desc" if d else "asc"}' for c, d in request.sort)
    return result


@action("datastore_search_sql")
def datastore_search_sql(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    errors: validation.Errors = {}
    statement = validation.as_text(data, "sql", errors, limit=20_000)
    if not statement:
        validation.add(errors, "sql", "必須項目です (Missing value)")
    require(errors)
    allowed: set[str] = set()

    def resolve(resource_id: str) -> str:
        readable_resource(context, resource_id)
        meta = table_meta(context, resource_id)
        allowed.add(meta.table_name)
        return meta.table_name

    engine = context.services.engine
    rewritten = sql.rewrite(statement, engine.dialect.name, resolve, sql.relation_names(engine))
    settings = context.settings
    result = sql.execute(
        context.services.engine,
        rewritten,
        allowed_tables=allowed,
        row_limit=settings.sql_row_limit,
        time_limit=settings.sql_time_limit,
    )
    out: dict[str, Any] = {"sql": statement, "records": result.records, "fields": result.fields}
    if result.truncated:
        out["records_truncated"] = True
    return out


@action("datastore_info")
def datastore_info(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    resource_id = resource_id_of(data)
    readable_resource(context, resource_id)
    meta = table_meta(context, resource_id)
    point = point_columns([str(f["id"]) for f in meta.fields])
    return {
        "meta": {
            "count": meta.row_count,
            "table_type": "BASE TABLE",
            "aliases": [],
            "source": meta.source,
            "primary_key": meta.primary_key,
            # Which words of q the full-text index serves (see _full_text_index).
            "full_text_index": _full_text_index(context, meta.table_name),
            # Whether one- and two-character words count from the table's postings
            # ("valid"), or a rebuild after writes waits or runs ("pending", "rebuilding").
            "short_word_postings": postings_jobs.state(context.session, meta),
            # The latitude and longitude columns that make each row a point on a map.
            "point": {
                "latitude": meta.fields[point[0]]["id"],
                "longitude": meta.fields[point[1]]["id"],
            }
            if point
            else None,
        },
        "fields": [
            {
                "id": f["id"],
                "type": f["type"],
                "info": f.get("info") or {},
                "schema": {"native_type": f["type"], "is_index": f["id"] in meta.indexes},
            }
            for f in meta.fields
        ],
    }


@action("datastore_ingest_status")
def datastore_ingest_status(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    resource_id = resource_id_of(data)
    readable_resource(context, resource_id)
    job = latest_job(context, resource_id)
    if job is None:
        raise NotFound("このリソースの取り込み記録はありません (No ingest job for this resource)")
    meta = context.session.get(DatastoreTable, resource_id)
    return {
        "resource_id": resource_id,
        "job_id": job.id,
        "status": job.status,
        "rows_done": job.rows_done,
        "error": {"message": job.error, "line": job.error_line, "column": job.error_column}
        if job.status == "error"
        else None,
        "log": job.log,
        "created": iso(job.created),
        "started": iso(job.started),
        "finished": iso(job.finished),
        "last_updated": iso(job.heartbeat or job.finished or job.created),
        "options": {k: v for k, v in job.options.items() if k != "signature"},
        "fields": meta.fields if meta else [],
        "source": meta.source if meta else {},
        "full_text_index": _full_text_index(context, meta.table_name) if meta else None,
    }


def _full_text_index(context: Context, table: str) -> str:
    """ "all_words": q uses the index for every word; "long_words": for words of three or more
    characters (tables loaded before short words were indexed); "none": not built yet, q scans
    (and is still exact). Ingest publishes a table first and builds this index afterwards."""
    return fulltext.coverage(context.session.connection(), table).value


@action("xloader_status")
def xloader_status(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The ingest status under the name xloader clients call."""
    status = datastore_ingest_status(context, data)
    return {
        **status,
        "status": {"running": "running", "pending": "pending", "complete": "complete"}.get(
            status["status"], "error"
        ),
        "task_info": {"status": status["status"], "error": status["error"]},
    }
