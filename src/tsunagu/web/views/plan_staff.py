"""Staff pages for plans (/staff/plan): the plans one may edit, a plan's settings, 版 and
headings, each measure with its 工程表 and indicators, and each indicator with its binding and
actual values. Thin over the plan_* actions, so a form and the API are judged alike; a refused
form comes back with every message and what was typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, ValidationError
from tsunagu.plan import fiscal
from tsunagu.plan.actions.plans import REVISION_KINDS
from tsunagu.plan.categories import CATEGORIES
from tsunagu.plan.progress import DIRECTION_LABELS
from tsunagu.registry import call_action
from tsunagu.web.session import page_context
from tsunagu.web.templating import render
from tsunagu.web.views.staff import login_required, read_form

Errors = dict[str, list[str]]


def label_ids() -> set[str]:
    """Labels the plan pages translate with ``_(label)`` that templates do not spell out: the
    directions and the national plan's categories (scripts/extract_messages.py)."""
    return set(DIRECTION_LABELS.values()) | set(CATEGORIES.values())


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _admin_orgs(context: Context) -> list[dict[str, Any]]:
    return list(call_action("organization_list_for_user", context, {"permission": "admin"}))


def _not_found(request: Request) -> Response:
    return render(request, "not_found.html", status_code=404)


async def _submit(
    request: Request,
    act: Callable[[Context, FormData], str],
    again: Callable[[Context, Errors, FormData], Response],
) -> Response:
    """Run a form's action; on success go where ``act`` says (303), on refusal show the page
    again with the messages (409); without the right, say so (403); a plan one may not see is
    not found (404)."""
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await read_form(request)

    def save() -> Response:
        with page_context(request) as context:
            try:
                target = act(context, form)
            except ValidationError as error:
                context.session.rollback()
                return again(context, error.errors, form)
            except NotFound:
                context.session.rollback()
                return _not_found(request)
            except NotAuthorized as error:
                context.session.rollback()
                return render(request, "error.html", status_code=403, message=error.message)
        return RedirectResponse(target, status_code=303)

    return await run_in_threadpool(save)


# -- the plans ---------------------------------------------------------------------------------


def _list_page(
    request: Request, context: Context, errors: Errors | None = None, form: Any = None
) -> Response:
    plans = call_action("plan_list", context, {"include_unpublished": True})
    return render(
        request,
        "plan/staff_list.html",
        status_code=409 if errors else 200,
        plans=plans,
        orgs=_admin_orgs(context),
        errors=errors or {},
        values=dict(form or {}),
    )


def plans_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        return _list_page(request, context)


async def create_plan(request: Request) -> Response:
    def act(context: Context, form: FormData) -> str:
        data = {
            key: _text(form, key)
            for key in ("name", "title", "owner_org", "period_start", "period_end")
        }
        if levels := _text(form, "level_names"):
            data["level_names"] = levels
        created = call_action("plan_create", context, data)
        return f"/staff/plan/{created['name']}"

    def again(context: Context, errors: Errors, form: FormData) -> Response:
        return _list_page(request, context, errors, form)

    return await _submit(request, act, again)


# -- one plan ----------------------------------------------------------------------------------


def _plan_page(
    request: Request,
    context: Context,
    name: str,
    errors: Errors | None = None,
    form: Any = None,
    section: str = "",
) -> Response:
    try:
        plan = call_action("plan_show", context, {"id": name, "include_values": False})
    except NotFound:
        return _not_found(request)
    if not plan["can_edit"]:
        return render(request, "error.html", status_code=403, message=_NO_RIGHTS)
    history = call_action("plan_activity_list", context, {"id": name, "limit": 20})
    return render(
        request,
        "plan/staff_plan.html",
        status_code=409 if errors else 200,
        plan=plan,
        history=history,
        orgs=_admin_orgs(context),
        revision_kinds=REVISION_KINDS,
        errors=errors or {},
        section=section,
        values=dict(form or {}),
        fy_label=fiscal.label,
    )


_NO_RIGHTS = "この計画を編集する権限がありません (User not authorized to edit this plan)"


def plan_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        return _plan_page(request, context, request.path_params["name"])


def _revisions(form: FormData) -> list[dict[str, str]]:
    kinds, dates = form.getlist("revision_kind"), form.getlist("revision_date")
    labels, versions = form.getlist("revision_label"), form.getlist("revision_version")
    found = []
    for kind, date, label, version in zip(kinds, dates, labels, versions, strict=False):
        if not any(str(v).strip() for v in (date, label, version)):
            continue  # the empty row for a new 版
        found.append(
            {
                "kind": str(kind),
                "date": str(date).strip(),
                "date_label": str(label).strip(),
                "version": str(version).strip(),
            }
        )
    return found


async def save_plan(request: Request) -> Response:
    name = request.path_params["name"]

    def act(context: Context, form: FormData) -> str:
        saved = call_action(
            "plan_update",
            context,
            {
                "id": name,
                "title": _text(form, "title"),
                "description": _text(form, "description"),
                "owner_org": _text(form, "owner_org"),
                "period_start": _text(form, "period_start"),
                "period_end": _text(form, "period_end"),
                "level_names": _text(form, "level_names"),
                "evaluation": _text(form, "evaluation"),
                "source_url": _text(form, "source_url"),
                "published": form.get("published") == "on",
                "revisions": _revisions(form),
            },
        )
        return f"/staff/plan/{saved['name']}?saved=1"

    def again(context: Context, errors: Errors, form: FormData) -> Response:
        return _plan_page(request, context, name, errors, form, "settings")

    return await _submit(request, act, again)


