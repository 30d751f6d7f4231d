"""What a test asks the database about a resource's datastore table."""

from __future__ import annotations

from sqlalchemy import text

from support.live_server import LiveServer


def table_name(server: LiveServer, resource_id: str) -> str:
    """The name of the table holding the resource's rows."""
    with server.services.engine.connect() as connection:
        return str(
            connection.execute(
                text("SELECT table_name FROM datastore_table WHERE resource_id = :r"),
                {"r": resource_id},
            ).scalar_one()
        )


def relation_exists(server: LiveServer, name: str) -> bool:
    """Whether the database has a table (or other relation) of this name."""
    with server.services.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            found = connection.scalar(
                text("SELECT count(*) FROM sqlite_master WHERE name = :n"), {"n": name}
            )
            return bool(found)
        return bool(connection.scalar(text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name}))
