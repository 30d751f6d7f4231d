"""The embedded search engine: an in-process index of every dataset, kept in step with the database.

Text is indexed as character bigrams (plus whole ASCII words and single characters), so the short
Japanese words residents type (人口, 避難, 水) match without a morphological dictionary. Every
posting list and facet value is a compressed bitmap, which makes boolean filters and exact facet
counts cheap even over 100k datasets.

With a snapshot store (the server's default), the index is a snapshot file shared by every
process on the host (snapshot.py, mapped read-only) plus a small in-memory overlay of the
datasets changed since its revision (overlay.py). Without one (tests building an index by hand)
everything is in memory. Either way each process catches up with other processes' writes through
the catalog revision counter.
"""

from __future__ import annotations

import functools
import gc
import logging
import threading
import time
from collections import defaultdict
from pathlib import Path

from pyroaring import BitMap
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tsunagu.catalog.dictize import package_dicts
from tsunagu.catalog.models import Dataset, PurgedDataset
from tsunagu.catalog.revision import current_revision
from tsunagu.catalog.tags import vocabulary_names
from tsunagu.search import evaluate, facets, ranking
from tsunagu.search.documents import IndexDocument, build_document
from tsunagu.search.interface import IndexedDataset, SearchQuery, SearchResult
from tsunagu.search.overlay import (
    LayeredDisplays,
    LayeredDocs,
    LayeredFields,
    LayeredPostings,
    LayeredRefs,
)
from tsunagu.search.phrases import PhraseCache, PhraseCorpus
from tsunagu.search.ranges import RangeKeys
from tsunagu.search.snapshot import Snapshot
from tsunagu.search.snapshot_builder import SnapshotBuilder
from tsunagu.search.snapshot_parallel import build_all
from tsunagu.search.snapshot_store import SnapshotStore

log = logging.getLogger(__name__)

# Index size from which a rebuild freezes the index's objects out of the garbage collector.
FREEZE_MIN_DOCS = 10_000
# Datasets changed since the snapshot from which a fresh snapshot is written in the background:
# the overlay is ~16 KB of Python objects per dataset in every process.
OVERLAY_LIMIT_MIN = 2_000
OVERLAY_LIMIT_SHARE = 0.05
# Catalogs from this size get their first snapshot built by a separate process.
CHILD_BUILD_MIN = 20_000


