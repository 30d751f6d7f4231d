"""Guessing a text file's encoding and decoding it as a stream of lines.

Municipal files come as UTF-8 (with or without BOM), Shift_JIS (really cp932, with Windows-only
characters such as ①, ㈱, ～), EUC-JP and UTF-16 (Excel's 「Unicode テキスト」). The guess is made
on a prefix; the rest is decoded strictly while streaming so that a bad byte far into the file
is reported with its line instead of turning into mojibake.
"""

from __future__ import annotations

import codecs
import itertools
import re
import unicodedata
from collections.abc import Iterator
from typing import BinaryIO

from tsunagu.datastore.ingest.model import IngestError

PREFIX_BYTES = 1 << 20  # how much is examined to guess the encoding
CHUNK_BYTES = 1 << 16
MAX_LINE_CHARS = 16 << 20  # one physical line longer than this is not a table

NOT_TEXT = "テキストファイルとして読めません（文字コードを判定できないか、バイナリファイルです）"

# UTF-32 first: its little-endian BOM starts with the UTF-16 one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "utf-32": "UTF-32",
    "cp932": "Shift_JIS",
    "euc_jp": "EUC-JP",
}
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uff01-\uff5e]")
# Half-width katakana and private-use characters: what the wrong Japanese codec produces.
_SUSPICIOUS = re.compile(r"[\uff61-\uff9f\ue000-\uf8ff]")


def encoding_label(encoding: str) -> str:
    """A name staff recognise (「Shift_JIS」 rather than Python's 「cp932」)."""
    return _LABELS.get(encoding, encoding)


def _decodes(data: bytes, encoding: str, final: bool) -> str | None:
    # Incremental, so a multibyte character cut by the end of the prefix is not an error.
    try:
        return codecs.getincrementaldecoder(encoding)("strict").decode(data, final)
    except (UnicodeDecodeError, LookupError):
        return None


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    sample = text[:100_000]
    bad = sum(
        1
        for ch in sample
        if ch not in "\t\n\r\f\v" and unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn")
    )
    return bad > len(sample) * 0.05


def _utf16_without_bom(sample: bytes) -> str | None:
    # Mostly-ASCII UTF-16 has a NUL in every other byte.
    head = sample[:4096]
    even, odd = head[0::2], head[1::2]
    if not even or not odd:
        return None
    if odd.count(0) > len(odd) * 0.3 and even.count(0) < len(even) * 0.05:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.3 and odd.count(0) < len(odd) * 0.05:
        return "utf-16-be"
    return None


def _japanese_score(text: str) -> int:
    return len(_JAPANESE.findall(text)) - 3 * len(_SUSPICIOUS.findall(text))


