"""Parser for the Solr/Lucene query syntax that CKAN clients send in package_search's q and fq.

The result is a small AST of frozen dataclasses. Values are kept exactly as written (only quotes
and escapes are removed); normalising them is the index's job.

Semantics follow Solr's standard ("lucene") parser for the forms CKAN users write, with AND
binding tighter than OR and NOT tighter than both. Two Lucene rules are worth knowing:

- In an OR list, ``+x`` clauses are required and ``-x``/``NOT x`` clauses are prohibited; the other
  clauses are then optional and only affect ranking, so they are dropped when a required clause
  exists. Hence ``a OR NOT b`` means ``a AND NOT b``, as in Solr.
- A query made only of prohibited clauses means "everything except":
  ``-a`` → ``MatchAll AND NOT a``.

Invariant of the output: every ``Not`` is a direct item of an ``And`` that also holds a positive
item (``MatchAll`` if nothing else), so an evaluator can compute an ``And`` as "intersection of the
positive items minus the union of the ``Not`` items" and never needs to complement a set.

Deliberate leniencies: ``^2`` boosts and ``~2`` fuzzy/proximity suffixes are accepted and ignored;
``?`` and inner ``*`` are literal characters (only a trailing ``*`` is a wildcard); ``!``, ``+`` and
``-`` are operators only at the start of a clause; a bare ``*`` means match-all; an http(s) URL is
taken whole up to whitespace, with or without a field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "And",
    "MatchAll",
    "Node",
    "Not",
    "Or",
    "QuerySyntaxError",
    "Range",
    "Term",
    "fields_in",
    "parse",
]


@dataclass(frozen=True, slots=True)
class Term:
    """A bare word or phrase (``field`` None = free text), or ``field:value``.

    ``wildcard`` means prefix match: ``name:aed*`` → ``Term("name", "aed", wildcard=True)``, and
    ``field:*`` (the field has any value) → ``Term(field, "", wildcard=True)``.
    """

    field: str | None
    value: str
    phrase: bool = False
    wildcard: bool = False


@dataclass(frozen=True, slots=True)
class Range:
    """``field:[low TO high]`` (inclusive) or ``{low TO high}`` (exclusive); None = open end.

    Bounds are raw strings (dates may be Solr date math such as ``NOW-1YEAR``).
    """

    field: str
    low: str | None
    high: str | None
    include_low: bool
    include_high: bool


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


@dataclass(frozen=True, slots=True)
class MatchAll:
    pass


Node = Term | Range | And | Or | Not | MatchAll


class QuerySyntaxError(ValueError):
    """Malformed query text; ``position`` is the 0-based offset of the problem, when known."""

    def __init__(self, message: str, position: int | None = None) -> None:
        if position is not None:
            message = f"{message} (at position {position})"
        super().__init__(message)
        self.position = position


# Field names CKAN/Solr use: title, res_format, extras_foo, vocab_tags, metadata_modified ...
# A tag vocabulary's field is named after the vocabulary, which may be Japanese (vocab_更新頻度).
# The full-width colon counts too because Japanese IMEs produce it.
_FIELD_RE = re.compile(r"(vocab_[\w.\-]+|[A-Za-z_][A-Za-z0-9_.\-]*)[:：]")
# Operators are whole words: "ANDROID" and "a&&b" are plain terms, as in Lucene.
_OPERATOR_RE = re.compile(r"(AND|OR|NOT|&&|\|\|)(?=[\s()\"]|$)")
_MATCH_ALL_RE = re.compile(r"\*:\*(?=[\s()]|$)")
_URL_RE = re.compile(r"https?://", re.IGNORECASE)
# Boost (^2, ^0.5) and fuzzy/proximity (~, ~2) suffixes only affect Lucene scoring: skipped.
_SUFFIX_RE = re.compile(r"(?:\^\d+(?:\.\d+)?|~\d*(?:\.\d+)?)(?=[\s()]|$)")
_RANGE_TO_RE = re.compile(r"TO(?=[\s\]}]|$)")
_OPERATOR_NAMES = {"&&": "AND", "||": "OR"}
# Parenthesis nesting limit, so hostile input cannot exhaust the Python stack.
_MAX_DEPTH = 50


@dataclass(slots=True)
class _Clause:
    node: Node
    required: bool = False  # had a leading "+"

    @property
    def prohibited(self) -> bool:
        return isinstance(self.node, Not)


def _anchor(node: Node) -> Node:
    # A lone Not gets MatchAll beside it (see the module invariant).
    return And((MatchAll(), node)) if isinstance(node, Not) else node


def _negate(node: Node) -> Node:
    # NOT NOT x and NOT (-x) are just x.
    if isinstance(node, Not):
        return node.item
    if isinstance(node, And) and len(node.items) == 2 and node.items[0] == MatchAll():
        inner = node.items[1]
        if isinstance(inner, Not):
            return inner.item
    return Not(_anchor(node))


def _and(nodes: list[Node]) -> Node:
    flat: list[Node] = []
    for node in nodes:
        flat.extend(node.items if isinstance(node, And) else (node,))
    if any(not isinstance(n, Not | MatchAll) for n in flat):
        # MatchAll AND x is just x.
        flat = [n for n in flat if not isinstance(n, MatchAll)]
    elif any(isinstance(n, Not) for n in flat):
        flat = [MatchAll(), *(n for n in flat if isinstance(n, Not))]
    else:
        return MatchAll()
    unique = list(dict.fromkeys(flat))
    return unique[0] if len(unique) == 1 else And(tuple(unique))


def _or(nodes: list[Node]) -> Node:
    flat: list[Node] = []
    for node in nodes:
        flat.extend(node.items if isinstance(node, Or) else (_anchor(node),))
    unique = list(dict.fromkeys(flat))
    return unique[0] if len(unique) == 1 else Or(tuple(unique))


def _combine(clauses: list[_Clause], joins: list[str]) -> Node:
    """Apply precedence (AND over OR) and Lucene's required/prohibited rules to one clause list."""
    groups: list[list[_Clause]] = [[clauses[0]]]
    for join, clause in zip(joins, clauses[1:], strict=True):
        if join == "AND":
            groups[-1].append(clause)
        else:
            groups.append([clause])
    # Inside an AND run, "+" adds nothing and "-x" is simply an And item Not(x).
    items = [g[0] if len(g) == 1 else _Clause(_and([c.node for c in g])) for g in groups]
    if len(items) == 1:
        return _anchor(items[0].node)
    if not any(c.required or c.prohibited for c in items):
        return _or([c.node for c in items])
    if any(c.required for c in items):
        return _and([c.node for c in items if c.required or c.prohibited])
    optional = [c.node for c in items if not c.prohibited]
    prohibited = [c.node for c in items if c.prohibited]
    return _and([_or(optional), *prohibited] if optional else prohibited)


