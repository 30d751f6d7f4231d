"""Delimited text (CSV, TSV, semicolon- or pipe-separated TXT) as a stream of rows."""

from __future__ import annotations

import csv
import io
import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from tsunagu.datastore.ingest.chunks import CHUNK_ROWS, Chunk, ColumnarChunk, Columns
from tsunagu.datastore.ingest.decode import iter_lines, sniff_encoding
from tsunagu.datastore.ingest.layout import build_table
from tsunagu.datastore.ingest.model import IngestError, RawTable, Row, SourceInfo

SNIFF_CHARS = 65536
DELIMITERS = ",\t;|"
EMPTY = "ファイルが空です"


@dataclass
class TextStart:
    """A text file opened for streaming: its encoding and first lines, and the rest."""

    encoding: str
    head: list[str]
    rest: Iterator[str]
    complete: bool  # head is the whole file

    @property
    def sample(self) -> str:
        return "".join(self.head)


def open_text(raw: BinaryIO) -> TextStart:
    encoding = sniff_encoding(raw)
    lines = iter_lines(raw, encoding)
    head: list[str] = []
    size = 0
    for line in lines:
        head.append(line)
        size += len(line)
        if size >= SNIFF_CHARS:
            return TextStart(encoding, head, lines, complete=False)
    return TextStart(encoding, head, iter(()), complete=True)


def _field_counts(sample: str, delimiter: str, complete: bool) -> list[int]:
    try:
        rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
    except csv.Error:
        return []
    if not complete and rows:
        rows.pop()  # probably cut by the end of the sample
    return [len(r) for r in rows if any(f.strip() for f in r)]


def _consistency(counts: list[int]) -> tuple[int, int]:
    """(rows having the most common field count, that count), when that count is ≥ 2."""
    common = [(n, width) for width, n in Counter(counts).most_common() if width >= 2]
    return max(common) if common else (0, 0)


def choose_delimiter(sample: str, declared: str | None, complete: bool) -> str:
    if declared == "TSV":
        return "\t"
    scores = {d: _consistency(_field_counts(sample, d, complete)) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: scores[d])  # ties: earlier in DELIMITERS
    if scores[best][0] == 0:
        return ","  # one column, or no table at all: layout detection will say so
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return best
    # The Sniffer sees quoting the counts miss, but is fooled by prose; trust it only when its
    # delimiter also splits the lines consistently.
    return sniffed if scores[sniffed][0] >= 0.9 * scores[best][0] else best


MAX_CELL_CHARS = 131_072  # the csv module's own default


class _Reader(Protocol):
    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...


def _numbered(reader: _Reader, newline: str = "\n") -> Iterator[Chunk]:
    """Chunks of (line, cells) for the records, with empty and whitespace-only fields as None.

    ``newline``: the file's line end as iter_lines splits it ("\n", or "\r" for classic Mac
    files). When a chunk consumed as many lines as it has rows (no quoted field spans lines, as
    in most files) the rows are numbered from where the chunk started, and otherwise each row
    spans one line more than it holds line ends: every line end in a row's text is one the
    reader went past within a quoted field. A record that cannot be read ends its chunk early:
    the rows before it come first, then the error.
    """
    start = 1  # the line a row starts on: quoted fields may span lines
    while True:
        chunk: list[list[str]] = []
        error: Exception | None = None
        before = reader.line_num
        try:
            chunk.extend(itertools.islice(reader, CHUNK_ROWS))
        except (csv.Error, IngestError) as exc:
            error = exc
        numbered: list[Row]
        if error is None and reader.line_num - before == len(chunk):
            rows, columns = _blanked(chunk)
            lines = range(start, start + len(chunk))
            if columns is None:
                numbered = list(zip(lines, rows, strict=True))
            else:
                numbered = ColumnarChunk(zip(lines, rows, strict=True), columns)
            start += len(chunk)
        else:
            numbered = []
            spans = [1 + sum(f.count(newline) for f in fields) for fields in chunk]
            for fields, span in zip(_blanked(chunk)[0], spans, strict=True):
                numbered.append((start, fields))
                start += span
        if numbered:
            yield numbered
        if isinstance(error, csv.Error):
            raise _unreadable(error, start) from None
        if error is not None:
            raise error
        if not chunk:
            return


def _unreadable(error: csv.Error, line: int) -> IngestError:
    message = str(error)
    if "field larger than field limit" in message:
        message = '1 つのセルが大きすぎます（引用符 " が閉じられていないのかもしれません）'
    else:
        message = f"CSV として読めません（{message}）"
    return IngestError(message, line=line)


# dict.get(cell, cell) with this: None for an empty cell, the cell itself otherwise.
_EMPTY_IS_NONE: dict[str, None] = {"": None}


def _blanked(chunk: list[list[str]]) -> tuple[list[list[str | None]], Columns | None]:
    """The rows with empty and whitespace-only fields replaced by None, and the same cells column
    by column (None for ragged rows).

    Most columns of a chunk have neither, which two scans made from C find out (``in`` and
    str.isspace over the column; a regex over the joined column first was slower). A column
    with only empty cells among them is blanked by a map from C, one with whitespace cell by
    cell, and then the rows are made again from the columns.
    """
    try:
        columns: Columns = list(zip(*chunk, strict=True))
    except ValueError:  # ragged rows: cell by cell
        return [[f if f and not f.isspace() else None for f in fields] for fields in chunk], None
    blanked = False
    for i, column in enumerate(columns):
        if any(map(str.isspace, column)):
            columns[i] = tuple([None if not f or f.isspace() else f for f in column])  # type: ignore[union-attr]
        elif "" in column:
            columns[i] = tuple(map(_EMPTY_IS_NONE.get, column, column))
        else:
            continue
        blanked = True
    if not blanked:
        return chunk, columns  # type: ignore[return-value]
    return list(map(list, zip(*columns, strict=True))), columns


def read_delimited(start: TextStart, declared: str | None, *, max_cells: int) -> RawTable:
    sample = start.sample
    if not sample.strip():
        raise IngestError(EMPTY)
    delimiter = choose_delimiter(sample, declared, start.complete)
    info = SourceInfo(
        format="TSV" if delimiter == "\t" else "CSV", encoding=start.encoding, delimiter=delimiter
    )
    # The cell limit is process-wide and other libraries raise it on import (frictionless
    # does), so set ours on every read: an unclosed quote must stop at one cell's worth.
    csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.reader(itertools.chain(start.head, start.rest), delimiter=delimiter)
    # iter_lines ends every line but a file's last with the file's newline.
    newline = "\r" if start.head[0].endswith("\r") else "\n"
    return build_table(_numbered(reader, newline), info, max_cells=max_cells, ragged=True)
