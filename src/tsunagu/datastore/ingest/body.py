"""Streaming the data rows of a table once its layout is known.

Rows are cut to the table's columns. Notes under the table (「※出典…」, a lone remark) and blank
rows are only recognisable as such at the end, so rows that look like them are held back: when a
normal data row follows they are released as data (blank rows are dropped), and whatever is
still held at the end of the file becomes info.notes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from operator import itemgetter

from tsunagu.datastore.ingest.cells import _MARK_STARTS, EXCEL_ERRORS, note_kind, row_text
from tsunagu.datastore.ingest.chunks import Chunk, columns_of
from tsunagu.datastore.ingest.model import Cell, IngestError, Layout, Row, SourceInfo

MAX_HELD = 1000  # a block of note-like rows longer than this is data, whatever it looks like


class _Tally:
    """Counts a per-row problem and remembers the first lines, for one warning at the end."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.count = 0
        self.lines: list[int] = []

    def add(self, line: int) -> None:
        self.count += 1
        if len(self.lines) < 5:
            self.lines.append(line)

    def report(self, warnings: list[str]) -> None:
        if self.count:
            where = "、".join(str(n) for n in self.lines) + ("…" if self.count > 5 else "")
            warnings.append(f"{self.message}（{self.count} 行: {where} 行目）")


# A first cell starting like a note mark (※, 注, 出典 …; cells.note_kind) or with a space.
_MARK_FIRST = re.compile("\x00[" + re.escape("".join(sorted(_MARK_STARTS))) + "]")


def _plain_chunk(chunk: Chunk, width: int) -> bool:
    """Whether every row of `chunk` is a data row that cut() passes through unchanged: `width`
    cells (the table's, in the table's order), the first and some other column filled in every
    row (so none is blank or a lone remark), no first cell that could start a note, and no Excel
    error value. Checked a column at a time, with scans that are cheap when they find nothing."""
    columns = columns_of(chunk)
    if columns is None:
        rows = list(map(itemgetter(1), chunk))
        if set(map(len, rows)) != {width}:
            return False
        columns = list(zip(*rows, strict=True))
    elif len(columns) != width:
        return False
    first = columns[0]
    if None in first or all(None in column for column in columns[1:]):
        return False
    try:
        if _MARK_FIRST.search("\x00" + "\x00".join(first)):  # type: ignore[arg-type]
            return False
    except TypeError:  # a number or date first: not a note, but not worth telling apart here
        return False
    for column in columns:
        try:
            if "#" not in "".join(filter(None, column)):  # type: ignore[arg-type]
                continue  # every Excel error value starts with "#"
        except TypeError:
            pass
        if not EXCEL_ERRORS.isdisjoint(column):
            return False
    return True


def iter_body(
    chunks: Iterator[Chunk], layout: Layout, info: SourceInfo, *, max_cells: int, ragged: bool
) -> Iterator[Chunk]:
    """Chunks of data rows of exactly len(layout.columns) cells; notes and warnings go to `info`
    at the end.

    `ragged`: rows have as many cells as the source line had fields (text files), so a row of
    another length than the header is reported.
    """
    cols = layout.source_cols
    ncols = len(cols)
    identity = cols == list(range(ncols))
    first_col = cols[0] if cols else 0
    header_width = layout.header_width
    named_width = layout.named_width
    max_rows = max_cells // max(ncols, 1)
    short = _Tally("列の数が見出しより少ない行がありました。足りない値は空欄にしました")
    long = _Tally("列の数が見出しより多い行がありました。余分な空欄は無視しました")
    dropped = _Tally("表の列の外にある値を読み飛ばしました")
    errors = _Tally("Excel のエラー値（#N/A など）を空欄にしました")
    held: list[tuple[int, list[Cell]]] = []  # note-like rows waiting for what follows
    in_tail = False  # a blank or marked row was seen since the last data row
    wide_width = max(header_width, cols[-1] + 1 if cols else 0)
    count = 0

    def cut(line: int, cells: list[Cell], filled: int) -> Row | None:
        """`filled`: how many cells are not None (the caller counted them already)."""
        nonlocal count
        if identity and len(cells) == ncols:
            out = cells
            kept = filled  # the same list
        else:
            size = len(cells)
            out = [cells[i] if i < size else None for i in cols]
            kept = ncols - out.count(None)
        lost = kept < filled
        if lost:
            dropped.add(line)
            if not kept:
                return None  # nothing of it is in the table
        if ragged:
            if len(cells) < named_width:
                short.add(line)
            elif len(cells) > wide_width and not lost:
                long.add(line)
        if not EXCEL_ERRORS.isdisjoint(out):  # a set operation: cheap on every row
            out = [None if c in EXCEL_ERRORS else c for c in out]
            errors.add(line)
        count += 1
        if count > max_rows:
            raise IngestError(f"セルの数が上限（{max_cells:,}）を超えています", line=line)
        return line, out

    # Rows cut() would pass through unchanged need no look one by one (see _plain_chunk).
    plain_possible = identity and ncols >= max(2, named_width)
    for chunk in chunks:
        if (
            plain_possible
            and not held
            and count + len(chunk) <= max_rows
            and _plain_chunk(chunk, ncols)
        ):
            count += len(chunk)
            in_tail = False
            yield chunk
            continue
        data: Chunk = []
        try:
            for line, cells in chunk:
                filled = len(cells) - cells.count(None)
                if not filled:
                    in_tail = True  # blank rows are dropped; in the middle of the data too
                    continue
                note, marked = note_kind(cells, filled, ncols, first_col, in_tail)
                if note and len(held) < MAX_HELD:
                    held.append((line, cells))
                    in_tail = in_tail or marked
                    continue
                # A data row: what was held was data after all.
                for held_line, held_cells in held:
                    if row := cut(held_line, held_cells, len(held_cells) - held_cells.count(None)):
                        data.append(row)
                held.clear()
                in_tail = False
                if row := cut(line, cells, filled):
                    data.append(row)
        except IngestError:
            if data:
                yield data  # the rows before the one over the limit come first
            raise
        if data:
            yield data

    info.notes.extend(row_text(cells) for _, cells in held)
    for tally in (short, long, dropped, errors):
        tally.report(info.warnings)
