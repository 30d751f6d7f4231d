"""Load benchmark: 50 concurrent clients for 60 s doing what a catalog's users do at once —
searches, dataset pages, datastore queries and SQL, dataset writes and file uploads — against
`uvicorn tsunagu.asgi:app` on the embedded default (SQLite, 2 worker processes) and on
PostgreSQL (4 worker processes). After each run every acknowledged write is read back.

Beside it, in the same run and on the same catalog:
- the framework floor: the same clients calling `status_show` (no database work);
- raw SQL: the same number of threads doing the database part of the mix directly (SQLAlchemy
  Core on the same engine: name lookups, a LIKE search, inserts and updates).

Usage: ``python benchmarks/load.py [--clients 50] [--seconds 60] [--quick] [--only sqlite]``
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import os
import random
import resource
import shutil
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from runrecord import RunRecord, add_results_argument, render_section, write_result
from snapshot import snapshot_revision, snapshot_source

SRC_ENV = "TSUNAGU_BENCH_SEARCH_SRC"  # the same name as search.SRC_ENV
LOAD_SRC = snapshot_source(SRC_ENV, "src-load")

from sqlalchemy import insert, text  # noqa: E402

import search  # noqa: E402  (benchmarks/search.py: server, catalog, percentiles)
from tsunagu.bootstrap import action_context, build_services  # noqa: E402
from tsunagu.catalog.models import Dataset  # noqa: E402
from tsunagu.config import Settings  # noqa: E402
from tsunagu.demo.loader import load_demo  # noqa: E402
from tsunagu.storage.migrate import upgrade  # noqa: E402

sys.path.insert(0, str(search.REPO / "tests"))
from support import postgres_server  # noqa: E402  (a throwaway PostgreSQL, as the tests use)

WORK = search.WORK
log, pct = search.log, search.pct

# What each client does, by weight (out of 100).
MIX = {
    "package_search": 22,
    "package_show": 12,
    "dataset_page": 10,
    "organization_list": 4,
    "home_page": 4,
    "datastore_search": 15,
    "datastore_search_sql": 5,
    "package_create": 8,
    "package_patch": 12,
    "resource_upload": 8,
}
WORDS = ["人口", "避難所", "AED", "観光", "子育て", "公衆トイレ", "ごみ", "医療", "介護", "文化財"]
CSV_BODY = "地区,人口,世帯数\n中央,1200,540\n北,980,410\n南,1510,700\n".encode()


@dataclass
class Site:
    label: str
    workers: int
    catalog: search.Catalog
    token: str = ""
    datasets: list[str] = field(default_factory=list)
    tables: list[tuple[str, str]] = field(default_factory=list)  # (resource id, a text column)
    org: str = "load-test-org"


@dataclass
class Acknowledged:
    created: dict[str, str] = field(default_factory=dict)  # dataset id → name
    patched: dict[str, str] = field(default_factory=dict)  # dataset id → last acknowledged notes
    uploaded: dict[str, str] = field(default_factory=dict)  # resource id → dataset id


@dataclass
class Outcome:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    seconds: float = 0.0
    client_cpu: float = 0.0

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def error_count(self) -> int:
        return sum(len(v) for v in self.errors.values())

    def all_latencies(self) -> list[float]:
        return [x for v in self.latencies.values() for x in v]


# -- the catalog --------------------------------------------------------------------------------


def prepare(label: str, workers: int, database_url: str) -> Site:
    data_dir = WORK / f"load-{label}"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    url = database_url or f"sqlite:///{data_dir / 'tsunagu.db'}"
    services = build_services(Settings(data_dir=data_dir, database_url=url))
    upgrade(services.engine)
    log(f"[{label}] loading the demo catalog …")
    load_demo(services)
    with action_context(services, ignore_auth=True) as context:
        from tsunagu.registry import call_action

        admin = {"name": "load-admin", "email": "load@example.jp", "password": "load-admin-pw"}
        call_action("user_create", context, {**admin, "sysadmin": True})
        call_action("organization_create", context, {"name": "load-test-org", "title": "負荷試験"})
        token = call_action("api_token_create", context, {"user": "load-admin", "name": "load"})
    services.engine.dispose()
    db_path = data_dir / "tsunagu.db"
    catalog = search.Catalog(db_path, data_dir, 0, token["token"], [])
    if database_url:
        catalog = _PgCatalog(db_path, data_dir, 0, token["token"], [], pg_url=database_url)
    return Site(label, workers, catalog, token=token["token"])


@dataclass
class _PgCatalog(search.Catalog):
    pg_url: str = ""

    @property
    def url(self) -> str:  # type: ignore[override]
        return self.pg_url


def discover(site: Site, base: str) -> None:
    """Public dataset names and datastore tables to aim the reads at."""
    with httpx.Client(base_url=base, timeout=60) as client:
        names = client.get("/api/3/action/package_list").json()["result"]
        site.datasets = names
        for name in names:
            package = client.get("/api/3/action/package_show", params={"id": name}).json()
            for res in package["result"]["resources"]:
                if not res.get("datastore_active"):
                    continue
                info = client.get("/api/3/action/datastore_info", params={"id": res["id"]})
                fields = info.json()["result"]["fields"] if info.status_code == 200 else []
                texts = [f["id"] for f in fields if f.get("type") == "text"]
                if texts:
                    site.tables.append((res["id"], texts[0]))
    log(f"[{site.label}] {len(site.datasets)} datasets, {len(site.tables)} datastore tables")


def wait_for_ingest(database_url: str, timeout: float = 1800) -> None:
    """Until no ingest or quality job is pending or running (read from the shared queue)."""
    from tsunagu.storage.database import make_engine

    engine = make_engine(database_url)
    busy = text(
        "SELECT (SELECT count(*) FROM ingest_job WHERE status IN ('pending', 'running')) + "
        "(SELECT count(*) FROM job WHERE status IN ('pending', 'running'))"
    )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                if not connection.execute(busy).scalar_one():
                    return
            time.sleep(2)
    finally:
        engine.dispose()
    raise RuntimeError("background jobs did not finish in time")


# -- the clients --------------------------------------------------------------------------------


class Client:
    def __init__(
        self, number: int, site: Site, http: httpx.AsyncClient, ack: Acknowledged, out: Outcome
    ) -> None:
        self.number, self.site, self.http, self.ack, self.out = number, site, http, ack, out
        self.rng = random.Random(number)
        self.own: list[str] = []  # ids of datasets this client created
        self.serial = itertools.count(1)
        self.auth = {"Authorization": site.token}

    async def call(self, kind: str, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await self.http.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            self.out.errors[kind].append(f"{error.__class__.__name__}: {error}")
            return None
        self.out.latencies[kind].append(time.perf_counter() - started)
        if response.status_code >= 400:
            self.out.errors[kind].append(f"{response.status_code} {response.text[:200]}")
            return None
        return response

    async def step(self, kind: str) -> None:
        rng, site = self.rng, self.site
        if kind == "package_search":
            params = {"q": rng.choice(WORDS), "facet.field": '["organization","tags"]'}
            await self.call(kind, "GET", "/api/3/action/package_search", params=params)
        elif kind == "package_show":
            params = {"id": rng.choice(site.datasets)}
            await self.call(kind, "GET", "/api/3/action/package_show", params=params)
        elif kind == "dataset_page":
            await self.call(kind, "GET", f"/dataset/{rng.choice(site.datasets)}")
        elif kind == "home_page":
            await self.call(kind, "GET", "/")
        elif kind == "organization_list":
            await self.call(kind, "GET", "/api/3/action/organization_list")
        elif kind == "datastore_search":
            rid, column = rng.choice(site.tables)
            body: dict[str, Any] = {"resource_id": rid, "limit": 20}
            if rng.random() < 0.5:
                body["q"] = rng.choice(WORDS)
            else:
                body["sort"] = f'"{column}" desc'
            await self.call(kind, "POST", "/api/3/action/datastore_search", json=body)
        elif kind == "datastore_search_sql":
            rid, column = rng.choice(site.tables)
            sql = (
                f'SELECT "{column}", count(*) AS n FROM "{rid}" GROUP BY 1 ORDER BY n DESC LIMIT 5'
            )
            await self.call(kind, "POST", "/api/3/action/datastore_search_sql", json={"sql": sql})
        elif kind == "package_create":
            name = f"load-{self.number}-{next(self.serial)}"
            body = {"name": name, "title": f"負荷試験 {name}", "owner_org": site.org}
            response = await self.call(
                kind, "POST", "/api/3/action/package_create", json=body, headers=self.auth
            )
            if response is not None:
                created = response.json()["result"]
                self.ack.created[created["id"]] = name
                self.own.append(created["id"])
        elif kind == "package_patch":
            if not self.own:
                return await self.step("package_create")
            target = rng.choice(self.own)
            notes = f"更新 {self.number}-{next(self.serial)}"
            response = await self.call(
                kind,
                "POST",
                "/api/3/action/package_patch",
                json={"id": target, "notes": notes},
                headers=self.auth,
            )
            if response is not None:
                self.ack.patched[target] = notes
        elif kind == "resource_upload":
            if not self.own:
                return await self.step("package_create")
            target = rng.choice(self.own)
            response = await self.call(
                kind,
                "POST",
                "/api/3/action/resource_create",
                data={"package_id": target, "name": "地区別人口", "format": "CSV"},
                files={"upload": ("population.csv", io.BytesIO(CSV_BODY), "text/csv")},
                headers=self.auth,
            )
            if response is not None:
                self.ack.uploaded[response.json()["result"]["id"]] = target
        return None

    async def run(self, until: float, kinds: list[str], weights: list[int]) -> None:
        while time.monotonic() < until:
            await self.step(self.rng.choices(kinds, weights)[0])


async def drive(
    site: Site, base: str, clients: int, seconds: float, mix: dict[str, int]
) -> tuple[Outcome, Acknowledged]:
    out, ack = Outcome(), Acknowledged()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        started = time.monotonic()
        until = started + seconds
        kinds, weights = list(mix), list(mix.values())
        await asyncio.gather(
            *(Client(n, site, http, ack, out).run(until, kinds, weights) for n in range(clients))
        )
        out.seconds = time.monotonic() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    out.client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (
        cpu_after.ru_stime - cpu_before.ru_stime
    )
    return out, ack


def verify(base: str, token: str, ack: Acknowledged) -> dict[str, int]:
    """Every acknowledged write is there: datasets, their last notes, uploaded resources."""
    missing = {"created": 0, "patched": 0, "uploaded": 0}
    headers = {"Authorization": token}
    with httpx.Client(base_url=base, timeout=60, headers=headers) as client:
        resources: dict[str, set[str]] = {}
        for dataset_id in ack.created:
            response = client.get("/api/3/action/package_show", params={"id": dataset_id})
            if response.status_code != 200:
                missing["created"] += 1
                continue
            package = response.json()["result"]
            resources[dataset_id] = {r["id"] for r in package["resources"]}
            expected = ack.patched.get(dataset_id)
            if expected is not None and package["notes"] != expected:
                missing["patched"] += 1
        for resource_id, dataset_id in ack.uploaded.items():
            if resource_id not in resources.get(dataset_id, set()):
                missing["uploaded"] += 1
    return missing


# -- the raw SQL baseline -----------------------------------------------------------------------


def raw_sql(site: Site, database_url: str, threads: int, seconds: float) -> dict[str, float]:
    """The database part of the mix on the same engine, without the app: lookups by name, a
    LIKE search on titles, inserts of dataset rows and updates of their notes."""
    from tsunagu.storage.database import make_engine

    url = database_url or f"sqlite:///{site.catalog.db_path}"
    engine = make_engine(url)
    counts = [0] * threads
    names = site.datasets
    deadline = time.monotonic() + seconds
    org_id_sql = text("SELECT id FROM organization WHERE name = :n")
    with engine.connect() as connection:
        org_id = connection.execute(org_id_sql, {"n": site.org}).scalar_one()

    def work(number: int) -> None:
        rng = random.Random(number)
        serial = itertools.count(1)
        mine: list[str] = []
        while time.monotonic() < deadline:
            roll = rng.random()
            with engine.begin() as connection:
                if roll < 0.45:
                    connection.execute(
                        text("SELECT * FROM dataset WHERE name = :n"), {"n": rng.choice(names)}
                    ).all()
                elif roll < 0.72:
                    connection.execute(
                        text("SELECT id, name, title FROM dataset WHERE title LIKE :q LIMIT 10"),
                        {"q": f"%{rng.choice(WORDS)}%"},
                    ).all()
                elif roll < 0.85 or not mine:
                    new_id = f"raw-{number}-{next(serial)}-{rng.getrandbits(32):08x}"
                    # Core insert on the model's table, so every other column gets the default
                    # the application would give it (as the schema grows, the row stays valid).
                    connection.execute(
                        insert(Dataset.__table__).values(
                            id=new_id, name=new_id, title=new_id, owner_org=org_id, revision=0
                        )
                    )
                    mine.append(new_id)
                else:
                    connection.execute(
                        text("UPDATE dataset SET notes = :n WHERE id = :id"),
                        {"n": f"更新 {next(serial)}", "id": rng.choice(mine)},
                    )
            counts[number] += 1

    failures: list[BaseException] = []

    def guarded(number: int) -> None:
        try:
            work(number)
        except BaseException as error:  # a dead thread would silently lower the rate
            failures.append(error)

    pool = [threading.Thread(target=guarded, args=(n,)) for n in range(threads)]
    started = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    engine.dispose()
    if failures:
        raise RuntimeError(f"raw SQL baseline: {len(failures)} threads failed") from failures[0]
    return {"operations": sum(counts), "seconds": elapsed, "per_second": sum(counts) / elapsed}


# -- one configuration --------------------------------------------------------------------------


def run_config(
    label: str, workers: int, database_url: str, clients: int, seconds: float
) -> dict[str, Any]:
    site = prepare(label, workers, database_url)
    os.environ["TSUNAGU_MAP_TILES"] = ""
    server = search.Server(site.catalog, workers=workers, src=LOAD_SRC).start()
    try:
        wait_for_ingest(site.catalog.url)
        discover(site, server.url)
        log(f"[{label}] floor: {clients} clients × status_show for {seconds / 4:.0f} s …")
        floor, _ = asyncio.run(_floor(site, server.url, clients, seconds / 4))
        log(f"[{label}] mix: {clients} clients for {seconds:.0f} s …")
        mixed, ack = asyncio.run(drive(site, server.url, clients, seconds, MIX))
        rss = server.rss()
        wait_for_ingest(site.catalog.url)
        missing = verify(server.url, site.token, ack)
    finally:
        server.stop()
    log(f"[{label}] raw SQL baseline: {clients} threads for {seconds / 4:.0f} s …")
    raw = raw_sql(site, database_url, clients, seconds / 4)
    return {
        "label": label,
        "workers": workers,
        "clients": clients,
        "seconds": mixed.seconds,
        "requests": mixed.requests,
        "per_second": mixed.requests / mixed.seconds,
        "p50_ms": pct(mixed.all_latencies(), 50) * 1000,
        "p95_ms": pct(mixed.all_latencies(), 95) * 1000,
        "p99_ms": pct(mixed.all_latencies(), 99) * 1000,
        "errors": mixed.error_count,
        "error_samples": {k: v[:3] for k, v in mixed.errors.items() if v},
        "by_kind": {
            kind: {
                "n": len(values),
                "p50_ms": pct(values, 50) * 1000,
                "p95_ms": pct(values, 95) * 1000,
                "p99_ms": pct(values, 99) * 1000,
                "errors": len(mixed.errors.get(kind, [])),
            }
            for kind, values in sorted(mixed.latencies.items())
        },
        "acknowledged": {
            "created": len(ack.created),
            "patched": len(ack.patched),
            "uploaded": len(ack.uploaded),
        },
        "missing_after_run": missing,
        "client_cpu_seconds": mixed.client_cpu,
        "worker_rss_mib": rss,
        "floor": {
            "per_second": floor.requests / floor.seconds,
            "p50_ms": pct(floor.all_latencies(), 50) * 1000,
            "p95_ms": pct(floor.all_latencies(), 95) * 1000,
            "errors": floor.error_count,
        },
        "raw_sql": raw,
        "datasets": len(site.datasets),
        "datastore_tables": len(site.tables),
    }


async def _floor(
    site: Site, base: str, clients: int, seconds: float
) -> tuple[Outcome, Acknowledged]:
    class Floor(Client):
        async def step(self, kind: str) -> None:
            await self.call("status_show", "GET", "/api/3/action/status_show")

    out, ack = Outcome(), Acknowledged()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(
            *(Floor(n, site, http, ack, out).run(until, ["x"], [1]) for n in range(clients))
        )
        out.seconds = time.monotonic() - started
    return out, ack


# -- the results files ---------------------------------------------------------------------------


def measure(
    label: str, workers: int, database_url: str, args: argparse.Namespace
) -> tuple[dict[str, Any], str]:
    """One configuration, written to benchmarks/results/load-<label>.json; its Markdown."""
    record = RunRecord("load", args.quick, source=snapshot_revision())
    run = run_config(label, workers, database_url, args.clients, args.seconds)
    name = f"load-{label.lower()}"
    path = write_result(name, record.finish(), {"mix": MIX, "run": run}, args.results_dir)
    log(f"results written to {path}")
    return run, render_section(name, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--quick", action="store_true", help="10 clients for 10 s")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    parser.add_argument("--output", type=Path, default=None, help="write the Markdown here")
    add_results_argument(parser)
    args = parser.parse_args()
    if args.quick:
        args.clients, args.seconds = 10, 10
    WORK.mkdir(parents=True, exist_ok=True)
    measured = []
    if args.only in (None, "sqlite"):
        measured.append(measure("SQLite", 2, "", args))
    if args.only in (None, "postgresql"):
        with postgres_server.PostgresServer() as pg:
            url = pg.create_database("tsunagu_load")
            measured.append(measure("PostgreSQL", 4, url, args))
    runs = [run for run, _ in measured]
    markdown = "\n".join(text for _, text in measured)
    output = args.output or WORK / "load-results.md"
    output.write_text(markdown)
    print(markdown)
    failed = [r["label"] for r in runs if r["errors"] or sum(r["missing_after_run"].values())]
    if failed:
        log(f"errors or lost writes in: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
