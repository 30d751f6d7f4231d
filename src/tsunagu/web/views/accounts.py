"""Staff pages for API tokens, organisation members and one's own password."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tsunagu.accounts.passwords import MIN_LENGTH, MISMATCH, password_problem
from tsunagu.api.rate_limits import RateLimited
from tsunagu.errors import NotAuthorized, NotFound, ValidationError
from tsunagu.registry import call_action
from tsunagu.web.session import page_context, start_session
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


def password_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request):
        return render(
            request, "staff/password.html", errors={}, changed=False, min_length=MIN_LENGTH
        )


async def change_password(request: Request) -> Response:
    """The signed-in user's own password: the current one, and the new one twice. Other
    sessions of the user end (their stamp no longer matches); this one is stamped anew."""
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await read_form(request)
    old = str(form.get("old_password") or "")
    new = str(form.get("password") or "")
    new2 = str(form.get("password2") or "")

    def save() -> Response:
        with page_context(request) as context:
            if context.user is None:
                raise NotAuthorized("ログインが必要です (You must be logged in)")
            try:
                if problem := password_problem(new):
                    raise ValidationError({"password": [problem]})
                if new != new2:
                    raise ValidationError({"password2": [MISMATCH]})
                call_action(
                    "user_update",
                    context,
                    {"id": context.user.id, "old_password": old, "password": new},
                )
            except ValidationError as error:
                context.session.rollback()
                return render(
                    request,
                    "staff/password.html",
                    status_code=400,
                    errors=error.errors,
                    changed=False,
                    min_length=MIN_LENGTH,
                )
            except RateLimited as error:  # too many wrong current passwords
                context.session.rollback()
                refused = render(
                    request,
                    "staff/password.html",
                    status_code=429,
                    errors={"old_password": [error.message]},
                    changed=False,
                    min_length=MIN_LENGTH,
                )
                refused.headers["Retry-After"] = str(error.retry_after)
                return refused
            start_session(request, context.session, context.user)
            return render(
                request, "staff/password.html", errors={}, changed=True, min_length=MIN_LENGTH
            )

    return await run_in_threadpool(save)
