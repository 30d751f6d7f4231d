"""The ingest fetcher resolves each host name once and connects to the address it checked, while
the request keeps naming the host: the Host header, and for https the TLS server name (SNI) and
the certificate check. On every redirect hop. (The guard's refusals, and the rebinding name that
answers public first and loopback afterwards, are driven over the API in
test_fetch_guard_api.py.)

Made-up names resolve to 127.0.0.1 through `support.resolver.fake_dns`, which counts lookups
here; the guard is off (`allow_private=True`, as on the other test servers) so that a loopback
server can stand in for a city's file host. Environment proxies are cleared: with a proxy the
proxy connects (see docs/security.md).
"""

from __future__ import annotations

import re
import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from support.missing_parts import skip_or_fail
from support.resolver import fake_dns
from tsunagu.datastore.fetch import fetch_to_file
from tsunagu.datastore.ingest.model import IngestError

CSV = "名称,定員\n公民館,30\n".encode()
FILE_HOST = "files.city-example.jp"  # the name on the test certificate
OTHER_HOST = "other.city-example.jp"  # resolves to the same server, not on the certificate


class _Recorder(BaseHTTPRequestHandler):
    """Serves the CSV, or a redirect for /redirect?to=URL; records each request's Host."""

    hosts: ClassVar[list[str]] = []
    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hosts.append(self.headers.get("Host", ""))
        self.paths.append(self.path)
        if self.path.startswith("/redirect?to="):
            self.send_response(302)
            self.send_header("Location", self.path.split("=", 1)[1])
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


def _serve(server: ThreadingHTTPServer) -> Iterator[ThreadingHTTPServer]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def plain() -> Iterator[ThreadingHTTPServer]:
    yield from _serve(ThreadingHTTPServer(("127.0.0.1", 0), _Recorder))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        skip_or_fail("openssl", "no openssl command to make a test certificate", "CI")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = (
        f"openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout {key} -out {cert}"
        f" -subj /CN={FILE_HOST} -addext subjectAltName=DNS:{FILE_HOST}"
    )
    subprocess.run(command.split(), check=True, capture_output=True)
    return cert, key


SNI: list[str | None] = []


@pytest.fixture(scope="module")
def tls(certificate: tuple[Path, Path]) -> Iterator[ThreadingHTTPServer]:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _socket, name, _context: SNI.append(name)  # type: ignore[assignment,misc,return-value]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield from _serve(server)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    _Recorder.hosts.clear()
    _Recorder.paths.clear()
    SNI.clear()


def counting_dns(monkeypatch: pytest.MonkeyPatch, *names: str) -> dict[str, int]:
    """Each name resolves to 127.0.0.1; returns the number of lookups per name."""
    lookups = dict.fromkeys(names, 0)

    def answer(name: str) -> Callable[[], str]:
        def resolve() -> str:
            lookups[name] += 1
            return "127.0.0.1"

        return resolve

    fake_dns(monkeypatch, {name: answer(name) for name in names})
    return lookups


def test_the_name_is_resolved_once_and_still_sent_as_host(
    plain: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    lookups = counting_dns(monkeypatch, FILE_HOST)
    port = plain.server_port
    fetched = fetch_to_file(
        f"http://{FILE_HOST}:{port}/evac.csv", tmp_path, max_bytes=1000, allow_private=True
    )
    assert fetched.read_bytes() == CSV
    assert lookups == {FILE_HOST: 1}  # the client connected to the checked address
    assert _Recorder.hosts == [f"{FILE_HOST}:{port}"] and _Recorder.paths == ["/evac.csv"]


def test_every_redirect_hop_is_resolved_once_and_named_in_host(
    plain: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    lookups = counting_dns(monkeypatch, FILE_HOST, OTHER_HOST)
    port = plain.server_port
    url = f"http://{FILE_HOST}:{port}/redirect?to=http://{OTHER_HOST}:{port}/evac.csv"
    fetched = fetch_to_file(url, tmp_path, max_bytes=1000, allow_private=True)
    assert fetched.read_bytes() == CSV
    assert lookups == {FILE_HOST: 1, OTHER_HOST: 1}
    assert _Recorder.hosts == [f"{FILE_HOST}:{port}", f"{OTHER_HOST}:{port}"]


def test_https_sends_the_name_in_sni_and_checks_the_certificate_against_it(
    tls: ThreadingHTTPServer,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust the test certificate only
    lookups = counting_dns(monkeypatch, FILE_HOST, OTHER_HOST)
    port = tls.server_port
    fetched = fetch_to_file(
        f"https://{FILE_HOST}:{port}/evac.csv", tmp_path, max_bytes=1000, allow_private=True
    )
    assert fetched.read_bytes() == CSV
    assert SNI == [FILE_HOST] and _Recorder.hosts == [f"{FILE_HOST}:{port}"]
    assert lookups[FILE_HOST] == 1
    # The same server under a name its certificate does not carry: refused by the TLS check,
    # which is made against the name even though the connection goes to an address.
    with pytest.raises(IngestError, match="取得できませんでした"):
        fetch_to_file(
            f"https://{OTHER_HOST}:{port}/evac.csv", tmp_path, max_bytes=1000, allow_private=True
        )
    assert SNI[-1] == OTHER_HOST and len(_Recorder.hosts) == 1  # nothing was requested


def test_a_name_that_does_not_resolve_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(
        IngestError, match=re.escape("ホスト名を解決できません: no-such-host.invalid")
    ):
        fetch_to_file(
            "http://no-such-host.invalid/x.csv", tmp_path, max_bytes=1000, allow_private=False
        )
