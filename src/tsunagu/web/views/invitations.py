"""Inviting staff by e-mail (from an organisation's members page) and accepting an invitation
(the page the mailed link opens, where the invited person picks a name and a password)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tsunagu.accounts.invitations import accept_invitation, invited_account
from tsunagu.accounts.links import InvalidLink
from tsunagu.accounts.passwords import MIN_LENGTH
from tsunagu.errors import ValidationError
from tsunagu.mail.sender import MailFailed, MailNotConfigured
from tsunagu.registry import call_action
from tsunagu.web.session import page_context
from tsunagu.web.templating import render
from tsunagu.web.views.recovery import invalid_link, private
from tsunagu.web.views.staff import login_required, read_form


async def invite(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await read_form(request)
    org_name = request.path_params["org"]
    email = str(form.get("email") or "").strip()[:200]
    role = str(form.get("role") or "")

    def members_page(status: int, **values: Any) -> Response:
        with page_context(request) as context:
            org = call_action("organization_show", context, {"id": org_name, "include_users": True})
            return render(
                request, "staff/members.html", status_code=status, org=org, errors={}, **values
            )

    def send() -> Response:
        try:
            with page_context(request) as context:
                call_action(
                    "user_invite", context, {"email": email, "group_id": org_name, "role": role}
                )
        except ValidationError as error:
            return members_page(400, invite_errors=error.errors, invite_email=email)
        except (MailNotConfigured, MailFailed) as error:
            # The whole invitation was rolled back: no pending user, no membership, no link.
            return members_page(error.status, invite_error=error.message, invite_email=email)
        return members_page(200, invited=email)

    return await run_in_threadpool(send)


def accept_page(request: Request) -> Response:
    key = request.path_params["key"]
    with page_context(request) as context:
        try:
            account = invited_account(context, key)
        except InvalidLink:
            return invalid_link(request)
        values = {"name": account.name, "fullname": account.fullname}
        return private(_form(request, account, key, values, {}, 200))


def _form(
    request: Request,
    account: Any,
    key: str,
    values: dict[str, str],
    errors: dict[str, list[str]],
    status: int,
) -> Response:
    return render(
        request,
        "user/invite.html",
        status_code=status,
        account=account,
        key=key,
        values=values,
        errors=errors,
        min_length=MIN_LENGTH,
    )


async def accept(request: Request) -> Response:
    key = request.path_params["key"]
    form = await read_form(request)
    values = {
        "name": str(form.get("name") or "").strip(),
        "fullname": str(form.get("fullname") or "").strip(),
    }
    password = str(form.get("password") or "")
    password2 = str(form.get("password2") or "")

    def save() -> Response:
        try:
            with page_context(request) as context:
                accept_invitation(
                    context, key, values["name"], values["fullname"], password, password2
                )
        except InvalidLink:
            with page_context(request):
                return invalid_link(request)
        except ValidationError as error:
            with page_context(request) as context:
                try:
                    account = invited_account(context, key)
                except InvalidLink:
                    return invalid_link(request)
                return private(_form(request, account, key, values, error.errors, 400))
        with page_context(request):
            return private(
                render(
                    request,
                    "user/done.html",
                    heading="アカウントが有効になりました",
                    notice="決めたユーザー名とパスワードでログインしてください。",
                )
            )

    return await run_in_threadpool(save)