async def delete_plan(request: Request) -> Response:
    name = request.path_params["name"]

    def act(context: Context, form: FormData) -> str:
        call_action("plan_delete", context, {"id": name})
        return "/staff/plan"

    def again(context: Context, errors: Errors, form: FormData) -> Response:
        return _plan_page(request, context, name, errors, form, "delete")

    return await _submit(request, act, again)


async def add_heading(request: Request) -> Response:
    name = request.path_params["name"]

    def act(context: Context, form: FormData) -> str:
        data = {"plan_id": name, "number": _text(form, "number"), "title": _text(form, "title")}
        if parent := _text(form, "parent"):
            data["parent"] = parent
        if level := _text(form, "level"):
            data["level"] = level
        call_action("plan_node_create", context, data)
        return f"/staff/plan/{name}#headings"

    def again(context: Context, errors: Errors, form: FormData) -> Response:
        return _plan_page(request, context, name, errors, form, "headings")

    return await _submit(request, act, again)


async def change_heading(request: Request) -> Response:
    name, node = request.path_params["name"], request.path_params["node"]

    def act(context: Context, form: FormData) -> str:
        if form.get("delete") == "1":
            call_action("plan_node_delete", context, {"id": node})
        else:
            call_action(
                "plan_node_update",
                context,
                {"id": node, "number": _text(form, "number"), "title": _text(form, "title")},
            )
        return f"/staff/plan/{name}#headings"

    def again(context: Context, errors: Errors, form: FormData) -> Response:
        return _plan_page(request, context, name, errors, form, "headings")

    return await _submit(request, act, again)


async def add_measure(request: Request) -> Response:
    name = request.path_params["name"]

    def act(context: Context, form: FormData) -> str:
        data = {"plan_id": name, "number": _text(form, "number"), "name": _text(form, "name")}
        if node := _text(form, "node"):
            data["node"] = node
        created = call_action("plan_measure_create", context, data)
        return f"/staff/plan/{name}/measure/{created['id']}"

    def again(context: Context, errors: Errors, form: FormData) -> Response:
        return _plan_page(request, context, name, errors, form, "measures")

    return await _submit(request, act, again)


# -- one measure -------------------------------------------------------------------------------


def _measure_page(
    request: Request,
    context: Context,
    errors: Errors | None = None,
    form: Any = None,
    section: str = "",
) -> Response:
    name, measure_id = request.path_params["name"], request.path_params["measure"]
    try:
        plan = call_action("plan_show", context, {"id": name, "include_values": False})
        measure = call_action("plan_measure_show", context, {"id": measure_id})
    except NotFound:
        return _not_found(request)
    if measure["plan_id"] != plan["id"]:
        return _not_found(request)
    if not plan["can_edit"]:
        return render(request, "error.html", status_code=403, message=_NO_RIGHTS)
    return render(
        request,
        "plan/staff_measure.html",
        status_code=409 if errors else 200,
        plan=plan,
        measure=measure,
        categories=CATEGORIES,
        directions=DIRECTION_LABELS,
        errors=errors or {},
        section=section,
        values=dict(form or {}),
    )


def measure_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        return _measure_page(request, context)


async def save_measure(request: Request) -> Response:
    name, measure_id = request.path_params["name"], request.path_params["measure"]

    def act(context: Context, form: FormData) -> str:
        plan = call_action("plan_show", context, {"id": name, "include_values": False})
        stages = [
            {"fiscal_year": y["fiscal_year"], "text": _text(form, f"stage_{y['fiscal_year']}")}
            for y in plan["fiscal_years"]
        ]
        call_action(
            "plan_measure_update",
            context,
            {
                "id": measure_id,
                "number": _text(form, "number"),
                "name": _text(form, "name"),
                "node": _text(form, "node") or None,
                "departments": _text(form, "departments"),
                "organizations": _text(form, "organizations"),
                "categories": [str(c) for c in form.getlist("categories")],
                "summary": _text(form, "summary"),
                "note": _text(form, "note"),
                "stages": stages,
            },
        )
        return f"/staff/plan/{name}/measure/{measure_id}?saved=1"

    def again(context: Context, errors: Errors, form: FormData) -> Response:
        return _measure_page(request, context, errors, form, "measure")

    return await _submit(request, act, again)


async def delete_measure(request: Request) -> Response:
    name, measure_id = request.path_params["name"], request.path_params["measure"]

    def act(context: Context, form: FormData) -> str:
        call_action("plan_measure_delete", context, {"id": measure_id})
        return f"/staff/plan/{name}#measures"

    def again(context: Context, errors: Errors, form: FormData) -> Response:
        return _measure_page(request, context, errors, form, "delete")

    return await _submit(request, act, again)


def _indicator_fields(form: FormData) -> dict[str, Any]:
    data: dict[str, Any] = {
        key: _text(form, key)
        for key in (
            "name",
            "unit",
            "scope",
            "baseline",
            "baseline_period",
            "target",
            "target_period",
            "definition",
            "note",
        )
    }
    if direction := _text(form, "direction"):
        data["direction"] = direction
    return data


async def add_indicator(request: Request) -> Response:
    name, measure_id = request.path_params["name"], request.path_params["measure"]

    def act(context: Context, form: FormData) -> str:
        created = call_action(
            "plan_indicator_create",
            context,
            {"plan_id": name, "measure_id": measure_id, **_indicator_fields(form)},
        )
        return f"/staff/plan/{name}/indicator/{created['id']}"

    def again(context: Context, errors: Errors, form: FormData) -> Response:
        return _measure_page(request, context, errors, form, "indicator")

    return await _submit(request, act, again)
