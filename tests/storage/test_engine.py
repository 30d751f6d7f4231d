"""The SQLite engine hands a thread back the connection it used last, whose schema is fresh."""

from __future__ import annotations

from pathlib import Path

from tsunagu.storage.database import make_engine


def test_the_connection_returned_last_is_the_next_one_out(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pool.db'}")
    try:
        first, second = engine.connect(), engine.connect()
        raw_second = second.connection.driver_connection
        first.close()
        second.close()
        with engine.connect() as again:
            assert again.connection.driver_connection is raw_second
    finally:
        engine.dispose()
