"""The index behind datastore_search's ``q``: any word of any length, found by substring.

SQLite: an FTS5 trigram index over ``_full_text`` plus an fts5vocab table listing its terms. A word
of three or more characters is a trigram phrase. A word of one or two characters, which is how
Japanese users search (北区, 人口, 水), becomes the OR of the indexed trigrams that begin with it:
``_full_text`` ends with two separators (FULL_TEXT_END), so every character of every value begins
some trigram and the expansion finds exactly the rows a scan would.

PostgreSQL: pg_trgm's GIN index serves three or more characters; a GIN index over each row's
characters and character pairs (``tsunagu_ngrams``) serves shorter words exactly.

Ingest publishes a table before this index exists (queryable first) and builds it afterwards;
until then, and for tables made before short words were indexed, ``q`` scans and is still exact.
"""

from __future__ import annotations

import enum
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

# Every row's text ends with these, so that its last characters begin trigrams too.
FULL_TEXT_END = "\u3000\u3000"
# Words shorter than a trigram, and the most indexed terms one may expand to before the scan is
# the better plan (a single digit can begin thousands of trigrams).
SHORT_WORD_CHARS = 2
MAX_EXPANDED_TERMS = 2000
# Memory FTS5 may fill with terms before writing them out: FTS5 flushes its term list to a new
# segment, and later merges the segments, each time the list reaches "hashsize" (1 MB by
# default); a larger list means far fewer segments to merge and builds the index a third faster.
FTS_HASH_BYTES = 64 << 20
# PostgreSQL: how the trigram and the ngram index of a table are named (a random suffix follows).
TRIGRAM_INDEX_PREFIX = "ft_"
NGRAM_INDEX_PREFIX = "fn_"
# PostgreSQL: memory for building the GIN indexes (the default 64 MB makes a million-row ngram
# index spill to disk in many runs).
PG_BUILD_MEMORY = "256MB"
# SQLite: the row build() adds to the FTS5 index's config table, naming this build of the index
# (FTS5 ignores config keys it does not know), and how many expansions a process remembers.
GENERATION_KEY = "tsunagu-generation"
MAX_REMEMBERED = 4096
# Any fixed numbers: advisory locks that queue the creators of pg_trgm and of tsunagu_ngrams.
_PG_TRGM_LOCK = 0x7473_6E67_7472_676D  # "tsngtrgm"
_PG_NGRAM_LOCK = 0x7473_6E67_6E67_726D  # "tsngngrm"
# Each character, and each pair of neighbouring characters (at even offsets, then odd ones), of
# the lower-cased text. GIN drops repeated keys, so the array need not be distinct.
_PG_NGRAMS = """
CREATE FUNCTION tsunagu_ngrams(text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT string_to_array(lower($1), NULL)
    || ARRAY(SELECT m[1] FROM regexp_matches(lower($1), '(..)', 'g') AS m)
    || ARRAY(SELECT m[1] FROM regexp_matches(substr(lower($1), 2), '(..)', 'g') AS m)
$$
"""


class Coverage(enum.Enum):
    """Which words of ``q`` a table's index serves (the rest are matched by scanning)."""

    NONE = "none"  # not built yet: every word scans
    LONG_WORDS = "long_words"  # built before short words were indexed: 3+ characters
    ALL_WORDS = "all_words"


def fts_name(table: str) -> str:
    return table + "_fts"


def vocab_name(table: str) -> str:
    return table + "_ftv"


