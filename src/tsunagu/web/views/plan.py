"""Public plan pages: the plans, one plan with its measures and indicators, and its exports
(XLSX and CSV for the yearly PDCA report). Unpublished plans answer as if they did not exist,
except to those who may read them (plan/access.py): signed in, or with an API token."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict, defaultdict
from typing import Any
from urllib.parse import quote

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tsunagu.api.envelope import JSONResponse
from tsunagu.api.identity import resolve_user, token_from
from tsunagu.context import Context
from tsunagu.errors import ActionError, NotFound
from tsunagu.plan import dashboard, export, fiscal
from tsunagu.plan.categories import CATEGORIES
from tsunagu.plan.progress import RULE, RULE_EN, STATUS_LABELS
from tsunagu.registry import call_action
from tsunagu.web.i18n import language_of, translator
from tsunagu.web.session import page_context, services_of, signed_in_user
from tsunagu.web.templating import environment, render


def plans(request: Request) -> Response:
    with page_context(request) as context:
        found = call_action("plan_list", context, {})
    return render(request, "plan/list.html", plans=found)


def tree(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The plan's headings as a tree with their measures, top down, and a last group for
    measures placed under no heading."""
    nodes = {n["id"]: {**n, "children": [], "measures": []} for n in plan["nodes"]}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node["parent_id"] or "")
        (parent["children"] if parent else roots).append(node)
    loose = []
    for measure in plan["measures"]:
        holder = nodes.get(measure["node_id"] or "")
        (holder["measures"] if holder else loose).append(measure)
    for node in nodes.values():
        node["children"].sort(key=lambda n: n["position"])
    roots.sort(key=lambda n: n["position"])
    return [*roots, *([{"id": "", "title": "", "loose": True, "measures": loose}] if loose else [])]


def progress_counts(plan: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for indicator in all_indicators(plan):
        counts[indicator["progress"]["status"]] += 1
    return dict(counts)


def all_indicators(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [i for n in plan["nodes"] for i in n.get("indicators", [])]
    return found + [i for m in plan["measures"] for i in m["indicators"]]


def plan_page(request: Request) -> Response:
    name = request.path_params["name"]
    with page_context(request) as context:
        try:
            plan = call_action("plan_show", context, {"id": name, "include_values": False})
            history = call_action("plan_activity_list", context, {"id": name, "limit": 10})
        except NotFound:
            return render(request, "not_found.html", status_code=404)
    return render(
        request,
        "plan/show.html",
        plan=plan,
        tree=tree(plan),
        counts=progress_counts(plan),
        statuses=STATUS_LABELS,
        categories=CATEGORIES,
        history=history,
        rule=RULE,
        rule_en=RULE_EN,
        fy_label=fiscal.label,
    )


# -- the dashboard ---------------------------------------------------------------------------


def _overview(request: Request) -> dict[str, Any]:
    """plan_dashboard_show as whoever asks: the signed-in user, or the API token's."""
    services = services_of(request)
    with services.sessions() as session:
        user = signed_in_user(session, request) or resolve_user(session, token_from(request))
        context = Context(services=services, session=session, user=user)
        request.state.user = user
        return call_action(  # type: ignore[no-any-return]
            "plan_dashboard_show", context, {"id": request.path_params["name"]}
        )


# The dashboard's content by overview version and language: the same for every reader (nothing
# in it depends on who asks), and a plan of 150 indicators is a large page to render each time.
_BODIES: OrderedDict[tuple[str, str], Markup] = OrderedDict()
_BODIES_SIZE = 16
_BODIES_LOCK = threading.Lock()


def _body(request: Request, board: dict[str, Any]) -> Markup:
    language = language_of(request)
    key = (str(board["version"]), language)
    with _BODIES_LOCK:
        if key in _BODIES:
            _BODIES.move_to_end(key)
            return _BODIES[key]
    html = environment.get_template("plan/_dashboard_body.html").render(
        request=request, _=translator(language), lang=language, board=board
    )
    body = Markup(html)
    with _BODIES_LOCK:
        _BODIES[key] = body
        while len(_BODIES) > _BODIES_SIZE:
            _BODIES.popitem(last=False)
    return body


async def dashboard_page(request: Request) -> Response:
    try:
        board = await run_in_threadpool(_overview, request)
    except NotFound:
        return render(request, "not_found.html", status_code=404)
    body = await run_in_threadpool(_body, request, board)
    return render(request, "plan/dashboard.html", board=board, body=body)


async def dashboard_json(request: Request) -> Response:
    try:
        board = await run_in_threadpool(_overview, request)
    except ActionError as error:
        return JSONResponse({"success": False, "error": error.as_dict()}, status_code=error.status)
    return JSONResponse(board, headers={"Access-Control-Allow-Origin": "*"})


async def dashboard_csv(request: Request) -> Response:
    try:
        board = await run_in_threadpool(_overview, request)
    except ActionError as error:
        return JSONResponse({"success": False, "error": error.as_dict()}, status_code=error.status)
    filename = f"{board['name']}_dashboard.csv"
    return Response(
        dashboard.to_csv(board),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# -- exports -----------------------------------------------------------------------------------


def _plan_for_export(request: Request) -> dict[str, Any]:
    """plan_show as whoever asks: the signed-in user, or the API token's."""
    services = services_of(request)
    with services.sessions() as session:
        user = signed_in_user(session, request) or resolve_user(session, token_from(request))
        context = Context(services=services, session=session, user=user)
        return call_action("plan_show", context, {"id": request.path_params["name"]})  # type: ignore[no-any-return]


async def _export(request: Request, kind: str) -> Response:
    try:
        plan = await run_in_threadpool(_plan_for_export, request)
    except ActionError as error:
        return JSONResponse({"success": False, "error": error.as_dict()}, status_code=error.status)
    rep = export.report(plan, dt.date.today())
    if kind == "xlsx":
        body = await run_in_threadpool(export.to_xlsx, rep)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = export.to_csv(rep)
        media = "text/csv; charset=utf-8"
    filename = f"{plan['name']}_progress_{dt.date.today().isoformat()}.{kind}"
    japanese = f"{plan['title']}_進捗_{dt.date.today().isoformat()}.{kind}"
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(japanese)}"
            ),
            "Cache-Control": "private, no-store",
        },
    )


async def export_xlsx(request: Request) -> Response:
    return await _export(request, "xlsx")


async def export_csv(request: Request) -> Response:
    return await _export(request, "csv")
