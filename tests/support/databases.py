"""The databases tests run on: SQLite always, a throwaway PostgreSQL when its binaries exist."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from support import postgres_server
from support.missing_parts import skip_or_fail

# PostgreSQL with the catalog search in PostgreSQL too (TSUNAGU_SEARCH_BACKEND=postgresql).
POSTGRES_SEARCH = "postgresql-search"
# A test module that also runs on the PostgreSQL search backend overrides the ``backend``
# fixture with these params (tests/api/test_search.py).
SEARCH_BACKENDS = ("sqlite", "postgresql", POSTGRES_SEARCH)

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


def search_settings(backend: str) -> dict[str, object]:
    """The Settings a backend name adds: the search backend of ``POSTGRES_SEARCH``.

    TSUNAGU_TEST_SEARCH_BACKEND=postgresql runs every PostgreSQL server of the suite on the
    PostgreSQL search backend (the whole suite as a check of that backend)."""
    if backend == POSTGRES_SEARCH or (
        backend == "postgresql" and os.environ.get("TSUNAGU_TEST_SEARCH_BACKEND") == "postgresql"
    ):
        return {"search_backend": "postgresql"}
    return {}
