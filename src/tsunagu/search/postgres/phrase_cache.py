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

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

# Seqs remembered over all phrases (8 bytes each): at most 32 MB per process.
CAPACITY_SEQS = 4_000_000
# Documents indexed since an answer was read are confirmed by strpos in each search; past this
# many, the answer is read on to the newest document first.
STALE_AFTER = 512


@dataclass(frozen=True)
class _Answer:
    upto: int  # every document with a seq up to this one was checked
    seqs: np.ndarray  # those holding the phrase, int64, ascending


class PhraseSeqs:
    """One process's remembered phrase answers, least recently used forgotten first."""

    def __init__(self, capacity: int = CAPACITY_SEQS) -> None:
        self.capacity = capacity
        self._answers: OrderedDict[tuple[str, str], _Answer] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def answer(
        self,
        connection: Connection,
        column: str,
        phrase: str,
        candidates: tuple[str, dict[str, Any]],
        newest: int,
    ) -> _Answer:
        """The documents up to seq ``newest`` (at least) whose ``column`` text holds ``phrase``,
        read in ``connection``'s snapshot. ``candidates`` is a condition every such document
        meets (its terms' array containments, which the GIN indexes answer) and its values."""
        key = (column, phrase)
        with self._lock:
            known = self._answers.get(key)
            if known is not None:
                self._answers.move_to_end(key)
        if known is not None and newest - known.upto <= STALE_AFTER:
            return known
        since = known.upto if known is not None else 0
        condition, values = candidates
        found = connection.execute(
            text(
                "SELECT string_agg(int8send(seq), ''::bytea ORDER BY seq) FROM search_document"
                f" WHERE {condition} AND seq > :since AND seq <= :newest"
                f" AND strpos({column}, :phrase) > 0"
            ),
            {**values, "since": since, "newest": newest, "phrase": phrase},
        ).scalar()
        more = np.frombuffer(found or b"", dtype=">i8").astype(np.int64)
        seqs = more if known is None else np.concatenate([known.seqs, more])
        answer = _Answer(upto=newest, seqs=seqs)
        with self._lock:
            old = self._answers.pop(key, None)
            self._held -= 0 if old is None else len(old.seqs)
            self._answers[key] = answer
            self._held += len(seqs)
            while self._held > self.capacity and len(self._answers) > 1:
                _, gone = self._answers.popitem(last=False)
                self._held -= len(gone.seqs)
        return answer


__all__ = ["PhraseSeqs"]
