"""What every action receives: the shared services and the caller's identity."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from tsunagu.config import Settings
from tsunagu.storage.files import FileStorage

if TYPE_CHECKING:
    from tsunagu.accounts.models import User
    from tsunagu.search.interface import SearchBackend


@dataclass
class Services:
    """Long-lived objects built once per process."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    files: FileStorage
    search: SearchBackend


@dataclass
class Context:
    services: Services
    session: Session
    user: User | None = None
    # Set by trusted callers (CLI, demo loader) that act outside any user's rights.
    ignore_auth: bool = False
    # Per-request cache of the caller's capacity in each organisation.
    capacities: dict[str, str | None] = field(default_factory=dict)
    # Where the call came from, for per-client limits on what the public may post (data
    # requests, 活用事例): the client address the API or page saw; None for the CLI and jobs.
    client_address: str | None = None
    # An anonymous portal visitor's random browser id (from the signed session cookie), so one
    # browser supports a data request once; only the portal sets it.
    browser_id: str | None = None

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def is_sysadmin(self) -> bool:
        return self.ignore_auth or bool(self.user and self.user.sysadmin)
