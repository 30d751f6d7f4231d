"""地図（市区町村別）: a table's values by municipality, as a page and as a part of the dataset
and embed pages, and the vendored boundary files the browser draws them with.

The table of values (municipality, code, value, class) and the list of codes that cannot be
drawn are HTML from the server, so the page works without JavaScript; static/js/choropleth.js
draws the same areas on a Leaflet map. Changing the options is a plain GET form to
``/choropleth/{resource_id}``.
"""

from __future__ import annotations

import gzip
from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tsunagu.catalog.resource_views import CHOROPLETH
from tsunagu.errors import ActionError, NotAuthorized, NotFound, ValidationError
from tsunagu.maps import boundaries
from tsunagu.registry import call_action
from tsunagu.web.session import page_context
from tsunagu.web.templating import render

MIN_AREAS_ON_PAGE = 2
OPTION_KEYS = ("value_field", "aggregation", "method", "classes")
FILTER_PREFIX = "filter."
# The files change only with a release of the code; a day's caching costs nothing.
BOUNDARY_CACHE = "public, max-age=86400"


def options_from(request: Request) -> dict[str, Any]:
    """choropleth_show input from the page's query string (``filter.列名=値`` for filters)."""
    data: dict[str, Any] = {
        key: request.query_params[key] for key in OPTION_KEYS if request.query_params.get(key)
    }
    filters = {
        key[len(FILTER_PREFIX) :]: value
        for key, value in request.query_params.items()
        if key.startswith(FILTER_PREFIX) and value != ""
    }
    if filters:
        data["filters"] = filters
    return data


def view_for(context: Any, resource_id: str, kinds: set[str]) -> dict[str, Any] | None:
    """The default 地図（市区町村別） of a resource whose views include one, for the dataset and
    embed pages: None when it has none, the table cannot be classed, or fewer than two
    municipalities would be drawn (one city's own table is no map to compare; its own page
    /choropleth/{id} still draws it)."""
    if CHOROPLETH not in kinds:
        return None
    try:
        result = dict(call_action("choropleth_show", context, {"resource_id": resource_id}))
    except (NotFound, NotAuthorized, ValidationError):
        return None
    return result if len(result["areas"]) >= MIN_AREAS_ON_PAGE else None


def choropleth_page(request: Request) -> Response:
    resource_id = request.path_params["resource_id"]
    options = options_from(request)
    error: dict[str, Any] | None = None
    with page_context(request) as context:
        try:
            resource = call_action("resource_show", context, {"id": resource_id})
            package = call_action("package_show", context, {"id": resource["package_id"]})
        except (NotFound, NotAuthorized):
            return render(request, "not_found.html", status_code=404)
        try:
            result = call_action(
                "choropleth_show", context, {"resource_id": resource_id, **options}
            )
        except ValidationError as exc:
            error = exc.errors
            result = None
        except ActionError:
            result = None
        if result is None and options:
            # Show the defaults beside the message, so the form can be corrected.
            try:
                result = call_action("choropleth_show", context, {"resource_id": resource_id})
            except ActionError:
                result = None
    settings = request.app.state.services.settings
    return render(
        request,
        "choropleth.html",
        resource=resource,
        package=package,
        choropleth=result,
        error=error,
        tiles=settings.map_tiles,
        status_code=400 if error else 200 if result is not None else 404,
    )


@cache
def _gzipped(prefecture: str) -> bytes | None:
    found = boundaries.prefecture_bytes(prefecture)
    return gzip.compress(found[0], compresslevel=9, mtime=0) if found else None


def boundary_file(request: Request) -> Response:
    """A prefecture's vendored boundaries (maps/boundaries/NN.geojson), gzip when accepted."""
    prefecture = request.path_params["prefecture"]
    found = boundaries.prefecture_bytes(prefecture)
    if found is None:
        return Response("not found", status_code=404, media_type="text/plain")
    body, etag = found
    zipped = "gzip" in request.headers.get("accept-encoding", "")
    if zipped:
        etag = etag[:-1] + '-gz"'  # each representation its own strong ETag
    headers = {"ETag": etag, "Cache-Control": BOUNDARY_CACHE, "Vary": "Accept-Encoding"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if zipped:
        headers["Content-Encoding"] = "gzip"
        body = _gzipped(prefecture) or b""
    return Response(body, headers=headers, media_type="application/geo+json")
