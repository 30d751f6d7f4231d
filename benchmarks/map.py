"""Map benchmark (issue 16): 災害モード's 避難場所 page under a crowd, and the shelter layer.

The issue's targets, each a *part* of this script (``--only`` picks some):

* ``hinan`` — the lightweight 避難場所 page (``/hinan``, 災害モード switched on by a sysadmin
  through ``disaster_mode_update``) under 200 concurrent clients for 60 s: ≥ 2,000 requests/s,
  p99 ≤ 100 ms, no errors. Beside it in the same run, with the same clients: the same page from
  a second server that renders it for every request (``TSUNAGU_DISASTER_PAGE_CACHE=0``), and the
  floor — a bare ASGI app under the same uvicorn answering with the same bytes and headers and
  doing nothing else. Then a municipality's page (``/hinan/{code}``, where people go next),
  cached and not, for a third of the time;
* ``layer`` — the shelter layer's GeoJSON at 20,000 points: a conditional request
  (``If-None-Match``) answered 304 in ≤ 5 ms p95, and the whole body gzipped ≤ 1 MB (brotli's
  and the CSV's sizes beside it), the full answer and the floor's 304 timed the same way.

The catalog is made here, fresh each run, in ``.work/map-catalog-N-sSEED``: one organisation per
municipality (real 全国地方公共団体コード from quality/areas.csv, 山口県's first, then its
neighbours'), each publishing one synthetic 指定緊急避難場所 file with the standard's columns
(about a third of them with a 開設状況 column), uploaded as CSV through ``resource_create`` and
read by the server's own ingest worker; the map worker builds the layer, and the run waits until
it holds every point. Servers run ``uvicorn tsunagu.asgi:app`` on the embedded default (SQLite)
with ``--workers`` processes (2), harvest and snapshots off, from this run's own source snapshot.
Load: ``wrk`` (installed with apt-get when missing and running as root, as search.py does;
``--no-wrk`` for a Python generator). Results: ``benchmarks/results/map.json`` (run record, see
runrecord.py); RESULTS.md renders them (reporting/map.py).

It waits while a benchmark started earlier runs (``--no-wait`` not to). ``--quick``: 1,000 points
of 5 municipalities and 5 s of load, results to ``benchmarks/.work/results``; sizes given beside
it are kept.

Usage: ``python benchmarks/map.py [--points 20000] [--municipalities 40] [--clients 200]
[--seconds 60] [--quick] [--only hinan,layer] [--no-wait]``
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import http.client
import io
import json
import multiprocessing
import os
import random
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import brotli
import httpx
from runrecord import RunRecord, add_results_argument, render_section, stats, write_result
from snapshot import snapshot_revision, snapshot_source

SRC_ENV = "TSUNAGU_BENCH_SEARCH_SRC"  # the same name as search.SRC_ENV
# This run's own copy of src/tsunagu (importing search below finds it named in SRC_ENV).
MAP_SRC = snapshot_source(SRC_ENV, f"src-map-{os.getpid()}")

import search  # noqa: E402  (benchmarks/search.py: server, wrk, helpers)
from tsunagu.bootstrap import action_context, build_services  # noqa: E402
from tsunagu.config import Settings  # noqa: E402
from tsunagu.quality.areas import Area, all_areas  # noqa: E402
from tsunagu.quality.standards import get_standard  # noqa: E402
from tsunagu.registry import call_action  # noqa: E402
from tsunagu.storage.migrate import upgrade  # noqa: E402

WORK = search.WORK
log = search.log
LAYER = "evacuation_space"
ADMIN = "bench-map-admin"
MESSAGE = "台風第10号の接近に伴い、避難所を開設しています（ベンチマーク）"
TARGET_RPS = 2000.0
TARGET_P99_MS = 100.0
TARGET_304_P95_MS = 5.0
TARGET_GZIP_BYTES = 1_000_000  # "1 MB", read strictly
# Prefectures whose municipalities carry the points, in order: 山口県, then its neighbours.
PREFECTURES = ("35", "34", "40", "32", "33", "38", "44", "37", "39", "36")
# A browser's request headers for the page and the layer (what decides the representation).
PAGE_HEADERS = {"Accept-Encoding": "gzip, deflate"}
LAYER_ACCEPT = "gzip, deflate, br"
# The sizes of a full run, and of a quick one (any of them may be given with --quick: a bigger
# check, still written to .work/results).
FULL = {"points": 20_000, "municipalities": 40, "seconds": 60.0, "requests": 2000}
QUICK = {"points": 1_000, "municipalities": 5, "seconds": 5.0, "requests": 300}
OTHERS = re.compile(
    rb"benchmarks/(search|datastore|portal|load|staff|harvest|analytics|quality|map)\.py"
)


# -- the shelters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Town:
    """A municipality that publishes shelters: its organisation and its share of the points."""

    area: Area
    prefecture: str
    points: int
    with_status: bool  # its file has a 開設状況 column

    @property
    def code(self) -> str:
        return self.area.code

    @property
    def org(self) -> str:
        return f"city-{self.code}"


def towns(points: int, count: int) -> list[Town]:
    """`count` municipalities (no prefectures, no designated cities beside their wards' sums:
    any code the layer can name), the points shared out evenly."""
    areas = all_areas()
    prefecture_names = {a.code[:2]: a.name for a in areas if a.code[2:5] == "000"}
    chosen: list[Area] = []
    for prefecture in PREFECTURES:
        chosen += [a for a in areas if a.code[:2] == prefecture and a.code[2:5] != "000"]
    if len(chosen) < count:
        raise SystemExit(f"only {len(chosen)} municipalities in {PREFECTURES}; lower the count")
    chosen = chosen[:count]
    share, extra = divmod(points, count)
    return [
        Town(area, prefecture_names[area.code[:2]], share + (1 if n < extra else 0), n % 3 == 0)
        for n, area in enumerate(chosen)
    ]


STREETS = ["本町", "中央", "東町", "西町", "南町", "北町", "栄町", "旭町", "錦町", "新町", "港町"]
KINDS = [
    "小学校",
    "中学校",
    "公園",
    "公民館",
    "体育館",
    "高等学校",
    "広場",
    "集会所",
    "市民センター",
]
STATUSES = ["開設", "未開設", "未開設", "未開設", "閉鎖"]


def shelter_csv(town: Town, seed: int) -> bytes:
    """The town's 03 指定緊急避難場所 file: every column of the standard, points inside the
    municipality's box (its middle half), hazard flags set at random."""
    names = [f.name for f in get_standard(LAYER).fields]
    if town.with_status:
        names.append("開設状況")
    rng = random.Random(f"{seed}-{town.code}")
    box = town.area.bbox
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    city = town.area.name
    for n in range(1, town.points + 1):
        street = rng.choice(STREETS)
        lot = f"{rng.randrange(1, 40)}-{rng.randrange(1, 30)}"
        lat = box.min_lat + (0.25 + rng.random() / 2) * (box.max_lat - box.min_lat)
        lon = box.min_lon + (0.25 + rng.random() / 2) * (box.max_lon - box.min_lon)
        row = {
            "全国地方公共団体コード": town.code,
            "ID": f"{n:07d}",
            "名称": f"{street}{rng.choice(KINDS)}{n}",
            "所在地_全国地方公共団体コード": town.code,
            "所在地_連結表記": f"{town.prefecture}{city}{street}{lot}",
            "所在地_都道府県": town.prefecture,
            "所在地_市区町村": city,
            "所在地_町字": street,
            "所在地_番地以下": lot,
            "緯度": f"{lat:.6f}",
            "経度": f"{lon:.6f}",
            "標高": str(rng.randrange(2, 300)),
            "電話番号": f"0{rng.randrange(82, 99)}-{rng.randrange(200, 999)}-"
            f"{rng.randrange(1000, 9999)}",
            "市区町村コード": town.code,
            "地方公共団体名": city,
            "想定収容人数": str(rng.randrange(50, 2000)),
            "対象となる町会・自治会": f"{street}自治会",
            "開設状況": rng.choice(STATUSES),
        }
        for name in names:
            if name.startswith("災害種別_") or name == "指定避難所との重複":
                row[name] = "1" if rng.random() < 0.5 else ""
        writer.writerow([row.get(name, "") for name in names])
    return out.getvalue().encode("utf-8")


