"""Staff buttons for data quality: check again, make an auto-fixed copy, override the PII guard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tsunagu.errors import NotAuthorized, NotFound, ValidationError
from tsunagu.registry import call_action
from tsunagu.web.session import page_context
from tsunagu.web.views.staff import login_required, manage_page, read_form


async def _resource_action(
    request: Request, run: Callable[[Any, str, dict[str, Any]], str | None]
) -> Response:
    """Run one quality action for the resource in the URL and come back to the manage page;
    a refusal is shown on that page rather than as an error screen."""
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await read_form(request)
    name = request.path_params["name"]
    resource_id = request.path_params["resource_id"]
    fields = {k: str(v) for k, v in form.items() if k != "csrf_token"}

    def save() -> Response:
        with page_context(request) as context:
            try:
                anchor = run(context, resource_id, fields) or resource_id
            except (ValidationError, NotAuthorized, NotFound) as error:
                context.session.rollback()
                errors = getattr(error, "errors", None) or {"": [error.message]}
                return manage_page(request, context, name, errors, status_code=409)
        return RedirectResponse(f"/staff/dataset/{name}#resource-{anchor}", status_code=303)

    return await run_in_threadpool(save)


async def check(request: Request) -> Response:
    def run(context: Any, resource_id: str, fields: dict[str, Any]) -> None:
        call_action("resource_validation_run", context, {"id": resource_id})

    return await _resource_action(request, run)


async def autofix(request: Request) -> Response:
    def run(context: Any, resource_id: str, fields: dict[str, Any]) -> str:
        result = call_action("resource_autofix", context, {"id": resource_id})
        return str(result["resource"]["id"])

    return await _resource_action(request, run)


async def pii_override(request: Request) -> Response:
    def run(context: Any, resource_id: str, fields: dict[str, Any]) -> None:
        call_action(
            "resource_pii_override",
            context,
            {"id": resource_id, "reason": fields.get("reason", "")},
        )

    return await _resource_action(request, run)


async def declare_standard(request: Request) -> Response:
    """Staff accept the standard Tsunagu guessed: it is declared and the file checked again."""

    def run(context: Any, resource_id: str, fields: dict[str, Any]) -> None:
        call_action(
            "resource_patch", context, {"id": resource_id, "standard": fields.get("standard", "")}
        )
        call_action("resource_validation_run", context, {"id": resource_id})

    return await _resource_action(request, run)
