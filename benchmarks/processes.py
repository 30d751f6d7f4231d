"""Processes the benchmarks start: a free port for a server, and stopping one.

Imports nothing of tsunagu, so a benchmark may import it before its source snapshot is on
sys.path.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess


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
