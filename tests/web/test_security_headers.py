"""Security headers and cookie flags over real HTTP, for a site on http and on https.

https is reached two ways: a server whose site_url is https, and a request that a trusted proxy
marks X-Forwarded-Proto: https (the test server runs uvicorn with its defaults, which believe
that header from 127.0.0.1, as `tsunagu serve` does for TSUNAGU_TRUSTED_PROXIES). The headers do
not depend on the database engine, so these run on SQLite only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
import requests

from support.browser import checked_page, require_chromium
from support.live_server import LiveServer

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "tsunagu" / "web" / "templates"
HTTPS = {"X-Forwarded-Proto": "https"}
HSTS = "max-age=31536000; includeSubDomains"


def _start(tmp: Path, **overrides: Any) -> LiveServer:
    return LiveServer(
        data_dir=tmp, database_url=f"sqlite:///{tmp / 'tsunagu.db'}", overrides=overrides
    ).start()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = _start(tmp_path_factory.mktemp("headers-http"))
    admin = live.ckan(live.make_user("sh-admin", sysadmin=True))
    live.make_user("sh-editor")
    admin.action.organization_create(name="sh-city", title="見出し市")
    admin.action.organization_member_create(id="sh-city", username="sh-editor", role="editor")
    admin.action.package_create(name="sh-data", title="避難所", owner_org="sh-city")
    created = admin.action.datastore_create(
        resource={"package_id": "sh-data", "name": "避難所一覧"},
        fields=[
            {"id": "名称", "type": "text"},
            {"id": "緯度", "type": "numeric"},
            {"id": "経度", "type": "numeric"},
            {"id": "定員", "type": "int"},
        ],
        records=[
            {"名称": "市役所", "緯度": 33.95, "経度": 131.25, "定員": 100},
            {"名称": "公民館", "緯度": 33.96, "経度": 131.26, "定員": 50},
        ],
    )
    live.resource_id = created["resource_id"]  # type: ignore[attr-defined]
    yield live
    live.stop()


@pytest.fixture(scope="module")
def https_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A site whose public address is https (TLS ends at a proxy that forwards plain http)."""
    live = _start(tmp_path_factory.mktemp("headers-https"), site_url="https://opendata.example.jp")
    live.make_user("sh-https")
    yield live
    live.stop()


def paths(site: LiveServer) -> dict[str, str]:
    """One address of each kind of answer the site gives."""
    return {
        "page": "/",
        "dataset page": "/dataset/sh-data",
        "login page": "/user/login",
        "missing page": "/dataset/no-such-thing",
        "api result": "/api/3/action/site_read",
        "api error": "/api/3/action/package_show?id=no-such-thing",
        "openapi": "/openapi.json",
        "static file": "/static/css/site.css",
        "datastore dump": f"/datastore/dump/{site.resource_id}",  # type: ignore[attr-defined]
    }


