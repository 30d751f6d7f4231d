"""Finding the table among the first rows of a file, whatever its format.

Municipal tables are made for printing: a title and a unit line above the header, headers over
two or three rows where Excel merged cells, spacer columns, and notes under the data. Detection
looks at a bounded lookahead of rows; the rest of the file streams through `body.iter_body`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from datetime import date

from tsunagu.datastore.ingest.body import iter_body
from tsunagu.datastore.ingest.cells import (
    header_text,
    is_datalike,
    is_headerish,
    is_number_text,
    is_titleish,
    is_unit_row,
    note_kind,
    row_text,
)
from tsunagu.datastore.ingest.chunks import Chunk, RowStream
from tsunagu.datastore.ingest.model import (
    Cell,
    IngestError,
    Layout,
    Merge,
    RawTable,
    Row,
    SourceInfo,
)

NO_TABLE = "表が見つかりません（1行目に列名を置いてください）"
LOOKAHEAD_ROWS = 2000  # rows held back for detection; extra columns are looked for here
SCAN_ROWS = 200  # the header is looked for among these
MAX_ROWS_ABOVE = 50  # non-blank rows allowed above the header (titles, units, remarks)
MAX_HEADER_ROWS = 3


def _filled(cells: Sequence[Cell]) -> list[int]:
    return [i for i, c in enumerate(cells) if c is not None]


def detect_layout(
    rows: Sequence[Row], *, merges: Sequence[Merge] = (), col_offset: int = 0
) -> Layout:
    """Where the header and the data are in `rows` (the first rows of a sheet or file).

    `merges` are merged cell ranges (spreadsheets) in the rows' coordinates; `col_offset` is the
    source column of cell 0, for naming unnamed columns after their position in the file.
    """
    scan = rows[:SCAN_ROWS]
    filled = [_filled(cells) for _, cells in scan]
    nonblank = [k for k, f in enumerate(filled) if f]
    wide = [f for f in filled if len(f) >= 2]
    if not wide:
        raise IngestError(NO_TABLE)
    left = min(f[0] for f in wide)
    # The usual width of multi-cell rows; a stray far-right cell should not set it.
    spans = sorted(f[-1] - left + 1 for f in wide)
    width = spans[int(0.9 * (len(spans) - 1))]
    need = max(2, math.ceil(0.6 * width))

    candidates = [k for k in nonblank[:MAX_ROWS_ABOVE] if len(filled[k]) >= need]
    header = next((k for k in candidates if _headerish_row(scan[k][1], filled[k])), None)
    if header is None:
        # Time series headed by dates (「地区」「2023/4/1」「2023/5/1」…): a text label first
        # and no plain numbers.
        header = next((k for k in candidates if _dated_header(scan[k][1], filled[k])), None)
    if header is None:
        raise IngestError(NO_TABLE)
    top = _extend_up(scan, filled, header, left)
    last = _extend_down(scan, filled, nonblank, top, header)
    header_rows = list(range(top, last + 1))
    body_start = last + 1
    unit_note = None
    unit_line = None
    if (
        body_start < len(scan)
        and filled[body_start]
        and is_unit_row(scan[body_start][1], filled[body_start])
    ):
        # A unit row right under the header would make every numeric column look like text.
        unit_note = row_text(scan[body_start][1])
        unit_line = scan[body_start][0]
        body_start += 1

    layout = Layout(
        columns=[],
        source_cols=[],
        header_line=scan[last][0],
        header_width=len(scan[last][1]),
        named_width=0,
        body_start=body_start,
        body_rows=0,
    )
    layout.notes = [row_text(scan[k][1]) for k in nonblank if k < top]
    layout.title_lines = [scan[k][0] for k in nonblank if k < top]
    layout.header_lines = [scan[h][0] for h in header_rows]
    layout.unit_line = unit_line
    if unit_note:
        layout.notes.append(unit_note)
    grid = _header_grid(scan, header_rows, merges)
    _name_columns(rows, grid, layout, col_offset)
    return layout


def _headerish_row(cells: Sequence[Cell], filled: list[int]) -> bool:
    return sum(is_headerish(cells[i]) for i in filled) * 2 >= len(filled) + 1


def _dated_header(cells: Sequence[Cell], filled: list[int]) -> bool:
    first, rest = cells[filled[0]], [cells[i] for i in filled[1:]]
    return (
        isinstance(first, str)
        and not is_datalike(first)
        and all(isinstance(c, date) or (isinstance(c, str) and not is_number_text(c)) for c in rest)
        and len({str(c) for c in rest}) == len(rest)
    )


def _extend_up(scan: Sequence[Row], filled: list[list[int]], header: int, left: int) -> int:
    """Include sparse rows right above the header that span it (「人口」 over 「男」「女」).

    A lone cell counts only away from the table's left edge, where titles sit.
    """
    top = header
    while header - top < MAX_HEADER_ROWS - 1 and top > 0:
        above, cells = filled[top - 1], scan[top - 1][1]
        lone_title = len(above) == 1 and above[0] <= left
        if (
            not above
            or lone_title
            or is_titleish(cells)
            or not all(is_headerish(cells[i]) for i in above)
        ):
            break
        taken = set(above)
        if not any(i not in taken and i > above[0] for i in filled[top]):
            break  # no gap above a header cell, so nothing is spanned
        top -= 1
    return top


def _extend_down(
    scan: Sequence[Row], filled: list[list[int]], nonblank: list[int], top: int, last: int
) -> int:
    """Include sub-header rows: text only, under the gaps of a spanning row, empty where a
    header above is vertically merged, and unlike the data row after them."""
    while last - top < MAX_HEADER_ROWS - 1 and last + 1 < len(scan) and filled[last + 1]:
        j = last + 1
        below, cells = filled[j], scan[j][1]
        if not all(is_headerish(cells[i]) for i in below):
            break
        previous = set(filled[last])
        named = set().union(*(filled[h] for h in range(top, last + 1)))
        under_gap = any(i not in previous and any(p < i for p in previous) for i in below)
        own_gap = any(i not in set(below) for i in named)
        if not (under_gap and own_gap):
            break
        after = next((k for k in nonblank if k > j), None)
        if after is not None:
            data = scan[after][1]
            if not (
                any(is_datalike(data[i]) for i in filled[after]) or len(below) < len(filled[after])
            ):
                break
        last = j
    return last


def _header_grid(
    scan: Sequence[Row], header_rows: list[int], merges: Sequence[Merge]
) -> list[list[str | None]]:
    """Header texts, one list per header row, with spanned (merged) cells filled in."""
    width = max(len(scan[h][1]) for h in header_rows)
    grid = [
        [header_text(c) for c in scan[h][1]] + [None] * (width - len(scan[h][1]))
        for h in header_rows
    ]
    if len(grid) == 1:
        return grid
    lines = {scan[h][0]: n for n, h in enumerate(header_rows)}
    used = False
    for line0, col0, line1, col1 in merges:
        if line0 not in lines or col0 >= width:
            continue
        source = grid[lines[line0]][col0]
        for line in range(line0, line1 + 1):
            if line in lines:
                for col in range(col0, min(col1, width - 1) + 1):
                    grid[lines[line]][col] = source
                    used = True
    if used:
        return grid
    # No merge information (CSV, ODS): a cell of an upper row spans the empty cells to its right
    # that have a sub-header below them.
    for n, row in enumerate(grid[:-1]):
        for i in range(1, width):
            if row[i] is None and row[i - 1] is not None and any(r[i] for r in grid[n + 1 :]):
                row[i] = row[i - 1]
    return grid


def _name_columns(
    rows: Sequence[Row], grid: list[list[str | None]], layout: Layout, col_offset: int
) -> None:
    width = len(grid[0])
    names: list[str | None] = []
    for i in range(width):
        parts = [row[i] for row in grid if row[i] is not None]
        parts = [p for n, p in enumerate(parts) if n == 0 or p != parts[n - 1]]
        names.append("_".join(parts) if parts else None)

    # Which columns hold data in the lookahead (notes below the table do not count).
    has_data: set[int] = set()
    tail = False
    first_named = next((i for i, n in enumerate(names) if n), 0)
    for _, cells in rows[layout.body_start :]:
        filled = _filled(cells)
        if not filled:
            tail = True
            continue
        note, marked = note_kind(cells, len(filled), width, first_named, tail)
        if note:
            tail = tail or marked
            continue
        tail = False
        layout.body_rows += 1
        has_data.update(filled)

    named = [i for i, n in enumerate(names) if n]
    layout.named_width = max(named) + 1
    lo = min([*named, *has_data])
    hi = max([*named, *has_data])
    unnamed, added = [], []
    for i in range(lo, hi + 1):
        name = names[i] if i < width else None
        if name is None and i not in has_data:
            continue  # spacer column: nothing above, nothing below
        if name is None:
            name = f"列{i + 1 + col_offset}"
            layout.unnamed[name] = i + 1 + col_offset
            (added if i >= width or i > max(named) else unnamed).append(name)
        layout.columns.append(name)
        layout.source_cols.append(i)
    if unnamed:
        layout.warnings.append(f"列名が空の列に仮の名前を付けました: {'、'.join(unnamed)}")
    if added:
        layout.warnings.append(f"列名より右にも値があったため列を追加しました: {'、'.join(added)}")
    layout.columns = unique_names(layout.columns, layout.warnings, layout.renamed)


def unique_names(
    names: Sequence[str], warnings: list[str], renamed_to: dict[str, str] | None = None
) -> list[str]:
    """Make names unique: the second 「名前」 becomes 「名前_2」, and so on.

    `renamed_to`, when given, receives new name → name as written for each renamed column.
    """
    taken = set(names)
    seen: set[str] = set()
    out, renamed = [], []
    for name in names:
        if name in seen:
            n = 2
            while f"{name}_{n}" in taken:
                n += 1
            renamed.append(f"{name} → {name}_{n}")
            if renamed_to is not None:
                renamed_to[f"{name}_{n}"] = name
            name = f"{name}_{n}"
            taken.add(name)
        seen.add(name)
        out.append(name)
    if renamed:
        warnings.append(f"同じ列名があったため名前を変えました: {'、'.join(renamed)}")
    return out


def build_table(
    chunks: Iterator[Chunk],
    info: SourceInfo,
    *,
    max_cells: int,
    ragged: bool,
    merges: Sequence[Merge] = (),
    col_offset: int = 0,
    head: list[Row] | None = None,
) -> RawTable:
    """Detect the layout on a lookahead of the rows and stream the rest as the table body.

    `head` is a lookahead the caller already took from `chunks`; more are taken if it is short.
    """
    head = list(head or [])
    while len(head) < LOOKAHEAD_ROWS and (chunk := next(chunks, None)) is not None:
        head.extend(chunk)
    head, beyond = head[:LOOKAHEAD_ROWS], head[LOOKAHEAD_ROWS:]
    layout = detect_layout(head, merges=merges, col_offset=col_offset)
    info.header_line = layout.header_line
    info.notes.extend(layout.notes)
    info.warnings.extend(layout.warnings)
    _record_layout(info, layout, merges)
    taken = [chunk for chunk in (head[layout.body_start :], beyond) if chunk]
    body = _observed(itertools.chain(taken, chunks), info)
    return RawTable(
        columns=layout.columns,
        rows=RowStream(iter_body(body, layout, info, max_cells=max_cells, ragged=ragged)),
        info=info,
    )


def _record_layout(info: SourceInfo, layout: Layout, merges: Sequence[Merge]) -> None:
    """Copy what the quality checks report (title rows, header rows, merges …) into `info`."""
    info.notes_above = len(layout.notes)
    info.title_lines = layout.title_lines
    info.header_lines = layout.header_lines
    info.unit_line = layout.unit_line
    info.unnamed_columns = layout.unnamed
    info.renamed_columns = layout.renamed
    info.header_width = layout.header_width
    top = layout.header_lines[0] if layout.header_lines else layout.header_line
    name_at = dict(zip(layout.source_cols, layout.columns, strict=True))
    for line0, col0, line1, col1 in merges:
        if line1 < top or (line0 == line1 and col0 == col1):
            continue  # title rows above the table are reported on their own
        name = next((name_at[c] for c in range(col0, col1 + 1) if c in name_at), None)
        if name is not None:
            info.merged_cells.append((line0, line1, name))


def _observed(chunks: Iterator[Chunk], info: SourceInfo) -> Iterator[Chunk]:
    """The chunks, showing blank and ragged rows to `info.row_observer` when a consumer set one
    (a chunk's rows before the chunk goes on).

    The observer is looked up at the first chunk, after read_table has returned, so the ingest
    (which sets none) pays nothing per row.
    """
    observe = info.row_observer
    if observe is None:
        yield from chunks
        return
    width = info.header_width
    for chunk in chunks:
        for line, cells in chunk:
            if len(cells) != width or cells.count(None) == width:
                observe(line, cells)
        yield chunk
