"""A small stand-in for a CKAN site's Action API, on 127.0.0.1, that misbehaves on request.

Each site lives under its own path (``http://127.0.0.1:PORT/<site>``) and answers
``package_search`` (rows/start paging, ``sort``, an ``fq`` on organization), ``package_list`` and
``package_show`` from the datasets a test gives it. A site's ``mode`` makes it misbehave the
ways real sites do: answer slowly, answer HTML, answer 50 MB, ignore ``start`` (paging that
loops back), repeat ids within a page, or redirect elsewhere. Every request is recorded with
its headers, so tests can see what was sent (and what was not).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson


@dataclass
class Site:
    datasets: list[dict[str, Any]] = field(default_factory=list)
    # "", "slow", "html", "huge", "loop", "duplicates", "redirect", "broken_listing"
    mode: str = ""
    delay: float = 0.0  # seconds before each answer (mode "" too)
    redirect_to: str = ""
    requests: list[tuple[str, dict[str, str], dict[str, list[str]]]] = field(default_factory=list)

    def ids(self) -> list[str]:
        return [d["id"] for d in self.datasets]


def package(
    id: str, name: str, title: str, *, org: str = "city", resources: int = 1, **extra: Any
) -> dict[str, Any]:
    """A CKAN 2.10-shaped package dict."""
    return {
        "id": id,
        "name": name,
        "title": title,
        "notes": f"{title}の説明",
        "state": "active",
        "private": False,
        "type": "dataset",
        "license_id": "cc-by",
        "license_title": "Creative Commons Attribution",
        "metadata_modified": "2026-01-01T00:00:00.000000",
        "organization": {"name": org, "title": org},
        "tags": [{"name": "防災", "vocabulary_id": None}],
        "extras": [],
        "groups": [],
        "resources": [
            {
                "id": f"{id}-r{n}",
                "name": f"ファイル {n}",
                "url": f"https://files.example.jp/{id}/{n}.pdf",
                "format": "PDF",
            }
            for n in range(resources)
        ],
        **extra,
    }


class FakeCkan:
    def __init__(self) -> None:
        self.sites: dict[str, Site] = {}
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeCkan:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def site(self, name: str, **settings: Any) -> Site:
        self.sites[name] = Site(**settings)
        return self.sites[name]

    def url(self, name: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/{name}"


class _Handler(BaseHTTPRequestHandler):
    fake: FakeCkan

    def log_message(self, *_args: Any) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        segments = parts.path.strip("/").split("/")
        site = self.fake.sites.get(segments[0])
        if site is None:
            self._send(404, "text/plain", b"no such site")
            return
        params = parse_qs(parts.query)
        site.requests.append((parts.path, dict(self.headers.items()), params))
        if site.delay:
            time.sleep(site.delay)
        if site.mode == "redirect":
            self.send_response(302)
            self.send_header(
                "Location", site.redirect_to + parts.path.split("/", 2)[2] + "?" + parts.query
            )
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if site.mode == "html":
            self._send(
                200, "text/html", "<!DOCTYPE html><html><body>メンテナンス中</body></html>".encode()
            )
            return
        if site.mode == "huge":
            self._huge()
            return
        action = segments[-1]
        answer = {
            "package_search": self._search,
            "package_list": self._list,
            "package_show": self._show,
        }.get(action)
        if answer is None:
            self._send(404, "text/html", b"<html>not found</html>")
            return
        answer(site, params)

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def _json(self, result: Any, status: int = 200) -> None:
        body = {"help": "", "success": status == 200, "result": result}
        if status != 200:
            body = {"help": "", "success": False, "error": result}
        self._send(status, "application/json;charset=utf-8", orjson.dumps(body))

    def _huge(self) -> None:
        """A 51 MB answer, streamed (the client must stop reading at its limit)."""
        chunk = b" " * (1024 * 1024)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(51 * len(chunk) + 2))
        self.end_headers()
        try:
            self.wfile.write(b"{")
            for _ in range(51):
                self.wfile.write(chunk)
            self.wfile.write(b"}")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _search(self, site: Site, params: dict[str, list[str]]) -> None:
        rows = int(params.get("rows", ["10"])[0])
        start = int(params.get("start", ["0"])[0])
        found = sorted(site.datasets, key=lambda d: d["id"])
        fq = params.get("fq", [""])[0]
        if "organization:" in fq and "-organization" not in fq:
            wanted = fq.split("organization:", 1)[1].split(")")[0].strip('"')
            found = [d for d in found if d["organization"]["name"] == wanted]
        if site.mode == "loop":
            start = 0  # a server ignoring start: every page is the first
        page = found[start : start + rows]
        if site.mode == "duplicates" and page:
            page = [*page, {**page[0], "title": page[0]["title"] + "（重複）"}]
        self._json({"count": len(found), "results": page, "sort": params.get("sort", [""])[0]})

    def _list(self, site: Site, _params: dict[str, list[str]]) -> None:
        if site.mode == "broken_listing":
            self._send(500, "text/html", b"<html>error</html>")
            return
        self._json([d["name"] for d in site.datasets])

    def _show(self, site: Site, params: dict[str, list[str]]) -> None:
        wanted = params.get("id", [""])[0]
        for d in site.datasets:
            if wanted in (d["id"], d["name"]):
                self._json(d)
                return
        self._json({"__type": "Not Found Error", "message": "Not found"}, status=404)


def serve() -> Iterator[FakeCkan]:
    fake = FakeCkan().start()
    yield fake
    fake.stop()
