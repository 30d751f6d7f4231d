"""Prometheus metrics: requests by handler and status, latency, job durations, queue depth.

With several worker processes (`tsunagu serve --workers N`) the CLI points
PROMETHEUS_MULTIPROC_DIR at a fresh folder before the workers start, so every process writes its
counts there and any one of them answers /metrics for all.
"""

from __future__ import annotations

import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tsunagu.context import Services
from tsunagu.registry import action_names

REQUESTS = Counter(
    "tsunagu_http_requests", "HTTP requests answered", ["handler", "method", "status"]
)
LATENCY = Histogram(
    "tsunagu_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["handler"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
JOB_DURATION = Histogram(
    "tsunagu_job_duration_seconds",
    "Time a background job took, by kind (ingest, quality …) and outcome",
    ["kind", "status"],
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
)


def observe_job(kind: str, status: str, seconds: float) -> None:
    JOB_DURATION.labels(kind=kind, status=status).observe(seconds)


def _handler(scope: Scope) -> str:
    """A bounded label: the action name for API calls, else the route's path template."""
    path = scope.get("path", "")
    if "/action/" in path and path.startswith("/api/"):
        name = path.rsplit("/", 1)[-1]
        return f"action:{name}" if name in _known_actions() else "action:unknown"
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


_actions: frozenset[str] = frozenset()


def _known_actions() -> frozenset[str]:
    global _actions
    if not _actions:
        _actions = frozenset(action_names())
    return _actions


class RequestMetrics:
    """ASGI middleware counting every HTTP response and timing it until its last byte."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            handler = _handler(scope)
            REQUESTS.labels(handler=handler, method=scope["method"], status=str(status)).inc()
            LATENCY.labels(handler=handler).observe(time.perf_counter() - started)


class _QueueDepth(Collector):
    """Background jobs waiting or running, read from the database at scrape time (the queue is
    shared by every process, so any process can count it)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self):  # type: ignore[no-untyped-def]
        from tsunagu.datastore.models import IngestJob
        from tsunagu.jobs.models import Job

        family = GaugeMetricFamily(
            "tsunagu_jobs_queued", "Background jobs pending or running", labels=["kind", "status"]
        )
        with self.services.sessions() as session:
            for status, count in session.execute(
                select(IngestJob.status, func.count())
                .where(IngestJob.status.in_(("pending", "running")))
                .group_by(IngestJob.status)
            ):
                family.add_metric(["ingest", status], count)
            for kind, status, count in session.execute(
                select(Job.kind, Job.status, func.count())
                .where(Job.status.in_(("pending", "running")))
                .group_by(Job.kind, Job.status)
            ):
                family.add_metric([kind, status], count)
        yield family


def exposition(services: Services) -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
        process_metrics = generate_latest(registry)
    else:
        from prometheus_client import REGISTRY

        process_metrics = generate_latest(REGISTRY)
    queue = CollectorRegistry()
    queue.register(_QueueDepth(services))
    return process_metrics + generate_latest(queue)


async def metrics_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    body = await run_in_threadpool(exposition, services)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
