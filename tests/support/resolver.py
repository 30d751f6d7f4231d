"""Host names that resolve where a test says, without DNS and without editing /etc/hosts.

The ingest fetcher checks a linked file's host with `socket.getaddrinfo`, and httpx connects
through the same function (`socket.create_connection` calls it), so replacing it for the test's
process makes a name such as ``opendata.city-example.jp`` really lead to the address given: the
guard sees what a real DNS answer would give it, and a connection made despite the guard would
really arrive there. `localhost.` or `*.localhost` would not do: glibc resolves neither here.
Other names resolve as before.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest


def fake_dns(monkeypatch: pytest.MonkeyPatch, names: dict[str, str | Callable[[], str]]) -> None:
    """Resolve each name in `names` (any case, with or without the final dot) to its address;
    a callable gives the answer anew at each lookup (a name whose answer changes)."""
    real = socket.getaddrinfo
    table = {name.lower().rstrip("."): address for name, address in names.items()}

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        text = host.decode() if isinstance(host, bytes) else host
        answer = table.get(str(text).lower().rstrip(".")) if text is not None else None
        address = answer() if callable(answer) else answer
        return real(address if address is not None else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def refuse_egress(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Refuse, in this process, every TCP connection to an address off this machine, as a
    closed network would; returns the list the refused destinations are appended to. Tests
    that make the code aim at a public address use it so that nothing leaves the machine."""
    attempts: list[str] = []
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(host)
            raise ConnectionRefusedError(f"no network in tests: {host}")
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts
