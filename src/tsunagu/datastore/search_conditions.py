"""datastore_search and its kin: which rows a checked request (datastore/search_request.py)
keeps, as SQL conditions — filters, a column q, and a full-text q by the index that serves each
word on each database (FTS5 on SQLite, the ngram index on PostgreSQL) or by scanning.

Every column name has been checked against the table's data dictionary and every value is bound
as a parameter, so nothing a client sends becomes SQL text.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, literal_column, text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.elements import ColumnElement

from tsunagu.datastore import fulltext
from tsunagu.datastore.ingest.values import to_halfwidth
from tsunagu.datastore.search_request import SearchRequest
from tsunagu.datastore.tables import SQL_TYPES, quote


def where_clause(
    connection: Connection, table: Table, request: SearchRequest
) -> ColumnElement[bool]:
    """The request's filters and q as a SQLAlchemy clause on ``table`` (datastore_delete and the
    dump use it; datastore_search runs the same conditions as plain SQL, see ``run``)."""
    sql = Sql(connection.dialect, named=True)
    types = {"_id": "int", **{c.name: _type_of(c) for c in table.columns}}
    words = text_plan(connection, table.name, request)
    conditions = row_conditions(sql, table.name, types, request, words)
    if words.match is not None:
        conditions.append(in_fts(sql, table.name, words.match))
    if not conditions:
        return literal_column("1") == 1
    params = {f"p{i}": value for i, value in enumerate(sql.params)}
    return text(" AND ".join(conditions)).bindparams(**params)  # type: ignore[return-value]


def _type_of(column: Any) -> str:
    for kind, sql_type in SQL_TYPES.items():
        if type(column.type) is sql_type:
            return kind
    return "text"


class Sql:
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
class TextPlan:
    """How each word of a full-text q is matched: by the index, or by scanning."""

    match: str | None = None  # SQLite: the FTS5 query of the indexed words
    ngram: list[str] = field(default_factory=list)  # PostgreSQL: short words the ngram index serves
    scan: list[str] = field(default_factory=list)  # words matched with LIKE on _full_text
    nothing: bool = False  # a word no row contains: the answer is empty
    # SQLite, with filters: at most how many rows the FTS5 query matches (from fts5vocab's
    # document counts; None when not known), to choose how the filters meet the match.
    estimate: int | None = None


def text_plan(connection: Connection, table: str, request: SearchRequest) -> TextPlan:
    plan = TextPlan()
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


def row_conditions(
    sql: Sql,
    name: str,
    types: dict[str, str],
    request: SearchRequest,
    words: TextPlan,
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
        bind = bind_processor(sql.dialect, types[column])
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


def _contains(sql: Sql, expression: str, word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = sql.bind(f"%{escaped}%")
    if sql.dialect.name == "postgresql":
        return f"{expression} ILIKE {pattern} ESCAPE '\\'"
    return f"lower({expression}) LIKE lower({pattern}) ESCAPE '\\'"


def in_fts(sql: Sql, name: str, match: str) -> str:
    fts = sql.name(name + "_fts")
    return (
        f"{sql.name(name, '_id')} IN (SELECT rowid FROM {fts} WHERE {fts} MATCH {sql.bind(match)})"
    )


@functools.lru_cache(maxsize=64)
def bind_processor(dialect: Dialect, kind: str) -> Callable[[Any], Any] | None:
    # The conversion SQLAlchemy applies to a value bound to a column of this type, so values
    # compare with stored ones exactly as they did through SQLAlchemy statements.
    sql_type = SQL_TYPES[kind]()
    return sql_type.dialect_impl(dialect).bind_processor(dialect)  # type: ignore[no-any-return]
