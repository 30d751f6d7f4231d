"""Which documents the shared index holds at a revision, and their place under each sort field,
copied by each process so that a search of common words is counted and ordered in numpy.

Ordering 30,000 matches by metadata_modified in PostgreSQL costs 60–300 ms (each match's row
is visited); from a rank array it is a few milliseconds. The copy is read for one revision of
the index: the seqs (about 50 ms at 100,000 datasets) and, for each sort field a search has
asked for, every document's dense rank (about 150 ms each). When the index moves on, the copy
is read again by a thread of its own while searches take the SQL path (backend.plan), so a
change never makes a search wait for it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Connection, Engine, text

from tsunagu.search.postgres import sync
from tsunagu.search.postgres.held_seqs import seqs_where
from tsunagu.search.postgres.ordering import COLUMNS as SORT_COLUMNS

log = logging.getLogger(__name__)
# After reading the copy in the background, a process waits this many times as long before
# reading it again.
PAUSE = 3.0


@dataclass(frozen=True)
class Copy:
    # The index's revision and last seq: a rebuild keeps the revision, not the seqs.
    version: tuple[int, int]
    seqs: np.ndarray  # every indexed document's seq, int64, ascending
    ranks: dict[str, np.ndarray] = field(default_factory=dict)  # column → rank per seqs[i]

    def live(self, seqs: np.ndarray) -> np.ndarray:
        """Those of ``seqs`` (ascending) still indexed at this revision."""
        return seqs[isin_sorted(seqs, self.seqs)]

    def rank(self, column: str, seqs: np.ndarray) -> np.ndarray:
        """The rank of each of ``seqs`` (all live) under a sort column."""
        return self.ranks[column][np.searchsorted(self.seqs, seqs)]


class DocCopies:
    """One process's copy, read again in the background when the index moves on."""

    def __init__(self, engine: Engine, background: bool = True) -> None:
        self.engine = engine
        # Off in tests that need the copy read before the search that asks for it.
        self.background = background
        self._copy: Copy | None = None
        # Sort fields searches asked for, in the order they first did (the default one first).
        self._wanted: dict[str, None] = {"metadata_modified": None}
        self._lock = threading.Lock()
        self._loading: threading.Thread | None = None
        self._not_before = 0.0  # time.monotonic() before which no read starts

    def current(self, version: tuple[int, int], columns: list[str]) -> Copy | None:
        """The copy at ``version`` (revision, last seq) holding ranks for ``columns``, or None
        (then one is read: in the background, or right away when ``background`` is off)."""
        copy = self._copy
        if (
            copy is not None
            and copy.version == version
            and all(column in copy.ranks for column in columns)
        ):
            return copy
        with self._lock:
            self._wanted.update(dict.fromkeys(columns))
            if self.background:
                if self._loading is None or not self._loading.is_alive():
                    self._loading = threading.Thread(
                        target=self._load_logged, name="search-doc-copy", daemon=True
                    )
                    self._loading.start()
                return None
        self._load()
        copy = self._copy
        return copy if copy is not None and copy.version == version else None

    def wait(self) -> None:
        """Until a copy being read is in (tests and benchmarks)."""
        loading = self._loading
        if loading is not None:
            loading.join()

    def _load_logged(self) -> None:
        # While the catalog changes every moment (a long harvest), reads of the copy would
        # follow each other back to back in every process, each sorting the whole table once
        # per sort field: a pause of PAUSE times the last read keeps them to a fraction of
        # PostgreSQL's time, and the SQL path answers meanwhile.
        time.sleep(max(0.0, self._not_before - time.monotonic()))
        started = time.monotonic()
        try:
            self._load()
        except Exception:  # the SQL path answers meanwhile; the next search tries again
            log.exception("search document copy could not be read")
        finally:
            ended = time.monotonic()
            self._not_before = ended + PAUSE * (ended - started)

    def _load(self) -> None:
        """Read the copy at the index's current version, publishing it after each sort field
        (the default order's first), so searches in that order need not wait for the rest."""
        with self.engine.connect().execution_options(isolation_level="REPEATABLE READ") as (
            connection
        ):
            version = sync.version(connection)
            old = self._copy
            if old is not None and old.version == version:
                seqs, ranks = old.seqs, dict(old.ranks)
            else:
                seqs, ranks = seqs_where(connection, "TRUE", {}), {}
                self._copy = Copy(version=version, seqs=seqs, ranks=dict(ranks))
            while True:
                with self._lock:  # searches may ask for more fields meanwhile
                    missing = [column for column in self._wanted if column not in ranks]
                if not missing:
                    break
                ranks[missing[0]] = _read_ranks(connection, missing[0], len(seqs))
                self._copy = Copy(version=version, seqs=seqs, ranks=dict(ranks))


def _read_ranks(connection: Connection, column: str, count: int) -> np.ndarray:
    """Dense ranks in seq order: equal values share a rank, as ORDER BY ties them."""
    if column not in SORT_COLUMNS.values():
        raise ValueError(f"not a sort column of search_document: {column}")
    packed = connection.scalar(
        text(
            "SELECT string_agg(int4send(r), ''::bytea ORDER BY seq) FROM (SELECT seq,"
            f" CAST(dense_rank() OVER (ORDER BY {column}) AS int4) AS r FROM search_document)"
            " AS ranked"
        )
    )
    ranks = np.frombuffer(packed or b"", dtype=">i4").astype(np.int32)
    assert len(ranks) == count, "the seqs and ranks were read in one snapshot"
    return ranks


def isin_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``sorted_set`` (ascending): a binary search each."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    places = np.searchsorted(sorted_set, values)
    places[places == len(sorted_set)] = 0
    return sorted_set[places] == values


__all__ = ["Copy", "DocCopies", "isin_sorted"]
