"""The clients of a load run: what each does (MIX), what the server acknowledged, and the check
that every acknowledged write is there afterwards."""

from __future__ import annotations

import asyncio
import io
import itertools
import random
import resource
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

from load_bench.site import Site

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


async def floor(
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
