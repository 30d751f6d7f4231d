"""Confirming phrases: which candidate documents really hold a phrase, and remembering the answer.

Bigram postings only say that every bigram of a phrase occurs somewhere in a document; the phrase
itself is confirmed in the document's normalised text. That check is ~0.35 µs per candidate, so a
common phrase (標準データセット, 40k candidates at 100k datasets) costs 15–30 ms per query, the
slow tail of package_search. Two structures here make it cheap:

- :class:`PhraseCorpus` holds each field's text of every document joined into one string, so a
  check is one ``str.find`` over a slice, looped in C. It is extended, not rebuilt, when
  documents are added, since a docid's text never changes (an update gets a new docid).
- :class:`PhraseCache` remembers the confirmed documents of phrases that had many candidates, and
  keeps each answer exact as documents come and go by testing just that document. Common
  phrases are by nature the ones residents repeat, so they are answered from memory.

Positional postings were measured against this: 26M bigram occurrences at 100k datasets would be
~100 MB per process as 4-byte positions (+12 % of the index), for an answer the cache gives in a
few MB.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict
from dataclasses import dataclass
from itertools import compress, repeat
from typing import TYPE_CHECKING

from pyroaring import BitMap

from tsunagu.search.index_view import IndexView
from tsunagu.search.interface import READING

if TYPE_CHECKING:
    from tsunagu.search.documents import IndexDocument
# Phrases with fewer candidates are confirmed each time: ~0.7 ms, not worth a cache slot.
CACHE_MIN_CANDIDATES = 2_000
# At most this many phrases are remembered (least recently used go first). One answer is a
# roaring bitmap: at most ~8 KB per 65,536 datasets, so ~4 MB at 100k datasets when full.
CACHE_CAPACITY = 256
# Removed documents' text beyond the live documents' count (plus this) makes a corpus rebuild.
_REBUILD_SLACK = 256


def document_text(doc: IndexDocument | None, field: str) -> str:
    if doc is None:
        return ""
    return doc.reading if field == READING else doc.texts.get(field, "")


@dataclass(slots=True)
class _Segment:
    """The texts of docids ``first``, ``first + 1`` …, joined by NUL (never in normalised text)."""

    first: int
    text: str
    starts: list[int]
    ends: list[int]

    @classmethod
    def build(cls, first: int, texts: list[str]) -> _Segment:
        starts: list[int] = []
        ends: list[int] = []
        position = 0
        for text in texts:
            starts.append(position)
            position += len(text)
            ends.append(position)
            position += 1
        return cls(first, "\x00".join(texts), starts, ends)

    def merged(self, other: _Segment) -> _Segment:
        shift = len(self.text) + 1
        return _Segment(
            self.first,
            self.text + "\x00" + other.text,
            self.starts + [start + shift for start in other.starts],
            self.ends + [end + shift for end in other.ends],
        )

    @property
    def count(self) -> int:
        return len(self.starts)


class PhraseCorpus:
    """One field's normalised text of every document, for confirming phrases with ``str.find``.

    Built lazily per field on first use (~0.1 s and ~50 MB for the whole text at 100k
    datasets). New documents are appended as a new segment, and segments of similar size are
    merged, so a write costs the next query a few milliseconds instead of a full rebuild.
    """

    def __init__(self) -> None:
        self._segments: dict[str, list[_Segment]] = {}
        # Per field: how many docids were already removed when it was last built from scratch.
        self._removed_at_build: dict[str, int] = {}

    def _current(self, index: IndexView, field: str) -> list[_Segment]:
        """The segments of documents not in the index's snapshot (all of them without one)."""
        segments = self._segments.get(field)
        docs = index.docs
        first = index.base_count
        live_overlay = len(index.all_docs) - (first - len(index.tombstones))
        removed = len(docs) - first - live_overlay
        # Removed documents' text stays in the corpus (their docids are never candidates again)
        # until it outweighs the live documents' text; then the corpus is built afresh.
        stale = removed - self._removed_at_build.get(field, 0)
        if segments is None or stale > live_overlay + _REBUILD_SLACK:
            texts = [document_text(docs[docid], field) for docid in range(first, len(docs))]
            segments = [_Segment.build(first, texts)]
            self._removed_at_build[field] = removed
        else:
            covered = segments[-1].first + segments[-1].count
            if covered < len(docs):
                texts = [document_text(docs[docid], field) for docid in range(covered, len(docs))]
                tail = _Segment.build(covered, texts)
                segments.append(tail)
                # Merge like a binary counter: at most log2(n) segments, and each text copied
                # O(log n) times over the index's life.
                while len(segments) > 1 and segments[-2].count <= 2 * segments[-1].count:
                    last = segments.pop()
                    segments[-1] = segments[-1].merged(last)
        self._segments[field] = segments
        return segments

    def containing(self, index: IndexView, field: str, phrase: str, docids: BitMap) -> BitMap:
        """The documents among ``docids`` whose ``field`` text contains ``phrase``."""
        ids = docids.to_array()
        found = BitMap()
        first = index.base_count
        if index.snapshot is not None and first:
            # The snapshot's documents: its text column, searched in the shared map.
            in_snapshot = bisect_left(ids, first)
            if in_snapshot:
                column = index.snapshot.text(field)
                found.update(column.containing(phrase, ids[:in_snapshot]))
            ids = ids[in_snapshot:]
            if not len(ids):
                return found
        for segment in self._current(index, field):
            low = bisect_left(ids, segment.first)
            high = bisect_left(ids, segment.first + segment.count)
            if low == high:
                continue
            part = ids[low:high]
            # The first segment starts at docid 0 and is indexed directly.
            local = [docid - segment.first for docid in part] if segment.first else part
            hits = map(
                segment.text.find,
                repeat(phrase),
                map(segment.starts.__getitem__, local),
                map(segment.ends.__getitem__, local),
            )
            found.update(compress(part, map((-1).__ne__, hits)))
        return found


