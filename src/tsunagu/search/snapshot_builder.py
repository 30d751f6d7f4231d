"""Writing a snapshot file from index documents, one document at a time.

Documents stream through: their package JSON, stored values and texts go to temporary files as
they come, and only the posting lists (compressed bitmaps) and the sort values stay in memory,
so a build needs a fraction of an in-memory index (which kept every document whole) and a
million datasets fit in a few GB.
"""

from __future__ import annotations

import shutil
import tempfile
import zlib
from array import array
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson
from pyroaring import BitMap

from tsunagu.search.documents import IndexDocument
from tsunagu.search.phrases import document_text
from tsunagu.search.snapshot import (
    _RAW_LEVEL,
    _RAW_WBITS,
    META_FIELDS,
    NUMERIC_SORTS,
    STORED_SORTS,
    TEXT_SECTIONS,
    _attr,
)
from tsunagu.search.snapshot_format import SectionWriter

# Packages whose JSON makes the compression dictionary (the first ones built).
_SAMPLES = 16


class SnapshotBuilder:
    """``directory``: keep the streams as named files there (a helper process's part, merged
    by the parent with :meth:`merge`); ``zdict``: compress with this dictionary from the start
    (a part must use the parent's)."""

    def __init__(
        self, site_url: str, directory: Path | None = None, zdict: bytes | None = None
    ) -> None:
        self.site_url = site_url
        self.count = 0
        self._samples: list[bytes] = []
        self._pending_meta: list[bytes] = []
        self._packer: Any = None
        self.zdict = b""
        self._raw = _Stream(directory, _stream_name("raw"))
        self._meta = _Stream(directory, _stream_name("meta"))
        self._texts = {field: _Stream(directory, _stream_name(field)) for field in TEXT_SECTIONS}
        self._refs: list[tuple[bytes, int]] = []
        self._postings: dict[str, defaultdict[str, BitMap]] = {
            family: defaultdict(BitMap) for family in ("title", "body", "char", "reading")
        }
        self._fields: defaultdict[str, defaultdict[str, BitMap]] = defaultdict(
            lambda: defaultdict(BitMap)
        )
        self._display: defaultdict[str, dict[str, str]] = defaultdict(dict)
        self._titles: defaultdict[str, dict[str, str]] = defaultdict(dict)
        self._sorts: dict[str, list[Any]] = {field: [] for field in STORED_SORTS}
        if zdict is not None:
            self._start_packing(zdict)

    @property
    def dictionary_chosen(self) -> bool:
        return self._packer is not None

    def add_all(self, docs: Iterable[IndexDocument | None]) -> None:
        for doc in docs:
            if doc is None:
                raise ValueError("a snapshot is written from live documents only")
            self.add(doc)

    def add(self, doc: IndexDocument) -> None:
        docid = self.count
        self.count += 1
        stored = [getattr(doc, name) for name in META_FIELDS[:-1]]
        self._add_packed(doc.raw, orjson.dumps([*stored, _values(doc)]))
        for field in TEXT_SECTIONS:
            self._texts[field].write(document_text(doc, field).encode(), separator=b"\x00")
        self._refs += [(doc.id.encode(), docid), (doc.name.encode(), docid)]
        for family, terms in doc.term_families():
            postings = self._postings[family]
            for term in terms:
                postings[term].add(docid)
        for field_name, key, value in doc.field_keys():
            self._fields[field_name][key].add(docid)
            self._display[field_name].setdefault(key, value)
        for field_name, titles in doc.titles.items():
            self._titles[field_name].update(titles)
        for field, values in self._sorts.items():
            values.append(getattr(doc, _attr(field)))

    def _add_packed(self, raw: bytes, meta: bytes) -> None:
        if self._packer is None:
            self._samples.append(raw)
            self._pending_meta.append(meta)
            if len(self._samples) >= _SAMPLES:
                self._start_packing()
            return
        self._pack(raw, meta)

    def _start_packing(self, zdict: bytes | None = None) -> None:
        self.zdict = zdict if zdict is not None else sample_dictionary(self._samples)
        self._packer = zlib.compressobj(
            _RAW_LEVEL, zlib.DEFLATED, _RAW_WBITS, zdict=self.zdict or b"\x00"
        )
        for raw, meta in zip(self._samples, self._pending_meta, strict=True):
            self._pack(raw, meta)
        self._samples = []
        self._pending_meta = []

    def _pack(self, raw: bytes, meta: bytes) -> None:
        # Priming a compressor with the dictionary costs more than compressing one package,
        # so one primed compressor is copied per document. The stored values are compressed
        # with the same dictionary: they repeat the package's ids, names and tags.
        for stream, data in ((self._raw, raw), (self._meta, meta)):
            packer = self._packer.copy()
            stream.write(packer.compress(data) + packer.flush())

    def part_state(self) -> dict[str, Any]:
        """What a part hands to the parent beside its stream files (see merge)."""
        for stream in (self._raw, self._meta, *self._texts.values()):
            stream.file.flush()
        return {
            "count": self.count,
            "lengths": {
                name: stream.lengths
                for name, stream in (("raw", self._raw), ("meta", self._meta), *self._texts.items())
            },
            "refs": self._refs,
            "postings": {k: dict(v) for k, v in self._postings.items()},
            "fields": {k: dict(v) for k, v in self._fields.items()},
            "display": dict(self._display),
            "titles": dict(self._titles),
            "sorts": self._sorts,
        }

    def merge(self, state: dict[str, Any], directory: Path) -> None:
        """Append a part built by another process (its documents after this builder's), so
        the result is the same file one builder adding every document would write."""
        offset = self.count
        if self._packer is None:
            raise ValueError("the parent's dictionary must be chosen before parts are merged")
        streams = (("raw", self._raw), ("meta", self._meta), *self._texts.items())
        for name, stream in streams:
            stream.append_file(directory / _stream_name(name), state["lengths"][name])
        self._refs += [(ref, docid + offset) for ref, docid in state["refs"]]
        for family, postings in state["postings"].items():
            mine = self._postings[family]
            for term, bitmap in postings.items():
                mine[term] |= bitmap.shift(offset)
        for field, postings in state["fields"].items():
            mine = self._fields[field]
            for key, bitmap in postings.items():
                mine[key] |= bitmap.shift(offset)
        for field, shown in state["display"].items():
            target = self._display[field]
            for key, value in shown.items():
                target.setdefault(key, value)
        for field, titles in state["titles"].items():
            self._titles[field].update(titles)
        for field, values in state["sorts"].items():
            self._sorts[field].extend(values)
        self.count += state["count"]

    def finish(self, out: IO[bytes], revision: int) -> None:
        if self._packer is None:
            self._start_packing()
        writer = SectionWriter(out)
        writer.add("zdict", self.zdict)
        self._raw.write_to(writer, "raw")
        self._meta.write_to(writer, "meta")
        self._refs.sort()
        writer.add_strings("refs", [ref for ref, _ in self._refs])
        writer.add("refs.docid", np.asarray([d for _, d in self._refs], dtype=np.uint32))
        self._refs = []
        for family, postings in self._postings.items():
            _write_postings(writer, f"post.{family}", postings)
        fields = sorted(self._fields)
        for field in fields:
            keys = _write_postings(writer, f"field.{field}", self._fields[field])
            shown = self._display[field]
            writer.add_strings(f"field.{field}.display", [shown.get(k, k).encode() for k in keys])
        for field, stream in self._texts.items():
            lengths = np.frombuffer(stream.lengths, dtype=np.uint64)
            ends = np.cumsum(lengths + 1, dtype=np.uint64) - 1  # each text ends with a NUL
            writer.add(f"text.{field}.starts", ends - lengths)
            writer.add(f"text.{field}.ends", ends)
            stream.copy_to(writer, f"text.{field}.blob")
        for field, values in self._sorts.items():
            _write_order(writer, field, values)
        writer.finish(
            {
                "revision": revision,
                "count": self.count,
                "site_url": self.site_url,
                "fields": fields,
                "facet_titles": {k: dict(v) for k, v in self._titles.items()},
            }
        )


