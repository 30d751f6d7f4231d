"""datastore_search: the SQL for a checked request (datastore/search_request.py) — filters,
full-text q and the plan that serves it on each database, fields, sort, paging, distinct — and
its output formats.

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
from sqlalchemy import Table, literal_column, text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.elements import ColumnElement

from tsunagu.datastore import fulltext, search_postings
from tsunagu.datastore.access import TableInfo
from tsunagu.datastore.ingest.values import to_halfwidth
from tsunagu.datastore.search_request import SearchRequest, field_dicts
from tsunagu.datastore.tables import SQL_TYPES, quote


def where_clause(
    connection: Connection, table: Table, request: SearchRequest
) -> ColumnElement[bool]:
    """The request's filters and q as a SQLAlchemy clause on ``table`` (datastore_delete and the
    dump use it; datastore_search runs the same conditions as plain SQL, see ``run``)."""
    sql = _Sql(connection.dialect, named=True)
    types = {"_id": "int", **{c.name: _type_of(c) for c in table.columns}}
    words = text_plan(connection, table.name, request)
    conditions = _conditions(sql, table.name, types, request, words)
    if words.match is not None:
        conditions.append(_in_fts(sql, table.name, words.match))
    if not conditions:
        return literal_column("1") == 1
    params = {f"p{i}": value for i, value in enumerate(sql.params)}
    return text(" AND ".join(conditions)).bindparams(**params)  # type: ignore[return-value]


def _type_of(column: Any) -> str:
    for kind, sql_type in SQL_TYPES.items():
        if type(column.type) is sql_type:
            return kind
    return "text"


class _Sql:
    """Placeholders and bound values in the driver's own style (or SQLAlchemy's ``:name``)."""

    def __init__(self, dialect: Dialect, *, named: bool = False) -> None:
        self.dialect = dialect
        self.params: list[object] = []
        self.named = named
        self.qmark = dialect.paramstyle == "qmark"

    def bind(self, value: object) -> str:
        self.params.append(value)
        if self.named:
            return f":p{len(self.params) - 1}"
        return "?" if self.qmark else "%s"

    def name(self, *parts: str) -> str:
        quoted = ".".join(quote(p) for p in parts)
        if self.named:
            # In SQLAlchemy text() a colon starts a parameter name unless escaped.
            return quoted.replace(":", "\\:")
        # With pyformat parameters a literal % must be doubled (column names may contain one).
        return quoted if self.qmark else quoted.replace("%", "%%")


@dataclass
class _TextPlan:
    """How each word of a full-text q is matched: by the index, or by scanning."""

    match: str | None = None  # SQLite: the FTS5 query of the indexed words
    ngram: list[str] = field(default_factory=list)  # PostgreSQL: short words the ngram index serves
    scan: list[str] = field(default_factory=list)  # words matched with LIKE on _full_text
    nothing: bool = False  # a word no row contains: the answer is empty
    # SQLite, with filters: at most how many rows the FTS5 query matches (from fts5vocab's
    # document counts; None when not known), to choose how the filters meet the match.
    estimate: int | None = None


def text_plan(connection: Connection, table: str, request: SearchRequest) -> _TextPlan:
    plan = _TextPlan()
    if not isinstance(request.q, str) or not request.q:
        return plan
    words = _words(request.q)
    coverage = fulltext.coverage(connection, table)
    sqlite = connection.dialect.name == "sqlite"
    phrases = []
    # Only a request with filters chooses its plan by these counts.
    estimates: list[int] = []
    estimating = bool(request.filters)
    for word in words:
        short = fulltext.is_short(word)
        if short and coverage is not fulltext.Coverage.ALL_WORDS:
            plan.scan.append(word)
        elif not short and (coverage is fulltext.Coverage.NONE or not sqlite):
            # PostgreSQL: ILIKE on _full_text, which pg_trgm's index serves once built.
            plan.scan.append(word)
        elif not sqlite:
            plan.ngram.append(word)
        elif not short:
            phrases.append(_phrase(word))
            if estimating:
                estimates.append(fulltext.phrase_documents(connection, table, word))
        else:
            expanded = fulltext.expand(connection, table, word)
            if expanded is None:
                plan.scan.append(word)
            elif not expanded[0]:
                plan.nothing = True
            else:
                phrases.append("(" + " OR ".join(_phrase(t) for t in expanded[0]) + ")")
                estimates.append(expanded[1])
    if phrases:
        plan.match = " AND ".join(phrases)
        plan.estimate = min(estimates) if estimating and estimates else None
    return plan


def _phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _conditions(
    sql: _Sql,
    name: str,
    types: dict[str, str],
    request: SearchRequest,
    words: _TextPlan,
    *,
    walking: bool = False,
) -> list[str]:
    """Filters, column q and the full-text words the FTS5 index does not serve, as SQL.

    ``walking`` (PostgreSQL): short words as a substring test on each row instead of the ngram
    index's containment, for a plan that reads the rows in _id order (the same rows match)."""
    conditions: list[str] = []
    if words.nothing:
        conditions.append("1 = 0")
    for column, values in request.filters.items():
        ref = sql.name(name, column)
        bind = _bind_processor(sql.dialect, types[column])
        non_null = [v if bind is None or v is None else bind(v) for v in values if v is not None]
        parts = []
        if non_null:
            parts.append(f"{ref} IN ({', '.join(sql.bind(v) for v in non_null)})")
        if len(non_null) != len(values):
            parts.append(f"{ref} IS NULL")
        if parts:
            conditions.append(parts[0] if len(parts) == 1 else f"({' OR '.join(parts)})")
    if isinstance(request.q, dict):
        for column, word in request.q.items():
            conditions.append(_contains(sql, f"CAST({sql.name(name, column)} AS TEXT)", word))
    full_text = sql.name(name, "_full_text")
    for word in words.scan:
        conditions.append(_contains(sql, full_text, word))
    for word in words.ngram:
        if walking:
            # lower() keeps every character's place, so a one- or two-character word is among a
            # row's ngrams exactly when it is a substring of the lower-cased text.
            conditions.append(
                f"strpos(lower({full_text}), lower(CAST({sql.bind(word)} AS TEXT))) > 0"
            )
            continue
        # Exact for one or two characters: ILIKE is lower() on both sides, as the index is.
        conditions.append(
            f"tsunagu_ngrams({full_text}) @> ARRAY[lower(CAST({sql.bind(word)} AS TEXT))]"
        )
    return conditions


