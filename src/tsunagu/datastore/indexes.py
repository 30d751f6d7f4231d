"""Which columns of a datastore table lead an index, read from the database's own catalog: the
columns users filter by (tables.build_btree_indexes makes one index per such column)."""

from __future__ import annotations

from sqlalchemy.engine import Connection


def leading_columns(connection: Connection, table: str) -> dict[str, str]:
    """Each column that leads an index of the table, with its declared type in lower case
    (``text``, ``bigint``, ``date``, …)."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT DISTINCT ii.name, lower(ti.type) "
            "FROM pragma_index_list(?) AS il, pragma_index_info(il.name) AS ii "
            "JOIN pragma_table_info(?) AS ti ON ti.name = ii.name WHERE ii.seqno = 0",
            (table, table),
        )
    else:
        rows = connection.exec_driver_sql(
            "SELECT DISTINCT a.attname, format_type(a.atttypid, NULL) FROM pg_index i "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
            "WHERE i.indrelid = to_regclass(%s)",
            ('"' + table.replace('"', '""') + '"',),
        )
    return {str(name): str(kind) for name, kind in rows}
