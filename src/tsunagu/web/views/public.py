"""Pages for residents and developers: home, search, dataset, organisations, API guide."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tsunagu.catalog import authz
from tsunagu.catalog.actions.packages import package_show_dict
from tsunagu.catalog.licenses import get_license
from tsunagu.catalog.resource_views import CHART as CHART_VIEW
from tsunagu.catalog.resource_views import MAP as MAP_VIEW
from tsunagu.catalog.resource_views import TABLE as TABLE_VIEW
from tsunagu.dcat import endpoints as dcat_endpoints
from tsunagu.errors import ActionError, NotAuthorized, NotFound
from tsunagu.registry import action_names, call_action
from tsunagu.usage.track import count_resource_view, count_use, package_subject
from tsunagu.web.jsonld import dataset_jsonld
from tsunagu.web.quality import facet_label, standard_titles
from tsunagu.web.session import act, page_context
from tsunagu.web.templating import query_string, render
from tsunagu.web.views.choropleth import view_for as choropleth_for
from tsunagu.web.views.following import follow_state

PAGE_SIZE = 20
FACETS = (
    "organization",
    "groups",
    "tags",
    "res_format",
    "license_id",
    "quality_stars",
    "quality_standard",
)
FACET_TITLES = {
    "organization": "組織",
    "groups": "カテゴリ",
    "tags": "タグ",
    "res_format": "形式",
    "license_id": "ライセンス",
    "quality_stars": "オープンデータの星",
    "quality_standard": "標準データセット",
}
SORTS = {
    "": "関連度順",
    "metadata_modified desc": "更新日の新しい順",
    "title_string asc": "タイトル順",
    "metadata_created desc": "公開日の新しい順",
    "quality_score desc": "品質スコアの高い順",
}


def home(request: Request) -> Response:
    with page_context(request) as context:
        everything = call_action(
            "package_search",
            context,
            {
                "rows": 6,
                "sort": "metadata_modified desc",
                "facet.field": ["groups", "organization", "res_format"],
                "facet.limit": -1,
            },
        )
        groups = call_action(
            "group_list", context, {"all_fields": True, "sort": "package_count desc"}
        )
        organizations = call_action("organization_list", context, {"all_fields": True})
        popular = _most_used(context, period="all")
    publishing = everything["facets"].get("organization", {})
    municipalities = [o for o in organizations if o["kind"] in ("municipality", "prefecture")]
    points = [
        {"lat": o["latitude"], "lon": o["longitude"], "label": o["title"]}
        for o in municipalities
        if o.get("latitude") and o.get("longitude")
    ]
    return render(
        request,
        "home.html",
        datasets=everything["results"],
        total=everything["count"],
        groups=groups,
        organizations=organizations,
        municipalities=municipalities,
        publishing=publishing,
        points=points,
        formats=everything["facets"].get("res_format", {}),
        popular=popular,
    )


def _most_used(context: Any, limit: int = 6, **filters: str) -> list[Any]:
    """The most downloaded public datasets (usage_popular_list: never private ones)."""
    found = call_action("usage_popular_list", context, {"limit": limit, **filters})
    return [item["dataset"] for item in found["results"]]


def _filters(request: Request) -> dict[str, list[str]]:
    return {f: request.query_params.getlist(f) for f in FACETS if request.query_params.getlist(f)}


def _fq(filters: dict[str, list[str]]) -> str:
    parts = []
    for field, values in filters.items():
        for value in values:
            escaped = value.replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'{field}:"{escaped}"')
    return " AND ".join(parts)


def search(request: Request) -> Response:
    q = request.query_params.get("q", "").strip()
    sort = request.query_params.get("sort", "")
    sort = sort if sort in SORTS else ""
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    filters = _filters(request)
    error = None
    try:
        result = act(
            request,
            "package_search",
            {
                "q": q,
                "fq": _fq(filters),
                "rows": PAGE_SIZE,
                "start": (page - 1) * PAGE_SIZE,
                "sort": sort,
                "facet.field": list(FACETS),
                "facet.limit": 20,
                "include_private": True,
            },
        )
    except ActionError as exc:  # a malformed query is shown on the page, not as a crash
        error = exc.message
        result = {"count": 0, "results": [], "search_facets": {}}
    pages = max(1, -(-result["count"] // PAGE_SIZE))
    return render(
        request,
        "search.html",
        q=q,
        sort=sort,
        sorts=SORTS,
        filters=filters,
        result=result,
        page=page,
        pages=pages,
        error=error,
        facets=_facet_links(q, sort, filters, result["search_facets"]),
    )


def _facet_links(
    q: str, sort: str, filters: dict[str, list[str]], search_facets: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each facet value with the URL that toggles it, keeping the other filters."""
    out = []
    for field in FACETS:
        facet = search_facets.get(field)
        if not facet or not facet["items"]:
            continue
        items = []
        for item in facet["items"]:
            active = item["name"] in filters.get(field, [])
            chosen = {
                f: [v for v in vs if not (f == field and v == item["name"])]
                for f, vs in filters.items()
            }
            if not active:
                chosen.setdefault(field, []).append(item["name"])
            items.append(
                {
                    **item,
                    "display_name": facet_label(field, item["name"], item["display_name"]),
                    "active": active,
                    "href": "/dataset?" + query_string({"q": q, "sort": sort, **chosen}),
                }
            )
        out.append({"field": field, "title": FACET_TITLES[field], "items": items})
    return out


