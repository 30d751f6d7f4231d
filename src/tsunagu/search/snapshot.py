"""A search index frozen into one file that every worker process on the host maps read-only.

An in-process index holds ~1.6 GB of Python objects at 100k datasets, per process. The snapshot
holds the same index as flat sections (snapshot_format.py): each posting list as a serialized
roaring bitmap behind a sorted term table, each document's package JSON compressed with a shared
dictionary (zlib ``zdict``: ~7× on package JSON, ~20 µs to expand one), the per-document values
that filters and facets read, the normalised text the phrase check searches (UTF-8, searched with
``mmap.find``: a byte match of UTF-8 is a character match), and the sort and range orders as
packed arrays. Pages are shared through the page cache, so N workers cost one copy; a worker
opens a snapshot in well under a second instead of rebuilding.

Documents changed since the snapshot's revision live in a small in-memory overlay on top of it
(memory_index.py); the snapshot itself never changes once written.
"""

from __future__ import annotations

import os
import zlib
from array import array
from collections.abc import Iterator, Sequence
from itertools import compress, repeat
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from pyroaring import BitMap

from tsunagu.search.interface import FACET_FIELDS, READING, SORT_FIELDS
from tsunagu.search.snapshot_format import MappedFile, StringTable, read_header

POSTING_FAMILIES = ("title", "body", "char", "reading")
TEXT_SECTIONS = (
    "title",
    "notes",
    "author",
    "maintainer",
    "res_name",
    "res_description",
    "url",
    "version",
    "text",
    READING,
)
NUMERIC_SORTS = ("num_resources", "num_tags", "quality_stars", "quality_score")
STORED_SORTS = tuple(field for field in SORT_FIELDS if field != "score")
# What each document keeps beside its JSON, in this order (StoredDocument reads by position),
# compressed like the JSON. Sort fields are read from the sort columns instead.
META_FIELDS = ("id", "owner_org", "private", "state", "creator_user_id", "values")
# Document attributes read from a sort column: attribute → sort field.
SORTED_ATTRS = {
    ("title_sort" if field == "title_string" else field): field
    for field in SORT_FIELDS
    if field != "score"
}
_META_INDEX = {name: i for i, name in enumerate(META_FIELDS)}
# Package JSON is compressed one document at a time (a page shows any 10 of them); level 1
# with a dictionary of typical packages compresses ~7×, and level 6 adds little for 3× the time.
_RAW_LEVEL = 1
# Raw deflate (no zlib header or checksum): half the time to expand a package.
_RAW_WBITS = -15


def _attr(field: str) -> str:
    return "title_sort" if field == "title_string" else field


# -- reading ----------------------------------------------------------------------------------


class SnapshotPostings:
    """One posting family (or one field's values) of a snapshot: term → bitmap, read on demand."""

    def __init__(self, file: MappedFile, name: str, display: bool = False) -> None:
        self.keys = StringTable(file, f"{name}.keys")
        self.offsets = file.array(f"{name}.off", "Q")
        self.base, _ = file.span(f"{name}.data")
        self.map = file.map
        self.display = StringTable(file, f"{name}.display") if display else None

    def __len__(self) -> int:
        return len(self.keys)

    def bitmap(self, i: int) -> BitMap:
        start = self.base + self.offsets[i]
        return BitMap.deserialize(self.map[start : self.base + self.offsets[i + 1]])

    def get(self, key: str) -> BitMap | None:
        i = self.keys.find(key)
        return None if i < 0 else self.bitmap(i)

    def shown(self, key: str) -> str | None:
        i = self.keys.find(key)
        if i < 0 or self.display is None:
            return None
        return self.display[i]

    def items(self) -> Iterator[tuple[str, BitMap]]:
        return ((self.keys[i], self.bitmap(i)) for i in range(len(self.keys)))

    def prefixed(self, prefix: str) -> Iterator[tuple[str, BitMap]]:
        return ((self.keys[i], self.bitmap(i)) for i in self.keys.prefixed(prefix))


class TextColumn:
    """One field's normalised text of every snapshot document, NUL-joined, for ``find``."""

    def __init__(self, file: MappedFile, field: str) -> None:
        self.map = file.map
        self.base, _ = file.span(f"text.{field}.blob")
        self.starts = np.frombuffer(file.bytes(f"text.{field}.starts"), dtype=np.uint64)
        self.ends = np.frombuffer(file.bytes(f"text.{field}.ends"), dtype=np.uint64)

    def text(self, docid: int) -> str:
        start = self.base + int(self.starts[docid])
        return self.map[start : self.base + int(self.ends[docid])].decode()

    def containing(self, phrase: str, docids: Sequence[int]) -> Iterator[int]:
        """The docids (ascending) whose text holds ``phrase``."""
        needle = phrase.encode()
        chosen = (
            np.frombuffer(memoryview(docids).cast("B"), dtype=np.uint32)
            if isinstance(docids, array)
            else np.asarray(docids, dtype=np.uint32)
        )
        starts = (self.starts[chosen] + self.base).tolist()
        ends = (self.ends[chosen] + self.base).tolist()
        hits = map(self.map.find, repeat(needle), starts, ends)
        return compress(docids, map((-1).__ne__, hits))


