"""The 避難場所 pages of this process, rendered ahead of requests and kept with their gzip bytes.

A set of pages is made for one *key*: the shelter layer's ETag (maps/store.py), whether the
mode is on, its message and the site's title. Requests compare the key of what is held with
the key now (dictionary lookups, no database) and serve what is held; when they differ the
set is rebuilt in a thread (the worker does it first, told by the layer store and the switch),
and requests meanwhile get the previous pages, a second old at most. Only a process that has
never built the pages makes its first request wait for them.

Rebuilding reads the layer (from the database once per ETag, then from memory) and when it was
built, renders every page in both languages (pages.py) and compresses each once.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select

from tsunagu.context import Services
from tsunagu.disaster.pages import PageView, all_pages
from tsunagu.disaster.shelters import shelter_list
from tsunagu.disaster.state import DisasterState, ModeHolder
from tsunagu.maps.models import MapLayerBuild
from tsunagu.maps.registry import SHELTERS
from tsunagu.maps.store import layer_store
from tsunagu.storage.types import utcnow
from tsunagu.web.i18n import LANGUAGES

log = logging.getLogger(__name__)

# Browsers and shared caches may keep a page this long (seconds) before asking again with its
# ETag; short, so a change shows within a minute anywhere.
MAX_AGE = 30

Key = tuple[str | None, bool, str, str]


@dataclass(frozen=True)
class CachedPage:
    status: int
    body: bytes
    gzip: bytes
    etag: bytes
    headers: list[tuple[bytes, bytes]]  # without content-length and content-encoding

    @classmethod
    def of(cls, body: bytes, status: int = 200) -> CachedPage:
        etag = b'W/"' + hashlib.sha256(body).hexdigest()[:24].encode() + b'"'
        return cls(
            status=status,
            body=body,
            gzip=gzip.compress(body, compresslevel=9, mtime=0),
            etag=etag,
            headers=[
                (b"content-type", b"text/html; charset=utf-8"),
                (b"cache-control", f"public, max-age={MAX_AGE}".encode()),
                (b"vary", b"Accept-Encoding"),
                (b"etag", etag),
            ],
        )


@dataclass(frozen=True)
class PageSet:
    key: Key
    pages: dict[tuple[str, str], CachedPage]  # (language, path)
    missing: dict[str, CachedPage]  # the 404 page, by language

    def find(self, language: str, path: str) -> CachedPage:
        found = self.pages.get((language, path))
        return found if found is not None else self.missing[language]


def page_view(services: Services, state: DisasterState) -> PageView:
    """What the pages show besides the shelters (reads when the layer was built)."""
    with services.sessions() as session:
        built = session.scalar(select(MapLayerBuild.built).where(MapLayerBuild.layer == SHELTERS))
    return PageView(
        on=state.on(utcnow()),
        message=state.message,
        site_title=state.site_title or services.settings.site_title,
        updated=built,
    )


class PageCache:
    def __init__(self, services: Services, holder: ModeHolder) -> None:
        self._services = services
        self._holder = holder
        self._store = layer_store(services)
        self._lock = threading.Lock()
        self.pages: PageSet | None = None
        self.builds = 0  # how many times the pages were rendered (for tests and logs)

    def key(self) -> Key:
        """The key the pages must have now (no database)."""
        state = self._holder.state
        return (
            self._store.etag(SHELTERS),
            state.on(utcnow()),
            state.message,
            state.site_title or self._services.settings.site_title,
        )

    def stale(self) -> bool:
        pages = self.pages
        return pages is None or pages.key != self.key()

    def rebuild(self) -> PageSet:
        """Render the pages for the current key unless that is what is held (one rebuild at a
        time; a caller that waited for another's finds it done)."""
        with self._lock:
            held = self.pages
            if held is not None and held.key == self.key():
                return held
            started = time.perf_counter()
            layer = self._store.layer(SHELTERS)
            state = self._holder.state
            view = page_view(self._services, state)
            shelters = shelter_list(layer)
            key: Key = (
                layer.etag if layer is not None else None,
                view.on,
                state.message,
                view.site_title,
            )
            pages: dict[tuple[str, str], CachedPage] = {}
            missing: dict[str, CachedPage] = {}
            for language in LANGUAGES:
                for path, body in all_pages(shelters, view, language).items():
                    if path:
                        pages[(language, path)] = CachedPage.of(body)
                    else:
                        missing[language] = CachedPage.of(body, status=404)
            built = PageSet(key=key, pages=pages, missing=missing)
            self.pages = built
            self.builds += 1
            log.info(
                "避難場所 pages rendered: %d shelters, %d pages, %.0f ms",
                shelters.total,
                len(pages),
                (time.perf_counter() - started) * 1000,
            )
            return built
