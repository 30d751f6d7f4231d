"""The index as a snapshot (shared, read-only) plus this process's changes since it was written.

Documents added since the snapshot get docids after the snapshot's; a snapshot document that was
changed or removed is a tombstone (an update is a removal plus a new docid, as in the in-memory
index). Each class here reads like the dict or list it stands in for, so the evaluator, ranking
and facets read a snapshot-backed index the same way as a purely in-memory one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pyroaring import BitMap

from tsunagu.search.snapshot import Snapshot, SnapshotPostings, StoredDocument


class LayeredPostings:
    """term → docids: the snapshot's list less its tombstones, plus the overlay's."""

    def __init__(self, base: SnapshotPostings | None, tombstones: BitMap) -> None:
        self.base = base
        self.tombstones = tombstones
        self.overlay: dict[str, BitMap] = {}
        self._base_keys: list[str] | None = None

    def base_keys(self) -> list[str]:
        """The snapshot's terms, decoded once (walked by facet counts)."""
        if self._base_keys is None:
            self._base_keys = list(self.base.keys) if self.base is not None else []
        return self._base_keys

    def __getitem__(self, key: str) -> BitMap:
        """The overlay's own bitmap for ``key``, for adding or removing overlay documents."""
        bitmap = self.overlay.get(key)
        if bitmap is None:
            bitmap = self.overlay[key] = BitMap()
        return bitmap

    def get(self, key: str, default: Any = None) -> Any:
        found = self.base.get(key) if self.base is not None else None
        added = self.overlay.get(key)
        if found is None:
            return added if added is not None else default
        if self.tombstones:
            found -= self.tombstones
        if added:
            found |= added
        return found

    def discard(self, key: str, docid: int) -> None:
        bitmap = self.overlay.get(key)
        if bitmap is not None:
            bitmap.discard(docid)
            if not bitmap:
                del self.overlay[key]

    def __contains__(self, key: str) -> bool:
        return key in self.overlay or (self.base is not None and self.base.keys.find(key) >= 0)

    def __len__(self) -> int:
        # Values only in the overlay are few; an upper bound is all the facet walk needs.
        return (len(self.base) if self.base is not None else 0) + len(self.overlay)

    def keys(self) -> Iterator[str]:
        yield from self.base_keys()
        for key in list(self.overlay):
            if self.base is None or self.base.keys.find(key) < 0:
                yield key

    def items(self) -> Iterator[tuple[str, BitMap]]:
        base = self.base
        if base is not None:
            for i, key in enumerate(self.base_keys()):
                found = base.bitmap(i)
                if self.tombstones:
                    found -= self.tombstones
                added = self.overlay.get(key)
                if added:
                    found |= added
                yield key, found
        for key in list(self.overlay):
            if base is None or base.keys.find(key) < 0:
                yield key, BitMap(self.overlay[key])

    def prefixed(self, prefix: str) -> Iterator[tuple[str, BitMap]]:
        """The terms starting with ``prefix`` and their documents (a range of the sorted
        snapshot terms, not a walk over all of them)."""
        seen = set()
        if self.base is not None:
            for i in self.base.keys.prefixed(prefix):
                key = self.base.keys[i]
                seen.add(key)
                yield key, self.get(key, BitMap())
        for key in list(self.overlay):
            if key.startswith(prefix) and key not in seen:
                yield key, self.get(key, BitMap())


class LayeredFields:
    """field → LayeredPostings, created on first write like the in-memory defaultdict."""

    def __init__(self, snapshot: Snapshot, tombstones: BitMap) -> None:
        self.snapshot = snapshot
        self.tombstones = tombstones
        self.fields: dict[str, LayeredPostings] = {
            name: LayeredPostings(base, tombstones) for name, base in snapshot.fields.items()
        }

    def __getitem__(self, field: str) -> LayeredPostings:
        postings = self.fields.get(field)
        if postings is None:
            postings = self.fields[field] = LayeredPostings(None, self.tombstones)
        return postings

    def get(self, field: str, default: Any = None) -> Any:
        return self.fields.get(field, default)

    def __contains__(self, field: str) -> bool:
        return field in self.fields

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)


