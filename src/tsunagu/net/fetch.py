"""The one guarded HTTP client: http(s) only, size- and time-limited, no private addresses.

Used by the datastore (a linked file fetched for ingest) and by harvesting (another catalog's
API, a DCAT file, an オープンデータ一覧 file). Whatever the caller, a URL given by a user must not
become a way to read the server's own network (SSRF).

The guard resolves each host name once, checks every address it resolves to, and then connects
to one of those checked addresses itself: the HTTP client never resolves the name again, so a
name whose DNS answer changes between the check and the connection (DNS rebinding) cannot slip
through. The request still names the host: the Host header, and for https the TLS server name
(SNI) and the certificate check, use the name, not the address. The same is done for every
redirect hop.

Private, loopback and link-local addresses are refused unless the caller allows them all
(``allow_private``) or names the networks it may reach (``allowed_networks``, e.g. a
municipality's CKAN on the prefecture's closed network, or 127.0.0.1 in tests).

With an egress proxy (``http_proxy``/``https_proxy``/``all_proxy`` in the environment, minus
``no_proxy``), the proxy connects, so it is the proxy that resolves the name: the guard still
refuses names that resolve to internal addresses here before anything is sent, but it cannot pin
the address the proxy will use. Such proxies should refuse internal destinations themselves
(see docs/security.md).
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
import ssl
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

MAX_REDIRECTS = 3
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_PORTS = {"http": 80, "https": 443}
# Request headers that carry credentials: never sent on to another host after a redirect.
_SECRET_HEADERS = ("authorization", "x-ckan-api-key", "cookie")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class FetchError(Exception):
    """A URL that must not or could not be fetched; ``message`` says why in Japanese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TooLarge(FetchError):
    """The response went over the size limit (its first bytes were read, the rest never)."""


@dataclass(frozen=True)
class Hop:
    """How one URL is requested: through a proxy, or straight to checked addresses."""

    url: httpx.URL
    proxy: str | None = None
    addresses: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Fetched:
    """A final (non-redirect) answer, whatever its status, with its body read within limits."""

    url: str  # after redirects
    status: int
    headers: httpx.Headers
    content: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def networks(specs: Iterable[str]) -> tuple[Network, ...]:
    """``("127.0.0.1", "10.1.0.0/16")`` → networks; a malformed entry is a ValueError."""
    return tuple(ipaddress.ip_network(spec.strip(), strict=False) for spec in specs if spec.strip())


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
        raise FetchError(f"ホスト名を解決できません: {host}") from None
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def address_allowed(address: str, allow_private: bool, allowed: Iterable[Network] = ()) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if allow_private or ip.is_global:
        return True
    return any(ip.version == net.version and ip in net for net in allowed)


def check_url(url: str) -> httpx.URL:
    """``url`` parsed, if it is an http(s) URL with a host; FetchError otherwise."""
    try:
        parsed = httpx.URL(url)
        host = parsed.host  # decoded lazily: a malformed IDNA label fails here
    except (httpx.InvalidURL, TypeError, ValueError):  # IDNA errors are ValueErrors too
        raise FetchError(f"http または https の URL だけ取得できます: {url}") from None
    if parsed.scheme not in DEFAULT_PORTS or not host:
        raise FetchError(f"http または https の URL だけ取得できます: {url}")
    return parsed


def plan(url: str, allow_private: bool, allowed: Iterable[Network] = ()) -> Hop:
    """Check ``url`` and decide how to reach it; FetchError when it must not be fetched."""
    parsed = check_url(url)
    host = parsed.raw_host.decode("ascii")
    addresses = _resolve(host, parsed.port or DEFAULT_PORTS[parsed.scheme])
    allowed = tuple(allowed)
    for address in addresses:
        if not address_allowed(address, allow_private, allowed):
            raise FetchError(f"内部ネットワークのアドレスは取得できません: {parsed.host}")
    proxy = _environment_proxy(parsed)
    if proxy:
        return Hop(url=parsed, proxy=proxy)
    return Hop(url=parsed, addresses=addresses)


@functools.lru_cache(maxsize=4)
def _ssl_context(_cafile: str | None, _capath: str | None) -> ssl.SSLContext:
    # Loading the certificate store takes ~60 ms: once per store, not once per request (a
    # harvest makes hundreds). Keyed by the variables that choose the store.
    return httpx.create_ssl_context(trust_env=True)


def _client(proxy: str | None, timeout: httpx.Timeout) -> httpx.Client:
    # trust_env=False: the proxy is decided above, never again by httpx. The certificate store
    # still honours SSL_CERT_FILE / SSL_CERT_DIR (e.g. a municipal network's own CA).
    return httpx.Client(
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        proxy=proxy,
        verify=_ssl_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")),
    )


def _pinned(
    hop: Hop, address: str, headers: Mapping[str, str]
) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    """The request for ``hop`` sent to ``address``, naming the host in Host and TLS SNI."""
    url = hop.url.copy_with(host=address)
    sent = {**headers, "Host": hop.url.netloc.decode("ascii")}
    extensions: dict[str, Any] = {}
    if hop.url.scheme == "https":
        # The server name sent in TLS, and the name the certificate is checked against.
        extensions["sni_hostname"] = hop.url.raw_host.decode("ascii")
    return url, sent, extensions


