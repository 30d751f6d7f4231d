"""災害モード across app processes, on SQLite and PostgreSQL: two live servers on one database,
the first one loaded with requests while the second stays quiet. A sysadmin's switch and the
switch by load reach every process through system_info, and each process's 避難場所 pages
follow data changed through the other.

Short settings so that a test takes seconds: at least 10 requests a second over 2 s switch the
mode on, 5 keep it on, and it goes off 5 s after the load ends. The tests read each process's
own copy of the switch (what its requests read) and its answers over HTTP, never a mock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import ckanapi
import pytest
import requests
from sqlalchemy import select

from support import databases
from support.live_server import LiveServer
from support.shelters import organization, page, page_until, shelter, shelter_dataset
from support.waiting import wait_until
from tsunagu.catalog.models import SystemInfo
from tsunagu.disaster.runtime import disaster_of
from tsunagu.disaster.state import AUTO_KEY
from tsunagu.storage.types import utcnow

RPS, WINDOW, OFF_RATIO, CALM = 10.0, 2, 0.5, 5
SETTINGS = {
    "disaster_auto_rps": RPS,
    "disaster_auto_window_seconds": WINDOW,
    "disaster_auto_off_ratio": OFF_RATIO,
    "disaster_auto_calm_seconds": CALM,
}
# How long a test watches the mode stay as it is: a window, the margin after a sysadmin's
# switch (load.py counted_from) and a few worker rounds.
WATCH = WINDOW + 4


@pytest.fixture(scope="module")
def busy(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The process the tests load with requests."""
    tmp = tmp_path_factory.mktemp(f"auto-{backend}")
    live = LiveServer(
        data_dir=tmp, database_url=databases.database_url_for(backend, tmp), overrides=SETTINGS
    ).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def quiet(busy: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Another process on the same database, with the same settings, that gets no load."""
    live = LiveServer(
        data_dir=tmp_path_factory.mktemp("auto-quiet"),
        database_url=busy.database_url,
        overrides=SETTINGS,
    ).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def sysadmin(busy: LiveServer) -> ckanapi.RemoteCKAN:
    return busy.ckan(busy.make_user("auto-sysadmin", sysadmin=True))


@pytest.fixture
def calm_start(busy: LiveServer, quiet: LiveServer, sysadmin: ckanapi.RemoteCKAN) -> Iterator[None]:
    """A test starts with the mode off everywhere and load allowed to switch it, and leaves it
    so (a sysadmin's off right after the load is not undone by it: see the last test)."""
    sysadmin.action.disaster_mode_update(on=False, automatic=True)
    wait_until(lambda: on_in(busy) or on_in(quiet), "the mode off", until=lambda on: not on)
    yield
    sysadmin.action.disaster_mode_update(on=False, automatic=True)


class Load:
    """Requests to the busy process's 避難場所 page (cheap, so the client, not the server, sets
    the pace), about 40 a second, well over the threshold, until stopped."""

    def __init__(self, server: LiveServer) -> None:
        self.url = server.url + "/hinan"
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load", daemon=True)

    def _run(self) -> None:
        with requests.Session() as session:
            while not self._stop.is_set():
                session.get(self.url, timeout=30).raise_for_status()
                self.sent += 1
                self._stop.wait(0.025)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def on_in(server: LiveServer) -> bool:
    """Whether the mode is on for this process's requests (its own copy, no database)."""
    return disaster_of(server.services).mode.on()


def stays(servers: tuple[LiveServer, ...], on: bool, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert [on_in(s) for s in servers] == [on] * len(servers)
        time.sleep(0.1)


def home_leads_to_the_page(server: LiveServer) -> bool:
    response = page(server, "/")
    return response.status_code == 302 and response.headers["location"] == "/hinan"


def stored_until(server: LiveServer) -> datetime | None:
    with server.services.sessions() as session:
        value = session.scalar(select(SystemInfo.value).where(SystemInfo.key == AUTO_KEY))
    return datetime.fromisoformat(value) if value else None


def show(server: LiveServer) -> dict[str, Any]:
    return dict(server.ckan().action.disaster_mode_show())


@pytest.mark.usefixtures("calm_start")
def test_load_switches_every_process_on_keeps_it_on_and_it_goes_off_when_calm(
    busy: LiveServer, quiet: LiveServer, sysadmin: ckanapi.RemoteCKAN
) -> None:
    # A few requests a second are not a disaster.
    for _ in range(16):  # 8 s: past counted_from after calm_start's switch, and a window
        page(busy, "/hinan")
        time.sleep(0.5)
    assert not on_in(busy) and not on_in(quiet)
    assert stored_until(busy) is None
    with Load(busy) as load:
        wait_until(lambda: on_in(quiet), "load on one process to switch the other's mode on")
        # The quiet process follows the row in system_info, not its own load.
        assert disaster_of(quiet.services).load.rate(WINDOW) < RPS
        assert disaster_of(busy.services).load.rate(WINDOW) >= RPS
        until = stored_until(busy)
        assert until is not None and until > utcnow()
        shown = show(quiet)
        assert shown["on"] and shown["automatic"] and not shown["manual"]
        assert shown["automatic_until"] is not None and shown["message"] == ""
        assert home_leads_to_the_page(quiet) and home_leads_to_the_page(busy)
        settings = sysadmin.action.disaster_mode_show()["automatic_settings"]
        assert settings == {
            "requests_per_second": RPS,
            "window_seconds": WINDOW,
            "off_ratio": OFF_RATIO,
            "calm_seconds": CALM,
        }
        # One busy process keeps it on for all, longer than the calm period.
        stays((busy, quiet), True, CALM + 2)
        assert load.sent > (CALM + 2) * RPS
    stopped = time.monotonic()
    # Still on for a while after the load ends, then off by itself everywhere.
    assert on_in(busy) and on_in(quiet)
    wait_until(
        lambda: on_in(busy) or on_in(quiet), "the mode to go off when calm", until=lambda v: not v
    )
    # The period ends a calm period after the last extension, which comes at most
    # min(5 s, calm / 2) before the load stopped (load.py next_until).
    assert time.monotonic() - stopped >= CALM - min(5, CALM / 2) - 0.5
    shown = show(quiet)
    assert not shown["on"] and not shown["automatic"] and shown["automatic_until"] is None
    assert page(quiet, "/").status_code == 200


@pytest.mark.usefixtures("calm_start")
def test_a_sysadmin_may_keep_load_from_switching_it_on(
    busy: LiveServer, quiet: LiveServer, sysadmin: ckanapi.RemoteCKAN
) -> None:
    with Load(busy):
        wait_until(lambda: on_in(busy) and on_in(quiet), "load to switch the mode on")
        shown = sysadmin.action.disaster_mode_update(on=False, automatic=False)
        assert not shown["on"] and not shown["automatic_allowed"]
        assert stored_until(busy) is None
        # The load goes on; the mode stays off in every process.
        wait_until(
            lambda: on_in(quiet), "the other process to see the switch", until=lambda v: not v
        )
        stays((busy, quiet), False, WATCH)
        assert not home_leads_to_the_page(quiet)
        assert show(quiet)["automatic_allowed"] is False
        # Allowed again, load that goes on switches it on again.
        sysadmin.action.disaster_mode_update(on=False, automatic=True)
        wait_until(lambda: on_in(quiet), "the load to switch the mode on again")
        assert show(busy)["automatic"] is True


@pytest.mark.usefixtures("calm_start")
def test_switching_off_right_after_a_burst_is_not_undone_by_it(
    busy: LiveServer, quiet: LiveServer, sysadmin: ckanapi.RemoteCKAN
) -> None:
    """The window still holds the burst when the sysadmin switches off; only requests after the
    switch count, so the mode stays off (it came back on within a second before)."""
    with Load(busy):
        wait_until(lambda: on_in(busy), "load to switch the mode on")
    assert disaster_of(busy.services).load.rate(WINDOW) >= RPS  # the burst, still in the window
    shown = sysadmin.action.disaster_mode_update(on=False)
    assert not shown["on"] and shown["automatic_allowed"]
    stays((busy,), False, 2)  # the process that switched, at once (it came back within 1 s)
    wait_until(lambda: on_in(quiet), "the other process to see the switch", until=lambda v: not v)
    stays((busy, quiet), False, WATCH)
    assert stored_until(busy) is None
    assert not home_leads_to_the_page(busy)


def test_no_threshold_no_automatic_switch(tmp_path: Path) -> None:
    """The default (disaster_auto_rps 0): no load switches the mode on."""
    live = LiveServer(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'tsunagu.db'}",
        overrides={"disaster_auto_window_seconds": 1},
    ).start()
    try:
        assert live.services.settings.disaster_auto_rps == 0
        with Load(live):
            wait_until(
                lambda: disaster_of(live.services).load.rate(1),
                "the load to be counted",
                until=lambda rate: rate >= RPS,
            )
            stays((live,), False, 3)
        assert stored_until(live) is None
    finally:
        live.stop()


@pytest.mark.usefixtures("calm_start")
def test_a_sysadmins_switch_reaches_every_process(
    busy: LiveServer, quiet: LiveServer, sysadmin: ckanapi.RemoteCKAN
) -> None:
    message = "大雨特別警報に伴い避難所を開設しています"
    sysadmin.action.disaster_mode_update(on=True, message=message)
    assert on_in(busy)  # the process that switched, at once
    wait_until(lambda: home_leads_to_the_page(quiet), "the other process to lead to the page")
    html = page_until(quiet, "/hinan", lambda t: message in t, "the message on its page")
    assert f'<p class="alert">{message}</p>' in html
    shown = show(quiet)
    assert shown["on"] and shown["manual"] and not shown["automatic"]
    sysadmin.action.disaster_mode_update(on=False)
    wait_until(lambda: page(quiet, "/").status_code, "its home page", until=lambda s: s == 200)
    page_until(quiet, "/hinan", lambda t: message not in t, "the message to go")


def test_pages_follow_data_changed_through_another_process(
    busy: LiveServer, quiet: LiveServer
) -> None:
    code = "352128"  # 柳井市
    organization(busy, "proc-city", "柳井市", code)
    resource = shelter_dataset(
        busy,
        "proc-city",
        "proc-city-hinan",
        [shelter("別プロセス公民館", "山口県柳井市南町1-1", code, 33.96, 132.10, ("洪水",))],
    )
    html = page_until(quiet, "/hinan", lambda t: "別プロセス公民館" in t, "the new shelter")
    assert "対象の災害: 洪水" in html
    busy.act(
        "datastore_upsert",
        {
            "resource_id": resource,
            "method": "insert",
            "records": [
                shelter("別プロセス体育館", "山口県柳井市南町2-2", code, 33.97, 132.11, ("地震",))
            ],
        },
    )
    page_until(quiet, "/hinan", lambda t: "別プロセス体育館" in t, "the added shelter")
    busy.act("package_patch", {"id": "proc-city-hinan", "private": True})
    page_until(quiet, "/hinan", lambda t: "別プロセス" not in t, "the shelters to go")
