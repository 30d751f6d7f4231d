"""URL map of the portal."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from tsunagu.errors import ActionError
from tsunagu.maps.http import layer_csv, layer_geojson
from tsunagu.web.session import page_context
from tsunagu.web.templating import render
from tsunagu.web.views import (
    accounts,
    batch,
    choropleth,
    community_requests,
    community_showcases,
    community_staff,
    dashboards,
    following,
    harvest,
    invitations,
    maps,
    plan,
    plan_import,
    plan_indicator,
    plan_staff,
    public,
    recovery,
    site,
    sitemap,
    staff,
    staff_quality,
    versions,
    workspace_home,
    workspace_table,
)

STATIC = Path(__file__).resolve().parent / "static"


def routes() -> list[BaseRoute]:
    return [
        Route("/", public.home),
        Route("/dataset", public.search),
        Route("/dataset/{name}", public.dataset),
        Route("/dataset/{name}/follow", following.follow_dataset, methods=["POST"]),
        Route("/dataset/{name}/unfollow", following.unfollow_dataset, methods=["POST"]),
        Route("/organization", public.organizations),
        Route("/map", maps.map_page),
        Route("/map/layers/{name}.geojson", layer_geojson),
        Route("/map/layers/{name}.csv", layer_csv),
        Route("/organization/{name}", public.organization),
        Route("/organization/{name}/follow", following.follow_organization, methods=["POST"]),
        Route("/organization/{name}/unfollow", following.unfollow_organization, methods=["POST"]),
        Route("/plan", plan.plans),
        Route("/plan/{name}", plan.plan_page),
        Route("/plan/{name}/dashboard", plan.dashboard_page),
        Route("/plan/{name}/dashboard.json", plan.dashboard_json),
        Route("/plan/{name}/dashboard.csv", plan.dashboard_csv),
        Route("/plan/{name}/export.xlsx", plan.export_xlsx),
        Route("/plan/{name}/export.csv", plan.export_csv),
        Route("/api-guide", public.api_guide),
        Route("/dashboard", dashboards.index),
        Route("/dashboard/coverage", dashboards.coverage_page),
        Route("/dashboard/coverage.json", dashboards.coverage_json),
        Route("/dashboard/coverage.csv", dashboards.coverage_csv),
        Route("/dashboard/organizations", dashboards.organizations_page),
        Route("/dashboard/organizations.json", dashboards.organizations_json),
        Route("/dashboard/organizations.csv", dashboards.organizations_csv),
        # Before the page: an organisation's name has no dot, so "x.json" is the JSON of x.
        Route("/dashboard/organizations/{name}.json", dashboards.organization_json),
        Route("/dashboard/organizations/{name}.csv", dashboards.organization_csv),
        Route("/dashboard/organizations/{name}", dashboards.organization_page),
        Route("/request", community_requests.request_list),
        Route("/request/new", community_requests.new_request_page, methods=["GET"]),
        Route("/request/new", community_requests.create_request, methods=["POST"]),
        Route("/request/{request_id}", community_requests.request_page),
        Route(
            "/request/{request_id}/support", community_requests.support_request, methods=["POST"]
        ),
        Route("/showcase", community_showcases.showcase_list),
        Route("/showcase/new", community_showcases.new_showcase_page, methods=["GET"]),
        Route("/showcase/new", community_showcases.create_showcase, methods=["POST"]),
        Route("/showcase/{name}", community_showcases.showcase_page),
        Route("/uploads/showcase/{file_name}", community_showcases.showcase_image),
        Route("/robots.txt", sitemap.robots),
        Route("/sitemap.xml", sitemap.index),
        Route("/sitemap-organizations.xml", sitemap.organizations),
        Route("/sitemap-datasets-{number}.xml", sitemap.datasets),
        Route("/about", site.about),
        Route("/site/custom.css", site.custom_css),
        Route("/embed/resource/{resource_id}", public.embed),
        Route("/choropleth/{resource_id}", choropleth.choropleth_page),
        Route("/maps/boundaries/{prefecture}.geojson", choropleth.boundary_file),
        Route(
            "/dataset/{dataset}/resource/{resource}/version/{version}/download/{filename:path}",
            versions.download,
        ),
        Route(
            "/dataset/{dataset}/resource/{resource}/version/{version}/download", versions.download
        ),
        Route("/user/login", staff.login_page, methods=["GET"]),
        Route("/user/login", staff.login, methods=["POST"]),
        Route("/user/logout", staff.logout, methods=["POST"]),
        Route("/user/reset", recovery.forgot_page, methods=["GET"]),
        Route("/user/reset", recovery.send_reset, methods=["POST"]),
        Route("/user/reset/{key}", recovery.reset_page, methods=["GET"]),
        Route("/user/reset/{key}", recovery.reset_password, methods=["POST"]),
        Route("/user/invite/{key}", invitations.accept_page, methods=["GET"]),
        Route("/user/invite/{key}", invitations.accept, methods=["POST"]),
        Route("/staff", workspace_home.home),
        Route("/staff/attention/minimums", workspace_home.set_minimums, methods=["POST"]),
        Route("/staff/datasets", workspace_table.datasets_page, methods=["GET"]),
        Route("/staff/datasets/bulk", workspace_table.bulk_confirm, methods=["POST"]),
        Route("/staff/datasets/bulk/apply", workspace_table.bulk_apply, methods=["POST"]),
        Route("/staff/requests", community_staff.requests_page, methods=["GET"]),
        Route("/staff/requests/{request_id}", community_staff.request_page, methods=["GET"]),
        Route("/staff/requests/{request_id}", community_staff.update_request, methods=["POST"]),
        Route(
            "/staff/requests/{request_id}/delete",
            community_staff.delete_request,
            methods=["POST"],
        ),
        Route("/staff/showcases", community_staff.showcases_page, methods=["GET"]),
        Route("/staff/showcases/{name}", community_staff.showcase_page, methods=["GET"]),
        Route("/staff/showcases/{name}/review", community_staff.review_showcase, methods=["POST"]),
        Route("/staff/following", following.following_page, methods=["GET"]),
        Route("/staff/following/notifications", following.set_notifications, methods=["POST"]),
        Route("/staff/following/read", following.mark_read, methods=["POST"]),
        Route("/staff/following/unfollow", following.unfollow, methods=["POST"]),
        Route("/staff/batch", batch.batch_page, methods=["GET"]),
        Route("/staff/batch", batch.upload, methods=["POST"]),
        Route("/staff/batch/template.csv", batch.template_csv, methods=["GET"]),
        Route("/staff/batch/{batch_id}", batch.show, methods=["GET"]),
        Route("/staff/batch/{batch_id}", batch.add, methods=["POST"]),
        Route("/staff/batch/{batch_id}/apply", batch.apply, methods=["POST"]),
        Route("/staff/batch/{batch_id}/discard", batch.discard, methods=["POST"]),
        Route("/staff/map", maps.staff_map_page, methods=["GET"]),
        Route("/staff/map/layers", maps.create_layer, methods=["POST"]),
        Route("/staff/map/layers/{name}/delete", maps.delete_layer, methods=["POST"]),
        Route("/staff/harvest", harvest.sources_page, methods=["GET"]),
        Route("/staff/harvest/new", harvest.new_page, methods=["GET"]),
        Route("/staff/harvest/new", harvest.create, methods=["POST"]),
        Route("/staff/harvest/{name}", harvest.source_page, methods=["GET"]),
        Route("/staff/harvest/{name}/edit", harvest.edit_page, methods=["GET"]),
        Route("/staff/harvest/{name}/edit", harvest.update, methods=["POST"]),
        Route("/staff/harvest/{name}/run", harvest.run_now, methods=["POST"]),
        Route("/staff/harvest/{name}/delete", harvest.delete, methods=["POST"]),
        Route("/staff/harvest/{name}/job/{job_id}", harvest.job_page, methods=["GET"]),
        Route("/staff/harvest/{name}/job/{job_id}/abort", harvest.abort, methods=["POST"]),
        Route("/staff/dataset/new", staff.new_dataset_page, methods=["GET"]),
        Route("/staff/dataset/new", staff.save_dataset, methods=["POST"]),
        Route("/staff/dataset/{name}", staff.manage_dataset),
        Route("/staff/dataset/{name}/edit", staff.save_dataset, methods=["POST"]),
        Route("/staff/dataset/{name}/upload", staff.upload, methods=["POST"]),
        Route("/staff/dataset/{name}/publish", staff.publish, methods=["POST"]),
        Route(
            "/staff/dataset/{name}/resource/{resource_id}/types", staff.set_types, methods=["POST"]
        ),
        Route(
            "/staff/dataset/{name}/resource/{resource_id}/replace",
            versions.replace,
            methods=["POST"],
        ),
        Route(
            "/staff/dataset/{name}/resource/{resource_id}/check",
            staff_quality.check,
            methods=["POST"],
        ),
        Route(
            "/staff/dataset/{name}/resource/{resource_id}/autofix",
            staff_quality.autofix,
            methods=["POST"],
        ),
        Route(
            "/staff/dataset/{name}/resource/{resource_id}/standard",
            staff_quality.declare_standard,
            methods=["POST"],
        ),
        Route(
            "/staff/dataset/{name}/resource/{resource_id}/pii-override",
            staff_quality.pii_override,
            methods=["POST"],
        ),
        Route("/staff/plan", plan_staff.plans_page, methods=["GET"]),
        Route("/staff/plan", plan_staff.create_plan, methods=["POST"]),
        Route("/staff/plan/{name}", plan_staff.plan_page, methods=["GET"]),
        Route("/staff/plan/{name}", plan_staff.save_plan, methods=["POST"]),
        Route("/staff/plan/{name}/delete", plan_staff.delete_plan, methods=["POST"]),
        Route("/staff/plan/{name}/heading", plan_staff.add_heading, methods=["POST"]),
        Route("/staff/plan/{name}/heading/{node}", plan_staff.change_heading, methods=["POST"]),
        Route("/staff/plan/{name}/measure", plan_staff.add_measure, methods=["POST"]),
        Route("/staff/plan/{name}/measure/{measure}", plan_staff.measure_page, methods=["GET"]),
        Route("/staff/plan/{name}/measure/{measure}", plan_staff.save_measure, methods=["POST"]),
        Route(
            "/staff/plan/{name}/measure/{measure}/delete",
            plan_staff.delete_measure,
            methods=["POST"],
        ),
        Route(
            "/staff/plan/{name}/measure/{measure}/indicator",
            plan_staff.add_indicator,
            methods=["POST"],
        ),
        Route(
            "/staff/plan/{name}/indicator/{indicator}",
            plan_indicator.indicator_page,
            methods=["GET"],
        ),
        Route(
            "/staff/plan/{name}/indicator/{indicator}",
            plan_indicator.save_indicator,
            methods=["POST"],
        ),
        Route(
            "/staff/plan/{name}/indicator/{indicator}/binding",
            plan_indicator.bind_indicator,
            methods=["POST"],
        ),
        Route(
            "/staff/plan/{name}/indicator/{indicator}/delete",
            plan_indicator.delete_indicator,
            methods=["POST"],
        ),
        Route(
            "/staff/plan/{name}/indicator/{indicator}/value",
            plan_indicator.add_value,
            methods=["POST"],
        ),
        Route(
            "/staff/plan/{name}/indicator/{indicator}/value/delete",
            plan_indicator.delete_value,
            methods=["POST"],
        ),
        Route("/staff/plan/{name}/import", plan_import.upload_page, methods=["GET"]),
        Route("/staff/plan/{name}/import", plan_import.upload, methods=["POST"]),
        Route("/staff/plan/{name}/import/{import_id}", plan_import.preview_page, methods=["GET"]),
        Route("/staff/plan/{name}/import/{import_id}", plan_import.remap, methods=["POST"]),
        Route("/staff/plan/{name}/import/{import_id}/apply", plan_import.apply, methods=["POST"]),
        Route(
            "/staff/plan/{name}/import/{import_id}/discard", plan_import.discard, methods=["POST"]
        ),
        Route("/staff/tokens", accounts.tokens_page, methods=["GET"]),
        Route("/staff/tokens", accounts.create_token, methods=["POST"]),
        Route("/staff/tokens/revoke", accounts.revoke_token, methods=["POST"]),
        Route("/staff/organization/{org}/members", accounts.members_page, methods=["GET"]),
        Route("/staff/organization/{org}/members", accounts.add_member, methods=["POST"]),
        Route("/staff/organization/{org}/invite", invitations.invite, methods=["POST"]),
        Route("/staff/password", accounts.password_page, methods=["GET"]),
        Route("/staff/password", accounts.change_password, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


async def action_error_page(request: Request, exc: Exception) -> Response:
    """An action refused a page request: show why, in the page's language, not a traceback."""
    assert isinstance(exc, ActionError)
    with page_context(request):
        return render(request, "error.html", status_code=exc.status, message=exc.message)
