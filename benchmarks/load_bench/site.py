"""The catalog a load run serves: the demo catalog plus an organisation and a sysadmin, and the
datasets and datastore tables the clients aim their reads at."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field

import httpx
from sqlalchemy import text

import search
from tsunagu.bootstrap import action_context, build_services
from tsunagu.config import Settings
from tsunagu.demo.loader import load_demo
from tsunagu.storage.migrate import upgrade

WORK = search.WORK
log = search.log


@dataclass
class Site:
    label: str
    workers: int
    catalog: search.Catalog
    token: str = ""
    datasets: list[str] = field(default_factory=list)
    tables: list[tuple[str, str]] = field(default_factory=list)  # (resource id, a text column)
    org: str = "load-test-org"


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
