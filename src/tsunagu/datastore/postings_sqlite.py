"""SQLite: the rows holding each one- and two-character word, and each value of the few columns
users filter by, kept as roaring bitmaps beside a datastore table.

FTS5 finds a short word as the OR of every trigram beginning with it, and meets a filter by
merging those rowids with the filter column's index: on a million rows, 公園 with 種別 = 避難所
reads some 220,000 index and doclist entries for one page and again for its total (10–25 ms).
Here the word is one bitmap, the filter another, and the answer their intersection: its length
is the total and a slice of it the page's _id, without reading the table.

``<table>_pst`` (the name PostgreSQL's postings have, see postings.py) holds a row per
(column, value, bitmap):

- ``_full_text``: a bitmap per character and per pair of neighbouring characters of each row's
  lower-cased text (Python's ``str.lower``, as q's words are folded);
- each filter column (postings.filter_columns: a low-cardinality text column that leads an
  index): a bitmap per value;
- the column ``''`` holds the marks: ``''`` the postings are valid, ``'...'`` a build is reading
  the table, and ``'=' + column`` the rows where that column is NULL (its presence says the
  column's values are all here).

Triggers on the table delete the marks in the same transaction as any insert, update or delete,
after which q uses FTS5 again until the postings are rebuilt (datastore/postings_jobs.py).
A build reads the table without holding the write lock, and holds it only to put its rows in
place: if any write came after its reading mark was set, the mark is gone and the build
puts nothing in place.
"""

from __future__ import annotations

import array
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from pyroaring import BitMap
from sqlalchemy.engine import Connection, Engine

# Rows read and grouped per numpy pass (the pass needs some 60 bytes per character for a moment).
CHUNK_ROWS = 20_000
# The marks (see the module docstring).
MARKS = ""
VALID = ""
READING = "..."
NULLS = "="
FULL_TEXT = "_full_text"
_EVENTS = ("insert", "update", "delete")
# Roaring bitmaps hold unsigned 32-bit values.
_MAX_ID = 2**32 - 1
# What the marks hold, so that every row's ids read as a bitmap.
_NO_ROWS = BitMap().serialize()


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def name(table: str) -> str:
    return table + "_pst"


def build(engine: Engine, table: str, value_columns: Sequence[str]) -> int:
    """(Re)build the postings of a table, with bitmaps of the values of ``value_columns``
    (postings.filter_columns); returns the number of bitmaps put in place (0 when a write came
    meanwhile, or the table went: then nothing changes)."""
    _set_reading_mark(engine, table)
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        bitmaps = _gram_bitmaps(raw, table)
        values = {column: _value_bitmaps(raw, table, column) for column in value_columns}
    rows: list[tuple[str, str, bytes]] = [
        (FULL_TEXT, gram, bitmap.serialize()) for gram, bitmap in bitmaps.items()
    ]
    del bitmaps
    for column, (by_value, nulls) in values.items():
        rows += [(column, value, bitmap.serialize()) for value, bitmap in by_value.items()]
        rows.append((MARKS, NULLS + column, nulls.serialize()))
    rows.append((MARKS, VALID, _NO_ROWS))
    return _put_in_place(engine, table, rows)


def _set_reading_mark(engine: Engine, table: str) -> None:
    """The postings table and its triggers, and the reading mark, committed before the rows are
    read: every write either committed before (and is read) or comes after (and deletes it)."""
    quoted, postings = _quote(table), _quote(name(table))
    with engine.begin() as connection:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        connection.exec_driver_sql(
            f'CREATE TABLE IF NOT EXISTS {postings} ("column" TEXT NOT NULL, '
            f'value TEXT NOT NULL, ids BLOB NOT NULL, UNIQUE ("column", value))'
        )
        for event in _EVENTS:
            trigger = _quote(f"{table}_pst_{event}")
            connection.exec_driver_sql(
                f"CREATE TRIGGER IF NOT EXISTS {trigger} AFTER {event.upper()} ON {quoted} "
                f"BEGIN DELETE FROM {postings} WHERE \"column\" = '{MARKS}'; END"
            )
        connection.exec_driver_sql(
            f'INSERT OR IGNORE INTO {postings} ("column", value, ids) VALUES (?, ?, ?)',
            (MARKS, READING, _NO_ROWS),
        )


