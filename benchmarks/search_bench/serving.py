"""The uvicorn server under test, and timing the query mix three ways (step 3b)."""

from __future__ import annotations

import os
import subprocess
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import processes

from search_bench.catalog import Catalog
from search_bench.config import MISMATCHES_SHOWN, SRC, WORK
from search_bench.helpers import log, pss_mb, rss_mb
from search_bench.queries import Query
from tsunagu.catalog.search_params import search_query
from tsunagu.context import Context
from tsunagu.search.interface import SearchQuery

if TYPE_CHECKING:
    from search_baseline import Baseline


# -- the server ---------------------------------------------------------------------------------


class Server:
    """``uvicorn tsunagu.asgi:app`` in a subprocess on a free loopback port."""

    def __init__(
        self, catalog: Catalog, workers: int, src: Path = SRC, site_url: str | None = None
    ) -> None:
        self.catalog = catalog
        self.workers = workers
        self.src = src.resolve()
        self.port = processes.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.site_url = site_url
        self.log_path = WORK / f"uvicorn-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready_seconds = float("nan")

    def start(self, timeout: float = 900) -> Server:
        env = {
            **os.environ,
            "TSUNAGU_DATA_DIR": str(self.catalog.data_dir),
            "TSUNAGU_DATABASE_URL": self.catalog.url,
            # The search snapshot is made for one site URL (package JSON holds links): a server
            # given the URL the snapshot was built with opens it instead of rebuilding.
            "TSUNAGU_SITE_URL": self.site_url or self.url,
            # One client address sends every request: the per-address API limits would
            # answer 429 long before the measurement ends.
            "TSUNAGU_API_RATE_LIMIT": "0",
            "TSUNAGU_SQL_RATE_LIMIT": "0",
            "PYTHONPATH": str(self.src),
        }
        self.proc, self.ready_seconds = processes.start_uvicorn(
            env,
            self.port,
            self.log_path,
            WORK,
            timeout=timeout,
            workers=self.workers,
            strict=True,
            poll=0.5,
        )
        return self

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        return processes.worker_pids(self.proc.pid, self.workers)

    def rss(self) -> list[float]:
        """RSS in MiB of each process that serves requests (the workers, or the one process)."""
        return [rss_mb(pid) for pid in self.worker_pids()]

    def pss(self) -> list[float]:
        return [pss_mb(pid) for pid in self.worker_pids()]

    def stop(self) -> None:
        processes.stop(self.proc)


# -- 3b. timing the mix -------------------------------------------------------------------------


def prepared_queries(services: Any, queries: list[Query]) -> list[SearchQuery]:
    """The mix's queries as the search action gives them to the engine (a private one as the
    admin asks it)."""
    with services.sessions() as session:
        anonymous = Context(services=services, session=session)
        admin = Context(services=services, session=session, ignore_auth=True)
        return [search_query(admin if q.private else anonymous, q.params()) for q in queries]


def package_search(client: httpx.Client, q: Query, admin_headers: dict[str, str]) -> httpx.Response:
    """package_search over HTTP as the mix asks it: a private query with the admin's token."""
    return client.get(
        "/api/3/action/package_search",
        params=q.params(),
        headers=admin_headers if q.private else None,
    )


@dataclass
class Timings:
    engine: list[float] = field(default_factory=list)
    http: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    # HTTP on a server running the previous code (--before-src), for a before/after comparison.
    http_before: list[float] = field(default_factory=list)


