"""Staff pages for data requests and 活用事例: the requests one handles (/staff/requests), one
request with its contact and the form that answers it (/staff/requests/{id}), and the use cases
waiting for approval (/staff/showcases, /staff/showcases/{name}).

The 要対応 line "回答を待っているデータ要望" links here. Rights are the actions' own: the page
offers the forms, and the actions decide (community/rights.py)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tsunagu.community import rights
from tsunagu.community.data_requests import OPEN, STATUSES, find
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, ValidationError
from tsunagu.registry import call_action
from tsunagu.web.session import page_context
from tsunagu.web.templating import render
from tsunagu.web.views.staff import login_required, read_form

STAFF_LIMIT = 100
UPDATE_FIELDS = ("status", "organization", "dataset_id", "answer")


def _organizations(context: Context) -> list[dict[str, Any]]:
    return list(call_action("organization_list", context, {"all_fields": True}))


def requests_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    params = request.query_params
    status = params.get("status", "open")
    organization = params.get("organization", "")[:100]
    with page_context(request) as context:
        query: dict[str, Any] = {
            "handled_by_me": True,
            "limit": STAFF_LIMIT,
            "sort": "oldest",
            "q": params.get("q", "")[:200],
        }
        if status == "open":
            query["status"] = list(OPEN)
        elif status in STATUSES:
            query["status"] = status
        if organization == "__unassigned__":
            query["unassigned"] = True
        elif organization:
            query["organization"] = organization
        try:
            result = call_action("data_request_list", context, query)
        except (NotFound, ValidationError):
            context.session.rollback()
            result = {"count": 0, "results": []}
        orgs = _organizations(context)
        triager = rights.is_triager(context)
    return render(
        request,
        "community/staff_requests.html",
        result=result,
        statuses=STATUSES,
        status=status,
        organization=organization,
        orgs=orgs,
        q=query["q"],
        triager=triager,
    )


def _request_page(
    request: Request,
    context: Context,
    ref: str,
    *,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    shown = call_action("data_request_show", context, {"id": ref})
    can_handle = rights.can_handle_request(context, find(context, ref))
    dataset = shown["dataset"]["name"] if shown["dataset"] else ""
    current = {
        "status": shown["status"],
        "organization": shown["organization"]["name"] if shown["organization"] else "",
        "dataset_id": dataset,
        "answer": shown["answer"],
    }
    return render(
        request,
        "community/staff_request.html",
        status_code=status_code,
        req=shown,
        can_handle=can_handle,
        orgs=_organizations(context),
        statuses=STATUSES,
        values={**current, **(values or {})},
        errors=errors or {},
        saved=request.query_params.get("saved") == "1",
    )


def request_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        try:
            return _request_page(request, context, request.path_params["request_id"])
        except NotFound:
            return render(request, "not_found.html", status_code=404)


async def update_request(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    ref = request.path_params["request_id"]
    form = await read_form(request)
    values = {field: str(form.get(field) or "").strip() for field in UPDATE_FIELDS}

    def save() -> Response:
        with page_context(request) as context:
            try:
                call_action("data_request_update", context, {"id": ref, **values})
            except NotFound:
                context.session.rollback()
                return render(request, "not_found.html", status_code=404)
            except ValidationError as error:
                context.session.rollback()
                return _request_page(
                    request, context, ref, errors=error.errors, values=values, status_code=400
                )
        return RedirectResponse(f"/staff/requests/{ref}?saved=1", status_code=303)

    return await run_in_threadpool(save)


async def delete_request(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    ref = request.path_params["request_id"]
    await read_form(request)

    def save() -> Response:
        with page_context(request) as context:
            try:
                call_action("data_request_delete", context, {"id": ref})
            except NotFound:
                context.session.rollback()
                return render(request, "not_found.html", status_code=404)
        return RedirectResponse("/staff/requests?deleted=1", status_code=303)

    return await run_in_threadpool(save)


# -- 活用事例 -----------------------------------------------------------------------------------


def showcases_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    state = request.query_params.get("state", "pending")
    state = state if state in ("pending", "rejected", "active") else "pending"
    with page_context(request) as context:
        found = call_action("ckanext_showcase_list", context, {"state": state})
    return render(
        request,
        "community/staff_showcases.html",
        showcases=found,
        state=state,
        done=request.query_params.get("done", ""),
    )


def showcase_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        try:
            shown = call_action(
                "ckanext_showcase_show", context, {"id": request.path_params["name"]}
            )
        except NotFound:
            return render(request, "not_found.html", status_code=404)
    return render(request, "community/staff_showcase.html", showcase=shown, errors={})


async def review_showcase(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    name = request.path_params["name"]
    form = await read_form(request)
    data = {
        "id": name,
        "decision": str(form.get("decision") or ""),
        "note": str(form.get("note") or "").strip(),
    }

    def save() -> Response:
        with page_context(request) as context:
            try:
                if data["decision"] == "delete":
                    call_action("ckanext_showcase_delete", context, {"id": name})
                else:
                    call_action("showcase_review", context, data)
            except NotFound:
                context.session.rollback()
                return render(request, "not_found.html", status_code=404)
            except (ValidationError, NotAuthorized) as error:
                context.session.rollback()
                errors = error.errors if isinstance(error, ValidationError) else {}
                shown = call_action("ckanext_showcase_show", context, {"id": name})
                return render(
                    request,
                    "community/staff_showcase.html",
                    status_code=400 if errors else 403,
                    showcase=shown,
                    errors=errors or {"decision": [error.message]},
                )
        return RedirectResponse(f"/staff/showcases?done={data['decision']}", status_code=303)

    return await run_in_threadpool(save)
