"""What the map benchmark's parts share: the servers, the catalog, and timing one request at a
time."""

from __future__ import annotations

import argparse
import http.client
import random
import resource
import time
from dataclasses import dataclass, field
from typing import Any

import processes
from processes import cpu_seconds
from runrecord import stats

from map_bench.config import MAP_SRC, MESSAGE, PAGE_HEADERS, log, search
from map_bench.floor import Floor, server_pids
from map_bench.load import run_python, run_wrk
from map_bench.shelters import Town


@dataclass
class Bench:
    args: argparse.Namespace
    catalog: search.Catalog
    places: list[Town]
    wrk: str | None
    servers: dict[str, search.Server] = field(default_factory=dict)
    floor: Floor | None = None
    # The page as the cached server sends it to a browser (gzip), and its ETag: the floor's.
    page_gzip: bytes = b""
    page_etag: bytes = b""

    def server(self, name: str, **env: str) -> search.Server:
        """A server of this catalog (started once, stopped at the end) with ``env`` set."""
        if name not in self.servers:
            with processes.environment(**env):
                log(f"starting server {name!r} ({self.args.workers} workers; {env or 'defaults'})")
                server = search.Server(self.catalog, workers=self.args.workers, src=MAP_SRC)
                self.servers[name] = server.start()
        return self.servers[name]

    def load(
        self, url: str, port: int, paths: list[str], seconds: float, clients: int = 0
    ) -> dict[str, Any]:
        clients = clients or self.args.clients
        if self.wrk:
            return run_wrk(self.wrk, url, paths, seconds, clients, 2)
        return run_python(port, paths, seconds, clients)

    def settle(self, limit: float = 600.0) -> float:
        """Wait until no server uses more than a tenth of a core (the one just loaded may still
        be answering requests its clients gave up on, which would weigh on the next one);
        returns the seconds waited."""
        pids = [pid for server in self.servers.values() for pid in server_pids(server)]
        if self.floor is not None:
            pids += self.floor.pids()
        started = time.monotonic()
        last = cpu_seconds(pids)
        while time.monotonic() - started < limit:
            time.sleep(0.5)
            now = cpu_seconds(pids)
            if now - last < 0.05:
                break
            last = now
        return time.monotonic() - started

    def stop(self) -> None:
        if self.floor is not None:
            self.floor.stop()
        for server in self.servers.values():
            server.stop()


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """One request over a new connection; the body as sent (not decoded)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        connection.close()


def page_with_message(server: search.Server) -> bytes:
    """The index as the server sends it now, once both workers show the message (the mode is
    read again every second, then the pages are rendered again)."""
    deadline = time.monotonic() + 60
    in_a_row = 0
    body = b""
    while time.monotonic() < deadline:
        status, _headers, body = get(server.port, "/hinan", {"Accept-Encoding": "identity"})
        in_a_row = in_a_row + 1 if status == 200 and MESSAGE.encode() in body else 0
        if in_a_row >= 10:
            return body
        time.sleep(0.1)
    raise RuntimeError(f"{server.url}/hinan does not show the disaster message")


@dataclass(frozen=True)
class Target:
    """A server to load: where it listens and the processes that answer."""

    url: str
    port: int
    pids: list[int]


def one_at_a_time(target: Target, paths: list[str], seconds: float = 2.0) -> dict[str, Any]:
    """Requests in a row over one keep-alive connection for ``seconds`` (at least 5, at most
    2,000): the latency of a request alone, and the serving processes' CPU time per request —
    what a request costs whatever else shares the machine, which the figures under load do not
    show."""
    rng = random.Random(5)
    connection = http.client.HTTPConnection("127.0.0.1", target.port, timeout=60)
    timings: list[float] = []
    try:
        for _ in range(5):  # untimed
            connection.request("GET", rng.choice(paths), headers=PAGE_HEADERS)
            connection.getresponse().read()
        cpu_before = cpu_seconds(target.pids)
        deadline = time.perf_counter() + seconds
        while len(timings) < 5 or (time.perf_counter() < deadline and len(timings) < 2000):
            started = time.perf_counter()
            connection.request("GET", rng.choice(paths), headers=PAGE_HEADERS)
            connection.getresponse().read()
            timings.append((time.perf_counter() - started) * 1000)
        cpu = cpu_seconds(target.pids) - cpu_before
    finally:
        connection.close()
    return {"latency": stats(timings), "cpu_ms_per_request": cpu * 1000 / len(timings)}


def measure(
    bench: Bench, name: str, target: Target, paths: list[str], seconds: float
) -> dict[str, Any]:
    # Warm-up, unrecorded: every worker and page touched by a few connections (200 would leave
    # a server that renders each page a backlog of minutes to work through).
    bench.settle()
    bench.load(target.url, target.port, paths, 1.0, clients=2 * bench.args.workers)
    bench.settle()
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = bench.load(target.url, target.port, paths, seconds)
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if bench.wrk:
        result["client_cpu_seconds"] = (wrk_after.ru_utime - wrk_before.ru_utime) + (
            wrk_after.ru_stime - wrk_before.ru_stime
        )
    # Requests the clients gave up on are still being answered: let them finish first.
    result["drain_seconds"] = bench.settle()
    result["alone"] = one_at_a_time(target, paths)
    latency = result["latency"]
    log(
        f"  {name}: {result['rps']:,.0f} req/s, p50 {latency['p50']:.1f} / p99 "
        f"{latency['p99']:.1f} ms, {result['errors']} errors; alone "
        f"{result['alone']['latency']['p50']:.2f} ms, "
        f"{result['alone']['cpu_ms_per_request']:.2f} CPU ms a request"
    )
    return result
