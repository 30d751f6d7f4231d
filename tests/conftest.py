"""Shared fixtures: storage backends (SQLite always, PostgreSQL when its binaries exist) and a
live server per test module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import databases
from support.live_server import LiveServer


@pytest.fixture(scope="session", autouse=True)
def _stop_postgres() -> Iterator[None]:
    yield
    databases.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp(f"server-{backend}")
    live = LiveServer(data_dir=tmp, database_url=databases.database_url_for(backend, tmp)).start()
    yield live
    live.stop()
