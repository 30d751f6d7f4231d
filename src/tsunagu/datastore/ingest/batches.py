"""Converting the rows of a delimited text file a batch at a time, column by column.

Calling a converter per cell costs about half a microsecond before it does anything, and a
million-row file has ten million cells. Here each column of a batch is converted at once:

- a column whose cells are all clean needs no per-cell work: plain ASCII integers go through
  ``int`` and plain decimals through ``float`` in one ``map``, and text without full-width
  characters, padding or placeholders is stored as it was read — each decided by one scan of
  the column's cells joined together;
- any other column is looked up in a per-column table of converted values (a dict whose misses
  call the ordinary per-cell converter), so a 和暦 date, 「１，２００」 or 「△12」 is parsed
  once per distinct spelling and every repeat costs a dict lookup made from C.

The per-cell converters in :mod:`tsunagu.datastore.ingest.infer` stay the definition of what
is stored: a fast path only ever takes cells it would convert to exactly the same value. A batch
in which any cell does not convert is converted again row by row with them, so the error names
the first bad cell's line and column exactly as before.

Only text files use this: their cells are ``str`` or None. Spreadsheet and JSON cells (numbers,
booleans, dates) are converted per cell, since 1, 1.0 and True are one dict key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from operator import itemgetter
from typing import Protocol

from tsunagu.datastore.ingest.chunks import Chunk, Columns, chunked, columns_of
from tsunagu.datastore.ingest.eras import era_of
from tsunagu.datastore.ingest.halfwidth import fold_long
from tsunagu.datastore.ingest.infer import (
    MEMO_LIMIT,
    MEMO_MIN_HIT_SHARE,
    Converter,
    convert_row,
    converter,
)
from tsunagu.datastore.ingest.missing import _PLACEHOLDER_CHARS
from tsunagu.datastore.ingest.model import Cell, ColumnType, IngestError

Row = tuple[int, list[Cell]]
Values = Sequence[object]

# Cells of a column are joined for the scans below, with a separator that is neither whitespace
# nor a placeholder mark. A cell holding the separator itself can only make a scan find work
# where there is none.
_JOIN = "\x00"
# What normalize_text would change in a text cell: full-width ASCII or U+3000 to fold,
# whitespace at either end to strip, or a cell of nothing but placeholder marks (「－」「…」
# 「・」), which is missing. Each is looked for with a scan that is cheap when it finds nothing.
_FOLDABLE = re.compile("[\uff01-\uff5e\u3000]")
_PLACEHOLDER_FIRST = re.compile(_JOIN + "[" + re.escape(_PLACEHOLDER_CHARS) + "]")
# Decimals parse_numeric reads with float() and keeps as floats: ASCII, no grouping, exponent or
# spaces, and a fraction that is not all zeros (「12.0」 is the int 12). At most 7 + 8 digits,
# so no such value is rounded to an integral float.
_DECIMAL = r"-?[0-9]{1,7}\.(?=[0-9]*[1-9])[0-9]{1,8}"
_DECIMALS = re.compile(rf"{_DECIMAL}(?:{_JOIN}{_DECIMAL})*")
_DECIMAL_CELL = re.compile(_DECIMAL)
# The same with plain unsigned integers among them (parse_numeric gives those as int).
_NUMBER = rf"(?:[0-9]+|{_DECIMAL})"
_NUMBERS = re.compile(rf"{_NUMBER}(?:{_JOIN}{_NUMBER})*")
# Decimals whose float prints back exactly as written (str(float("34.5")) == "34.5"): no leading
# zero before a nonzero digit, no trailing zero, and not below 0.0001 (printed with an exponent).
# With at most 15 significant digits the shortest form that reads back is the written one.
_REPR = r"-?(?:0\.(?!0000)|[1-9][0-9]{0,6}\.)[0-9]{0,7}[1-9]"
_REPR_DECIMALS = re.compile(rf"{_REPR}(?:{_JOIN}{_REPR})*")
# The same but for trailing zeros ("34.10440"), which str(float) drops.
_REPR_PADDED = re.compile(rf"{_REPR}0*(?:{_JOIN}{_REPR}0*)*")
_TRAILING_ZEROS = re.compile(rf"0+(?={_JOIN}|\Z)")
# Cells both _DECIMALS and _REPR_PADDED take (1–8 fraction digits, as the lookahead asks), found
# with one scan: floats whose str() is the cell without its trailing zeros.
_PRINTED_DECIMAL = r"-?(?:0\.(?!0000)|[1-9][0-9]{0,6}\.)(?=[0-9]{1,8}(?![0-9]))[0-9]{0,7}[1-9]0*"
_PRINTED_DECIMALS = re.compile(rf"{_PRINTED_DECIMAL}(?:{_JOIN}{_PRINTED_DECIMAL})*")
# An integer written with a leading zero ("007" is stored as 7, printed "7").
_LEADING_ZERO = re.compile(_JOIN + "0[0-9]")
# Any other plain ASCII numbers (「34.00000」): parse_numeric's own fast path, cell by cell.
_PLAIN_NUMBERS = re.compile(rf"[0-9.\-{_JOIN}]*")


def _folded_text(present: list[str]) -> tuple[list[str] | None, str]:
    """What normalize_text makes of these (non-empty) cells when it is only folding: the very
    list given when it keeps every cell as it is, the folded cells when full-width ASCII is all
    it changes (folded in one str.translate over the column), None when some cell needs more
    (stripping, or a placeholder that makes it missing) and must be looked at on its own. With
    it, the cells it returns joined by _JOIN (what the scans looked at)."""
    joined = _JOIN.join(present)
    folded = fold_long(joined) if _FOLDABLE.search(joined) else joined
    # Looked for after folding, as normalize_text does: 「－」 is 「-」 and U+3000 a space then.
    if _PLACEHOLDER_FIRST.search(_JOIN + folded):
        return None, folded
    # str.strip returns the very same string when it has nothing to strip (and strips U+3000,
    # which folding makes a space). Stripping every cell from C is cheaper than a regex search
    # for whitespace over the joined column, which had to look at every character.
    if list(map(str.strip, present)) != present:
        return None, folded
    if folded is joined:
        return present, joined
    cells = folded.split(_JOIN)
    # A cell holding the separator itself splits in two: such a column is looked at per cell.
    return (cells if len(cells) == len(present) else None), folded


def _with_missing(cells: tuple[Cell, ...], present: list[str]) -> list[Cell]:
    """``present`` (the non-missing cells, converted) with None put back where ``cells`` has it."""
    values = iter(present)
    return [None if c is None else next(values) for c in cells]


class _Remembered(dict[Cell, object]):
    """Converted values by cell, for one column of one ingest: a miss converts the cell with the
    per-cell converter (errors propagate and are not kept)."""

    def __init__(self, convert: Converter) -> None:
        super().__init__()
        self.convert = convert
        self.misses = 0
        self[None] = convert(None)

    def __missing__(self, cell: Cell) -> object:
        value = self.convert(cell)
        self.misses += 1
        if len(self) < MEMO_LIMIT:
            self[cell] = value
        return value


class ColumnConverter:
    """Converts one column's cells a batch at a time (see the module docstring)."""

    def __init__(self, kind: ColumnType, convert: Converter) -> None:
        self.kind = kind
        self.convert = convert
        self.remembered: _Remembered | None = _Remembered(
            _by_day(convert) if kind == "date" else convert
        )
        self.lookups = 0
        # When known, str() of each value the last call returned (the cells it came from, or
        # nearly), for _full_text; and when a scan made it anyway, those texts joined by _JOIN
        # (none missing), which a reader process sends instead of joining them again.
        self.texts: Values | None = None
        self.joined: str | None = None

    def __call__(self, cells: tuple[Cell, ...]) -> Values:
        self.texts = self.joined = None
        kind = self.kind
        if kind in ("int", "numeric", "text"):
            present = list(filter(None, cells))
            complete = len(present) == len(cells)
            if not complete and len(present) + cells.count(None) != len(cells):
                return self._looked_up(cells)  # an empty string: not something a reader gives
            if kind == "text":
                folded, joined = _folded_text(present)  # type: ignore[arg-type]
                if folded is not None and complete:
                    self.joined = joined
                if folded is present:
                    self.texts = cells
                    return cells
                if folded is not None:
                    values = folded if complete else _with_missing(cells, folded)
                    self.texts = values
                    return values
            elif kind == "int":
                digits = "".join(present)
                if digits.isdigit() and digits.isascii():
                    if not _LEADING_ZERO.search(_JOIN + _JOIN.join(present)):
                        self.texts = cells
                    if complete:
                        return list(map(int, cells))
                    return [None if c is None else int(c) for c in cells]  # type: ignore[call-overload]
            else:
                joined = _JOIN.join(present)
                if complete and _PRINTED_DECIMALS.fullmatch(joined):
                    # The usual column of coordinates or rates: one scan instead of three.
                    if joined.endswith("0") or "0" + _JOIN in joined:
                        self.texts = list(map(str.rstrip, cells, repeat("0")))  # type: ignore[arg-type]
                    else:
                        self.texts, self.joined = cells, joined
                    return list(map(float, cells))  # type: ignore[arg-type]
                if complete and _DECIMALS.fullmatch(joined):
                    if _REPR_DECIMALS.fullmatch(joined):
                        self.texts, self.joined = cells, joined
                    elif _REPR_PADDED.fullmatch(joined):
                        self.joined = _TRAILING_ZEROS.sub("", joined)
                        self.texts = self.joined.split(_JOIN)
                    return list(map(float, cells))  # type: ignore[arg-type]
                if joined and _NUMBERS.fullmatch(joined):
                    return [
                        None if c is None else float(c) if "." in c else int(c)  # type: ignore[operator, arg-type, call-overload]
                        for c in cells
                    ]
                if _PLAIN_NUMBERS.fullmatch(joined):
                    # Mostly decimals with the odd 「131.00000」 (an int) among them: the
                    # decimals as above, each other cell by parse_numeric.
                    convert, decimal = self.convert, _DECIMAL_CELL.fullmatch
                    return [
                        None if c is None else float(c) if decimal(c) else convert(c)  # type: ignore[arg-type]
                        for c in cells
                    ]
        return self._looked_up(cells)

    def _looked_up(self, cells: Sequence[Cell]) -> Values:
        remembered = self.remembered
        if remembered is None:
            return list(map(self.convert, cells))
        values = list(map(remembered.__getitem__, cells))
        # As infer.memoized: a full table that has mostly missed (every value different) is
        # dropped and the column is converted directly from then on.
        self.lookups += len(cells)
        if len(remembered) >= MEMO_LIMIT:
            hits = self.lookups - remembered.misses
            if hits < MEMO_LIMIT * MEMO_MIN_HIT_SHARE / (1 - MEMO_MIN_HIT_SHARE):
                self.remembered = None
        return values


