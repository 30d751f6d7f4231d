"""The 避難場所 pages rendered for each request: what ``/hinan`` costs without the page cache.

With ``disaster_page_cache`` on (the default) the middleware answers these paths and requests
never reach here; off, they pass the whole portal stack (session, the switch and the layer's
build time read from the database, rendering), which `benchmarks/map.py` measures beside the
cached pages.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tsunagu.context import Services
from tsunagu.disaster.cache import page_view
from tsunagu.disaster.pages import (
    PREFIX,
    index_page,
    language_of_query,
    missing_page,
    municipality_pages,
)
from tsunagu.disaster.shelters import shelter_list
from tsunagu.disaster.state import read_state
from tsunagu.maps.registry import SHELTERS
from tsunagu.maps.store import layer_store


def render_page(services: Services, language: str, code: str | None, part: int) -> Response:
    with services.sessions() as session:
        state = read_state(session)
    view = page_view(services, state)
    shelters = shelter_list(layer_store(services).layer(SHELTERS))
    body, status = None, 200
    if code is None:
        body = index_page(shelters, view, language)
    else:
        municipality = shelters.municipality(code)
        if municipality is not None:
            pages = municipality_pages(municipality, view, language)
            body = pages[part - 1] if 1 <= part <= len(pages) else None
    if body is None:
        body, status = missing_page(view, language), 404
    return Response(
        body,
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


async def hinan(request: Request) -> Response:
    services: Services = request.app.state.services
    code = request.path_params.get("code")
    part = int(request.path_params.get("part", 1))
    language = language_of_query(request.url.query)
    return await run_in_threadpool(render_page, services, language, code, part)


def routes() -> list[BaseRoute]:
    return [
        Route(PREFIX, hinan, methods=["GET", "HEAD"]),
        Route(PREFIX + "/{code}", hinan, methods=["GET", "HEAD"]),
        Route(PREFIX + "/{code}/{part:int}", hinan, methods=["GET", "HEAD"]),
    ]
