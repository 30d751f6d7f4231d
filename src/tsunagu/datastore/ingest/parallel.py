"""Reading and converting a large text file in a second process while this one inserts.

An ingest is reading and converting rows (Python, one core), then preparing and inserting them
(SQLite or PostgreSQL). For a big CSV a child process does the first part — the same
read_table and column-wise conversion as in-process — and streams the converted batches back
over a pipe, one batch ahead: it converts the next batch while this process prepares and
inserts this one.

The child is a fresh interpreter (``python -m`` this module), not a fork: ingests run in a
worker thread of the web process, and forking a threaded process can copy a held lock. It reads
the file from the start itself, so the rows, line numbers, notes and warnings are those an
in-process read gives; an error in the file comes back as the same IngestError (message, line,
column), after the batches before it. Closing the iterator (a cancelled or failed ingest) ends
the child.

The child is started as the ingest begins (ReaderProcess), before this process has read the
file's layout and inferred its columns: it imports what it reads with meanwhile, and then
waits for the ReadJob. An ingest that ends up reading in-process closes it unused.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import pickle
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from tsunagu.datastore.ingest.batches import Batch
from tsunagu.datastore.ingest.model import IngestError, SourceInfo

# Files smaller than this are read in-process: starting the child costs about half a second.
MIN_BYTES = 32 << 20
# The pipe from the child holds this much (Linux allows up to 1 MiB without privileges; the
# default is 64 KiB): some seven converted batches, so the child converts on while this process
# inserts several of them in one transaction (pipeline.BATCH_ROWS) instead of waiting to write.
PIPE_BYTES = 1 << 20


@dataclass
class ReadJob:
    """What the child needs to read and convert the file as the ingest would."""

    path: str
    format: str | None
    sheet: str | None
    columns: list[str]  # as the ingest's own read found them (checked by the child)
    kinds: list[str]
    dialect: str
    batch_rows: int
    # Columns the child leaves as read, for the parent to convert (batches.column_finisher).
    left_raw: list[int] = field(default_factory=list)


def worth_it(path: Path, info: SourceInfo) -> bool:
    """Whether a file is read by a child process: a text file of at least MIN_BYTES."""
    try:
        size = path.stat().st_size
    except OSError:
        return False
    return info.format in ("CSV", "TSV") and size >= MIN_BYTES


def big_enough(path: Path) -> bool:
    """Whether a file is large enough to be worth starting a reader process before knowing its
    format (worth_it decides once it is known)."""
    try:
        return path.stat().st_size >= MIN_BYTES
    except OSError:
        return False


class ReaderProcess:
    """A child process started ahead of its ReadJob; converted_batches hands it the job.

    Closing it (or the batches' iterator) ends the child, whether or not it was used."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.child = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.child.stdout is not None
        # Not on Linux, or over the system's limit: the pipe stays at 64 KiB.
        with contextlib.suppress(AttributeError, OSError):
            fcntl.fcntl(self.child.stdout, fcntl.F_SETPIPE_SZ, PIPE_BYTES)

    def close(self) -> None:
        child = self.child
        if child.poll() is None:
            child.kill()
        child.wait()
        for pipe in (child.stdin, child.stdout):
            if pipe is not None:
                pipe.close()


def converted_batches(
    job: ReadJob, info: SourceInfo, reader: ReaderProcess | None = None
) -> Iterator[Batch]:
    """The file's rows as converted batches, read and converted by a child process (``reader``,
    or one started now).

    At the end, ``info``'s notes and warnings are replaced by the child's, which saw the whole
    file (those of a partial read are incomplete)."""
    reader = reader or ReaderProcess()
    child = reader.child
    assert child.stdin is not None and child.stdout is not None
    try:
        with child.stdin:
            pickle.dump(asdict(job), child.stdin)
        while True:
            try:
                kind, payload = pickle.load(child.stdout)
            except EOFError:
                raise RuntimeError(
                    "取り込みの読み取りプロセスが途中で終了しました"
                    f"（the reader process exited with code {child.wait()}）"
                ) from None
            if kind == "batch":
                yield payload
            elif kind == "packed":
                yield _unpacked(*payload)
            elif kind == "done":
                info.notes[:], info.warnings[:] = payload
                return
            elif kind == "error":
                message, line, column = payload
                raise IngestError(message, line=line, column=column)
            else:
                raise RuntimeError(
                    f"取り込みの読み取りプロセスでエラーが発生しました（reader process failed）: {payload}"
                )
    finally:
        reader.close()


def _send(out: IO[bytes], message: tuple[str, Any]) -> None:
    pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()


# Joins the cells of a packed column (see _packed); a column with a cell holding it is not packed.
_JOIN = "\x00"
# (column, whether its texts rather than its values, the strings joined, whether they were a
# tuple, whether the column's texts are its values)
Packed = tuple[int, bool, str, bool, bool]


def _joined(values: Any, known: str | None = None) -> str | None:
    """The strings ``values`` joined, when they are all strings (none missing) without _JOIN.
    ``known``: the same joined already (Batch.joined), checked rather than made again."""
    if not values or None in values:
        return None
    if known is None:
        try:
            known = _JOIN.join(values)
        except TypeError:  # numbers, dates …
            return None
    return known if known.count(_JOIN) == len(values) - 1 else None


def _packed(batch: Batch) -> tuple[Batch, list[Packed]]:
    """The batch with each column of strings (values, or the texts of numbers; none missing)
    taken out and joined into one string: pickle writes and reads one long string several times
    faster than thousands of short ones, and a million-row file has ten million cells. The batch
    is changed; _unpacked puts the strings back."""
    packs: list[Packed] = []
    for i, values in enumerate(batch.columns):
        texts = batch.texts[i] if i < len(batch.texts) else None
        known = batch.joined[i] if i < len(batch.joined) else None
        same = texts is values
        joined = _joined(values, known if same else None)
        if joined is not None:
            packs.append((i, False, joined, isinstance(values, tuple), same))
            batch.columns[i] = ()
            if same:
                batch.texts[i] = None
        if texts is not None and not same and (joined := _joined(texts, known)) is not None:
            packs.append((i, True, joined, isinstance(texts, tuple), False))
            batch.texts[i] = None
    batch.joined = []
    return batch, packs


def _unpacked(batch: Batch, packs: list[Packed]) -> Batch:
    for i, is_texts, joined, was_tuple, same in packs:
        cells = joined.split(_JOIN)
        strings: tuple[str, ...] | list[str] = tuple(cells) if was_tuple else cells
        if is_texts:
            batch.texts[i] = strings
            continue
        batch.columns[i] = strings
        if same:
            batch.texts[i] = strings
    return batch


def _read(job: ReadJob, out: IO[bytes]) -> None:
    # Imported here: the parent only needs the small part above. Nothing here imports
    # SQLAlchemy (ingest/stored.py rather than datastore.tables), which took longer to import
    # than the child's first batch to read. main() imports them before the job comes.
    from tsunagu.datastore.ingest.batches import batch_converter, chunk_batches
    from tsunagu.datastore.ingest.chunks import row_chunks
    from tsunagu.datastore.ingest.infer import column_converter
    from tsunagu.datastore.ingest.readers import read_table
    from tsunagu.datastore.ingest.stored import sqlite_stored

    raw = read_table(Path(job.path), job.format, sheet=job.sheet)
    if raw.columns != job.columns:
        raise RuntimeError(
            "ファイルの列が最初に読んだときと違います（the file changed while read）"
        )
    stored = [sqlite_stored(k) if job.dialect == "sqlite" else None for k in job.kinds]
    convert = batch_converter(
        job.kinds,  # type: ignore[arg-type]
        [column_converter(k, s) for k, s in zip(job.kinds, stored, strict=True)],  # type: ignore[arg-type]
        raw.columns,
        stored,
        columnwise=raw.info.format in ("CSV", "TSV"),
        left_raw=job.left_raw,
    )
    # Converted columns rather than prepared rows: half the size to pickle, and the parent,
    # which waits for the child otherwise, builds the parameters.
    for batch in chunk_batches(row_chunks(raw.rows), job.batch_rows, convert):
        _send(out, ("packed", _packed(batch)))
    _send(out, ("done", (raw.info.notes, raw.info.warnings)))


def main() -> None:
    # The pipe to the parent is a private copy of stdout; anything else printed goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    gc.disable()  # this process makes no cycles worth collecting (see bulk.fewer_collections)
    # While the parent still reads the layout and infers the columns (ReaderProcess).
    import tsunagu.datastore.ingest.batches
    import tsunagu.datastore.ingest.infer
    import tsunagu.datastore.ingest.readers
    import tsunagu.datastore.ingest.stored  # noqa: F401

    try:
        job = ReadJob(**pickle.load(sys.stdin.buffer))
    except EOFError:
        return  # started ahead, and not needed after all
    try:
        _read(job, out)
    except IngestError as error:
        _send(out, ("error", (error.message, error.line, error.column)))
    except BrokenPipeError:
        pass  # the parent stopped reading: the ingest was cancelled or failed
    except Exception:
        _send(out, ("crash", traceback.format_exc(limit=5)))


if __name__ == "__main__":
    main()
