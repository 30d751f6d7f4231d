"""read_table: any supported file as a RawTable (one flattened header and a stream of rows).

The content decides the format (resources are often mislabelled): zip → XLSX/ODS, OLE → XLS,
「{」/「[」 → JSON/GeoJSON, anything else → delimited text. The declared format (or the file
extension) only breaks ties, e.g. TSV forces a tab delimiter; a mismatch is reported as a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tsunagu.datastore.ingest.chunks import Chunk, RowStream, row_chunks
from tsunagu.datastore.ingest.containers import zip_format
from tsunagu.datastore.ingest.decode import encoding_label
from tsunagu.datastore.ingest.delimited import EMPTY, TextStart, open_text, read_delimited
from tsunagu.datastore.ingest.jsonfiles import is_geojson, load_json, read_json_table
from tsunagu.datastore.ingest.model import IngestError, RawTable, SourceInfo
from tsunagu.datastore.ingest.spreadsheets import read_spreadsheet

FORMATS = ("CSV", "TSV", "TXT", "XLSX", "XLS", "ODS", "JSON", "GeoJSON")
_EXTENSIONS = {
    ".csv": "CSV",
    ".tsv": "TSV",
    ".tab": "TSV",
    ".txt": "TXT",
    ".xlsx": "XLSX",
    ".xlsm": "XLSX",
    ".xls": "XLS",
    ".ods": "ODS",
    ".json": "JSON",
    ".geojson": "GeoJSON",
}
_TEXT_FORMATS = ("CSV", "TSV", "TXT")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _declared(path: Path, fmt: str | None) -> tuple[str | None, bool]:
    """(the declared format in canonical spelling, whether it came from the extension)."""
    if fmt:
        wanted = fmt.strip().lstrip(".").upper()
        for name in FORMATS:
            if name.upper() == wanted:
                return name, False
    return _EXTENSIONS.get(path.suffix.lower()), True


def read_table(
    path: Path, fmt: str | None = None, *, sheet: str | None = None, max_cells: int = 50_000_000
) -> RawTable:
    """Read a tabular file. `fmt` is the resource's declared format; None guesses.

    Rows stream: text files are decoded and parsed as the iterator is consumed, so the caller
    must exhaust (or close) `rows` to release the file. info.notes and info.warnings are
    complete once the iterator is exhausted. Raises IngestError for unreadable files.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        raw = path.open("rb")
    except OSError as exc:
        raise IngestError(f"ファイルを開けません（{exc.strerror}）") from None
    if size == 0:
        raw.close()
        raise IngestError(EMPTY)
    declared, from_extension = _declared(path, fmt)
    try:
        table = _read(path, raw, declared, sheet=sheet, max_cells=max_cells)
    except BaseException:
        raw.close()
        raise
    actual = table.info.format
    if declared and not _same_kind(declared, actual):
        said = f"拡張子は {declared}" if from_extension else f"形式は {declared} と登録されています"
        table.info.warnings.append(f"{said}が、内容は {actual} でした")
    if table.info.format in _TEXT_FORMATS:
        table.rows = RowStream(_closing(row_chunks(table.rows), raw))
    else:
        raw.close()
    return table


def _same_kind(declared: str, actual: str) -> bool:
    if declared in _TEXT_FORMATS and actual in _TEXT_FORMATS:
        return True
    return declared == actual or {declared, actual} == {"JSON", "GeoJSON"}


def _closing(chunks: Iterator[Chunk], raw: BinaryIO) -> Iterator[Chunk]:
    with raw:
        yield from chunks


def _read(
    path: Path, raw: BinaryIO, declared: str | None, *, sheet: str | None, max_cells: int
) -> RawTable:
    magic = raw.read(8)
    raw.seek(0)
    if magic.startswith(_ZIP_MAGIC):
        fmt = zip_format(path)
        if fmt is None:
            raise IngestError("ZIP ファイルです。展開して中の表のファイルを登録してください")
        return read_spreadsheet(path, fmt, sheet=sheet, max_cells=max_cells)
    if magic.startswith(_OLE_MAGIC):
        return read_spreadsheet(path, "XLS", sheet=sheet, max_cells=max_cells)
    if declared in ("XLSX", "ODS", "XLS") and magic.startswith(b"<"):
        # Excel 2003 XML and HTML tables saved as .xls are not supported by calamine.
        raise IngestError(f"{declared} ファイルとして読めません（HTML または XML 形式です）")
    start = open_text(raw)
    sample = start.sample.lstrip("\ufeff \t\r\n")
    if not sample:
        raise IngestError(EMPTY)
    if sample[:1] in "{[":
        table = _try_json(path, start, declared, max_cells)
        if table is not None:
            return table
    if sample[:15].lower().startswith(("<!doctype html", "<html", "<?xml")):
        raise IngestError("HTML または XML のファイルです（表のファイルではありません）")
    return read_delimited(
        start, declared if declared in _TEXT_FORMATS else None, max_cells=max_cells
    )


def _try_json(
    path: Path, start: TextStart, declared: str | None, max_cells: int
) -> RawTable | None:
    try:
        data = load_json(path, start.encoding)
    except IngestError:
        if declared in ("JSON", "GeoJSON"):
            raise
        return None  # a text file that happens to start with a bracket
    info = SourceInfo(format="GeoJSON" if is_geojson(data) else "JSON", encoding=start.encoding)
    if start.encoding not in ("utf-8", "utf-8-sig"):
        info.warnings.append(
            f"JSON の文字コードが {encoding_label(start.encoding)} です（UTF-8 が標準です）"
        )
    return read_json_table(data, info, max_cells=max_cells)
