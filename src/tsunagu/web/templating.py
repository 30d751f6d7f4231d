"""Jinja2 rendering with the things every page needs: language, user, CSRF token, site."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import HTMLResponse

from tsunagu.catalog.site_options import default_site_options, site_options
from tsunagu.disaster.state import mode_holder
from tsunagu.web.i18n import language_of, translator
from tsunagu.web.markdown import markdown_text, render_markdown
from tsunagu.web.security import csrf_token

TEMPLATES = Path(__file__).resolve().parent / "templates"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters["markdown"] = render_markdown
environment.filters["markdown_text"] = markdown_text


def _json_attr(value: Any) -> str:
    """JSON for a data-* attribute (autoescaping then makes it attribute-safe)."""
    return json.dumps(value, ensure_ascii=False)


def _json_script(value: Any) -> Markup:
    """JSON inside <script type="application/ld+json">: '<' escaped so data cannot close it."""
    text = json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text)


environment.filters["json_attr"] = _json_attr
environment.filters["json_script"] = _json_script


def query_string(params: dict[str, Any]) -> str:
    pairs = [
        (k, v)
        for k, vs in params.items()
        for v in (vs if isinstance(vs, list) else [vs])
        if v not in (None, "")
    ]
    return urlencode(pairs)


def url_with(request: Request, **changes: Any) -> str:
    """The current URL's query string with some parameters replaced (others, repeated ones
    included, kept)."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    pairs += [(k, v) for k, v in changes.items() if v not in (None, "")]
    return "?" + urlencode(pairs)


environment.globals["query_string"] = query_string
environment.globals["url_with"] = url_with


class LazyToken:
    """The CSRF token, created only when a form on the page prints it, so readers who never
    see a form get no session cookie."""

    def __init__(self, request: Request) -> None:
        self.request = request

    def __str__(self) -> str:
        return csrf_token(self.request)

    def __html__(self) -> str:
        return str(self)


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    language = language_of(request)
    services = request.app.state.services
    # Read on every page (one small query), so a sysadmin's change shows in every process;
    # with the database unreachable an error page still renders, with the defaults.
    try:
        with services.sessions() as session:
            site = site_options(session, services.settings)
    except SQLAlchemyError:
        site = default_site_options(services.settings)
    page = environment.get_template(template).render(
        request=request,
        _=translator(language),
        lang=language,
        other_lang="en" if language == "ja" else "ja",
        user=request.state.user if hasattr(request.state, "user") else None,
        csrf_token=LazyToken(request),
        site_title=site.title,
        site=site,
        # 災害モード's banner while it is on (this process's copy: no query).
        disaster=mode_holder(services).banner(),
        **values,
    )
    response = HTMLResponse(page, status_code=status_code)
    if request.query_params.get("lang") == language:
        response.set_cookie(
            "lang",
            language,
            max_age=365 * 24 * 3600,
            samesite="lax",
            secure=services.settings.site_url.startswith("https"),
        )
    return response