def _words(q: str) -> list[str]:
    return to_halfwidth(q).split()


def _contains(sql: _Sql, expression: str, word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = sql.bind(f"%{escaped}%")
    if sql.dialect.name == "postgresql":
        return f"{expression} ILIKE {pattern} ESCAPE '\\'"
    return f"lower({expression}) LIKE lower({pattern}) ESCAPE '\\'"


def _in_fts(sql: _Sql, name: str, match: str) -> str:
    fts = sql.name(name + "_fts")
    return (
        f"{sql.name(name, '_id')} IN (SELECT rowid FROM {fts} WHERE {fts} MATCH {sql.bind(match)})"
    )


@functools.lru_cache(maxsize=64)
def _bind_processor(dialect: Dialect, kind: str) -> Callable[[Any], Any] | None:
    # The conversion SQLAlchemy applies to a value bound to a column of this type, so values
    # compare with stored ones exactly as they did through SQLAlchemy statements.
    sql_type = SQL_TYPES[kind]()
    return sql_type.dialect_impl(dialect).bind_processor(dialect)  # type: ignore[no-any-return]


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
        return _Sql(self.dialect).name(self.table + "_fts")


# SQLite: below this many possible FTS5 matches, looking each one up in the filter's index is
# cheaper than merging the two rowid lists (a lookup costs several merge steps).
INTERSECT_MIN_MATCHES = 2000


def _parts(
    connection: Connection, meta: TableInfo, request: SearchRequest, names: list[str]
) -> _Parts:
    sql = _Sql(connection.dialect)
    words = text_plan(connection, meta.table_name, request)
    conditions = _conditions(sql, meta.table_name, meta.types, request, words)
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
        walk = _Sql(connection.dialect)
        parts.walk_conditions = _conditions(
            walk, meta.table_name, meta.types, request, words, walking=True
        )
        parts.walk_params = walk.params
    return parts


def _any_indexed(connection: Connection, table: str, filters: dict[str, list[object]]) -> bool:
    """SQLite: whether a filter column leads an index (or is _id), so that the filtered rows
    can be read in _id order without reading the table."""
    if "_id" in filters:
        return True
    leading = {
        str(row[0])
        for row in connection.exec_driver_sql(
            "SELECT ii.name FROM pragma_index_list(?) AS il, pragma_index_info(il.name) AS ii "
            "WHERE ii.seqno = 0",
            (table,),
        )
    }
    return any(column in leading for column in filters)


def _intersection(sql: _Sql, parts: _Parts) -> str:
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
    sql = _Sql(parts.dialect)
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
            where.append(_in_fts(sql, parts.table, parts.match))
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
    sql = _Sql(parts.dialect)
    sql.params += parts.walk_params
    row_id = sql.name(parts.table, "_id")
    statement = (
        f"SELECT {parts.columns} FROM {sql.name(parts.table)}{_where(parts.walk_conditions)} "
        f"ORDER BY {row_id} LIMIT {sql.bind(request.limit)} OFFSET {sql.bind(request.offset)}"
    )
    return statement, sql.params


def _empty_page(parts: _Parts) -> tuple[str, list[object]]:
    """No rows, with the page's columns (the cursor's description gives their types)."""
    return f"SELECT {parts.columns} FROM {_Sql(parts.dialect).name(parts.table)} WHERE 1 = 0", []


def _count_sql(parts: _Parts, request: SearchRequest) -> tuple[str, list[object]]:
    sql = _Sql(parts.dialect)
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
        where.append(_in_fts(sql, parts.table, parts.match))
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
            cursor, dialect, meta, request, lambda: _filtered_ids(dialect, meta, request)
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
    sql = _Sql(dialect)
    conditions = _conditions(sql, meta.table_name, meta.types, replace(request, q=""), _TextPlan())
    return (
        f"SELECT {sql.name(meta.table_name, '_id')} FROM {sql.name(meta.table_name)}"
        f"{_where(conditions)}",
        sql.params,
    )


def _ids_page(parts: _Parts, ids: list[int]) -> tuple[str, list[object]]:
    """The rows of the given _id, in _id order (a primary-key lookup per row)."""
    sql = _Sql(parts.dialect)
    row_id = sql.name(parts.table, "_id")
    return (
        f"SELECT {parts.columns} FROM {sql.name(parts.table)} "
        f"WHERE {row_id} = ANY({sql.bind(ids)}) ORDER BY {row_id}",
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
    sql = _Sql(parts.dialect)
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
