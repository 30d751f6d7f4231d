"""The staff page of one indicator (/staff/plan/{name}/indicator/{id}): its fields and its
binding to a catalog metric for the plan's managers, and its actual values for them and for
editors of the organisations responsible for its measure (who see only the values part)."""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from tsunagu.context import Context
from tsunagu.errors import NotFound
from tsunagu.plan.progress import DIRECTION_LABELS
from tsunagu.registry import call_action
from tsunagu.web.session import page_context
from tsunagu.web.templating import render
from tsunagu.web.views.plan_staff import Errors, _indicator_fields, _not_found, _submit, _text
from tsunagu.web.views.staff import login_required


def _page(
    request: Request,
    context: Context,
    errors: Errors | None = None,
    form: Any = None,
    section: str = "",
) -> Response:
    name, indicator_id = request.path_params["name"], request.path_params["indicator"]
    try:
        plan = call_action("plan_show", context, {"id": name, "include_values": False})
        indicator = call_action("plan_indicator_show", context, {"id": indicator_id})
    except NotFound:
        return _not_found(request)
    if indicator["plan_id"] != plan["id"] or not (plan["can_edit"] or indicator["can_record"]):
        return _not_found(request)
    measure = None
    if indicator["measure_id"]:
        measure = next((m for m in plan["measures"] if m["id"] == indicator["measure_id"]), None)
    return render(
        request,
        "plan/staff_indicator.html",
        status_code=409 if errors else 200,
        plan=plan,
        indicator=indicator,
        measure=measure,
        metrics=call_action("metric_list", context, {}),
        directions=DIRECTION_LABELS,
        errors=errors or {},
        section=section,
        values=dict(form or {}),
        params_text=json.dumps(indicator["metric_params"] or {}, ensure_ascii=False),
    )


def indicator_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        return _page(request, context)


def _here(request: Request) -> str:
    return f"/staff/plan/{request.path_params['name']}/indicator/{request.path_params['indicator']}"


async def save_indicator(request: Request) -> Response:
    def act(context: Context, form: FormData) -> str:
        data = {"id": request.path_params["indicator"], **_indicator_fields(form)}
        call_action("plan_indicator_update", context, data)
        return f"{_here(request)}?saved=1"

    def again(context: Context, errors: Errors, form: FormData) -> Response:
        return _page(request, context, errors, form, "indicator")

    return await _submit(request, act, again)


async def bind_indicator(request: Request) -> Response:
    def act(context: Context, form: FormData) -> str:
        call_action(
            "plan_indicator_update",
            context,
            {
                "id": request.path_params["indicator"],
                "metric_key": _text(form, "metric_key"),
                "metric_params": _text(form, "metric_params") or {},
            },
        )
        return f"{_here(request)}?saved=1#binding"

    def again(context: Context, errors: Errors, form: FormData) -> Response:
        return _page(request, context, errors, form, "binding")

    return await _submit(request, act, again)


async def delete_indicator(request: Request) -> Response:
    def act(context: Context, form: FormData) -> str:
        indicator = call_action(
            "plan_indicator_show", context, {"id": request.path_params["indicator"]}
        )
        call_action("plan_indicator_delete", context, {"id": indicator["id"]})
        name = request.path_params["name"]
        if indicator["measure_id"]:
            return f"/staff/plan/{name}/measure/{indicator['measure_id']}"
        return f"/staff/plan/{name}"

    def again(context: Context, errors: Errors, form: FormData) -> Response:
        return _page(request, context, errors, form, "delete")

    return await _submit(request, act, again)


async def add_value(request: Request) -> Response:
    def act(context: Context, form: FormData) -> str:
        data = {
            "indicator_id": request.path_params["indicator"],
            "value": _text(form, "value"),
            "source": _text(form, "source"),
            "note": _text(form, "note"),
        }
        if period := _text(form, "period"):
            data["period"] = period
        call_action("plan_indicator_value_add", context, data)
        return f"{_here(request)}?saved=1#values"

    def again(context: Context, errors: Errors, form: FormData) -> Response:
        return _page(request, context, errors, form, "values")

    return await _submit(request, act, again)


async def delete_value(request: Request) -> Response:
    def act(context: Context, form: FormData) -> str:
        call_action("plan_indicator_value_delete", context, {"id": _text(form, "value_id")})
        return f"{_here(request)}#values"

    def again(context: Context, errors: Errors, form: FormData) -> Response:
        return _page(request, context, errors, form, "values")

    return await _submit(request, act, again)
