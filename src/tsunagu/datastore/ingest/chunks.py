"""A table's rows made and passed on a chunk (a list of rows) at a time.

Read row by row, each row of a file passed through half a dozen generators (numbering, the
body's notes, the layout's observer, the file's closing, the batches), each resumed once a row.
Readers make rows in chunks anyway (the csv module's rows are blanked and numbered a thousand at
a time), so the stages hand chunks on and flatten them only for a consumer that asks for rows;
a clean chunk also carries its columns, which the stages that look at columns would otherwise
make again (benchmarks/reader_instructions.py counts what this saves).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from tsunagu.datastore.ingest.model import Cell, Row

Chunk = list[Row]
Columns = list[tuple[Cell, ...]]

CHUNK_ROWS = 1000  # rows per chunk where a stage makes chunks of its own


class ColumnarChunk(list[Row]):
    """A chunk that also holds its cells column by column, as the reader had them: the stages
    that look at columns (the body's check, the conversion) then need not transpose the rows
    again. The columns are as the rows are; a stage that changes rows makes a new plain list."""

    __slots__ = ("columns",)

    def __init__(self, rows: Iterable[Row], columns: Columns) -> None:
        super().__init__(rows)
        self.columns = columns


def columns_of(chunk: Chunk) -> Columns | None:
    return chunk.columns if isinstance(chunk, ColumnarChunk) else None


class RowStream:
    """Rows made in chunks: iterating it gives the rows (flattened from C), ``chunks()`` the
    chunks themselves. Use one or the other: the chunks cannot be had once rows were taken."""

    def __init__(self, chunks: Iterator[Chunk]) -> None:
        self._chunks = chunks
        self._rows: Iterator[Row] | None = None

    def __iter__(self) -> Iterator[Row]:
        if self._rows is None:
            self._rows = itertools.chain.from_iterable(self._chunks)
        return self._rows

    def __next__(self) -> Row:
        return next(iter(self))

    def chunks(self) -> Iterator[Chunk]:
        if self._rows is not None:
            raise RuntimeError("rows were already taken one at a time")
        return self._chunks

    def close(self) -> None:
        """Closes the reader (the file); nothing more comes, not even the rest of a chunk whose
        first rows were taken."""
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()
        self._chunks = iter(())
        if self._rows is not None:
            self._rows = iter(())


def chunked(rows: Iterable[Row], size: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """``rows`` in chunks of ``size`` (the last may be shorter). A row that fails to come (an
    IngestError from the reader) ends the chunk early: the rows before it come first, then the
    error, as when rows are taken one at a time."""
    iterator = iter(rows)
    while True:
        chunk: Chunk = []
        try:
            chunk.extend(itertools.islice(iterator, size))
        except Exception:
            if chunk:
                yield chunk
            raise
        if not chunk:
            return
        yield chunk


def row_chunks(rows: Iterator[Row] | Any) -> Iterator[Chunk]:
    """The chunks of a RawTable's rows: its own if it made them (RowStream), else ``chunked``."""
    if isinstance(rows, RowStream):
        return rows.chunks()
    return chunked(rows)


def peek(chunks: Iterator[Chunk], rows: int) -> tuple[list[Row], Iterator[Chunk]]:
    """The first ``rows`` rows of ``chunks``, and the chunks again from the start."""
    taken: list[Chunk] = []
    count = 0
    for chunk in chunks:
        taken.append(chunk)
        count += len(chunk)
        if count >= rows:
            break
    first = list(itertools.islice(itertools.chain.from_iterable(taken), rows))
    return first, itertools.chain(taken, chunks)