def _put_in_place(engine: Engine, table: str, rows: list[tuple[str, str, bytes]]) -> int:
    postings = _quote(name(table))
    with engine.begin() as connection:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        present = connection.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)",
            (table, name(table)),
        ).scalar()
        if present != 2 or not _marked(connection, table, READING):
            return 0
        connection.exec_driver_sql(f"DELETE FROM {postings}")
        connection.exec_driver_sql(
            f'INSERT INTO {postings} ("column", value, ids) VALUES (?, ?, ?)', rows
        )
    return len(rows)


def _marked(connection: Connection, table: str, mark: str) -> bool:
    return bool(
        connection.exec_driver_sql(
            f'SELECT 1 FROM {_quote(name(table))} WHERE "column" = ? AND value = ?',
            (MARKS, mark),
        ).first()
    )


def valid(connection: Connection, table: str) -> bool:
    exists = connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name(table),)
    ).first()
    return bool(exists) and _marked(connection, table, VALID)


def drop(connection: Connection, table: str) -> None:
    for event in _EVENTS:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {_quote(f'{table}_pst_{event}')}")
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {_quote(name(table))}")


def _gram_bitmaps(raw: Any, table: str) -> dict[str, BitMap]:
    """Each character's and pair's rows, read in _id order a chunk at a time."""
    bitmaps: dict[str, BitMap] = {}
    cursor = raw.execute(f"SELECT _id, _full_text FROM {_quote(table)} ORDER BY _id")
    while rows := cursor.fetchmany(CHUNK_ROWS):
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        if ids[-1] > _MAX_ID or ids[0] < 0:  # in _id order: the ends are the extremes
            raise ValueError("_id がビットマップの範囲を超えています (_id beyond 32 bits)")
        ids = ids.astype(np.uint32)
        for gram, holding in _chunk_grams(ids, [r[1] or "" for r in rows]):
            bitmap = bitmaps.get(gram)
            if bitmap is None:
                bitmaps[gram] = BitMap(_uint32(holding))
            else:
                bitmap.update(_uint32(holding))
    for bitmap in bitmaps.values():
        bitmap.run_optimize()
    return bitmaps


def _uint32(values: np.ndarray) -> array.array[int]:
    # pyroaring reads an array.array of unsigned ints as one buffer (numpy arrays value by value).
    return array.array("I", values.astype(np.uint32, copy=False).tobytes())


def _chunk_grams(ids: np.ndarray, texts: list[str]) -> Iterator[tuple[str, np.ndarray]]:
    """The chunk's grams, each with the _id of the rows holding it (in no particular order, a
    row maybe more than once). Characters are numbered densely so that grouping them is a
    radix sort of 16-bit keys, several times faster than sorting the gram codes themselves."""
    # NUL never occurs in a datastore text (SQLite stores it, but the ingest drops it), so it
    # separates the rows and no pair spans two. Lower-casing may change a text's length, so
    # rows are counted by their separators rather than by their lengths.
    codes = np.frombuffer(("\x00".join(texts).lower() + "\x00").encode("utf-32-le"), np.uint32)
    ends = codes == 0
    row_ids = ids[np.cumsum(ends) - ends]
    chars = np.flatnonzero(np.bincount(codes))
    key_type = np.uint16 if len(chars) <= 1 << 16 else np.uint32
    numbering = np.zeros(int(chars[-1]) + 1, dtype=key_type)
    numbering[chars] = np.arange(len(chars), dtype=key_type)
    dense = numbering[codes]
    present = ~ends
    yield from _grouped(chars, dense[present], None, row_ids[present])
    pair = present[:-1] & present[1:]
    yield from _grouped(chars, dense[:-1][pair], dense[1:][pair], row_ids[:-1][pair])


