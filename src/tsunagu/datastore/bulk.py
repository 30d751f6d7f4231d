"""Loading converted batches (ingest/batches.py) into an ingest's staging table.

On SQLite the parameters, each row followed by its ``_full_text``, are built column by column
before the batch's transaction begins, so the write lock is held only for the insert itself.
PostgreSQL takes the rows through ``tables.insert_rows`` (COPY).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from tsunagu.datastore import tables
from tsunagu.datastore.ingest.batches import Batch


@dataclass
class Prepared:
    """A batch ready for one insert: SQLite parameters, or rows for tables.insert_rows."""

    rows: int
    sqlite: list[tuple[object, ...]] | None = None
    other: list[tuple[object, ...]] | None = None


def prepare(dialect: str, kinds: list[str], batch: Batch) -> Prepared:
    if dialect != "sqlite":
        return Prepared(batch.rows, other=batch.row_tuples())
    return Prepared(batch.rows, sqlite=sqlite_parameters(kinds, batch))


def sqlite_parameters(kinds: list[str], batch: Batch) -> list[tuple[object, ...]]:
    """As tables.sqlite_parameters on the same rows, for values already in their stored form
    (dates as ISO text): each row's values followed by its _full_text."""
    if not batch.rows:
        return []
    texts: list[Any] = []
    for kind, values in zip(kinds, batch.columns, strict=True):
        if kind == "text":
            texts.append(values)
        else:
            # str() of every value, as full_text() does; None stays None to be left out.
            texts.append([v if v is None else str(v) for v in values])
    separator = tables.FULL_TEXT_SEPARATOR
    end = tables.full_text(())  # what full_text() puts after the values (a row of none)
    # filter(None, …) leaves out None and "", as full_text() does.
    full_texts = [separator.join(filter(None, row)) + end for row in zip(*texts, strict=True)]
    return list(zip(*batch.columns, full_texts, strict=True))


def insert(connection: Connection, table: Table, prepared: Prepared) -> None:
    if prepared.sqlite is None:
        tables.insert_rows(connection, table, prepared.other or [])  # type: ignore[arg-type]
        return
    names = [c.name for c in table.columns if c.name != "_id"]  # the fields, then _full_text
    columns = ", ".join(tables.quote(n) for n in names)
    placeholders = ", ".join("?" for _ in names)
    raw = connection.connection.driver_connection
    raw.executemany(  # type: ignore[union-attr]
        f"INSERT INTO {tables.quote(table.name)} ({columns}) VALUES ({placeholders})",
        prepared.sqlite,
    )
