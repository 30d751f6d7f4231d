"""What the community pages share: the honeypot field, and a page context that carries the
visitor's address (for the per-client limit) and, for supports, an anonymous browser id.

The honeypot is a text field people never see (moved off screen by CSS, hidden from assistive
technology, out of the tab order, no autofill), named like a field form-filling robots love. A
post with anything in it is refused with a plain message and nothing is stored; a person who
somehow filled it is told to try again.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.datastructures import FormData
from starlette.requests import Request

from tsunagu.context import Context
from tsunagu.web.session import page_context

HONEYPOT = "website"
# Notices the forms show (their text is in the templates, keyed by these).
HONEYPOT_REFUSED = "honeypot"
RATE_LIMITED = "rate_limited"
BROWSER_KEY = "browser"


def honeypot_filled(form: FormData) -> bool:
    return bool(str(form.get(HONEYPOT) or "").strip())


def browser_id(request: Request, *, create: bool) -> str | None:
    """This browser's random id in its (signed) session cookie; made when ``create``."""
    found = request.session.get(BROWSER_KEY)
    if not found and create:
        found = request.session[BROWSER_KEY] = secrets.token_urlsafe(24)
    return str(found) if found else None


@contextmanager
def community_context(request: Request, *, create_browser: bool = False) -> Iterator[Context]:
    """page_context, plus where the visitor is (address, anonymous browser)."""
    with page_context(request) as context:
        context.client_address = request.client.host if request.client else "unknown"
        if context.user is None:
            context.browser_id = browser_id(request, create=create_browser)
        yield context


def text_field(form: FormData, name: str, limit: int = 10_000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""
