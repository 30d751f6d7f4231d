"""Checking a 活用事例 image: PNG, JPEG or WebP only, read to the end, and stored as exactly
the image that was checked.

The file's name and declared type are ignored: the bytes decide. Each format's container is
walked from the signature to its end marker (PNG chunks with their CRCs to IEND, JPEG segments
and scans to EOI, WebP's RIFF chunks), so an SVG, an HTML page or a script renamed .png is
refused, and so is a real image with something glued to its end (a polyglot, or the trailer a
phone camera appends): whatever follows the end marker is cut off. Metadata that can say where
and by whom a picture was taken (JPEG APP1 Exif/XMP and APP13, comments; PNG text and eXIf
chunks; WebP EXIF and XMP chunks) is dropped. Served from the site's own origin with its real
type and ``nosniff``, what is left can only ever be shown as a picture.

Re-encoding would be stronger still, but needs an image library (Pillow) in the dependencies;
these checks need nothing but the standard library.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from tsunagu.errors import ValidationError

MAX_SIDE = 10_000  # pixels: larger is a decompression bomb in a visitor's browser
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


class NotAnImage(Exception):
    """Why the bytes are not an image we accept (Japanese, for the field error)."""


@dataclass(frozen=True)
class CheckedImage:
    data: bytes  # the image as checked: trailing bytes and metadata removed
    extension: str  # png / jpg / webp
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.extension]


def check_image(data: bytes, max_bytes: int, field: str = "image_upload") -> CheckedImage:
    """The image, or a ValidationError on ``field`` saying what is wrong."""
    try:
        if len(data) > max_bytes:
            raise NotAnImage(
                f"画像は {_size(max_bytes)} 以内にしてください "
                f"(Image must be at most {max_bytes} bytes)"
            )
        image = _read(data)
        if not (0 < image.width <= MAX_SIDE and 0 < image.height <= MAX_SIDE):
            raise NotAnImage(
                f"画像の縦横は {MAX_SIDE} ピクセル以内にしてください "
                f"(Image must be at most {MAX_SIDE} pixels a side)"
            )
        return image
    except NotAnImage as error:
        raise ValidationError({field: [str(error)]}) from None


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    return f"{n / 1024:g} KB"


_WRONG_TYPE = (
    "PNG、JPEG、WebP の画像ファイルを選んでください (Image must be a PNG, JPEG or WebP file)"
)


def _read(data: bytes) -> CheckedImage:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png(data)
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp(data)
    raise NotAnImage(_WRONG_TYPE)


def _broken(kind: str) -> NotAnImage:
    return NotAnImage(
        f"{kind} 画像として読めません。壊れているか、別の形式のファイルです "
        f"(Not a valid {kind} image)"
    )


# -- PNG ---------------------------------------------------------------------------------------

_PNG_DROP = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}


def _png(data: bytes) -> CheckedImage:
    pos, out = 8, [data[:8]]
    width = height = 0
    seen_data = False
    first = True
    while True:
        if pos + 12 > len(data):
            raise _broken("PNG")
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data) or not kind.isalpha():
            raise _broken("PNG")
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(kind + body) != crc:
            raise _broken("PNG")
        if first:
            if kind != b"IHDR" or length != 13:
                raise _broken("PNG")
            width, height = struct.unpack(">II", body[:8])
            first = False
        if kind == b"IDAT":
            seen_data = True
        if kind not in _PNG_DROP:
            out.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            break
    if not seen_data:
        raise _broken("PNG")
    return CheckedImage(b"".join(out), "png", width, height)


# -- JPEG --------------------------------------------------------------------------------------

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_DROP = {0xE1, 0xED, 0xFE}  # APP1 (Exif, XMP), APP13 (IPTC), COM


def _jpeg(data: bytes) -> CheckedImage:
    pos, out = 2, [data[:2]]
    width = height = 0
    scanned = False
    size = len(data)
    while True:
        if pos + 2 > size or data[pos] != 0xFF:
            raise _broken("JPEG")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0xD9:  # EOI: the end; anything after it is dropped
            out.append(data[pos : pos + 2])
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            out.append(data[pos : pos + 2])
            pos += 2
            continue
        if pos + 4 > size:
            raise _broken("JPEG")
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if length < 2 or end > size:
            raise _broken("JPEG")
        if marker in _SOF:
            if length < 7:
                raise _broken("JPEG")
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
        if marker not in _JPEG_DROP:
            out.append(data[pos:end])
        pos = end
        if marker == 0xDA:  # SOS: entropy-coded data up to the next real marker
            if not width:
                raise _broken("JPEG")
            start = pos
            while True:
                found = data.find(b"\xff", pos)
                if found < 0 or found + 1 >= size:
                    raise _broken("JPEG")
                following = data[found + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    pos = found + 2
                    continue
                break
            out.append(data[start:found])
            pos = found
            scanned = True
    if not scanned:
        raise _broken("JPEG")
    return CheckedImage(b"".join(out), "jpg", width, height)


# -- WebP --------------------------------------------------------------------------------------

_WEBP_DROP = {b"EXIF", b"XMP "}
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def _webp(data: bytes) -> CheckedImage:
    (riff_size,) = struct.unpack("<I", data[4:8])
    end_of_riff = 8 + riff_size
    if riff_size < 4 or end_of_riff > len(data):
        raise _broken("WebP")
    pos = 12
    chunks: list[bytes] = []
    width = height = 0
    has_image = False
    first = True
    while pos < end_of_riff:
        if pos + 8 > end_of_riff:
            raise _broken("WebP")
        kind = data[pos : pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        end = pos + 8 + length + (length & 1)
        if end > end_of_riff or not all(32 <= b < 127 for b in kind):
            raise _broken("WebP")
        body = data[pos + 8 : pos + 8 + length]
        if first:
            width, height = _webp_size(kind, body)
            first = False
        if kind in (b"VP8 ", b"VP8L", b"ANMF"):
            has_image = True
        if kind not in _WEBP_DROP:
            chunks.append(data[pos:end])
        pos = end
    if not has_image:
        raise _broken("WebP")
    if chunks[0][:4] == b"VP8X":  # say the dropped metadata is gone
        head = bytearray(chunks[0])
        head[8] &= ~(_VP8X_EXIF | _VP8X_XMP) & 0xFF
        chunks[0] = bytes(head)
    body = b"WEBP" + b"".join(chunks)
    return CheckedImage(b"RIFF" + struct.pack("<I", len(body)) + body, "webp", width, height)


def _webp_size(kind: bytes, body: bytes) -> tuple[int, int]:
    if kind == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", body[6:10])
        return width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        bits = int.from_bytes(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8X" and len(body) >= 10:
        width = int.from_bytes(body[4:7], "little") + 1
        height = int.from_bytes(body[7:10], "little") + 1
        return width, height
    raise _broken("WebP")
