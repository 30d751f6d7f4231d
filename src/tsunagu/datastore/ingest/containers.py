"""Looking inside workbook containers before (and besides) calamine.

XLSX and ODS are zip files: their directory is checked for zip bombs before anything is
inflated. For XLSX the worksheet XML is also peeked at, for what calamine does not tell: the
declared sheet size (refused before calamine loads a huge sheet into memory) and error cells
(which calamine reads as empty). Encrypted Office files are OLE containers like XLS.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from tsunagu.datastore.ingest.model import IngestError

# Zip bomb limits, checked on the zip directory before calamine inflates anything.
MAX_UNCOMPRESSED = 1 << 30
MAX_RATIO = 100
RATIO_CHECKED_ABOVE = 10 << 20  # small members may compress very well and do no harm
MAX_MEMBERS = 10_000
TOO_BIG = "圧縮されたファイルの展開後のサイズが大きすぎます"
CORRUPT_ZIP = "ファイルが壊れているため開けません（ZIP 形式として読めません）"

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]*(\d+)?:?([A-Z]+)(\d+)"')
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")


def check_zip(path: Path) -> list[str]:
    """Refuse zip bombs; returns the member names."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise IngestError(CORRUPT_ZIP) from None
    if len(infos) > MAX_MEMBERS:
        raise IngestError(f"{TOO_BIG}（中のファイルが {len(infos):,} 個あります）")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        raise IngestError(f"{TOO_BIG}（{total / 1e6:,.0f} MB）")
    for info in infos:
        ratio_limit = MAX_RATIO * max(info.compress_size, 1)
        if info.file_size > RATIO_CHECKED_ABOVE and info.file_size > ratio_limit:
            raise IngestError(
                f"{TOO_BIG}（{info.filename}: {info.compress_size:,} バイトが "
                f"{info.file_size:,} バイトに展開されます）"
            )
    return [i.filename for i in infos]


def zip_format(path: Path) -> str | None:
    """ "XLSX" or "ODS" for a zip file that is one, else None. Checks for zip bombs first."""
    names = check_zip(path)
    if "mimetype" in names:
        with zipfile.ZipFile(path) as archive, archive.open("mimetype") as member:
            mimetype = member.read(100)
        if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            return "ODS"
    if any(n.startswith("xl/") for n in names):
        return "XLSX"
    return None


def _sheet_member(archive: zipfile.ZipFile, sheet: str) -> str | None:
    # Sizes are bounded by check_zip; expat refuses entity expansion bombs.
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    rid = next(
        (e.get(_R_ID) for e in book.iter(f"{{{_MAIN}}}sheet") if e.get("name") == sheet), None
    )
    target = next((e.get("Target") for e in rels if e.get("Id") == rid), None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def xlsx_declared_cells(path: Path, sheet: str) -> int | None:
    """Rows × columns from the worksheet's <dimension ref="A1:K5000">, when it has one."""
    try:
        with zipfile.ZipFile(path) as archive:
            member = _sheet_member(archive, sheet)
            if member is None:
                return None
            with archive.open(member) as xml:
                head = xml.read(8192)
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return None
    match = _DIMENSION.search(head)
    if not match:
        return None
    letters = match.group(2).decode()
    columns = 0
    for letter in letters:
        columns = columns * 26 + ord(letter) - 64
    return int(match.group(3)) * columns


def xlsx_error_cells(path: Path, sheet: str) -> int:
    """How many error cells (#N/A, #DIV/0! …) a worksheet has: calamine reads them as empty."""
    try:
        with zipfile.ZipFile(path) as archive:
            member = _sheet_member(archive, sheet)
            if member is None:
                return 0
            count, tail = 0, b""
            with archive.open(member) as xml:
                while chunk := xml.read(1 << 20):
                    data = tail + chunk
                    count += data.count(b't="e"') + data.count(b"t='e'")
                    tail = data[-4:]  # shorter than the pattern: no match is counted twice
            return count
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return 0


def is_encrypted_office(path: Path) -> bool:
    """A password-protected XLSX/DOCX is an OLE file with an "EncryptedPackage" stream; its
    directory entry is near the start or the end of the file."""
    try:
        with path.open("rb") as f:
            head = f.read(1 << 20)
            f.seek(max(0, path.stat().st_size - (1 << 20)))
            tail = f.read()
    except OSError:
        return False
    return _ENCRYPTED in head or _ENCRYPTED in tail