class LayeredDisplay:
    """normalised value → display value of one field: the overlay's first, then the snapshot's."""

    # Fields with up to this many values are decoded into a dict on first use (facets read
    # every value's display form); larger ones (id, name) are looked up in the map.
    DECODE_LIMIT = 20_000

    def __init__(self, base: SnapshotPostings | None) -> None:
        self.base = base
        self.overlay: dict[str, str] = {}
        self._decoded: dict[str, str] | None = None
        if base is not None and base.display is not None and len(base) <= self.DECODE_LIMIT:
            self._decoded = {}

    def _base(self, key: str) -> str | None:
        if self.base is None:
            return None
        if self._decoded is not None:
            if not self._decoded and len(self.base):
                assert self.base.display is not None
                self._decoded = dict(zip(self.base.keys, self.base.display, strict=True))
            return self._decoded.get(key)
        return self.base.shown(key)

    def get(self, key: str, default: Any = None) -> Any:
        shown = self.overlay.get(key)
        if shown is None:
            shown = self._base(key)
        return default if shown is None else shown

    def __getitem__(self, key: str) -> str:
        shown = self.get(key)
        if shown is None:
            raise KeyError(key)
        return str(shown)

    def setdefault(self, key: str, value: str) -> str:
        shown = self.get(key)
        if shown is None:
            self.overlay[key] = shown = value
        return str(shown)


class LayeredDisplays:
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.fields: dict[str, LayeredDisplay] = {}

    def __getitem__(self, field: str) -> LayeredDisplay:
        display = self.fields.get(field)
        if display is None:
            display = self.fields[field] = LayeredDisplay(self.snapshot.fields.get(field))
        return display

    def get(self, field: str, default: Any = None) -> Any:
        return self[field]


class LayeredDocs:
    """docid → document: snapshot documents read from the map, then the overlay's list."""

    def __init__(self, snapshot: Snapshot, tombstones: BitMap) -> None:
        self.snapshot = snapshot
        self.base_count = snapshot.count
        self.tombstones = tombstones
        self.overlay: list[Any] = []

    def __len__(self) -> int:
        return self.base_count + len(self.overlay)

    def __getitem__(self, docid: int) -> Any:
        if docid < 0:
            docid += len(self)
        if docid < self.base_count:
            if docid in self.tombstones:
                return None
            return StoredDocument(self.snapshot, docid)
        return self.overlay[docid - self.base_count]

    def __setitem__(self, docid: int, doc: Any) -> None:
        if docid < self.base_count:
            if doc is not None:
                raise ValueError("snapshot documents are only ever removed")
            self.tombstones.add(docid)
        else:
            self.overlay[docid - self.base_count] = doc

    def append(self, doc: Any) -> None:
        self.overlay.append(doc)

    def __iter__(self) -> Iterator[Any]:
        return (self[docid] for docid in range(len(self)))


class LayeredRefs:
    """Dataset id and name → docid: the overlay's, then the snapshot's unless removed."""

    def __init__(self, snapshot: Snapshot, tombstones: BitMap) -> None:
        self.snapshot = snapshot
        self.tombstones = tombstones
        self.overlay: dict[str, int] = {}
        # Refs the overlay gave up (a renamed overlay document's old name) that the snapshot
        # must not answer either.
        self.hidden: set[str] = set()

    def get(self, ref: str, default: Any = None) -> Any:
        docid = self.overlay.get(ref)
        if docid is not None:
            return docid
        if ref in self.hidden:
            return default
        docid = self.snapshot.docid(ref)
        if docid is None or docid in self.tombstones:
            return default
        return docid

    def __setitem__(self, ref: str, docid: int) -> None:
        self.overlay[ref] = docid
        self.hidden.discard(ref)

    def pop(self, ref: str, default: Any = None) -> Any:
        found = self.get(ref, default)
        self.overlay.pop(ref, None)
        self.hidden.add(ref)
        return found

    def __delitem__(self, ref: str) -> None:
        self.pop(ref)
