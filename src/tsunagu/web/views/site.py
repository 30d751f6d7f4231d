"""Pages made from the site settings sysadmins edit (config_option_update): the about page
and the custom stylesheet."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tsunagu.catalog.site_options import site_options
from tsunagu.web.templating import render


def about(request: Request) -> Response:
    return render(request, "about.html")


def custom_css(request: Request) -> Response:
    """The custom CSS as a stylesheet of its own (same origin, so the CSP's style-src 'self'
    allows it and no inline style is ever needed)."""
    services = request.app.state.services
    with services.sessions() as session:
        css = site_options(session, services.settings).custom_css
    return Response(
        css,
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )
