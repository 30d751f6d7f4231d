"""Pages for a forgotten password: ask for a link by e-mail, then set a new password with it.

The first page answers the same way for every name or address, known or not (see
accounts/resets.py). The link page changes nothing when opened (mail scanners open links);
only its form, with a CSRF token, uses the link."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tsunagu.accounts.links import InvalidLink
from tsunagu.accounts.passwords import MIN_LENGTH
from tsunagu.accounts.resets import (
    count_reset_request,
    perform_reset,
    request_reset,
    reset_account,
)
from tsunagu.errors import ValidationError
from tsunagu.mail.sender import MailFailed, MailNotConfigured
from tsunagu.web.session import page_context, services_of
from tsunagu.web.templating import render
from tsunagu.web.views.staff import read_form


def private(response: Response) -> Response:
    """Pages reached through a secret link are never kept in a shared cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def invalid_link(request: Request) -> Response:
    return private(render(request, "user/link_invalid.html", status_code=400))


def forgot_page(request: Request) -> Response:
    with page_context(request) as context:
        return render(
            request,
            "user/forgot.html",
            sent=False,
            error=None,
            value="",
            hours=context.settings.reset_token_hours,
        )


THROTTLED = (
    "再設定の申し込みが続いたため、しばらく受け付けられません。"
    "時間をおいてからもう一度お試しください。"
)


async def send_reset(request: Request) -> Response:
    form = await read_form(request)
    ref = str(form.get("user") or "")[:200]
    # The client address uvicorn resolved (X-Forwarded-For only from trusted proxies).
    address = request.client.host if request.client else "unknown"

    def send() -> Response:
        wait = count_reset_request(services_of(request), ref, address)
        if wait:
            # The same answer for every name and address, registered or not.
            with page_context(request) as context:
                refused = render(
                    request,
                    "user/forgot.html",
                    status_code=429,
                    sent=False,
                    error=THROTTLED,
                    value=ref,
                    hours=context.settings.reset_token_hours,
                )
            refused.headers["Retry-After"] = str(wait)
            return refused
        try:
            with page_context(request) as context:
                request_reset(context, ref)
        except (MailNotConfigured, MailFailed) as error:
            # Rolled back: no link exists that was not mailed.
            with page_context(request) as context:
                return render(
                    request,
                    "user/forgot.html",
                    status_code=error.status,
                    sent=False,
                    error=error.message,
                    value=ref,
                    hours=context.settings.reset_token_hours,
                )
        with page_context(request) as context:
            return render(
                request,
                "user/forgot.html",
                sent=True,
                error=None,
                value="",
                hours=context.settings.reset_token_hours,
            )

    return await run_in_threadpool(send)


def reset_page(request: Request) -> Response:
    key = request.path_params["key"]
    with page_context(request) as context:
        try:
            account = reset_account(context, key)
        except InvalidLink:
            return invalid_link(request)
        return private(
            render(
                request,
                "user/reset.html",
                account=account,
                key=key,
                errors={},
                min_length=MIN_LENGTH,
            )
        )


async def reset_password(request: Request) -> Response:
    key = request.path_params["key"]
    form = await read_form(request)
    password = str(form.get("password") or "")
    password2 = str(form.get("password2") or "")

    def save() -> Response:
        try:
            with page_context(request) as context:
                perform_reset(context, key, password, password2)
        except InvalidLink:
            with page_context(request):
                return invalid_link(request)
        except ValidationError as error:
            with page_context(request) as context:
                try:
                    account = reset_account(context, key)
                except InvalidLink:
                    return invalid_link(request)
                return private(
                    render(
                        request,
                        "user/reset.html",
                        status_code=400,
                        account=account,
                        key=key,
                        errors=error.errors,
                        min_length=MIN_LENGTH,
                    )
                )
        with page_context(request):
            return private(
                render(
                    request,
                    "user/done.html",
                    heading="パスワードを再設定しました",
                    notice="新しいパスワードでログインしてください。"
                    "ほかのブラウザーや端末でのログインは終了しました。",
                )
            )

    return await run_in_threadpool(save)
