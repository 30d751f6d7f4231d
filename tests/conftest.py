"""Shared fixtures: storage backends (SQLite always, PostgreSQL when its binaries exist) and a
live server per test module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import databases, no_network, scheduling
from support.demo_copies import DemoCopies
from support.live_server import LiveServer
from support.missing_parts import pytest_terminal_summary  # noqa: F401  (counts skips loudly)
from support.smtp_server import SmtpServer

no_network.install()  # nothing leaves the machine, whatever a test links to


@pytest.hookimpl(trylast=True)  # after pytest has grouped each module's tests by backend
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    scheduling.longest_first(items)


@pytest.fixture(scope="session", autouse=True)
def _stop_postgres() -> Iterator[None]:
    yield
    databases.stop()


@pytest.fixture(scope="session")
def demo_copies() -> Iterator[DemoCopies]:
    """The demo catalog, loaded the first time a module asks for it and copied for each."""
    copies = DemoCopies()
    yield copies
    copies.remove()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    """One real SMTP server for the session; tests find their mail by its recipient."""
    mail = SmtpServer().start()
    yield mail
    mail.stop()


def mail_settings(smtp: SmtpServer) -> dict[str, object]:
    return {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "mail_from": "tsunagu@example.jp"}


@pytest.fixture(scope="module")
def server(
    backend: str, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp(f"server-{backend}")
    live = LiveServer(
        data_dir=tmp,
        database_url=databases.database_url_for(backend, tmp),
        overrides={**mail_settings(smtp), **databases.search_settings(backend)},
    ).start()
    yield live
    live.stop()
