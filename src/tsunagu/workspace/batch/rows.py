"""The rows of a batch before they are judged: one per sheet row, plus one per file no row names
(or one for every file, when everything goes into a single dataset).

Each row keeps apart what staff wrote (``explicit``: a re-upload changes only these on an
existing dataset) and what Tsunagu guessed (``guessed``: used for new datasets only).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from tsunagu.workspace.batch import guess
from tsunagu.workspace.batch.sheet import Sheet, SheetRow
from tsunagu.workspace.batch.staging import StagedFile, name_key

_LIST_SEPARATORS = re.compile(r"[\n;；、,，]+")
_URL = re.compile(r"^(https?|ftp)://", re.IGNORECASE)


@dataclass
class PlanRow:
    label: str  # how messages name the row: "3行目", or the file's name
    line: int | None = None  # the sheet row, when there is one
    values: dict[str, Any] = field(default_factory=dict)  # field → value (action names)
    explicit: list[str] = field(default_factory=list)  # fields written in the sheet
    guessed: list[str] = field(default_factory=list)
    files: list[StagedFile] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # file names the sheet gives but not sent
    # The standard each file's columns follow (file name → standard id).
    file_standards: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, message: str) -> None:
        if message not in self.errors:
            self.errors.append(message)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def set(self, fld: str, value: Any, *, explicit: bool) -> None:
        self.values[fld] = value
        (self.explicit if explicit else self.guessed).append(fld)


def split_list(text: str) -> list[str]:
    return [part.strip() for part in _LIST_SEPARATORS.split(text) if part.strip()]


def _file_refs(row: PlanRow, text: str, by_key: dict[str, StagedFile]) -> None:
    for ref in split_list(text):
        if _URL.match(ref):
            row.urls.append(ref)
            continue
        base = unicodedata.normalize("NFC", ref).replace("\\", "/").rsplit("/", 1)[-1]
        staged = by_key.get(name_key(base))
        if staged is None:
            row.missing.append(base)
        elif staged not in row.files:
            row.files.append(staged)


def from_sheet(sheet: Sheet, by_key: dict[str, StagedFile]) -> list[PlanRow]:
    rows = []
    for sheet_row in sheet.rows:
        row = _row_from_sheet(sheet_row)
        _file_refs(row, sheet_row.values.get("files", ""), by_key)
        rows.append(row)
    return rows


def _row_from_sheet(sheet_row: SheetRow) -> PlanRow:
    row = PlanRow(label=f"{sheet_row.line}行目", line=sheet_row.line)
    row.errors.extend(sheet_row.errors)
    row.warnings.extend(sheet_row.warnings)
    # Raw text of what staff wrote; plan.py turns each into the value the actions take.
    row.values["sheet"] = {k: v for k, v in sheet_row.values.items() if v}
    return row


def from_files(files: list[StagedFile], *, single: bool, title: str) -> list[PlanRow]:
    """Rows for files no sheet row names: one each, or one for them all."""
    if not files:
        return []
    if single:
        row = PlanRow(label=files[0].name if len(files) == 1 else f"{files[0].name} ほか")
        row.files = list(files)
        row.values["sheet"] = {"title": title} if title else {}
        return [row]
    return [PlanRow(label=f.name, files=[f], values={"sheet": {}}) for f in files]


def guessed_standard(row: PlanRow) -> tuple[str, str]:
    """(standard id, how it was found) from the row's files: a file name in the standard's
    convention first, then columns; ("", "") when neither says."""
    for staged in row.files:
        found = guess.standard_from_name(guess.parse(staged.name))
        if found is not None:
            return found.id, "name"
    for staged in row.files:
        if staged.name in row.file_standards:
            return row.file_standards[staged.name], "columns"
    return "", ""


def first_parsed(row: PlanRow) -> guess.FileName | None:
    """The first file the row names (sent or not: its name says the same either way)."""
    if row.files:
        return guess.parse(row.files[0].name)
    return guess.parse(row.missing[0]) if row.missing else None
