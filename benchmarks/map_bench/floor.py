"""The map benchmark's floor: a bare ASGI app under the same uvicorn answering with the same
bytes, and the CPU the servers' processes use."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time

import httpx
import processes

from map_bench.config import WORK, search

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
        self.port = processes.free_port()
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
        return processes.child_pids(self.proc.pid) if self.workers > 1 else [self.proc.pid]

    def stop(self) -> None:
        processes.stop(self.proc)
        shutil.rmtree(self.folder, ignore_errors=True)


def server_pids(server: search.Server) -> list[int]:
    """The processes that answer requests (uvicorn's resource tracker left out)."""
    if server.proc is None:
        return []
    return processes.worker_pids(server.proc.pid, server.workers)
