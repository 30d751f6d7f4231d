"""Build the long-lived services of one process from settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tsunagu.accounts.models import User
from tsunagu.config import Settings
from tsunagu.context import Context, Services
from tsunagu.search.memory_index import MemoryIndex
from tsunagu.storage.database import make_engine, make_session_factory
from tsunagu.storage.files import LocalFileStorage


def build_services(settings: Settings) -> Services:
    engine = make_engine(settings.effective_database_url)
    return Services(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        files=LocalFileStorage(settings.storage_dir),
        search=MemoryIndex(settings.site_url),
    )


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
