"""A real SMTP server on a free loopback port (aiosmtpd) that keeps every message it receives."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from support.live_server import free_port
from support.waiting import TIMEOUT, wait_until


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    # Recipients this server turns away with 550, as a real relay does an unknown mailbox.
    refused: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in str(m["To"])]

    def wait_for(
        self, match: Callable[[EmailMessage], bool], timeout: float = TIMEOUT
    ) -> EmailMessage:
        """The first message `match` accepts, waiting for it to arrive."""

        def found() -> list[EmailMessage]:
            with self._lock:
                return [m for m in self.messages if match(m)]

        return wait_until(found, "a matching mail", timeout=timeout)[0]


@dataclass
class SmtpServer:
    port: int = field(default_factory=free_port)
    mailbox: Mailbox = field(default_factory=Mailbox)
    _controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""
