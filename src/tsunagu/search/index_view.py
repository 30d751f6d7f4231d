"""What the search helpers (evaluate, facets, ranking, ranges, phrases) read of the embedded index.

MemoryIndex (memory_index.py) has these attributes and calls the helpers with itself; the helpers
are typed against this protocol instead of MemoryIndex, so that they need not import the module
that imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pyroaring import BitMap

if TYPE_CHECKING:
    from tsunagu.search.documents import IndexDocument
    from tsunagu.search.snapshot import Snapshot


class IndexView(Protocol):
    # The snapshot file the index is mapped from (None: everything in memory), its document
    # count, and its documents removed or changed since it was written.
    snapshot: Snapshot | None
    base_count: int
    tombstones: BitMap
    docs: list[IndexDocument | None]
    docid_by_ref: dict[str, int]  # dataset id and name → docid
    all_docs: BitMap
    title_postings: dict[str, BitMap]
    body_postings: dict[str, BitMap]
    char_postings: dict[str, BitMap]
    reading_postings: dict[str, BitMap]
    # field → normalised value → docids; and the display form of each value.
    field_postings: dict[str, dict[str, BitMap]]
    display: dict[str, dict[str, str]]
    facet_titles: dict[str, dict[str, str]]
