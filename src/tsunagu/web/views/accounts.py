"""Staff pages for API tokens and organisation members."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tsunagu.errors import NotFound, ValidationError
from tsunagu.registry import call_action
from tsunagu.web.session import page_context
from tsunagu.web.templating import render
from tsunagu.web.views.staff import login_required, read_form


def tokens_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        tokens = call_action("api_token_list", context, {})
    return render(request, "staff/tokens.html", tokens=tokens, new_token=None)


async def create_token(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await read_form(request)

    def save() -> Response:
        with page_context(request) as context:
            created = call_action(
                "api_token_create", context, {"name": str(form.get("name") or "") or "portal"}
            )
            tokens = call_action("api_token_list", context, {})
        # The secret is shown exactly once, on this response; it is never stored in clear.
        return render(request, "staff/tokens.html", tokens=tokens, new_token=created["token"])

    return await run_in_threadpool(save)


async def revoke_token(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await read_form(request)

    def save() -> None:
        with page_context(request) as context:
            call_action("api_token_revoke", context, {"jti": str(form.get("id") or "")})

    await run_in_threadpool(save)
    return RedirectResponse("/staff/tokens", status_code=303)


def members_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        try:
            org = call_action(
                "organization_show",
                context,
                {"id": request.path_params["org"], "include_users": True},
            )
        except NotFound:
            return render(request, "not_found.html", status_code=404)
    return render(request, "staff/members.html", org=org, errors={})


async def add_member(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await read_form(request)
    org_name = request.path_params["org"]

    def save() -> Response:
        with page_context(request) as context:
            try:
                call_action(
                    "organization_member_create",
                    context,
                    {
                        "id": org_name,
                        "username": str(form.get("username") or ""),
                        "role": str(form.get("role") or ""),
                    },
                )
            except ValidationError as error:
                context.session.rollback()
                org = call_action(
                    "organization_show", context, {"id": org_name, "include_users": True}
                )
                return render(
                    request, "staff/members.html", status_code=400, org=org, errors=error.errors
                )
        return RedirectResponse(f"/staff/organization/{org_name}/members", status_code=303)

    return await run_in_threadpool(save)
