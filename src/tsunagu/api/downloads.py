"""Uploaded files at CKAN's URLs: /dataset/{id}/resource/{rid}/download/{filename}."""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from tsunagu.api.envelope import JSONResponse
from tsunagu.api.identity import resolve_user, token_from
from tsunagu.catalog import authz
from tsunagu.catalog.models import Resource
from tsunagu.context import Context, Services
from tsunagu.errors import ActionError, NotFound
from tsunagu.storage.files import iter_file
from tsunagu.usage.counters import count


def _locate(services: Services, dataset_ref: str, resource_id: str, token: str) -> Resource:
    with services.sessions() as session:
        context = Context(services=services, session=session, user=resolve_user(session, token))
        resource = session.get(Resource, resource_id)
        if resource is None or resource.state == "deleted" or resource.url_type != "upload":
            raise NotFound("ファイルが見つかりません (File not found)")
        dataset = resource.dataset
        if dataset_ref not in (dataset.id, dataset.name):
            raise NotFound("ファイルが見つかりません (File not found)")
        if not authz.can_read_dataset(
            context,
            dataset.owner_org,
            dataset.private,
            dataset.state,
            dataset.creator_user_id,
            dataset.id,
        ):
            # Same answer as a missing file, so private datasets do not reveal themselves.
            raise NotFound("ファイルが見つかりません (File not found)")
        session.expunge(resource)
        return resource


async def download(request: Request) -> Response:
    services: Services = request.app.state.services
    try:
        resource = await run_in_threadpool(
            _locate,
            services,
            request.path_params["dataset"],
            request.path_params["resource"],
            token_from(request),
        )
    except ActionError as error:
        return JSONResponse({"success": False, "error": error.as_dict()}, status_code=error.status)
    if not services.files.exists(resource.storage_key):
        return JSONResponse({"success": False, "error": NotFound().as_dict()}, status_code=404)
    await run_in_threadpool(count, services.sessions, resource.dataset_id, download=True)
    filename = resource.url.rsplit("/", 1)[-1] or "file"
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        "Content-Length": str(services.files.size(resource.storage_key)),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=60",
    }
    return StreamingResponse(
        iter_file(services.files.open(resource.storage_key)),
        media_type=resource.mimetype or "application/octet-stream",
        headers=headers,
    )
