"""Browser fixtures: a server on a copy of the demo catalog (SQLite; the pages do not depend on the database
engine, which the API tests cover) and one Chromium for the module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from support.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from support.demo_copies import DemoCopies
from support.live_server import LiveServer


@pytest.fixture(scope="module")
def demo_server(
    demo_copies: DemoCopies, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    live = demo_copies.start("sqlite", tmp_path_factory.mktemp("web-demo"))
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
