"""The byte layout of a search snapshot file: named sections, a header at the end, a checksum.

::

    b"TSGSNAP\\0" | section | section | … | header (JSON) | trailer

The trailer (24 bytes) holds the header's offset and length, the header's CRC-32 and an end
mark, so a file cut short by a crash or a full disk is recognised before anything is read. The
header names each section's offset and length, the format version, the catalog revision the
snapshot was built at, and the CRC-32 of everything before it. Sections start on 8-byte
boundaries so that arrays can be viewed in place (numpy / memoryview) from the memory map.

A string table is two sections: ``<name>.off`` (n + 1 offsets) and ``<name>.blob`` (UTF-8),
sorted by bytes (UTF-8 byte order is code point order, so lookups compare bytes, no decoding).
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import zlib
from array import array
from collections.abc import Iterable, Iterator
from typing import IO, Any

MAGIC = b"TSGSNAP\x00"
END = b"TSGEND\x00\x00"
# Bump whenever the layout or the meaning of a section changes: older files are then rebuilt.
VERSION = 1
_TRAILER = struct.Struct("<QII8s")  # header offset, header length, header CRC-32, END


class SnapshotError(Exception):
    """A file that is not a complete snapshot of this version."""


class SectionWriter:
    """Appends named sections to an open file, keeping a running CRC-32."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.sections: dict[str, list[int]] = {}
        self.position = 0
        self.crc = 0
        self._write(MAGIC)

    def _write(self, data: bytes | memoryview) -> None:
        view = memoryview(data).cast("B")
        self.out.write(view)
        self.crc = zlib.crc32(view, self.crc)
        self.position += view.nbytes

    def _align(self) -> None:
        if self.position % 8:
            self._write(b"\x00" * (8 - self.position % 8))

    def add(self, name: str, data: Any) -> None:
        """A section holding one buffer (bytes, array, numpy array)."""
        self._align()
        start = self.position
        self._write(memoryview(data))
        self.sections[name] = [start, self.position - start]

    def add_parts(self, name: str, parts: Iterable[bytes]) -> None:
        # Many small parts (one per document) are joined first: one write and one CRC call.
        self.add(name, b"".join(parts))

    def add_stream(self, name: str, source: IO[bytes]) -> None:
        """A section copied from an open file, from its current position to its end."""
        self._align()
        start = self.position
        while chunk := source.read(1 << 22):
            self._write(chunk)
        self.sections[name] = [start, self.position - start]

    def add_strings(self, name: str, strings: list[bytes]) -> None:
        offsets = array("Q", [0])
        total = 0
        for item in strings:
            total += len(item)
            offsets.append(total)
        self.add(f"{name}.off", offsets)
        self.add_parts(f"{name}.blob", strings)

    def finish(self, header: dict[str, Any]) -> None:
        header = {**header, "version": VERSION, "sections": self.sections, "crc": self.crc}
        encoded = json.dumps(header, ensure_ascii=False).encode()
        self._align()
        offset = self.position
        self.out.write(encoded)
        self.out.write(_TRAILER.pack(offset, len(encoded), zlib.crc32(encoded), END))


def read_header(path: str | os.PathLike[str], verify: bool = True) -> dict[str, Any]:
    """The header of a complete snapshot of this version; SnapshotError otherwise.

    ``verify`` checks the CRC-32 of the whole file with plain reads (not through a memory map,
    so the pages read do not count against the process).
    """
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size < len(MAGIC) + _TRAILER.size or handle.read(len(MAGIC)) != MAGIC:
            raise SnapshotError("not a snapshot file (no start mark)")
        handle.seek(size - _TRAILER.size)
        offset, length, header_crc, end = _TRAILER.unpack(handle.read(_TRAILER.size))
        if end != END or offset + length + _TRAILER.size != size:
            raise SnapshotError("incomplete file (no end mark)")
        handle.seek(offset)
        encoded = handle.read(length)
        if zlib.crc32(encoded) != header_crc:
            raise SnapshotError("damaged header")
        header: dict[str, Any] = json.loads(encoded)
        if header.get("version") != VERSION:
            raise SnapshotError(f"format version {header.get('version')}, expected {VERSION}")
        if verify:
            handle.seek(0)
            crc = 0
            remaining = offset
            while remaining:
                chunk = handle.read(min(remaining, 1 << 22))
                if not chunk:
                    raise SnapshotError("file shorter than its header says")
                crc = zlib.crc32(chunk, crc)
                remaining -= len(chunk)
            # Alignment padding before the header was counted by the writer as well.
            if crc != header["crc"]:
                raise SnapshotError("checksum mismatch")
        return header


class MappedFile:
    """A snapshot opened read-only through a shared memory map."""

    def __init__(self, path: str | os.PathLike[str], header: dict[str, Any]) -> None:
        with open(path, "rb") as handle:
            self.map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        self.view = memoryview(self.map)
        self.header = header
        self.sections: dict[str, list[int]] = header["sections"]

    def has(self, name: str) -> bool:
        return name in self.sections

    def span(self, name: str) -> tuple[int, int]:
        start, length = self.sections[name]
        return start, start + length

    def bytes(self, name: str) -> memoryview:
        start, end = self.span(name)
        return self.view[start:end]

    def array(self, name: str, typecode: str) -> memoryview:
        """A section as a read-only typed view (no copy)."""
        return self.bytes(name).cast(typecode)


class StringTable:
    """A sorted table of UTF-8 strings in the map: lookup by bisection, ranges by prefix."""

    def __init__(self, file: MappedFile, name: str) -> None:
        self.offsets = file.array(f"{name}.off", "Q")
        self.base, _ = file.span(f"{name}.blob")
        self.map = file.map

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def raw(self, i: int) -> bytes:
        return self.map[self.base + self.offsets[i] : self.base + self.offsets[i + 1]]

    def __getitem__(self, i: int) -> str:
        return self.raw(i).decode()

    def bisect(self, key: bytes) -> int:
        low, high = 0, len(self)
        while low < high:
            middle = (low + high) // 2
            if self.raw(middle) < key:
                low = middle + 1
            else:
                high = middle
        return low

    def find(self, key: str) -> int:
        """The position of ``key``, or -1."""
        encoded = key.encode()
        i = self.bisect(encoded)
        return i if i < len(self) and self.raw(i) == encoded else -1

    def prefixed(self, prefix: str) -> range:
        """Positions of the strings starting with ``prefix``."""
        encoded = prefix.encode()
        start = self.bisect(encoded)
        end = start
        while end < len(self) and self.raw(end).startswith(encoded):
            end += 1
        return range(start, end)

    def __iter__(self) -> Iterator[str]:
        return (self[i] for i in range(len(self)))
