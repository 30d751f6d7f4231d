"""The portal benchmark's profile of the slowest pages, rendered in-process."""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from pathlib import Path
from typing import Any

import portal_bench.config  # noqa: F401  (this run's copy of src/ first on sys.path)
from tsunagu.bootstrap import build_services
from tsunagu.config import Settings


def profile_pages(data_dir: Path, db_path: Path, paths: list[str], repeat: int) -> str:
    """cProfile around a page's view, called in this thread (the route matched as Starlette
    would, the search index built as at server start, no ingest workers): where the time goes
    between the actions, the template and the rest. Middleware and uvicorn are left out."""
    from urllib.parse import urlsplit

    from starlette.requests import Request
    from starlette.routing import Match

    from tsunagu.app import create_app

    settings = Settings.from_env(
        data_dir=data_dir, database_url=f"sqlite:///{db_path}", ingest_workers=0, map_tiles=""
    )
    services = build_services(settings)
    app = create_app(settings, services)
    with services.sessions() as session:
        services.search.rebuild(session)

    def call(path: str) -> int:
        parts = urlsplit(path)
        scope: dict[str, Any] = {
            "type": "http",
            "method": "GET",
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(),
            "headers": [(b"host", b"127.0.0.1")],
            "app": app,
            "session": {},
            "state": {},
        }
        for route in app.routes:
            match, child = route.matches(scope)
            if match == Match.FULL:
                scope.update(child)
                return int(route.endpoint(Request(scope)).status_code)  # type: ignore[attr-defined]
        raise RuntimeError(f"no route for {path}")

    out = []
    for path in paths:
        for _ in range(5):
            if call(path) != 200:
                raise RuntimeError(f"{path} did not answer 200")
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(repeat):
            call(path)
        profiler.disable()
        each = (time.perf_counter() - started) / repeat * 1000
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(r"tsunagu|jinja2|sqlalchemy/orm/session", 40)
        out.append(f"### {path}: {each:.1f} ms per view call under cProfile ({repeat} runs)\n")
        out.append(text.getvalue())
    services.engine.dispose()
    return "\n".join(out)
