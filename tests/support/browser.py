"""Debian's Chromium driven by Playwright: axe-core checks at every width, review screenshots,
and timeouts long enough for a busy 2-core machine.

Review screenshots: every page type, at desktop and phone width, written on each run to
test-output/review/<page>-<width>.png (same names every run, so each run replaces the last).
Nothing compares them automatically; they are for a person changing a page to look at before
and after. Tests take no other screenshots.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from support.missing_parts import skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
REVIEW = Path(__file__).resolve().parents[2] / "test-output" / "review"
# Flags the closed network here needs: no background calls to Google services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Milliseconds. Generous: waits end as soon as their condition holds, so a long limit costs
# nothing on a quiet machine and keeps a loaded one (tests in parallel with PostgreSQL, a full
# page screenshot with Japanese fonts and a map) from failing for slowness alone.
ACTION_TIMEOUT = 60_000  # clicks, fills, waits for an element or a condition, expect()
NAVIGATION_TIMEOUT = 90_000
SCREENSHOT_TIMEOUT = 120_000


def require_chromium() -> None:
    if not CHROMIUM.exists():
        skip_or_fail(
            "Chromium", f"{CHROMIUM} is not installed", required_by="TSUNAGU_REQUIRE_BROWSER"
        )


@contextmanager
def checked_page(
    browser: Any,
    base_url: str,
    *,
    refuse_dialogs: bool = False,
    refuse_policy_violations: bool = False,
    refuse_failed_requests: bool = False,
    init_script: str | None = None,
    **options: Any,
) -> Iterator[Any]:
    """A page in a browser context of its own: Japanese at desktop width unless ``options`` (more
    arguments of ``new_context``) say otherwise, with the suite's timeouts. When the page is
    given back, the test fails if a script on it raised, and as asked if a dialog opened (a
    script run from data: each is dismissed and kept in ``page.dialogs``), the
    Content-Security-Policy refused a script or style, or a request other than the favicon
    failed (status 400 or more). ``init_script`` runs in every document before its own scripts
    (injected by the browser, not the page)."""
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=ACTION_TIMEOUT)
    context = browser.new_context(
        base_url=base_url, **{"locale": "ja-JP", "viewport": VIEWPORTS["desktop"], **options}
    )
    context.set_default_timeout(ACTION_TIMEOUT)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT)
    if init_script is not None:
        context.add_init_script(init_script)
    page = context.new_page()
    problems: dict[str, list[str]] = {"JavaScript errors": []}
    page.on("pageerror", lambda error: problems["JavaScript errors"].append(str(error)))
    if refuse_dialogs:
        page.dialogs = problems["dialogs"] = []
        page.on(
            "dialog", lambda dialog: (problems["dialogs"].append(dialog.message), dialog.dismiss())
        )
    if refuse_policy_violations:
        problems["refused by the Content-Security-Policy"] = refused = []
        page.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
    if refuse_failed_requests:
        problems["failed requests"] = failed = []
        page.on(
            "response",
            lambda r: failed.append(r.url) if r.status >= 400 and "favicon" not in r.url else None,
        )
    try:
        yield page
        found = {kind: seen for kind, seen in problems.items() if seen}
        assert not found, found
    finally:
        context.close()


def expect(target: Any) -> Any:
    """Playwright's expect, imported only when a browser test runs."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Level A and AA violations on the current page (axe-core served by the site itself, so
    the page's Content-Security-Policy allows it)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]


def check_page(page: Any, review_name: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Run axe at desktop and at phone width (a layout change can hide a label or break
    contrast), saving a review screenshot at each width when `review_name` is given. Returns
    the violations by width (empty when there are none); the viewport ends at desktop width."""
    found: dict[str, list[dict[str, Any]]] = {}
    for width, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        if violations := axe_violations(page):
            found[width] = violations
        if review_name:
            REVIEW.mkdir(parents=True, exist_ok=True)
            page.screenshot(
                path=str(REVIEW / f"{review_name}-{width}.png"),
                full_page=True,
                animations="disabled",
                timeout=SCREENSHOT_TIMEOUT,
            )
    page.set_viewport_size(VIEWPORTS["desktop"])
    return found
