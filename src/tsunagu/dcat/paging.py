"""Walking a DCAT source page by page, with the guards a paging bug needs.

Real sources have sent a ``hydra:next`` that points back to an earlier page, or to the page
itself, and ckanext-dcat once followed such a loop until it ran out of memory
(ckan/ckanext-dcat#260). Here a walk stops, and says why, when the next link is the page itself
or a page already read, when a page's content is the same as an earlier page's, or after
``max_pages``. A walk that stopped early is not ``complete``: the harvester must then not treat
datasets it did not see as gone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin

from tsunagu.dcat.parse import DEFAULT_MAX_RESOURCES, DcatPage, parse_page
from tsunagu.dcat.reading import ContextLoader

DEFAULT_MAX_PAGES = 1000


@dataclass(frozen=True)
class FetchedPage:
    url: str  # after redirects
    content: bytes
    content_type: str


Fetch = Callable[[str], FetchedPage]


def _normal(url: str) -> str:
    return urldefrag(url.strip())[0]


@dataclass
class PageWalk:
    """Iterate over the pages of a source; after the loop, ``complete`` and ``stopped_because``
    say whether every page was read. A page that cannot be read raises DcatReadError."""

    first_url: str
    fetch: Fetch
    max_pages: int = DEFAULT_MAX_PAGES
    forced_format: str = ""
    context_loader: ContextLoader | None = None
    max_resources: int = DEFAULT_MAX_RESOURCES
    complete: bool = False
    stopped_because: str = ""
    pages_read: int = 0
    _visited: set[str] = field(default_factory=set)
    _digests: set[str] = field(default_factory=set)

    def __iter__(self) -> Iterator[DcatPage]:
        url: str | None = self.first_url
        while url is not None:
            if self.pages_read >= self.max_pages:
                self.stopped_because = (
                    f"ページが {self.max_pages} を超えたので止めました "
                    f"(Stopped after {self.max_pages} pages)"
                )
                return
            self._visited.add(_normal(url))
            fetched = self.fetch(url)
            self._visited.add(_normal(fetched.url))
            digest = hashlib.sha256(fetched.content).hexdigest()
            if digest in self._digests:
                self.stopped_because = (
                    f"前と同じ内容のページが返されたので止めました (A page repeated an earlier "
                    f"page's content): {url}"
                )
                return
            self._digests.add(digest)
            page = parse_page(
                fetched.content,
                url=fetched.url,
                content_type=fetched.content_type,
                forced_format=self.forced_format,
                context_loader=self.context_loader,
                max_resources=self.max_resources,
            )
            self.pages_read += 1
            yield page
            url = self._next(page, fetched.url)
        self.complete = not self.stopped_because

    def _next(self, page: DcatPage, current: str) -> str | None:
        if not page.next_url:
            return None
        target = urljoin(current, page.next_url)
        if not target.startswith(("http://", "https://")):
            self.stopped_because = (
                f"次のページの URL が http(s) ではありません (The next page is not an http(s) "
                f"URL): {page.next_url}"
            )
            return None
        if _normal(target) == _normal(current):
            self.stopped_because = (
                f"次のページがそのページ自身を指しています (The next page link points to the "
                f"page itself): {target}"
            )
            return None
        if _normal(target) in self._visited:
            self.stopped_because = (
                f"次のページが読んだページに戻っています (The next page link loops back to a page "
                f"already read): {target}"
            )
            return None
        return target
