"""Checks on uploaded files: a size limit and a type check by name and by content."""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from tsunagu.errors import ValidationError

# Leading bytes each binary format must start with.
_MAGIC = {
    "xlsx": (b"PK\x03\x04",),
    "xlsm": (b"PK\x03\x04",),
    "ods": (b"PK\x03\x04",),
    "docx": (b"PK\x03\x04",),
    "pptx": (b"PK\x03\x04",),
    "odt": (b"PK\x03\x04",),
    "odp": (b"PK\x03\x04",),
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "kmz": (b"PK\x03\x04",),
    "xls": (b"\xd0\xcf\x11\xe0",),
    "doc": (b"\xd0\xcf\x11\xe0",),
    "ppt": (b"\xd0\xcf\x11\xe0",),
    "pdf": (b"%PDF",),
    "png": (b"\x89PNG",),
    "gif": (b"GIF8",),
    "jpg": (b"\xff\xd8",),
    "jpeg": (b"\xff\xd8",),
    "parquet": (b"PAR1",),
}
_TEXT = {
    "csv",
    "tsv",
    "txt",
    "json",
    "geojson",
    "topojson",
    "xml",
    "rdf",
    "ttl",
    "jsonld",
    "nt",
    "kml",
    "gpx",
    "gml",
    "md",
}
# Formats an open data catalog publishes: the text and binary formats checked above, and these.
# Anything a browser might run (html, svg, js) or a program file is refused: downloads come from
# the catalog's own origin.
ALLOWED_EXTENSIONS = (
    _TEXT
    | set(_MAGIC)
    | {"webp", "tif", "tiff", "shp", "dbf", "shx", "prj", "mp3", "mp4", "gtfs", "sqlite", "dxf"}
)
FORMAT_BY_EXTENSION = {"geojson": "GeoJSON", "jsonld": "JSON-LD", "topojson": "TopoJSON"}


class Upload(Protocol):
    filename: str | None
    file: BinaryIO


@dataclass(frozen=True)
class CheckedUpload:
    filename: str
    extension: str
    mimetype: str
    format: str


def safe_filename(name: str) -> str:
    name = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f<>:\"|?*]", "", name).strip(" .")
    return name[:200] or "file"


def _refuse(message: str) -> ValidationError:
    return ValidationError({"upload": [message]})


def check_upload(upload: Upload) -> CheckedUpload:
    filename = safe_filename(upload.filename or "")
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ALLOWED_EXTENSIONS:
        raise _refuse(
            f"このファイル形式はアップロードできません: .{extension or '(拡張子なし)'} "
            f"(File type not allowed)"
        )
    head = upload.file.read(8192)
    upload.file.seek(0)
    if not head:
        raise _refuse("空のファイルです (The file is empty)")
    if _is_error_answer(head, extension):
        raise _refuse(
            "ファイルの中身がデータではなく、サイトのエラー応答（ログイン画面や「見つかりません」）"
            "です。別のサイトから移すときは、非公開データセットのファイルはログインしてから"
            "取得してください (The file is an error page or API error, not data)"
        )
    magic = _MAGIC.get(extension)
    if magic and not head.startswith(magic):
        raise _refuse(
            f"ファイルの中身が .{extension} ではありません (Content does not match the file type)"
        )
    if extension in _TEXT and b"\x00" in head and not _is_utf16(head):
        raise _refuse(
            f".{extension} ですが中身がテキストではありません (Binary content in a text file)"
        )
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return CheckedUpload(
        filename=filename,
        extension=extension,
        mimetype=mimetype,
        format=FORMAT_BY_EXTENSION.get(extension, extension.upper()),
    )


# What a download tool saves when the site refused it: CKAN's error page, or a CKAN API's
# error envelope (``ckanapi load --upload-resources`` fetches files without signing in, so a
# private dataset's file comes back as one). Kept as data it would be published as a table.
_ERROR_ENVELOPE = re.compile(rb'^\s*\{\s*"(help"\s*:\s*"[^"]*"\s*,\s*")?success"\s*:\s*false\s*,')
_HTML_PAGE = re.compile(rb"^\s*(<!doctype html|<html)", re.IGNORECASE)


def _is_error_answer(head: bytes, extension: str) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf")
    if _ERROR_ENVELOPE.match(text):
        return True
    data_only = extension in ("csv", "tsv", "json", "geojson", "topojson") or extension in _MAGIC
    return data_only and bool(_HTML_PAGE.match(text))


def _is_utf16(head: bytes) -> bool:
    return head.startswith((b"\xff\xfe", b"\xfe\xff"))
