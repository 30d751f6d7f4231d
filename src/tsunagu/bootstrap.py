"""Build the long-lived services of one process from settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tsunagu.accounts import passwords
from tsunagu.accounts.models import User
from tsunagu.config import Settings
from tsunagu.context import Context, Services
from tsunagu.search.interface import SearchBackend
from tsunagu.search.memory_index import MemoryIndex
from tsunagu.search.snapshot_store import SnapshotStore, snapshot_directory
from tsunagu.storage.database import make_engine, make_session_factory
from tsunagu.storage.files import LocalFileStorage


def build_services(settings: Settings) -> Services:
    passwords.use_cost(settings.password_hash_cost)
    engine = make_engine(settings.effective_database_url)
    return Services(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        files=LocalFileStorage(settings.storage_dir),
        search=build_search(settings, engine),
    )


def build_search(settings: Settings, engine: Engine) -> SearchBackend:
    """The search backend the settings choose (config.Settings.search_backend)."""
    if settings.search_backend == "postgresql":
        from tsunagu.search.postgres.backend import PostgresSearch

        return PostgresSearch(engine, settings.site_url)
    # One snapshot file per host, shared by every worker process (search/snapshot_store.py).
    return MemoryIndex(
        settings.site_url,
        SnapshotStore(snapshot_directory(settings.data_dir), settings.site_url),
        database_url=settings.effective_database_url,
        data_dir=settings.data_dir,
    )


def start_search(services: Services, session: Session) -> int:
    """Make the search ready at a process's start; returns the indexed dataset count. A backend
    with ``load`` starts from what exists (the shared PostgreSQL index only catches up);
    otherwise the index is built in this process."""
    load = getattr(services.search, "load", None)
    if callable(load):
        return int(load(session))
    return services.search.rebuild(session)


@contextmanager
def action_context(
    services: Services, user: User | None = None, *, ignore_auth: bool = False
) -> Iterator[Context]:
    """A context whose session commits when the block succeeds and rolls back otherwise."""
    session = services.sessions()
    try:
        if user is not None:
            user = session.merge(user)
        yield Context(services=services, session=session, user=user, ignore_auth=ignore_auth)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
