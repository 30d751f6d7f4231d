"""datastore_search: the statements for a checked request (datastore/search_request.py) — the
plan that serves its conditions (search_conditions.py) on each database, fields, sort, paging,
distinct and the total — and its output formats.

Every column name has been checked against the table's data dictionary and every value is bound
as a parameter, so nothing a client sends becomes SQL text.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
from sqlalchemy.engine import Connection, Dialect

from tsunagu.datastore import indexes, search_postings
from tsunagu.datastore.access import TableInfo
from tsunagu.datastore.search_conditions import (
    Sql,
    TextPlan,
    in_fts,
    row_conditions,
    text_plan,
)
from tsunagu.datastore.search_request import SearchRequest, field_dicts
from tsunagu.datastore.tables import SQL_TYPES, quote


@functools.lru_cache(maxsize=256)
def _result_processor(dialect: Dialect, kind: str, coltype: Any) -> Callable[[Any], Any] | None:
    # SQLite returns dates and times as ISO text and booleans as 0/1; this turns them into the
    # Python values the API has always returned.
    sql_type = SQL_TYPES[kind]()
    return sql_type.dialect_impl(dialect).result_processor(dialect, coltype)  # type: ignore[no-any-return]


@dataclass
class _Parts:
    """A request's pieces of SQL, shared by the page and the count statements."""

    dialect: Dialect
    table: str
    columns: str
    conditions: list[str]
    params: list[object]
    # The FTS5 query of q's indexed words, and whether it is the only condition.
    match: str | None
    match_only: bool
    # PostgreSQL, short words: read the index's matches and sort them, never walk the primary
    # key in _id order evaluating tsunagu_ngrams on each row (its statistics make a common word
    # look cheap to find that way; it was ten times slower).
    order_after_match: bool = False
    # SQLite, q with filters only: intersect the FTS5 rowids with the filtered rows' _id, both
    # read in _id order (an index on a filter column gives them so), in one merge.
    intersect: bool = False
    # PostgreSQL, short words: the conditions for walking the primary key in _id order.
    walk_conditions: list[str] = field(default_factory=list)
    walk_params: list[object] = field(default_factory=list)

    def fts(self) -> str:
        return Sql(self.dialect).name(self.table + "_fts")


# SQLite: below this many possible FTS5 matches, looking each one up in the filter's index is
# cheaper than merging the two rowid lists (a lookup costs several merge steps).
INTERSECT_MIN_MATCHES = 2000


def _parts(
    connection: Connection, meta: TableInfo, request: SearchRequest, names: list[str]
) -> _Parts:
    sql = Sql(connection.dialect)
    words = text_plan(connection, meta.table_name, request)
    conditions = row_conditions(sql, meta.table_name, meta.types, request, words)
    parts = _Parts(
        connection.dialect,
        meta.table_name,
        ", ".join(sql.name(meta.table_name, n) for n in names),
        conditions,
        sql.params,
        words.match,
        words.match is not None and not conditions and not request.distinct,
        bool(words.ngram) and not request.distinct,
    )
    only_filters = not (words.nothing or words.scan or isinstance(request.q, dict))
    parts.intersect = (
        words.match is not None
        and bool(conditions)
        and only_filters
        and not request.distinct
        and (words.estimate is None or words.estimate >= INTERSECT_MIN_MATCHES)
        and _any_indexed(connection, meta.table_name, request.filters)
    )
    pg_words = bool(words.ngram or words.scan) and connection.dialect.name != "sqlite"
    if pg_words and not request.distinct and not request.sort:
        walk = Sql(connection.dialect)
        parts.walk_conditions = row_conditions(
            walk, meta.table_name, meta.types, request, words, walking=True
        )
        parts.walk_params = walk.params
    return parts


def _any_indexed(connection: Connection, table: str, filters: dict[str, list[object]]) -> bool:
    """SQLite: whether a filter column leads an index (or is _id), so that the filtered rows
    can be read in _id order without reading the table."""
    if "_id" in filters:
        return True
    leading = indexes.leading_columns(connection, table)
    return any(column in leading for column in filters)


