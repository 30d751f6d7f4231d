"""The databases tests run on: SQLite always, a throwaway PostgreSQL when its binaries exist."""

from __future__ import annotations

import uuid
from pathlib import Path

from support import postgres_server
from support.missing_parts import skip_or_fail

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
    if server is None:
        skip_or_fail(
            "PostgreSQL", postgres_server.UNAVAILABLE_REASON, required_by="TSUNAGU_REQUIRE_POSTGRES"
        )
    assert server is not None
    return server.create_database("t_" + uuid.uuid4().hex[:12])