def coverage(connection: Connection, table: str) -> Coverage:
    """What the table's full-text index serves, read from the schema itself, so that every
    process sees an index the moment its build commits."""
    if connection.dialect.name == "sqlite":
        names = {
            row[0]
            for row in connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)",
                (fts_name(table), vocab_name(table)),
            )
        }
        if vocab_name(table) in names:
            return Coverage.ALL_WORDS
        return Coverage.LONG_WORDS if names else Coverage.NONE
    # By the names build() gives the indexes, from the catalog tables alone: pg_indexes'
    # definitions open each index, which fails ("could not open relation") when a re-ingest
    # drops the table during the read.
    names = [
        str(row[0])
        for row in connection.exec_driver_sql(
            "SELECT ix.relname FROM pg_class t "
            "JOIN pg_index i ON i.indrelid = t.oid JOIN pg_class ix ON ix.oid = i.indexrelid "
            "WHERE t.relname = %s AND t.relnamespace = current_schema()::regnamespace",
            (table,),
        )
    ]
    if any(name.startswith(NGRAM_INDEX_PREFIX) for name in names):
        return Coverage.ALL_WORDS
    if any(name.startswith(TRIGRAM_INDEX_PREFIX) for name in names):
        return Coverage.LONG_WORDS
    return Coverage.NONE


def is_short(word: str) -> bool:
    return len(word) <= SHORT_WORD_CHARS


def expand(connection: Connection, table: str, word: str) -> tuple[list[str], int] | None:
    """SQLite: the indexed trigrams beginning with a short word (empty: no row has the word),
    with the number of rows they can match at most (the sum of their document counts, which
    datastore_search uses to choose a plan); None when there are too many trigrams and a scan
    is the better plan."""
    return _remembered(
        connection, table, ("expand", word), lambda: _expand(connection, table, word)
    )


def _expand(connection: Connection, table: str, word: str) -> tuple[list[str], int] | None:
    folded = word.lower()
    upper = folded[:-1] + chr(ord(folded[-1]) + 1)
    vocab = _quote(vocab_name(table))
    rows = connection.exec_driver_sql(
        f"SELECT term, doc FROM {vocab} WHERE term >= ? AND term < ? LIMIT ?",
        (folded, upper, MAX_EXPANDED_TERMS + 1),
    ).all()
    if len(rows) > MAX_EXPANDED_TERMS:
        return None
    return [str(row[0]) for row in rows], sum(int(row[1]) for row in rows)


def phrase_documents(connection: Connection, table: str, word: str) -> int:
    """SQLite: at most how many rows a word of three or more characters can match (its rarest
    trigram's document count; an estimate for choosing a plan, never for the answer)."""
    return _remembered(
        connection, table, ("phrase", word), lambda: _phrase_documents(connection, table, word)
    )


def _phrase_documents(connection: Connection, table: str, word: str) -> int:
    folded = word.lower()
    trigrams = sorted({folded[i : i + 3] for i in range(len(folded) - 2)})
    vocab = _quote(vocab_name(table))
    counts = [
        int(row[0])
        for trigram in trigrams
        for row in connection.exec_driver_sql(
            f"SELECT doc FROM {vocab} WHERE term = ?", (trigram,)
        ).all()
    ]
    return min(counts) if len(counts) == len(trigrams) else 0


# Reading fts5vocab walks every matching term's whole doclist to count its documents (about 7 ms
# for 公園 on a million rows, as much as the search itself), so a process keeps what it read, for
# as long as the index provably has not changed: keyed by the index's build (GENERATION_KEY), its
# structure record (FTS5 bumps its cookie on every change other connections commit, and relies on
# that itself), and this connection's total_changes() (its own writes, which FTS5 holds in memory
# until commit). Indexes built before the generation row existed are read every time.
_remembered_values: OrderedDict[tuple[object, ...], object] = OrderedDict()
_remembered_lock = threading.Lock()
_T = TypeVar("_T")


def _remembered(
    connection: Connection, table: str, what: tuple[str, str], read: Callable[[], _T]
) -> _T:
    state = connection.exec_driver_sql(
        f"SELECT (SELECT v FROM {_quote(fts_name(table) + '_config')} WHERE k = ?), "
        f"(SELECT block FROM {_quote(fts_name(table) + '_data')} WHERE id = 10), total_changes()",
        (GENERATION_KEY,),
    ).one()
    if state[0] is None or state[1] is None:
        return read()
    key = (str(connection.engine.url), table, *what, str(state[0]), bytes(state[1]), int(state[2]))
    with _remembered_lock:
        if key in _remembered_values:
            _remembered_values.move_to_end(key)
            return _remembered_values[key]  # type: ignore[return-value]
    value = read()
    with _remembered_lock:
        _remembered_values[key] = value
        while len(_remembered_values) > MAX_REMEMBERED:
            _remembered_values.popitem(last=False)
    return value


