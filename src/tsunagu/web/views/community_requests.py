"""Public pages for data requests (データ要望): the list with filters (/request), the form
(/request/new) and each request with its support button (/request/{id}).

Everything goes through the data_request_* actions, so the pages show what the API shows: the
contact address never appears here (it is on the staff page, for those who handle it)."""

from __future__ import annotations

import math
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tsunagu.api.rate_limits import RateLimited
from tsunagu.community import rights
from tsunagu.community.data_requests import STATUSES, find
from tsunagu.community.request_actions import DEFAULT_LIMIT
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, ValidationError
from tsunagu.registry import call_action
from tsunagu.web.templating import render
from tsunagu.web.views.community_forms import (
    HONEYPOT,
    HONEYPOT_REFUSED,
    RATE_LIMITED,
    community_context,
    honeypot_filled,
    text_field,
)
from tsunagu.web.views.staff import read_form

SORTS = {"newest": "新しい順", "supporters": "賛同の多い順", "updated": "更新順"}
FIELDS = ("title", "description", "organization", "contact_email")


def _organizations(context: Context) -> list[dict[str, Any]]:
    return list(call_action("organization_list", context, {"all_fields": True}))


def request_list(request: Request) -> Response:
    params = request.query_params
    status = params.get("status", "")
    organization = params.get("organization", "")[:100]
    q = params.get("q", "")[:200]
    sort = params.get("sort", "newest")
    try:
        page = max(1, int(params.get("page", "1")))
    except ValueError:
        page = 1
    with community_context(request) as context:
        query = {
            "status": status if status in STATUSES else "",
            "organization": organization,
            "q": q,
            "sort": sort if sort in SORTS else "newest",
            "limit": DEFAULT_LIMIT,
            "offset": (page - 1) * DEFAULT_LIMIT,
        }
        try:
            result = call_action("data_request_list", context, query)
        except (NotFound, ValidationError):
            context.session.rollback()
            result = {"count": 0, "results": []}
        orgs = _organizations(context)
    return render(
        request,
        "community/requests.html",
        result=result,
        statuses=STATUSES,
        sorts=SORTS,
        orgs=orgs,
        status=query["status"],
        organization=organization,
        q=q,
        sort=query["sort"],
        page=page,
        pages=max(1, math.ceil(result["count"] / DEFAULT_LIMIT)),
    )


def _form_page(
    request: Request,
    context: Context,
    values: dict[str, str],
    errors: dict[str, list[str]] | None = None,
    status_code: int = 200,
    notice: str = "",
) -> Response:
    return render(
        request,
        "community/request_new.html",
        status_code=status_code,
        orgs=_organizations(context),
        values=values,
        errors=errors or {},
        notice=notice,
        honeypot=HONEYPOT,
        signed_in=context.user is not None,
    )


def new_request_page(request: Request) -> Response:
    values = {"organization": request.query_params.get("organization", "")[:100]}
    with community_context(request) as context:
        return _form_page(request, context, values)


async def create_request(request: Request) -> Response:
    form = await read_form(request)
    values = {field: text_field(form, field) for field in FIELDS}

    def save() -> Response:
        with community_context(request) as context:
            if honeypot_filled(form):
                return _form_page(
                    request, context, values, status_code=400, notice=HONEYPOT_REFUSED
                )
            try:
                created = call_action("data_request_create", context, values)
            except ValidationError as error:
                context.session.rollback()
                return _form_page(request, context, values, error.errors, status_code=400)
            except RateLimited as error:
                context.session.rollback()
                refused = _form_page(request, context, values, status_code=429, notice=RATE_LIMITED)
                refused.headers["Retry-After"] = str(error.retry_after)
                return refused
        return RedirectResponse(f"/request/{created['id']}?posted=1", status_code=303)

    return await run_in_threadpool(save)


def request_page(request: Request) -> Response:
    ref = request.path_params["request_id"]
    with community_context(request) as context:
        try:
            shown = call_action("data_request_show", context, {"id": ref})
        except (NotFound, ValidationError):
            return render(request, "not_found.html", status_code=404)
        handler = _can_handle(context, ref)
    return render(
        request,
        "community/request.html",
        req=shown,
        can_handle=handler,
        posted=request.query_params.get("posted") == "1",
        supported_now=request.query_params.get("supported") == "1",
    )


def _can_handle(context: Context, ref: str) -> bool:
    return rights.can_handle_request(context, find(context, ref))


async def support_request(request: Request) -> Response:
    ref = request.path_params["request_id"]
    await read_form(request)

    def save() -> Response:
        with community_context(request, create_browser=True) as context:
            try:
                call_action("data_request_support", context, {"id": ref})
            except (NotFound, NotAuthorized):
                context.session.rollback()
                return render(request, "not_found.html", status_code=404)
            except ValidationError as error:
                context.session.rollback()
                message = " ".join(m for ms in error.errors.values() for m in ms)
                return render(request, "error.html", status_code=409, message=message)
            except RateLimited as error:
                context.session.rollback()
                refused = render(request, "error.html", status_code=429, message=error.message)
                refused.headers["Retry-After"] = str(error.retry_after)
                return refused
        return RedirectResponse(f"/request/{ref}?supported=1#support", status_code=303)

    return await run_in_threadpool(save)