# A 和暦 date in the spellings municipal files use most (「平成27年4月22日」, 「H27.4.22」,
# 「H27/04/22」, full-width digits too): the era and three numbers, all parse_date reads of such
# a cell. Any other spelling is parsed as it is.
_ERA_DAY = re.compile(
    r"(明治|大正|昭和|平成|令和|[MTSHRmtshr])([0-9０-９]{1,2}|元)"
    r"(?:([-/.－／．])([0-9０-９]{1,2})\3([0-9０-９]{1,2})|年([0-9０-９]{1,2})月([0-9０-９]{1,2})日)"
)


def _by_day(convert: Converter) -> Converter:
    """``convert`` (parse_date, then the stored form) remembering its result per 和暦 day.

    A column of a million dates spells some fifty thousand different ways the ten thousand days
    it holds, and parsing a spelling costs about fifteen microseconds; reading the era and
    numbers out of it with one small regex costs a tenth of that. Cells of the same era, year,
    month and day convert to the same value (int() reads full-width digits as parse_date's
    folding does). Errors propagate and are not kept.
    """
    days: dict[tuple[str, int, int, int], object] = {}
    match = _ERA_DAY.fullmatch

    def convert_cell(cell: Cell) -> object:
        found = match(cell) if cell.__class__ is str else None  # type: ignore[arg-type]
        if found is None:
            return convert(cell)
        era, year, _, month, day, kanji_month, kanji_day = found.groups()
        key = (
            era_of(era).name,
            1 if year == "元" else int(year),
            int(month or kanji_month),
            int(day or kanji_day),
        )
        value = days.get(key, _UNSEEN)
        if value is _UNSEEN:
            value = convert(cell)
            if len(days) < MEMO_LIMIT:
                days[key] = value
        return value

    return convert_cell


_UNSEEN = object()


class BatchConverter(Protocol):
    def __call__(self, batch: list[Row], cells_by_column: Columns | None = None, /) -> Batch: ...


@dataclass
class Batch:
    """Converted rows, as one sequence of values per column."""

    columns: list[Values]
    rows: int
    # Per column, when known: the text of each value as str() gives it (the cells as read).
    texts: list[Values | None] = field(default_factory=list)
    # Per column, when known: those texts joined by "\x00" (see ColumnConverter.joined).
    joined: list[str | None] = field(default_factory=list, compare=False)
    # Columns still as read, for the process receiving the batch to convert (column_finisher),
    # and the rows' lines, to report a bad cell in them: first_line, first_line + 1, … unless
    # ``lines`` lists them (rows over several lines, or blank lines left out).
    raw: list[int] = field(default_factory=list)
    first_line: int = 0
    lines: list[int] | None = None

    def row_tuples(self) -> list[tuple[object, ...]]:
        return list(zip(*self.columns, strict=True))


def batch_converter(
    kinds: Sequence[ColumnType],
    converters: Sequence[Converter],
    names: Sequence[str],
    stored: Sequence[Callable[[object], object] | None],
    *,
    columnwise: bool,
    left_raw: Sequence[int] = (),
) -> BatchConverter:
    """A function converting a batch of (line, cells) rows.

    ``converters`` are the per-cell converters the ingest would otherwise apply (used for
    non-text sources and to report errors); ``stored`` per column, how the database binds a
    parsed value (None: as it is). ``columnwise``: the cells are all ``str`` or None.
    ``left_raw``: columns a clean batch leaves as read, for column_finisher to convert in the
    process the batch is sent to (a batch converted row by row has none left).
    """
    raw = sorted(left_raw)
    columns = [
        None if i in raw else ColumnConverter(kind, _stored_after(converter(kind), store))
        for i, (kind, store) in enumerate(zip(kinds, stored, strict=True))
    ]

    def per_row(batch: list[Row]) -> Batch:
        rows = [convert_row(converters, cells, line, names) for line, cells in batch]
        return Batch([list(c) for c in zip(*rows, strict=True)] if rows else [], len(rows))

    def convert(batch: list[Row], cells_by_column: Columns | None = None, /) -> Batch:
        """``cells_by_column``: the rows' cells column by column, when the reader has them."""
        if not columnwise or not batch:
            return per_row(batch)
        try:
            values: list[Values] = []
            texts: list[Values | None] = []
            joined: list[str | None] = []
            if cells_by_column is None:
                cells_by_column = list(zip(*map(itemgetter(1), batch), strict=True))
            for column, cells in zip(columns, cells_by_column, strict=True):
                if column is None:
                    values.append(cells)  # left as read
                    texts.append(None)
                    joined.append(None)
                else:
                    values.append(column(cells))
                    texts.append(column.texts)
                    joined.append(column.joined)
            converted = Batch(values, len(batch), texts, joined)
            if raw:
                first, last = batch[0][0], batch[-1][0]
                converted.raw, converted.first_line = raw, first
                if last - first != len(batch) - 1:
                    converted.lines = [line for line, _ in batch]
            return converted
        except ValueError:
            # A cell that does not convert (or a row of another width): row by row, so the first
            # bad cell is reported with its line and column.
            return per_row(batch)

    return convert


def column_finisher(
    kinds: Sequence[ColumnType],
    converters: Sequence[Converter],
    names: Sequence[str],
    stored: Sequence[Callable[[object], object] | None],
) -> Callable[[Batch], Batch]:
    """A function converting the columns a batch_converter(left_raw=…) left as read, as it
    would have converted them: the same values, and for a bad cell the same error (the first in
    row order: the other columns of the batch converted)."""
    columns = [
        ColumnConverter(kind, _stored_after(converter(kind), store))
        for kind, store in zip(kinds, stored, strict=True)
    ]

    def finish(batch: Batch) -> Batch:
        raw = batch.raw
        if not raw:
            return batch
        try:
            done = [(i, columns[i](batch.columns[i]), columns[i].texts) for i in raw]  # type: ignore[arg-type]
        except ValueError:
            lines = batch.lines or range(batch.first_line, batch.first_line + batch.rows)
            cells = list(zip(*(batch.columns[i] for i in raw), strict=True))
            rows = [
                convert_row([converters[i] for i in raw], row, line, [names[i] for i in raw])
                for line, row in zip(lines, cells, strict=True)
            ]
            done = [
                (i, list(values), None)
                for i, values in zip(raw, zip(*rows, strict=True), strict=True)
            ]
        for i, values, texts in done:
            batch.columns[i] = values
            batch.texts[i] = texts
        batch.raw = []
        return batch

    return finish


def _stored_after(convert: Converter, store: Callable[[object], object] | None) -> Converter:
    if store is None:
        return convert

    def convert_and_store(cell: Cell) -> object:
        value = convert(cell)
        return None if value is None else store(value)

    return convert_and_store


def batches(
    rows: Iterable[Row], size: int, convert: Callable[[list[Row]], Batch]
) -> Iterator[Batch]:
    """The rows converted ``size`` at a time, lazily (each batch is read when it is asked for)."""
    return chunk_batches(chunked(rows, size), size, lambda rows, _=None: convert(rows))


def chunk_batches(chunks: Iterable[Chunk], size: int, convert: BatchConverter) -> Iterator[Batch]:
    """The rows of ``chunks`` converted whole chunks at a time, at least ``size`` rows (but the
    last), lazily: each batch is read when it is asked for. When every chunk of a batch holds its
    columns (chunks.ColumnarChunk), ``convert`` is given them joined."""
    iterator = iter(chunks)
    while True:
        rows: list[Row] = []
        parts: list[Columns] | None = []
        try:
            while len(rows) < size and (chunk := next(iterator, None)) is not None:
                rows.extend(chunk)
                columns = columns_of(chunk)
                if columns is None or parts is None:
                    parts = None
                else:
                    parts.append(columns)
        except IngestError:
            # A file that stops being readable: the rows before the bad spot are converted
            # first, so a bad cell before it is still the error reported.
            if rows:
                yield convert(rows, None)
            raise
        if not rows:
            return
        if parts and len(parts) > 1:
            yield convert(rows, [tuple(chain.from_iterable(c)) for c in zip(*parts, strict=True)])
        else:
            yield convert(rows, parts[0] if parts else None)
