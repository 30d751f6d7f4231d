"""Processes the benchmarks start: a free port for a server, starting uvicorn on it, stopping
it, and the environment it is started with; and the other benchmarks running beside them.

Imports nothing of tsunagu, so a benchmark may import it before its source snapshot is on
sys.path.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """``values`` set in os.environ (what a server started meanwhile inherits), and each
    variable put back as it was (or removed) afterwards."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM a server started in its own session, and SIGKILL its whole group (uvicorn's
    workers too) if it has not ended 20 s later."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def start_uvicorn(
    env: dict[str, str],
    port: int,
    log_path: Path,
    cwd: Path,
    *,
    timeout: float,
    workers: int | None = None,
    strict: bool = False,
    poll: float = 0.3,
) -> tuple[subprocess.Popen[bytes], float]:
    """``uvicorn tsunagu.asgi:app`` on 127.0.0.1:``port`` in its own session, logging to
    ``log_path``; returns it once every worker has started and status_show answers 200, with
    the seconds that took. ``workers``: passed as --workers when given. ``strict``: a Traceback
    in the log or another status fails at once; otherwise status_show is asked again until the
    timeout. A server that fails to start is stopped before raising (the caller never gets it
    to stop, and a server left running would weigh on every later benchmark)."""
    command = [sys.executable, "-m", "uvicorn", "tsunagu.asgi:app", "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    command += ["--no-access-log", "--log-level", "info"]
    started = time.perf_counter()
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            command,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=cwd,
        )
    deadline = time.monotonic() + timeout

    def fail(message: str) -> RuntimeError:
        stop(proc)
        return RuntimeError(f"{message}; see {log_path}")

    while True:
        if proc.poll() is not None:
            raise fail("server exited early")
        if time.monotonic() > deadline:
            raise fail(f"server not ready after {timeout:.0f} s")
        text = log_path.read_text(errors="replace")
        if strict and "Traceback" in text:
            raise fail("a server process failed")
        if text.count("Application startup complete") >= (workers or 1):
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/3/action/status_show", timeout=5)
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code == 200:
                return proc, time.perf_counter() - started
            if strict and response is not None:
                raise fail(f"status_show answered {response.status_code}")
        time.sleep(poll)


def proc_mib(pid: int | str, field: str, file: str = "status") -> float:
    """A memory field of /proc/<pid>/<file> in MiB: VmRSS or VmHWM of ``status``, Pss of
    ``smaps_rollup``; NaN when the process or the field is not there."""
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cmdline(pid: int | str) -> bytes:
    """A process's command line (arguments separated by NUL bytes); empty once it has ended."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def child_pids(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            children += [int(c) for c in (task / "children").read_text().split()]
    return children


def worker_pids(pid: int, workers: int) -> list[int]:
    """The processes of a uvicorn started as ``pid`` that answer requests: itself with one
    worker, else its children but the resource tracker its multiprocessing also starts."""
    if workers == 1:
        return [pid]
    return [p for p in child_pids(pid) if b"resource_tracker" not in cmdline(p)]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (those that ended count nothing)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = _stat(str(pid))
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _stat(pid: str) -> list[str]:
    """/proc/PID/stat's fields after the command name (which may hold spaces and parentheses)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _started(pid: str) -> tuple[int, int]:
    """When a process started (clock ticks since boot), then its pid: an order of processes."""
    return int(_stat(pid)[19]), int(pid)


def _lineage() -> set[str]:
    """This process and those it runs under (a shell, timeout, nohup …), whose command lines may
    name a benchmark's script without being one."""
    pids: set[str] = set()
    pid = str(os.getpid())
    with contextlib.suppress(OSError, IndexError):
        while pid not in pids and pid != "0":
            pids.add(pid)
            pid = _stat(pid)[1]  # the parent
    return pids


def benchmark_processes(names: re.Pattern[bytes], *, earlier_only: bool = True) -> list[str]:
    """Ids of the running processes whose command line ``names`` matches (another benchmark),
    leaving out this one and those it runs under. ``earlier_only``: only those started before
    this one, so that two runs do not each wait for the other."""
    mine = _started(str(os.getpid()))
    own = _lineage()
    busy = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        pid = cmdline.parent.name
        if pid in own:
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            if names.search(cmdline.read_bytes()) and (not earlier_only or _started(pid) < mine):
                busy.append(pid)
    return busy


def wait_for_benchmarks(
    names: re.Pattern[bytes],
    *,
    earlier_only: bool = True,
    limit_seconds: float = 7200,
    log: Callable[[str], None] | None = None,
) -> None:
    """The machine is small: return once no other benchmark (benchmark_processes) runs."""
    deadline = time.monotonic() + limit_seconds
    announced = False
    while busy := benchmark_processes(names, earlier_only=earlier_only):
        if time.monotonic() > deadline:
            raise SystemExit("another benchmark is still running; giving up")
        if log is not None and not announced:
            log(f"another benchmark is running (pids {', '.join(busy)}); waiting")
            announced = True
        time.sleep(10)