def _intersection(sql: Sql, parts: _Parts) -> str:
    """SQLite: the _id of the rows both the FTS5 query and the filters match, in _id order.
    With ORDER BY, SQLite runs INTERSECT as a merge of the two sides, each already in rowid
    order (the FTS5 doclist; the filter column's index, whose entries end with the rowid), so
    neither side is looked up row by row nor the table read."""
    fts, table = parts.fts(), sql.name(parts.table)
    statement = (
        f"SELECT rowid FROM {fts} WHERE {fts} MATCH {sql.bind(parts.match)} "
        f"INTERSECT SELECT {sql.name(parts.table, '_id')} FROM {table}"
        f"{_where(parts.conditions)} ORDER BY 1"
    )
    sql.params += parts.params
    return statement


def _page_sql(
    parts: _Parts, request: SearchRequest, names: list[str], *, with_total: bool = False
) -> tuple[str, list[object]]:
    """The page; ``with_total`` (PostgreSQL): each row also carries the number of matches, so
    that one pass over the index's matches gives both."""
    sql = Sql(parts.dialect)
    table, row_id = sql.name(parts.table), sql.name(parts.table, "_id")
    if parts.intersect:
        ids = _intersection(sql, parts)
        if not request.sort:
            # The page's _id first (the merge stops after them), then those rows.
            ids += f" LIMIT {sql.bind(request.limit)} OFFSET {sql.bind(request.offset)}"
            return (
                f"SELECT {parts.columns} FROM {table} WHERE {row_id} IN ({ids}) ORDER BY {row_id}",
                sql.params,
            )
        order = [f"{sql.name(parts.table, c)} {'DESC' if d else 'ASC'}" for c, d in request.sort]
        statement = (
            f"SELECT {parts.columns} FROM {table} WHERE {row_id} IN ({ids}) "
            f"ORDER BY {', '.join([*order, f'{row_id} ASC'])}"
        )
    elif parts.match_only and not request.sort:
        # Read in the FTS index's rowid (= _id) order so that LIMIT stops the scan early.
        # CROSS JOIN keeps the FTS table as the outer loop: SQLite may otherwise walk the table
        # and run the MATCH once per row (seconds on a million rows).
        fts = parts.fts()
        statement = (
            f"SELECT {parts.columns} FROM {fts} CROSS JOIN {table} ON {row_id} = {fts}.rowid "
            f"WHERE {fts} MATCH {sql.bind(parts.match)} ORDER BY {fts}.rowid"
        )
    else:
        sql.params += parts.params
        where = list(parts.conditions)
        if parts.match is not None:
            where.append(in_fts(sql, parts.table, parts.match))
        order = [f"{sql.name(parts.table, c)} {'DESC' if d else 'ASC'}" for c, d in request.sort]
        if not request.distinct or "_id" in names:
            order.append(f"{row_id} + 0 ASC" if parts.order_after_match else f"{row_id} ASC")
        distinct = "DISTINCT " if request.distinct else ""
        columns = parts.columns + (", count(*) OVER ()" if with_total else "")
        statement = f"SELECT {distinct}{columns} FROM {table}{_where(where)}"
        if order:
            statement += f" ORDER BY {', '.join(order)}"
    statement += f" LIMIT {sql.bind(request.limit)} OFFSET {sql.bind(request.offset)}"
    return statement, sql.params


def _walk_sql(parts: _Parts, request: SearchRequest) -> tuple[str, list[object]]:
    """PostgreSQL: the page read along the primary key in _id order, each row tested as it
    comes, stopping at the page's last row (for words so common that the page is found within a
    few thousand rows, where reading every match through the index and sorting is far slower)."""
    sql = Sql(parts.dialect)
    sql.params += parts.walk_params
    row_id = sql.name(parts.table, "_id")
    statement = (
        f"SELECT {parts.columns} FROM {sql.name(parts.table)}{_where(parts.walk_conditions)} "
        f"ORDER BY {row_id} LIMIT {sql.bind(request.limit)} OFFSET {sql.bind(request.offset)}"
    )
    return statement, sql.params


def _empty_page(parts: _Parts) -> tuple[str, list[object]]:
    """No rows, with the page's columns (the cursor's description gives their types)."""
    return f"SELECT {parts.columns} FROM {Sql(parts.dialect).name(parts.table)} WHERE 1 = 0", []


