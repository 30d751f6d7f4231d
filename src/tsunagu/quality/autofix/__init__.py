"""Auto-fix: a conforming UTF-8 CSV made from a messy municipal table, with every change recorded.

`autofix_file` reads any table `read_table` reads (so encodings, title rows, merged headers and
notes are already handled), decides per column what it holds, and writes each row as it is read:
a million-row file never sits in memory. The source file is never touched; the result goes to a
temporary file beside `dest` that replaces `dest` only when complete.

What it does to cells, by column kind (see kinds.py for how the kind is decided):

- every column: edges trimmed, 機種依存文字 spelt out (① → (1)), half-width katakana made
  full-width, full-width letters and digits made ASCII (Japanese punctuation such as 「（）」
  「：」「～」 outside runs of letters and digits stays), dash / ellipsis placeholders emptied;
- dates → YYYY-MM-DD (和暦 → 西暦), timestamps → YYYY-MM-DDThh:mm:ss, times → hh:mm (or
  hh:mm:ss), year-months → YYYY-MM;
- numbers → plain digits: no separators, full-width digits or units, △/▲ → "-"; 不明, 該当なし,
  x … emptied too (in text columns those words are content and stay);
- codes (電話番号, 郵便番号, コード, zero-padded numbers) keep their text but get half-width
  digits and "-" for every dash look-alike (「ー」「－」「‐」);
- a value that cannot be converted to its column's kind keeps its text (cleaned as text) and
  is counted as `unconvertible` with examples: data is never lost.

Columns are renamed to a standard's field names only when a standard is given (or
`guess_standard` is sure of one) and the match is unambiguous; unknown columns are kept and
none are invented. The standard's column order is not enforced: columns stay in file order.

The output file: UTF-8 with a BOM, CRLF line ends, RFC 4180 quoting (a field is quoted only
when it holds a comma, a double quote or a line break; quotes are doubled). The Digital
Agency's definition documents for the 自治体標準オープンデータセット could not be consulted from
the reference stores available while this was written, so the choice rests on: RFC 4180 (CRLF,
minimal quoting), the standard-dataset files municipalities publish (commonly UTF-8 with BOM,
per the project's reference notes on the standard datasets), and Excel, which opens UTF-8 correctly only with a BOM — staff
and residents double-click these files. Every CSV reader worth using skips the BOM (Python
utf-8-sig, pandas, R readr, DuckDB), and the datastore's own download uses the same convention.

Formula-looking text (「=」 before anything, or 「+」「-」「@」 before a letter) gets a leading
apostrophe, as the datastore's CSV download does. The fixed file is a published resource that
people download and open in Excel directly, not only through the datastore; such text is never a
valid number, date or code, so machine readers lose nothing they could use, and the original
resource keeps the exact text. The apostrophe makes the fix idempotent (the result no longer
starts with a formula character).
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tsunagu.datastore.ingest.decode import encoding_label
from tsunagu.datastore.ingest.model import Cell
from tsunagu.datastore.ingest.readers import read_table
from tsunagu.quality.autofix.cells import ColumnFixer
from tsunagu.quality.autofix.columns import clean_names, guessed_mapping, match_columns
from tsunagu.quality.autofix.kinds import SAMPLE_ROWS, decide_kind
from tsunagu.quality.autofix.result import AutofixResult, Change, ChangeLog
from tsunagu.quality.standards import Standard

__all__ = ["AutofixResult", "Change", "autofix_file"]

_UTF8 = ("utf-8", "utf-8-sig", "ascii")
_TEXT_FORMATS = ("CSV", "TSV", "TXT")


def autofix_file(
    src: Path,
    fmt: str | None,
    dest: Path,
    *,
    sheet: str | None = None,
    standard: Standard | None = None,
) -> AutofixResult:
    """Write a conforming UTF-8 CSV of `src` to `dest` and say what changed.

    Raises IngestError (from read_table) for a file that cannot be read as a table, and
    ValueError when `dest` is `src` (the source is never modified).
    """
    src, dest = Path(src), Path(dest)
    if dest.exists() and src.exists() and dest.resolve() == src.resolve():
        raise ValueError("autofix_file: dest must not be the source file")
    table = read_table(src, fmt, sheet=sheet)
    rows = table.rows
    try:
        above = list(table.info.notes)
        sample = list(itertools.islice(rows, SAMPLE_ROWS))
        log = ChangeLog()
        columns, renamed, standard = _name_columns(table.columns, standard, log, table.info)
        fixers = _fixers(table.columns, columns, renamed, standard, sample, log)
        count = _write(dest, columns, fixers, itertools.chain(sample, rows))
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    info = table.info
    below = info.notes[len(above) :]
    _file_changes(log, info.format, info.encoding, info.delimiter, above, below, info.warnings)
    units = [
        f"列「{fixer.column}」の単位: {fixer.kind.unit}" for fixer in fixers if fixer.kind.unit
    ]
    return AutofixResult(
        rows=count,
        columns=columns,
        renamed=renamed,
        changes=log.changes(),
        notes=[*info.notes, *units],
        standard_id=standard.id if standard is not None else None,
    )


def _name_columns(
    source: list[str], standard: Standard | None, log: ChangeLog, info: Any
) -> tuple[list[str], dict[str, str], Standard | None]:
    """(output header, file column → standard name, the standard used)."""
    renamed: dict[str, str] = {}
    if standard is not None:
        renamed = match_columns(source, standard)
    else:
        guessed = guessed_mapping(source)
        if guessed is not None:
            standard, renamed = guessed
    cleaned = clean_names(source)
    columns = [renamed.get(name, tidy) for name, tidy in zip(source, cleaned, strict=True)]
    if len(set(columns)) != len(columns):
        # A standard name equal to another column's tidied name: rename nothing rather than
        # make two columns of one name.
        renamed = {}
        columns = cleaned
    for name, out in zip(source, columns, strict=True):
        if name in renamed:
            log.add("column_renamed", row=info.header_line, column=out, before=name, after=out)
        elif out != name:
            log.add("column_name_cleaned", row=info.header_line, column=out, before=name, after=out)
    return columns, renamed, standard


def _fixers(
    source: list[str],
    columns: list[str],
    renamed: dict[str, str],
    standard: Standard | None,
    sample: list[tuple[int, list[Cell]]],
    log: ChangeLog,
) -> list[ColumnFixer]:
    types: dict[str, str] = {}
    if standard is not None:
        types = {f.name: f.type for f in standard.fields}
    fixers = []
    for i, (name, out) in enumerate(zip(source, columns, strict=True)):
        values = [cells[i] for _, cells in sample]
        kind = decide_kind(name, values, types.get(renamed.get(name, name)))
        fixers.append(ColumnFixer(out, kind, log))
    return fixers


def _write(
    dest: Path,
    columns: list[str],
    fixers: list[ColumnFixer],
    rows: Iterator[tuple[int, list[Cell]]],
) -> int:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".autofix-", suffix=".csv", dir=dest.parent)
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(columns)
            for line, cells in rows:
                writer.writerow(
                    [fixer.fix(cell, line) for fixer, cell in zip(fixers, cells, strict=True)]
                )
                count += 1
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return count


def _file_changes(
    log: ChangeLog,
    fmt: str,
    encoding: str | None,
    delimiter: str | None,
    above: list[str],
    below: list[str],
    warnings: list[str],
) -> None:
    if fmt not in _TEXT_FORMATS:
        log.add("format")
        log.describe("format", f"{fmt} 形式の表を CSV に変えました")
    elif delimiter not in (None, ","):
        shown = {"\t": "タブ", ";": "セミコロン", "|": "縦線"}.get(delimiter, delimiter)
        log.add("format")
        log.describe("format", f"{shown}区切りの表をカンマ区切り（CSV）に変えました")
    if fmt in _TEXT_FORMATS and encoding and encoding not in _UTF8:
        log.add("encoding")
        log.describe("encoding", f"文字コードを {encoding_label(encoding)} から UTF-8 に変えました")
    if above:
        log.add("title_rows_dropped", count=len(above))
    if below:
        log.add("notes_dropped", count=len(below))
    if warnings:
        log.add("layout", count=len(warnings))
        log.describe("layout", "表の形を整えました: " + "。".join(warnings))
