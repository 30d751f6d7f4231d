"""Database engine and sessions: SQLite (embedded default, WAL) or PostgreSQL."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

log = logging.getLogger(__name__)

T = TypeVar("T")

# PostgreSQL's deadlock_detected and serialization_failure: the server gave up one transaction
# so that another could go on, and the same work run again will normally pass.
_CONFLICT_SQLSTATES = frozenset({"40P01", "40001"})
CONFLICT_ATTEMPTS = 3
CONFLICT_PAUSE_SECONDS = 0.1  # at most, times the attempt's number

# Stable constraint names so Alembic migrations behave the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer commits; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Last in, first out: a thread gets back the connection it used last. Every connection
        # reads the whole schema again on its first statement after any CREATE, ALTER or DROP
        # (each ingest makes a dozen, and each datastore table adds some twenty schema rows),
        # so cycling through the pool paid that read on every checkout: 10 ms per checkout
        # with the demo's 74 tables, and two fifths of the CPU of loading the demo.
        engine = create_engine(url, connect_args={"check_same_thread": False}, pool_use_lifo=True)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    event.listen(engine, "connect", _configure_postgresql)
    return engine


def _configure_postgresql(dbapi_connection: Any, _record: Any) -> None:
    # psycopg prepares a statement it has run five times on a connection, and PostgreSQL then
    # plans it once for any values after five more runs when that generic plan looks no dearer.
    # For searches it is not: a word's matches, a phrase's remembered seqs and a visibility
    # scope decide the plan (避難所: 4.5 s generic against 0.16 s planned for its values), and
    # every search of one shape shares its statement text. Planning each run costs well under a
    # millisecond.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_connection.commit()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_transient_conflict(error: BaseException) -> bool:
    """Whether ``error`` (or what it was raised from) is a conflict worth running again."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, DBAPIError):
            return getattr(seen.orig, "sqlstate", None) in _CONFLICT_SQLSTATES
        seen = seen.__cause__ or seen.__context__
    return False


def run_in_transaction(
    factory: sessionmaker[Session],
    work: Callable[[Session], T],
    attempts: int = CONFLICT_ATTEMPTS,
) -> T:
    """``work`` in one transaction, run again from the start (up to ``attempts`` times) when
    the database gave it up in a deadlock or serialization conflict with another transaction.

    ``work`` must leave nothing outside the database that a second run would repeat badly."""
    for attempt in range(1, attempts + 1):
        try:
            with transaction(factory) as session:
                return work(session)
        except Exception as error:
            if attempt == attempts or not is_transient_conflict(error):
                raise
            log.warning(
                "transaction conflict, running it again (%d/%d): %s", attempt, attempts, error
            )
            # A random pause first: run again at once, the two sides can take their first locks
            # in the same order as before and deadlock again.
            time.sleep(random.uniform(0, CONFLICT_PAUSE_SECONDS * attempt))
    raise AssertionError("unreachable")
