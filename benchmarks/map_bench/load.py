"""The map benchmark's load: wrk, or a Python generator where wrk is missing (--no-wrk)."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import random
import subprocess
import threading
import time
from typing import Any

from runrecord import stats

from map_bench.config import PAGE_HEADERS, WORK

WRK_SCRIPT = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local headers = %(headers)s
request = function()
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"bytes\\": %%d, "
    .. "\\"socket_errors\\": \\"%%d connect, %%d read, %%d write, %%d timeout\\", "
    .. "\\"errors\\": %%d, \\"status_errors\\": %%d, \\"p50_us\\": %%d, \\"p90_us\\": %%d, "
    .. "\\"p95_us\\": %%d, \\"p99_us\\": %%d, \\"mean_us\\": %%f, \\"max_us\\": %%d}\\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.mean, latency.max))
end
"""


def _lua_table(headers: dict[str, str]) -> str:
    return "{" + ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items()) + "}"


def run_wrk(
    wrk: str, url: str, paths: list[str], seconds: float, connections: int, threads: int
) -> dict[str, Any]:
    """wrk's closed loop: every connection sends its next request when the last one is read."""
    folder = WORK / f"map-wrk-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "paths.txt").write_text("\n".join(paths) + "\n")
    script = folder / "random.lua"
    script.write_text(
        WRK_SCRIPT % {"paths": folder / "paths.txt", "headers": _lua_table(PAGE_HEADERS)}
    )
    command = [
        wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
        "--timeout", "10s", "-s", str(script), url,
    ]  # fmt: skip
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    requests = data["requests"]
    latency = {
        "n": requests,
        "p50": data["p50_us"] / 1000,
        "p90": data["p90_us"] / 1000,
        "p95": data["p95_us"] / 1000,
        "p99": data["p99_us"] / 1000,
        "mean": data["mean_us"] / 1000,
        "max": data["max_us"] / 1000,
    }
    return {
        "tool": f"wrk -t{threads} -c{connections}",
        "requests": requests,
        "seconds": data["duration_us"] / 1e6,
        "rps": requests / (data["duration_us"] / 1e6),
        "errors": data["errors"] + data["status_errors"],
        "error_detail": f"{data['socket_errors']}, {data['status_errors']} status ≥ 400",
        "bytes_per_response": data["bytes"] / requests if requests else None,
        # No request answered in the run (a server far behind): no latencies, not zeros.
        "latency": latency if requests else stats([]),
    }


def _python_worker(args: tuple[int, list[str], float, int, int]) -> tuple[list[float], int, int]:
    """One process of keep-alive connections (threads): latencies (ms), errors, bytes read."""
    port, paths, seconds, threads, seed = args
    latencies: list[float] = []
    totals = [0, 0]
    lock = threading.Lock()

    def loop(thread_seed: int) -> None:
        rng = random.Random(thread_seed)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        failed = read = 0
        deadline = time.perf_counter() + seconds
        while (now := time.perf_counter()) < deadline:
            try:
                connection.request("GET", rng.choice(paths), headers=PAGE_HEADERS)
                response = connection.getresponse()
                read += len(response.read())
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            if response.status >= 400:
                failed += 1
            mine.append((time.perf_counter() - now) * 1000)
        connection.close()
        with lock:
            latencies.extend(mine)
            totals[0] += failed
            totals[1] += read

    pool = [threading.Thread(target=loop, args=(seed * 1000 + i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return latencies, totals[0], totals[1]


def run_python(port: int, paths: list[str], seconds: float, connections: int) -> dict[str, Any]:
    """The fallback without wrk: 2 processes of threads, one keep-alive connection each."""
    processes = 2
    threads = max(1, connections // processes)
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    with context.Pool(processes) as pool:
        parts = pool.map(
            _python_worker, [(port, paths, seconds, threads, i) for i in range(processes)]
        )
    elapsed = max(seconds, time.perf_counter() - started - 1.0)
    latencies = [x for part, _, _ in parts for x in part]
    read = sum(b for _, _, b in parts)
    return {
        "tool": f"Python http.client, {processes} processes x {threads} keep-alive connections",
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "errors": sum(e for _, e, _ in parts),
        "error_detail": "",
        "bytes_per_response": read / len(latencies) if latencies else None,
        "latency": stats(latencies),
    }
