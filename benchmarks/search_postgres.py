"""package_search on the PostgreSQL search backend (TSUNAGU_SEARCH_BACKEND=postgresql), over HTTP,
beside the raw SQL doing the same work, in one run (see benchmarks/README.md).

Steps:

1. the synthetic catalog of benchmarks/search.py (same generator, seed and query mix), made in
   SQLite and copied table by table into a throwaway PostgreSQL server (tests/support);
2. the shared index built with the backend's rebuild (time, table and index sizes);
3. the query mix timed three ways, each in its own loop per pass: the backend in-process
   (``PostgresSearch.search``), the HTTP API of ``uvicorn --workers 2`` on the backend, and the
   raw SQL: the very statements the backend runs for each query (count, page, facets), sent with
   psycopg over one connection, without the app;
4. every query's count, first page and facets compared with the embedded engine built from
   the same database (``--no-compare`` skips building it).

Writes benchmarks/results/search_postgres.json (benchmarks/.work/results with --quick).

Usage: ``python benchmarks/search_postgres.py [--datasets 100000] [--queries 300] [--quick]``
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from reporting.search_postgres import INTRO, TARGET_P95_MS, render
from runrecord import (
    RunRecord,
    add_results_argument,
    postgres_memory_settings,
    postgres_memory_text,
    stats,
    write_result,
)
from snapshot import snapshot_revision, snapshot_source

SRC_ENV = "TSUNAGU_BENCH_SEARCH_SRC"  # the same name as search.SRC_ENV

# This run's own copy of the source; importing search below finds it named in SRC_ENV.
PG_SRC = snapshot_source(SRC_ENV, "src-search-postgres")

import psycopg  # noqa: E402
from search_bench.serving import package_search, prepared_queries  # noqa: E402
from sqlalchemy import create_engine, delete, insert, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import search  # noqa: E402  (benchmarks/search.py: generator, query mix, server)
from tsunagu.bootstrap import build_services  # noqa: E402
from tsunagu.config import Settings  # noqa: E402
from tsunagu.models import Base  # noqa: E402
from tsunagu.search.interface import SearchQuery  # noqa: E402
from tsunagu.search.memory_index import MemoryIndex  # noqa: E402
from tsunagu.search.postgres import sync  # noqa: E402
from tsunagu.search.postgres.backend import PostgresSearch, Statement  # noqa: E402
from tsunagu.search.postgres.ordering import COLUMNS as SORT_COLUMNS  # noqa: E402
from tsunagu.storage.migrate import upgrade  # noqa: E402

sys.path.insert(0, str(search.REPO / "tests"))
from support import postgres_server  # noqa: E402

WORK = search.WORK
log = search.log
COPY_BATCH = 5_000
SYSTEMS = ("engine", "http", "raw")


@dataclass
class PgCatalog(search.Catalog):
    """The generated catalog, served from PostgreSQL."""

    pg_url: str = ""

    @property
    def url(self) -> str:
        return self.pg_url


@dataclass
class Timings:
    engine: list[float] = field(default_factory=list)
    http: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)


def copy_catalog(sqlite_url: str, pg_url: str) -> dict[str, int]:
    """Every catalog table's rows, SQLite → a freshly migrated PostgreSQL database."""
    source = create_engine(sqlite_url)
    target = create_engine(pg_url)
    upgrade(target)
    copied: dict[str, int] = {}
    tables = [t for t in Base.metadata.sorted_tables if not t.name.startswith("search_")]
    with source.connect() as reading, target.begin() as writing:
        for table in reversed(tables):
            writing.execute(delete(table))  # rows a migration seeds (catalog_state …)
        for table in tables:
            rows = [dict(row) for row in reading.execute(select(table)).mappings()]
            for start in range(0, len(rows), COPY_BATCH):
                writing.execute(insert(table), rows[start : start + COPY_BATCH])
            if rows:
                copied[table.name] = len(rows)
    with target.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))
    source.dispose()
    target.dispose()
    return copied


