"""The portal benchmark's browser timings: Debian's Chromium loading the pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal_bench.config import CHROMIUM, CHROMIUM_ARGS, log, other_benchmarks, pct
from portal_bench.http_timing import clean_rows

NAVIGATION = """() => { const t = performance.timing; return [t.responseStart - t.navigationStart,
  t.domContentLoadedEventEnd - t.navigationStart, t.loadEventEnd - t.navigationStart]; }"""


@dataclass
class BrowserRow:
    label: str
    shown: str
    paths: list[str]
    warm: list[list[float]] = field(default_factory=list)  # [ttfb, dcl, load] per load
    cold: list[list[float]] = field(default_factory=list)
    others: set[str] = field(default_factory=set)

    def reset(self) -> None:
        self.warm.clear()
        self.cold.clear()
        self.others.clear()


def browser_loads(
    base_url: str, pages: list[tuple[str, str, list[str]]], loads: int, wait: bool = True
) -> Any:
    """``load`` event times: warm (one context, two unrecorded loads first) and cold (a new
    context, so an empty cache, for every load)."""
    if not CHROMIUM.exists():
        return f"skipped: {CHROMIUM} is not installed"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "skipped: playwright is not installed"
    outside: list[str] = []

    def one(context: Any, path: str) -> list[float]:
        page = context.new_page()
        page.goto(base_url + path, wait_until="load", timeout=60_000)
        page.wait_for_function("performance.timing.loadEventEnd > 0", timeout=60_000)
        timing = [float(x) for x in page.evaluate(NAVIGATION)]
        page.close()
        return timing

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:

            def run(row: BrowserRow) -> None:
                paths = row.paths
                context = browser.new_context(
                    locale="ja-JP", viewport={"width": 1280, "height": 900}
                )
                context.on(
                    "request",
                    lambda r: (
                        outside.append(r.url)
                        if not r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                        else None
                    ),
                )
                for i in range(loads + 2):
                    if i % 5 == 0:
                        row.others.update(other_benchmarks())
                    timing = one(context, paths[i % len(paths)])
                    if i >= 2:
                        row.warm.append(timing)
                context.close()
                for i in range(loads):
                    if i % 5 == 0:
                        row.others.update(other_benchmarks())
                    context = browser.new_context(
                        locale="ja-JP", viewport={"width": 1280, "height": 900}
                    )
                    row.cold.append(one(context, paths[i % len(paths)]))
                    context.close()
                row.others.update(other_benchmarks())
                log(
                    f"  browser {row.label}: load p50 warm "
                    f"{pct([t[2] for t in row.warm], 50):.0f} ms, cold "
                    f"{pct([t[2] for t in row.cold], 50):.0f} ms"
                )

            rows = [BrowserRow(label, shown, paths) for label, shown, paths in pages]
            clean_rows(rows, run, wait)
            version = browser.version
        finally:
            browser.close()
    return {"rows": rows, "version": version, "outside": sorted(set(outside))}