def cookies_of(response: requests.Response) -> dict[str, dict[str, str]]:
    """Each Set-Cookie by name, with its attributes lower-cased ("" for flags)."""
    found: dict[str, dict[str, str]] = {}
    for header in response.raw.headers.getlist("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            attributes = {k: str(v) for k, v in morsel.items() if v}
            # SimpleCookie drops valueless flags it does not know; read them from the text too.
            for flag in ("secure", "httponly", "partitioned"):
                if re.search(rf";\s*{flag}\s*(;|$)", header, re.IGNORECASE):
                    attributes[flag] = "true"
            found[name] = attributes
    return found


def sign_in(
    site: LiveServer, name: str, headers: dict[str, str] | None = None
) -> requests.Response:
    """A sign-in, passing the session cookie by hand: a Secure cookie is not sent back over the
    plain http the test talks."""
    form = requests.get(site.url + "/user/login", headers=headers, timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    raw = form.raw.headers.getlist("set-cookie")[0].split(";", 1)[0]
    assert re.match(r"(__Host-)?tsunagu_session=", raw)
    return requests.post(
        site.url + "/user/login",
        data={"csrf_token": token, "name": name, "password": f"pw-{name}-0000"},
        headers={**(headers or {}), "Cookie": raw},
        allow_redirects=False,
        timeout=30,
    )


# -- on every answer ---------------------------------------------------------------------------


def test_every_kind_of_answer_carries_the_headers(site: LiveServer) -> None:
    for kind, path in paths(site).items():
        response = requests.get(site.url + path, timeout=30)
        assert response.status_code in (200, 404), kind
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "script-src 'self';" in csp, kind
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, kind
        assert "object-src 'none'" in csp and "base-uri 'self'" in csp, kind
        assert "frame-ancestors 'self'" in csp, kind
        assert headers["x-frame-options"] == "SAMEORIGIN", kind
        assert headers["x-content-type-options"] == "nosniff", kind
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin", kind
        assert "camera=()" in headers["permissions-policy"], kind
        # Plain http: no HSTS (browsers ignore it there, and it would be a false promise).
        assert "strict-transport-security" not in headers, kind


def test_headers_are_on_refusals_too(site: LiveServer) -> None:
    refused = requests.post(site.url + "/user/login", data={"name": "x"}, timeout=30)
    assert refused.status_code == 403  # no CSRF token
    assert refused.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'self'" in refused.headers["content-security-policy"]
    wrong_method = requests.get(site.url + "/api/3/action/package_create", timeout=30)
    assert wrong_method.status_code == 400
    assert wrong_method.headers["x-frame-options"] == "SAMEORIGIN"


def test_only_embed_pages_may_be_framed_by_other_sites(site: LiveServer) -> None:
    embed = requests.get(
        f"{site.url}/embed/resource/{site.resource_id}",  # type: ignore[attr-defined]
        timeout=30,
    )
    assert embed.status_code == 200
    csp = embed.headers["content-security-policy"]
    assert "frame-ancestors *" in csp and "unsafe-inline" not in csp
    assert "script-src 'self';" in csp
    assert "x-frame-options" not in embed.headers
    assert embed.headers["x-content-type-options"] == "nosniff"
    # Look-alike addresses are not embeds: they are refused framing like every other page.
    for path in ("/embed", "/embedded/x", "/dataset/embed", "/embed%2F..%2Fstaff"):
        other = requests.get(site.url + path, timeout=30)
        assert "frame-ancestors 'self'" in other.headers["content-security-policy"], path
        assert other.headers["x-frame-options"] == "SAMEORIGIN", path


def test_session_cookie_flags_over_http(site: LiveServer) -> None:
    signed_in = sign_in(site, "sh-editor")
    assert signed_in.status_code == 303
    cookie = cookies_of(signed_in)["tsunagu_session"]
    assert cookie["httponly"] and cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/"
    assert "secure" not in cookie  # a Secure cookie would never come back over http
    assert 0 < int(cookie["max-age"]) <= 8 * 3600


# -- https -------------------------------------------------------------------------------------


def test_https_through_a_trusted_proxy_adds_hsts(site: LiveServer) -> None:
    for kind, path in paths(site).items():
        response = requests.get(site.url + path, headers=HTTPS, timeout=30)
        assert response.headers["strict-transport-security"] == HSTS, kind
        assert response.headers["x-content-type-options"] == "nosniff", kind
    embed = requests.get(
        f"{site.url}/embed/resource/{site.resource_id}",  # type: ignore[attr-defined]
        headers=HTTPS,
        timeout=30,
    )
    assert embed.headers["strict-transport-security"] == HSTS


def test_https_through_a_trusted_proxy_makes_cookies_secure(site: LiveServer) -> None:
    signed_in = sign_in(site, "sh-editor", HTTPS)
    assert signed_in.status_code == 303
    cookie = cookies_of(signed_in)["tsunagu_session"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"].lower() == "lax"
    # The language choice is a cookie too.
    lang = requests.get(site.url + "/?lang=en", headers=HTTPS, timeout=30)
    assert cookies_of(lang)["lang"]["secure"]
    plain = requests.get(site.url + "/?lang=en", timeout=30)
    assert "secure" not in cookies_of(plain)["lang"]


def test_https_site_url_adds_hsts_and_secure_cookies(https_site: LiveServer) -> None:
    for kind, path in {"page": "/", "api": "/api/3/action/site_read"}.items():
        response = requests.get(https_site.url + path, timeout=30)
        assert response.headers["strict-transport-security"] == HSTS, kind
        assert "unsafe-inline" not in response.headers["content-security-policy"], kind
    signed_in = sign_in(https_site, "sh-https")
    assert signed_in.status_code == 303
    # The __Host- prefix: browsers keep it to this host only, and only Secure with Path=/.
    cookie = cookies_of(signed_in)["__Host-tsunagu_session"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/" and "domain" not in cookie
    assert "tsunagu_session" not in cookies_of(signed_in)


# -- the templates keep to the policy ---------------------------------------------------------

SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
HANDLER = re.compile(r"<[a-z][^>]*\s(on[a-z]+)\s*=", re.IGNORECASE | re.DOTALL)


def test_templates_have_no_inline_scripts_handlers_or_styles() -> None:
    """script-src 'self' and style-src 'self' without 'unsafe-inline': anything inline would be
    blocked by the browser, so none may be written. JSON-LD is data, not script."""
    problems = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        name = template.relative_to(TEMPLATES).as_posix()
        for attributes in SCRIPT.findall(text):
            if "src=" not in attributes and 'type="application/ld+json"' not in attributes:
                problems.append(f"{name}: inline <script{attributes}>")
        problems += [f"{name}: {handler}= handler" for handler in HANDLER.findall(text)]
        if re.search(r"<style\b|\sstyle\s*=", text, re.IGNORECASE):
            problems.append(f"{name}: inline style")
        if re.search(r"javascript:", text, re.IGNORECASE):
            problems.append(f"{name}: javascript: URL")
    assert not problems, problems


def test_pages_run_in_a_browser_without_policy_violations(browser: Any, site: LiveServer) -> None:
    """The pages with the most script (map, chart, preview, staff forms) load in Chromium under
    the real headers without a single Content-Security-Policy violation."""
    require_chromium()
    # Records what the policy blocks on each page, so that the test names the page.
    recorder = (
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    visited = {}
    with checked_page(
        browser, site.url, init_script=recorder, refuse_policy_violations=True
    ) as page:
        page.goto("/user/login")
        page.get_by_label("ユーザー名").fill("sh-editor")
        page.get_by_label("パスワード").fill("pw-sh-editor-0000")
        page.get_by_role("button", name="ログイン").click()
        page.wait_for_url(re.compile(r"/staff$"))
        for path in (
            "/",
            "/dataset?q=避難所",
            "/dataset/sh-data",
            f"/embed/resource/{site.resource_id}",  # type: ignore[attr-defined]
            "/organization/sh-city",
            "/api-guide",
            "/staff",
            "/staff/dataset/sh-data",
            "/staff/tokens",
        ):
            page.goto(path)
            page.wait_for_load_state("networkidle")
            visited[path] = page.evaluate("window.__violations")
        assert all(not v for v in visited.values()), visited
