"""Keeping a batch's files in file storage until the batch is applied or discarded.

Each file is checked as any upload is (catalog/uploads.py: an allowed type, content that
matches it, within the upload limit); a zip is unpacked entry by entry after zips.py has judged
its directory. If anything sent in one request is refused, nothing of that request is kept, so
a batch never holds half of what was sent.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any, BinaryIO

from tsunagu.catalog.uploads import Upload, check_upload, safe_filename
from tsunagu.context import Services
from tsunagu.errors import ValidationError
from tsunagu.storage.files import UploadTooLarge
from tsunagu.storage.types import new_id
from tsunagu.workspace.batch.limits import Limits, megabytes
from tsunagu.workspace.batch.zips import members, open_zip, unzip


def folder(batch_id: str) -> str:
    return f"batches/{batch_id}"


@dataclass
class StagedFile:
    name: str  # the file's own name, as sheets refer to it
    key: str  # storage key
    size: int
    sha256: str
    format: str
    origin: str = ""  # the zip it came from ("" when uploaded as it is)
    path: str = ""  # its path inside that zip
    # The table's header when the file is a table Tsunagu can read (for guessing the standard).
    columns: list[str] | None = None
    read_error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StagedFile:
        return cls(**data)

    @property
    def where(self) -> str:
        return f"{self.origin}: {self.path}" if self.origin else self.name


def name_key(name: str) -> str:
    """Names compare as people see them: full/half width and case do not matter."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


