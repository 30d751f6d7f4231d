"""Which documents hold a term, remembered by each process as their seqs.

Finding a common word's matches in PostgreSQL visits every matching row (a GIN index gives
row addresses, not answers): about 1 µs a row, 30–45 ms for a word in a third of 100,000
datasets, however the statement is shaped. The seqs of the documents holding a term are read
once, then only those indexed since (``seq > upto``, a short range of the seq index), so a
search of common words is a few set operations in numpy (in_process.py).

As with the phrase answers (phrase_cache.py), an answer stays exact without being invalidated
because a seq always means the same document content: documents only ever go away, and which
are still there is the document copy's business (doc_copy.py).
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Connection, text

from tsunagu.search.postgres.held_seqs import (
    PACKED_SEQS,
    Held,
    HeldSeqs,
    continued,
    read_on,
    unpack_seqs,
)

# Seqs remembered over all terms (8 bytes each): at most 48 MB per process.
CAPACITY_SEQS = 6_000_000
# The term arrays of search_document a key can be looked up in.
COLUMNS = ("all_terms", "title_terms", "title_only", "chars", "reading_terms", "vals")

Key = tuple[str, str]  # (column, term)


class TermSeqs:
    """One process's remembered term answers."""

    def __init__(self, capacity: int = CAPACITY_SEQS) -> None:
        self._held: HeldSeqs[Key] = HeldSeqs(capacity)

    def get(self, connection: Connection, keys: list[Key], newest: int) -> dict[Key, np.ndarray]:
        """The seqs (up to ``newest``) of the documents holding each key, read in
        ``connection``'s snapshot, whose last seq is ``newest``. One statement reads every key
        not yet known up to ``newest``."""
        known = {key: self._held.get(key) for key in dict.fromkeys(keys)}
        stale = [key for key, held in known.items() if held is None or held.upto < newest]
        if stale:
            read = self._read(connection, [(key, known[key]) for key in stale], newest)
            known.update((key, self._held.keep(key, held)) for key, held in read.items())
        result: dict[Key, np.ndarray] = {}
        for key, held in known.items():
            assert held is not None
            seqs = held.seqs
            # Read by a search in a newer snapshot: this one must not see what came after.
            if held.upto > newest:
                seqs = seqs[: np.searchsorted(seqs, newest, side="right")]
            result[key] = seqs
        return result

    def held(self) -> tuple[int, int]:
        """How many term answers, and seqs over all of them, this process holds."""
        return self._held.size()

    def _read(
        self, connection: Connection, stale: list[tuple[Key, Held | None]], newest: int
    ) -> dict[Key, Held]:
        parts = []
        params: dict[str, object] = {}
        for i, ((column, term), held) in enumerate(stale):
            if column not in COLUMNS:
                raise ValueError(f"not a term array of search_document: {column}")
            params[f"t{i}"] = [term]
            holds = f"{column} @> CAST(:t{i} AS text[])"
            if read_on(held, newest):
                assert held is not None
                params[f"s{i}"] = held.upto
                where = f"seq > :s{i} AND ({holds}) IS TRUE"
            elif column == "title_only":
                # No index of its own: its terms are title terms, found by title_terms' index.
                where = f"title_terms @> CAST(:t{i} AS text[]) AND ({holds}) IS TRUE"
            else:
                where = holds
            parts.append(
                f"SELECT {i} AS i, (SELECT {PACKED_SEQS} FROM search_document WHERE {where})"
                " AS seqs"
            )
        found: dict[Key, Held] = {}
        for i, packed in connection.execute(text(" UNION ALL ".join(parts)), params):
            key, held = stale[int(i)]
            found[key] = continued(held, newest, unpack_seqs(packed))
        return found


__all__ = ["COLUMNS", "Key", "TermSeqs"]
