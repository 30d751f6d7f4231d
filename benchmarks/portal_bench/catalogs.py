"""The portal benchmark's two catalogs: the demo, and a synthetic one of many datasets."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

from portal_bench.config import WORK, search
from portal_bench.http_timing import (
    Case,
    Connection,
    action,
    dataset_target,
    floor_case,
    home_case,
    search_case,
)
from tsunagu.bootstrap import build_services
from tsunagu.config import Settings
from tsunagu.demo.loader import load_demo
from tsunagu.storage.migrate import upgrade


def server_env(**values: str) -> None:
    os.environ["TSUNAGU_MAP_TILES"] = ""  # a blank map base: no tile requests
    os.environ.update(values)


def demo_catalog() -> tuple[search.Catalog, dict[str, Any]]:
    data_dir = WORK / "portal-demo"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    db_path = data_dir / "tsunagu.db"
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{db_path}")
    services = build_services(settings)
    upgrade(services.engine)
    started = time.perf_counter()
    summary = load_demo(services)
    info = {"load_seconds": time.perf_counter() - started, "summary": summary}
    services.engine.dispose()
    return search.Catalog(db_path, data_dir, 0, "", []), info


def wait_for_ingest(db_path: Path, timeout: float = 1200) -> dict[str, int]:
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.closing(sqlite3.connect(db_path, timeout=30)) as conn:
            statuses = dict(conn.execute("SELECT status, count(*) FROM ingest_job GROUP BY status"))
        if not statuses.get("pending") and not statuses.get("running"):
            statuses["seconds"] = round(time.perf_counter() - started)
            return statuses
        time.sleep(1)
    raise RuntimeError(f"ingest not finished after {timeout:.0f} s: {statuses}")


def catalog_counts(db_path: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        one = lambda sql: int(conn.execute(sql).fetchone()[0])  # noqa: E731
        return {
            "datasets": one("SELECT count(*) FROM dataset WHERE state = 'active'"),
            "private": one("SELECT count(*) FROM dataset WHERE state = 'active' AND private"),
            "resources": one("SELECT count(*) FROM resource WHERE state = 'active'"),
            "organizations": one("SELECT count(*) FROM organization WHERE state = 'active'"),
            "groups": one("SELECT count(*) FROM \"group\" WHERE state = 'active'"),
            "tables": one("SELECT count(*) FROM datastore_table"),
        }


def demo_cases(conn: Connection) -> tuple[list[Case], list[tuple[str, str, list[str]]]]:
    cases = [floor_case(), home_case()]
    for key, label, params in (
        ("search_q", "search: q", {"q": "避難所"}),
        ("search_facet", "search: q + facet", {"q": "人口"}),
        ("search_page3", "search: page 3", {"page": "3"}),
    ):
        if key == "search_facet":
            facets = conn.api(
                action(
                    "package_search", {"q": "人口", "rows": "0", "facet.field": '["organization"]'}
                )
            )["facets"]["organization"]
            params = {**params, "organization": max(facets, key=lambda k: (facets[k], k))}
        api = {"q": params.get("q", ""), "rows": "0"}
        if "organization" in params:
            api["fq"] = f'organization:"{params["organization"]}"'
        count = conn.api(action("package_search", api))["count"]
        cases.append(search_case(key, label, params, count))
    # The heaviest preview pages: most tables first, then most resources, then by name.
    found = conn.api(action("package_search", {"fq": "res_format:CSV", "rows": "1000"}))
    candidates = []
    for hit in found["results"]:
        package = conn.api(action("package_show", {"id": hit["name"]}))
        tables = sum(bool(r.get("datastore_active")) for r in package["resources"])
        if tables:
            candidates.append((-tables, -len(package["resources"]), package["name"], package))
    chosen = [(c[3], -c[0]) for c in sorted(candidates, key=lambda c: c[:3])[:3]]
    if len(chosen) < 3:
        raise RuntimeError(f"only {len(chosen)} CSV datasets with a datastore table")
    for n, (package, tables) in enumerate(chosen, start=1):
        cases.append(
            Case(
                f"dataset{n}",
                f"dataset {n} ({tables} preview{'s' if tables > 1 else ''})",
                f"/dataset/{package['name']}",
                "package_show",
                [dataset_target(package)],
                expect='class="ds-preview"',
                expect_count=tables,
            )
        )
    browser_pages = [(c.label, c.shown, [t.page for t in c.targets]) for c in cases[1:5]]
    browser_pages.append(
        ("dataset (3 pages in turn)", "/dataset/…", [c.targets[0].page for c in cases[5:]])
    )
    return cases, browser_pages


def big_cases(
    conn: Connection, catalog: search.Catalog, requests: int, seed: int
) -> tuple[list[Case], list[tuple[str, str, list[str]]]]:
    cases = [floor_case(), home_case()]
    facets = conn.api(
        action("package_search", {"q": "人口", "rows": "0", "facet.field": '["organization"]'})
    )["facets"]["organization"]
    top_org = max(facets, key=lambda k: (facets[k], k))
    for key, label, params in (
        ("search_q", "search: q", {"q": "避難所"}),
        ("search_facet", "search: q + facet", {"q": "人口", "organization": top_org}),
        ("search_page3", "search: page 3", {"page": "3"}),
    ):
        api = {"q": params.get("q", ""), "rows": "0"}
        if "organization" in params:
            api["fq"] = f'organization:"{params["organization"]}"'
        count = conn.api(action("package_search", api))["count"]
        cases.append(search_case(key, label, params, count))
    names = random.Random(seed).sample(
        catalog.public_names, min(requests, len(catalog.public_names))
    )
    targets = [dataset_target(conn.api(action("package_show", {"id": name}))) for name in names]
    cases.append(
        Case(
            "dataset",
            f"dataset ({len(names)} different, no preview)",
            "/dataset/<random public name>",
            "package_show",
            targets,
            expect="<h1>",
        )
    )
    browser_pages = [(c.label, c.shown, [t.page for t in c.targets]) for c in cases[1:]]
    return cases, browser_pages