@dataclass
class _Incoming:
    staged: list[StagedFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    total: int = 0


@dataclass(frozen=True)
class _Stream:
    filename: str
    file: BinaryIO


def _refusal(name: str, error: ValidationError) -> list[str]:
    return [f"{name}: {message}" for messages in error.errors.values() for message in messages]


def _store(
    services: Services,
    batch_id: str,
    upload: Upload,
    incoming: _Incoming,
    limits: Limits,
    budget: int,
    *,
    origin: str = "",
    path: str = "",
) -> None:
    display = f"{origin}: {path}" if origin else safe_filename(upload.filename or "")
    try:
        checked = check_upload(upload)
    except ValidationError as error:
        incoming.problems.extend(_refusal(display, error))
        return
    key = f"{folder(batch_id)}/{new_id()[:8]}/{checked.filename}"
    limit = min(limits.max_file_bytes, max(budget - incoming.total, 0))
    try:
        stored = services.files.store(key, upload.file, limit)
    except UploadTooLarge:
        if limit < limits.max_file_bytes:
            message = "一括登録の合計の上限を超えます (The batch exceeds its total size limit)"
        else:
            message = (
                f"ファイルが大きすぎます（上限 {megabytes(limits.max_file_bytes)}） "
                f"(File exceeds the upload limit of {limits.max_file_bytes} bytes)"
            )
        incoming.problems.append(f"{display}: {message}")
        return
    incoming.total += stored.size
    incoming.staged.append(
        StagedFile(
            name=checked.filename,
            key=key,
            size=stored.size,
            sha256=stored.sha256,
            format=checked.format,
            origin=origin,
            path=path,
        )
    )


def _store_zip(
    services: Services,
    batch_id: str,
    upload: Upload,
    incoming: _Incoming,
    limits: Limits,
    budget: int,
) -> None:
    zip_name = safe_filename(upload.filename or "")
    problems: list[str] = []
    archive = open_zip(zip_name, upload.file, problems)
    if archive is None:
        incoming.problems.extend(problems)
        return
    with archive:
        found = members(zip_name, archive, limits, budget - incoming.total, problems)
        if problems:  # judged on the directory alone: nothing is unzipped
            incoming.problems.extend(problems)
            return
        if not found:
            incoming.problems.append(
                f"{zip_name}: zip の中にファイルがありません (The zip holds no files)"
            )
            return
        for member in found:
            with unzip(archive, member) as stream:
                # check_upload reads the start of the file and seeks back to it.
                _store(
                    services,
                    batch_id,
                    _Stream(member.name, _Rewindable(stream)),  # type: ignore[arg-type]
                    incoming,
                    limits,
                    budget,
                    origin=zip_name,
                    path=member.path,
                )


class _Rewindable:
    """A zip entry whose first bytes can be read twice (the type check, then storing), without
    holding the whole entry in memory."""

    _HEAD = 8192

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._head = stream.read(self._HEAD)
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        if self._pos < len(self._head):
            end = len(self._head) if size < 0 else min(len(self._head), self._pos + size)
            chunk = self._head[self._pos : end]
            self._pos = end
            if size < 0:
                return chunk + self._stream.read()
            return chunk
        return self._stream.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence != 0 or offset > len(self._head):
            raise OSError("only a rewind to the start is possible")
        if self._pos > len(self._head):
            raise OSError("already read past the start")
        self._pos = offset
        return offset


def _is_zip(upload: Upload) -> bool:
    return safe_filename(upload.filename or "").lower().endswith(".zip")


def stage(
    services: Services,
    batch_id: str,
    uploads: list[Upload],
    existing: list[StagedFile],
    limits: Limits,
) -> list[StagedFile]:
    """Store the uploads (zips unpacked) beside the batch's `existing` files; returns the files
    of the batch now. A file sent again under the same name replaces the earlier one. Raises
    ValidationError({"files": [...]}) naming every refused file, keeping none of them."""
    incoming = _Incoming()
    kept_bytes = sum(f.size for f in existing)
    budget = limits.max_bytes - kept_bytes
    for upload in uploads:
        if _is_zip(upload):
            _store_zip(services, batch_id, upload, incoming, limits, budget)
        else:
            _store(services, batch_id, upload, incoming, limits, budget)
    _check_names(incoming)
    new_keys = {name_key(f.name) for f in incoming.staged}
    remaining = [f for f in existing if name_key(f.name) not in new_keys]
    count = len(remaining) + len(incoming.staged)
    if count > limits.max_files:
        incoming.problems.append(
            f"ファイルが {count:,} 個になり、1 回の一括登録の上限 {limits.max_files:,} 個を超えます "
            f"(More than {limits.max_files} files in one batch)"
        )
    if incoming.problems:
        for staged in incoming.staged:
            services.files.delete(staged.key)
        raise ValidationError({"files": incoming.problems})
    for replaced in existing:
        if name_key(replaced.name) in new_keys:
            services.files.delete(replaced.key)
    return remaining + incoming.staged


def _check_names(incoming: _Incoming) -> None:
    """Two files sent together under one name (from two folders of a zip, say) cannot both be
    what a sheet means by that name."""
    seen: dict[str, StagedFile] = {}
    for staged in incoming.staged:
        key = name_key(staged.name)
        if key in seen:
            incoming.problems.append(
                f"同じ名前のファイルが 2 つあります: {seen[key].where} と {staged.where}。"
                f"どちらかの名前を変えてください (Two files named {staged.name})"
            )
        else:
            seen[key] = staged


def discard(services: Services, batch_id: str) -> None:
    services.files.delete_folder(folder(batch_id))


SHEET_EXTENSIONS = ("csv", "tsv", "txt", "xlsx", "xlsm", "xls", "ods")


def stage_sheet(services: Services, batch_id: str, upload: Upload, limits: Limits) -> StagedFile:
    """Store a metadata sheet (Excel, ODS or CSV); ValidationError({"sheet": [...]}) if it is
    none of those or too large."""
    name = safe_filename(upload.filename or "")
    if name.rsplit(".", 1)[-1].lower() not in SHEET_EXTENSIONS or "." not in name:
        raise ValidationError(
            {
                "sheet": [
                    f"{name}: メタデータシートは Excel（.xlsx / .xls）、ODS か CSV にしてください "
                    f"(The metadata sheet must be an Excel, ODS or CSV file)"
                ]
            }
        )
    incoming = _Incoming()
    _store(services, batch_id, upload, incoming, limits, limits.max_file_bytes)
    if incoming.problems:
        raise ValidationError({"sheet": incoming.problems})
    return incoming.staged[0]
