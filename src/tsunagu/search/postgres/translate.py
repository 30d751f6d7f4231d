"""A parsed q/fq (search/query_parser.py) as a SQL condition on ``search_document``.

Each rule mirrors search/evaluate.py, so both engines find the same documents:

- a free-text word needs all its bigrams/words (``all_terms``, or ``title_terms`` for
  ``title:``) and its single characters (``chars``), each an array containment a GIN index
  answers; several terms, or a named field, are then confirmed as a phrase in the field's
  normalised text (``strpos``);
- a hiragana word also finds documents whose title or tags are read that way (``reading``);
- synonyms expand a word into an OR of its equivalents;
- ``field:value`` is one ``vals`` entry, ``field:val*`` a prefix over the field's entries;
- ranges compare the sort columns (C collation: code point order, as Python compares);
- AND/OR/NOT are SQL's, since every condition here is true or false, never NULL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from tsunagu.errors import SearchQueryError
from tsunagu.search.documents import TEXT_FIELDS
from tsunagu.search.evaluate import (
    EXACT_FIELDS,
    FIELD_ALIASES,
    NUMERIC_FIELDS,
    RANGE_FIELDS,
    _bound,
)
from tsunagu.search.interface import Visibility
from tsunagu.search.normalize import normalize_text, query_terms
from tsunagu.search.postgres.phrase_cache import PhraseSeqs
from tsunagu.search.postgres.rows import SEP, value_key
from tsunagu.search.postgres.sync import last_seq
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

_HIRAGANA = re.compile(r"^[\u3041-\u309fー]+$")


@dataclass
class Condition:
    """SQL text with its bound values (named p0, p1 …)."""

    params: dict[str, Any] = field(default_factory=dict)

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def terms(self, values: list[str]) -> str:
        return f"CAST({self.bind(values)} AS text[])"


def parse_both(q: str, fq: str) -> tuple[Node, Node]:
    try:
        return parse(q), parse(fq)
    except QuerySyntaxError as exc:
        raise SearchQueryError(f"検索式を解釈できません (Invalid search query): {exc}") from None


def ranking_words(node: Node) -> list[str]:
    """The words relevance is computed from, as evaluate._ranking_words gives them."""
    if isinstance(node, Term) and node.field in (None, "text", "title"):
        return list(expand(node.value)) if not node.phrase else [node.value]
    if isinstance(node, And | Or):
        return [word for item in node.items for word in ranking_words(item)]
    return []


def required_terms(node: Node) -> set[str]:
    """Terms every document the query matches holds in ``all_terms``: those of a word it requires,
    alone or in an AND, and those all the alternatives of an OR (or a word's synonyms) require.
    Ranking knows such a term is in the title or the body, and tells which from ``title_only``."""
    if isinstance(node, And):
        return {term for item in node.items for term in required_terms(item)}
    if isinstance(node, Or):
        return set.intersection(*(required_terms(item) for item in node.items))
    if not isinstance(node, Term) or node.wildcard:
        return set()
    name = FIELD_ALIASES.get(node.field or "", node.field)
    if name not in (None, "text", "title"):
        return set()
    words = expand(node.value) if not node.phrase else (node.value,)
    return set.intersection(*(_word_terms(word) for word in words))


def _word_terms(word: str) -> set[str]:
    """The terms _written looks up in ``all_terms`` (or ``title_terms``) for one word, if the
    word can match in no other way."""
    phrase = normalize_text(word)
    if spoken(phrase):
        return set()  # also found by its reading
    return {t for t in query_terms(phrase) if not (len(t) == 1 and not t.isascii())}


def exact_key(term: Term) -> str:
    """The ``vals`` entry (or, with a wildcard, its prefix) a term of an exact-match field
    looks up; an unknown field is an error."""
    name = FIELD_ALIASES.get(term.field or "", term.field) or ""
    value = term.value
    if name == "private":
        name, value = "capacity", ("private" if value.lower() == "true" else "public")
    if name not in EXACT_FIELDS and not name.startswith(("extras_", "vocab_")):
        raise SearchQueryError(f"検索できない項目です (Unknown search field): {term.field}")
    return value_key(name, value)


def visibility(cond: Condition, seen: Visibility) -> str:
    """Which documents the caller may see (evaluate.visible_docs)."""
    if seen.all_private:
        parts = ["state = 'active'"]
    else:
        allowed = ["NOT private"]
        if seen.private_orgs:
            orgs = sorted(normalize_text(org) for org in seen.private_orgs)
            allowed.append(f"owner_org = ANY({cond.terms(orgs)})")
        if seen.private_datasets:
            allowed.append(_any_ref(cond, seen.private_datasets))
        parts = [f"(state = 'active' AND ({' OR '.join(allowed)}))"]
    if seen.include_drafts:
        if seen.all_private:
            parts.append("state = 'draft'")
        else:
            drafts: list[str] = []
            if seen.draft_orgs:
                orgs = sorted(normalize_text(org) for org in seen.draft_orgs)
                drafts.append(f"owner_org = ANY({cond.terms(orgs)})")
            if seen.draft_datasets:
                drafts.append(_any_ref(cond, seen.draft_datasets))
            if seen.user_id:
                drafts.append(f"creator_user_id = {cond.bind(seen.user_id)}")
            if drafts:
                parts.append(f"(state = 'draft' AND ({' OR '.join(drafts)}))")
    return "(" + " OR ".join(parts) + ")"


def _any_ref(cond: Condition, refs: frozenset[str]) -> str:
    # The embedded engine looks datasets up by id or name.
    values = cond.terms(sorted(refs))
    return f"(id = ANY({values}) OR name = ANY({values}))"


class Translator:
    def __init__(self, cond: Condition, connection: Connection, phrases: PhraseSeqs) -> None:
        self.cond = cond
        # For expanding ``spo*`` over the indexed terms, and reading phrase answers.
        self.connection = connection
        self.phrases = phrases
        self._newest: int | None = None

    def sql(self, node: Node) -> str:
        if isinstance(node, MatchAll):
            return "TRUE"
        if isinstance(node, And):
            return "(" + " AND ".join(self.sql(item) for item in node.items) + ")"
        if isinstance(node, Or):
            return self._or(node)
        if isinstance(node, Not):
            return f"(NOT {self.sql(node.item)})"
        if isinstance(node, Range):
            return self._range(node)
        return self._term(node)

    def _or(self, node: Or) -> str:
        """Exact values in an OR are one overlap (``vals && {a, b}``): the GIN index answers it
        exactly, where an OR of containments is checked again on every row it finds, reading
        each row's values."""
        keyed = [(item, self._exact_key(item)) for item in node.items]
        keys = [key for _, key in keyed if key is not None]
        if len(keys) < 2:
            return "(" + " OR ".join(self.sql(item) for item in node.items) + ")"
        parts = [f"vals && {self.cond.terms(list(dict.fromkeys(keys)))}"]
        parts += [self.sql(item) for item, key in keyed if key is None]
        return "(" + " OR ".join(parts) + ")"

    def _exact_key(self, node: Node) -> str | None:
        """The ``vals`` entry a plain ``field:value`` term looks up, else None."""
        if not isinstance(node, Term) or node.wildcard:
            return None
        name = FIELD_ALIASES.get(node.field or "", node.field)
        if name is None or name in TEXT_FIELDS or name == "private":
            return None
        if name not in EXACT_FIELDS and not name.startswith(("extras_", "vocab_")):
            return None  # _term raises the error
        return value_key(name, node.value)

    def _term(self, term: Term) -> str:
        name = FIELD_ALIASES.get(term.field or "", term.field)
        if name is None or name in TEXT_FIELDS:
            if term.wildcard:
                return self._prefix(name or "text", term.value)
            words = expand(term.value) if not term.phrase else (term.value,)
            if name in (None, "text"):
                words = unsubsumed(words)
            return "(" + " OR ".join(self._text(name or "text", word) for word in words) + ")"
        key = exact_key(term)
        if term.wildcard:
            # Rare enough (name:aed*, field:*) to walk each document's values.
            return (
                f"EXISTS (SELECT 1 FROM unnest(vals) v WHERE starts_with(v, {self.cond.bind(key)}))"
            )
        return f"vals @> {self.cond.terms([key])}"

    def _text(self, field: str, value: str) -> str:
        phrase = normalize_text(value)
        terms = query_terms(phrase)
        if not terms:
            return "TRUE"
        written = self._written(field, phrase, terms)
        if field in ("text", "title") and spoken(phrase):
            read = (
                f"(reading_terms @> {self.cond.terms(list(dict.fromkeys(terms)))}"
                f" AND strpos(reading, {self.cond.bind(phrase)}) > 0)"
            )
            return f"({written} OR {read})"
        return written

    def _written(self, field: str, phrase: str, terms: list[str]) -> str:
        found = " AND ".join(containments(self.cond, field, terms))
        # Terms are indexed over title and body together: a phrase of several terms, or a word
        # in one named field, is confirmed in that field's text.
        if len(terms) == 1 and field == "text":
            return f"({found})"
        column = field_text(field)
        confirmed = f"({found} AND strpos({column}, {self.cond.bind(phrase)}) > 0)"
        if self._newest is None:
            self._newest = last_seq(self.connection)
        own = Condition()
        candidates = (" AND ".join(containments(own, field, terms)), own.params)
        answer = self.phrases.answer(self.connection, column, phrase, candidates, self._newest)
        # The remembered documents by their seq (a B-tree lookup each, then a hashed check of
        # each row found), so no candidate's terms or text are read; documents indexed after
        # the answer was read are confirmed as they always were.
        recent = f"(seq > {int(answer.upto)} AND {confirmed})"
        if not len(answer.seqs):
            return recent
        known = self.cond.bind(answer.seqs.tolist())
        return f"(seq = ANY(CAST({known} AS int8[])) OR {recent})"

    def _prefix(self, field: str, value: str) -> str:
        """``spo*``: the text before the star, with a trailing ASCII word taken as a prefix."""
        phrase = normalize_text(value)
        head, _, last = phrase.rpartition(" ")
        if not last or not last.isascii() or not last.isalnum():
            return self._text(field, phrase) if phrase else "TRUE"
        counted = "title_df > 0" if field == "title" else "(title_df > 0 OR body_df > 0)"
        # ``last`` is ASCII letters and digits: no LIKE wildcard to escape.
        found = list(
            self.connection.scalars(
                text(f"SELECT term FROM search_term WHERE term LIKE :prefix AND {counted}"),
                {"prefix": last + "%"},
            )
        )
        if not found:
            return "FALSE"
        column = "title_terms" if field == "title" else "all_terms"
        words = f"{column} && {self.cond.terms(found)}"
        return f"({words} AND {self._text(field, head)})" if head else words

    def _range(self, node: Range) -> str:
        if node.field not in RANGE_FIELDS:
            raise SearchQueryError(f"範囲検索できない項目です (Field not rangeable): {node.field}")
        numeric = node.field in NUMERIC_FIELDS
        low = _bound(node.low, numeric)
        high = _bound(node.high, numeric)
        column = node.field
        # As in Solr, a document without the field ("") is in no range.
        parts = [] if numeric else [f"{column} <> ''"]
        if low is not None:
            parts.append(f"{column} {'>=' if node.include_low else '>'} {self.cond.bind(low)}")
        if high is not None:
            parts.append(f"{column} {'<=' if node.include_high else '<'} {self.cond.bind(high)}")
        return "(" + " AND ".join(parts or ["TRUE"]) + ")"


def unsubsumed(words: tuple[str, ...]) -> tuple[str, ...]:
    """A word's alternatives (its synonyms) in free text, less those that can only match where
    a one-term alternative matches too. 人口 OR 推計人口: a document holding the phrase 推計人口
    holds the term 人口, so the OR finds what 人口 alone finds. Left in, the OR is checked again
    on every row the index finds, reading each row's term array (人口 at 100,000 datasets:
    14,407 rows, 44 ms against 18)."""
    described = [(word, query_terms(word), spoken(normalize_text(word))) for word in words]
    # A word found also by its reading can match without its terms: it neither covers nor is
    # covered.
    alone = [set(terms) for _, terms, spoken in described if len(terms) == 1 and not spoken]
    return tuple(
        word
        for word, terms, spoken in described
        if spoken or not any(one < set(terms) for one in alone)
    )


def spoken(phrase: str) -> bool:
    """Whether a word is also matched by the reading of titles and tags (Translator._text)."""
    return len(phrase) >= 2 and bool(_HIRAGANA.match(phrase))


def containments(cond: Condition, field: str, terms: list[str]) -> list[str]:
    """Array containments of a word's terms: what the GIN indexes answer."""
    chars = [t for t in terms if len(t) == 1 and not t.isascii()]
    words = list(dict.fromkeys(t for t in terms if not (len(t) == 1 and not t.isascii())))
    parts: list[str] = []
    if words:
        column = "title_terms" if field == "title" else "all_terms"
        parts.append(f"{column} @> {cond.terms(words)}")
    if chars:
        parts.append(f"chars @> {cond.terms(list(dict.fromkeys(chars)))}")
    return parts


def field_text(field: str) -> str:
    if field == "text":
        return "text_all"
    assert field in TEXT_FIELDS
    return f"coalesce(texts ->> '{field}', '')"


__all__ = [
    "SEP",
    "Condition",
    "Translator",
    "containments",
    "exact_key",
    "field_text",
    "parse_both",
    "ranking_words",
    "required_terms",
    "spoken",
    "unsubsumed",
    "visibility",
]