def _validation_reports(context: Any, package: dict[str, Any]) -> dict[str, Any]:
    """The latest validation report of each checked resource, for the quality section."""
    reports = {}
    for resource in package["resources"]:
        if (resource.get("quality") or {}).get("checked"):
            reports[resource["id"]] = call_action(
                "resource_validation_show", context, {"id": resource["id"]}
            )
    return reports


def _table_views(context: Any, resource: dict[str, Any]) -> dict[str, Any] | None:
    """Preview rows, map and chart for a resource, as its views say (resource_view_list): the
    table needs a ``datatables_view``, the map a ``tsunagu_map`` and the chart a
    ``tsunagu_chart`` (made when the data became a datastore table), and each also the data it
    draws."""
    if not resource.get("datastore_active"):
        return None
    try:
        kinds = {
            v["view_type"]
            for v in call_action("resource_view_list", context, {"id": resource["id"]})
        }
        if TABLE_VIEW not in kinds:
            return None
        info = call_action("datastore_info", context, {"id": resource["id"]})
        first = call_action(
            "datastore_search", context, {"resource_id": resource["id"], "limit": PAGE_SIZE}
        )
    except (NotFound, NotAuthorized):
        return None
    numeric = [f for f in info["fields"] if f["type"] in ("int", "numeric")]
    return {
        "info": info,
        "first": first,
        "point": info["meta"].get("point") if MAP_VIEW in kinds else None,
        "numeric": numeric if CHART_VIEW in kinds else [],
        "columns": info["fields"],
        "choropleth": choropleth_for(context, resource["id"], kinds),
    }


def dataset(request: Request) -> Response:
    name = request.path_params["name"]
    # Linked-data clients asking for RDF (Accept: text/turtle …) get the DCAT export instead.
    if (rdf := dcat_endpoints.negotiated(request, name)) is not None:
        return rdf
    response = _dataset_page(request, name)
    response.headers.add_vary_header("Accept")
    return response


def _dataset_page(request: Request, name: str) -> Response:
    with page_context(request) as context:
        try:
            package = package_show_dict(context, {"id": name})
        except (NotFound, NotAuthorized):
            return render(request, "not_found.html", status_code=404)
        views = {r["id"]: _table_views(context, r) for r in package["resources"]}
        reports = _validation_reports(context, package)
        count_use(
            context.services,
            package_subject(package),
            download=False,
            user_agent=request.headers.get("user-agent"),
        )
        activity = call_action("package_activity_list", context, {"id": package["id"], "limit": 10})
        can_edit = _can_edit(context, package)
        follow = follow_state(context, "dataset", package["id"])
        showcases = call_action(
            "ckanext_package_showcase_list", context, {"package_id": package["id"]}
        )
    license = get_license(package.get("license_id") or "")
    settings = request.app.state.services.settings
    return render(
        request,
        "dataset.html",
        package=package,
        views=views,
        reports=reports,
        standards=standard_titles(),
        activity=activity,
        license=license,
        can_edit=can_edit,
        follow=follow,
        showcases=showcases,
        site_url=settings.site_url,
        tiles=settings.map_tiles,
        jsonld=dataset_jsonld(package, settings.site_url),
    )


def _can_edit(context: Any, package: dict[str, Any]) -> bool:
    return authz.has_dataset_role(context, package.get("owner_org"), package.get("id"), "editor")


def embed(request: Request) -> Response:
    """A resource's map and chart on their own, for other sites to frame."""
    resource_id = request.path_params["resource_id"]
    with page_context(request) as context:
        try:
            resource = call_action("resource_show", context, {"id": resource_id})
        except (NotFound, NotAuthorized):
            return render(request, "not_found.html", status_code=404)
        view = _table_views(context, resource)
        count_resource_view(
            context.services, context.session, resource_id, request.headers.get("user-agent")
        )
    settings = request.app.state.services.settings
    return render(
        request,
        "embed.html",
        resource=resource,
        view=view,
        tiles=settings.map_tiles,
        site_url=settings.site_url,
    )


def organizations(request: Request) -> Response:
    orgs = act(request, "organization_list", {"all_fields": True})
    return render(request, "organizations.html", organizations=orgs)


def organization(request: Request) -> Response:
    try:
        org = act(
            request,
            "organization_show",
            {"id": request.path_params["name"], "include_datasets": True},
        )
        quality = act(request, "organization_quality_show", {"id": org["id"]})
    except NotFound:
        return render(request, "not_found.html", status_code=404)
    with page_context(request) as context:
        follow = follow_state(context, "organization", org["id"])
        popular = _most_used(context, limit=5, period="30d", organization=org["id"])
    return render(
        request,
        "organization.html",
        org=org,
        popular=popular,
        quality=quality,
        standards=standard_titles(),
        follow=follow,
    )


def api_guide(request: Request) -> Response:
    settings = request.app.state.services.settings
    return render(request, "api.html", actions=action_names(), site_url=settings.site_url)
