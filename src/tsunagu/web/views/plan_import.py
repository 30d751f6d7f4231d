"""Importing a plan table from the staff pages: upload (/staff/plan/{name}/import), then the
preview (/staff/plan/{name}/import/{id}) with a select per column showing the suggested field,
every row with what it will do and every problem, and the buttons to look again, import or
throw it away. Everything goes through plan_import_*, so the page and the API judge alike."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, ValidationError
from tsunagu.registry import call_action
from tsunagu.web.session import page_context
from tsunagu.web.templating import render
from tsunagu.web.views.plan_staff import Errors, _not_found, _submit, _text
from tsunagu.web.views.staff import login_required, read_form


def _upload_page(
    request: Request, context: Context, errors: Errors | None = None, status_code: int = 200
) -> Response:
    try:
        plan = call_action(
            "plan_show", context, {"id": request.path_params["name"], "include_values": False}
        )
    except NotFound:
        return _not_found(request)
    if not plan["can_edit"]:
        return _not_found(request)
    return render(
        request,
        "plan/staff_import.html",
        status_code=status_code,
        plan=plan,
        errors=errors or {},
    )


def upload_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        return _upload_page(request, context)


async def upload(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await read_form(request)
    name = request.path_params["name"]
    table = form.get("upload")

    def save() -> Response:
        with page_context(request) as context:
            data: dict[str, Any] = {"plan_id": name}
            if isinstance(table, UploadFile) and table.filename:
                data["upload"] = table
            if sheet := _text(form, "sheet"):
                data["sheet"] = sheet
            try:
                preview = call_action("plan_import_preview", context, data)
            except ValidationError as error:
                context.session.rollback()
                return _upload_page(request, context, error.errors, status_code=409)
            except (NotFound, NotAuthorized):
                context.session.rollback()
                return _not_found(request)
        return RedirectResponse(f"/staff/plan/{name}/import/{preview['id']}", status_code=303)

    return await run_in_threadpool(save)


def _preview_page(
    request: Request, context: Context, errors: Errors | None = None, form: Any = None
) -> Response:
    try:
        preview = call_action("plan_import_show", context, {"id": request.path_params["import_id"]})
        plan = call_action("plan_show", context, {"id": request.path_params["name"]})
    except (NotFound, NotAuthorized):
        return _not_found(request)
    except ValidationError as error:
        # The stored mapping no longer suits the plan (its levels changed): say so.
        return _upload_page(request, context, error.errors, status_code=409)
    if preview["plan_id"] != plan["id"]:
        return _not_found(request)
    return render(
        request,
        "plan/staff_import_preview.html",
        status_code=409 if errors else 200,
        plan=plan,
        preview=preview,
        errors=errors or {},
    )


def preview_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        return _preview_page(request, context)


def _mapping(form: FormData, preview_columns: int) -> dict[str, str]:
    mapping = {}
    for index in range(preview_columns):
        column = form.get(f"column_{index}")
        if isinstance(column, str):
            mapping[column] = _text(form, f"field_{index}")
    return mapping


def _here(request: Request) -> str:
    return f"/staff/plan/{request.path_params['name']}/import/{request.path_params['import_id']}"


async def remap(request: Request) -> Response:
    def act(context: Context, form: FormData) -> str:
        call_action(
            "plan_import_preview",
            context,
            {
                "id": request.path_params["import_id"],
                "mapping": _mapping(form, int(_text(form, "columns") or 0)),
                "continue_blank_years": form.get("continue_blank_years") == "on",
            },
        )
        return _here(request)

    def again(context: Context, errors: Errors, form: FormData) -> Response:
        return _preview_page(request, context, errors, form)

    return await _submit(request, act, again)


async def apply(request: Request) -> Response:
    def act(context: Context, form: FormData) -> str:
        call_action("plan_import_apply", context, {"id": request.path_params["import_id"]})
        return f"{_here(request)}?applied=1"

    def again(context: Context, errors: Errors, form: FormData) -> Response:
        return _preview_page(request, context, errors, form)

    return await _submit(request, act, again)


async def discard(request: Request) -> Response:
    def act(context: Context, form: FormData) -> str:
        call_action("plan_import_discard", context, {"id": request.path_params["import_id"]})
        return f"/staff/plan/{request.path_params['name']}"

    def again(context: Context, errors: Errors, form: FormData) -> Response:
        return _preview_page(request, context, errors, form)

    return await _submit(request, act, again)
