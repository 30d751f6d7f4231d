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
from tsunagu.datastore.ingest.decode import detect_encoding
from tsunagu.datastore.ingest.model import IngestError
from tsunagu.errors import ActionError, NotFound
from tsunagu.storage.files import FileStorage, iter_file
from tsunagu.usage.track import count_use, resource_subject

SNIFF_BYTES = 64 * 1024
# The charset names browsers and Excel know, for what the detector calls each codec.
_CHARSETS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "cp932": "Shift_JIS",
    "euc_jp": "EUC-JP",
    "utf-16": "utf-16",
    "utf-16-le": "utf-16le",
    "utf-16-be": "utf-16be",
    "utf-32": "utf-32",
}


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
    await run_in_threadpool(
        count_use,
        services,
        resource_subject(resource),
        download=True,
        user_agent=request.headers.get("user-agent"),
    )
    filename = resource.url.rsplit("/", 1)[-1] or "file"
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        "Content-Length": str(services.files.size(resource.storage_key)),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=60",
    }
    headers["Content-Type"] = await run_in_threadpool(
        _content_type, services.files, resource.storage_key, resource.mimetype
    )
    return StreamingResponse(iter_file(services.files.open(resource.storage_key)), headers=headers)


def _content_type(files: FileStorage, key: str, mimetype: str) -> str:
    """The stored type, with the charset the file is really in for text (a Shift_JIS CSV must
    not be labelled UTF-8, or browsers show mojibake); no charset when it cannot be told."""
    mimetype = mimetype or "application/octet-stream"
    if not mimetype.startswith("text/") or "charset=" in mimetype:
        return mimetype
    with files.open(key) as stream:
        sample = stream.read(SNIFF_BYTES)
    try:
        encoding = detect_encoding(sample, complete=len(sample) < SNIFF_BYTES)
    except IngestError:
        return mimetype
    charset = _CHARSETS.get(encoding)
    return f"{mimetype}; charset={charset}" if charset else mimetype
