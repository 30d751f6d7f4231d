"""Serving 災害モード in front of the portal: before sessions, sign-in and the database.

* Every request is counted for the automatic switch (load.py).
* ``GET``/``HEAD`` ``/hinan`` and ``/hinan/…`` are answered from the pages this process holds
  (cache.py): gzip when the client takes it, 304 for a matching ``If-None-Match``, the 404
  page for a municipality that has no shelters. With ``disaster_page_cache`` off they go on to
  the portal's route (views.py), which renders them for each request.
* While the mode is on, ``GET /`` and ``GET /map`` redirect (302, not stored) to ``/hinan``;
  a link to one particular view (``/map?layer=aed``: any parameter but ``lang``) goes through,
  since whoever shared it wanted that view.
  ``?full=1`` on either goes through and sets a cookie for the browser session, so the full
  site stays available behind the page: the page's own links carry it.

What it answers is labelled in /metrics (ops/metrics.py) by the route templates the portal uses
for the same paths (``/hinan``, ``/hinan/{code}``, ``/hinan/{code}/{part:int}``, ``/``, ``/map``),
so the day's traffic shows by page and not as ``unmatched``.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tsunagu.context import Services
from tsunagu.disaster.cache import CachedPage
from tsunagu.disaster.pages import PREFIX, language_of_query
from tsunagu.disaster.runtime import disaster_of

REDIRECTED = frozenset({"/", "/map"})
FULL_SITE_COOKIE = b"tsunagu_full_site"
_FULL_SITE_SET = FULL_SITE_COOKIE + b"=1; Path=/; SameSite=Lax; HttpOnly"


@dataclass(frozen=True)
class _Label:
    """Stands in for the route ops/metrics.py reads a request's label from (its ``path``)."""

    path: str


_PAGE_LABELS = (_Label(PREFIX), _Label(PREFIX + "/{code}"), _Label(PREFIX + "/{code}/{part:int}"))
_REDIRECT_LABELS = {path: _Label(path) for path in REDIRECTED}


def _page_label(path: str) -> _Label | None:
    depth = len(path.removeprefix(PREFIX).strip("/").split("/")) if path != PREFIX else 0
    return _PAGE_LABELS[depth] if depth < len(_PAGE_LABELS) else None


def _header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return bytes(value)
    return None


def _accepts_gzip(value: bytes | None) -> bool:
    if not value or b"gzip" not in value:
        return False
    return b"gzip;q=0" not in value.replace(b" ", b"").replace(b"q=0.0", b"q=0")


def _query_has(query: bytes, pair: bytes) -> bool:
    return pair in query.split(b"&")


def _names_a_view(query: bytes) -> bool:
    """Parameters other than the language: a link to one particular view."""
    return any(part and not part.startswith(b"lang=") for part in query.split(b"&"))


def _cookie_has(cookies: bytes, pair: bytes) -> bool:
    return any(part.strip() == pair for part in cookies.split(b";"))


class DisasterPages:
    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app = app
        self.runtime = disaster_of(services)
        self.cached = services.settings.disaster_page_cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        self.runtime.load.count(path)
        method = scope["method"]
        if method == "GET" or method == "HEAD":
            if self.cached and (path == PREFIX or path.startswith(PREFIX + "/")):
                page = path.rstrip("/") or PREFIX
                if (label := _page_label(page)) is not None:
                    scope["route"] = label
                await self._serve(scope, send, page, method == "HEAD")
                return
            if path in REDIRECTED and self.runtime.mode.on():
                query: bytes = scope["query_string"]
                if _query_has(query, b"full=1"):
                    await self.app(scope, receive, _with_cookie(send))
                    return
                if _names_a_view(query):
                    await self.app(scope, receive, send)
                    return
                cookies = _header(scope, b"cookie") or b""
                if not _cookie_has(cookies, FULL_SITE_COOKIE + b"=1"):
                    scope["route"] = _REDIRECT_LABELS[path]
                    english = _query_has(query, b"lang=en") or (
                        not _query_has(query, b"lang=ja") and _cookie_has(cookies, b"lang=en")
                    )
                    await _redirect(send, PREFIX + ("?lang=en" if english else ""))
                    return
        await self.app(scope, receive, send)

    async def _serve(self, scope: Scope, send: Send, path: str, head: bool) -> None:
        cache = self.runtime.pages
        pages = cache.pages
        if pages is None:
            pages = await run_in_threadpool(cache.rebuild)
        elif pages.key != cache.key():
            self.runtime.changed.set()  # the worker renders them again; these meanwhile
        language = language_of_query(scope["query_string"].decode("latin-1"))
        page = pages.find(language, path)
        await _send_page(scope, send, page, head)


async def _send_page(scope: Scope, send: Send, page: CachedPage, head: bool) -> None:
    if page.status == 200:
        asked = _header(scope, b"if-none-match")
        if asked is not None and (page.etag in asked or asked.strip() == b"*"):
            await send({"type": "http.response.start", "status": 304, "headers": page.headers})
            await send({"type": "http.response.body", "body": b""})
            return
    compressed = _accepts_gzip(_header(scope, b"accept-encoding"))
    body = page.gzip if compressed else page.body
    headers = [*page.headers, (b"content-length", str(len(body)).encode())]
    if compressed:
        headers.append((b"content-encoding", b"gzip"))
    await send({"type": "http.response.start", "status": page.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


async def _redirect(send: Send, location: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 302,
            "headers": [
                (b"location", location.encode()),
                (b"cache-control", b"no-store"),
                (b"content-length", b"0"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})


def _with_cookie(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), (b"set-cookie", _FULL_SITE_SET)]
        await send(message)

    return wrapped