def _count_sql(parts: _Parts, request: SearchRequest) -> tuple[str, list[object]]:
    sql = Sql(parts.dialect)
    if parts.intersect:
        return f"SELECT count(*) FROM ({_intersection(sql, parts)}) AS matched", sql.params
    if parts.match_only:
        # The external-content index mirrors the table through its triggers, so counting its
        # matches is exact and needs no lookup in the table.
        fts = parts.fts()
        return f"SELECT count(*) FROM {fts} WHERE {fts} MATCH {sql.bind(parts.match)}", sql.params
    sql.params += parts.params
    where = list(parts.conditions)
    if parts.match is not None:
        where.append(in_fts(sql, parts.table, parts.match))
    table = sql.name(parts.table)
    if request.distinct:
        statement = (
            f"SELECT count(*) FROM (SELECT DISTINCT {parts.columns} FROM {table}{_where(where)}) "
            f"AS counted"
        )
    else:
        statement = f"SELECT count(*) FROM {table}{_where(where)}"
    return statement, sql.params


def run(connection: Connection, meta: TableInfo, request: SearchRequest) -> dict[str, Any]:
    """Run a parsed request on the request's own DB-API connection (so in its transaction).

    The SQL is written here rather than built with SQLAlchemy: this is the datastore's hottest
    read path, and for a 100-row page statement construction, cache lookups and result
    processing cost more than the query. Every identifier is a checked column name, quoted;
    every value is a bound parameter. On SQLite a ``q`` alone is served by the FTS5 index in
    its own order (page) and counted on the FTS table (total).
    """
    dialect = connection.dialect
    names = request.fields or list(meta.types)
    parts = _parts(connection, meta, request, names)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        known = search_postings.from_postings(
            cursor, connection, meta, request, lambda: _filtered_ids(dialect, meta, request)
        )
        if known is not None and known[1] is not None:
            page, total, counted_in_page = _ids_page(parts, known[1]), known[0], False
        elif known is not None:
            # Sorted on a column: the page as before, the total from the postings.
            page, total, counted_in_page = _page_sql(parts, request, names), known[0], False
        elif parts.walk_conditions:
            page, total, counted_in_page = _postgres_page(cursor, parts, request, names)
        else:
            page, total, counted_in_page = _page_sql(parts, request, names), None, False
        cursor.execute(*page)
        rows = cursor.fetchall()
        processors = [
            _result_processor(dialect, meta.types[n], d[1])
            for n, d in zip(names, cursor.description[: len(names)], strict=True)
        ]
        if counted_in_page:
            if rows:
                total = int(rows[0][-1])
                rows = [row[:-1] for row in rows]
            elif request.offset == 0:
                total = 0
        if not request.include_total:
            total = None  # counted only to choose the plan
        elif total is None:
            if len(rows) < request.limit and (rows or request.offset == 0):
                # A page that is not full ends the matches: no need to count them again.
                total = request.offset + len(rows)
            else:
                cursor.execute(*_count_sql(parts, request))
                total = int(cursor.fetchone()[0])
    finally:
        cursor.close()
    rows = _processed(rows, processors)
    result: dict[str, Any] = {
        "resource_id": meta.resource_id,
        "fields": [f for f in field_dicts(meta) if f["id"] in names],
        "limit": request.limit,
        "offset": request.offset,
        "_links": {"start": "", "next": ""},
    }
    if total is not None:
        result["total"] = total
        result["total_was_estimated"] = False
    result["records"] = _format(rows, names, request.records_format)
    return result


def _filtered_ids(
    dialect: Dialect, meta: TableInfo, request: SearchRequest
) -> tuple[str, list[object]]:
    """The _id of the rows the request's filters keep (its q aside), as SQL and parameters."""
    sql = Sql(dialect)
    conditions = row_conditions(
        sql, meta.table_name, meta.types, replace(request, q=""), TextPlan()
    )
    return (
        f"SELECT {sql.name(meta.table_name, '_id')} FROM {sql.name(meta.table_name)}"
        f"{_where(conditions)}",
        sql.params,
    )


def _ids_page(parts: _Parts, ids: list[int]) -> tuple[str, list[object]]:
    """The rows of the given _id, in _id order (a primary-key lookup per row)."""
    sql = Sql(parts.dialect)
    row_id = sql.name(parts.table, "_id")
    if parts.dialect.name == "sqlite":
        wanted = f"IN (SELECT value FROM json_each({sql.bind(orjson.dumps(ids).decode())}))"
    else:
        wanted = f"= ANY({sql.bind(ids)})"
    return (
        f"SELECT {parts.columns} FROM {sql.name(parts.table)} "
        f"WHERE {row_id} {wanted} ORDER BY {row_id}",
        sql.params,
    )


