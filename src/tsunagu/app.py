"""The ASGI application: pages and API in one process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tsunagu.api.actions import action_endpoint
from tsunagu.api.datastore_dump import datastore_dump
from tsunagu.api.downloads import download
from tsunagu.bootstrap import build_services
from tsunagu.config import Settings
from tsunagu.context import Services
from tsunagu.datastore.jobs import IngestWorker
from tsunagu.storage.migrate import upgrade

log = logging.getLogger(__name__)


async def home(request: Request) -> Response:
    # The portal comes with the web capability; until then the API is the front door.
    return RedirectResponse("/api/3/action/status_show")


def create_app(settings: Settings | None = None, services: Services | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    services = services or build_services(settings)
    upgrade(services.engine)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        with services.sessions() as session:
            count = services.search.rebuild(session)
        log.info("search index ready: %d datasets", count)
        workers = [IngestWorker(services) for _ in range(settings.ingest_workers)]
        for worker in workers:
            worker.start()
        yield
        for worker in workers:
            worker.stop()
        services.engine.dispose()

    routes = [
        Route("/", home),
        Route("/api/{version:int}/action/{name}", action_endpoint, methods=["GET", "POST"]),
        Route("/api/action/{name}", action_endpoint, methods=["GET", "POST"]),
        Route("/dataset/{dataset}/resource/{resource}/download/{filename:path}", download),
        Route("/dataset/{dataset}/resource/{resource}/download", download),
        Route("/datastore/dump/{resource_id}", datastore_dump),
    ]
    # Read-only API calls from other sites' browsers are part of open data; tokens are never
    # sent cross-origin by browsers without an explicit header, so credentials stay off.
    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-CKAN-API-Key"],
        )
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.services = services
    return app
