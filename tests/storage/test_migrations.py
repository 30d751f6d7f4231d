"""The Alembic head matches the models exactly, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from support.databases import database_url_for
from tsunagu.models import Base
from tsunagu.storage.database import make_engine
from tsunagu.storage.migrate import current, head, upgrade


def test_head_matches_models(backend: str, tmp_path: Path) -> None:
    engine = make_engine(database_url_for(backend, tmp_path))
    try:
        upgrade(engine)
        assert current(engine) is not None
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == [], f"models differ from migrations: {diff}"
        assert "catalog_state" in inspect(engine).get_table_names()
        upgrade(engine)  # running again is a no-op
    finally:
        engine.dispose()


def _upgrade_in_a_process(url: str, ready: Any) -> None:
    engine = make_engine(url)
    try:
        ready.wait()
        upgrade(engine)
    finally:
        engine.dispose()


def test_processes_starting_together_take_turns_to_upgrade(backend: str, tmp_path: Path) -> None:
    """What `uvicorn --workers 4` does on a database with migrations to run: every worker
    upgrades as it starts. Without turns they raced to create the same tables."""
    url = database_url_for(backend, tmp_path)
    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Barrier(4)
    processes = [spawn.Process(target=_upgrade_in_a_process, args=(url, ready)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    engine = make_engine(url)
    try:
        assert current(engine) == head()
    finally:
        engine.dispose()
