"""The first tables of a new PostgreSQL database may be indexed at the same moment (an ingest job
and a datastore_create request): creating pg_trgm must not fail for one of them.

``CREATE EXTENSION IF NOT EXISTS`` is not safe against itself: two transactions that both find
the extension missing both insert it, and one fails on the catalog's unique index. Found by the
schemathesis run (tests/api/test_schemathesis.py) as a failed ingest job on PostgreSQL.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import create_engine, text

from support import databases
from tsunagu.datastore import tables

WRITERS = 6


def test_tables_indexed_at_once_in_a_new_database(tmp_path: Path) -> None:
    engine = create_engine(databases.database_url_for("postgresql", tmp_path))
    with engine.begin() as connection:
        assert not connection.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"))
        for n in range(WRITERS):
            connection.execute(text(f'CREATE TABLE "t{n}" (_id int, _full_text text, a text)'))
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def index(n: int) -> None:
        try:
            with engine.begin() as connection:
                start.wait(timeout=30)
                tables.build_indexes(connection, f"t{n}", ["a"])
        except BaseException as exc:  # collected and reported below
            failures.append(exc)

    threads = [threading.Thread(target=index, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    with engine.begin() as connection:
        trigram_indexes = connection.scalar(
            text("SELECT count(*) FROM pg_indexes WHERE indexdef LIKE '%gin_trgm_ops%'")
        )
    engine.dispose()
    assert trigram_indexes == WRITERS
