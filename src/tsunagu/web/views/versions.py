"""File versions: replacing a resource's file from the staff page, and downloading any version.

Replacing is CKAN's ``resource_patch`` with the new upload (so the API does the same); the
earlier file stays as a version (workspace/versions). Version files are served at a stable URL
with the rules of the resource's own download, read with an API token or the portal's session
(a GET changes nothing, so the cookie is safe here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from tsunagu.accounts.models import User
from tsunagu.accounts.sessions import user_for_session
from tsunagu.api.downloads import _content_type as content_type
from tsunagu.api.envelope import JSONResponse as ApiJSONResponse
from tsunagu.api.identity import resolve_user, token_from
from tsunagu.context import Context, Services
from tsunagu.errors import ActionError, NotAuthorized, NotFound, ValidationError
from tsunagu.registry import call_action
from tsunagu.storage.files import iter_file
from tsunagu.usage.counters import Subject
from tsunagu.usage.track import count_use, resource_subject
from tsunagu.web.session import SESSION_KEY, page_context
from tsunagu.web.views.staff import login_required, manage_page, read_form
from tsunagu.workspace.versions.service import find_visible

NOT_FOUND = "ファイルが見つかりません (File not found)"


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def replace(request: Request) -> Response:
    """「新しい版に差し替える」: the resource gets the uploaded file; its table is swapped when the
    new one is loaded, and the page then shows what changed."""
    if (redirect := login_required(request)) is not None:
        return redirect
    try:
        form = await read_form(request)
    except NotAuthorized as error:
        return JSONResponse({"errors": {"csrf_token": [error.message]}}, status_code=403)
    except ActionError as error:  # too large, or not a readable form
        if not _wants_json(request):
            raise
        return JSONResponse({"errors": {"upload": [error.message]}}, status_code=error.status)
    name = request.path_params["name"]
    resource_id = request.path_params["resource_id"]
    file = form.get("upload")

    def save() -> Response | None:
        with page_context(request) as context:
            try:
                if not isinstance(file, UploadFile) or not file.filename:
                    raise ValidationError(
                        {"upload": ["新しい版のファイルを選んでください (Choose the new file)"]}
                    )
                current = call_action("resource_show", context, {"id": resource_id})
                package = call_action("package_show", context, {"id": name})
                if current["package_id"] != package["id"]:
                    raise NotFound(NOT_FOUND)
                data: dict[str, Any] = {"id": resource_id, "upload": file}
                if current["name"] in ("", current["url"].rsplit("/", 1)[-1]):
                    # Named after its file (or not named): the name follows the new file.
                    data["name"] = file.filename
                call_action("resource_patch", context, data)
            except (ValidationError, NotAuthorized, NotFound) as error:
                context.session.rollback()
                errors = getattr(error, "errors", None) or {"upload": [error.message]}
                if _wants_json(request):
                    return JSONResponse({"errors": errors}, status_code=error.status)
                return manage_page(request, context, name, errors, status_code=error.status)
        return None

    refused = await run_in_threadpool(save)
    if refused is not None:
        return refused
    target = f"/staff/dataset/{name}?replaced={resource_id}#resource-{resource_id}"
    if _wants_json(request):
        return JSONResponse({"redirect": target})
    return RedirectResponse(target, status_code=303)


# -- downloads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stored:
    key: str
    filename: str
    mimetype: str
    subject: Subject  # what a download counts as a use of (usage/)


def _caller(request: Request, services: Services, session: Any) -> User | None:
    token = token_from(request)
    if token:
        return resolve_user(session, token)  # a wrong token is refused, as for the API
    secret = request.session.get(SESSION_KEY)
    return user_for_session(session, secret, services.settings) if secret else None


def _locate(request: Request) -> _Stored:
    services: Services = request.app.state.services
    params = request.path_params
    with services.sessions() as session:
        context = Context(
            services=services, session=session, user=_caller(request, services, session)
        )
        try:
            version, resource = find_visible(context, params["version"])
        except NotAuthorized:
            # As the resource's own download: a file the caller may not read looks missing.
            raise NotFound(NOT_FOUND) from None
        dataset = resource.dataset
        if params["resource"] != resource.id or params["dataset"] not in (dataset.id, dataset.name):
            raise NotFound(NOT_FOUND)
        return _Stored(
            version.storage_key, version.filename, version.mimetype, resource_subject(resource)
        )


async def download(request: Request) -> Response:
    services: Services = request.app.state.services
    try:
        stored = await run_in_threadpool(_locate, request)
        if not services.files.exists(stored.key):
            raise NotFound(NOT_FOUND)
    except ActionError as error:
        return ApiJSONResponse(
            {"success": False, "error": error.as_dict()}, status_code=error.status
        )
    await run_in_threadpool(
        count_use,
        services,
        stored.subject,
        download=True,
        user_agent=request.headers.get("user-agent"),
    )
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(stored.filename or 'file')}",
        "Content-Length": str(services.files.size(stored.key)),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=60",
        "Content-Type": await run_in_threadpool(
            content_type, services.files, stored.key, stored.mimetype
        ),
    }
    return StreamingResponse(iter_file(services.files.open(stored.key)), headers=headers)
