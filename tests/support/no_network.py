"""No network at test time except this machine: every connection the test process opens to an
address off the machine, and every DNS lookup of a name other than localhost, is refused at
once, as on a closed network. A test that links a resource to https://example.jp/… can therefore
never reach the internet from CI; tests that need a name to resolve say so with
support.resolver.fake_dns, which answers with an address literal."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

LOCAL_NAMES = {"localhost", "localhost.", "ip6-localhost"}


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host.lower() in LOCAL_NAMES


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return True


def install() -> None:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def refuse(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = str(address[0])
            if not _is_loopback(host):
                raise ConnectionRefusedError(f"no network at test time: {host}")

    def connect(self: socket.socket, address: Any) -> None:
        refuse(self, address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        refuse(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        text = host.decode() if isinstance(host, bytes) else host
        if text is not None and not (_is_literal(str(text)) or str(text).lower() in LOCAL_NAMES):
            raise socket.gaierror(socket.EAI_NONAME, f"no DNS at test time: {text}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo
