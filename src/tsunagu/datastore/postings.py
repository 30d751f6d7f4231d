"""PostgreSQL: the rows holding each one- and two-character word, kept beside a datastore table.

A short word's exact total through the ngram GIN index is a bitmap heap scan, and PostgreSQL
15 reads a heap page per match (about 40,000 pages for 公園 on a million rows, 140 ms). The
postings table ``<table>_pst`` has one row per character and per pair of neighbouring characters
of the lower-cased ``_full_text`` (exactly the keys of ``tsunagu_ngrams``), with the sorted
``_id`` of every row holding it: a word's total is the length of one array, an AND of words the
intersection of a few, and the page in ``_id`` order a slice of it.

Built after the other full-text indexes (ingest's after-publish phase), in numpy from the rows
streamed in ``_id`` order; PostgreSQL's own ``lower()`` folds the text (so the keys are the ngram
index's). A row with the empty gram marks the postings valid; a statement-level trigger on the
datastore table deletes that row (and a build's reading mark, see ``build``) in the same
transaction as any insert, update, delete or truncate, after which ``q`` uses the GIN index again
until the postings are rebuilt.
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from tsunagu.datastore import indexes, postings_sqlite
from tsunagu.storage.upsert import take_turns

# Rows read from the table per numpy pass: a pass needs some 40 bytes per character of its rows
# for a moment (the 50,000 rows tried first made the pass the build's peak). A chunk's rows per
# gram, 4 bytes per (gram, row) pair (about 430 MB for a million rows of 73 characters), wait in
# a temporary file; only its grams and their counts stay in memory.
CHUNK_ROWS = 20_000
# The postings are laid out a band of grams at a time, of about this many (gram, row) pairs
# (4 bytes each, read from the temporary file and laid out again): what bounds the build's
# memory, not the table's size. A gram with more rows than this is a band of its own.
BAND_PAIRS = 8_000_000
# Tables above this keep the ngram index only: the build reads every row and writes 4 bytes per
# (gram, row) pair to a temporary file, some minutes and gigabytes beyond it.
MAX_ROWS = 2_000_000
# A text column that leads an index gets its values' rows kept when it has at most this many
# distinct values: a filter on a column with more keeps few rows, which the full-text index's
# plans meet cheaply.
MAX_VALUES = 1000
# Rows of a filter column's values (see value_key): a prefix no gram of one or two characters
# has, then the column's name, the separator and the value.
VALUE_PREFIX = "\x1f\x1f"
VALUE_SEPARATOR = "\x1f"
# The gram of the row whose presence says the postings match the table.
VALID_MARK = ""
# The gram of the row a build puts in the current postings before it reads the table: any write
# deletes it, so a build whose read may miss a write finds it gone. Three characters, so never a
# real gram (one or two).
READING_MARK = "..."
_TRIGGER_LOCK = 0x7473_6E67_7073_7472  # "tsngpstr": queues the creators of the function
# CREATE OR REPLACE at every build: databases made before the reading mark have a function that
# deletes the valid mark only.
_INVALIDATE = """
CREATE OR REPLACE FUNCTION tsunagu_postings_invalidate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'DELETE FROM ' || quote_ident(TG_TABLE_SCHEMA) || '.'
    || quote_ident(TG_TABLE_NAME || '_pst') || ' WHERE gram IN ('''', ''...'')';
  RETURN NULL;
END
$$
"""
# A code point's bigram code is (first + 1) * _BASE + second, above every unigram's.
_BASE = 0x110000
# The postings hold _id as int4.
_MAX_ID = 2**31 - 1
# Bits of a row's place within its chunk, packed under the gram code for one sort.
_ROW_BITS = 20


def name(table: str) -> str:
    return table + "_pst"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def build(connection: Connection, table: str) -> int:
    """(Re)build the postings of a table; returns the number of grams. The new postings are put
    in place in the caller's transaction, marked valid only if no write reached the table
    after the rows were read.

    Writes go on while the rows are read and the postings computed: they wait only for two short
    moments, while the reading mark is set and while the new postings take the old ones' place.
    Reading happens in a snapshot of its own, taken once every earlier write has committed and
    the reading mark is in place; a write after that deletes the mark (the table's trigger), and
    the swap, holding the table against writes, finds it gone and leaves the postings invalid,
    for the next rebuild. Searches go on reading the old (invalid) postings until the swap.

    SQLite (postings_sqlite.py): built with connections of its own, so the caller must hold no
    write lock; returns the number of bitmaps put in place."""
    if connection.dialect.name == "sqlite":
        return postings_sqlite.build(connection.engine, table, filter_columns(connection, table))
    if connection.dialect.name != "postgresql":
        return 0
    _set_reading_mark(connection.engine, table)
    # The chunks' rows wait on disk (TMPDIR): 4 bytes per (gram, row) pair.
    with tempfile.TemporaryFile(prefix="tsunagu-postings-") as spill:
        chunks = _read(connection.engine, _quote(table), spill)
        grams = _copy_postings(connection, table, chunks, spill)
    _add_value_postings(connection, table, _building(table))
    _swap(connection, table)
    return grams


def _building(table: str) -> str:
    """The new postings while they are built: read by this module only, never listed as a
    resource, never reachable from datastore_search_sql (which resolves every table it reads
    through a resource id)."""
    return _quote(name(table) + "_new")


def _copy_postings(
    connection: Connection, table: str, chunks: list[_Spilled], spill: IO[bytes]
) -> int:
    """The new postings table, filled with every gram's rows; returns the number of grams."""
    building = _building(table)
    connection.execute(text(f"CREATE TABLE {building} (gram text NOT NULL, ids int4[] NOT NULL)"))
    raw = connection.connection.driver_connection
    grams = 0
    copying = f"COPY {building} (gram, ids) FROM STDIN (FORMAT BINARY)"
    with raw.cursor() as writer, writer.copy(copying) as copy:
        copy.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
        for gram, ids in _merged(chunks, spill):
            copy.write(_binary_row(gram, ids))
            grams += 1
        copy.write(struct.pack(">h", -1))
    return grams


def _swap(connection: Connection, table: str) -> None:
    """The new postings in the old ones' place, marked valid if no write came since reading."""
    quoted, postings, building = _quote(table), _quote(name(table)), _building(table)
    # Writers in flight commit first (their trigger's delete of the mark with them); later
    # ones wait until the caller commits, so none slips between this check and the swap.
    connection.execute(text(f"LOCK TABLE {quoted} IN SHARE MODE"))
    unwritten = connection.scalar(
        text(f"SELECT 1 FROM {postings} WHERE gram = :g"), {"g": READING_MARK}
    )
    if unwritten:
        connection.execute(
            text(f"INSERT INTO {building} (gram, ids) VALUES (:g, '{{}}')"), {"g": VALID_MARK}
        )
    connection.execute(text(f"DROP TABLE {postings}"))
    connection.execute(text(f"ALTER TABLE {building} RENAME TO {postings}"))
    connection.execute(text(f"ALTER TABLE {postings} ADD PRIMARY KEY (gram)"))


def take_building_turn(session: Session, table: str) -> None:
    """Builders of one table's postings (an ingest's, a rebuild job's) and of its full-text
    index take turns on PostgreSQL, where the postings are put in place in the caller's
    transaction. On SQLite this would hold the write lock through the build, which takes it
    only to put its rows in place (and takes turns there, see postings_sqlite.py)."""
    if session.get_bind().dialect.name != "sqlite":
        take_turns(session, f"datastore-full-text:{table}")


def value_key(column: str, value: str | None) -> str:
    """The gram under which the postings keep the rows holding ``value`` in ``column`` (None:
    the rows where it is NULL, a key present for every column with value postings). Three
    characters or more, and never the reading mark: no real gram is one."""
    return VALUE_PREFIX + column + ("" if value is None else VALUE_SEPARATOR + value)


def filter_columns(connection: Connection, table: str) -> list[str]:
    """The columns whose values the postings keep: text columns that lead an index (the
    columns users filter by) and have at most MAX_VALUES values."""
    quoted = _quote(table)
    kept = []
    for column, kind in sorted(indexes.leading_columns(connection, table).items()):
        if kind != "text" or column == "_full_text":
            continue
        distinct = connection.exec_driver_sql(
            f"SELECT count(*) FROM (SELECT DISTINCT {_quote(column)} FROM {quoted} "
            f"LIMIT {MAX_VALUES + 2}) AS d"
        ).scalar()
        if distinct is not None and distinct <= MAX_VALUES + 1:  # one of them may be NULL
            kept.append(column)
    return kept


def _add_value_postings(connection: Connection, table: str, building: str) -> None:
    """The rows of each value of the filter columns, read in the caller's transaction: a write
    since the reading mark was set has deleted it, so what is read here is either the table the
    grams were read from or postings that will not be marked valid."""
    quoted = _quote(table)
    for column in filter_columns(connection, table):
        name_sql = _quote(column)
        connection.execute(
            text(
                f"INSERT INTO {building} (gram, ids) "
                f"SELECT CASE WHEN {name_sql} IS NULL THEN :nulls ELSE :prefix || {name_sql} END, "
                f"array_agg(_id::int4 ORDER BY _id) FROM {quoted} GROUP BY {name_sql}"
            ),
            {"nulls": value_key(column, None), "prefix": value_key(column, "")},
        )
        connection.execute(  # the NULL key marks the column as covered even with no NULL
            text(
                f"INSERT INTO {building} (gram, ids) SELECT CAST(:g AS text), '{{}}' "
                f"WHERE NOT EXISTS (SELECT 1 FROM {building} WHERE gram = :g)"
            ),
            {"g": value_key(column, None)},
        )


def _set_reading_mark(engine: Engine, table: str) -> None:
    """In a transaction of its own, committed before the rows are read: the trigger and its
    function in place, and the reading mark in the current postings (created empty if the table
    has none yet). Holding the table against writes meanwhile, so that every write either
    committed before (and is read) or comes after (and deletes the mark)."""
    quoted, postings = _quote(table), _quote(name(table))
    trigger = _quote(table + "_pst_invalidate")
    with engine.begin() as connection:
        connection.execute(text(f"LOCK TABLE {quoted} IN SHARE ROW EXCLUSIVE MODE"))
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _TRIGGER_LOCK})
        connection.exec_driver_sql(_INVALIDATE)
        connection.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS {postings} (gram text PRIMARY KEY, ids int4[] NOT NULL)"
            )
        )
        connection.execute(text(f"DROP TRIGGER IF EXISTS {trigger} ON {quoted}"))
        connection.execute(
            text(
                f"CREATE TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {quoted} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION tsunagu_postings_invalidate()"
            )
        )
        connection.execute(
            text(f"INSERT INTO {postings} (gram, ids) VALUES (:g, '{{}}') ON CONFLICT DO NOTHING"),
            {"g": READING_MARK},
        )


def _read(engine: Engine, quoted: str, spill: IO[bytes]) -> list[_Spilled]:
    """Every chunk of the table's rows, read in one snapshot taken now, its rows written to
    ``spill``."""
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        if (connection.scalar(text(f"SELECT max(_id) FROM {quoted}")) or 0) > _MAX_ID:
            raise ValueError("_id が int4 の範囲を超えています (_id beyond int4)")
        raw = connection.connection.driver_connection
        with raw.cursor("tsunagu_postings") as reader:
            return [_spilled(chunk, spill) for chunk in _chunks(reader, quoted)]


def valid(connection: Connection, table: str) -> bool:
    """Whether q's one- and two-character words count from the table's postings (built, and
    the table not written since)."""
    if connection.dialect.name == "sqlite":
        return postings_sqlite.valid(connection, table)
    if connection.dialect.name != "postgresql":
        return False
    exists = connection.scalar(
        text(
            "SELECT 1 FROM pg_class WHERE relname = :n "
            "AND relnamespace = current_schema()::regnamespace"
        ),
        {"n": name(table)},
    )
    if not exists:
        return False
    marked = connection.scalar(
        text(f"SELECT 1 FROM {_quote(name(table))} WHERE gram = :g"), {"g": VALID_MARK}
    )
    return bool(marked)


def drop(connection: Connection, table: str) -> None:
    if connection.dialect.name == "sqlite":
        postings_sqlite.drop(connection, table)
    elif connection.dialect.name == "postgresql":
        connection.execute(text(f"DROP TABLE IF EXISTS {_quote(name(table))}"))


def _chunks(cursor: Any, quoted: str) -> Iterator[_Chunk]:
    """The table's rows in _id order, a chunk at a time, as postings of that chunk."""
    cursor.execute(f"SELECT _id, lower(_full_text) FROM {quoted} ORDER BY _id")
    while True:
        rows = cursor.fetchmany(CHUNK_ROWS)
        if not rows:
            return
        yield _pairs([int(r[0]) for r in rows], [r[1] or "" for r in rows])


_Chunk = tuple[np.ndarray, np.ndarray, np.ndarray]


def _pairs(ids: Sequence[int], texts: Sequence[str]) -> _Chunk:
    """A chunk's distinct grams (sorted), how many rows hold each, and those rows' _id, gram
    after gram, each gram's in _id order."""
    # NUL never occurs in PostgreSQL text, so it separates the rows: no pair spans two rows.
    codes = np.frombuffer(("\x00".join(texts) + "\x00").encode("utf-32-le"), dtype=np.uint32)
    lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
    places = np.repeat(np.arange(len(texts), dtype=np.uint64), lengths)
    wide = codes.astype(np.uint64)
    present = codes != 0
    pair = present[:-1] & present[1:]
    grams = np.concatenate([wide[present], (wide[:-1][pair] + 1) * _BASE + wide[1:][pair]])
    rows = np.concatenate([places[present], places[:-1][pair]])
    del codes, places, wide, present, pair
    # One sort of gram and row packed together gives each (gram, row) once, ordered by both
    # (np.sort, then dropping repeats: np.unique took ten times longer on these keys).
    keys = np.sort((grams << np.uint64(_ROW_BITS)) | rows)
    if not len(keys):  # rows without text
        return keys, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
    keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
    del grams, rows
    row_ids = np.asarray(ids, dtype=np.int32)[(keys & np.uint64((1 << _ROW_BITS) - 1))]
    keys >>= np.uint64(_ROW_BITS)
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    counts = np.diff(np.append(starts, len(keys)))
    return keys[starts], counts, row_ids


@dataclass
class _Spilled:
    """A chunk whose rows wait in the temporary file: its grams (sorted), how many rows hold
    each, where each gram's rows end among the chunk's (cumulative counts), and where the
    chunk's rows start in the file (int32, gram after gram, each gram's in _id order)."""

    grams: np.ndarray
    counts: np.ndarray
    ends: np.ndarray
    offset: int


def _spilled(chunk: _Chunk, spill: IO[bytes]) -> _Spilled:
    grams, counts, ids = chunk
    offset = spill.tell()
    np.ascontiguousarray(ids, dtype=np.int32).tofile(spill)
    return _Spilled(grams, counts, np.cumsum(counts), offset)


def _merged(kept: list[_Spilled], spill: IO[bytes]) -> Iterator[tuple[str, np.ndarray]]:
    """Each gram with the _id of every row holding it, across chunks, in _id order. The grams
    are taken in bands of about BAND_PAIRS (gram, row) pairs: a band's rows are one stretch of
    each chunk's (its grams are a stretch of the chunk's sorted grams), read from the file and
    laid out gram after gram."""
    if not kept:
        return
    grams = np.unique(np.concatenate([c.grams for c in kept]))
    if not len(grams):
        return
    totals = np.zeros(len(grams), dtype=np.int64)
    for chunk in kept:
        totals[np.searchsorted(grams, chunk.grams)] += chunk.counts
    reached = np.cumsum(totals)
    # A band ends at the first gram reaching the next multiple of BAND_PAIRS.
    marks = np.arange(BAND_PAIRS, int(reached[-1]), BAND_PAIRS, dtype=np.int64)
    edges = np.unique(np.concatenate([[0], np.searchsorted(reached, marks) + 1, [len(grams)]]))
    for low, high in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        yield from _band(kept, spill, grams[low:high], totals[low:high])


def _band(
    kept: list[_Spilled], spill: IO[bytes], grams: np.ndarray, totals: np.ndarray
) -> Iterator[tuple[str, np.ndarray]]:
    starts = np.concatenate([[0], np.cumsum(totals)])
    out = np.empty(int(starts[-1]), dtype=np.int32)
    fill = starts[:-1].copy()
    first, last = grams[0], grams[-1]
    for chunk in kept:
        # The chunk's grams of this band, and the stretch of its rows they hold.
        a = int(np.searchsorted(chunk.grams, first, side="left"))
        b = int(np.searchsorted(chunk.grams, last, side="right"))
        if a == b:
            continue
        done = int(chunk.ends[a - 1]) if a else 0
        spill.seek(chunk.offset + 4 * done)
        ids = np.fromfile(spill, dtype=np.int32, count=int(chunk.ends[b - 1]) - done)
        counts = chunk.counts[a:b]
        place = np.searchsorted(grams, chunk.grams[a:b])
        # The chunks come in _id order, so each chunk's ids follow the earlier chunks' ones.
        offsets = np.repeat(fill[place] - (np.cumsum(counts) - counts), counts)
        out[offsets + np.arange(len(ids))] = ids
        fill[place] += counts
    for i, code in enumerate(grams.tolist()):
        yield _gram_text(code), out[starts[i] : starts[i + 1]]


def _gram_text(code: int) -> str:
    if code < _BASE:
        return chr(code)
    return chr(code // _BASE - 1) + chr(code % _BASE)


def _binary_row(gram: str, ids: np.ndarray) -> bytes:
    """One row of COPY's binary format: the gram as text, the ids as a one-dimensional int4[]
    (header, then a length of 4 before each value)."""
    encoded = gram.encode()
    if len(ids):
        body = np.empty((len(ids), 2), dtype=">i4")
        body[:, 0] = 4
        body[:, 1] = ids
        array = struct.pack(">iiiii", 1, 0, 23, len(ids), 1) + body.tobytes()
    else:
        array = struct.pack(">iii", 0, 0, 23)
    return struct.pack(">hi", 2, len(encoded)) + encoded + struct.pack(">i", len(array)) + array