def _stream_name(name: str) -> str:
    """A part's file name for a stream (text field names hold NUL: the reading's)."""
    return name if name in ("raw", "meta") else f"text{TEXT_SECTIONS.index(name)}"


def sample_dictionary(raws: list[bytes]) -> bytes:
    """The compression dictionary: the last 32 KB of the first packages' JSON."""
    return b"".join(raws[:_SAMPLES])[-32768:]


class _Stream:
    """A file of variable-length items (temporary, or named in a part's directory) and their
    lengths."""

    def __init__(self, directory: Path | None = None, name: str = "") -> None:
        # Open across many calls, closed once copied into the snapshot (copy_to).
        if directory is None:
            self.file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        else:
            self.file = open(directory / name, "w+b")  # noqa: SIM115
        self.lengths = array("Q")

    def append_file(self, path: Path, lengths: array[int]) -> None:
        with path.open("rb") as source:
            shutil.copyfileobj(source, self.file, 1 << 22)
        self.lengths.extend(lengths)

    def write(self, data: bytes, separator: bytes = b"") -> None:
        self.file.write(data + separator if separator else data)
        self.lengths.append(len(data))

    def write_to(self, writer: SectionWriter, name: str) -> None:
        """As ``<name>.off`` (n + 1 offsets) and ``<name>.blob``."""
        offsets = np.zeros(len(self.lengths) + 1, dtype=np.uint64)
        np.cumsum(np.frombuffer(self.lengths, dtype=np.uint64), out=offsets[1:])
        writer.add(f"{name}.off", offsets)
        self.copy_to(writer, f"{name}.blob")

    def copy_to(self, writer: SectionWriter, name: str) -> None:
        self.file.flush()
        self.file.seek(0)
        writer.add_stream(name, self.file)
        self.file.close()


