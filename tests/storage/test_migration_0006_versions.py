"""Migration 0006 on a catalog written at 0005, on SQLite and PostgreSQL: every uploaded file
becomes its resource's version 1 (public when its dataset is public, live when it has a datastore
table), links get no version, and a downgrade drops the table."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command

from support.databases import database_url_for
from tsunagu.storage.database import make_engine
from tsunagu.storage.migrate import alembic_config, upgrade

NOW = datetime(2026, 1, 1, 9, 0)


def _row(table: sa.Table, **values: Any) -> dict[str, Any]:
    """Values for every NOT NULL column of a 0005 table, with the given ones."""
    filled: dict[str, Any] = {}
    for column in table.columns:
        if column.name in values or column.nullable:
            continue
        if isinstance(column.type, sa.Boolean):
            filled[column.name] = False
        elif isinstance(column.type, sa.DateTime):
            filled[column.name] = NOW
        elif isinstance(column.type, sa.Integer | sa.BigInteger):
            filled[column.name] = 0
        elif isinstance(column.type, sa.JSON):
            filled[column.name] = {}
        else:
            filled[column.name] = ""
    return {**filled, **values}


def _seed(engine: sa.Engine) -> None:
    metadata = sa.MetaData()
    table = {
        name: sa.Table(name, metadata, autoload_with=engine)
        for name in ("organization", "dataset", "resource", "datastore_table")
    }
    with engine.begin() as connection:
        connection.execute(
            table["organization"].insert(), [_row(table["organization"], id="o", name="o")]
        )
        connection.execute(
            table["dataset"].insert(),
            [
                _row(table["dataset"], id="public", name="public", owner_org="o", state="active"),
                _row(
                    table["dataset"],
                    id="hidden",
                    name="hidden",
                    owner_org="o",
                    private=True,
                    state="active",
                ),
            ],
        )
        upload = {"url_type": "upload", "format": "CSV", "mimetype": "text/csv", "size": 8}
        for resource in [
            _row(
                table["resource"],
                id="with-table",
                dataset_id="public",
                url="march.csv",
                storage_key="resources/with-table/a1/march.csv",
                hash="sha256:aa",
                last_modified=NOW,
                **upload,
            ),
            _row(
                table["resource"],
                id="private-file",
                dataset_id="hidden",
                url="list.pdf",
                storage_key="resources/private-file/b2/list.pdf",
                **upload,
            ),
            _row(
                table["resource"],
                id="link",
                dataset_id="public",
                url="https://example.jp/a.csv",
            ),
        ]:
            connection.execute(table["resource"].insert(), [{**resource, "state": "active"}])
        connection.execute(
            table["datastore_table"].insert(),
            [
                _row(
                    table["datastore_table"],
                    resource_id="with-table",
                    table_name="ds_with_table",
                    fields=[],
                )
            ],
        )


def test_uploaded_files_become_version_one(backend: str, tmp_path: Path) -> None:
    engine = make_engine(database_url_for(backend, tmp_path))
    try:
        upgrade(engine, "0005")
        _seed(engine)
        upgrade(engine, "0006")
        versions = sa.Table("resource_version", sa.MetaData(), autoload_with=engine)
        with engine.connect() as connection:
            rows = {r.resource_id: r for r in connection.execute(sa.select(versions)).all()}
        assert set(rows) == {"with-table", "private-file"}
        published = rows["with-table"]
        assert (published.number, published.filename, published.storage_key) == (
            1,
            "march.csv",
            "resources/with-table/a1/march.csv",
        )
        assert (published.size, published.hash, published.uploaded) == (8, "sha256:aa", NOW)
        assert published.public and published.live and published.ingest_status == "complete"
        hidden = rows["private-file"]
        assert not hidden.public and not hidden.live and hidden.ingest_status == ""
        assert hidden.uploaded == NOW  # no last_modified: when the resource was made

        command.downgrade(alembic_config(engine), "0005")
        assert "resource_version" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
