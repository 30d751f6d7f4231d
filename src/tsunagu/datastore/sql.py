"""datastore_search_sql: one read-only SELECT over permitted datastore tables, time-limited.

Defence in depth: the statement is parsed (sqlglot) and must be a single SELECT whose tables are
datastore resources the caller may read and whose functions are on an allowlist; it then runs on
a read-only connection (SQLite: mode=ro plus an authorizer that only permits reading those tables;
PostgreSQL: a READ ONLY transaction) with a time limit.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlglot
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlglot import exp

from tsunagu.errors import ValidationError

# Function names (sqlglot's canonical names, upper case) a query may call.
ALLOWED_FUNCTIONS = {
    "COUNT",
    "SUM",
    "AVG",
    "MIN",
    "MAX",
    "ABS",
    "ROUND",
    "CEIL",
    "FLOOR",
    "LOWER",
    "UPPER",
    "LENGTH",
    "SUBSTRING",
    "TRIM",
    "REPLACE",
    "CONCAT",
    "COALESCE",
    "NULLIF",
    "CAST",
    "TRYCAST",
    "EXTRACT",
    "DATETRUNC",
    "STRPOSITION",
    "GROUPCONCAT",
    "STRINGAGG",
    "ARRAYAGG",
    "IF",
    "CASE",
    "IFNULL",
    "STDDEV",
    "STDDEVSAMP",
    "STDDEVPOP",
    "VARIANCE",
    "VARIANCEPOP",
    "MOD",
    "POW",
    "POWER",
    "SQRT",
    "LN",
    "LOG",
    "EXP",
    "SIGN",
    "GREATEST",
    "LEAST",
    "LEFT",
    "RIGHT",
    "LPAD",
    "RPAD",
    "TIMESTRTOTIME",
    "DATE",
    "TIME",
    "STRFTIME",
    "TSORDSTODATE",
    "TOCHAR",
    "DATESTRTODATE",
    "CURRENTDATE",
    "CURRENTTIMESTAMP",
    "ROWNUMBER",
    "RANK",
    "DENSERANK",
    "PERCENTILECONT",
    "PERCENTILEDISC",
    "JULIANDAY",
    "PRINTF",
    "INSTR",
    "TOTAL",
    "DATEPART",
    "ANYVALUE",
    "FIRST",
    "LAST",
    "LAG",
    "LEAD",
    "NTILE",
    "INITCAP",
    "SPLITPART",
    "REGEXPLIKE",
    "REGEXPREPLACE",
    "DATEADD",
    "DATEDIFF",
    "UNIXTOTIME",
    "TIMETOSTR",
    "STRTOTIME",
    "NUMBERTOSTR",
    # sqlglot's own names for lpad/rpad, date_trunc, datetime(), now().
    "PAD",
    "TIMESTAMPTRUNC",
    "DATETIME",
    "TSORDSTOTIMESTAMP",
    "NOW",
}
_FORBIDDEN_NODES = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Command,
    exp.Pragma,
    exp.Into,
    exp.Lock,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Set,
    exp.Use,
    exp.Merge,
    exp.Copy,
    exp.LoadData,
)


@dataclass
class SqlResult:
    records: list[dict[str, Any]]
    fields: list[dict[str, str]]
    truncated: bool


def _reject(message: str) -> ValidationError:
    return ValidationError({"sql": [message]})


def rewrite(
    sql: str, dialect: str, resolve: Callable[[str], str], existing_relations: set[str]
) -> str:
    """Check the statement and return it with resource ids replaced by physical table names.

    ``resolve`` maps a resource id to its table name, raising NotFound/NotAuthorized itself.
    ``existing_relations`` are the (lower-cased) names of every table and view in the database:
    a CTE may not take one of those names, because inside some scopes the name would then
    reach the real table instead of the CTE.
    """
    read = "postgres" if dialect == "postgresql" else "sqlite"
    try:
        statements = [s for s in sqlglot.parse(sql, read=read) if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise _reject(
            f"SQL を解釈できません (Cannot parse SQL): {str(exc).splitlines()[0]}"
        ) from None
    if len(statements) != 1:
        raise _reject("SELECT 文を 1 つだけ指定してください (Exactly one statement allowed)")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise _reject("SELECT 文だけが使えます (Only SELECT statements are allowed)")
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            raise _reject("SELECT 文だけが使えます (Only SELECT statements are allowed)")
        if isinstance(node, exp.Func):
            name = (node.name if isinstance(node, exp.Anonymous) else node.key).upper()
            if name.replace("_", "") not in ALLOWED_FUNCTIONS:
                raise _reject(f"関数 {name} は使えません (Function not allowed: {name})")
    cte_names = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    shadowing = sorted(n for n in cte_names if n.lower() in existing_relations)
    if shadowing:
        raise _reject(
            f"WITH の名前に既存の表と同じ名前は使えません: {', '.join(shadowing)} "
            f"(CTE names must not shadow existing tables)"
        )
    tables = list(tree.find_all(exp.Table))
    if not tables:
        raise _reject("データストアの表を FROM に指定してください (Query a datastore table)")
    for table in tables:
        if table.name in cte_names and not table.db:
            continue
        if table.db or table.catalog or not table.name:
            raise _reject(f"表 {table.sql()} は使えません (Only datastore tables allowed)")
        table.set("this", exp.to_identifier(resolve(table.name), quoted=True))
    return tree.sql(dialect=read)


def relation_names(engine: Engine) -> set[str]:
    """Every table and view name in the database, in any schema, lower-cased."""
    if engine.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master"
    else:
        query = "SELECT relname FROM pg_catalog.pg_class"
    with engine.connect() as connection:
        return {str(name).lower() for (name,) in connection.exec_driver_sql(query)}


def execute(
    engine: Engine, sql: str, *, allowed_tables: set[str], row_limit: int, time_limit: float
) -> SqlResult:
    if engine.dialect.name == "sqlite":
        return _sqlite(engine, sql, allowed_tables, row_limit, time_limit)
    return _postgresql(engine, sql, row_limit, time_limit)


def _sqlite(
    engine: Engine, sql: str, allowed: set[str], row_limit: int, time_limit: float
) -> SqlResult:
    path = engine.url.database
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    deadline = time.monotonic() + time_limit

    def authorize(action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
        if action == sqlite3.SQLITE_READ:
            return sqlite3.SQLITE_OK if arg1 in allowed else sqlite3.SQLITE_DENY
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    try:
        connection.set_authorizer(authorize)
        connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        cursor = connection.execute(sql)
        rows = cursor.fetchmany(row_limit + 1)
        names = [d[0] for d in cursor.description or ()]
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            raise _timeout(time_limit) from None
        raise _reject(f"SQL を実行できません (Query failed): {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise _reject(f"SQL を実行できません (Query failed): {exc}") from None
    finally:
        connection.close()
    return _result(names, rows, row_limit)


def _postgresql(engine: Engine, sql: str, row_limit: int, time_limit: float) -> SqlResult:
    with engine.connect() as connection:
        try:
            connection.execute(text("SET TRANSACTION READ ONLY"))
            connection.execute(text(f"SET LOCAL statement_timeout = {int(time_limit * 1000)}"))
            cursor = connection.exec_driver_sql(sql.replace("%", "%%"))
            rows = [tuple(r) for r in cursor.fetchmany(row_limit + 1)]
            names = list(cursor.keys())
        except Exception as exc:  # the driver's own error types vary; all mean the query failed
            message = str(getattr(exc, "orig", exc)).splitlines()[0]
            if "statement timeout" in message:
                raise _timeout(time_limit) from None
            raise _reject(f"SQL を実行できません (Query failed): {message}") from None
        finally:
            connection.rollback()
    return _result(names, rows, row_limit)


def _timeout(limit: float) -> ValidationError:
    return ValidationError(
        {"query": [f"{limit:g} 秒以内に終わらなかったため中止しました (Query took too long)"]}
    )


_PY_TYPES = {bool: "bool", int: "int", float: "numeric", str: "text"}


def _plain(value: Any) -> Any:
    # PostgreSQL answers sums, averages and EXTRACT with Decimal, which JSON cannot carry.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _result(names: list[str], rows: list[tuple[Any, ...]], row_limit: int) -> SqlResult:
    truncated = len(rows) > row_limit
    rows = [tuple(_plain(v) for v in row) for row in rows[:row_limit]]
    fields = []
    for position, name in enumerate(names):
        sample = next((r[position] for r in rows if r[position] is not None), None)
        kind = _PY_TYPES.get(type(sample), "text") if sample is not None else "text"
        if hasattr(sample, "isoformat"):
            kind = (
                "timestamp"
                if hasattr(sample, "hour") and hasattr(sample, "day")
                else ("date" if hasattr(sample, "day") else "time")
            )
        fields.append({"id": name, "type": kind})
    return SqlResult([dict(zip(names, row, strict=True)) for row in rows], fields, truncated)