def run_mix(
    queries: list[Query],
    services: Any,
    server: Server,
    baseline: Baseline,
    token: str,
    passes: int,
    before: Server | None = None,
    raw_sample: frozenset[int] | None = None,
) -> tuple[dict[str, Timings], dict[str, Any]]:
    """Time the mix on the engine, over HTTP and on raw SQLite. ``raw_sample`` limits SQLite to
    those queries (by index) at the nationwide scale, where one raw query takes seconds."""
    prepared = prepared_queries(services, queries)
    index = services.search
    client = httpx.Client(base_url=server.url, timeout=60)
    before_client = httpx.Client(base_url=before.url, timeout=60) if before else None
    admin_headers = {"Authorization": token}
    by_kind: dict[str, Timings] = defaultdict(Timings)
    checks = {
        "engine_vs_http": 0,
        "engine_vs_raw": 0,
        "raw_mismatches": [],
        "http_errors": 0,
        "counts": [],
        "before_vs_http": 0,
        "before_mismatches": [],
    }

    def call_engine(i: int) -> None:
        index.search(prepared[i])

    def call_http(i: int) -> None:
        package_search(client, queries[i], admin_headers).raise_for_status()

    def call_raw(i: int) -> None:
        baseline.search(queries[i])

    def call_http_before(i: int) -> None:
        assert before_client is not None
        package_search(before_client, queries[i], admin_headers).raise_for_status()

    systems = [("engine", call_engine), ("http", call_http), ("raw", call_raw)]
    if before_client is not None:
        systems.insert(2, ("http_before", call_http_before))
    try:
        # Warm-up pass, not timed: every system sees every query once, and counts are compared.
        # Its progress is logged with each system's share: at the nationwide scale one pass
        # takes long enough to need telling where the time goes.
        spent = {"engine": 0.0, "http": 0.0, "raw": 0.0}
        for done, (q, prepared_query) in enumerate(zip(queries, prepared, strict=True), 1):
            started = time.perf_counter()
            result = index.search(prepared_query)
            spent["engine"] += time.perf_counter() - started
            started = time.perf_counter()
            response = package_search(client, q, admin_headers)
            spent["http"] += time.perf_counter() - started
            raw_count = None
            if raw_sample is None or done - 1 in raw_sample:
                started = time.perf_counter()
                raw_count, _, _ = baseline.search(q)
                spent["raw"] += time.perf_counter() - started
            if done % 50 == 0:
                shares = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in spent.items())
                log(f"warm-up: {done}/{len(queries)} queries ({shares})")
            body = response.json()
            if response.status_code != 200 or not body.get("success"):
                checks["http_errors"] += 1
                continue
            checks["engine_vs_http"] += body["result"]["count"] == result.count
            if before_client is not None:
                # Same count, same first page and same facets as the previous code.
                old = package_search(before_client, q, admin_headers).json()["result"]
                new = body["result"]
                same = (
                    old["count"] == new["count"]
                    and [r["id"] for r in old["results"]] == [r["id"] for r in new["results"]]
                    and old.get("facets") == new.get("facets")
                )
                checks["before_vs_http"] += same
                if not same and len(checks["before_mismatches"]) < MISMATCHES_SHOWN:
                    checks["before_mismatches"].append(
                        f"{q.params()}: before {old['count']}, now {new['count']}"
                    )
            checks["counts"].append(result.count)
            if raw_count is None:
                continue
            checks["engine_vs_raw"] += raw_count == result.count
            if raw_count != result.count and len(checks["raw_mismatches"]) < MISMATCHES_SHOWN:
                checks["raw_mismatches"].append(
                    f"{q.params()}: tsunagu {result.count}, sqlite {raw_count}"
                )
        log("warm-up pass done")
        # Timed passes. Each system runs the whole mix in its own loop: interleaving them query
        # by query lets SQLite's full scans evict the server's working set from the CPU caches
        # between its requests, which roughly doubled the HTTP times measured.
        for run in range(1, passes + 1):
            for name, call in systems:
                for i, q in enumerate(queries):
                    if name == "raw" and raw_sample is not None and i not in raw_sample:
                        continue
                    t0 = time.perf_counter()
                    call(i)
                    getattr(by_kind[q.kind], name).append((time.perf_counter() - t0) * 1000)
            log(f"timed pass {run}/{passes} done")
    finally:
        client.close()
        if before_client is not None:
            before_client.close()
    return dict(by_kind), checks
