"""What changed between two datastore tables: columns added, removed or retyped, and rows added,
removed (and, with a key, changed).

Everything is counted by the database, streaming: each row becomes one text value (its cells over
the columns both tables have, normalised so that 5 and 5.0 or a date and its ISO text compare
equal; an MD5 of it on PostgreSQL), and a GROUP BY over both tables, marked +1 and -1, gives
the counts. Neither table is read into Python, so a pair of million-row tables costs the
database a sort or a hash aggregate that spills to disk, not this process's memory.

Rows are matched by a key when there is one that is filled and unique in both tables (the
table's primary key, or the ID column of the standard data set it follows); then a row whose
key stays but whose cells differ counts as changed. Otherwise rows are compared by their whole
content, as a multiset: a row present twice before and once now counts as one removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from tsunagu.datastore.tables import quote

_SEPARATOR = "\x1f"
_NULL = "\x1e"
_NUMERIC = ("int", "numeric")


@dataclass(frozen=True)
class Table:
    name: str
    fields: Sequence[dict[str, Any]]  # [{"id", "type", …}] as in the data dictionary

    @property
    def types(self) -> dict[str, str]:
        return {str(f["id"]): str(f["type"]) for f in self.fields}


def compare_columns(old: Table, new: Table) -> dict[str, Any]:
    before, after = old.types, new.types
    return {
        "columns_added": [c for c in after if c not in before],
        "columns_removed": [c for c in before if c not in after],
        "columns_retyped": [
            {"id": c, "from": before[c], "to": after[c]}
            for c in after
            if c in before and before[c] != after[c]
        ],
    }


def compare(
    connection: Connection, old: Table, new: Table, keys: Sequence[str] = ()
) -> dict[str, Any]:
    """The change summary from ``old`` to ``new``; ``keys`` are candidate key columns, tried in
    order (the first filled and unique in both tables is used)."""
    summary: dict[str, Any] = compare_columns(old, new)
    before, after = old.types, new.types
    common = [c for c in after if c in before]
    summary["rows_before"] = _count(connection, old.name)
    summary["rows_after"] = _count(connection, new.name)
    if not common:
        # Nothing in common: every row is new and every old row is gone.
        summary.update(
            method="content",
            key=None,
            rows_added=summary["rows_after"],
            rows_removed=summary["rows_before"],
            rows_changed=None,
        )
        return summary
    for key in keys:
        if key in common:
            counted = _by_key(connection, old, new, common, key)
            if counted is not None:
                summary.update(method="key", key=key, **counted)
                return summary
    summary.update(method="content", key=None, rows_changed=None)
    summary.update(_by_content(connection, old, new, common))
    return summary


def _count(connection: Connection, table: str) -> int:
    return int(_run(connection, f"SELECT count(*) FROM {quote(table)}").scalar_one())


def _run(connection: Connection, statement: str) -> Any:
    # Column names may hold ":" (text() would take ":name" for a parameter; escaped here) or
    # "%" (text() escapes it for the PostgreSQL driver).
    return connection.execute(text(statement.replace(":", "\\:")))


def _cell(dialect: str, column: str, kind: str, other_kind: str) -> str:
    """One cell as text, the same for equal values whatever the two tables' types."""
    q = quote(column)
    if kind == "bool":
        return f"CASE WHEN {q} IS NULL THEN NULL WHEN {q} THEN '1' ELSE '0' END"
    if kind == "text":
        return q
    if kind == "numeric" and dialect == "sqlite":
        # SQLite prints a whole REAL with ".0"; PostgreSQL's float8 text does not.
        return (
            f"CASE WHEN {q} = CAST({q} AS INTEGER) THEN CAST(CAST({q} AS INTEGER) AS TEXT) "
            f"ELSE CAST({q} AS TEXT) END"
        )
    if kind == "int" and other_kind == "numeric" and dialect == "postgresql":
        return f"CAST(CAST({q} AS double precision) AS TEXT)"
    return f"CAST({q} AS TEXT)"


