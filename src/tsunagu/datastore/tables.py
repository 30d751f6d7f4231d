"""Physical datastore tables: create, fill, index, swap and drop, on SQLite or PostgreSQL.

Each table has the user's columns plus ``_id`` (row number) and ``_full_text`` (every value of the
row, for ``q``), indexed by FTS5 trigram on SQLite and pg_trgm on PostgreSQL.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Sequence
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

from tsunagu.datastore.ingest.model import ColumnType

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
# Memory FTS5 may fill with terms before writing them out (see build_indexes).
FTS_HASH_BYTES = 64 << 20


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
    return FULL_TEXT_SEPARATOR.join([str(v) for v in values if v is not None and v != ""])


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
    separator = FULL_TEXT_SEPARATOR
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
        out.append((*row, separator.join([str(v) for v in row if v is not None and v != ""])))
    return out


def sqlite_stored(kind: str) -> Callable[[object], object] | None:
    """The conversion insert_rows applies on SQLite to a value of a column of ``kind``, for
    callers that convert cells once and reuse the result (None: values are bound as they are)."""
    return _sqlite_value if kind in ("date", "timestamp", "time") else None


# Values SQLite binds as they are; checked first because hasattr() on them is slow (it raises
# and catches AttributeError), and this runs on every cell of every ingest.
_SQLITE_NATIVE = frozenset({str, int, float, bool, type(None)})


def _sqlite_value(value: object) -> object:
    if value.__class__ in _SQLITE_NATIVE:
        return value
    # Store dates and times as ISO text, as SQLAlchemy's SQLite types read them back.
    if hasattr(value, "isoformat") and not isinstance(value, bool):
        return (
            value.isoformat(sep=" ")
            if hasattr(value, "hour") and hasattr(value, "day")
            else value.isoformat()
        )
    return value


def build_indexes(connection: Connection, name: str, index_columns: Sequence[str]) -> None:
    """Full-text index plus an index per column users filter on (called after bulk load)."""
    suffix = uuid.uuid4().hex[:8]
    for position, column in enumerate(index_columns):
        connection.execute(
            text(
                f"CREATE INDEX {_quote(f'ix_{suffix}_{position}')} ON {_quote(name)} "
                f"({_quote(column)})"
            )
        )
    if connection.dialect.name == "sqlite":
        fts = _quote(name + "_fts")
        connection.execute(
            text(
                f"CREATE VIRTUAL TABLE {fts} USING fts5(_full_text, content={_quote(name)}, "
                f"content_rowid='_id', tokenize='trigram case_sensitive 0')"
            )
        )
        # FTS5 flushes its in-memory term list to a new segment, and later merges the
        # segments, each time the list reaches "hashsize" (1 MB by default); a larger list
        # means far fewer segments to merge and builds the index about a third faster.
        connection.execute(
            text(f"INSERT INTO {fts}({fts}, rank) VALUES ('hashsize', {FTS_HASH_BYTES})")
        )
        connection.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"))
        _sqlite_fts_triggers(connection, name)
    else:
        _ensure_pg_trgm(connection)
        connection.execute(
            text(
                f"CREATE INDEX {_quote(f'ft_{suffix}')} ON {_quote(name)} "
                f"USING gin (_full_text gin_trgm_ops)"
            )
        )
        connection.execute(text(f"ANALYZE {_quote(name)}"))


# Any fixed number: the advisory lock that queues the creators of pg_trgm.
_PG_TRGM_LOCK = 0x7473_6E67_7472_676D  # "tsngtrgm"


def _ensure_pg_trgm(connection: Connection) -> None:
    """Create pg_trgm once per database, even when the first tables are indexed at the same
    moment (an ingest job beside a datastore_create): CREATE EXTENSION IF NOT EXISTS is not safe
    against itself, so creators wait in turn on a lock held to the end of their transaction, and
    each checks again once it has the lock."""
    present = "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"
    if connection.scalar(text(present)):
        return
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_TRGM_LOCK})
    if not connection.scalar(text(present)):
        connection.execute(text("CREATE EXTENSION pg_trgm"))


def _sqlite_fts_triggers(connection: Connection, name: str) -> None:
    # Keeps the external-content FTS index in step with datastore_upsert/datastore_delete.
    table, fts = _quote(name), _quote(name + "_fts")
    for event, body in (
        ("AFTER INSERT", f"INSERT INTO {fts}(rowid, _full_text) VALUES (new._id, new._full_text);"),
        (
            "AFTER DELETE",
            f"INSERT INTO {fts}({fts}, rowid, _full_text) "
            f"VALUES ('delete', old._id, old._full_text);",
        ),
        (
            "AFTER UPDATE",
            f"INSERT INTO {fts}({fts}, rowid, _full_text) "
            f"VALUES ('delete', old._id, old._full_text); "
            f"INSERT INTO {fts}(rowid, _full_text) VALUES (new._id, new._full_text);",
        ),
    ):
        trigger = _quote(f"{name}_{event.split()[1].lower()}")
        connection.execute(text(f"CREATE TRIGGER {trigger} {event} ON {table} BEGIN {body} END"))


def drop(connection: Connection, name: str) -> None:
    if connection.dialect.name == "sqlite":
        connection.execute(text(f"DROP TABLE IF EXISTS {_quote(name + '_fts')}"))
    connection.execute(text(f"DROP TABLE IF EXISTS {_quote(name)}"))


def rename(connection: Connection, old: str, new: str) -> None:
    """Rename a freshly loaded table; call before build_indexes (the FTS table names it)."""
    connection.execute(text(f"ALTER TABLE {_quote(old)} RENAME TO {_quote(new)}"))


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def quote(identifier: str) -> str:
    return _quote(identifier)