def build(connection: Connection, table: str) -> None:
    """Build the full-text index of a filled table (and the triggers keeping it in step)."""
    if connection.dialect.name == "sqlite":
        fts = _quote(fts_name(table))
        connection.execute(
            text(
                f"CREATE VIRTUAL TABLE {fts} USING fts5(_full_text, content={_quote(table)}, "
                f"content_rowid='_id', tokenize='trigram case_sensitive 0')"
            )
        )
        connection.execute(
            text(f"INSERT INTO {fts}({fts}, rank) VALUES ('hashsize', {FTS_HASH_BYTES})")
        )
        connection.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"))
        connection.execute(
            text(f"INSERT INTO {_quote(fts_name(table) + '_config')}(k, v) VALUES (:k, :v)"),
            {"k": GENERATION_KEY, "v": uuid.uuid4().hex},
        )
        _sqlite_triggers(connection, table)
        connection.execute(
            text(f"CREATE VIRTUAL TABLE {_quote(vocab_name(table))} USING fts5vocab({fts}, 'row')")
        )
        return
    _ensure_pg_function(
        connection,
        _PG_TRGM_LOCK,
        "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'",
        "CREATE EXTENSION pg_trgm",
    )
    _ensure_pg_function(
        connection,
        _PG_NGRAM_LOCK,
        "SELECT 1 FROM pg_proc WHERE proname = 'tsunagu_ngrams'",
        _PG_NGRAMS,
    )
    connection.execute(text(f"SET LOCAL maintenance_work_mem = '{PG_BUILD_MEMORY}'"))
    suffix = uuid.uuid4().hex[:8]
    connection.execute(
        text(
            f"CREATE INDEX {_quote(TRIGRAM_INDEX_PREFIX + suffix)} ON {_quote(table)} "
            f"USING gin (_full_text gin_trgm_ops)"
        )
    )
    connection.execute(
        text(
            f"CREATE INDEX {_quote(NGRAM_INDEX_PREFIX + suffix)} ON {_quote(table)} "
            f"USING gin (tsunagu_ngrams(_full_text))"
        )
    )


def settle(engine: Engine, table: str) -> None:
    """After a build on PostgreSQL: ANALYZE gives the planner the statistics of the ngram
    expression (without them a common word looks rare), and VACUUM settles the freshly loaded
    pages (hint bits, visibility map) so that the first searches do not pay for it."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"VACUUM (ANALYZE) {_quote(table)}"))


def drop(connection: Connection, table: str) -> None:
    """Drop the SQLite index tables (PostgreSQL's indexes go with their table)."""
    if connection.dialect.name == "sqlite":
        connection.execute(text(f"DROP TABLE IF EXISTS {_quote(vocab_name(table))}"))
        connection.execute(text(f"DROP TABLE IF EXISTS {_quote(fts_name(table))}"))


def _ensure_pg_function(connection: Connection, lock: int, present: str, create: str) -> None:
    """Create an extension or function once per database, even when the first tables are
    indexed at the same moment (an ingest beside a datastore_create): CREATE ... IF NOT EXISTS
    is not safe against itself, so creators wait in turn on a lock held to the end of their
    transaction, and each checks again once it has the lock."""
    if connection.scalar(text(present)):
        return
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock})
    if not connection.scalar(text(present)):
        connection.exec_driver_sql(create)


def _sqlite_triggers(connection: Connection, table: str) -> None:
    # Keep the external-content FTS index in step with datastore_upsert/datastore_delete.
    name, fts = _quote(table), _quote(fts_name(table))
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
        trigger = _quote(f"{table}_{event.split()[1].lower()}")
        connection.execute(text(f"CREATE TRIGGER {trigger} {event} ON {name} BEGIN {body} END"))


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
