"""The header of each table file in a batch, read once when the file arrives, and the standard
dataset those columns follow."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tsunagu.context import Services
from tsunagu.datastore.ingest.model import IngestError
from tsunagu.datastore.ingest.readers import read_table
from tsunagu.quality.rating import TABULAR, normal_format
from tsunagu.workspace.batch.guess import standard_from_columns
from tsunagu.workspace.batch.staging import StagedFile


@contextmanager
def local_file(services: Services, key: str, name: str) -> Iterator[Path]:
    """The stored file on local disk (copied to a temporary file for remote storage)."""
    path = services.files.local_path(key)
    if path is not None:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="tsunagu-batch-") as workdir:
        copy = Path(workdir) / name
        with services.files.open(key) as stream, copy.open("wb") as out:
            while chunk := stream.read(1 << 20):
                out.write(chunk)
        yield copy


def is_table(staged: StagedFile) -> bool:
    return normal_format(staged.format) in TABULAR


def read_columns(services: Services, staged: StagedFile) -> None:
    """Fill in the file's header (or why it could not be read). Only the first rows are read."""
    if not is_table(staged):
        return
    try:
        with local_file(services, staged.key, staged.name) as path:
            table = read_table(path, staged.format)
            staged.columns = list(table.columns)
            close = getattr(table.rows, "close", None)
            if close is not None:
                close()  # a text file stays open until its rows are exhausted or closed
    except IngestError as error:
        staged.read_error = error.message


def standards_of(files: list[StagedFile]) -> dict[str, str]:
    """Storage key → the id of the standard each file's columns follow, where one does."""
    found = {}
    for staged in files:
        standard = standard_from_columns(staged.columns)
        if standard is not None:
            found[staged.key] = standard.id
    return found
