"""統合マップ (/map) and the staff page of map layers (/staff/map).

The page works without JavaScript: the form's filters and a typed place are answered by the
server (map_point_search) as a list. With JavaScript (static/js/map-page.js) the layer's GeoJSON
is drawn with clustering, the same filters apply to the map and the list at once, and
"近くの…" can start from the browser's location (the page allows geolocation for itself only).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tsunagu.errors import NotAuthorized, NotFound, ValidationError
from tsunagu.maps.registry import SHELTERS
from tsunagu.registry import call_action
from tsunagu.web.i18n import language_of
from tsunagu.web.session import page_context
from tsunagu.web.templating import render
from tsunagu.web.views.staff import login_required, read_form

LIST_LIMIT = 100
NEAR_LIMIT = 10
# The page may ask for the visitor's location (only after they press the button); every other
# page keeps geolocation off (web/security.py).
PERMISSIONS = "camera=(), microphone=(), geolocation=(self)"
FILTER_PREFIX = "f:"
GSI_ATTRIBUTION = "<a href='https://maps.gsi.go.jp/development/ichiran.html'>地理院タイル</a>"


def _groups(filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flags sharing a prefix (災害種別_…) as one fieldset; each choice on its own."""
    groups: list[dict[str, Any]] = []
    for item in filters:
        if item["flag"] and item["group"]:
            if groups and groups[-1]["title"] == item["group"] and groups[-1]["flags"]:
                groups[-1]["items"].append(item)
                continue
            groups.append({"title": item["group"], "flags": True, "items": [item]})
        elif item["flag"]:
            groups.append({"title": "", "flags": True, "items": [item]})
        else:
            groups.append({"title": item["title"], "flags": False, "items": [item]})
    return groups


def _chosen_filters(request: Request, layer: dict[str, Any]) -> dict[str, str]:
    allowed = {f["field"]: f["values"] for f in layer.get("filters") or []}
    chosen: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        field = key.removeprefix(FILTER_PREFIX)
        if key.startswith(FILTER_PREFIX) and field in allowed and value in allowed[field]:
            chosen[field] = value
    return chosen


def map_page(request: Request) -> Response:
    params = request.query_params
    with page_context(request) as context:
        layers = call_action("map_layer_list", context, {})
        shown = [layer for layer in layers if layer["points"]]
        names = {layer["name"] for layer in layers}
        wanted = params.get("layer") or SHELTERS
        if wanted not in names:
            wanted = SHELTERS
        layer = call_action("map_layer_show", context, {"id": wanted})
        chosen = _chosen_filters(request, layer)
        municipality = params.get("municipality", "")[:6]
        q = params.get("q", "")[:200]
        near = params.get("near", "")[:200]
        query = {
            "layer": wanted,
            "municipality": municipality,
            "filters": chosen,
            "q": q,
        }
        listed: dict[str, Any] = {"count": 0, "results": []}
        nearest: dict[str, Any] | None = None
        if layer["built"]:
            try:
                listed = call_action("map_point_search", context, {**query, "limit": LIST_LIMIT})
                if near:
                    nearest = call_action(
                        "map_point_search", context, {**query, "near": near, "limit": NEAR_LIMIT}
                    )
            except ValidationError:
                context.session.rollback()
    settings = request.app.state.services.settings
    english = language_of(request) == "en"
    response = render(
        request,
        "map.html",
        layers=shown or layers,
        layer=layer,
        layer_title=layer["title_en"] if english else layer["title"],
        groups=_groups(layer.get("filters") or []),
        chosen=chosen,
        municipality=municipality,
        q=q,
        near=near,
        listed=listed,
        nearest=nearest,
        shelters=wanted == SHELTERS,
        tiles=settings.map_tiles,
        attribution=GSI_ATTRIBUTION,
        english=english,
        list_limit=LIST_LIMIT,
        filter_prefix=FILTER_PREFIX,
    )
    response.headers["Permissions-Policy"] = PERMISSIONS
    return response


# -- staff ---------------------------------------------------------------------------------


def staff_map_page(
    request: Request,
    *,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        layers = call_action("map_layer_list", context, {})
        problems = []
        for layer in layers:
            shown = call_action("map_layer_show", context, {"id": layer["name"]})
            if shown.get("left_off_points"):
                problems.append(shown)
    return render(
        request,
        "staff/map_layers.html",
        status_code=status_code,
        layers=layers,
        problems=problems,
        errors=errors or {},
        values=values or {},
        done=request.query_params.get("done", ""),
    )


async def create_layer(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await read_form(request)
    values = {k: str(form.get(k) or "") for k in ("name", "title", "datasets", "description")}
    datasets = [
        part.strip() for line in values["datasets"].splitlines() for part in line.split(",")
    ]
    try:
        with page_context(request) as context:
            call_action(
                "map_layer_create",
                context,
                {**values, "datasets": [d for d in datasets if d]},
            )
    except ValidationError as error:
        return staff_map_page(request, errors=error.errors, values=values, status_code=409)
    except (NotAuthorized, NotFound) as error:
        return staff_map_page(
            request, errors={"datasets": [error.message]}, values=values, status_code=403
        )
    return RedirectResponse("/staff/map?done=created", status_code=303)


async def delete_layer(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    await read_form(request)
    with page_context(request) as context:
        call_action("map_layer_delete", context, {"id": request.path_params["name"]})
    return RedirectResponse("/staff/map?done=deleted", status_code=303)
