"""Security headers on every response, and CSRF tokens for every form."""

from __future__ import annotations

import hmac
import re
import secrets

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tsunagu.errors import NotAuthorized

GSI_TILES = "https://cyberjapandata.gsi.go.jp"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    f"img-src 'self' data: {GSI_TILES}; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)
# Embeddable map/chart pages may be framed by any site; nothing else may. The pattern is the
# embed route's own (one path segment), so no other address, e.g. "/embed/../staff" sent
# percent-encoded, is ever framable.
EMBED_CSP = CSP.replace("frame-ancestors 'self'", "frame-ancestors *")
EMBED_PATH = re.compile(r"/embed/resource/[^/]+")


# Browsers that have seen the site over https refuse plain http to it (and to hosts under its
# name) for a year. No "preload": joining browsers' built-in list is the operator's choice.
HSTS = b"max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """Headers on every answer: pages, the API, files, errors.

    ``https`` says the public site is served over https (its site_url); a request that arrived
    as https through a trusted proxy (uvicorn sets the scheme from X-Forwarded-Proto only for
    TSUNAGU_TRUSTED_PROXIES) is treated the same. Either way the answer carries HSTS and every
    cookie it sets is marked Secure."""

    def __init__(self, app: ASGIApp, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        embed = EMBED_PATH.fullmatch(scope["path"]) is not None
        https = self.https or scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = {
                    b"content-security-policy": (EMBED_CSP if embed else CSP).encode(),
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"strict-origin-when-cross-origin",
                    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
                }
                if not embed:
                    extra[b"x-frame-options"] = b"SAMEORIGIN"
                if https:
                    extra[b"strict-transport-security"] = HSTS
                    headers = [_secure_cookie(name, value) for name, value in headers]
                headers += [(k, v) for k, v in extra.items() if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _secure_cookie(name: bytes, value: bytes) -> tuple[bytes, bytes]:
    if name.lower() != b"set-cookie":
        return name, value
    flags = {part.strip().lower() for part in value.split(b";")[1:]}
    return name, value if b"secure" in flags else value + b"; secure"


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, form: FormData) -> None:
    sent = str(form.get("csrf_token") or request.headers.get("x-csrf-token") or "")
    expected = str(request.session.get("csrf") or "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise NotAuthorized(
            "フォームの有効期限が切れました。もう一度お試しください (CSRF check failed)"
        )
