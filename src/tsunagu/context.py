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

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def is_sysadmin(self) -> bool:
        return self.ignore_auth or bool(self.user and self.user.sysadmin)