def _values(doc: Any) -> dict[str, list[str]]:
    """The exact-match values worth storing: id and name are stored once already, and empty
    fields are left out (StoredDocument.values puts both back: every document has each of
    FACET_FIELDS, see build_document)."""
    return {k: v for k, v in doc.values.items() if v and k not in ("id", "name")}


def _write_postings(writer: SectionWriter, name: str, postings: dict[str, BitMap]) -> list[str]:
    keys = sorted((key for key, bitmap in postings.items() if bitmap), key=str.encode)
    writer.add_strings(f"{name}.keys", [key.encode() for key in keys])
    blobs = []
    for key in keys:
        bitmap = postings[key]
        bitmap.run_optimize()
        blobs.append(bitmap.serialize())
    offsets = np.cumsum([0, *map(len, blobs)], dtype=np.uint64)
    writer.add(f"{name}.off", offsets)
    writer.add_parts(f"{name}.data", blobs)
    return keys


def _write_order(writer: SectionWriter, field: str, values: list[Any]) -> None:
    """Distinct values in order, each document's rank among them, and the documents ordered by
    (value, docid) with where each value's run starts: sorting and ranges read these."""
    distinct = sorted(set(values))
    position = {value: rank for rank, value in enumerate(distinct)}
    ranks = np.fromiter((position[v] for v in values), dtype=np.uint32, count=len(values))
    order = np.argsort(ranks, kind="stable").astype(np.uint32)
    starts = np.searchsorted(ranks[order], np.arange(len(distinct) + 1)).astype(np.uint64)
    if field in NUMERIC_SORTS:
        writer.add(f"sort.{field}.values", np.asarray(distinct, dtype=np.int64))
    else:
        writer.add_strings(f"sort.{field}.values", [str(v).encode() for v in distinct])
    writer.add(f"sort.{field}.ranks", ranks)
    writer.add(f"sort.{field}.order", order)
    writer.add(f"sort.{field}.starts", starts)


def write_snapshot(
    docs: Iterable[IndexDocument | None], site_url: str, out: IO[bytes], revision: int
) -> None:
    """Write documents (an in-memory index's, all live) as a snapshot to ``out``."""
    builder = SnapshotBuilder(site_url)
    builder.add_all(docs)
    builder.finish(out, revision)
