"""A search answered from seqs: the matches found, counted, ranked and ordered in numpy.

The SQL path (backend.plan) visits every match's row, about 1 µs each plus 0.7 µs for each
array it checks: a common word costs 50–180 ms at 100,000 datasets. Here the documents
holding each term are the process's remembered seqs (term_seqs.py), which documents are still
indexed and their order under each sort field come from the process's copy (doc_copy.py), and
PostgreSQL is asked only for what is new since, the page's package JSON and the rare parts
below. The rules are the SQL path's (translate.py, ordering.py), which are the embedded
engine's, so the three give the same ids, counts and facets:

- visibility is read from the ``state``, ``capacity`` and ``owner_org`` values, as the embedded
  engine reads them; collaborators' datasets and one's own drafts are looked up in SQL;
- a free-text word intersects its terms; a phrase is the remembered answer (phrase_cache.py)
  plus the candidates indexed since, confirmed by ``strpos``;
- what this module does not evaluate itself (wildcards, ranges, words also found by their
  reading) is one SQL statement giving its seqs, the Translator's condition as it stands;
- relevance adds the same float gains in the same order as ordering.py, so ties match bit for
  bit and fall to the next key, then to the order of indexing (seq).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from tsunagu.search.documents import TEXT_FIELDS
from tsunagu.search.evaluate import FIELD_ALIASES
from tsunagu.search.interface import SearchQuery, Visibility
from tsunagu.search.normalize import normalize_text, query_terms
from tsunagu.search.postgres import facets, sync
from tsunagu.search.postgres.doc_copy import Copy, DocCopies, isin_sorted
from tsunagu.search.postgres.facet_cache import FacetValues
from tsunagu.search.postgres.held_seqs import seqs_where
from tsunagu.search.postgres.ordering import COLUMNS as SORT_COLUMNS
from tsunagu.search.postgres.ordering import gains
from tsunagu.search.postgres.phrase_cache import PhraseSeqs
from tsunagu.search.postgres.rows import FACET_COLUMNS, SEP, value_key
from tsunagu.search.postgres.term_seqs import Key, TermSeqs
from tsunagu.search.postgres.translate import (
    Condition,
    Translator,
    containments,
    exact_key,
    field_text,
    ranking_words,
    spoken,
    unsubsumed,
)
from tsunagu.search.query_parser import And, MatchAll, Node, Not, Or, Term
from tsunagu.search.ranking import parse_sort
from tsunagu.search.synonyms import expand

_EMPTY = np.zeros(0, dtype=np.int64)
# The values every search's visibility reads (_Reader.visible).
ACTIVE = ("vals", value_key("state", "active"))
PRIVATE = ("vals", value_key("capacity", "private"))
VISIBILITY_KEYS = (ACTIVE, PRIVATE)


@dataclass
class Found:
    """What a search gives before rendering: the count, the page's package JSON in order, and
    (field, value key, documents) of the wanted facets."""

    count: int
    raws: list[bytes]
    facet_rows: list[tuple[str, str, int]]


class InProcess:
    """The process's parts a search from seqs reads (each shared by every request)."""

    def __init__(
        self, copies: DocCopies, terms: TermSeqs, phrases: PhraseSeqs, values: FacetValues
    ) -> None:
        self.copies = copies
        self.terms = terms
        self.phrases = phrases
        self.values = values

    def search(
        self, connection: Connection, query: SearchQuery, q_node: Node, fq_node: Node
    ) -> Found | None:
        """The search in ``connection``'s snapshot, or None when this process's copy of the
        index is not yet read at the snapshot's version (the caller takes the SQL path)."""
        revision, newest = sync.version(connection)
        if revision < 0:
            return None
        keys = parse_sort(query.sort)
        columns = [SORT_COLUMNS[field] for field, _ in keys if field != "score"]
        copy = self.copies.current((revision, newest), columns)
        if copy is None:
            return None
        reader = _Reader(connection, self.terms, self.phrases, copy, newest)
        visible = reader.visible(query.visibility)
        filtered = reader.eval(fq_node, visible)
        matched = reader.eval(q_node, filtered)
        count = len(matched)
        raws: list[bytes] = []
        if query.rows > 0 and query.start < count:
            order = _order(reader, matched, keys, ranking_words(q_node))
            page = matched[order[query.start : query.start + query.rows]]
            raws = _raws(connection, page)
        return Found(count, raws, self._facets(connection, matched, query.facet_fields))

    def _facets(
        self, connection: Connection, matched: np.ndarray, fields: list[str]
    ) -> list[tuple[str, str, int]]:
        rows = []
        if common := facets.common(fields):
            rows += self.values.counts(connection, matched, common)
        if any(name not in FACET_COLUMNS for name in fields) and len(matched):
            cond = Condition()
            seqs = cond.bind(matched.tolist())
            others = facets.over_matched(cond, fields)
            found = connection.execute(
                text(
                    "WITH matched AS (SELECT vals FROM search_document"
                    f" WHERE seq = ANY(CAST({seqs} AS int8[]))) {others}"
                ),
                cond.params,
            )
            rows += [(key.partition(SEP)[0], key, int(n)) for key, n in found]
        return rows


