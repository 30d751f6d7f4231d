"""DCAT over HTTP: ``/catalog.{ttl,rdf,jsonld}``, ``/dataset/{name}.{ttl,rdf,jsonld}``, the
``Accept``-negotiated ``/dataset/{name}`` and ``/area/{code}``.

The export is public: it is read as an anonymous caller whoever asks, so private datasets and
drafts never appear, not even for signed-in staff (whose pages do show them). Everything is read
through the actions (package_search, package_show, organization_list) like any page.

Caching: a catalog page's ETag is computed before the page is built, from the catalog revision
(bumped by every catalog write), the site's title and description and the request, so a
harvester's conditional request costs one primary-key lookup. A dataset's ETag is the hash of
what is sent.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from tsunagu.bootstrap import action_context
from tsunagu.catalog.actions.packages import package_show_dict
from tsunagu.catalog.revision import current_revision
from tsunagu.catalog.site_options import site_options
from tsunagu.context import Context, Services
from tsunagu.dcat import formats
from tsunagu.dcat.catalog import DEFAULT_PER_PAGE, MAX_PER_PAGE, CatalogInfo, Paging, catalog_graph
from tsunagu.dcat.export import dataset_graph
from tsunagu.errors import NotAuthorized, NotFound
from tsunagu.registry import call_action

CACHE_CONTROL = "public, max-age=60"


class BadParameter(Exception):
    pass


def _services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def _matches(request: Request, etag: str) -> bool:
    sent = request.headers.get("if-none-match", "")
    if not sent:
        return False
    tags = {t.strip().removeprefix("W/") for t in sent.split(",")}
    return "*" in tags or etag in tags


def _not_modified(etag: str, vary: bool) -> Response:
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if vary:
        headers["Vary"] = "Accept"
    return Response(status_code=304, headers=headers)


def _since(value: str) -> str:
    """``modified_since`` as the index compares it: UTC, no offset (2024-05-01T09:30:00)."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(
            "modified_since は ISO 8601 の日付か日時で指定してください "
            f"(modified_since must be an ISO 8601 date or date-time): {value}"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return moment.date().isoformat()
    return moment.isoformat()


def _positive(request: Request, name: str, default: int, highest: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"\d{1,9}", raw.strip()) or int(raw) < 1:
        raise BadParameter(
            f"{name} は 1 以上の整数で指定してください ({name} must be a positive integer)"
        )
    value = int(raw)
    return min(value, highest) if highest else value


def _page_url(site_url: str, suffix: str, page: int, extra: dict[str, str]) -> str:
    return f"{site_url}/catalog.{suffix}?" + urlencode({**extra, "page": page})


def _catalog_info(context: Context, site_url: str, title: str, description: str) -> CatalogInfo:
    orgs = call_action("organization_list", context, {"all_fields": True})
    prefecture = next((o for o in orgs if o.get("kind") == "prefecture"), None)

    def first(sort: str, field: str) -> str | None:
        found = call_action("package_search", context, {"rows": 1, "sort": sort, "fl": field})
        return found["results"][0][field] if found["results"] else None

    return CatalogInfo(
        site_url=site_url,
        title=title,
        description=description,
        publisher=prefecture,
        license_id=context.settings.dcat_catalog_license,
        issued=first("metadata_created asc", "metadata_created"),
        modified=first("metadata_modified desc", "metadata_modified"),
    )