def _send(client: httpx.Client, hop: Hop, headers: Mapping[str, str]) -> httpx.Response:
    """Send the GET for ``hop``, trying each checked address in turn until one connects."""
    if hop.proxy:
        return client.send(client.build_request("GET", hop.url, headers=dict(headers)), stream=True)
    failure: httpx.ConnectError | None = None
    for address in hop.addresses:
        url, sent, extensions = _pinned(hop, address, headers)
        request = client.build_request("GET", url, headers=sent, extensions=extensions)
        try:
            return client.send(request, stream=True)
        except httpx.ConnectError as error:
            failure = error
    assert failure is not None  # _resolve never returns an empty list
    raise failure


class _Deadline:
    """The whole fetch, every hop and every chunk, must end by this time: a server that drips
    a byte at a time never trips a per-read timeout."""

    def __init__(self, seconds: float | None, url: str) -> None:
        self.ends = time.monotonic() + seconds if seconds else None
        self.url = url

    def check(self) -> None:
        if self.ends is not None and time.monotonic() > self.ends:
            raise FetchError(f"時間内に取得できませんでした（タイムアウト）: {self.url}")


def _follow(
    url: str,
    *,
    allow_private: bool,
    allowed: tuple[Network, ...],
    headers: Mapping[str, str],
    timeout: httpx.Timeout,
    deadline: _Deadline,
    consume: Any,
) -> Any:
    """Request ``url``, following redirects through the guard, and hand the final response
    to ``consume`` (which reads its body) while it is open."""
    current = url
    sent = dict(headers)
    first_host = check_url(url).host
    for _ in range(MAX_REDIRECTS + 1):
        deadline.check()
        hop = plan(current, allow_private, allowed)
        if hop.url.host != first_host:
            # Credentials meant for the source are never handed to another host.
            sent = {k: v for k, v in sent.items() if k.lower() not in _SECRET_HEADERS}
        # One client per hop: a connection made for one host name is never reused for another
        # that happens to share its address.
        with _client(hop.proxy, timeout) as client:
            response = _send(client, hop, sent)
            try:
                if response.is_redirect:
                    current = urljoin(current, response.headers.get("location", ""))
                    continue
                return consume(current, response)
            finally:
                response.close()
    raise FetchError(f"リダイレクトが多すぎます: {url}")


def _read(
    response: httpx.Response, max_bytes: int, deadline: _Deadline, out: Any, noun: str
) -> None:
    size = 0
    for chunk in response.iter_bytes(256 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"{noun}が大きすぎます（上限 {_megabytes(max_bytes)}）")
        out(chunk)
        deadline.check()


def _megabytes(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} バイト"


def _translated(url: str, call: Any) -> Any:
    try:
        return call()
    except httpx.TimeoutException:
        raise FetchError(f"時間内に取得できませんでした（タイムアウト）: {url}") from None
    except httpx.HTTPError as error:  # refused, reset, TLS, malformed response …
        raise FetchError(f"取得できませんでした（{type(error).__name__}）: {url}") from None


def fetch_bytes(
    url: str,
    *,
    max_bytes: int,
    allow_private: bool = False,
    allowed_networks: Iterable[Network] = (),
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    timeout: float = 30.0,
    total_seconds: float | None = None,
) -> Fetched:
    """GET ``url`` (with ``params`` added to its query) and read the final answer's body into
    memory, whatever its status; FetchError says why when it cannot."""
    if params:
        url = str(check_url(url).copy_merge_params({k: v for k, v in params.items()}))
    deadline = _Deadline(total_seconds, url)

    def consume(final: str, response: httpx.Response) -> Fetched:
        parts: list[bytes] = []
        _read(response, max_bytes, deadline, parts.append, "応答")
        return Fetched(final, response.status_code, response.headers, b"".join(parts))

    return _translated(
        url,
        lambda: _follow(
            url,
            allow_private=allow_private,
            allowed=tuple(allowed_networks),
            headers=headers or {},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            deadline=deadline,
            consume=consume,
        ),
    )


def fetch_to_file(
    url: str,
    directory: Path,
    *,
    max_bytes: int,
    allow_private: bool = False,
    allowed_networks: Iterable[Network] = (),
    headers: Mapping[str, str] | None = None,
    total_seconds: float | None = None,
) -> Path:
    """Download ``url`` into a new file in ``directory`` (a 200 answer only); FetchError says
    why when it cannot."""
    handle, name = tempfile.mkstemp(dir=directory, prefix="fetch-")
    os.close(handle)
    target = Path(name)
    deadline = _Deadline(total_seconds, url)

    def consume(_final: str, response: httpx.Response) -> Path:
        if response.status_code != 200:
            raise FetchError(f"取得に失敗しました（HTTP {response.status_code}）: {url}")
        with target.open("wb") as out:
            _read(response, max_bytes, deadline, out.write, "ファイル")
        return target

    return _translated(
        url,
        lambda: _follow(
            url,
            allow_private=allow_private,
            allowed=tuple(allowed_networks),
            headers=headers or {},
            timeout=TIMEOUT,
            deadline=deadline,
            consume=consume,
        ),
    )
