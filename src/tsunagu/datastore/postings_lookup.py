"""PostgreSQL: a q of one- and two-character words counted and paged from the table's postings
(datastore/postings.py builds them): the length of one array, the intersection of a few, and
the page a slice of it; filters met by the postings' value rows, or by the _id their indexes
give, merged in SQL or intersected in numpy."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from tsunagu.datastore.postings import VALID_MARK, name, value_key
from tsunagu.datastore.tables import quote

# One word with filters: up to this many rows holding the word, PostgreSQL merges its ids with
# the filtered rows' _id; beyond, unnesting the array costs more than sending it and the
# filtered _id to the process and intersecting them there (a million rows: 萩市, 37,711 rows,
# 12.8 ms merged against 15.9; 薬局, 63,365, 25.0 against 17.4; 公園, 126,090, 49.9 against 33.0).
MERGE_MAX_IDS = 50_000


def lookup(
    cursor: Any,
    table: str,
    words: list[str],
    slice_: tuple[int, int] | None,
    within: tuple[str, list[object]] | None = None,
    filters: dict[str, list[object]] | None = None,
) -> tuple[int, list[int] | None] | None:
    """The number of rows holding every word (each one or two characters), and with ``slice_``
    (offset, limit) the _id of those rows on that page in _id order; None when the table has no
    valid postings (then the caller uses the GIN index).

    ``within``: a statement (and its parameters) giving the _id of the rows the request's
    filters keep; only those rows count (read through an index on the filter's column, the
    table itself is not read). ``filters`` (text values or None, and _id integers): the same
    filters, met instead by the postings' value rows when every column but _id has them."""
    postings = quote(name(table))
    cursor.execute(
        "SELECT 1 FROM pg_class WHERE relname = %s AND relnamespace = current_schema()::regnamespace",
        (name(table),),
    )
    if cursor.fetchone() is None:
        return None
    distinct = list(dict.fromkeys(words))
    kept_by = _value_arrays(cursor, postings, filters) if filters else None
    if len(distinct) == 1 and kept_by is None:
        # The length and the page's slice of one array: nothing else is read.
        low, high = (slice_[0] + 1, slice_[0] + slice_[1]) if slice_ and not within else (1, 0)
        cursor.execute(
            f"SELECT w.i, cardinality(p.ids), p.ids[%s:%s] "
            f"FROM unnest(%s::text[]) WITH ORDINALITY AS w(word, i) "
            f"LEFT JOIN {postings} AS p ON p.gram = lower(w.word)",
            (low, high, [VALID_MARK, distinct[0]]),
        )
        found = {int(r[0]): r for r in cursor.fetchall()}
        if found[1][1] is None:
            return None
        word = found[2]
        if word[1] is None:
            return 0, [] if slice_ else None
        if within is None:
            return int(word[1]), (list(word[2] or []) if slice_ else None)
        if int(word[1]) <= MERGE_MAX_IDS:
            return _merged_with(cursor, postings, distinct[0], slice_, within)
    cursor.execute(
        f"SELECT w.i, array_send(p.ids) "
        f"FROM unnest(%s::text[]) WITH ORDINALITY AS w(word, i) "
        f"LEFT JOIN {postings} AS p ON p.gram = lower(w.word)",
        ([VALID_MARK, *distinct],),
        binary=True,  # bytea as it is, not in hex (half the bytes, no decoding)
    )
    found = {int(r[0]): r[1] for r in cursor.fetchall()}
    if found[1] is None:
        return None
    arrays = [_ids_of(found[i + 2]) for i in range(len(distinct))]
    arrays.sort(key=len)
    common = arrays[0]
    for other in arrays[1:]:
        common = _common(common, other)
    if kept_by is not None:
        for kept in sorted(kept_by, key=len):
            common = _common(common, kept)
    elif within is not None and len(common):
        statement, params = within
        cursor.execute(f"SELECT array_send(ARRAY({statement}))", params, binary=True)
        common = _common(common, np.sort(_ids_of(cursor.fetchone()[0])))
    page = common[slice_[0] : slice_[0] + slice_[1]].tolist() if slice_ else None
    return len(common), page


