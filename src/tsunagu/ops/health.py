"""/healthz (the process answers) and /readyz (the database answers and its schema is current),
for load balancers and orchestrators."""

from __future__ import annotations

from functools import cache

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tsunagu.context import Services
from tsunagu.storage.migrate import current, head


@cache
def _head_revision() -> str | None:
    # A database behind the code's migrations needs `tsunagu db upgrade` before serving.
    return head()


def readiness(services: Services) -> tuple[bool, dict[str, str]]:
    checks: dict[str, str] = {}
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready"; the reason goes in the answer
        checks["database"] = f"error: {exc.__class__.__name__}"
        return False, checks
    revision, head = current(services.engine), _head_revision()
    checks["migrations"] = "ok" if revision == head else f"behind: {revision} (head {head})"
    return revision == head, checks


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


async def readyz(request: Request) -> Response:
    services: Services = request.app.state.services
    ready, checks = await run_in_threadpool(readiness, services)
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )
