"""``/sitemap.xml`` and ``/robots.txt``: what search engines (and Google Dataset Search) may crawl.

The sitemap is always a sitemap index, so a catalog of any size fits the protocol's limits
(50,000 addresses and 50 MB a file): one file lists the organisation pages, and the datasets
come in files of ``DATASETS_PER_FILE``, oldest first, so a new dataset lands in the last file
and the others keep their contents. Only what anyone may read is listed (public, active
datasets, read as an anonymous caller whoever asks); ``lastmod`` is the dataset's
``metadata_modified``. robots.txt keeps crawlers out of staff and account pages and out of
the endless combinations of search filters, and names the sitemap.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from tsunagu.bootstrap import action_context
from tsunagu.context import Services
from tsunagu.registry import call_action

DATASETS_PER_FILE = 10_000
_SEARCH_ROWS = 1000
CACHE_CONTROL = "public, max-age=600"
_XML = '<?xml version="1.0" encoding="UTF-8"?>\n'
_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def _services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def _xml(body: str) -> Response:
    return Response(
        _XML + body,
        media_type="application/xml; charset=utf-8",
        headers={"Cache-Control": CACHE_CONTROL},
    )


def _lastmod(value: str | None) -> str:
    """A stored UTC timestamp in the W3C date-time form sitemaps use."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value).replace(tzinfo=UTC, microsecond=0)
    return f"<lastmod>{moment.isoformat()}</lastmod>"


def _count(services: Services) -> int:
    with action_context(services) as context:
        return int(call_action("package_search", context, {"rows": 0})["count"])


def index(request: Request) -> Response:
    services = _services(request)
    site = services.settings.site_url
    files = -(-_count(services) // DATASETS_PER_FILE)
    entries = [f"{site}/sitemap-organizations.xml"]
    entries += [f"{site}/sitemap-datasets-{n}.xml" for n in range(1, files + 1)]
    body = "".join(f"<sitemap><loc>{escape(loc)}</loc></sitemap>" for loc in entries)
    return _xml(f"<sitemapindex {_NS}>{body}</sitemapindex>\n")


def _urlset(urls: list[tuple[str, str]]) -> Response:
    body = "".join(f"<url><loc>{escape(loc)}</loc>{lastmod}</url>" for loc, lastmod in urls)
    return _xml(f"<urlset {_NS}>{body}</urlset>\n")


def datasets(request: Request) -> Response:
    services = _services(request)
    site = services.settings.site_url
    raw = request.path_params["number"]
    number = int(raw) if raw.isdigit() else 0
    urls: list[tuple[str, str]] = []
    with action_context(services) as context:  # anonymous: public datasets only
        start = (number - 1) * DATASETS_PER_FILE
        end = start + DATASETS_PER_FILE
        total: int | None = None
        while number >= 1 and start < end and (total is None or start < total):
            found: dict[str, Any] = call_action(
                "package_search",
                context,
                {
                    "rows": min(_SEARCH_ROWS, end - start),
                    "start": start,
                    "sort": "metadata_created asc, name asc",
                    "fl": "name,metadata_modified",
                },
            )
            total = int(found["count"])
            if not found["results"]:
                break
            for package in found["results"]:
                loc = f"{site}/dataset/{package['name']}"
                urls.append((loc, _lastmod(package.get("metadata_modified"))))
            start += len(found["results"])
    if not urls:
        return PlainTextResponse("Not found", status_code=404)
    return _urlset(urls)


def organizations(request: Request) -> Response:
    services = _services(request)
    site = services.settings.site_url
    with action_context(services) as context:
        names = call_action("organization_list", context, {})
    urls = [(f"{site}/organization", "")]
    urls += [(f"{site}/organization/{name}", "") for name in names]
    return _urlset(urls)


def robots(request: Request) -> Response:
    site = _services(request).settings.site_url
    lines = [
        "User-agent: *",
        "Allow: /",
        # Staff pages and accounts are not for search engines.
        "Disallow: /staff",
        "Disallow: /user",
        # Search results: every combination of filters is another address of the same data.
        "Disallow: /dataset?",
        "Disallow: /api/",
        "",
        f"Sitemap: {site}/sitemap.xml",
        "",
    ]
    return PlainTextResponse("\n".join(lines), headers={"Cache-Control": "public, max-age=3600"})
