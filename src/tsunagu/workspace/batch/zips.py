"""Reading a zip of files safely: every entry is judged from the zip's directory before a
single byte is unzipped.

Refused, with a message naming the zip and the entry: absolute paths and paths with ``..``
(they would land outside the batch's folder), symbolic links, encrypted entries, zips inside
the zip, more entries than a batch may hold, and entries that unzip to more than the upload
limit, than the batch may hold together, or far more than they take zipped (a zip bomb).
Unzipping then reads at most the size the directory declared for each entry.
"""

from __future__ import annotations

import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from tsunagu.workspace.batch.limits import RATIO_CHECKED_ABOVE, Limits, megabytes

# Left out without a word: what file managers add to a zip on their own.
_CLUTTER_FOLDERS = ("__MACOSX/",)
_CLUTTER_FILES = {".ds_store", "thumbs.db", "desktop.ini"}
_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1


@dataclass(frozen=True)
class ZipMember:
    info: zipfile.ZipInfo
    path: str  # the path inside the zip as its author wrote it ("/"-separated)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def size(self) -> int:
        return self.info.file_size


def _decoded(info: zipfile.ZipInfo) -> str:
    """The entry's path. Zips made by Japanese Windows write Shift_JIS names without saying so;
    Python then reads them as CP437, which is undone here."""
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _outside(path: str) -> bool:
    text = path.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        return True  # absolute, or a Windows drive (C:)
    return any(part == ".." for part in text.split("/"))


def _is_clutter(path: str) -> bool:
    lowered = path.replace("\\", "/")
    if lowered.startswith(_CLUTTER_FOLDERS) or "/__MACOSX/" in lowered:
        return True
    name = lowered.rsplit("/", 1)[-1]
    return name.lower() in _CLUTTER_FILES or name.startswith("._")


def members(
    zip_name: str, archive: zipfile.ZipFile, limits: Limits, budget: int, problems: list[str]
) -> list[ZipMember]:
    """The files of the zip worth unzipping; every reason to refuse goes to `problems` (then
    nothing should be unzipped). `budget` is what the batch may still take, in bytes."""
    found: list[ZipMember] = []
    for info in archive.infolist():
        path = unicodedata.normalize("NFC", _decoded(info))
        if info.is_dir() or _is_clutter(path):
            continue
        where = f"{zip_name}: 「{path}」"
        if _outside(path):
            problems.append(
                f"{where} はフォルダの外を指すパスです。zip に入れ直してください "
                f"(Zip entry {path} points outside its folder)"
            )
            continue
        if _is_symlink(info):
            problems.append(
                f"{where} はシンボリックリンクです。実際のファイルを入れてください "
                f"(Zip entry {path} is a symbolic link)"
            )
            continue
        if info.flag_bits & _ENCRYPTED_FLAG:
            problems.append(
                f"{where} はパスワードで保護されています (Zip entry {path} is encrypted)"
            )
            continue
        if path.lower().endswith(".zip"):
            problems.append(
                f"{where} は zip の中の zip です。展開してから入れてください "
                f"(Zip entry {path} is itself a zip)"
            )
            continue
        if info.file_size > limits.max_file_bytes:
            problems.append(
                f"{where} は展開すると {megabytes(info.file_size)} で、1 ファイルの上限 "
                f"{megabytes(limits.max_file_bytes)} を超えます "
                f"(Zip entry {path} exceeds the upload limit)"
            )
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECKED_ABOVE and ratio > limits.zip_max_ratio:
            problems.append(
                f"{where} は {info.compress_size:,} バイトが {info.file_size:,} バイトに展開され"
                f"ます（{ratio:,.0f} 倍）。zip 爆弾の疑いがあるため展開しません "
                f"(Zip entry {path} expands {ratio:,.0f} times: refused as a zip bomb)"
            )
            continue
        found.append(ZipMember(info, path))
    if len(found) > limits.max_files:
        problems.append(
            f"{zip_name}: 中のファイルが {len(found):,} 個あり、1 回の上限 {limits.max_files:,} 個"
            f"を超えます (Zip holds more than {limits.max_files} files)"
        )
    total = sum(m.size for m in found)
    if total > budget:
        problems.append(
            f"{zip_name}: 展開すると合計 {megabytes(total)} になり、一括登録の上限を超えます "
            f"(Zip expands beyond the batch size limit)"
        )
    return found


def open_zip(zip_name: str, stream: BinaryIO, problems: list[str]) -> zipfile.ZipFile | None:
    """The zip, or None with the reason in `problems`."""
    try:
        return zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        problems.append(
            f"{zip_name}: zip ファイルとして読めません（壊れています） (Not a readable zip file)"
        )
        return None


def unzip(archive: zipfile.ZipFile, member: ZipMember) -> BinaryIO:
    """The entry's bytes as a stream; Python's reader stops at the declared size and checks the
    CRC, so an entry that lies about its size cannot unzip to more."""
    return archive.open(member.info)  # type: ignore[return-value]
