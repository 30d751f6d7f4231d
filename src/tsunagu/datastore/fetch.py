"""Fetching a linked resource for ingest: http(s) only, size-limited, no private addresses.

The guard against reaching the server's own network (SSRF) resolves each host name once, checks
every address it resolves to, and then connects to one of those checked addresses itself: the
HTTP client never resolves the name again, so a name whose DNS answer changes between the check
and the connection (DNS rebinding) cannot slip through. The request still names the host: the
Host header, and for https the TLS server name (SNI) and the certificate check, use the name,
not the address. The same is done for every redirect hop.

With an egress proxy (``http_proxy``/``https_proxy``/``all_proxy`` in the environment, minus
``no_proxy``), the proxy connects, so it is the proxy that resolves the name: the guard still
refuses names that resolve to internal addresses here before anything is sent, but it cannot pin
the address the proxy will use. Such proxies should refuse internal destinations themselves
(see docs/security.md).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from tsunagu.datastore.ingest.model import IngestError

MAX_REDIRECTS = 3
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Hop:
    """How one URL is requested: through a proxy, or straight to checked addresses."""

    url: httpx.URL
    proxy: str | None = None
    addresses: list[str] = field(default_factory=list)


def _environment_proxy(url: httpx.URL) -> str | None:
    """The proxy the environment names for this URL (the usual ``*_proxy`` variables)."""
    proxies = urllib.request.getproxies_environment()
    if not proxies:
        return None
    host = url.raw_host.decode("ascii")
    if urllib.request.proxy_bypass_environment(host, proxies):
        return None
    return proxies.get(url.scheme) or proxies.get("all")


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise IngestError(f"ホスト名を解決できません: {host}") from None
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _plan(url: str, allow_private: bool) -> Hop:
    """Check ``url`` and decide how to reach it; IngestError when it must not be fetched."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise IngestError(f"http または https の URL だけ取得できます: {url}") from None
    if parsed.scheme not in DEFAULT_PORTS or not parsed.host:
        raise IngestError(f"http または https の URL だけ取得できます: {url}")
    host = parsed.raw_host.decode("ascii")
    addresses = _resolve(host, parsed.port or DEFAULT_PORTS[parsed.scheme])
    if not allow_private:
        for address in addresses:
            if not ipaddress.ip_address(address.split("%")[0]).is_global:
                # Ingest must not become a way to read the server's own network (SSRF).
                raise IngestError(f"内部ネットワークのアドレスは取得できません: {parsed.host}")
    proxy = _environment_proxy(parsed)
    if proxy:
        return Hop(url=parsed, proxy=proxy)
    return Hop(url=parsed, addresses=addresses)


def fetch_to_file(url: str, directory: Path, *, max_bytes: int, allow_private: bool) -> Path:
    """Download `url` into a new file in `directory`; IngestError says why when it cannot."""
    try:
        return _fetch(url, directory, max_bytes=max_bytes, allow_private=allow_private)
    except httpx.TimeoutException:
        raise IngestError(f"時間内に取得できませんでした（タイムアウト）: {url}") from None
    except httpx.HTTPError as error:  # refused, reset, TLS, malformed response …
        raise IngestError(f"取得できませんでした（{type(error).__name__}）: {url}") from None


def _client(proxy: str | None) -> httpx.Client:
    # trust_env=False: the proxy is decided above, never again by httpx. The certificate store
    # still honours SSL_CERT_FILE / SSL_CERT_DIR (e.g. a municipal network's own CA).
    return httpx.Client(
        timeout=TIMEOUT,
        follow_redirects=False,
        trust_env=False,
        proxy=proxy,
        verify=httpx.create_ssl_context(trust_env=True),
    )


def _pinned(hop: Hop, address: str) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    """The request for ``hop`` sent to ``address``, naming the host in Host and TLS SNI."""
    url = hop.url.copy_with(host=address)
    headers = {"Host": hop.url.netloc.decode("ascii")}
    extensions: dict[str, Any] = {}
    if hop.url.scheme == "https":
        # The server name sent in TLS, and the name the certificate is checked against.
        extensions["sni_hostname"] = hop.url.raw_host.decode("ascii")
    return url, headers, extensions


def _fetch(url: str, directory: Path, *, max_bytes: int, allow_private: bool) -> Path:
    handle, name = tempfile.mkstemp(dir=directory, prefix="fetch-")
    os.close(handle)
    target = Path(name)
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        hop = _plan(current, allow_private)
        # One client per hop: a connection made for one host name is never reused for another
        # that happens to share its address.
        with _client(hop.proxy) as client:
            response = _send(client, hop)
            try:
                if response.is_redirect:
                    current = urljoin(current, response.headers.get("location", ""))
                    continue
                if response.status_code != 200:
                    raise IngestError(f"取得に失敗しました（HTTP {response.status_code}）: {url}")
                _save(response, target, max_bytes)
                return target
            finally:
                response.close()
    raise IngestError(f"リダイレクトが多すぎます: {url}")


def _send(client: httpx.Client, hop: Hop) -> httpx.Response:
    """Send the GET for ``hop``, trying each checked address in turn until one connects."""
    if hop.proxy:
        return client.send(client.build_request("GET", hop.url), stream=True)
    failure: httpx.ConnectError | None = None
    for address in hop.addresses:
        url, headers, extensions = _pinned(hop, address)
        request = client.build_request("GET", url, headers=headers, extensions=extensions)
        try:
            return client.send(request, stream=True)
        except httpx.ConnectError as error:
            failure = error
    assert failure is not None  # _resolve never returns an empty list
    raise failure


def _save(response: httpx.Response, target: Path, max_bytes: int) -> None:
    size = 0
    with target.open("wb") as out:
        for chunk in response.iter_bytes(1024 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise IngestError(f"ファイルが大きすぎます（上限 {max_bytes // (1024 * 1024)} MB）")
            out.write(chunk)
