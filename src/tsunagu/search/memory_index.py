"""The embedded search engine: an in-process index of every dataset, kept in step with the database.

Text is indexed as character bigrams (plus whole ASCII words and single characters), so the short
Japanese words residents type (人口, 避難, 水) match without a morphological dictionary. Every
posting list and facet value is a compressed bitmap, which makes boolean filters and exact facet
counts cheap even over 100k datasets. Each process holds its own copy and catches up with other
processes' writes through the catalog revision counter.
"""

from __future__ import annotations

import gc
import threading
from collections import defaultdict

from pyroaring import BitMap
from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagu.catalog.dictize import package_dicts
from tsunagu.catalog.models import Dataset, PurgedDataset
from tsunagu.catalog.revision import current_revision
from tsunagu.catalog.tags import vocabulary_names
from tsunagu.search import evaluate, facets, ranking
from tsunagu.search.documents import IndexDocument, build_document
from tsunagu.search.interface import IndexedDataset, SearchQuery, SearchResult
from tsunagu.search.normalize import normalize_text
from tsunagu.search.phrases import PhraseCache, PhraseCorpus
from tsunagu.search.ranges import RangeKeys

# Index size from which a rebuild freezes the index's objects out of the garbage collector.
FREEZE_MIN_DOCS = 10_000


class MemoryIndex:
    def __init__(self, site_url: str) -> None:
        self.site_url = site_url
        self.lock = threading.RLock()
        self.revision = -1
        self._clear()

    def _clear(self) -> None:
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
        self.sort_keys = ranking.SortKeys()
        self.range_keys = RangeKeys()
        self.phrase_corpus = PhraseCorpus()
        self.phrase_cache = PhraseCache()

    # -- keeping in step with the database -------------------------------------------------

    def rebuild(self, session: Session) -> int:
        with self.lock:
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
            return len(self.all_docs)

    def refresh(self, session: Session) -> None:
        revision = current_revision(session)
        if revision <= self.revision:
            return
        with self.lock:
            if self.revision < 0:
                self.rebuild(session)
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
            self.revision = max(self.revision, revision)

    def _add(self, doc: IndexDocument) -> None:
        docid = len(self.docs)
        self.docs.append(doc)
        self.docid_by_ref[doc.id] = docid
        self.docid_by_ref[doc.name] = docid
        self.all_docs.add(docid)
        for term in doc.title_terms:
            self.title_postings[term].add(docid)
        for term in doc.body_terms:
            self.body_postings[term].add(docid)
        for char in doc.chars:
            self.char_postings[char].add(docid)
        for term in doc.reading_terms:
            self.reading_postings[term].add(docid)
        for field_name, values in doc.values.items():
            postings = self.field_postings[field_name]
            shown = self.display[field_name]
            for value in values:
                key = normalize_text(value)
                postings[key].add(docid)
                shown.setdefault(key, value)
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
        doc = self.docs[docid]
        assert doc is not None
        self.docs[docid] = None
        self.docid_by_ref.pop(doc.id, None)
        if self.docid_by_ref.get(doc.name) == docid:
            del self.docid_by_ref[doc.name]
        self.all_docs.discard(docid)
        for term in doc.title_terms:
            self.title_postings[term].discard(docid)
        for term in doc.body_terms:
            self.body_postings[term].discard(docid)
        for char in doc.chars:
            self.char_postings[char].discard(docid)
        for term in doc.reading_terms:
            self.reading_postings[term].discard(docid)
        for field_name, values in doc.values.items():
            postings = self.field_postings[field_name]
            for value in values:
                key = normalize_text(value)
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
        docid = self.docid_by_ref.get(ref)
        doc = self.docs[docid] if docid is not None else None
        if doc is None:
            return None
        return IndexedDataset(
            id=doc.id,
            name=doc.name,
            owner_org=doc.owner_org,
            private=doc.private,
            state=doc.state,
            creator_user_id=doc.creator_user_id,
            raw=doc.raw,
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
