"""datastore_search: when a q of short words is counted and paged from the table's postings
(datastore/postings_lookup.py on PostgreSQL, postings_sqlite.py on SQLite) instead of the full-text
index."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection

from tsunagu.datastore import fulltext, indexes, postings_lookup, postings_sqlite
from tsunagu.datastore.access import TableInfo
from tsunagu.datastore.ingest.values import to_halfwidth
from tsunagu.datastore.search_request import SearchRequest


def from_postings(
    cursor: Any,
    connection: Connection,
    meta: TableInfo,
    request: SearchRequest,
    filtered_ids: Callable[[], tuple[str, list[object]]],
) -> tuple[int, list[int] | None] | None:
    """A q of one- and two-character words only, without DISTINCT: the total from the table's
    postings, and the page's _id when the page is in _id order; None when the postings do not
    serve the request (or are not valid: written since they were built).

    Both keep the rows of each value of the low-cardinality indexed text columns, which meet
    filters on those columns (and _id) without reading an index. Otherwise PostgreSQL meets
    filters by the _id of the rows they keep (``filtered_ids``: the statement giving them), read
    from the filter columns' indexes (each holds _id, see tables.build_btree_indexes); a filter
    on a column without an index would read the whole table, so such requests keep the ngram
    index's plans, and on SQLite the FTS5 plans."""
    dialect = connection.dialect
    if dialect.name not in ("postgresql", "sqlite"):
        return None
    if not isinstance(request.q, str) or not request.q or request.distinct:
        return None
    words = to_halfwidth(request.q).split()
    if not words or not all(fulltext.is_short(w) for w in words):
        return None
    in_id_order = not request.sort or request.sort == [("_id", False)]
    if not in_id_order and not request.include_total:
        return None
    slice_ = (request.offset, request.limit) if in_id_order else None
    by_values = all(_served_by_values(meta, c, v) for c, v in request.filters.items())
    filters = {c: v for c, v in request.filters.items() if v}  # [] keeps every row
    if dialect.name == "sqlite":
        if not by_values:
            return None
        return postings_sqlite.lookup(cursor, meta.table_name, words, slice_, filters)
    within = None
    if request.filters:
        leading = indexes.leading_columns(connection, meta.table_name)
        if not set(request.filters) <= {*leading, "_id"}:
            return None
        within = filtered_ids()
    values = filters if by_values and filters else None
    return postings_lookup.lookup(cursor, meta.table_name, words, slice_, within, values)


def _served_by_values(meta: TableInfo, column: str, values: list[object]) -> bool:
    """Whether the postings' value rows can meet this filter exactly: _id by integers, a text
    column (if it has value rows, which the lookup sees) by text values or None. Other values
    compare by the database's rules (on SQLite 5 equals '5'), so their filters keep the SQL
    plans."""
    if column == "_id":
        return all(type(v) is int for v in values)
    return meta.types.get(column) == "text" and all(v is None or isinstance(v, str) for v in values)