def index_sizes(pg_url: str) -> dict[str, float]:
    engine = create_engine(pg_url)
    with engine.connect() as connection:
        sizes = {
            name: float(
                connection.scalar(text("SELECT pg_total_relation_size(:t)"), {"t": name}) or 0
            )
            / 2**20
            for name in ("search_document", "search_term", "dataset")
        }
    engine.dispose()
    return {f"{name}_mib": round(size, 1) for name, size in sizes.items()}


def _psycopg(statement: Statement) -> tuple[str, dict[str, Any]]:
    """A SQLAlchemy text() statement (``:p0``) in psycopg's placeholders (``%(p0)s``)."""
    sql = statement.sql.replace("%", "%%")
    return re.sub(r":(p\d+)\b", r"%(\1)s", sql), statement.params


def run_mix(
    queries: list[search.Query],
    prepared: list[SearchQuery],
    backend: PostgresSearch,
    server: search.Server,
    pg_url: str,
    token: str,
    passes: int,
    embedded: MemoryIndex | None,
) -> tuple[dict[str, Timings], dict[str, Any]]:
    with backend.engine.connect() as connection:
        plans = [
            [_psycopg(s) for s in backend.plan(query, connection).values()] for query in prepared
        ]
    raw = psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    # Planned for each run's values, as the app's connections are (storage.database).
    raw.execute("SET plan_cache_mode = force_custom_plan")
    client = httpx.Client(base_url=server.url, timeout=60)
    headers = {"Authorization": token}
    checks: dict[str, Any] = {"http_vs_engine": 0, "same_as_embedded": 0, "mismatches": []}
    by_kind: dict[str, Timings] = defaultdict(Timings)

    def call_engine(i: int) -> None:
        backend.search(prepared[i])

    def call_http(i: int) -> None:
        package_search(client, queries[i], headers).raise_for_status()

    def call_raw(i: int) -> None:
        # One transaction per search, as the backend's: its first statement sets work_mem and
        # the planner's settings for the rest.
        with raw.transaction(), raw.cursor() as cursor:
            for sql, params in plans[i]:
                cursor.execute(sql, params)
                cursor.fetchall()

    calls = {"engine": call_engine, "http": call_http, "raw": call_raw}
    try:
        for i in range(len(queries)):
            for name in SYSTEMS:
                calls[name](i)
        # Each worker remembers the terms it was asked for: the mix twice more over a new
        # connection each (which the kernel hands to either worker), so that both are warm
        # whichever one the timed client's connection lands on once idle ones are closed.
        with httpx.Client(
            base_url=server.url, timeout=60, limits=httpx.Limits(max_keepalive_connections=0)
        ) as fresh:
            for _ in range(2):
                for q in queries:
                    package_search(fresh, q, headers).raise_for_status()
        # Each process reads its copy of the index in the background (doc_copy.py), and the
        # SQL path answers until it is in: the checks and the timed passes follow it.
        backend.copies.wait()
        for q, query in zip(queries, prepared, strict=True):
            result = backend.search(query)
            body = package_search(client, q, headers).json()["result"]
            checks["http_vs_engine"] += body["count"] == result.count
            if embedded is not None:
                expected = embedded.search(query)
                same = (
                    expected.count == result.count
                    and [r["id"] for r in expected.results] == [r["id"] for r in result.results]
                    and expected.facets == result.facets
                )
                checks["same_as_embedded"] += same
                if not same and len(checks["mismatches"]) < search.MISMATCHES_SHOWN:
                    checks["mismatches"].append(
                        f"{q.params()}: embedded {expected.count}, postgresql {result.count}"
                    )
        log("warm-up pass done")
        for run in range(1, passes + 1):
            for name in SYSTEMS:
                for i, q in enumerate(queries):
                    started = time.perf_counter()
                    calls[name](i)
                    getattr(by_kind[q.kind], name).append((time.perf_counter() - started) * 1000)
            log(f"timed pass {run}/{passes} done")
    finally:
        client.close()
        raw.close()
    return dict(by_kind), checks


