"""Fetching a linked resource for ingest: http(s) only, size-limited, no private addresses."""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile
from pathlib import Path
from urllib.parse import urljoin, urlparse

import httpx

from tsunagu.datastore.ingest.model import IngestError

MAX_REDIRECTS = 3
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def _check_address(url: str, allow_private: bool) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise IngestError(f"http または https の URL だけ取得できます: {url}")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parsed.hostname, parsed.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise IngestError(f"ホスト名を解決できません: {parsed.hostname}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            # Ingest must not become a way to read the server's own network (SSRF).
            raise IngestError(f"内部ネットワークのアドレスは取得できません: {parsed.hostname}")


def fetch_to_file(url: str, directory: Path, *, max_bytes: int, allow_private: bool) -> Path:
    """Download `url` into a new file in `directory`; IngestError says why when it cannot."""
    try:
        return _fetch(url, directory, max_bytes=max_bytes, allow_private=allow_private)
    except httpx.TimeoutException:
        raise IngestError(f"時間内に取得できませんでした（タイムアウト）: {url}") from None
    except httpx.HTTPError as error:  # refused, reset, TLS, malformed response …
        raise IngestError(f"取得できませんでした（{type(error).__name__}）: {url}") from None


def _fetch(url: str, directory: Path, *, max_bytes: int, allow_private: bool) -> Path:
    handle, name = tempfile.mkstemp(dir=directory, prefix="fetch-")
    os.close(handle)
    target = Path(name)
    current = url
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            _check_address(current, allow_private)
            with client.stream("GET", current) as response:
                if response.is_redirect:
                    current = urljoin(current, response.headers.get("location", ""))
                    continue
                if response.status_code != 200:
                    raise IngestError(f"取得に失敗しました（HTTP {response.status_code}）: {url}")
                size = 0
                with target.open("wb") as out:
                    for chunk in response.iter_bytes(1024 * 1024):
                        size += len(chunk)
                        if size > max_bytes:
                            raise IngestError(
                                f"ファイルが大きすぎます（上限 {max_bytes // (1024 * 1024)} MB）"
                            )
                        out.write(chunk)
                return target
    raise IngestError(f"リダイレクトが多すぎます: {url}")
