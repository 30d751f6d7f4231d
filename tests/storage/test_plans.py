"""PostgreSQL plans every statement for the values it runs with, however often it runs.

psycopg prepares a statement it has run five times on a connection, and PostgreSQL may then
switch to one plan for any values: for a search, whose plan depends on how common its words
are, that plan was 30 times slower. storage.database sets each connection to plan every run."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from support import databases
from tsunagu.storage.database import make_engine


def test_a_statement_run_again_and_again_is_planned_for_its_values(tmp_path: Path) -> None:
    engine = make_engine(databases.database_url_for("postgresql", tmp_path))
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE word (id int PRIMARY KEY, w text NOT NULL)"))
            connection.execute(
                text("INSERT INTO word SELECT i, 'w' || (i % 7) FROM generate_series(1, 500) i")
            )
        with engine.connect() as connection:
            for i in range(20):  # prepared after five runs, generic after five more at most
                connection.execute(
                    text("SELECT count(*) FROM word WHERE w = :w"), {"w": f"w{i % 7}"}
                )
            generic, custom = connection.execute(
                text(
                    "SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0)"
                    " FROM pg_prepared_statements WHERE strpos(statement, 'FROM word WHERE w =') > 0"
                )
            ).one()
            assert connection.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
        assert custom >= 10  # the statement was prepared, and planned for each run since
        assert generic == 0
    finally:
        engine.dispose()


def test_the_setting_outlives_a_connection_going_back_to_the_pool(tmp_path: Path) -> None:
    engine = make_engine(databases.database_url_for("postgresql", tmp_path))
    try:
        for _ in range(3):  # the pool hands the same connection back after a rollback
            with engine.connect() as connection:
                assert connection.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
    finally:
        engine.dispose()