def copy_figures(backend: PostgresSearch, prepared: list[SearchQuery]) -> dict[str, Any]:
    """What answering from seqs keeps in a process: the time to read its copy of the index
    afresh (as after every change) with every sort field, and the term answers it holds after
    the runs; then a worker's start (``load``, whose background read takes the common facets'
    values, who is active or private and the copy) and the mix once, where each term's first
    search reads its matches from PostgreSQL."""
    with backend.engine.connect() as connection:
        version = sync.version(connection)
    timed = PostgresSearch(backend.engine, backend.site_url)
    timed.copies.background = False
    started = time.perf_counter()
    copy = timed.copies.current(version, sorted(SORT_COLUMNS.values()))
    seconds = time.perf_counter() - started
    assert copy is not None
    held = backend.in_process.terms.held()
    fresh = PostgresSearch(backend.engine, backend.site_url)
    started = time.perf_counter()
    with Session(backend.engine) as session:
        fresh.load(session)
    assert fresh.warming is not None
    fresh.warming.join()
    fresh.copies.wait()
    warm_seconds = time.perf_counter() - started
    first = []
    for query in prepared:
        started = time.perf_counter()
        fresh.search(query)
        first.append((time.perf_counter() - started) * 1000)
    return {
        "read_seconds": seconds,
        "sort_fields": len(copy.ranks),
        "copy_mib": (copy.seqs.nbytes + sum(r.nbytes for r in copy.ranks.values())) / 2**20,
        "terms_held": held[0],
        "term_seqs_mib": held[1] * 8 / 2**20,
        "start_seconds": warm_seconds,
        "first_pass": stats(first),
    }


def summarise(report: dict[str, Any]) -> dict[str, Any]:
    by_kind: dict[str, Timings] = report.pop("by_kind")
    report["overall"] = {
        name: stats([x for t in by_kind.values() for x in getattr(t, name)]) for name in SYSTEMS
    }
    report["kinds"] = [
        {"kind": kind, **{name: stats(getattr(by_kind[kind], name)) for name in SYSTEMS}}
        for kind in search.KIND_WEIGHTS
        if kind in by_kind
    ]
    report["targets"] = {"search_p95_ms": TARGET_P95_MS}
    return report


def markdown(summary: dict[str, Any]) -> str:
    heading = (
        f"## package_search on the PostgreSQL search backend ({summary['datasets']:,} datasets)"
    )
    return "\n".join([heading, "", *INTRO, "", *render(summary)]) + "\n"


@dataclass
class Backend:
    """The catalog copied into PostgreSQL and its search index built there, with the figures."""

    services: Any
    search: PostgresSearch
    settings: Settings
    copied: dict[str, int]
    copy_seconds: float
    build_seconds: float
    indexed: int


def build_backend(catalog: search.Catalog, pg_url: str) -> Backend:
    log("copying the catalog into PostgreSQL")
    started = time.perf_counter()
    copied = copy_catalog(catalog.url, pg_url)
    copy_seconds = time.perf_counter() - started
    settings = Settings(data_dir=catalog.data_dir, database_url=pg_url, search_backend="postgresql")
    services = build_services(settings)
    backend = services.search
    assert isinstance(backend, PostgresSearch)
    log("building the shared index (rebuild)")
    started = time.perf_counter()
    with services.sessions() as session:
        indexed = backend.rebuild(session)
    build_seconds = time.perf_counter() - started
    autocommit = services.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    with autocommit as connection:
        connection.execute(text("VACUUM ANALYZE search_document"))
        connection.execute(text("ANALYZE search_term"))
    log(f"indexed {indexed:,} datasets in {build_seconds:.1f} s")
    return Backend(services, backend, settings, copied, copy_seconds, build_seconds, indexed)


def embedded_engine(backend: Backend) -> MemoryIndex:
    """The embedded engine built from the same PostgreSQL database, so that both meet the
    datasets in the same order and break ties (most of the capped metadata_modified) alike."""
    log("building the embedded engine on the same database, to compare answers")
    embedded = MemoryIndex(backend.settings.site_url)
    with backend.services.sessions() as session:
        embedded.rebuild(session)
    return embedded