@dataclass(frozen=True, slots=True)
class PhraseKey:
    """A phrase as the evaluator confirms it: in one field (or the reading), by its terms."""

    field: str
    phrase: str
    terms: tuple[str, ...]


def holds(doc: IndexDocument, key: PhraseKey, terms: dict[str, frozenset[str]]) -> bool:
    """Whether one document matches the phrase, by exactly the evaluator's rules: every term in
    the postings the evaluator reads, and the phrase in the field's text.

    ``terms`` holds the document's term tuples as sets, made once per document.
    """
    if key.field == READING:
        if not terms["reading"].issuperset(key.terms):
            return False
        return key.phrase in doc.reading
    for term in key.terms:
        if len(term) == 1 and not term.isascii():
            if term not in terms["chars"]:
                return False
        elif key.field == "title":
            if term not in terms["title"]:
                return False
        elif term not in terms["title"] and term not in terms["body"]:
            return False
    return key.phrase in doc.texts.get(key.field, "")


def _term_sets(doc: IndexDocument) -> dict[str, frozenset[str]]:
    return {
        "title": frozenset(doc.title_terms),
        "body": frozenset(doc.body_terms),
        "chars": frozenset(doc.chars),
        "reading": frozenset(doc.reading_terms),
    }


class PhraseCache:
    """Confirmed documents of recently asked common phrases, kept exact across index changes.

    Entries cover every live document (not one caller's visible ones), so the caller intersects
    with what it may see. Adding a document tests it against each remembered phrase
    (~0.1 ms with a full cache); removing one takes its docid out of every entry.
    """

    def __init__(self, capacity: int = CACHE_CAPACITY) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[PhraseKey, BitMap] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def get(self, key: PhraseKey) -> BitMap | None:
        docids = self._entries.get(key)
        if docids is not None:
            self._entries.move_to_end(key)
        return docids

    def put(self, key: PhraseKey, docids: BitMap) -> None:
        if self.capacity <= 0:
            return
        self._entries[key] = docids
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def add_document(self, docid: int, doc: IndexDocument) -> None:
        if not self._entries:
            return
        terms = _term_sets(doc)
        for key, docids in self._entries.items():
            if holds(doc, key, terms):
                docids.add(docid)

    def remove_document(self, docid: int) -> None:
        for docids in self._entries.values():
            docids.discard(docid)