# PostgreSQL: how many times more rows than the planner estimates may match. It multiplies the
# selectivities of a word and a filter as if independent, and a word and a filter on the same
# thing (薬局 with 種別 = 薬局) match some fifteen times more rows together than it expects; a
# page that counts its matches in the same pass reads and sorts them all, so it is chosen only
# when even this many would not make walking the primary key pay.
ESTIMATE_MARGIN = 4.0


def _postgres_page(
    cursor: Any, parts: _Parts, request: SearchRequest, names: list[str]
) -> tuple[tuple[str, list[object]], int | None, bool]:
    """PostgreSQL, q's words without sort or DISTINCT: the page statement, the total when it was
    counted to choose it, and whether each row of the page carries the total.

    The walk along the primary key is chosen here or not at all: the index path sorts by
    _id + 0, which no index serves, so the planner cannot take the walk on a bad estimate of its
    own (it read all million rows for a word with a rarer filter)."""
    parts.order_after_match = True
    table_rows = _table_rows(cursor, parts)
    estimate = _estimate(cursor, parts)
    if estimate is not None and not _walk_pays(request, table_rows, estimate * ESTIMATE_MARGIN):
        # Even by the planner's estimate, with a margin, too few rows match for walking to
        # pay: the page, and the total in the same pass over the index's matches.
        if request.include_total:
            return _page_sql(parts, request, names, with_total=True), None, True
        return _page_sql(parts, request, names), None, False
    # The total first: how many rows match tells whether walking the primary key finds the
    # page sooner than reading every match through the index.
    cursor.execute(*_count_sql(parts, request))
    total = int(cursor.fetchone()[0])
    if _walk_pays(request, table_rows, total):
        return _walk_sql(parts, request), total, False
    if total <= request.offset:
        # Nothing on this page: the statement would read every match for no row.
        return _empty_page(parts), total, False
    return _page_sql(parts, request, names), total, False


# PostgreSQL: reading a row along the primary key and testing its text costs about as much as
# fetching one matching row through the index's bitmap (measured on a million rows).
WALK_ROW_COST = 1.0


def _table_rows(cursor: Any, parts: _Parts) -> float:
    """PostgreSQL: the table's row count as of its last ANALYZE (or -1 when unknown)."""
    cursor.execute(
        "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", (quote(parts.table),)
    )
    row = cursor.fetchone()
    return float(row[0]) if row and row[0] is not None else -1.0


def _estimate(cursor: Any, parts: _Parts) -> float | None:
    """PostgreSQL: the planner's estimate of the matching rows (its statistics of the ngram
    expression know how common each character and pair is)."""
    sql = Sql(parts.dialect)
    cursor.execute(
        f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {sql.name(parts.table)}{_where(parts.conditions)}",
        parts.params,
    )
    plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = orjson.loads(plan)
    try:
        return float(plan[0]["Plan"]["Plan Rows"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _walk_pays(request: SearchRequest, table_rows: float, matches: float) -> bool:
    """Whether the rows the walk reads to fill the page (the table's rows over the matches,
    times the rows up to the page's end) cost less than the matches the index path reads and
    sorts."""
    if matches <= 0 or request.limit == 0 or table_rows <= 0:
        return False
    walked = min(table_rows, (request.offset + request.limit) * table_rows / matches)
    return walked * WALK_ROW_COST <= matches


def _processed(
    rows: list[tuple[Any, ...]], processors: list[Callable[[Any], Any] | None]
) -> list[Any]:
    """Rows with the few columns that need it (dates, times, booleans) converted in place."""
    converting = [(i, p) for i, p in enumerate(processors) if p is not None]
    if not converting:
        return rows
    out = []
    for row in rows:
        values = list(row)
        for i, process in converting:
            if values[i] is not None:
                values[i] = process(values[i])
        out.append(values)
    return out


def _where(conditions: list[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def _format(rows: list[Any], names: list[str], records_format: str) -> Any:
    if records_format == "objects":
        return [dict(zip(names, row, strict=True)) for row in rows]
    if records_format == "lists":
        return [list(row) for row in rows]
    out = io.StringIO()
    writer = csv.writer(
        out, delimiter="\t" if records_format == "tsv" else ",", lineterminator="\n"
    )
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()
