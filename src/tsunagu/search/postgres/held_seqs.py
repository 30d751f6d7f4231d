"""Answers a process remembers as seqs (terms, phrases), least recently used forgotten first.

An answer stays exact without being invalidated because a seq always means the same document
content (facet_cache.py): it only has to be read on past ``upto``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
from sqlalchemy import Connection, text

K = TypeVar("K")

# Seqs travel from PostgreSQL as one bytea of big-endian int8s, in seq order: a hundred
# thousand cost a few milliseconds to send and nothing to parse.
PACKED_SEQS = "string_agg(int8send(seq), ''::bytea ORDER BY seq)"


def unpack_seqs(packed: bytes | None) -> np.ndarray:
    """The int64 seqs of a PACKED_SEQS (or facets.matched_seqs) value; NULL is none."""
    return np.frombuffer(packed or b"", dtype=">i8").astype(np.int64)


def seqs_where(connection: Connection, condition: str, params: dict[str, Any]) -> np.ndarray:
    """The seqs of the search_document rows meeting a SQL condition, in the connection's
    snapshot, ascending."""
    packed = connection.scalar(
        text(f"SELECT {PACKED_SEQS} FROM search_document WHERE {condition}"), params
    )
    return unpack_seqs(packed)


@dataclass(frozen=True)
class Held:
    upto: int  # every document with a seq up to this one was checked
    seqs: np.ndarray  # those in the answer, int64, ascending


# An answer is read on past its seq by the seq index when at most this many seqs were given
# since; past that (a bulk import, a rebuild) it is read afresh by the term's GIN index.
READ_ON_LIMIT = 5_000


def read_on(held: Held | None, newest: int) -> bool:
    """Whether to read an answer on from ``held.upto`` rather than afresh. Either way the
    statement leaves the planner one index to use: the seq range, with the term checked on each
    row (``IS TRUE`` is no indexable condition), or the term's GIN index, without a seq range
    (every row of the snapshot is up to ``newest``). With both, the plan would rest on the
    planner's estimates: a seq range taken over the whole table checks every row's terms, and
    the GIN index for a few new rows visits every row holding the term."""
    return held is not None and newest - held.upto <= READ_ON_LIMIT


def continued(held: Held | None, newest: int, more: np.ndarray) -> Held:
    """The answer up to ``newest`` once ``more`` was read: added to what was held when it was
    read on from it (read_on), on its own when it was read afresh."""
    if held is not None and read_on(held, newest):
        return Held(upto=newest, seqs=np.concatenate([held.seqs, more]))
    return Held(upto=newest, seqs=more)


class HeldSeqs(Generic[K]):
    """At most ``capacity`` seqs over all answers (8 bytes each)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._held: OrderedDict[K, Held] = OrderedDict()
        self._count = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> Held | None:
        with self._lock:
            held = self._held.get(key)
            if held is not None:
                self._held.move_to_end(key)
            return held

    def keep(self, key: K, held: Held) -> Held:
        """Remember an answer, unless another search meanwhile read further; returns the one
        remembered."""
        with self._lock:
            old = self._held.pop(key, None)
            if old is not None and old.upto > held.upto:
                held = old
            self._count -= 0 if old is None else len(old.seqs)
            self._held[key] = held
            self._count += len(held.seqs)
            while self._count > self.capacity and len(self._held) > 1:
                _, gone = self._held.popitem(last=False)
                self._count -= len(gone.seqs)
            return held

    def size(self) -> tuple[int, int]:
        """How many answers, and seqs over all of them, are remembered."""
        with self._lock:
            return len(self._held), self._count


__all__ = [
    "PACKED_SEQS",
    "READ_ON_LIMIT",
    "Held",
    "HeldSeqs",
    "continued",
    "read_on",
    "seqs_where",
    "unpack_seqs",
]