def _concat(parts: list[str]) -> str:
    # A balanced tree of ||: SQLite limits expression depth (1000), and a chain over a few
    # hundred columns would reach it.
    if len(parts) == 1:
        return parts[0]
    middle = len(parts) // 2
    return f"({_concat(parts[:middle])} || {_concat(parts[middle:])})"


def _row(dialect: str, table: Table, other: Table, columns: list[str]) -> str:
    types, other_types = table.types, other.types
    parts: list[str] = []
    for position, column in enumerate(columns):
        if position:
            parts.append(f"'{_SEPARATOR}'")
        cell = _cell(dialect, column, types[column], other_types[column])
        parts.append(f"COALESCE({cell}, '{_NULL}')")
    row = _concat(parts)
    # A fixed-size digest keeps the aggregate small on PostgreSQL (SQLite has no hash function;
    # its GROUP BY sorter spills to temporary files instead).
    return f"md5({row})" if dialect == "postgresql" else row


def _both(connection: Connection, old: Table, new: Table, columns: list[str], key: str) -> str:
    dialect = connection.dialect.name
    selects = []
    for table, other, side in ((new, old, 1), (old, new, 0)):
        key_text = _cell(dialect, key, table.types[key], other.types[key])
        selects.append(
            f"SELECT {key_text} AS k, {_row(dialect, table, other, columns)} AS r, {side} AS s "
            f"FROM {quote(table.name)}"
        )
    return " UNION ALL ".join(selects)


def _by_key(
    connection: Connection, old: Table, new: Table, columns: list[str], key: str
) -> dict[str, int] | None:
    """Counts by key, or None when the key is missing or repeated in either table."""
    rows = _both(connection, old, new, columns, key)
    statement = f"""
        SELECT
          COALESCE(SUM(CASE WHEN n_old = 0 THEN 1 ELSE 0 END), 0),
          COALESCE(SUM(CASE WHEN n_new = 0 THEN 1 ELSE 0 END), 0),
          COALESCE(SUM(CASE WHEN n_new = 1 AND n_old = 1 AND r_new <> r_old THEN 1 ELSE 0 END), 0),
          COALESCE(MAX(n_new), 0), COALESCE(MAX(n_old), 0),
          COALESCE(MAX(CASE WHEN k IS NULL THEN 1 ELSE 0 END), 0)
        FROM (
          SELECT k,
                 SUM(CASE WHEN s = 1 THEN 1 ELSE 0 END) AS n_new,
                 SUM(CASE WHEN s = 0 THEN 1 ELSE 0 END) AS n_old,
                 MAX(CASE WHEN s = 1 THEN r END) AS r_new,
                 MAX(CASE WHEN s = 0 THEN r END) AS r_old
          FROM ({rows}) AS u
          GROUP BY k
        ) AS g
    """
    added, removed, changed, most_new, most_old, blank = _run(connection, statement).one()
    if blank or most_new > 1 or most_old > 1:
        return None
    return {"rows_added": int(added), "rows_removed": int(removed), "rows_changed": int(changed)}


def _by_content(
    connection: Connection, old: Table, new: Table, columns: list[str]
) -> dict[str, int]:
    dialect = connection.dialect.name
    selects = [
        f"SELECT {_row(dialect, table, other, columns)} AS r, {sign} AS s FROM {quote(table.name)}"
        for table, other, sign in ((new, old, 1), (old, new, -1))
    ]
    statement = f"""
        SELECT
          COALESCE(SUM(CASE WHEN d > 0 THEN d ELSE 0 END), 0),
          COALESCE(SUM(CASE WHEN d < 0 THEN -d ELSE 0 END), 0)
        FROM (
          SELECT r, SUM(s) AS d FROM ({" UNION ALL ".join(selects)}) AS u GROUP BY r
        ) AS g
    """
    added, removed = _run(connection, statement).one()
    return {"rows_added": int(added), "rows_removed": int(removed)}