def _value_arrays(
    cursor: Any, postings: str, filters: dict[str, list[object]]
) -> list[np.ndarray] | None:
    """Each filter's rows (sorted _id), from the postings' value rows; None when a filter
    column has none (or only _id is filtered on: its statement merges a rare word in SQL)."""
    columns = [c for c in filters if c != "_id"]
    if not columns:
        return None
    keys = [value_key(c, None) for c in columns]
    keys += [value_key(c, str(v)) for c in columns for v in filters[c] if v is not None]
    cursor.execute(
        f"SELECT gram, array_send(ids) FROM {postings} WHERE gram = ANY(%s)", (keys,), binary=True
    )
    found = {str(gram): _ids_of(ids) for gram, ids in cursor.fetchall()}
    if any(value_key(c, None) not in found for c in columns):
        return None
    kept = []
    nothing = np.zeros(0, dtype=np.int64)
    for column, values in filters.items():
        if column == "_id":
            kept.append(np.unique(np.asarray(values, dtype=np.int64)))
            continue
        parts = [
            found.get(value_key(column, None if v is None else str(v)), nothing) for v in values
        ]
        kept.append(parts[0] if len(parts) == 1 else np.unique(np.concatenate(parts)))
    return kept


def _merged_with(
    cursor: Any,
    postings: str,
    word: str,
    slice_: tuple[int, int] | None,
    within: tuple[str, list[object]],
) -> tuple[int, list[int] | None]:
    """One word and filters, in PostgreSQL: the word's ids merged with the filtered rows' _id,
    both in _id order (the filter column's (column, _id) index gives them so), without reading
    the table. The planner takes unnest() for 10 rows and would look each filtered row up in the
    other side (a nested loop: 170 ms for 126,090 on a million rows, against 3–11 ms merged), so
    nested loops are off for these statements only."""
    statement, params = within
    matched = (
        f"FROM ({statement} ORDER BY 1) AS f(id) "
        f"JOIN (SELECT unnest(ids)::int8 FROM {postings} WHERE gram = lower(%s)) AS m(id) "
        f"ON m.id = f.id"
    )
    cursor.execute("SELECT current_setting('enable_nestloop')")
    before = cursor.fetchone()[0]
    cursor.execute("SELECT set_config('enable_nestloop', 'off', true)")
    try:
        rows: list[Any] = []
        if slice_ is not None and slice_[1] > 0:
            # The page, each row with the total: one pass over the join.
            cursor.execute(
                f"SELECT f.id, count(*) OVER () {matched} ORDER BY f.id LIMIT %s OFFSET %s",
                [*params, word, slice_[1], slice_[0]],
            )
            rows = cursor.fetchall()
        if rows:
            total = int(rows[0][1])
        else:
            cursor.execute(f"SELECT count(*) {matched}", [*params, word])
            total = int(cursor.fetchone()[0])
        page = [int(row[0]) for row in rows] if slice_ is not None else None
    finally:
        cursor.execute("SELECT set_config('enable_nestloop', %s, true)", (before,))
    return total, page


def _common(few: np.ndarray, many: np.ndarray) -> np.ndarray:
    """The values of a sorted array also in another sorted one (a binary search of each of the
    fewer in the more: a few milliseconds for 126,090 among 966,114, where np.intersect1d sorts
    both together)."""
    if len(few) > len(many):
        few, many = many, few
    if not len(many):
        return many
    places = np.minimum(np.searchsorted(many, few), len(many) - 1)
    return few[many[places] == few]


def _ids_of(sent: bytes | None) -> np.ndarray:
    """The values of array_send() of an int4[] or int8[]: a 12-byte header (the element type's
    oid last), 8 bytes per dimension, then each value after its 4-byte length."""
    if sent is None:
        return np.zeros(0, dtype=np.int64)
    data = bytes(sent)
    dimensions, _nulls, element = struct.unpack(">iii", data[:12])
    if dimensions == 0:
        return np.zeros(0, dtype=np.int64)
    if element == 20:  # int8: each value is 12 bytes (length, then 8)
        rows = np.frombuffer(data, dtype=np.uint8, offset=12 + 8 * dimensions).reshape(-1, 12)
        return rows[:, 4:].copy().view(">i8").ravel().astype(np.int64)
    values = np.frombuffer(data, dtype=">i4", offset=12 + 8 * dimensions)
    return values[1::2].astype(np.int64)
