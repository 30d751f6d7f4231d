"""Physical datastore tables: create, fill, index, swap and drop, on SQLite or PostgreSQL.

Each table has the user's columns plus ``_id`` (row number) and ``_full_text`` (every value of the
row, for ``q``; its index is datastore.fulltext's).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
    Time,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeEngine

from tsunagu.datastore import fulltext, postings
from tsunagu.datastore.ingest.model import ColumnType
from tsunagu.datastore.ingest.stored import _sqlite_value

# Re-exported: callers ask this module for the stored form of a column's values.
from tsunagu.datastore.ingest.stored import sqlite_stored as sqlite_stored

SQL_TYPES: dict[str, type[TypeEngine[Any]]] = {
    "int": BigInteger,
    "numeric": Float,
    "date": Date,
    "timestamp": DateTime,
    "time": Time,
    "bool": Boolean,
    "text": Text,
}
# Aliases clients send to datastore_create, as CKAN accepts them.
TYPE_ALIASES = {
    "integer": "int",
    "int4": "int",
    "int8": "int",
    "bigint": "int",
    "float": "numeric",
    "float8": "numeric",
    "double precision": "numeric",
    "number": "numeric",
    "boolean": "bool",
    "string": "text",
    "varchar": "text",
    "datetime": "timestamp",
    "timestamptz": "timestamp",
}
FULL_TEXT_SEPARATOR = "\u3000"


def canonical_type(name: str) -> ColumnType | None:
    value = TYPE_ALIASES.get(name.lower(), name.lower())
    return value if value in SQL_TYPES else None  # type: ignore[return-value]


def table_object(name: str, fields: Sequence[dict[str, Any]]) -> Table:
    return _table_object(name, tuple((str(f["id"]), str(f["type"])) for f in fields))


# One Table object per name and columns: SQLAlchemy's compiled-statement cache is keyed on the
# Table's identity, so a fresh object per request would compile every query again.
@functools.lru_cache(maxsize=256)
def _table_object(name: str, fields: tuple[tuple[str, str], ...]) -> Table:
    # SQLite numbers rows itself only for a column declared exactly INTEGER PRIMARY KEY.
    row_id = BigInteger().with_variant(Integer(), "sqlite")
    columns = [Column("_id", row_id, primary_key=True, autoincrement=True)]
    columns += [Column(column, SQL_TYPES[kind]()) for column, kind in fields]
    columns.append(Column("_full_text", Text))
    return Table(name, MetaData(), *columns)


def full_text(values: Iterable[object]) -> str:
    joined = FULL_TEXT_SEPARATOR.join([str(v) for v in values if v is not None and v != ""])
    return joined + fulltext.FULL_TEXT_END


def create(connection: Connection, name: str, fields: Sequence[dict[str, Any]]) -> Table:
    table = table_object(name, fields)
    table.create(connection)
    return table


def insert_rows(connection: Connection, table: Table, rows: list[list[object]]) -> None:
    """Insert converted rows (values in field order); _full_text is derived here."""
    names = [c.name for c in table.columns if c.name not in ("_id", "_full_text")]
    if connection.dialect.name == "sqlite":
        # The DB-API executemany with positional parameters is several times faster than
        # SQLAlchemy's per-row dict binding, and this is the hot loop of every ingest.
        placeholders = ", ".join("?" for _ in range(len(names) + 1))
        columns = ", ".join(_quote(n) for n in [*names, "_full_text"])
        raw = connection.connection.driver_connection
        raw.executemany(  # type: ignore[union-attr]
            f"INSERT INTO {_quote(table.name)} ({columns}) VALUES ({placeholders})",
            sqlite_parameters(table, rows),
        )
        return
    if connection.dialect.driver == "psycopg":
        # COPY streams the rows in one command: several times faster than an INSERT per row.
        columns = ", ".join(_quote(n) for n in [*names, "_full_text"])
        statement = f"COPY {_quote(table.name)} ({columns}) FROM STDIN"
        raw = connection.connection.driver_connection
        dbapi = connection.dialect.dbapi
        try:
            with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row((*row, full_text(row)))
        except dbapi.Error as error:  # type: ignore[union-attr]
            # Raised as SQLAlchemy raises driver errors, so callers catch IntegrityError etc.
            raise DBAPIError.instance(statement, None, error, dbapi.Error) from error  # type: ignore[union-attr]
        return
    connection.execute(
        table.insert(),
        [{**dict(zip(names, row, strict=True)), "_full_text": full_text(row)} for row in rows],
    )


_TEMPORAL = (Date, DateTime, Time)


def sqlite_parameters(table: Table, rows: list[list[object]]) -> list[tuple[object, ...]]:
    """Rows as SQLite binds them, each followed by its _full_text."""
    # Converted values are str, int, float, bool or None, which sqlite3 binds as they are,
    # except in date and time columns (to ISO text; values the ingest already stored that way
    # pass through _sqlite_value unchanged).
    temporal = [
        i
        for i, c in enumerate(c for c in table.columns if c.name not in ("_id", "_full_text"))
        if isinstance(c.type, _TEMPORAL)
    ]
    separator, end = FULL_TEXT_SEPARATOR, fulltext.FULL_TEXT_END
    out: list[tuple[object, ...]] = []
    for row in rows:
        copied = False
        for i in temporal:
            value = row[i]
            if value is not None and value.__class__ is not str:
                if not copied:
                    row, copied = list(row), True
                row[i] = _sqlite_value(value)
        # As full_text(): str(date) is its ISO text, so converting first changes nothing.
        out.append((*row, separator.join([str(v) for v in row if v is not None and v != ""]) + end))
    return out


def build_indexes(connection: Connection, name: str, index_columns: Sequence[str]) -> None:
    """B-tree indexes plus the full-text index, at once (for tables created through the API)."""
    build_btree_indexes(connection, name, index_columns)
    fulltext.build(connection, name)


def build_btree_indexes(connection: Connection, name: str, index_columns: Sequence[str]) -> None:
    """An index per column users filter on (called after bulk load).

    PostgreSQL: each index is on (column, _id), so that the _id of the rows an equality filter
    keeps come from the index alone, in _id order (an index-only scan once VACUUM has set the
    visibility map): what q's short-word postings meet filters with, and the tie-break of a
    sort on the column."""
    suffix = uuid.uuid4().hex[:8]
    with_id = ", _id" if connection.dialect.name == "postgresql" else ""
    for position, column in enumerate(index_columns):
        connection.execute(
            text(
                f"CREATE INDEX {_quote(f'ix_{suffix}_{position}')} ON {_quote(name)} "
                f"({_quote(column)}{with_id})"
            )
        )
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"ANALYZE {_quote(name)}"))


def drop(connection: Connection, name: str) -> None:
    fulltext.drop(connection, name)
    # The table before its postings: this DROP waits for a postings build reading the table,
    # whose swap then finds the table gone and puts nothing in place.
    connection.execute(text(f"DROP TABLE IF EXISTS {_quote(name)}"))
    postings.drop(connection, name)


def rename(connection: Connection, old: str, new: str) -> None:
    """Rename a freshly loaded table; call before fulltext.build (the FTS table names it)."""
    connection.execute(text(f"ALTER TABLE {_quote(old)} RENAME TO {_quote(new)}"))


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def quote(identifier: str) -> str:
    return _quote(identifier)
