"""The Alembic head matches the models exactly, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from support.databases import database_url_for
from tsunagu.models import Base
from tsunagu.storage.database import make_engine
from tsunagu.storage.migrate import current, upgrade


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
