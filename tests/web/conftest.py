"""Browser fixtures: one demo-loaded server (SQLite; the pages do not depend on the database
engine, which the API tests cover) and one Chromium for the module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from support.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from support.live_server import LiveServer
from support.waiting import wait_until
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


def _wait_for_ingest(live: LiveServer) -> None:
    """The demo queues an ingest per table; pages show previews only once they are done."""

    def busy() -> int:
        with live.services.sessions() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(IngestJob)
                    .where(IngestJob.status.in_(("pending", "running")))
                )
                or 0
            )

    # The whole demo catalog: longer than one file's ingest.
    wait_until(
        busy,
        "the demo's ingest jobs to finish (jobs still busy)",
        until=lambda n: n == 0,
        timeout=300,
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