def _grouped(
    chars: np.ndarray, first: np.ndarray, second: np.ndarray | None, row_ids: np.ndarray
) -> Iterator[tuple[str, np.ndarray]]:
    if second is None:
        order = np.argsort(first, kind="stable")
    else:
        # Least significant key first: the stable sort by the first keeps the second's order.
        order = np.argsort(second, kind="stable")
        order = order[np.argsort(first[order], kind="stable")]
    firsts = first[order].astype(np.int64)
    keys = firsts if second is None else firsts * len(chars) + second[order]
    if not len(keys):
        return
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    ends = np.append(starts[1:], len(keys))
    sorted_ids = row_ids[order]
    texts = [chr(c) for c in chars.tolist()]
    first_chars = [texts[i] for i in firsts[starts].tolist()]
    if second is not None:
        first_chars = [
            f + texts[s] for f, s in zip(first_chars, second[order][starts].tolist(), strict=True)
        ]
    for gram, start, end in zip(first_chars, starts.tolist(), ends.tolist(), strict=True):
        yield gram, sorted_ids[start:end]


def _value_bitmaps(raw: Any, table: str, column: str) -> tuple[dict[str, BitMap], BitMap]:
    """Each value's rows, and the rows where the column is NULL."""
    by_value: dict[str, BitMap] = {}
    nulls = BitMap()
    for value, ids in raw.execute(
        f"SELECT {_quote(column)}, group_concat(_id) FROM {_quote(table)} GROUP BY 1"
    ):
        found = BitMap(_uint32(np.array(ids.split(","), dtype=np.int64)))
        if value is None:
            nulls = found
        else:
            by_value[str(value)] = found
    return by_value, nulls


def lookup(
    cursor: Any,
    table: str,
    words: list[str],
    slice_: tuple[int, int] | None,
    filters: dict[str, list[object]],
) -> tuple[int, list[int] | None] | None:
    """The number of rows holding every word (each one or two characters) and kept by every
    filter (``_id`` or a column with value bitmaps; text values or None), and with ``slice_``
    (offset, limit) the _id of those rows on that page in _id order; None when the postings
    cannot answer (none valid, a filter on another column, a word that folds longer)."""
    grams = list(dict.fromkeys(w.lower() for w in words))
    if not grams or any(not 0 < len(g) <= 2 for g in grams):
        return None
    cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name(table),))
    if cursor.fetchone() is None:
        return None
    wanted = [(MARKS, VALID), *((FULL_TEXT, g) for g in grams)]
    for column, values in filters.items():
        if column == "_id":
            continue
        wanted.append((MARKS, NULLS + column))
        wanted += [(column, v) for v in values if isinstance(v, str)]
    found = _read(cursor, table, wanted)
    if (MARKS, VALID) not in found:
        return None
    matched: BitMap | None = None
    for gram in grams:
        matched = _and(matched, found.get((FULL_TEXT, gram), BitMap()))
    for column, values in filters.items():
        if column == "_id":
            kept = BitMap(v for v in values if isinstance(v, int) and 0 <= v <= _MAX_ID)
        elif (MARKS, NULLS + column) not in found:
            return None  # no value bitmaps for this column
        else:
            kept = BitMap()
            for value in values:
                key = (MARKS, NULLS + column) if value is None else (column, value)
                kept |= found.get(key, BitMap())  # type: ignore[arg-type]
        matched = _and(matched, kept)
    assert matched is not None
    if slice_ is None:
        return len(matched), None
    offset, limit = slice_
    return len(matched), list(matched[offset : offset + limit])


def _and(matched: BitMap | None, other: BitMap) -> BitMap:
    return other if matched is None else matched & other


def _read(
    cursor: Any, table: str, wanted: list[tuple[str, object]]
) -> dict[tuple[str, str], BitMap]:
    rows = ", ".join("(?, ?)" for _ in wanted)
    cursor.execute(
        f'WITH wanted("column", value) AS (VALUES {rows}) '
        f'SELECT p."column", p.value, p.ids FROM wanted '
        f'JOIN {_quote(name(table))} AS p ON p."column" = wanted."column" AND p.value = wanted.value',
        [part for pair in wanted for part in pair],
    )
    return {(c, v): BitMap.deserialize(ids) for c, v, ids in cursor.fetchall()}