class _Parser:
    def __init__(self, text: str, default_operator: str) -> None:
        self.text = text
        self.n = len(text)
        self.pos = 0
        self.default_operator = default_operator
        self.depth = 0

    def error(self, message: str, position: int | None = None) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.pos if position is None else position)

    def skip_ws(self) -> None:
        # str.isspace() covers the ideographic space U+3000.
        while self.pos < self.n and self.text[self.pos].isspace():
            self.pos += 1

    def skip_suffix(self) -> None:
        m = _SUFFIX_RE.match(self.text, self.pos)
        if m:
            self.pos = m.end()

    def operator(self) -> re.Match[str] | None:
        return _OPERATOR_RE.match(self.text, self.pos)

    def query(self, field: str | None) -> Node | None:
        """Clauses up to the end of input or an unconsumed ")"; None when there are none."""
        clauses: list[_Clause] = []
        joins: list[str] = []
        pending: re.Match[str] | None = None  # explicit AND/OR waiting for its right side
        while True:
            self.skip_ws()
            if self.pos >= self.n or self.text[self.pos] == ")":
                break
            m = self.operator()
            if m and m[1] != "NOT":
                if not clauses:
                    raise self.error(f"'{m[1]}' has no clause on its left")
                if pending:
                    raise self.error(f"'{m[1]}' directly follows '{pending[1]}'")
                pending = m
                self.pos = m.end()
                continue
            clause = self.unary(field)
            if clauses:
                joins.append(_OPERATOR_NAMES.get(pending[1], pending[1]) if pending else "")
            pending = None
            clauses.append(clause)
        if pending:
            raise self.error(f"'{pending[1]}' has no clause on its right", pending.start())
        if not clauses:
            return None
        joins = [j or self.default_operator for j in joins]
        return _combine(clauses, joins)

    def unary(self, field: str | None) -> _Clause:
        """A clause with its "+", "-", "!" and "NOT" prefixes."""
        prefixes: list[tuple[str, int]] = []
        while True:
            self.skip_ws()
            if self.pos < self.n and self.text[self.pos] in "+-!":
                prefixes.append((self.text[self.pos], self.pos))
                self.pos += 1
                continue
            m = self.operator()
            if m and m[1] == "NOT":
                prefixes.append(("NOT", self.pos))
                self.pos = m.end()
                continue
            break
        if self.pos >= self.n or self.text[self.pos] == ")" or self.operator():
            op, at = prefixes[-1]  # query() only calls us when something is here
            raise self.error(f"'{op}' has no clause to apply to", at)
        node = self.clause(field)
        required = False
        for op, _ in reversed(prefixes):
            if op == "+":
                required = True
            else:
                node = _negate(node)
                required = False
        return _Clause(node, required and not isinstance(node, Not))

    def clause(self, field: str | None) -> Node:
        """One term, phrase, range, group or field:value, starting at a non-space character."""
        start = self.pos
        ch = self.text[start]
        if ch == "(":
            return self.group(field)
        if ch == '"':
            return self.phrase(field)
        if ch in "[{":
            return self.range(field)
        m = _MATCH_ALL_RE.match(self.text, start)
        if m:
            self.pos = m.end()
            return MatchAll()
        if _URL_RE.match(self.text, start):
            return self.url(field)
        m = _FIELD_RE.match(self.text, start)
        if m:
            self.pos = m.end()
            return self.value(m[1], start)
        return self.word(field, in_value=False)

    def value(self, field: str, start: int) -> Node:
        """What follows "field:"."""
        colon = self.pos
        self.skip_ws()
        if (
            self.pos >= self.n
            or self.text[self.pos] == ")"
            or self.operator()
            or (self.pos > colon and _FIELD_RE.match(self.text, self.pos))
        ):
            raise self.error(f"field '{field}' has no value", start)
        ch = self.text[self.pos]
        if ch == "(":
            return self.group(field)
        if ch == '"':
            return self.phrase(field)
        if ch in "[{":
            return self.range(field)
        if _URL_RE.match(self.text, self.pos):
            return self.url(field)
        return self.word(field, in_value=True)

    def word(self, field: str | None, *, in_value: bool) -> Node:
        text, start = self.text, self.pos
        chars: list[str] = []
        stars = 0  # unescaped "*" at the end of chars
        pos = start
        while pos < self.n:
            ch = text[pos]
            if ch.isspace() or ch in '()"':
                break
            if ch == "\\":
                if pos + 1 >= self.n:
                    raise self.error("'\\' at the end escapes nothing", pos)
                chars.append(text[pos + 1])
                stars = 0
                pos += 2
                continue
            if ch == ":":
                raise self.error(self._colon_message(field, text[start:pos], in_value), pos)
            if ch in "^~" and _SUFFIX_RE.match(text, pos):
                break
            chars.append(ch)
            stars = stars + 1 if ch == "*" else 0
            pos += 1
        self.pos = pos
        self.skip_suffix()
        if not chars:
            raise self.error("expected a search term", start)
        value = "".join(chars)
        if not stars:
            return Term(field, value)
        value = value[:-stars]
        if not value and field is None:
            return MatchAll()  # a bare "*"
        return Term(field, value, wildcard=True)

    @staticmethod
    def _colon_message(field: str | None, before: str, in_value: bool) -> str:
        if in_value:
            return f"unescaped ':' in the value of '{field}'; write '\\:' or quote the value"
        if not before:
            return "':' without a field name before it"
        return (
            f"'{before}' is not a valid field name; to search for ':' write '\\:' or quote the text"
        )

    def phrase(self, field: str | None) -> Term:
        start = self.pos
        value = self.quoted()
        if not value.strip():
            raise self.error("empty phrase", start)
        self.skip_suffix()
        return Term(field, value, phrase=True)

    def quoted(self) -> str:
        """The unescaped contents of the "..." starting at self.pos."""
        text, start = self.text, self.pos
        chars: list[str] = []
        pos = start + 1
        while pos < self.n:
            ch = text[pos]
            if ch == '"':
                self.pos = pos + 1
                return "".join(chars)
            if ch == "\\" and pos + 1 < self.n:
                chars.append(text[pos + 1])
                pos += 2
                continue
            chars.append(ch)
            pos += 1
        raise self.error("unterminated quote: missing closing '\"'", start)

    def range(self, field: str | None) -> Range:
        start = self.pos
        if field is None:
            raise self.error("a range needs a field, e.g. metadata_modified:[2024-01-01 TO *]")
        include_low = self.text[start] == "["
        self.pos += 1
        low = self.range_bound(start, "lower")
        self.skip_ws()
        if self.pos >= self.n:
            raise self.error("unterminated range: missing ']' or '}'", start)
        m = _RANGE_TO_RE.match(self.text, self.pos)
        if not m:
            raise self.error("expected 'TO' between the range bounds")
        self.pos = m.end()
        high = self.range_bound(start, "upper")
        self.skip_ws()
        if self.pos >= self.n:
            raise self.error("unterminated range: missing ']' or '}'", start)
        if self.text[self.pos] not in "]}":
            raise self.error("expected ']' or '}' to close the range")
        include_high = self.text[self.pos] == "]"
        self.pos += 1
        self.skip_suffix()
        return Range(field, low, high, include_low, include_high)

    def range_bound(self, start: int, which: str) -> str | None:
        self.skip_ws()
        if self.pos >= self.n:
            raise self.error("unterminated range: missing ']' or '}'", start)
        if self.text[self.pos] == '"':
            return self.quoted()  # a quoted "*" is a literal star
        chars: list[str] = []
        escaped = False
        while self.pos < self.n:
            ch = self.text[self.pos]
            if ch.isspace() or ch in "]}":
                break
            if ch == "\\" and self.pos + 1 < self.n:
                chars.append(self.text[self.pos + 1])
                escaped = True
                self.pos += 2
                continue
            chars.append(ch)
            self.pos += 1
        if not chars:
            raise self.error(f"the range has no {which} bound")
        bound = "".join(chars)
        return None if bound == "*" and not escaped else bound

    def url(self, field: str | None) -> Term:
        # Users paste URLs unquoted; take everything up to whitespace, except closing parentheses
        # that belong to an enclosing group rather than to the URL.
        start = end = self.pos
        while end < self.n and not self.text[end].isspace():
            end += 1
        url = self.text[start:end]
        while url.endswith(")") and url.count(")") > url.count("("):
            url = url[:-1]
        self.pos = start + len(url)
        if url.endswith("*"):
            return Term(field, url.rstrip("*"), wildcard=True)
        return Term(field, url)

    def group(self, field: str | None) -> Node:
        start = self.pos
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.error("parentheses nested too deeply", start)
        self.pos += 1
        node = self.query(field)
        self.depth -= 1
        if self.pos >= self.n:
            raise self.error("unbalanced '(': missing ')'", start)
        self.pos += 1
        if node is None:
            raise self.error("empty parentheses", start)
        self.skip_suffix()
        return node


def parse(text: str, default_operator: str = "AND") -> Node:
    """Parse a q or fq string; ``default_operator`` (AND/OR) joins clauses with no operator."""
    op = default_operator.upper()
    if op not in ("AND", "OR"):
        raise QuerySyntaxError(f"default operator must be AND or OR, not {default_operator!r}")
    parser = _Parser(text, op)
    node = parser.query(None)
    if parser.pos < parser.n:  # query() stops only at the end or at a ")" it did not open
        raise parser.error("unbalanced ')': no matching '('")
    return MatchAll() if node is None else node


def fields_in(node: Node) -> set[str]:
    """Every field name the query mentions (for the caller to validate)."""
    fields: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Term):
            if n.field is not None:
                fields.add(n.field)
        elif isinstance(n, Range):
            fields.add(n.field)
        elif isinstance(n, And | Or):
            stack.extend(n.items)
        elif isinstance(n, Not):
            stack.append(n.item)
    return fields
