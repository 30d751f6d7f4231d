"""The ASGI application: pages and API in one process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Route

from tsunagu.api.actions import action_endpoint
from tsunagu.api.datastore_dump import datastore_dump
from tsunagu.api.downloads import download
from tsunagu.api.openapi import openapi_endpoint
from tsunagu.api.rate_limits import ApiLimits
from tsunagu.body_limit import BodyLimit
from tsunagu.bootstrap import build_services, start_search
from tsunagu.config import Settings
from tsunagu.context import Services
from tsunagu.datastore.jobs import IngestWorker
from tsunagu.datastore.postings_jobs import PostingsWorker
from tsunagu.dcat.endpoints import routes as dcat_routes
from tsunagu.disaster.middleware import DisasterPages
from tsunagu.disaster.views import routes as disaster_routes
from tsunagu.disaster.worker import DisasterWorker
from tsunagu.errors import ActionError
from tsunagu.harvest.worker import HarvestWorker
from tsunagu.maps.jobs import MapWorker
from tsunagu.metrics.job import SnapshotScheduler
from tsunagu.ops.health import healthz, readyz
from tsunagu.ops.metrics import RequestMetrics, metrics_endpoint
from tsunagu.quality.worker import QualityWorker
from tsunagu.storage.migrate import upgrade
from tsunagu.usage.counters import UsageFlusher
from tsunagu.web.routes import action_error_page
from tsunagu.web.routes import routes as web_routes
from tsunagu.web.secret import secret_key
from tsunagu.web.security import SecurityHeaders
from tsunagu.web.session import SignInRequired, sign_in_again
from tsunagu.workspace.batch.worker import BatchWorker

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, services: Services | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    services = services or build_services(settings)
    upgrade(services.engine)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        with services.sessions() as session:
            count = start_search(services, session)
        log.info("search index ready: %d datasets", count)
        workers = [IngestWorker(services) for _ in range(settings.ingest_workers)]
        for worker in workers:
            worker.start()
        # Rebuilds a datastore table's short-word postings once writes to it go quiet
        # (datastore/postings_jobs.py).
        postings = PostingsWorker(services)
        postings.start()
        quality = QualityWorker(services)  # checks each ingested file without holding up ingest
        quality.start()
        batches = BatchWorker(services)  # makes the drafts of applied batches (workspace/batch)
        batches.start()
        # Runs harvest sources on their schedule and "run now" (harvest/).
        harvests = [HarvestWorker(services) for _ in range(settings.harvest_workers)]
        for harvest in harvests:
            harvest.start()
        # Page views and downloads are counted in memory and written every few seconds.
        usage = UsageFlusher(services.sessions)
        usage.start()
        # Stores the day's metric snapshot (metrics/): real history for live indicators.
        snapshots = SnapshotScheduler(services)
        snapshots.start()
        # Rebuilds map layers after changes and keeps this process's layer ETags (maps/).
        maps = MapWorker(services)
        maps.start()
        # 災害モード: reads its switch, watches the load, renders the 避難場所 pages (disaster/).
        disaster = DisasterWorker(services)
        disaster.start()
        yield
        disaster.stop()
        maps.stop()
        snapshots.stop()
        usage.stop()
        for worker in workers:
            worker.stop()
        postings.stop()
        quality.stop()
        batches.stop()
        for harvest in harvests:
            harvest.stop()
        services.engine.dispose()

    routes = [
        Route("/api/{version:int}/action/{name}", action_endpoint, methods=["GET", "POST"]),
        Route("/api/action/{name}", action_endpoint, methods=["GET", "POST"]),
        Route("/dataset/{dataset}/resource/{resource}/download/{filename:path}", download),
        Route("/dataset/{dataset}/resource/{resource}/download", download),
        Route("/datastore/dump/{resource_id}", datastore_dump),
        Route("/openapi.json", openapi_endpoint),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
        # Before the portal: /dataset/{name}.ttl must not be read as a dataset named "x.ttl".
        *dcat_routes(),
        *disaster_routes(),  # reached only with TSUNAGU_DISASTER_PAGE_CACHE=0 (see below)
        *web_routes(),
    ]
    https = settings.site_url.startswith("https://")
    # Read-only API calls from other sites' browsers are part of open data; tokens are never
    # sent cross-origin by browsers without an explicit header, so credentials stay off.
    middleware = [
        Middleware(RequestMetrics),  # outermost: times and counts every answer, errors too
        Middleware(SecurityHeaders, https=https),
        # 災害モード's pages from memory, before sessions and the database; its redirects.
        Middleware(DisasterPages, services=services),
        # No request body over the upload limit is read, however it is sent (413).
        Middleware(BodyLimit, max_upload_bytes=settings.max_upload_bytes),
        Middleware(
            SessionMiddleware,
            secret_key=secret_key(settings),
            # On https the "__Host-" prefix makes browsers keep the cookie to this exact host
            # (Secure, Path=/, no Domain): a sibling site cannot set or overwrite it.
            session_cookie=("__Host-" if https else "") + "tsunagu_session",
            same_site="lax",
            https_only=https,
            # The browser may forget the cookie when the session's lifetime is over; the
            # session record (accounts/sessions.py) is what really ends it.
            max_age=settings.session_lifetime_seconds,
        ),
        Middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-CKAN-API-Key"],
        ),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={ActionError: action_error_page, SignInRequired: sign_in_again},
    )
    app.state.services = services
    app.state.api_limits = ApiLimits(settings)  # per process: see api/rate_limits.py
    return app