def make_catalog(data_dir: Path, places: list[Town]) -> search.Catalog:
    """A fresh SQLite catalog with a sysadmin (and an API token) and the municipalities."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    db_path = data_dir / "tsunagu.db"
    services = build_services(Settings(data_dir=data_dir, database_url=f"sqlite:///{db_path}"))
    upgrade(services.engine)
    with action_context(services, ignore_auth=True) as context:
        call_action(
            "user_create",
            context,
            {
                "name": ADMIN,
                "email": "map@example.jp",
                "password": "bench-map-0000",
                "sysadmin": True,
            },
        )
        for town in places:
            call_action(
                "organization_create",
                context,
                {
                    "name": town.org,
                    "title": town.area.name,
                    "kind": "municipality",
                    "local_gov_code": town.code,
                },
            )
        token = call_action("api_token_create", context, {"user": ADMIN, "name": "map"})
    services.engine.dispose()
    return search.Catalog(db_path, data_dir, len(places), token["token"], [])


def busy_jobs(catalog: search.Catalog) -> int:
    """Ingest, quality and map jobs still waiting or running."""
    with contextlib.closing(sqlite3.connect(catalog.db_path, timeout=30)) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM ingest_job WHERE status IN ('pending', 'running')) + "
            "(SELECT count(*) FROM job WHERE status IN ('pending', 'running'))"
        ).fetchone()
    return int(row[0])


def publish(
    server: search.Server, catalog: search.Catalog, places: list[Town], seed: int
) -> dict[str, Any]:
    """Every town's file uploaded through the API, then wait until the layer holds every point
    and no job is left (a rebuild during the measurement would change what is measured)."""
    expected = sum(t.points for t in places)
    files = {t.code: shelter_csv(t, seed) for t in places}
    headers = {"Authorization": catalog.token}
    started = time.perf_counter()
    with httpx.Client(base_url=server.url, timeout=120, headers=headers) as client:
        for town in places:
            name = f"hinan-{town.code}"
            client.post(
                "/api/3/action/package_create",
                json={
                    "name": name,
                    "title": f"{town.area.name} 指定緊急避難場所一覧",
                    "owner_org": town.org,
                    "standard_id": LAYER,
                },
            ).raise_for_status()
            client.post(
                "/api/3/action/resource_create",
                data={"package_id": name, "name": "指定緊急避難場所", "format": "CSV"},
                files={"upload": (f"{name}.csv", files[town.code], "text/csv")},
            ).raise_for_status()
        uploaded = time.perf_counter() - started
        log(f"{len(places)} files uploaded in {uploaded:.1f} s; waiting for the layer")
        deadline = time.monotonic() + 1800
        shown: dict[str, Any] = {}
        while time.monotonic() < deadline:
            response = client.get("/api/3/action/map_layer_show", params={"id": LAYER})
            shown = response.json()["result"] if response.status_code == 200 else {}
            if shown.get("points", 0) + shown.get("left_off", 0) >= expected:
                break
            time.sleep(1)
        else:
            raise RuntimeError(f"the layer has {shown.get('points')} of {expected} points")
        on_map = time.perf_counter() - started
        while busy_jobs(catalog):
            if time.monotonic() > deadline:
                raise RuntimeError("background jobs did not finish in time")
            time.sleep(1)
        response = client.get("/api/3/action/map_layer_show", params={"id": LAYER})
        shown = response.json()["result"]
    return {
        "files": len(places),
        "file_bytes": sum(len(b) for b in files.values()),
        "with_status": sum(1 for t in places if t.with_status),
        "upload_seconds": uploaded,
        "on_map_seconds": on_map,
        "settled_seconds": time.perf_counter() - started,
        "layer_points": shown["points"],
        "left_off": shown["left_off"],
        "layer_etag": shown["etag"],
        "built_bytes": shown.get("built_bytes"),
        "municipalities": len(shown.get("municipalities") or []),
    }


# -- the floor: the same bytes with no framework ----------------------------------------------------

FLOOR_APP = '''"""What uvicorn answers with no framework and no work (written by benchmarks/map.py)."""
import os

BODY = open(os.environ["MAP_FLOOR_BODY"], "rb").read()
ETAG = os.environ["MAP_FLOOR_ETAG"].encode()
BASE = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"cache-control", b"public, max-age=30"),
    (b"vary", b"Accept-Encoding"),
    (b"etag", ETAG),
]
FULL = [*BASE, (b"content-encoding", b"gzip"), (b"content-length", str(len(BODY)).encode())]


async def app(scope, receive, send):
    for name, value in scope["headers"]:
        if name == b"if-none-match" and value == ETAG:
            await send({"type": "http.response.start", "status": 304, "headers": BASE})
            await send({"type": "http.response.body", "body": b""})
            return
    await send({"type": "http.response.start", "status": 200, "headers": FULL})
    await send({"type": "http.response.body", "body": BODY})
'''


class Floor:
    """A bare ASGI app under ``uvicorn --workers N`` answering every request with ``body`` (the
    gzipped page) and its headers, or 304 for its ETag."""

    def __init__(self, body: bytes, etag: bytes, workers: int) -> None:
        self.folder = WORK / f"map-floor-{os.getpid()}"
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "map_floor_app.py").write_text(FLOOR_APP)
        (self.folder / "body.gz").write_bytes(body)
        self.etag = etag
        self.workers = workers
        self.port = search.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = WORK / f"uvicorn-floor-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Floor:
        env = {
            **os.environ,
            "MAP_FLOOR_BODY": str(self.folder / "body.gz"),
            "MAP_FLOOR_ETAG": self.etag.decode(),
        }
        command = [
            sys.executable, "-m", "uvicorn", "map_floor_app:app", "--app-dir", str(self.folder),
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers),
            "--no-access-log", "--lifespan", "off", "--log-level", "warning",
        ]  # fmt: skip
        with self.log_path.open("wb") as out:
            self.proc = subprocess.Popen(
                command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the floor server exited; see {self.log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/hinan", timeout=2).status_code == 200:
                    time.sleep(1)  # every worker up, not just the first
                    return self
            time.sleep(0.3)
        raise RuntimeError(f"the floor server did not answer; see {self.log_path}")

    def pids(self) -> list[int]:
        if self.proc is None:
            return []
        return search.child_pids(self.proc.pid) if self.workers > 1 else [self.proc.pid]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def server_pids(server: search.Server) -> list[int]:
    """The processes that answer requests (uvicorn's resource tracker left out)."""
    if server.proc is None:
        return []
    if server.workers == 1:
        return [server.proc.pid]
    return [p for p in search.child_pids(server.proc.pid) if b"resource_tracker" not in _cmd(p)]


def _cmd(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / ticks


# -- load -------------------------------------------------------------------------------------------

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


# -- shared state of the parts ----------------------------------------------------------------------


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
            saved = {k: os.environ.get(k) for k in env}
            os.environ.update(env)
            try:
                log(f"starting server {name!r} ({self.args.workers} workers; {env or 'defaults'})")
                server = search.Server(self.catalog, workers=self.args.workers, src=MAP_SRC)
                self.servers[name] = server.start()
            finally:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value
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


def _page_with_message(server: search.Server) -> bytes:
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


def _measure(
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


# -- part: the 避難場所 page under a crowd -------------------------------------------------------


def part_hinan(bench: Bench) -> dict[str, Any]:
    args = bench.args
    cached = bench.servers["cached"]
    uncached = bench.server("uncached", TSUNAGU_DISASTER_PAGE_CACHE="0", TSUNAGU_INGEST_WORKERS="0")
    html_cached = _page_with_message(cached)
    html_uncached = _page_with_message(uncached)
    _status, headers, page_gzip = get(cached.port, "/hinan", PAGE_HEADERS)
    if headers.get("content-encoding") != "gzip":
        raise RuntimeError(f"/hinan was not sent gzipped: {headers}")
    bench.page_gzip, bench.page_etag = page_gzip, headers["etag"].encode()
    bench.floor = Floor(page_gzip, bench.page_etag, args.workers).start()
    floor = bench.floor
    codes = [t.code for t in bench.places]
    town_paths = [f"/hinan/{code}" for code in codes]
    sizes = [len(get(cached.port, p, {"Accept-Encoding": "identity"})[2]) for p in town_paths]
    servers = {
        "cached": Target(cached.url, cached.port, server_pids(cached)),
        "uncached": Target(uncached.url, uncached.port, server_pids(uncached)),
        "floor": Target(floor.url, floor.port, floor.pids()),
    }
    log(f"/hinan: {args.clients} clients for {args.seconds:g} s on each server")
    index = {
        name: _measure(bench, name, target, ["/hinan"], args.seconds)
        for name, target in servers.items()
    }
    town_seconds = float(max(1, round(args.seconds / 3)))
    log(f"/hinan/{{code}} of {len(codes)} municipalities: {town_seconds:g} s on each server")
    towns_load = {
        name: _measure(bench, name, target, town_paths, town_seconds)
        for name, target in servers.items()
        if name != "floor"
    }
    best = index["cached"]
    return {
        "clients": args.clients,
        "seconds": args.seconds,
        "workers": args.workers,
        "tool": best["tool"],
        "page": {
            "bytes": len(html_cached),
            "gzip_bytes": len(page_gzip),
            "same_html": html_cached == html_uncached,
            "municipality_pages": len(codes),
            "municipality_bytes_max": max(sizes, default=0),
            "municipality_bytes_median": sorted(sizes)[len(sizes) // 2] if sizes else 0,
        },
        "index": index,
        "municipality": {"seconds": town_seconds, "servers": towns_load},
        "rss_mib": {"cached": cached.rss(), "uncached": uncached.rss()},
        "targets": {"rps": TARGET_RPS, "p99_ms": TARGET_P99_MS, "errors": 0},
        "met": best["rps"] >= TARGET_RPS
        and best["latency"]["p99"] <= TARGET_P99_MS
        and best["errors"] == 0,
    }


# -- part: the shelter layer ----------------------------------------------------------------------


def _timed(
    port: int, path: str, headers: dict[str, str], count: int, status: int
) -> dict[str, Any]:
    """``count`` requests in a row over one keep-alive connection (after 20 untimed): the time
    to read the whole answer, and how many were not ``status``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    timings: list[float] = []
    wrong = 0
    try:
        for n in range(20 + count):
            started = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if n >= 20:
                timings.append((time.perf_counter() - started) * 1000)
                wrong += response.status != status
    finally:
        connection.close()
    return {**stats(timings), "wrong_status": wrong}


def part_layer(bench: Bench) -> dict[str, Any]:
    args = bench.args
    server = bench.servers["cached"]
    bench.settle()
    path = f"/map/layers/{LAYER}.geojson"
    _s, plain_headers, plain = get(server.port, path, {"Accept-Encoding": "identity"})
    _s, gzip_headers, gzipped = get(server.port, path, {"Accept-Encoding": "gzip"})
    _s, br_headers, brotlied = get(server.port, path, {"Accept-Encoding": LAYER_ACCEPT})
    _s, csv_headers, csv_gzip = get(
        server.port, f"/map/layers/{LAYER}.csv", {"Accept-Encoding": "gzip"}
    )
    if gzip.decompress(gzipped) != plain or brotli.decompress(brotlied) != plain:
        raise RuntimeError("the compressed layer bodies do not decode to the plain one")
    if br_headers.get("content-encoding") != "br":
        raise RuntimeError(f"the layer was not sent with brotli: {br_headers}")
    document = json.loads(plain)
    etag = br_headers["etag"]
    conditional = {"Accept-Encoding": LAYER_ACCEPT, "If-None-Match": etag}
    log(f"layer: {len(document['features']):,} points; {args.requests} conditional requests")
    not_modified = _timed(server.port, path, conditional, args.requests, 304)
    full = _timed(server.port, path, {"Accept-Encoding": LAYER_ACCEPT}, args.requests // 10, 200)
    floor_304 = None
    if bench.floor is not None:
        floor_304 = _timed(
            bench.floor.port, "/hinan", {"If-None-Match": bench.page_etag.decode()},
            args.requests, 304,
        )  # fmt: skip
    return {
        "points": len(document["features"]),
        "etag": etag,
        "cache_control": br_headers.get("cache-control"),
        "bytes": {
            "geojson": len(plain),
            "gzip": len(gzipped),
            "br": len(brotlied),
            "csv_gzip": len(csv_gzip),
        },
        "requests": args.requests,
        "not_modified": not_modified,
        "full_br": full,
        "floor_not_modified": floor_304,
        "headers": {
            "gzip_etag": gzip_headers.get("etag"),
            "identity_etag": plain_headers.get("etag"),
            "csv_etag": csv_headers.get("etag"),
        },
        "targets": {"not_modified_p95_ms": TARGET_304_P95_MS, "gzip_bytes": TARGET_GZIP_BYTES},
        "met": not_modified["p95"] is not None
        and not_modified["p95"] <= TARGET_304_P95_MS
        and not not_modified["wrong_status"]
        and len(gzipped) <= TARGET_GZIP_BYTES,
    }


# Parts in the order they run; each takes the shared Bench and returns its summary.
PARTS: dict[str, Callable[[Bench], dict[str, Any]]] = {
    "hinan": part_hinan,
    "layer": part_layer,
}


# -- main -------------------------------------------------------------------------------------------


def _started(pid: str) -> tuple[int, int]:
    """When a process started (clock ticks since boot), then its pid: an order of processes."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[19]), int(pid)


def wait_for_other_benchmarks(limit_seconds: float = 7200) -> None:
    """The machine is small: do not measure while a benchmark started earlier runs."""
    mine = _started(str(os.getpid()))
    deadline = time.monotonic() + limit_seconds
    while True:
        busy = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            pid = cmdline.parent.name
            with contextlib.suppress(OSError, ValueError, IndexError):
                if OTHERS.search(cmdline.read_bytes()) and _started(pid) < mine:
                    busy.append(pid)
        if not busy:
            return
        if time.monotonic() > deadline:
            raise SystemExit("another benchmark is still running; giving up")
        time.sleep(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # Sizes left unset take the full run's defaults, or the quick run's with --quick.
    parser.add_argument("--points", type=int, help="shelters in the layer (20,000)")
    parser.add_argument("--municipalities", type=int, help="publishing municipalities (40)")
    parser.add_argument("--seconds", type=float, help="load per server on /hinan (60)")
    parser.add_argument("--requests", type=int, help="timed conditional requests (2,000)")
    parser.add_argument("--clients", type=int, default=200, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument(
        "--quick", action="store_true", help="1,000 points of 5 municipalities, 5 s of load"
    )
    parser.add_argument("--no-wait", action="store_true", help="do not wait for other benchmarks")
    parser.add_argument("--no-wrk", action="store_true", help="use the Python load generator")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install wrk")
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"parts to run, of: {', '.join(PARTS)}"
    )
    add_results_argument(parser)
    args = parser.parse_args()
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {unknown}; known: {list(PARTS)}")
    sizes = QUICK if args.quick else FULL
    for name, value in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    record = RunRecord("map", args.quick, source=snapshot_revision())
    wrk = None if args.no_wrk else search.ensure_wrk(not args.no_install)
    if wrk:
        version = subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout
        found = re.search(r"wrk (\S+)", version)
        record.add_versions(wrk=found.group(1) if found else "unknown")

    if not args.no_wait:
        wait_for_other_benchmarks()
    places = towns(args.points, args.municipalities)
    catalog = make_catalog(WORK / f"map-catalog-{args.points}-s{args.seed}", places)
    os.environ.update(
        {
            "TSUNAGU_HARVEST_WORKERS": "0",
            "TSUNAGU_METRICS_SNAPSHOT_SECONDS": "0",
            "TSUNAGU_MAP_TILES": "",
        }
    )
    summary: dict[str, Any] = {"points": args.points, "municipalities": args.municipalities}
    bench = Bench(args, catalog, places, wrk)
    try:
        cached = bench.server("cached")
        summary["catalog"] = publish(cached, catalog, places, args.seed)
        log(f"catalog ready: {summary['catalog']}")
        with httpx.Client(base_url=cached.url, timeout=60) as client:
            client.post(
                "/api/3/action/disaster_mode_update",
                json={"on": True, "message": MESSAGE},
                headers={"Authorization": catalog.token},
            ).raise_for_status()
        for name in parts:
            log(f"part {name}")
            summary[name] = PARTS[name](bench)
    finally:
        bench.stop()
        shutil.rmtree(WORK / f"map-wrk-{os.getpid()}", ignore_errors=True)
        if MAP_SRC.name == f"src-map-{os.getpid()}":  # this process's copy, not a parent's
            shutil.rmtree(MAP_SRC, ignore_errors=True)
    path = write_result("map", record.finish(), summary, args.results_dir)
    print(render_section("map", path))
    log(f"results written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
