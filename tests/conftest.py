"""Shared fixtures: storage backends (SQLite always, PostgreSQL when its binaries exist) and a
live server per test module."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import postgres_server
from support.live_server import LiveServer

_pg: postgres_server.PostgresServer | None = None
_pg_tried = False


def _postgres() -> postgres_server.PostgresServer | None:
    global _pg, _pg_tried
    if not _pg_tried:
        _pg_tried = True
        _pg = postgres_server.maybe_start()
    return _pg


@pytest.fixture(scope="session", autouse=True)
def _stop_postgres() -> Iterator[None]:
    yield
    if _pg is not None:
        _pg.stop()


def database_url_for(backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'tsunagu.db'}"
    server = _postgres()
    if server is None and os.environ.get("TSUNAGU_REQUIRE_POSTGRES"):
        pytest.fail(f"PostgreSQL required but unavailable: {postgres_server.UNAVAILABLE_REASON}")
    if server is None:
        pytest.skip(f"PostgreSQL unavailable: {postgres_server.UNAVAILABLE_REASON}")
    return server.create_database("t_" + uuid.uuid4().hex[:12])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp(f"server-{backend}")
    live = LiveServer(data_dir=tmp, database_url=database_url_for(backend, tmp)).start()
    yield live
    live.stop()
