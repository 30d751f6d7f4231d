"""The portal benchmark's page timings over HTTP (time to first byte, whole page)."""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from portal_bench.config import (
    FACETS,
    HEADERS,
    HOME_SEARCH,
    PAGE_SIZE,
    log,
    other_benchmarks,
    pct,
    wait_for_other_benchmarks,
)


class Connection:
    """One keep-alive connection; ``get`` returns (ms to the response headers, ms to the last
    byte, status, body). The server sends headers and body together once the page is rendered,
    so the first figure is the time to first byte."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str) -> tuple[float, float, int, bytes]:
        for attempt in range(2):
            try:
                started = time.perf_counter()
                self.conn.request("GET", path, headers=HEADERS)
                response = self.conn.getresponse()
                first = time.perf_counter()
                body = response.read()
                done = time.perf_counter()
                return (first - started) * 1000, (done - started) * 1000, response.status, body
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def api(self, path: str) -> Any:
        _, _, status, body = self.get(path)
        data = json.loads(body)
        if status != 200 or not data.get("success"):
            raise RuntimeError(f"{path}: {status} {body[:300]!r}")
        return data["result"]

    def close(self) -> None:
        self.conn.close()


def action(name: str, params: dict[str, str] | None = None) -> str:
    return f"/api/3/action/{name}" + ("?" + urlencode(params) if params else "")


@dataclass
class Target:
    page: str  # the page's path, percent-encoded
    primary: str  # the API call that fetches the page's main data
    extras: list[str] = field(default_factory=list)  # the other actions the view calls


@dataclass
class Case:
    key: str
    label: str
    shown: str  # the page's path as a person reads it
    primary_label: str
    targets: list[Target]
    expect: str = ""  # a piece of HTML every response must contain
    expect_count: int = 0  # occurrences of expect
    page_ttfb: list[float] = field(default_factory=list)
    page_full: list[float] = field(default_factory=list)
    api_full: list[float] = field(default_factory=list)
    all_full: list[float] = field(default_factory=list)
    page_bytes: list[int] = field(default_factory=list)
    errors: int = 0
    others: set[str] = field(default_factory=set)  # other benchmarks seen while measuring

    def reset(self) -> None:
        for name in ("page_ttfb", "page_full", "api_full", "all_full", "page_bytes", "others"):
            getattr(self, name).clear()
        self.errors = 0

    @property
    def extras_label(self) -> str:
        names = []
        for path in self.targets[0].extras:
            name = path.split("/action/")[1].split("?")[0]
            if name not in names:
                names.append(name)
        return " + ".join([self.primary_label, *names]) if names else ""


def clean_rows(rows: list[Any], run: Any, wait: bool, attempts: int = 3) -> None:
    """Run each row; when another benchmark showed up meanwhile, wait for it to end and run the
    row again (up to ``attempts`` times; a row still overlapping one stays flagged)."""
    for row in rows:
        for attempt in range(attempts):
            if wait:
                wait_for_other_benchmarks()
            run(row)
            if not row.others or not wait or attempt == attempts - 1:
                break
            log(f"  {row.label}: another benchmark ran meanwhile; measuring it again")
            row.reset()


def measure(
    conn: Connection, cases: list[Case], requests: int, warmup: int, wait: bool = True
) -> None:
    """Page and API calls interleaved request by request (their order alternating), so both
    see the same machine state."""
    clean_rows(cases, lambda case: measure_case(conn, case, requests, warmup), wait)


def measure_case(conn: Connection, case: Case, requests: int, warmup: int) -> None:
    started = time.perf_counter()
    for i in range(warmup + requests):
        target = case.targets[i % len(case.targets)]
        if i % 25 == 0:
            case.others.update(other_benchmarks())
        page_first = i % 2 == 0
        if page_first:
            page = conn.get(target.page)
        primary = conn.get(target.primary)
        extras = [conn.get(path) for path in target.extras]
        if not page_first:
            page = conn.get(target.page)
        ttfb, full, status, body = page
        ok = status == 200 and primary[2] == 200 and all(e[2] == 200 for e in extras)
        if case.expect:
            ok = ok and body.decode().count(case.expect) >= max(1, case.expect_count)
        if not ok:
            case.errors += 1
        if i < warmup:
            continue
        case.page_ttfb.append(ttfb)
        case.page_full.append(full)
        case.page_bytes.append(len(body))
        case.api_full.append(primary[1])
        case.all_full.append(primary[1] + sum(e[1] for e in extras))
    case.others.update(other_benchmarks())
    log(
        f"  {case.label}: page TTFB p50 {pct(case.page_ttfb, 50):.1f} ms, "
        f"p95 {pct(case.page_ttfb, 95):.1f} ms; {case.primary_label} p50 "
        f"{pct(case.api_full, 50):.1f} ms ({time.perf_counter() - started:.0f} s)"
    )


def floor_case() -> Case:
    path = action("status_show")
    return Case("floor", "status_show (HTTP floor)", path, "status_show", [Target(path, path)])


def search_case(key: str, label: str, params: dict[str, Any], count: int) -> Case:
    """A /dataset page and the package_search call search() in web/views/public.py makes."""
    page = int(params.get("page", 1))
    fq = " AND ".join(f'{f}:"{v}"' for f in FACETS if (v := params.get(f)))
    api = {
        "q": params.get("q", ""),
        "fq": fq,
        "rows": str(PAGE_SIZE),
        "start": str((page - 1) * PAGE_SIZE),
        "sort": "",
        "facet.field": json.dumps(FACETS),
        "facet.limit": "20",
        "include_private": "true",
    }
    shown = "/dataset?" + "&".join(f"{k}={v}" for k, v in params.items())
    return Case(
        key,
        label,
        shown,
        "package_search",
        [Target("/dataset?" + urlencode(params), action("package_search", api))],
        expect=f"{count} 件のデータセット",
    )


def home_case() -> Case:
    return Case(
        "home",
        "home",
        "/",
        "package_search",
        [
            Target(
                "/",
                action("package_search", HOME_SEARCH),
                [
                    action("group_list", {"all_fields": "true", "sort": "package_count desc"}),
                    action("organization_list", {"all_fields": "true"}),
                ],
            )
        ],
    )


def dataset_target(package: dict[str, Any]) -> Target:
    """The dataset page and what dataset() calls: package_show, datastore_info and the first
    page of datastore_search for each resource with a table, package_activity_list."""
    extras = []
    for resource in package["resources"]:
        if resource.get("datastore_active"):
            extras.append(action("datastore_info", {"id": resource["id"]}))
            extras.append(
                action("datastore_search", {"resource_id": resource["id"], "limit": "20"})
            )
    extras.append(action("package_activity_list", {"id": package["id"], "limit": "10"}))
    return Target(
        "/dataset/" + quote(package["name"]),
        action("package_show", {"id": package["name"]}),
        extras,
    )
