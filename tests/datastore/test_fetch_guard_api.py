"""The guard against fetching the server's own network (SSRF), driven over the API with the
default setting (`ingest_allow_private_urls` off; the other test servers turn it on so they can
serve linked files from 127.0.0.1).

A linked resource is created through the API and its ingest must end with the guard's error:
for loopback, private and link-local addresses (the cloud metadata address among them), for a
public-looking host name that resolves to loopback, and for a redirect to any of these.

No network is used. Two stand-ins make "public" hosts possible offline, and neither touches the
guard's code:
- `support.resolver.fake_dns` answers for a few made-up names (the guard and httpx both resolve
  through `socket.getaddrinfo`), e.g. a city's file host resolving to 127.0.0.1, or a public
  site resolving to a public address;
- the public site is reached through an egress proxy (`http_proxy`, which httpx honours as it
  would in a municipality's network): a small server here answers for it, serving a file or a
  redirect. The guard still checks the first host and every redirect target by name and
  address before any request is sent, exactly as without a proxy.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import ckanapi
import pytest

from support import databases
from support.live_server import LiveServer
from support.resolver import fake_dns, refuse_egress
from support.waiting import wait_until
from tsunagu.datastore.fetch import fetch_to_file

CSV = "名称,定員\n公民館,30\n".encode()
REFUSED = "内部ネットワークのアドレスは取得できません"
# A public address (is_global) for the made-up public site; never connected to: requests for the
# site go to the proxy below.
PUBLIC_ADDRESS = "93.184.216.34"
PUBLIC_SITE = "www.city-example.jp"
LOOPBACK_NAME = "opendata.city-example.jp"  # looks public, resolves to 127.0.0.1


class _Files(BaseHTTPRequestHandler):
    """Serves the CSV for any path; also answers proxied requests for the public site:
    /redirect?to=URL redirects there, anything else is the CSV."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        parts = urlsplit(self.path)
        if parts.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", parse_qs(parts.query)["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/csv; charset=utf-8")
        self.send_header("Content-Length", str(len(CSV)))
        self.end_headers()
        self.wfile.write(CSV)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def files() -> Iterator[ThreadingHTTPServer]:
    """An HTTP server on 127.0.0.1: the file a refused fetch would have reached, and the proxy."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def guarded(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with the default setting, on SQLite and PostgreSQL (the refusal is written to
    the ingest job in the database either way)."""
    tmp = tmp_path_factory.mktemp(f"guarded-{backend}")
    live = LiveServer(
        data_dir=tmp,
        database_url=databases.database_url_for(backend, tmp),
        overrides={"ingest_allow_private_urls": False},
    ).start()
    assert live.services.settings.ingest_allow_private_urls is False
    live.make_user("guard-admin", sysadmin=True)
    live.act("organization_create", {"name": "guard-org", "title": "市"})
    live.act("package_create", {"name": "guard-ds", "title": "リンク", "owner_org": "guard-org"})
    yield live
    live.stop()


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch, files: ThreadingHTTPServer) -> ThreadingHTTPServer:
    """The made-up names, and the proxy for plain http (loopback itself is never proxied, so the
    test's own API calls go straight to the test server)."""
    fake_dns(
        monkeypatch,
        {
            PUBLIC_SITE: PUBLIC_ADDRESS,
            "www2.city-example.jp": PUBLIC_ADDRESS,
            LOOPBACK_NAME: "127.0.0.1",
        },
    )
    proxy = f"http://127.0.0.1:{files.server_port}"
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, proxy)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "127.0.0.1,localhost,::1")
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    _Files.seen.clear()
    return files


def ingest_of(live: LiveServer, url: str) -> dict[str, Any]:
    """Link `url` as a CSV resource through the API and wait for its ingest to end."""
    admin = live.ckan(live.act("api_token_create", {"user": "guard-admin", "name": "t"})["token"])
    resource = admin.action.resource_create(package_id="guard-ds", name=url, format="CSV", url=url)

    def status() -> dict[str, Any]:
        try:
            return dict(admin.action.datastore_ingest_status(resource_id=resource["id"]))
        except ckanapi.NotFound:
            return {"status": "none"}

    return wait_until(
        status,
        f"the ingest of {url}",
        until=lambda s: s["status"] in ("complete", "error"),
    )


