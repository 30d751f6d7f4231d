"""Transactions given up by PostgreSQL in a deadlock are run again, not reported as failures."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from support import databases
from tsunagu.storage.database import (
    is_transient_conflict,
    make_engine,
    make_session_factory,
    run_in_transaction,
)


@pytest.fixture()
def sessions(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(databases.database_url_for("postgresql", tmp_path))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)"))
        connection.execute(text("INSERT INTO counter VALUES (1, 0), (2, 0)"))
    yield make_session_factory(engine)
    engine.dispose()


def _both_rows(first: int, second: int, ready: threading.Barrier, runs: list[int]):  # type: ignore[no-untyped-def]
    """Work that locks the two rows in the given order, waiting for the other thread between."""

    def work(session: Session) -> None:
        runs.append(first)
        session.execute(text("UPDATE counter SET n = n + 1 WHERE id = :id"), {"id": first})
        if len(runs) <= 2:  # only the first runs meet; a run again goes straight through
            ready.wait(timeout=10)
        session.execute(text("UPDATE counter SET n = n + 1 WHERE id = :id"), {"id": second})

    return work


def test_two_transactions_that_deadlock_both_end_up_committed(sessions) -> None:  # type: ignore[no-untyped-def]
    ready = threading.Barrier(2)
    runs: list[int] = []
    errors: list[BaseException] = []

    def run(first: int, second: int) -> None:
        try:
            run_in_transaction(sessions, _both_rows(first, second, ready, runs))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=order) for order in ((1, 2), (2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    # One was given up by PostgreSQL and run again (a run again may meet the other once more).
    assert len(runs) >= 3
    with sessions() as session:
        assert session.execute(text("SELECT n FROM counter ORDER BY id")).scalars().all() == [2, 2]


def test_other_errors_are_not_run_again(sessions) -> None:  # type: ignore[no-untyped-def]
    runs = []

    def work(session: Session) -> None:
        runs.append(1)
        session.execute(text("INSERT INTO counter VALUES (1, 0)"))

    with pytest.raises(IntegrityError) as raised:
        run_in_transaction(sessions, work)
    assert runs == [1]
    assert not is_transient_conflict(raised.value)


def test_a_conflict_that_keeps_coming_back_is_raised_in_the_end(sessions) -> None:  # type: ignore[no-untyped-def]
    runs = []

    def work(session: Session) -> None:
        runs.append(1)
        # PostgreSQL's own way to say "deadlock detected" (SQLSTATE 40P01) from inside SQL.
        session.execute(
            text(
                "DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = 'deadlock_detected'; END $$"
            )
        )

    with pytest.raises(OperationalError) as raised:
        run_in_transaction(sessions, work, attempts=2)
    assert runs == [1, 1]
    assert is_transient_conflict(raised.value)
