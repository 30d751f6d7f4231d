"""A real uvicorn server on a free loopback port, running the app in a background thread."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ckanapi
import uvicorn

from support.waiting import wait_until
from tsunagu.app import create_app
from tsunagu.bootstrap import action_context, build_services
from tsunagu.config import Settings
from tsunagu.context import Services
from tsunagu.registry import call_action


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    data_dir: Path
    database_url: str = ""
    max_upload_bytes: int = 2 * 1024 * 1024
    # Any other Settings field, e.g. {"ingest_allow_private_urls": False} or SMTP settings.
    overrides: dict[str, Any] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    services: Services = field(init=False)
    _server: uvicorn.Server = field(init=False)
    _thread: threading.Thread = field(init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        defaults: dict[str, Any] = {
            # Tests serve linked files from this same loopback server.
            "ingest_allow_private_urls": True,
            # No network at test time: maps use a blank base instead of GSI tiles.
            "map_tiles": "",
            # Every test client is 127.0.0.1, so per-address API limits would count the whole
            # module as one client; tests/api/test_rate_limits.py turns them on.
            "api_rate_limit": 0,
            "sql_rate_limit": 0,
            # The same for password-reset requests per client address (per name they stay on);
            # tests/accounts/test_account_throttles.py turns it on.
            "reset_address_max_requests": 0,
            # The same for what the public posts (data requests, 活用事例, supports);
            # tests/community/test_spam.py turns them on.
            "community_max_posts": 0,
            "community_max_supports": 0,
            # No metric snapshots behind a test's back (each would add a job and rows);
            # tests/metrics/ turn the app's scheduler on where they test it.
            "metrics_snapshot_seconds": 0,
            # OWASP's minimum Argon2id cost: the suite makes and signs in thousands of accounts,
            # each a seventh of the CPU of the standard cost (tests/accounts/test_passwords.py
            # checks both).
            "password_hash_cost": "minimum",
        }
        settings = Settings(
            data_dir=self.data_dir,
            database_url=self.database_url,
            max_upload_bytes=self.max_upload_bytes,
            # site_url may be overridden, e.g. an https address the site claims to live at.
            **{"site_url": self.url, **defaults, **self.overrides},
        )
        self.services = build_services(settings)
        app = create_app(settings, self.services)
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            # Longer than a test's pauses: with uvicorn's 5 s, a client reusing a connection just
            # as the server closes it idle got "connection reset" (a module's ckanapi client after
            # a test that waited out a calm period).
            timeout_keep_alive=60,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()

        def started() -> bool:
            if not self._thread.is_alive():
                raise RuntimeError("test server stopped while starting (see the log above)")
            return bool(self._server.started)

        wait_until(started, f"the test server on port {self.port} to start")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self.services.engine.dispose()

    # -- set-up helpers that act as the system (not through HTTP) --------------------------

    def act(self, name: str, data: dict[str, Any]) -> Any:
        with action_context(self.services, ignore_auth=True) as context:
            return call_action(name, context, data)

    def make_user(self, name: str, *, sysadmin: bool = False) -> str:
        """Create a user and return an API token for it."""
        self.act(
            "user_create",
            {
                "name": name,
                "email": f"{name}@example.jp",
                "password": f"pw-{name}-0000",
                "sysadmin": sysadmin,
            },
        )
        return str(self.act("api_token_create", {"user": name, "name": "test"})["token"])

    def ckan(self, token: str | None = None) -> ckanapi.RemoteCKAN:
        return ckanapi.RemoteCKAN(self.url, apikey=token, user_agent="tsunagu-tests")
