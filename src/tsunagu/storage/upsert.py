"""Writes that stay correct when several requests (or processes) make the same row at once.

The classic get-or-create, "SELECT; if missing, INSERT", fails under concurrency: two requests
both see nothing, both insert, and the second dies on the unique constraint (an HTTP 500). The
helpers here close that gap on both databases:

* ``insert_missing`` / ``get_or_create`` / ``upsert``: ``INSERT … ON CONFLICT`` on the row's
  unique key, then read the row back. On PostgreSQL (READ COMMITTED) an insert that meets
  another transaction's uncommitted row waits for it, and the SELECT after it takes a fresh
  snapshot, so it sees the winner's row. On SQLite the INSERT takes the database's write lock,
  after which this transaction sees every committed row.
* ``flush_or_conflict``: for user-chosen unique names (dataset, organisation, group, user,
  vocabulary). When the flush breaks the unique constraint because another request took the
  name since the up-front check, the answer is the 409 that check gives, not an internal error.
* ``take_turns``: for a unique rule with no unique index (an active account's e-mail address),
  queues the transactions that check and write one value.
* ``begin_write``: SQLite's Python driver starts a transaction only at the first
  INSERT/UPDATE/DELETE, so reads before it are not isolated, and a SAVEPOINT issued before it
  *is* the transaction (releasing it commits at once). ``begin_write`` takes the write lock
  (``BEGIN IMMEDIATE``) when no transaction is open yet, so what is read afterwards stays true
  until commit, and later savepoints nest inside a real transaction. On PostgreSQL it does
  nothing (row locks, ``SELECT … FOR UPDATE``, do that job there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tsunagu.errors import ValidationError

M = TypeVar("M")


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def begin_write(session: Session) -> None:
    """Make the rest of this transaction see a stable database (see the module docstring)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def take_turns(session: Session, name: str) -> None:
    """Make transactions about one named thing that has no row to lock yet (an e-mail address
    before any account has it) run one after another until commit: SQLite's write lock, or on
    PostgreSQL a transaction-scoped advisory lock on the name's hash. What is read afterwards
    includes the previous holder's committed rows."""
    begin_write(session)
    if _dialect(session) == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})


def dialect_insert(session: Session, model: Any) -> Any:
    """The INSERT construct of the session's database, which has ``on_conflict_do_*``."""
    if _dialect(session) == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def _sorted(rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> list[dict[str, Any]]:
    # One global order: two transactions inserting overlapping sets then wait for each other in
    # the same order instead of deadlocking (PostgreSQL).
    return sorted((dict(r) for r in rows), key=lambda r: tuple(str(r[k]) for k in keys))


def insert_missing(
    session: Session, model: type[Any], rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> None:
    """Insert the rows whose unique ``keys`` are not taken; rows already there are left alone."""
    if not rows:
        return
    statement = dialect_insert(session, model).values(_sorted(rows, keys))
    session.execute(statement.on_conflict_do_nothing(index_elements=list(keys)))


def get_or_create(
    session: Session,
    model: type[M],
    keys: Mapping[str, Any],
    values: Mapping[str, Any] | None = None,
) -> M:
    """The row with these unique ``keys``, made with ``values`` if missing (by whoever is first)."""
    where = [getattr(model, k) == v for k, v in keys.items()]
    found = session.scalars(select(model).where(*where)).first()
    if found is not None:
        return found
    insert_missing(session, model, [{**(values or {}), **keys}], list(keys))
    return session.scalars(
        select(model).where(*where).execution_options(populate_existing=True)
    ).one()


def upsert(
    session: Session,
    model: type[Any],
    row: Mapping[str, Any],
    keys: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert ``row``, or when its unique ``keys`` are taken, set the ``update`` columns of the
    existing row (the last writer wins, and no writer fails)."""
    statement = dialect_insert(session, model).values(dict(row))
    session.execute(
        statement.on_conflict_do_update(
            index_elements=list(keys), set_={c: statement.excluded[c] for c in update}
        )
    )


def flush_or_conflict(
    session: Session,
    model: type[Any],
    *,
    field: str,
    value: Any,
    own_id: Any,
    message: str,
    scope: Mapping[str, Any] | None = None,
    error_key: str | None = None,
) -> None:
    """Flush pending changes; if they break a unique constraint because another row now holds
    ``field == value`` (and the ``scope`` columns' values, for a unique key of several columns),
    raise the ValidationError ``{error_key or field: [message]}`` (HTTP 409).

    A failed flush leaves the transaction unusable (PostgreSQL aborts it, and a SAVEPOINT cannot
    hold it: ``begin_nested`` flushes pending rows before it starts), so it is rolled back here;
    the action fails either way, and its caller gets a session it can go on using.
    """
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        where = [getattr(model, field) == value, model.id != own_id]
        where += [getattr(model, k) == v for k, v in (scope or {}).items()]
        taken = session.scalar(select(model.id).where(*where))
        if taken is None:
            raise
        raise ValidationError({error_key or field: [message]}) from None