class SortColumn:
    """A sort field of the snapshot's documents: distinct values, ranks and the value order."""

    def __init__(self, file: MappedFile, field: str) -> None:
        self.numeric = field in NUMERIC_SORTS
        self.values: Any = (
            np.frombuffer(file.bytes(f"sort.{field}.values"), dtype=np.int64)
            if self.numeric
            else StringTable(file, f"sort.{field}.values")
        )
        self.ranks = np.frombuffer(file.bytes(f"sort.{field}.ranks"), dtype=np.uint32)
        self.order = np.frombuffer(file.bytes(f"sort.{field}.order"), dtype=np.uint32)
        self.starts = np.frombuffer(file.bytes(f"sort.{field}.starts"), dtype=np.uint64)

    def __len__(self) -> int:
        return len(self.starts) - 1

    def value(self, rank: int) -> Any:
        return int(self.values[rank]) if self.numeric else self.values[rank]

    def bisect_left(self, value: Any) -> int:
        if self.numeric:
            return int(np.searchsorted(self.values, value, side="left"))
        return int(self.values.bisect(str(value).encode()))

    def bisect_right(self, value: Any) -> int:
        if self.numeric:
            return int(np.searchsorted(self.values, value, side="right"))
        encoded = str(value).encode()
        i = self.values.bisect(encoded)
        while i < len(self) and self.values.raw(i) == encoded:
            i += 1
        return i

    def docids(self, low_rank: int, high_rank: int) -> np.ndarray:
        """The documents whose value's rank lies in [low_rank, high_rank)."""
        return self.order[int(self.starts[low_rank]) : int(self.starts[high_rank])]


class Snapshot:
    """An opened snapshot file (read-only, shared)."""

    def __init__(self, path: str | os.PathLike[str], verify: bool = True) -> None:
        self.path = Path(path)
        header = read_header(path, verify=verify)
        self.file = MappedFile(path, header)
        self.revision: int = int(header["revision"])
        self.count: int = int(header["count"])
        self.site_url: str = header["site_url"]
        self.facet_titles: dict[str, dict[str, str]] = header["facet_titles"]
        file = self.file
        self.zdict = bytes(file.bytes("zdict")) or b"\x00"
        self.raw_offsets = file.array("raw.off", "Q")
        self.raw_base, _ = file.span("raw.blob")
        self.meta_offsets = file.array("meta.off", "Q")
        self.meta_base, _ = file.span("meta.blob")
        self.refs = StringTable(file, "refs")
        self.ref_docids = file.array("refs.docid", "I")
        self.postings = {f: SnapshotPostings(file, f"post.{f}") for f in POSTING_FAMILIES}
        self.fields = {
            f: SnapshotPostings(file, f"field.{f}", display=True) for f in header["fields"]
        }
        self._texts: dict[str, TextColumn] = {}
        self._sorts: dict[str, SortColumn] = {}

    def docid(self, ref: str) -> int | None:
        i = self.refs.find(ref)
        return None if i < 0 else int(self.ref_docids[i])

    def raw(self, docid: int) -> bytes:
        start = self.raw_base + self.raw_offsets[docid]
        packed = self.file.map[start : self.raw_base + self.raw_offsets[docid + 1]]
        unpacker = zlib.decompressobj(_RAW_WBITS, zdict=self.zdict)
        return unpacker.decompress(packed) + unpacker.flush()

    def meta(self, docid: int) -> list[Any]:
        start = self.meta_base + self.meta_offsets[docid]
        packed = self.file.map[start : self.meta_base + self.meta_offsets[docid + 1]]
        unpacker = zlib.decompressobj(_RAW_WBITS, zdict=self.zdict)
        result: list[Any] = orjson.loads(unpacker.decompress(packed) + unpacker.flush())
        return result

    def text(self, field: str) -> TextColumn:
        column = self._texts.get(field)
        if column is None:
            column = self._texts[field] = TextColumn(self.file, field)
        return column

    def sort(self, field: str) -> SortColumn:
        column = self._sorts.get(field)
        if column is None:
            column = self._sorts[field] = SortColumn(self.file, field)
        return column


class StoredDocument:
    """A snapshot document, read field by field from the map when asked (``IndexDocument``'s
    reading side: what filters, facets, sorting and rendering use)."""

    __slots__ = ("_docid", "_meta", "_snapshot")

    def __init__(self, snapshot: Snapshot, docid: int) -> None:
        self._snapshot = snapshot
        self._docid = docid
        self._meta: list[Any] | None = None

    def __getattr__(self, name: str) -> Any:
        field = SORTED_ATTRS.get(name)
        if field is not None:
            column = self._snapshot.sort(field)
            return column.value(int(column.ranks[self._docid]))
        position = _META_INDEX.get(name)
        if position is None:
            raise AttributeError(name)
        if self._meta is None:
            self._meta = self._snapshot.meta(self._docid)
        return self._meta[position]

    @property
    def raw(self) -> bytes:
        return self._snapshot.raw(self._docid)

    @property
    def values(self) -> dict[str, list[str]]:
        stored: dict[str, list[str]] = self.__getattr__("values")
        empty: dict[str, list[str]] = {key: [] for key in FACET_FIELDS}
        return {"id": [self.id], "name": [self.name], **empty, **stored}

    @property
    def titles(self) -> dict[str, dict[str, str]]:
        return {}  # kept once for the whole snapshot (Snapshot.facet_titles)

    @property
    def texts(self) -> dict[str, str]:
        return {
            field: self._snapshot.text(field).text(self._docid)
            for field in TEXT_SECTIONS
            if field != READING
        }

    @property
    def reading(self) -> str:
        return self._snapshot.text(READING).text(self._docid)