class _Reader:
    """Evaluates a parsed q or fq as seqs (ascending int64 arrays), within a universe, as
    search/evaluate.py does with bitmaps."""

    def __init__(
        self,
        connection: Connection,
        terms: TermSeqs,
        phrases: PhraseSeqs,
        copy: Copy,
        newest: int,
    ) -> None:
        self.connection = connection
        self.terms = terms
        self.phrases = phrases
        self.copy = copy
        self.newest = newest

    def seqs(self, keys: list[Key]) -> dict[Key, np.ndarray]:
        return self.terms.get(self.connection, keys, self.newest)

    def one(self, column: str, term: str) -> np.ndarray:
        return self.seqs([(column, term)])[(column, term)]

    # -- who sees what -------------------------------------------------------------------

    def visible(self, seen: Visibility) -> np.ndarray:
        """Which documents the caller may see (translate.visibility, evaluate.visible_docs)."""
        active = self.copy.live(self.one(*ACTIVE))
        if seen.all_private:
            visible = active
        else:
            private = self.one(*PRIVATE)
            parts = [np.setdiff1d(active, private, assume_unique=True)]
            parts += [np.intersect1d(active, self._org(org)) for org in seen.private_orgs]
            if seen.private_datasets:
                parts.append(np.intersect1d(active, self._refs(seen.private_datasets)))
            visible = _union(parts)
        if not seen.include_drafts:
            return visible
        drafts = self.copy.live(self.one("vals", value_key("state", "draft")))
        if seen.all_private:
            return _union([visible, drafts])
        parts = [visible]
        parts += [np.intersect1d(drafts, self._org(org)) for org in seen.draft_orgs]
        if seen.draft_datasets:
            parts.append(np.intersect1d(drafts, self._refs(seen.draft_datasets)))
        if seen.user_id:
            parts.append(
                self._where("state = 'draft' AND creator_user_id = :user", {"user": seen.user_id})
            )
        return _union(parts)

    def _org(self, org: str) -> np.ndarray:
        return self.one("vals", value_key("owner_org", org))

    def _refs(self, refs: frozenset[str]) -> np.ndarray:
        # The embedded engine looks datasets up by id or name.
        return self._where("(id = ANY(:refs) OR name = ANY(:refs))", {"refs": sorted(refs)})

    def _where(self, condition: str, params: dict[str, Any]) -> np.ndarray:
        return seqs_where(self.connection, condition, params)

    # -- q and fq --------------------------------------------------------------------------

    def eval(self, node: Node, universe: np.ndarray) -> np.ndarray:
        if isinstance(node, MatchAll) or not len(universe):
            return universe
        if isinstance(node, And):
            result = universe
            for item in node.items:
                result = self.eval(item, result)
            return result
        if isinstance(node, Or):
            return _union([self.eval(item, universe) for item in node.items])
        if isinstance(node, Not):
            return np.setdiff1d(universe, self.eval(node.item, universe), assume_unique=True)
        if isinstance(node, Term):
            return _within(self._term(node), universe)
        return self._by_sql(node, universe)

    def _term(self, term: Term) -> np.ndarray:
        name = FIELD_ALIASES.get(term.field or "", term.field)
        if name is not None and name not in TEXT_FIELDS:
            key = exact_key(term)
            if term.wildcard:
                return self._by_sql(term, None)
            return self.one("vals", key)
        words = expand(term.value) if not term.phrase else (term.value,)
        if name in (None, "text"):
            words = unsubsumed(words)
        phrases = [normalize_text(word) for word in words]
        if term.wildcard or any(spoken(phrase) for phrase in phrases):
            return self._by_sql(term, None)
        return _union([self._written(name or "text", phrase) for phrase in phrases])

    def _written(self, field: str, phrase: str) -> np.ndarray:
        terms = query_terms(phrase)
        if not terms:
            return self.copy.seqs  # every document (then within the universe)
        column = "title_terms" if field == "title" else "all_terms"
        keys = [("chars" if len(t) == 1 and not t.isascii() else column, t) for t in terms]
        held = self.seqs(keys)
        found = held[keys[0]]
        for key in keys[1:]:
            found = np.intersect1d(found, held[key], assume_unique=True)
        if (len(terms) == 1 and field == "text") or not len(found):
            return found
        # A phrase of several terms, or a word in one named field: the documents whose text
        # holds it, as remembered, and those indexed since, confirmed one by one.
        text_column = field_text(field)
        own = Condition()
        candidates = (" AND ".join(containments(own, field, terms)), own.params)
        answer = self.phrases.answer(self.connection, text_column, phrase, candidates, self.newest)
        upto = min(answer.upto, self.newest)
        known = answer.seqs[: np.searchsorted(answer.seqs, upto, side="right")]
        recent = found[np.searchsorted(found, upto, side="right") :]
        if not len(recent):
            return known
        confirmed = self._where(
            f"seq = ANY(CAST(:recent AS int8[])) AND strpos({text_column}, :phrase) > 0",
            {"recent": recent.tolist(), "phrase": phrase},
        )
        return np.union1d(known, confirmed)

    def _by_sql(self, node: Node, universe: np.ndarray | None) -> np.ndarray:
        """A part evaluated by PostgreSQL: the Translator's condition as one statement."""
        cond = Condition()
        found = self._where(Translator(cond, self.connection, self.phrases).sql(node), cond.params)
        return found if universe is None else _within(found, universe)


