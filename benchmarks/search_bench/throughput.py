"""package_show throughput (wrk or a Python load generator, beside raw SQLite) and one index
per host: the workers' memory and ready time from the snapshot (steps 4 and 5)."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
import sqlite3
import subprocess
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from search_bench.catalog import Catalog
from search_bench.config import SHARING_WORKERS, WORK
from search_bench.helpers import log, mapped_snapshot_pss_mb, pct
from search_bench.queries import Query
from search_bench.serving import Server

# -- 5. package_show throughput ---------------------------------------------------------------


def ensure_wrk(allow_install: bool) -> str | None:
    """The wrk load generator, installed with apt-get when allowed (root, Debian), updating the
    package lists first if the install fails with stale ones; None to use the Python one."""
    found = shutil.which("wrk")
    if found or not allow_install or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    log("wrk not found: apt-get install -y wrk")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

    def apt_get(*arguments: str) -> None:
        subprocess.run(
            ["apt-get", *arguments], env=env, check=True, capture_output=True, timeout=300
        )

    try:
        try:
            apt_get("install", "-y", "-q", "wrk")
        except (subprocess.SubprocessError, OSError):
            apt_get("update", "-q")
            apt_get("install", "-y", "-q", "wrk")
    except (subprocess.SubprocessError, OSError) as error:
        log(f"could not install wrk ({error}); using the Python load generator")
    return shutil.which("wrk")


WRK_SCRIPT = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[math.random(#paths)])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"socket_errors\\": \\"%%d connect, "
    .. "%%d read, %%d write, %%d timeout\\", \\"errors\\": %%d, "
    .. "\\"status_errors\\": %%d, \\"p50_us\\": %%d, \\"p90_us\\": %%d, \\"p99_us\\": %%d, "
    .. "\\"mean_us\\": %%f, \\"max_us\\": %%d}\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    latency.max))
end
"""


def run_wrk(
    wrk: str, url: str, paths: list[str], seconds: int, connections: int, threads: int
) -> dict[str, Any]:
    paths_file = WORK / "wrk-paths.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    script = WORK / "wrk-random.lua"
    script.write_text(WRK_SCRIPT % {"paths": paths_file})
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    return {
        "tool": f"wrk -t{threads} -c{connections}",
        "requests": data["requests"],
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "errors": data["errors"] + data["status_errors"],
        "error_detail": f"{data['socket_errors']}, {data['status_errors']} non-2xx",
        "p50_ms": data["p50_us"] / 1000,
        "p90_ms": data["p90_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "mean_ms": data["mean_us"] / 1000,
        "max_ms": data["max_us"] / 1000,
    }


def _load_worker(args: tuple[str, int, list[str], float, int, int]) -> tuple[list[float], int]:
    import http.client
    import threading

    host, port, paths, seconds, threads, seed = args
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def loop(thread_seed: int) -> None:
        rng = random.Random(thread_seed)
        connection = http.client.HTTPConnection(host, port, timeout=10)
        mine: list[float] = []
        failed = 0
        deadline = time.perf_counter() + seconds
        while (now := time.perf_counter()) < deadline:
            try:
                connection.request("GET", rng.choice(paths))
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=10)
                continue
            mine.append((time.perf_counter() - now) * 1000)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    workers = [threading.Thread(target=loop, args=(seed * 100 + i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return latencies, errors[0]


def run_python_load(
    port: int, paths: list[str], seconds: int, processes: int, threads: int
) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    with context.Pool(processes) as pool:
        parts = pool.map(
            _load_worker,
            [("127.0.0.1", port, paths, seconds, threads, i) for i in range(processes)],
        )
    elapsed = time.perf_counter() - started
    latencies = [x for part, _ in parts for x in part]
    return {
        "tool": f"Python http.client, {processes} processes x {threads} keep-alive connections",
        "requests": len(latencies),
        "rps": len(latencies) / max(seconds, elapsed - 1.0),
        "errors": sum(e for _, e in parts),
        "p50_ms": pct(latencies, 50),
        "p90_ms": pct(latencies, 90),
        "p99_ms": pct(latencies, 99),
        "mean_ms": float(np.mean(latencies)) if latencies else float("nan"),
        "max_ms": max(latencies, default=float("nan")),
    }


def raw_lookup_qps(db_path: Path, sql: str, names: list[str], seconds: float) -> float:
    conn = sqlite3.connect(db_path)
    rng = random.Random(7)
    done = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        for name in rng.choices(names, k=500):
            conn.execute(sql, (name,)).fetchone()
        done += 500
    elapsed = time.perf_counter() - started
    conn.close()
    return done / elapsed


# -- the results file ----------------------------------------------------------------------------


def raw_sample_of(queries: list[Query], per_kind: int) -> frozenset[int] | None:
    """The first ``per_kind`` queries of each kind (all of them when ``per_kind`` is 0): the
    queries raw SQLite is timed on."""
    if per_kind <= 0:
        return None
    taken: dict[str, int] = defaultdict(int)
    sample = set()
    for i, query in enumerate(queries):
        if taken[query.kind] < per_kind:
            taken[query.kind] += 1
            sample.add(i)
    return frozenset(sample)


def _warm_up(server: Server, queries: list[Query], names: list[str]) -> None:
    """Every query of the mix and package_show of up to 2,000 datasets, so that the pages a
    busy server touches are mapped before memory is read."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for _ in range(2):  # several workers: requests spread over them
            for query in queries:
                client.get("/api/3/action/package_search", params=query.params())
        for name in names[:2000]:
            client.get("/api/3/action/package_show", params={"id": name})


def measure_sharing(catalog: Catalog, queries: list[Query], site_url: str) -> list[dict[str, Any]]:
    """Ready time and summed PSS of W workers on the catalog (from its snapshot) and on an
    empty catalog, for each W in SHARING_WORKERS."""
    empty_dir = WORK / "search-empty-catalog"
    shutil.rmtree(empty_dir, ignore_errors=True)
    empty_dir.mkdir(parents=True)
    empty = Catalog(empty_dir / "tsunagu.db", empty_dir, 0, "", [])
    rows = []
    for workers in SHARING_WORKERS:
        row: dict[str, Any] = {"workers": workers}
        for label, which in (("catalog", catalog), ("empty", empty)):
            server = Server(which, workers=workers, site_url=site_url)
            try:
                log(f"sharing: {workers} worker(s) on the {label} catalog")
                server.start()
                _warm_up(server, queries, catalog.public_names)
                pss = server.pss()
                row[label] = {
                    "ready_seconds": server.ready_seconds,
                    "pss_mib": pss,
                    "pss_sum_mib": float(sum(pss)),
                    "rss_mib": server.rss(),
                    # The share of the summed PSS that is the mapped snapshot file itself.
                    "snapshot_pss_sum_mib": float(
                        sum(mapped_snapshot_pss_mb(pid) for pid in server.worker_pids())
                    ),
                }
            finally:
                server.stop()
        row["index_mib"] = row["catalog"]["pss_sum_mib"] - row["empty"]["pss_sum_mib"]
        log(
            f"sharing: {workers} worker(s): ready {row['catalog']['ready_seconds']:.1f} s, "
            f"PSS {row['catalog']['pss_sum_mib']:.0f} MiB (empty {row['empty']['pss_sum_mib']:.0f}"
            f" MiB): index {row['index_mib']:.0f} MiB"
        )
        rows.append(row)
    return rows
