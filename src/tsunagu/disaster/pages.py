"""The 避難場所 pages as HTML, each within the size budget (an old phone on a congested network
reads them at once; no JavaScript, one small stylesheet).

``/hinan`` is the index. When everything fits in the budget it lists every municipality's
shelters in a collapsed ``<details>``; otherwise it links to one page per municipality
(``/hinan/{code}``), and a municipality too large for one page is split in parts
(``/hinan/{code}/2`` …). The shelters that files say are open come first: on the index when
they fit, and at the top of each municipality's page. Every page exists in Japanese and, with
``?lang=en``, in English (the data stays as published); a page's content depends on its URL
alone, so shared caches may keep it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tsunagu.disaster.shelters import Municipality, Shelter, ShelterList
from tsunagu.web.i18n import LANGUAGES, translator
from tsunagu.web.templating import environment

log = logging.getLogger(__name__)

PREFIX = "/hinan"
# Bytes of HTML a page may have: under 50 KB with room to spare.
BUDGET = 48_000
JST = timedelta(hours=9)


@dataclass(frozen=True)
class PageView:
    """What the pages show besides the shelters."""

    on: bool  # 災害モード is on: the message is shown
    message: str
    site_title: str
    updated: datetime | None  # when the shelter layer was last built (UTC)


def _updated(when: datetime | None, language: str) -> str:
    if when is None:
        return ""
    local = when + JST
    if language == "en":
        return local.strftime("%Y-%m-%d %H:%M JST")
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _render(template: str, language: str, view: PageView, path: str, **values: Any) -> bytes:
    query = "?lang=en" if language == "en" else ""
    page = environment.get_template(template).render(
        _=translator(language),
        lang=language,
        q=query,
        amp="&lang=en" if language == "en" else "",
        path=path,
        on=view.on,
        message=view.message,
        site_title=view.site_title,
        updated=_updated(view.updated, language),
        **values,
    )
    return page.encode("utf-8")


def _opened(shelters: ShelterList) -> list[tuple[Municipality, list[Shelter]]]:
    return [(m, [s for s in m.shelters if s.is_open]) for m in shelters.municipalities if m.opened]


def index_page(shelters: ShelterList, view: PageView, language: str) -> bytes:
    """The index: everything inline when it fits, else links (with the open shelters listed
    while they fit, else counted)."""
    opened = _opened(shelters)
    page = b""
    for inline, opened_listed in ((True, True), (False, True), (False, False)):
        page = _render(
            "disaster/hinan.html",
            language,
            view,
            PREFIX,
            shelters=shelters,
            inline=inline,
            opened=opened,
            opened_listed=opened_listed,
        )
        if len(page) <= BUDGET:
            return page
    log.warning("the 避難場所 index is %d bytes, over the %d budget", len(page), BUDGET)
    return page


def _split(items: Sequence[Shelter], parts: int) -> list[Sequence[Shelter]]:
    size = math.ceil(len(items) / parts) or 1
    return [items[i : i + size] for i in range(0, len(items), size)] or [items]


def part_path(code: str, part: int) -> str:
    return f"{PREFIX}/{code}" if part == 1 else f"{PREFIX}/{code}/{part}"


def municipality_pages(m: Municipality, view: PageView, language: str) -> list[bytes]:
    """A municipality's pages: one, or as many parts as keep each within the budget."""
    parts = 1
    while True:
        chunks = _split(m.shelters, parts)
        pages = [
            _render(
                "disaster/hinan_municipality.html",
                language,
                view,
                part_path(m.code, number),
                municipality=m,
                shelters=chunk,
                part=number,
                parts=len(chunks),
            )
            for number, chunk in enumerate(chunks, start=1)
        ]
        largest = max(len(page) for page in pages)
        if largest <= BUDGET or parts >= len(m.shelters):
            if largest > BUDGET:
                log.warning("a 避難場所 page of %s is %d bytes", m.code, largest)
            return pages
        parts = max(parts + 1, math.ceil(parts * largest / BUDGET))


def missing_page(view: PageView, language: str) -> bytes:
    return _render("disaster/hinan_missing.html", language, view, PREFIX)


def all_pages(shelters: ShelterList, view: PageView, language: str) -> dict[str, bytes]:
    """Every page of one language by path (the 404 page under ``""``)."""
    pages = {PREFIX: index_page(shelters, view, language), "": missing_page(view, language)}
    for m in shelters.municipalities:
        for number, page in enumerate(municipality_pages(m, view, language), start=1):
            pages[part_path(m.code, number)] = page
    return pages


def language_of_query(query: str) -> str:
    """The page's language: ``lang=en`` in the query, else Japanese (never a cookie, so a
    page's URL alone says what it holds)."""
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name == "lang" and value in LANGUAGES:
            return value
    return "ja"