def detect_encoding(sample: bytes, *, complete: bool) -> str:
    """The encoding of a file whose first bytes are `sample` (`complete`: sample is the file).

    Raises IngestError for binary files.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    if b"\x00" in sample:
        guess = _utf16_without_bom(sample)
        text = _decodes(sample, guess, complete) if guess else None
        if guess is None or text is None or _looks_binary(text):
            raise IngestError(NOT_TEXT)
        return guess
    text = _decodes(sample, "utf-8", complete)
    if text is not None:
        if _looks_binary(text):
            raise IngestError(NOT_TEXT)
        return "utf-8"
    decoded = {enc: _decodes(sample, enc, complete) for enc in ("cp932", "euc_jp")}
    good = {enc: text for enc, text in decoded.items() if text is not None}
    if good:
        # Both can succeed on short samples; the right one yields kana and kanji, the wrong one
        # half-width katakana and private-use characters. Ties go to cp932, the more common.
        best = max(good, key=lambda enc: (_japanese_score(good[enc]), enc == "cp932"))
        if _looks_binary(good[best]):
            raise IngestError(NOT_TEXT)
        return best
    near = _near_miss(sample)
    if near:
        return near
    return _fallback(sample, complete)


def _near_miss(sample: bytes) -> str | None:
    """An encoding that decodes all but a handful of bytes: better to read it and report the
    bad line than to let a generic detector choose a Western codepage and produce mojibake."""
    for encoding in ("utf-8", "cp932", "euc_jp"):
        text = sample.decode(encoding, "replace")
        bad = text.count("\ufffd")
        if bad <= max(1, len(text) // 1000) and _japanese_score(text) > bad:
            return encoding
    return None


def _fallback(sample: bytes, complete: bool) -> str:
    from charset_normalizer import from_bytes  # only needed for unusual files

    best = from_bytes(sample[:PREFIX_BYTES]).best()
    if best is None:
        raise IngestError(NOT_TEXT)
    try:
        encoding = codecs.lookup(best.encoding).name
    except LookupError:
        raise IngestError(NOT_TEXT) from None
    text = _decodes(sample, encoding, complete)
    if text is None or _looks_binary(text):
        raise IngestError(NOT_TEXT)
    return encoding


def sniff_encoding(raw: BinaryIO) -> str:
    """Guess the encoding of a binary stream positioned at its start; leaves it at the start."""
    sample = raw.read(PREFIX_BYTES)
    complete = len(sample) < PREFIX_BYTES
    encoding = detect_encoding(sample, complete=complete)
    if encoding == "utf-8" and not complete and not _NON_ASCII.search(sample):
        # An ASCII prefix says nothing: look at the first non-ASCII text further on.
        window = _first_non_ascii_window(raw)
        if window:
            encoding = detect_encoding(window, complete=False)
    raw.seek(0)
    return encoding


def _first_non_ascii_window(raw: BinaryIO) -> bytes:
    # Starting a line before the first non-ASCII byte keeps multibyte characters whole.
    previous = b""
    while chunk := raw.read(PREFIX_BYTES):
        match = _NON_ASCII.search(chunk)
        if match:
            data = previous + chunk
            at = len(previous) + match.start()
            start = data.rfind(b"\n", 0, at) + 1
            return data[start : start + 65536]
        previous = chunk[-4096:]
    return b""


def iter_lines(raw: BinaryIO, encoding: str) -> Iterator[str]:
    """Decoded lines (with their line ending, as the csv module wants them) of a binary stream.

    A byte that does not decode raises IngestError naming its line, after every line before it.
    The lines of each decoded chunk are handed out from C (itertools.chain), not resumed out of
    a generator one line at a time: on a million-line file that was a tenth of reading it.
    """
    return itertools.chain.from_iterable(_line_lists(raw, encoding))


def _line_lists(raw: BinaryIO, encoding: str) -> Iterator[list[str]]:
    """iter_lines's lines, a list per chunk read."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    newline: str | None = None
    done = 0  # lines yielded so far
    pending: list[str] = []  # pieces of the current, unfinished line
    pending_len = 0
    while True:
        chunk = raw.read(CHUNK_BYTES)
        final = not chunk
        try:
            text = decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            before = "".join(pending) + chunk[: max(exc.start, 0)].decode(encoding, "replace")
            line = done + before.count(newline or "\n") + 1
            raise IngestError(
                f"{encoding_label(encoding)} として読めない文字があります"
                "（途中で文字コードが変わっているか、ファイルが壊れています）",
                line=line,
            ) from None
        if text:
            if newline is None:
                # Classic Mac files end lines with a bare CR; everything else has LF.
                newline = "\r" if "\r" in text and "\n" not in text else "\n"
            parts = text.split(newline)
            if len(parts) > 1:
                parts[0] = "".join(pending) + parts[0]
                pending.clear()
                pending_len = 0
                last = parts.pop()
                done += len(parts)
                yield [part + newline for part in parts]
                if last:
                    pending.append(last)
                    pending_len = len(last)
            else:
                pending.append(text)
                pending_len += len(text)
            if pending_len > MAX_LINE_CHARS:
                raise IngestError(
                    "1 行が長すぎます（改行のないファイルは表として読めません）", line=done + 1
                )
        if final:
            break
    if pending:
        yield ["".join(pending)]
