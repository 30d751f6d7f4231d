"""Evaluate a parsed q/fq against the in-memory index, giving the set of matching documents."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from pyroaring import BitMap

from tsunagu.errors import SearchQueryError
from tsunagu.search.documents import TEXT_FIELDS
from tsunagu.search.index_view import IndexView
from tsunagu.search.interface import FACET_FIELDS, Visibility
from tsunagu.search.normalize import normalize_text, query_terms
from tsunagu.search.phrases import CACHE_MIN_CANDIDATES, READING, PhraseKey
from tsunagu.search.query_parser import (
    And,
    MatchAll,
    Node,
    Not,
    Or,
    QuerySyntaxError,
    Range,
    Term,
    parse,
)
from tsunagu.search.synonyms import expand

if TYPE_CHECKING:
    from tsunagu.search.phrases import PhraseCache, PhraseCorpus
    from tsunagu.search.ranges import RangeKeys


class SearchedIndex(IndexView, Protocol):
    """The index as a query reads it: IndexView, and the caches of ranges and phrases."""

    range_keys: RangeKeys
    phrase_corpus: PhraseCorpus
    phrase_cache: PhraseCache


EXACT_FIELDS = (*FACET_FIELDS, "id", "name")
NUMERIC_FIELDS = ("num_resources", "num_tags", "quality_stars", "quality_score")
RANGE_FIELDS = ("metadata_modified", "metadata_created", "next_update_due", *NUMERIC_FIELDS)
FIELD_ALIASES = {
    "dataset_type": "type",
    "organization_id": "owner_org",
    "tag": "tags",
    "group": "groups",
    "license": "license_id",
    "format": "res_format",
}
# Up to this many candidates a range filter compares each one's value; above it, it takes the
# field's values in order (search/ranges.py), which costs the same whatever the catalog's size.
RANGE_WALK_LIMIT = 2_000
# Above this many candidates a phrase is not re-checked word by word: bigrams alone decide.
VERIFY_LIMIT = 50_000


def visible_docs(index: IndexView, visibility: Visibility) -> BitMap:
    states = index.field_postings["state"]
    active = BitMap(states.get("active", BitMap()))
    if visibility.all_private:
        visible = active
    else:
        private = index.field_postings["capacity"].get("private", BitMap())
        visible = active - private
        owners = index.field_postings["owner_org"]
        for org_id in visibility.private_orgs:
            visible |= active & owners.get(normalize_text(org_id), BitMap())
        visible |= active & _docids(index, visibility.private_datasets)
    if visibility.include_drafts:
        drafts = states.get("draft", BitMap())
        if visibility.all_private:
            visible |= drafts
        else:
            for org_id in visibility.draft_orgs:
                visible |= drafts & index.field_postings["owner_org"].get(
                    normalize_text(org_id), BitMap()
                )
            visible |= drafts & _docids(index, visibility.draft_datasets)
            if visibility.user_id:
                visible |= BitMap(
                    d
                    for d in drafts
                    if (doc := index.docs[d]) is not None
                    and doc.creator_user_id == visibility.user_id
                )
    return visible


def _docids(index: IndexView, dataset_ids: frozenset[str]) -> BitMap:
    """The documents of the given datasets (a collaborator's few datasets)."""
    found = (index.docid_by_ref.get(dataset_id) for dataset_id in dataset_ids)
    return BitMap(docid for docid in found if docid is not None)


def match(index: SearchedIndex, q: str, fq: str, visible: BitMap) -> tuple[BitMap, list[str]]:
    """Documents matching both q and fq among the visible ones, and the words to rank by."""
    try:
        q_node = parse(q)
        fq_node = parse(fq)
    except QuerySyntaxError as exc:
        raise SearchQueryError(f"検索式を解釈できません (Invalid search query): {exc}") from None
    # fq first: q is then evaluated among the filtered documents only, so phrase checks and
    # range scans walk fewer candidates. Same result as evaluating both over ``visible``.
    filtered = _Evaluator(index, visible).eval(fq_node)
    result = _Evaluator(index, filtered).eval(q_node) & filtered
    return result, _ranking_words(q_node)


def _ranking_words(node: Node) -> list[str]:
    if isinstance(node, Term) and node.field in (None, "text", "title"):
        return list(expand(node.value)) if not node.phrase else [node.value]
    if isinstance(node, And | Or):
        return [word for item in node.items for word in _ranking_words(item)]
    return []


class _Evaluator:
    def __init__(self, index: SearchedIndex, universe: BitMap) -> None:
        self.index = index
        self.universe = universe

    def eval(self, node: Node) -> BitMap:
        if isinstance(node, MatchAll):
            return BitMap(self.universe)
        if isinstance(node, And):
            result = self.eval(node.items[0])
            for item in node.items[1:]:
                if not result:
                    break
                # Later items only matter within what the earlier ones left, so they are
                # evaluated there: phrase checks and range scans then walk fewer documents.
                narrowed = _Evaluator(self.index, result)
                result = (
                    (result - narrowed.eval(item.item))
                    if isinstance(item, Not)
                    else (result & narrowed.eval(item))
                )
            return result
        if isinstance(node, Or):
            result = BitMap()
            for item in node.items:
                result |= self.eval(item)
            return result
        if isinstance(node, Not):
            return self.universe - self.eval(node.item)
        if isinstance(node, Range):
            return self._range(node)
        return self._term(node)

    def _term(self, term: Term) -> BitMap:
        field = FIELD_ALIASES.get(term.field or "", term.field)
        if field is None or field in TEXT_FIELDS:
            if term.wildcard:
                return self._prefix(field or "text", term.value) & self.universe
            words = expand(term.value) if not term.phrase else (term.value,)
            result = BitMap()
            for word in words:
                result |= self._text(field or "text", word)
            return result & self.universe
        if field == "private":
            field, value = "capacity", ("private" if term.value.lower() == "true" else "public")
            term = Term(field, value)
        postings = self.index.field_postings.get(field)
        if postings is None:
            if field.startswith(("extras_", "vocab_")) or field in EXACT_FIELDS:
                return BitMap()
            raise SearchQueryError(f"検索できない項目です (Unknown search field): {term.field}")
        key = normalize_text(term.value)
        if term.wildcard:
            result = BitMap()
            for _value, bitmap in _prefixed(postings, key):
                result |= bitmap
            return result & self.universe
        return postings.get(key, BitMap()) & self.universe

    def _text(self, field: str, value: str) -> BitMap:
        phrase = normalize_text(value)
        terms = query_terms(phrase)
        if not terms:
            return BitMap(self.universe)
        written = self._written(field, phrase, terms)
        if field in ("text", "title") and len(phrase) >= 2 and _HIRAGANA.match(phrase):
            written = written | self._spoken(phrase, terms)
        return written

    def _spoken(self, phrase: str, terms: list[str]) -> BitMap:
        """Documents whose title or tags are read as the (hiragana) phrase."""
        index = self.index
        key = PhraseKey(READING, phrase, tuple(terms))
        if (cached := index.phrase_cache.get(key)) is not None:
            return cached & self.universe
        candidates: BitMap | None = None
        for term in terms:
            hits = index.reading_postings.get(term, BitMap())
            candidates = hits if candidates is None else candidates & hits
            if not candidates:
                return BitMap()
        assert candidates is not None
        return self._confirmed(key, candidates)

    def _written(self, field: str, phrase: str, terms: list[str]) -> BitMap:
        index = self.index
        # Bigrams and single characters are indexed over title and body together; the field
        # must be confirmed, and that several terms stand together as a phrase.
        needs_check = len(terms) > 1 or field != "text"
        key = PhraseKey(field, phrase, tuple(terms))
        if needs_check and (cached := index.phrase_cache.get(key)) is not None:
            return cached & self.universe
        result: BitMap | None = None
        for term in terms:
            if len(term) == 1 and not term.isascii():
                hits = index.char_postings.get(term, BitMap())
            elif field == "title":
                hits = index.title_postings.get(term, BitMap())
            else:
                hits = index.title_postings.get(term, BitMap()) | index.body_postings.get(
                    term, BitMap()
                )
            result = hits if result is None else result & hits
            if not result:
                return BitMap()
        assert result is not None
        if not needs_check:
            # May be a posting list itself: the caller must not change it in place.
            return result
        if len(result) > VERIFY_LIMIT:
            visible = result & self.universe
            if len(visible) > VERIFY_LIMIT:
                return visible
            return index.phrase_corpus.containing(index, field, phrase, visible)
        return self._confirmed(key, result)

    def _confirmed(self, key: PhraseKey, candidates: BitMap) -> BitMap:
        """The candidates (within the universe) that hold a phrase not in the cache; remembered
        when common.

        A common phrase is confirmed over all its candidates, not just the visible ones, so that
        the answer serves every caller; unless the universe (fq, or earlier words) leaves so few
        of them that confirming just those is much cheaper.
        """
        index = self.index
        visible = candidates & self.universe
        if len(candidates) >= CACHE_MIN_CANDIDATES and 4 * len(visible) >= len(candidates):
            confirmed = index.phrase_corpus.containing(index, key.field, key.phrase, candidates)
            index.phrase_cache.put(key, confirmed)
            return confirmed & self.universe
        return index.phrase_corpus.containing(index, key.field, key.phrase, visible)

    def _prefix(self, field: str, value: str) -> BitMap:
        """``spo*``: the text before the star, with a trailing ASCII word taken as a prefix."""
        phrase = normalize_text(value)
        head, _, last = phrase.rpartition(" ")
        if not last or not last.isascii() or not last.isalnum():
            return self._text(field, phrase) if phrase else BitMap(self.universe)
        sources = [self.index.title_postings]
        if field != "title":
            sources.append(self.index.body_postings)
        words = BitMap()
        for source in sources:
            for _term, bitmap in _prefixed(source, last):
                words |= bitmap
        if head:
            words &= self._text(field, head)
        return words

    def _range(self, node: Range) -> BitMap:
        if node.field not in RANGE_FIELDS:
            raise SearchQueryError(f"範囲検索できない項目です (Field not rangeable): {node.field}")
        numeric = node.field in NUMERIC_FIELDS
        low = _bound(node.low, numeric)
        high = _bound(node.high, numeric)
        if len(self.universe) > RANGE_WALK_LIMIT:
            found = self.index.range_keys.select(
                self.index, node.field, low, high, node.include_low, node.include_high
            )
            return found & self.universe
        docs = self.index.docs
        result = BitMap()
        for docid in self.universe:
            doc = docs[docid]
            if doc is None:
                continue
            value = getattr(doc, node.field)
            if value == "":
                continue  # as in Solr, a document without the field is in no range
            if low is not None and (value < low or (value == low and not node.include_low)):
                continue
            if high is not None and (value > high or (value == high and not node.include_high)):
                continue
            result.add(docid)
        return result


def _prefixed(postings: Any, prefix: str) -> Iterator[tuple[str, BitMap]]:
    """The terms starting with ``prefix``: a range of a snapshot's sorted terms, or a walk
    over an in-memory dict."""
    if hasattr(postings, "prefixed"):
        yield from postings.prefixed(prefix)
        return
    for term, bitmap in postings.items():
        if term.startswith(prefix):
            yield term, bitmap


_HIRAGANA = re.compile(r"^[\u3041-\u309fー]+$")
_DATE_MATH = re.compile(
    r"([+-])(\d+)(SECOND|MINUTE|HOUR|DAY|WEEK|MONTH|YEAR)S?|/(DAY|HOUR|MONTH|YEAR)"
)
_UNIT_DAYS = {
    "SECOND": 1 / 86400,
    "MINUTE": 1 / 1440,
    "HOUR": 1 / 24,
    "DAY": 1,
    "WEEK": 7,
    "MONTH": 30,
    "YEAR": 365,
}


def _bound(value: str | None, numeric: bool) -> str | int | None:
    if value is None:
        return None
    if numeric:
        try:
            return int(value)
        except ValueError:
            raise SearchQueryError(f"数値で指定してください (Not a number): {value}") from None
    if value.startswith("NOW"):
        return _date_math(value)
    return value.rstrip("Z")


def _date_math(value: str) -> str:
    """Solr date math as CKAN users write it: NOW, NOW-7DAYS, NOW/DAY, NOW/DAY-1DAY."""
    moment = datetime.now(UTC).replace(tzinfo=None)
    rest = value[3:]
    position = 0
    for match in _DATE_MATH.finditer(rest):
        if match.start() != position:
            break
        position = match.end()
        if match.group(4):
            unit = match.group(4)
            moment = moment.replace(minute=0, second=0, microsecond=0)
            if unit in ("DAY", "MONTH", "YEAR"):
                moment = moment.replace(hour=0)
            if unit in ("MONTH", "YEAR"):
                moment = moment.replace(day=1)
            if unit == "YEAR":
                moment = moment.replace(month=1)
        else:
            delta = timedelta(days=_UNIT_DAYS[match.group(3)] * int(match.group(2)))
            moment = moment + delta if match.group(1) == "+" else moment - delta
    if position != len(rest):
        raise SearchQueryError(f"日付の指定が正しくありません (Invalid date math): {value}")
    return moment.isoformat()
