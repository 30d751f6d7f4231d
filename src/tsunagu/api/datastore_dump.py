"""/datastore/dump/{resource_id}: a datastore table as a file, with datastore_search's filters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from tsunagu.api.envelope import JSONResponse
from tsunagu.api.identity import resolve_user, token_from
from tsunagu.catalog import validation
from tsunagu.context import Context, Services
from tsunagu.datastore import dump, search_request
from tsunagu.datastore.access import readable_resource, table_meta
from tsunagu.errors import ActionError, ValidationError
from tsunagu.usage.track import count_use, resource_subject

MEDIA = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "json": "application/json",
    "geojson": "application/geo+json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _prepare(
    services: Services,
    resource_id: str,
    params: dict[str, Any],
    token: str,
    user_agent: str | None,
) -> tuple[Iterator[bytes], str, str, str]:
    with services.sessions() as session:
        context = Context(services=services, session=session, user=resolve_user(session, token))
        resource = readable_resource(context, resource_id)
        meta = table_meta(context, resource_id)
        session.expunge(meta)
        fmt = str(params.get("format") or "csv").lower()
        if fmt not in dump.FORMATS:
            raise ValidationError({"format": [f"次のいずれか: {', '.join(dump.FORMATS)}"]})
        encoding = (
            "shift_jis"
            if str(params.get("encoding") or "").lower().replace("-", "_")
            in ("shift_jis", "sjis", "cp932")
            else "utf-8"
        )
        errors: validation.Errors = {}
        limit, _ = validation.paging(params, errors)
        if errors:
            raise ValidationError(errors)
        request = search_request.parse_request(meta, {**params, "limit": None})
        body = dump.stream(services.engine, meta, request, fmt, encoding, limit)
        stem = (resource.name or resource_id).replace("/", "_")
        count_use(services, resource_subject(resource), download=True, user_agent=user_agent)
        return body, fmt, stem, encoding


async def datastore_dump(request: Request) -> Response:
    services: Services = request.app.state.services
    params = dict(request.query_params)
    try:
        body, fmt, stem, encoding = await run_in_threadpool(
            _prepare,
            services,
            request.path_params["resource_id"],
            params,
            token_from(request),
            request.headers.get("user-agent"),
        )
    except ActionError as error:
        return JSONResponse({"success": False, "error": error.as_dict()}, status_code=error.status)
    filename = f"{stem}.{fmt}"
    media = MEDIA[fmt]
    if fmt in ("csv", "tsv"):
        media += "; charset=" + ("Shift_JIS" if encoding == "shift_jis" else "utf-8")
    return StreamingResponse(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )
