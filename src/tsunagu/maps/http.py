"""Serving layer data: /map/layers/{name}.geojson and .csv, built ahead, cached everywhere.

* The body was compressed once when the layer was built: brotli for clients that accept it,
  else gzip, else the plain bytes (``Vary: Accept-Encoding``). Each representation has its own
  strong ETag (the body's hash, with ``-br`` / ``-gz`` for the compressed ones).
* ``If-None-Match`` is compared with this process's in-memory ETag of the layer (store.py): a
  client or proxy holding the current data gets 304 without a database query or a thread hop.
* ``Cache-Control: public, max-age=10, stale-while-revalidate=20``: a browser or proxy may
  reuse a copy for 10 s and serve it for 20 s more while it asks again in the background, so a
  crowd on a typhoon day mostly meets caches, and a change is shown within 30 s of being built
  (a rebuild follows a change by a few seconds: jobs.py). "no-cache" would send every load to
  the server; a long max-age would keep a shelter that closed on people's screens.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tsunagu.context import Services
from tsunagu.maps.registry import find_layer
from tsunagu.maps.store import LoadedLayer, layer_store

CACHE_CONTROL = "public, max-age=10, stale-while-revalidate=20"
GEOJSON_TYPE = "application/geo+json"
CSV_TYPE = "text/csv; charset=utf-8"
_SUFFIX = {"br": "-br", "gzip": "-gz", "identity": ""}


def choose_encoding(accept_encoding: str) -> str:
    """br, gzip or identity, by what the client accepts (q=0 refuses)."""
    accepted: dict[str, float] = {}
    for part in accept_encoding.split(","):
        token, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if token:
            accepted[token.strip().lower()] = quality
    star = accepted.get("*", 0.0)
    for encoding in ("br", "gzip"):
        if accepted.get(encoding, star) > 0:
            return encoding
    return "identity"


def _tags(header: str) -> list[str]:
    return [t.strip().removeprefix("W/").strip('"') for t in header.split(",") if t.strip()]


def matches(if_none_match: str, etag: str) -> bool:
    """Whether the client holds the current data in any of its encodings (weak comparison, as
    RFC 9110 asks for If-None-Match)."""
    for tag in _tags(if_none_match):
        if tag == "*":
            return True
        for suffix in ("-br", "-gz", "-csv-gz", "-csv"):
            tag = tag.removesuffix(suffix) if tag.endswith(suffix) else tag
        if tag == etag:
            return True
    return False


def _headers(etag: str, encoding: str, kind: str) -> dict[str, str]:
    suffix = ("-csv" if kind == "csv" else "") + _SUFFIX[encoding]
    headers = {
        "ETag": f'"{etag}{suffix}"',
        "Cache-Control": CACHE_CONTROL,
        "Vary": "Accept-Encoding",
        "Access-Control-Allow-Origin": "*",
    }
    if encoding != "identity":
        headers["Content-Encoding"] = encoding
    return headers


def _body(layer: LoadedLayer, encoding: str, kind: str) -> bytes:
    if kind == "csv":
        return layer.csv_gzip if encoding != "identity" else layer.csv
    if encoding == "br":
        return layer.geojson_br
    return layer.geojson_gzip if encoding == "gzip" else layer.geojson


def _missing(services: Services, name: str) -> Response:
    """No build of this name: a layer not built yet (503, try again) or none at all (404)."""
    with services.sessions() as session:
        exists = find_layer(session, name) is not None
    if exists:
        return JSONResponse(
            {"error": "地図データを準備しています (Layer not built yet)"},
            status_code=503,
            headers={"Retry-After": "5", "Cache-Control": "no-store"},
        )
    return JSONResponse({"error": "地図レイヤーが見つかりません (Map layer not found)"}, 404)


async def _serve(request: Request, kind: str) -> Response:
    services: Services = request.app.state.services
    name = request.path_params["name"]
    store = layer_store(services)
    encoding = choose_encoding(request.headers.get("accept-encoding", ""))
    if kind == "csv" and encoding == "br":
        encoding = "gzip"  # the CSV is kept gzipped only
    etag = store.etag(name)
    if_none_match = request.headers.get("if-none-match")
    if etag is not None and if_none_match and matches(if_none_match, etag):
        return Response(status_code=304, headers=_headers(etag, encoding, kind))
    layer = await run_in_threadpool(store.layer, name)
    if layer is None:
        return await run_in_threadpool(_missing, services, name)
    headers = _headers(layer.etag, encoding, kind)
    if if_none_match and matches(if_none_match, layer.etag):
        return Response(status_code=304, headers=headers)
    if kind == "csv" or request.query_params.get("download"):
        extension = "csv" if kind == "csv" else "geojson"
        headers["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    body = await run_in_threadpool(_body, layer, encoding, kind)
    media_type = CSV_TYPE if kind == "csv" else GEOJSON_TYPE
    return Response(body, media_type=media_type, headers=headers)


async def layer_geojson(request: Request) -> Response:
    return await _serve(request, "geojson")


async def layer_csv(request: Request) -> Response:
    return await _serve(request, "csv")