def assert_refused(status: dict[str, Any], host: str) -> None:
    assert status["status"] == "error", status
    assert status["error"]["message"] == f"{REFUSED}: {host}", status["error"]
    assert not status["fields"]  # nothing was published


def internal_urls(port: int) -> dict[str, tuple[str, str]]:
    """name → (URL, host the error names); the first two would really reach the file server."""
    return {
        "loopback": (f"http://127.0.0.1:{port}/evac.csv", "127.0.0.1"),
        "name-resolving-to-loopback": (f"http://{LOOPBACK_NAME}:{port}/evac.csv", LOOPBACK_NAME),
        "localhost": (f"http://localhost:{port}/evac.csv", "localhost"),
        "private-10": ("http://10.0.0.1/evac.csv", "10.0.0.1"),
        "metadata": ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        "ipv6-loopback": (f"http://[::1]:{port}/evac.csv", "::1"),
    }


CASES = list(internal_urls(0))


@pytest.mark.parametrize("case", CASES)
def test_a_link_to_the_internal_network_is_refused(
    guarded: LiveServer, network: ThreadingHTTPServer, case: str
) -> None:
    url, host = internal_urls(network.server_port)[case]
    assert_refused(ingest_of(guarded, url), host)
    assert _Files.seen == []  # nothing was requested, not even through the proxy


@pytest.mark.parametrize("case", CASES)
def test_a_redirect_to_the_internal_network_is_refused(
    guarded: LiveServer, network: ThreadingHTTPServer, case: str
) -> None:
    target, host = internal_urls(network.server_port)[case]
    status = ingest_of(guarded, f"http://{PUBLIC_SITE}/redirect?to={target}")
    assert_refused(status, host)
    # The public first hop was fetched (through the proxy); the redirect target never was.
    assert len(_Files.seen) == 1 and _Files.seen[0].startswith(f"http://{PUBLIC_SITE}/redirect")


def test_public_links_and_public_redirects_still_work(
    guarded: LiveServer, network: ThreadingHTTPServer
) -> None:
    """The control: the same set-up fetches public files, directly and after a redirect, so
    the refusals above are the guard's doing and not the set-up's."""
    direct = ingest_of(guarded, f"http://{PUBLIC_SITE}/evac.csv")
    assert direct["status"] == "complete", direct
    redirected = ingest_of(
        guarded, f"http://{PUBLIC_SITE}/redirect?to=http://www2.city-example.jp/evac.csv"
    )
    assert redirected["status"] == "complete", redirected
    assert [p.split("?")[0] for p in _Files.seen] == [
        f"http://{PUBLIC_SITE}/evac.csv",
        f"http://{PUBLIC_SITE}/redirect",
        "http://www2.city-example.jp/evac.csv",
    ]


def test_the_loopback_name_really_leads_to_the_file_server(
    network: ThreadingHTTPServer, tmp_path: Path
) -> None:
    """Without the guard (the setting the other test servers use), the made-up name reaches the
    local file server: so its refusal above is not a failure to resolve it."""
    url = f"http://{LOOPBACK_NAME}:{network.server_port}/evac.csv"
    fetched = fetch_to_file(url, tmp_path, max_bytes=1000, allow_private=True)
    assert fetched.read_bytes() == CSV


def test_a_name_that_changes_its_answer_after_the_check_is_refused(
    guarded: LiveServer, files: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter([PUBLIC_ADDRESS])  # the first lookup is public, every later one loopback
    fake_dns(monkeypatch, {"rebind.city-example.jp": lambda: next(answers, "127.0.0.1")})
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    # The fetch must aim at the address it checked; nothing may leave the machine meanwhile.
    attempts = refuse_egress(monkeypatch)
    status = ingest_of(guarded, f"http://rebind.city-example.jp:{files.server_port}/evac.csv")
    assert status["status"] == "error", "the file on loopback was fetched and published"
    assert attempts and set(attempts) == {PUBLIC_ADDRESS}, attempts
