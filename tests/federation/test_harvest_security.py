"""Harvest URLs are http(s) only, and private, loopback and link-local addresses are refused
unless the server names them (``harvest_private_networks``): when the source is made, after DNS
(a name that turns into a loopback address later), and after redirects. Credentials meant for
the source never follow a redirect to another host. A job has a time limit. SQLite only: the
guard does not touch the database."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import ckanapi
import pytest

from support.fake_ckan import FakeCkan, package, serve
from support.harvest import harvest, harvesting_server
from support.live_server import LiveServer
from support.resolver import fake_dns

REFUSED = "内部ネットワークのアドレス"
PUBLIC = "93.184.216.34"  # a public address: never connected to here (the guard refuses first)
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCkan]:
    yield from serve()


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The default: no private network may be harvested."""
    live = LiveServer(data_dir=tmp_path_factory.mktemp("guarded")).start()
    assert live.services.settings.harvest_private_networks == ()
    live.act("organization_create", {"name": "guard-city", "title": "市"})
    yield live
    live.stop()


@pytest.fixture(scope="module")
def open_to_loopback(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = harvesting_server("sqlite", tmp_path_factory.mktemp("loopback"))
    live.act("organization_create", {"name": "guard-city", "title": "市"})
    yield live
    live.stop()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def admin_of(live: LiveServer) -> ckanapi.RemoteCKAN:
    return live.ckan(live.make_user(f"guard-admin-{next(_serial)}", sysadmin=True))


def create(admin: ckanapi.RemoteCKAN, url: str, **values: object) -> str:
    name = f"guard-{next(_serial)}"
    admin.action.harvest_source_create(
        name=name, url=url, source_type="ckan", owner_org="guard-city", **values
    )
    return name


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/",
        "http://[::1]/",
        "http://10.0.0.8/",
        "http://192.168.1.10/ckan",
        "http://169.254.169.254/latest/meta-data/",
        "http://loopback.city-example.jp/",
    ],
)
def test_internal_addresses_are_refused_when_the_source_is_made(
    guarded: LiveServer, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    fake_dns(monkeypatch, {"loopback.city-example.jp": "127.0.0.1"})
    with pytest.raises(ckanapi.ValidationError) as error:
        create(admin_of(guarded), url)
    assert REFUSED in str(error.value.error_dict["url"])


def test_a_name_that_turns_into_a_loopback_address_is_refused_when_fetched(
    guarded: LiveServer, fake: FakeCkan, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = f"rebind{next(_serial)}"
    fake.site(site).datasets = [package("x", "x", "取れてはならない")]
    answers = iter([PUBLIC])  # public while the source is made, loopback afterwards
    fake_dns(monkeypatch, {"rebind.city-example.jp": lambda: next(answers, "127.0.0.1")})
    admin = admin_of(guarded)
    source = create(admin, fake.url(site, host="rebind.city-example.jp"))
    job = harvest(admin, source)
    assert job["job_status"] == "error"
    assert REFUSED in job["message"]
    assert fake.sites[site].requests == []


def test_a_redirect_to_an_internal_address_is_refused(
    open_to_loopback: LiveServer, fake: FakeCkan
) -> None:
    site = f"redirect{next(_serial)}"
    fake.site(site, mode="redirect", redirect_to="http://169.254.169.254/")
    admin = admin_of(open_to_loopback)
    job = harvest(admin, create(admin, fake.url(site)))
    assert job["job_status"] == "error"
    assert REFUSED in job["message"] and "169.254.169.254" in job["message"]


@pytest.mark.parametrize("target", ["file:///etc/", "ftp://ckan.city-example.jp/"])
def test_a_redirect_away_from_http_is_refused(
    open_to_loopback: LiveServer, fake: FakeCkan, target: str
) -> None:
    site = f"scheme{next(_serial)}"
    fake.site(site, mode="redirect", redirect_to=target)
    admin = admin_of(open_to_loopback)
    job = harvest(admin, create(admin, fake.url(site)))
    assert job["job_status"] == "error"
    assert "http または https の URL だけ取得できます" in job["message"]
    assert target in job["message"]


def test_the_key_is_sent_to_the_source_and_never_to_another_host(
    open_to_loopback: LiveServer, fake: FakeCkan, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dns(
        monkeypatch,
        {"ckan.city-example.jp": "127.0.0.1", "mirror.city-example.net": "127.0.0.1"},
    )
    first, second = f"moved{next(_serial)}", f"mirror{next(_serial)}"
    fake.site(second).datasets = [package("m1", "m1", "移転先のデータ")]
    fake.site(
        first, mode="redirect", redirect_to=fake.url(second, host="mirror.city-example.net") + "/"
    )
    key = "source-api-key-0123456789"
    admin = admin_of(open_to_loopback)
    source = create(admin, fake.url(first, host="ckan.city-example.jp"), api_key=key)
    job = harvest(admin, source)
    assert job["job_status"] == "complete" and job["counts"]["added"] == 1
    sent_first = [headers.get("Authorization") for _, headers, _ in fake.sites[first].requests]
    sent_second = [headers.get("Authorization") for _, headers, _ in fake.sites[second].requests]
    assert sent_first and set(sent_first) == {key}
    assert sent_second and set(sent_second) == {None}


def test_a_job_stops_at_its_time_limit_and_withdraws_nothing(
    fake: FakeCkan, tmp_path: Path
) -> None:
    site = f"slow{next(_serial)}"
    fake.site(site, delay=0.4).datasets = [
        package(f"s{n}", f"s{n}", f"遅い {n}") for n in range(30)
    ]
    live = harvesting_server("sqlite", tmp_path, harvest_job_max_seconds=2)
    try:
        live.act("organization_create", {"name": "guard-city", "title": "市"})
        admin = admin_of(live)
        source = create(admin, fake.url(site), config={"page_size": 1, "withdraw_after_days": 0})
        job = harvest(admin, source)
        assert job["job_status"] == "error"
        assert "時間の上限に達したため" in job["message"]
        assert 0 < job["counts"]["added"] < 30 and job["counts"]["withdrawn"] == 0
    finally:
        live.stop()
