"""The databases tests run on: SQLite always, a throwaway PostgreSQL when its binaries exist."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from support import postgres_server

_server: postgres_server.PostgresServer | None = None
_tried = False


def postgres() -> postgres_server.PostgresServer | None:
    global _server, _tried
    if not _tried:
        _tried = True
        _server = postgres_server.maybe_start()
    return _server


def stop() -> None:
    if _server is not None:
        _server.stop()


def database_url_for(backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'tsunagu.db'}"
    server = postgres()
    if server is None and os.environ.get("TSUNAGU_REQUIRE_POSTGRES"):
        pytest.fail(f"PostgreSQL required but unavailable: {postgres_server.UNAVAILABLE_REASON}")
    if server is None:
        pytest.skip(f"PostgreSQL unavailable: {postgres_server.UNAVAILABLE_REASON}")
    return server.create_database("t_" + uuid.uuid4().hex[:12])