class MemoryIndex:
    def __init__(
        self,
        site_url: str,
        snapshots: SnapshotStore | None = None,
        database_url: str = "",
        data_dir: Path | None = None,
    ) -> None:
        self.site_url = site_url
        self.snapshots = snapshots
        # Where a background snapshot writer finds the catalog (see snapshot_store._main).
        self.database_url = database_url
        self.data_dir = data_dir
        self.lock = threading.RLock()
        self.revision = -1
        self.build_timings: dict[str, float] = {}
        self._clear()

    def _clear(self, snapshot: Snapshot | None = None) -> None:
        self.snapshot = snapshot
        self.base_count = snapshot.count if snapshot is not None else 0
        # Snapshot documents removed or changed since it was written.
        self.tombstones = BitMap()
        self.overlay_changes = 0
        self.sort_keys = ranking.SortKeys()
        self.range_keys = RangeKeys()
        self.phrase_corpus = PhraseCorpus()
        self.phrase_cache = PhraseCache()
        if snapshot is not None:
            tombstones = self.tombstones
            self.docs = LayeredDocs(snapshot, tombstones)  # type: ignore[assignment]
            self.docid_by_ref = LayeredRefs(snapshot, tombstones)  # type: ignore[assignment]
            self.all_docs = BitMap(range(snapshot.count))
            family = snapshot.postings
            self.title_postings = LayeredPostings(family["title"], tombstones)  # type: ignore[assignment]
            self.body_postings = LayeredPostings(family["body"], tombstones)  # type: ignore[assignment]
            self.char_postings = LayeredPostings(family["char"], tombstones)  # type: ignore[assignment]
            self.reading_postings = LayeredPostings(family["reading"], tombstones)  # type: ignore[assignment]
            self.field_postings = LayeredFields(snapshot, tombstones)  # type: ignore[assignment]
            self.display = LayeredDisplays(snapshot)  # type: ignore[assignment]
            self.facet_titles = defaultdict(dict)
            for field_name, titles in snapshot.facet_titles.items():
                self.facet_titles[field_name].update(titles)
            return
        self.docs: list[IndexDocument | None] = []
        self.docid_by_ref: dict[str, int] = {}  # dataset id and name → docid
        self.all_docs = BitMap()
        self.title_postings: dict[str, BitMap] = defaultdict(BitMap)
        self.body_postings: dict[str, BitMap] = defaultdict(BitMap)
        self.char_postings: dict[str, BitMap] = defaultdict(BitMap)
        self.reading_postings: dict[str, BitMap] = defaultdict(BitMap)
        # field → normalised value → docids; and the display form of each value.
        self.field_postings: dict[str, dict[str, BitMap]] = defaultdict(lambda: defaultdict(BitMap))
        self.display: dict[str, dict[str, str]] = defaultdict(dict)
        self.facet_titles: dict[str, dict[str, str]] = defaultdict(dict)

    # -- keeping in step with the database -------------------------------------------------

    def rebuild(self, session: Session) -> int:
        """Build the index afresh from the database; with a snapshot store, write it as the
        host's new snapshot and serve from that."""
        with self.lock:
            if self.snapshots is None:
                self._build(session)
                return len(self.all_docs)
            with self.snapshots.lock():
                self._build_and_write(session)
            return len(self.all_docs)

    def _build(self, session: Session) -> int:
        revision = current_revision(session)
        ids = list(session.scalars(select(Dataset.id).where(Dataset.state != "deleted")))
        vocabularies = vocabulary_names(session)
        self._clear()
        for start in range(0, len(ids), 2000):
            batch = package_dicts(session, ids[start : start + 2000], self.site_url)
            for package in batch.values():
                self._add(build_document(package, vocabularies))
        self.revision = revision
        if len(self.all_docs) >= FREEZE_MIN_DOCS:
            # A large index is millions of long-lived objects, and a full garbage collection
            # walking them pauses every request of the process (~1 s at 100k datasets).
            # Freezing moves them out of the collector's sight; they are still freed by
            # reference counting when a later rebuild replaces them.
            gc.collect()
            gc.freeze()
        return revision

    def _build_and_write(self, session: Session) -> Path:
        """Under the store's lock: build the documents into a snapshot file, one batch at a
        time (no in-memory index on the way; half of them in a helper process for a large
        catalog), then serve from it."""
        assert self.snapshots is not None
        started = time.perf_counter()
        revision = current_revision(session)
        ids = list(session.scalars(select(Dataset.id).where(Dataset.state != "deleted")))
        vocabularies = vocabulary_names(session)
        builder = SnapshotBuilder(self.site_url)
        build_all(builder, session, ids, vocabularies, self.database_url, self.snapshots.directory)
        built = time.perf_counter()
        path = self.snapshots.write(functools.partial(builder.finish, revision=revision), revision)
        written = time.perf_counter()
        del builder  # its posting lists and sort values: free them before serving
        self._open(Snapshot(path, verify=False))
        # What the last build cost, by phase (benchmarks/search.py reports these).
        self.build_timings = {
            "build_seconds": built - started,
            "write_seconds": written - built,
            "snapshot_bytes": float(path.stat().st_size),
        }
        log.info(
            "search snapshot written: %s (%d datasets; built in %.1f s, written in %.1f s)",
            path,
            self.base_count,
            built - started,
            written - built,
        )
        return path

    def write_snapshot(
        self, session: Session, blocking: bool = True, locked_by_parent: bool = False
    ) -> Path | None:
        """Write a fresh snapshot for the host (the background writer's job); None when another
        process holds the lock and blocking is False. ``locked_by_parent``: the process that
        started this one holds the lock for it (a worker's first start, see load)."""
        assert self.snapshots is not None
        if locked_by_parent:
            with self.lock:
                return self._build_and_write(session)
        with self.lock, self.snapshots.lock(blocking=blocking) as locked:
            if not locked:
                return None
            return self._build_and_write(session)

    def _open(self, snapshot: Snapshot) -> None:
        self._clear(snapshot)
        self.revision = snapshot.revision
        gc.collect()

    def load(self, session: Session) -> int:
        """Start-up: serve from the host's newest snapshot and catch up from its revision;
        build (and write) one when there is none."""
        with self.lock:
            if self.snapshots is None:
                return self.rebuild(session)
            revision = current_revision(session)
            snapshot = self.snapshots.newest(revision)
            if snapshot is None:
                with self.snapshots.lock():
                    # Another worker starting at the same time may have written it meanwhile.
                    snapshot = self.snapshots.newest(revision)
                    if snapshot is None:
                        snapshot = self._first_snapshot(session)
            if snapshot is not None:
                self._open(snapshot)
            self._catch_up(session, current_revision(session))
            return len(self.all_docs)

    def _first_snapshot(self, session: Session) -> Snapshot | None:
        """Under the store's lock: write the host's first snapshot. A large catalog is built by
        a separate process, so that this worker does not keep the build's memory (a process
        rarely gives a gigabyte of freed small objects back to the system)."""
        assert self.snapshots is not None
        live = session.scalar(
            select(func.count()).select_from(Dataset).where(Dataset.state != "deleted")
        )
        if int(live or 0) < CHILD_BUILD_MIN or not self.database_url or self.data_dir is None:
            self._build_and_write(session)
            return None
        session.rollback()  # the child reads the database itself; hold no snapshot of it
        self.snapshots.write_in_background(self.database_url, self.data_dir, locked=True)
        if self.snapshots.wait_for_builder() != 0:
            log.warning(
                "検索スナップショットを別プロセスで作れませんでした (search snapshot "
                "child failed); building in this process"
            )
            self._build_and_write(session)
            return None
        return self.snapshots.newest(current_revision(session))

    def refresh(self, session: Session) -> None:
        revision = current_revision(session)
        if revision <= self.revision:
            return
        with self.lock:
            if self.revision < 0:
                self.load(session)
                return
            self._swap_if_newer(revision)
            self._catch_up(session, revision)
            self._maybe_write_in_background()

    def _swap_if_newer(self, revision: int) -> None:
        """Take a newer snapshot another process wrote (its changes then need no overlay)."""
        if self.snapshots is None or self.snapshot is None:
            return
        newer = self.snapshots.newest(revision, verify=False, newer_than=self.snapshot.revision)
        if newer is not None:
            log.info("search snapshot swapped in: %s", newer.path)
            self._open(newer)

    def _maybe_write_in_background(self) -> None:
        if self.snapshots is None or self.snapshot is None or not self.database_url:
            return
        limit = max(OVERLAY_LIMIT_MIN, int(self.base_count * OVERLAY_LIMIT_SHARE))
        if (
            self.overlay_changes >= limit
            and self.data_dir is not None
            and self.snapshots.write_in_background(self.database_url, self.data_dir)
        ):
            log.info(
                "search overlay holds %d changes: writing a fresh snapshot in the background",
                self.overlay_changes,
            )

    def _catch_up(self, session: Session, revision: int) -> None:
        if revision <= self.revision:
            return
        rows = session.execute(
            select(Dataset.id, Dataset.state).where(Dataset.revision > self.revision)
        ).all()
        for dataset_id in session.scalars(
            select(PurgedDataset.dataset_id).where(PurgedDataset.revision > self.revision)
        ):
            self._remove(dataset_id)
        live = [dataset_id for dataset_id, state in rows if state != "deleted"]
        for dataset_id, state in rows:
            if state == "deleted":
                self._remove(dataset_id)
        vocabularies = vocabulary_names(session) if live else {}
        for package in package_dicts(session, live, self.site_url).values():
            self._remove(package["id"])
            self._add(build_document(package, vocabularies))
        self.overlay_changes += len(rows)
        self.revision = max(self.revision, revision)

    def _families(self) -> dict[str, dict[str, BitMap]]:
        """The posting maps by the family names of ``IndexDocument.term_families``."""
        return {
            "title": self.title_postings,
            "body": self.body_postings,
            "char": self.char_postings,
            "reading": self.reading_postings,
        }

    def _add(self, doc: IndexDocument) -> None:
        docid = len(self.docs)
        self.docs.append(doc)
        self.docid_by_ref[doc.id] = docid
        self.docid_by_ref[doc.name] = docid
        self.all_docs.add(docid)
        families = self._families()
        for family, terms in doc.term_families():
            postings = families[family]
            for term in terms:
                postings[term].add(docid)
        for field_name, key, value in doc.field_keys():
            self.field_postings[field_name][key].add(docid)
            self.display[field_name].setdefault(key, value)
        for field_name, titles in doc.titles.items():
            self.facet_titles[field_name].update(titles)
        self.sort_keys.invalidate()
        self.range_keys.invalidate()
        # The phrase corpus needs no notice: it appends new docids when next used.
        self.phrase_cache.add_document(docid, doc)

    def _remove(self, dataset_id: str) -> None:
        docid = self.docid_by_ref.get(dataset_id)
        if docid is None:
            return
        if docid < self.base_count:
            # A snapshot document: a tombstone hides it from every posting list and lookup.
            self.docs[docid] = None
            self.all_docs.discard(docid)
            self.sort_keys.invalidate()
            self.range_keys.invalidate()
            self.phrase_cache.remove_document(docid)
            return
        doc = self.docs[docid]
        assert doc is not None
        self.docs[docid] = None
        self.docid_by_ref.pop(doc.id, None)
        if self.docid_by_ref.get(doc.name) == docid:
            del self.docid_by_ref[doc.name]
        self.all_docs.discard(docid)
        families = self._families()
        for family, terms in doc.term_families():
            postings = families[family]
            for term in terms:
                postings[term].discard(docid)
        for field_name, key, _value in doc.field_keys():
            postings = self.field_postings[field_name]
            if isinstance(postings, LayeredPostings):
                postings.discard(key, docid)
                continue
            bitmap = postings.get(key)
            if bitmap is not None:
                bitmap.discard(docid)
                if not bitmap:
                    del postings[key]
        self.sort_keys.invalidate()
        self.range_keys.invalidate()
        self.phrase_cache.remove_document(docid)

    # -- reading ------------------------------------------------------------------------------

    def get(self, ref: str) -> IndexedDataset | None:
        # Under the lock: another request's refresh may be swapping in a newer snapshot, and
        # the docid must be read from the same generation as the document.
        with self.lock:
            docid = self.docid_by_ref.get(ref)
            doc = self.docs[docid] if docid is not None else None
            if doc is None:
                return None
            raw = doc.raw
        return IndexedDataset(
            id=doc.id,
            name=doc.name,
            owner_org=doc.owner_org,
            private=doc.private,
            state=doc.state,
            creator_user_id=doc.creator_user_id,
            raw=raw,
        )

    def search(self, query: SearchQuery) -> SearchResult:
        with self.lock:
            visible = evaluate.visible_docs(self, query.visibility)
            matched, scoring_terms = evaluate.match(self, query.q, query.fq, visible)
            ordered = ranking.order(
                self, matched, scoring_terms, query.sort, query.start, query.rows
            )
            results = ranking.render(self, ordered, query.fl)
            facet_counts, search_facets = facets.count(
                self, matched, query.facet_fields, query.facet_limit, query.facet_mincount
            )
            return SearchResult(
                count=len(matched),
                results=results,
                facets=facet_counts,
                search_facets=search_facets,
            )
