"""Browser fixtures: one demo-loaded server (SQLite; the pages do not depend on the database
engine, which the API tests cover) and one Chromium for the module."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from support.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from support.live_server import LiveServer
from tsunagu.datastore.models import IngestJob
from tsunagu.demo.loader import load_demo


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("web-demo")
    live = LiveServer(
        data_dir=tmp,
        database_url=f"sqlite:///{tmp / 'tsunagu.db'}",
        max_upload_bytes=20 * 1024 * 1024,
    ).start()
    load_demo(live.services)
    _wait_for_ingest(live)
    yield live
    live.stop()


def _wait_for_ingest(live: LiveServer, timeout: float = 180) -> None:
    """The demo queues an ingest per table; pages show previews only once they are done."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with live.services.sessions() as session:
            busy = session.scalar(
                select(func.count())
                .select_from(IngestJob)
                .where(IngestJob.status.in_(("pending", "running")))
            )
        if not busy:
            return
        time.sleep(0.2)
    raise AssertionError("demo ingest did not finish")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
