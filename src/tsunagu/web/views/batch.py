"""The many-files-at-once pages: drop files (or a zip) and a metadata sheet, see the preview,
make every draft in one step and follow the progress.

Everything goes through the batch_* actions (workspace/batch), so the page and the API judge a
batch alike. The status page polls batch_status with static/js/batch.js; without JavaScript it
has a link that shows the latest state.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tsunagu.errors import NotAuthorized, NotFound, ValidationError
from tsunagu.registry import call_action
from tsunagu.request_body import read_form
from tsunagu.web.security import check_csrf
from tsunagu.web.session import page_context, services_of
from tsunagu.web.templating import render
from tsunagu.web.views.staff import login_required
from tsunagu.workspace.batch.sheet import TEMPLATE_COLUMNS


async def _form(request: Request) -> FormData:
    # One part per file, plus the sheet and a few fields; sizes are bounded by the body limit.
    limit = services_of(request).settings.batch_max_files + 1
    form = await read_form(request, max_files=limit, max_fields=50)
    check_csrf(request, form)
    return form


def _data(form: FormData) -> dict[str, Any]:
    """The action's input from the form; empty file inputs (no file chosen) are left out."""
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    data: dict[str, Any] = {"files": files}
    sheet = form.get("sheet")
    if isinstance(sheet, UploadFile) and sheet.filename:
        data["sheet"] = sheet
    for key in ("owner_org", "mode", "title"):
        if isinstance(value := form.get(key), str) and value:
            data[key] = value
    return data


def _upload_page(
    request: Request,
    context: Any,
    *,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    orgs = call_action("organization_list_for_user", context, {"permission": "create_dataset"})
    recent = call_action("batch_list", context, {"limit": 10})
    titles = {o["id"]: o["title"] for o in orgs}
    return render(
        request,
        "staff/batch.html",
        status_code=status_code,
        orgs=orgs,
        recent=recent,
        org_titles=titles,
        errors=errors or {},
        values=values or {},
        limits=services_of(request).settings,
        columns=TEMPLATE_COLUMNS,
    )


def batch_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        return _upload_page(request, context, values={"owner_org": request.query_params.get("org")})


async def upload(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await _form(request)
    data = _data(form)

    def save() -> Response:
        with page_context(request) as context:
            try:
                batch = call_action("batch_upload_preview", context, data)
            except ValidationError as error:
                context.session.rollback()
                values = {k: v for k, v in data.items() if isinstance(v, str)}
                return _upload_page(
                    request, context, errors=error.errors, values=values, status_code=400
                )
        return RedirectResponse(f"/staff/batch/{batch['id']}", status_code=303)

    return await run_in_threadpool(save)


def _batch_page(
    request: Request,
    context: Any,
    batch_id: str,
    errors: dict[str, list[str]] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        batch = call_action("batch_status", context, {"id": batch_id})
    except (NotFound, NotAuthorized):
        return render(request, "not_found.html", status_code=404)
    template = (
        "staff/batch_preview.html" if batch["state"] == "preview" else "staff/batch_status.html"
    )
    return render(
        request,
        template,
        status_code=status_code,
        batch=batch,
        errors=errors or {},
    )


def show(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        return _batch_page(request, context, request.path_params["batch_id"])


async def add(request: Request) -> Response:
    """More files, or a corrected sheet, for a batch still in preview."""
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await _form(request)
    batch_id = request.path_params["batch_id"]
    data = {**_data(form), "id": batch_id}
    data.pop("owner_org", None)
    return await _act(request, "batch_upload_preview", data, batch_id)


async def apply(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    await _form(request)
    batch_id = request.path_params["batch_id"]
    return await _act(request, "batch_upload_apply", {"id": batch_id}, batch_id)


async def discard(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    await _form(request)
    batch_id = request.path_params["batch_id"]
    response = await _act(request, "batch_upload_discard", {"id": batch_id}, batch_id)
    if response.status_code == 303:
        return RedirectResponse("/staff/batch", status_code=303)
    return response


async def _act(request: Request, name: str, data: dict[str, Any], batch_id: str) -> Response:
    def save() -> Response:
        with page_context(request) as context:
            try:
                call_action(name, context, data)
            except ValidationError as error:
                context.session.rollback()
                return _batch_page(request, context, batch_id, error.errors, status_code=409)
            except (NotFound, NotAuthorized):
                return render(request, "not_found.html", status_code=404)
        return RedirectResponse(f"/staff/batch/{batch_id}", status_code=303)

    return await run_in_threadpool(save)


def template_csv(request: Request) -> Response:
    """An empty metadata sheet (UTF-8 with BOM, so Excel opens it in Japanese)."""
    body = ("\ufeff" + ",".join(TEMPLATE_COLUMNS) + "\r\n").encode("utf-8")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="metadata_sheet.csv"'},
    )