def served(
    catalog: search.Catalog,
    pg_url: str,
    backend: Backend,
    queries: list[search.Query],
    prepared: list[SearchQuery],
    passes: int,
    embedded: MemoryIndex | None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The mix timed in the engine, over HTTP (uvicorn, 2 workers) and in raw SQL: its figures
    by kind, the answers' checks, and the server's start and memory."""
    os.environ["TSUNAGU_SEARCH_BACKEND"] = "postgresql"
    server = search.Server(
        PgCatalog(
            catalog.db_path, catalog.data_dir, catalog.datasets, catalog.token, [], pg_url=pg_url
        ),
        workers=2,
        src=PG_SRC,
    )
    try:
        log("starting uvicorn --workers 2 on the PostgreSQL search backend")
        server.start()
        log(f"server ready in {server.ready_seconds:.1f} s at {server.url}")
        by_kind, checks = run_mix(
            queries, prepared, backend.search, server, pg_url, catalog.token, passes, embedded
        )
        server_rss = server.rss()
    finally:
        server.stop()
    return (
        by_kind,
        checks,
        {"workers": 2, "ready_seconds": server.ready_seconds, "rss_mib": server_rss},
    )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--passes", type=int, default=2, help="timed passes over the mix")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--quick", action="store_true", help="2,000 datasets, 60 queries")
    parser.add_argument("--reuse", action="store_true", help="reuse a generated SQLite catalog")
    parser.add_argument(
        "--no-compare",
        dest="compare",
        action="store_false",
        help="do not build the embedded engine to compare answers with",
    )
    parser.add_argument("--output", type=Path, default=None, help="write the Markdown here")
    add_results_argument(parser)
    args = parser.parse_args()
    if args.quick:
        args.datasets, args.queries = 2_000, min(args.queries, 60)
    return args


def main() -> int:
    args = arguments()
    record = RunRecord("search_postgres", args.quick, source=snapshot_revision())
    catalog = search.create_catalog(args.datasets, args.seed, args.reuse)
    log(f"catalog ready: {catalog.rows}")
    pg = postgres_server.maybe_start(postgres_memory_settings())
    if pg is None:
        raise SystemExit(f"PostgreSQL is not available: {postgres_server.UNAVAILABLE_REASON}")
    try:
        record.add_versions(postgresql=f"{search_version(pg)} ({postgres_memory_text()})")
        pg_url = pg.create_database("bench_" + uuid.uuid4().hex[:10])
        backend = build_backend(catalog, pg_url)
        embedded = embedded_engine(backend) if args.compare else None
        queries = search.make_queries(args.queries, args.seed)
        prepared = prepared_queries(backend.services, queries)
        by_kind, checks, server = served(
            catalog, pg_url, backend, queries, prepared, args.passes, embedded
        )
        report: dict[str, Any] = {
            "datasets": args.datasets,
            "rows": catalog.rows,
            "copied": backend.copied,
            "copy_seconds": backend.copy_seconds,
            "build_seconds": backend.build_seconds,
            "indexed": backend.indexed,
            "sizes": index_sizes(pg_url),
            "server": server,
            "queries": len(queries),
            "passes": args.passes,
            "compared": embedded is not None,
            "copy": copy_figures(backend.search, prepared),
            "checks": checks,
            "by_kind": by_kind,
        }
        backend.services.engine.dispose()
    finally:
        pg.stop()
    gc.collect()
    summary = summarise(report)
    path = write_result("search_postgres", record.finish(), summary, args.results_dir)
    text_out = markdown(summary)
    output = args.output or WORK / f"search-postgres-results-{args.datasets}.md"
    output.write_text(text_out)
    print(text_out)
    log(f"results written to {path}, Markdown to {output}")
    return 0


def search_version(pg: postgres_server.PostgresServer) -> str:
    url = pg.create_database("version_" + uuid.uuid4().hex[:8])
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


if __name__ == "__main__":
    raise SystemExit(main())