def _order(
    reader: _Reader,
    matched: np.ndarray,
    keys: list[tuple[str, bool]],
    words: list[str],
) -> np.ndarray:
    """Positions in ``matched`` in the order of the results (ordering.order_by's keys)."""
    columns: list[np.ndarray] = []
    for field, descending in keys:
        if field == "score":
            column: Any = _scores(reader, matched, words) if words else None
            if column is None:
                continue  # every document scores 0: the next key decides
        else:
            column = reader.copy.rank(SORT_COLUMNS[field], matched)
        columns.append(-column if descending else column)
    # np.lexsort sorts by the last key first; the order of indexing breaks the last ties.
    return np.lexsort([matched, *reversed(columns)])


def _scores(reader: _Reader, matched: np.ndarray, words: list[str]) -> np.ndarray | None:
    """Relevance of each match: ordering.gains summed in their order, as the SQL path sums
    them, so equal documents get bit-for-bit equal scores."""
    found = gains(reader.connection, words)
    if not found:
        return None
    held = reader.seqs(
        [
            (column, term)
            for term, _, _ in found
            for column in ("title_terms", "all_terms", "title_only")
        ]
    )
    score = np.zeros(len(matched))
    for term, in_title, gain in found:
        if in_title:
            holds = isin_sorted(matched, held[("title_terms", term)])
        else:
            holds = isin_sorted(matched, held[("all_terms", term)]) & ~isin_sorted(
                matched, held[("title_only", term)]
            )
        score = score + np.where(holds, gain, 0.0)
    return score


def _raws(connection: Connection, page: np.ndarray) -> list[bytes]:
    rows = connection.execute(
        text("SELECT seq, raw FROM search_document WHERE seq = ANY(CAST(:page AS int8[]))"),
        {"page": page.tolist()},
    ).all()
    by_seq = {int(seq): bytes(raw) for seq, raw in rows}
    return [by_seq[int(seq)] for seq in page]


def _within(found: np.ndarray, universe: np.ndarray) -> np.ndarray:
    return found[isin_sorted(found, universe)] if len(found) else _EMPTY


def _union(parts: list[np.ndarray]) -> np.ndarray:
    parts = [part for part in parts if len(part)]
    if not parts:
        return _EMPTY
    if len(parts) == 1:
        return parts[0]
    return np.unique(np.concatenate(parts))


__all__ = ["VISIBILITY_KEYS", "Found", "InProcess"]
