"""Layout problems: title and unit rows, headers over several rows, merged cells, notes under
the table, unnamed or repeated column names, blank rows and rows of another width."""

from __future__ import annotations

from collections.abc import Sequence

from tsunagu.datastore.ingest.model import SourceInfo
from tsunagu.quality.validate.columns import Pending
from tsunagu.quality.validate.sink import Sink


class RowObserver:
    """Receives the blank and ragged rows the reader passes by (SourceInfo.row_observer) and
    turns those among the data into findings, batch by batch, so little is held at a time."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.blank: list[int] = []
        self.ragged: dict[int, int] = {}  # line → cells on it

    def __call__(self, line: int, cells: list[object]) -> None:
        if cells.count(None) == len(cells):
            self.blank.append(line)
        else:
            self.ragged[line] = len(cells)

    def resolve(self, lines: Sequence[int], out: list[Pending]) -> None:
        """Findings for the observed rows up to the last line of this batch of data rows.

        A blank row before a data row is inside the table; blank rows after the last data row
        (before notes, or at the end) are left alone. Ragged note rows are not data.
        """
        last = lines[-1]
        if self.blank:
            inside = [line for line in self.blank if line < last]
            self.blank = [line for line in self.blank if line > last]
            out.extend((line, -1, "layout.blank_row", "", None, None) for line in inside)
        if self.ragged:
            data = set(lines)
            width = self.width
            for line in [line for line in self.ragged if line <= last]:
                cells = self.ragged.pop(line)
                if line in data:
                    detail = f"{cells} 列。列名の行は {width} 列"
                    out.append((line, -1, "layout.ragged_row", "", None, detail))


def report_layout(info: SourceInfo, sink: Sink) -> None:
    """Findings from what the reader recorded about the layout (call after the rows ran out)."""
    titles = info.notes[: len(info.title_lines)]
    for line, text in zip(info.title_lines, titles, strict=False):
        sink.emit("layout.title_row", row=line, value=text)
    if info.unit_line is not None and info.notes_above > len(info.title_lines):
        sink.emit("layout.unit_row", row=info.unit_line, value=info.notes[len(info.title_lines)])
    if len(info.header_lines) > 1:
        lines = info.header_lines
        sink.emit("layout.multi_row_header", row=lines[0], detail=f"{lines[0]}〜{lines[-1]}")
    for first, last, column in info.merged_cells:
        where = f"{first}〜{last} 行目" if last > first else "横に並んだセル"
        sink.emit("layout.merged_cells", row=first, column=column, detail=where)
    for text in info.notes[info.notes_above :]:
        sink.emit("layout.notes_below", value=text)
    for position in info.unnamed_columns.values():
        sink.emit("layout.empty_column_name", row=info.header_line, detail=_position(position))
    for original in dict.fromkeys(info.renamed_columns.values()):
        sink.emit("layout.duplicate_column_name", row=info.header_line, column=original)


def _position(number: int) -> str:
    """「3」 → 「3（Excel の C）」: staff find columns by their letter."""
    letters = ""
    n = number
    while n > 0:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"{number}（Excel の {letters}）"
