"""A browser-less visitor of the portal: one cookie jar, pages fetched over HTTP, forms posted
with the CSRF token read from the page that shows them (as a browser would)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import EmailMessage

import requests

from support.smtp_server import body_of

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Visitor:
    base: str
    http: requests.Session = field(default_factory=requests.Session)

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return self.http.get(self.url(path), timeout=30, allow_redirects=False, **kwargs)  # type: ignore[arg-type]

    def csrf(self, page: str) -> str:
        """The CSRF token a page's forms carry (fetching the page if given a path)."""
        text = self.get(page).text if page.startswith(("/", "http")) else page
        found = CSRF.search(text)
        assert found is not None, "the page has no form with a CSRF token"
        return found.group(1)

    def submit(self, page: str, action: str | None = None, **fields: str) -> requests.Response:
        """Open `page`, then post `fields` with its CSRF token to `action` (default: the page)."""
        token = self.csrf(page)
        return self.post(action or page, csrf_token=token, **fields)

    def post(self, path: str, **fields: str) -> requests.Response:
        return self.http.post(self.url(path), data=fields, timeout=30, allow_redirects=False)

    def sign_in(self, name: str, password: str) -> requests.Response:
        return self.submit("/user/login", name=name, password=password, next="/staff")

    def signed_in(self) -> bool:
        """Whether the staff menu opens (an anonymous visitor is sent to the login page)."""
        page = self.get("/staff")
        return page.status_code == 200 and 'action="/user/logout"' in page.text


LINK = re.compile(r"(http://127\.0\.0\.1:\d+/user/(?:reset|invite)/[A-Za-z0-9_\-]+)")


def link_in(message: EmailMessage) -> str:
    found = LINK.search(body_of(message))
    assert found is not None, "the mail has no link"
    return found.group(1)
