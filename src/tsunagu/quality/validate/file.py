"""File-level findings: unreadable files, encodings other than UTF-8, Excel instead of CSV."""

from __future__ import annotations

from pathlib import Path

from tsunagu.datastore.ingest.decode import encoding_label
from tsunagu.datastore.ingest.model import SourceInfo
from tsunagu.quality.validate.sink import Sink

_UTF8 = frozenset({"utf-8", "utf-8-sig", "ascii"})
_SPREADSHEETS = frozenset({"XLSX", "XLS", "ODS"})
_TEXT = frozenset({"CSV", "TSV", "TXT"})
_EXTENSIONS = {
    ".csv": "CSV",
    ".tsv": "TSV",
    ".txt": "TXT",
    ".xlsx": "XLSX",
    ".xls": "XLS",
    ".ods": "ODS",
}


def report_file(info: SourceInfo, path: Path, fmt: str | None, sink: Sink) -> None:
    encoding = info.encoding
    if encoding and encoding.lower() not in _UTF8:
        label = encoding_label(encoding)
        sink.emit("file.encoding", detail=label)
    if info.format in _SPREADSHEETS:
        sink.emit("file.not_csv", detail=info.format)
    declared = (fmt or "").strip().lstrip(".").upper() or _EXTENSIONS.get(path.suffix.lower())
    if declared in _TEXT | _SPREADSHEETS and (declared in _TEXT) != (info.format in _TEXT):
        detail = f"{declared} として登録されていますが、中身は {info.format} のファイルです。"
        sink.emit("file.format_mismatch", detail=detail)