def catalog(request: Request) -> Response:
    fmt = formats.BY_SUFFIX.get(request.path_params["suffix"])
    if fmt is None:
        return PlainTextResponse("Not found", status_code=404)
    try:
        page = _positive(request, "page", 1)
        per_page = _positive(request, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
        since_raw = request.query_params.get("modified_since", "")
        since = _since(since_raw) if since_raw.strip() else ""
    except BadParameter as error:
        return PlainTextResponse(str(error), status_code=400)
    services = _services(request)
    site_url = services.settings.site_url
    with action_context(services) as context:  # anonymous: the export is public
        options = site_options(context.session, services.settings)
        key = "|".join(
            map(
                str,
                (
                    current_revision(context.session),
                    options.title,
                    options.description,
                    services.settings.dcat_catalog_license,
                    fmt.suffix,
                    page,
                    per_page,
                    since,
                ),
            )
        )
        etag = '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
        if _matches(request, etag):
            return _not_modified(etag, vary=False)
        query: dict[str, Any] = {
            "rows": per_page,
            "start": (page - 1) * per_page,
            # Oldest first: a dataset created while a harvester walks the pages lands on the
            # last page instead of shifting every later page by one.
            "sort": "metadata_created asc, name asc",
        }
        if since:
            query["fq"] = f'metadata_modified:["{since}" TO *]'
        found = call_action("package_search", context, query)
        total = int(found["count"])
        last = max(1, -(-total // per_page))
        if page > last:
            return PlainTextResponse(
                f"ページがありません。最後のページは {last} です (Page out of range: the last page is {last})",
                status_code=404,
            )
        info = _catalog_info(context, site_url, options.title, options.description)
        kept = {
            k: v
            for k, v in (
                ("modified_since", since_raw),
                ("per_page", request.query_params.get("per_page", "")),
            )
            if v
        }
        paging = Paging(
            current=_page_url(site_url, fmt.suffix, page, kept),
            first=_page_url(site_url, fmt.suffix, 1, kept),
            last=_page_url(site_url, fmt.suffix, last, kept),
            next=_page_url(site_url, fmt.suffix, page + 1, kept) if page < last else None,
            previous=_page_url(site_url, fmt.suffix, page - 1, kept) if page > 1 else None,
            total=total,
            per_page=per_page,
        )
        graph = catalog_graph(info, list(found["results"]), paging)
    body = formats.serialise(graph, fmt)
    return Response(
        body,
        media_type=f"{fmt.media_type}; charset=utf-8",
        headers={"ETag": etag, "Cache-Control": CACHE_CONTROL},
    )


def dataset_response(
    request: Request, name: str, fmt: formats.RdfFormat, *, vary: bool
) -> Response:
    services = _services(request)
    with action_context(services) as context:  # anonymous: private and drafts are 404
        try:
            package = package_show_dict(context, {"id": name})
        except (NotFound, NotAuthorized):
            package = None
    if package is None or package.get("private") or package.get("state") != "active":
        response: Response = PlainTextResponse(
            "データセットが見つかりません (Dataset not found)", status_code=404
        )
        if vary:
            response.headers["Vary"] = "Accept"
        return response
    body = formats.serialise(dataset_graph(package, services.settings.site_url), fmt)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if _matches(request, etag):
        return _not_modified(etag, vary)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if modified := package.get("metadata_modified"):
        moment = datetime.fromisoformat(str(modified)).replace(tzinfo=UTC)
        headers["Last-Modified"] = format_datetime(moment, usegmt=True)
    if vary:
        headers["Vary"] = "Accept"
    return Response(body, media_type=f"{fmt.media_type}; charset=utf-8", headers=headers)


def dataset(request: Request) -> Response:
    fmt = formats.BY_SUFFIX.get(request.path_params["suffix"])
    if fmt is None:
        return PlainTextResponse("Not found", status_code=404)
    return dataset_response(request, request.path_params["name"], fmt, vary=False)


def negotiated(request: Request, name: str) -> Response | None:
    """The dataset as RDF when the ``Accept`` header prefers it to HTML, else None (the page)."""
    fmt = formats.negotiate(request.headers.get("accept"))
    if fmt is None:
        return None
    return dataset_response(request, name, fmt, vary=True)


def area(request: Request) -> Response:
    """A place's URI (dct:spatial) leads to the datasets about it (303: a place is not a page)."""
    code = request.path_params["code"]
    if not re.fullmatch(r"\d{6}", code):
        return PlainTextResponse("Not found", status_code=404)
    return RedirectResponse(f"/dataset?q=spatial_codes:{code}", status_code=303)


def routes() -> list[BaseRoute]:
    """Routes that must come before the portal's ``/dataset/{name}``."""
    return [
        Route("/catalog.{suffix}", catalog, methods=["GET"]),
        Route("/dataset/{name}.{suffix}", dataset, methods=["GET"]),
        Route("/area/{code}", area, methods=["GET"]),
    ]
