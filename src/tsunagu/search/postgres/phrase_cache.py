"""Confirmed phrases, remembered by each process as the seqs of the documents holding them.

A phrase (避難所: its bigrams 避難 and 難所 somewhere in a document are not enough) is confirmed
with ``strpos`` on each candidate's normalised text: PostgreSQL decompresses the text first,
5–6 µs a candidate, over 100 ms for 避難所 and its synonyms at 100,000 datasets. The embedded
engine remembers such answers (search/phrases.py); so does each process here. Search then asks
PostgreSQL whether a candidate's seq is among the remembered ones (a hashed lookup) and confirms
by ``strpos`` only the documents indexed since.

The answer stays exact without being invalidated because a seq always means the same document
content (see facet_cache.py): the documents with a seq up to the one an answer was read at never
change, they only go away.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from tsunagu.search.postgres.held_seqs import Held, HeldSeqs, continued, read_on, seqs_where

# Seqs remembered over all phrases (8 bytes each): at most 32 MB per process.
CAPACITY_SEQS = 4_000_000
# Documents indexed since an answer was read are confirmed by strpos in each search; past this
# many, the answer is read on to the newest document first.
STALE_AFTER = 512


class PhraseSeqs:
    """One process's remembered phrase answers."""

    def __init__(self, capacity: int = CAPACITY_SEQS) -> None:
        self._held: HeldSeqs[tuple[str, str]] = HeldSeqs(capacity)

    def answer(
        self,
        connection: Connection,
        column: str,
        phrase: str,
        candidates: tuple[str, dict[str, Any]],
        newest: int,
    ) -> Held:
        """The documents up to seq ``newest`` (at least) whose ``column`` text holds ``phrase``,
        read in ``connection``'s snapshot. ``candidates`` is a condition every such document
        meets (its terms' array containments, which the GIN indexes answer) and its values."""
        key = (column, phrase)
        known = self._held.get(key)
        if known is not None and newest - known.upto <= STALE_AFTER:
            return known
        condition, values = candidates
        params = {**values, "phrase": phrase}
        # One index for the planner to use (held_seqs.read_on): the seq range or the GIN.
        if read_on(known, newest):
            assert known is not None
            params["since"] = known.upto
            condition = f"seq > :since AND ({condition}) IS TRUE"
        more = seqs_where(connection, f"{condition} AND strpos({column}, :phrase) > 0", params)
        return self._held.keep(key, continued(known, newest, more))


__all__ = ["PhraseSeqs"]
