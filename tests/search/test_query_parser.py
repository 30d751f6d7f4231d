"""Tests for the Solr/Lucene query parser used by package_search's q and fq."""

from __future__ import annotations

import pytest

from tsunagu.search.query_parser import (
    And,
    MatchAll,
    Node,
    Not,
    Or,
    QuerySyntaxError,
    Range,
    Term,
    fields_in,
    parse,
)


def t(
    value: str, field: str | None = None, *, phrase: bool = False, wildcard: bool = False
) -> Term:
    return Term(field, value, phrase=phrase, wildcard=wildcard)


def a(*items: Node) -> And:
    return And(tuple(items))


def o(*items: Node) -> Or:
    return Or(tuple(items))


ALL = MatchAll()


def check_shape(node: Node, parent: Node | None = None) -> None:
    """The structural guarantees callers rely on."""
    if isinstance(node, Not):
        # Every Not sits directly in an And beside at least one positive item.
        assert isinstance(parent, And), node
        assert any(not isinstance(i, Not) for i in parent.items), parent
        check_shape(node.item, node)
    elif isinstance(node, And | Or):
        assert len(node.items) >= 2, node  # single items collapse
        assert not any(type(i) is type(node) for i in node.items), node  # nesting flattens
        for item in node.items:
            check_shape(item, node)


# --- valid queries -----------------------------------------------------------------------

CASES: list[tuple[str, Node]] = [
    # empty and match-all
    ("", ALL),
    ("   ", ALL),
    ("\u3000", ALL),
    ("*:*", ALL),
    ("*", ALL),
    ("(*:*)", ALL),
    # the q examples CKAN users write
    ("避難所", t("避難所")),
    ("人口 統計", a(t("人口"), t("統計"))),
    ("人口\u3000統計", a(t("人口"), t("統計"))),  # full-width space separates
    ('"地域・年齢別人口"', t("地域・年齢別人口", phrase=True)),
    (
        "tags:防災 AND organization:yamaguchi-city",
        a(t("防災", "tags"), t("yamaguchi-city", "organization")),
    ),
    ("res_format:CSV OR res_format:XLSX", o(t("CSV", "res_format"), t("XLSX", "res_format"))),
    (
        "groups:(bousai OR kosodate) -license_id:other-closed",
        a(o(t("bousai", "groups"), t("kosodate", "groups")), Not(t("other-closed", "license_id"))),
    ),
    ("name:aed*", t("aed", "name", wildcard=True)),
    (
        "metadata_modified:[2024-01-01T00:00:00Z TO *]",
        Range("metadata_modified", "2024-01-01T00:00:00Z", None, True, True),
    ),
    ("(a OR b) AND NOT c", a(o(t("a"), t("b")), Not(t("c")))),
    ('title:"AED 設置"', t("AED 設置", "title", phrase=True)),
    # values are kept as written (the index normalises)
    ("ＡＥＤ　ｶﾅ", a(t("ＡＥＤ"), t("ｶﾅ"))),
    ("ヒナンジョ", t("ヒナンジョ")),
    # operators and precedence: NOT > AND > OR
    ("a AND b", a(t("a"), t("b"))),
    ("a OR b", o(t("a"), t("b"))),
    ("a && b", a(t("a"), t("b"))),
    ("a || b", o(t("a"), t("b"))),
    ("a OR b AND c", o(t("a"), a(t("b"), t("c")))),
    ("a AND b OR c", o(a(t("a"), t("b")), t("c"))),
    ("a b OR c", o(a(t("a"), t("b")), t("c"))),  # implicit AND binds like AND
    ("a AND NOT b", a(t("a"), Not(t("b")))),
    ("a NOT b", a(t("a"), Not(t("b")))),
    ("a !b", a(t("a"), Not(t("b")))),
    ("NOT(a)", a(ALL, Not(t("a")))),
    ("a AND(b OR c)", a(t("a"), o(t("b"), t("c")))),
    # lower-case words and glued symbols are plain terms, as in Lucene
    ("a and b", a(t("a"), t("and"), t("b"))),
    ("a or not b", a(t("a"), t("or"), t("not"), t("b"))),
    ("ANDROID ORACLE NOTICE", a(t("ANDROID"), t("ORACLE"), t("NOTICE"))),
    ("a&&b", t("a&&b")),
    # flattening and collapsing
    ("a AND (b AND c)", a(t("a"), t("b"), t("c"))),
    ("(a OR b) OR (c OR d)", o(t("a"), t("b"), t("c"), t("d"))),
    ("((a))", t("a")),
    ("a AND a", t("a")),
    ("*:* AND a", t("a")),
    # + and - modifiers, default AND
    ("+a", t("a")),
    ("+a +b", a(t("a"), t("b"))),
    ("+a b -c", a(t("a"), t("b"), Not(t("c")))),
    ("-organization:foo", a(ALL, Not(t("foo", "organization")))),
    ("-a -b", a(ALL, Not(t("a")), Not(t("b")))),
    ("NOT a", a(ALL, Not(t("a")))),
    ("*:* -a", a(ALL, Not(t("a")))),
    ("a - b", a(t("a"), Not(t("b")))),  # Lucene lets the modifier stand apart
    ("a OR NOT b", a(t("a"), Not(t("b")))),  # Lucene: OR NOT is prohibited, not a negated OR
    ("a OR -b", a(t("a"), Not(t("b")))),
    ("-(a OR b)", a(ALL, Not(o(t("a"), t("b"))))),
    ("(-a)", a(ALL, Not(t("a")))),
    ("x AND (-a)", a(t("x"), Not(t("a")))),
    ("x OR (-a)", o(t("x"), a(ALL, Not(t("a"))))),
    ("-a AND -b OR c", o(a(ALL, Not(t("a")), Not(t("b"))), t("c"))),
    ("NOT NOT a", t("a")),
    ("--a", t("a")),
    ("NOT (-a)", t("a")),
    ("-*:*", a(ALL, Not(ALL))),
    # hyphens, plus signs and bangs inside words are literal
    ("yamaguchi-city", t("yamaguchi-city")),
    ("c++", t("c++")),
    ("すごい!", t("すごい!")),
    # fields
    ("tags:防災", t("防災", "tags")),
    ("title：防災", t("防災", "title")),  # full-width colon after a field name
    ("title: 防災", t("防災", "title")),  # Lucene skips space after the colon
    ("東京：人口", t("東京：人口")),  # a full-width colon elsewhere is plain text
    ("extras_spatial.v2-x:a", t("a", "extras_spatial.v2-x")),
    ("_private:true", t("true", "_private")),
    ("num:-5", t("-5", "num")),  # a leading - in a value is literal
    ("name:*", t("", "name", wildcard=True)),  # field has any value
    ("title:(避難所 一覧)", a(t("避難所", "title"), t("一覧", "title"))),
    ("title:(a notes:b)", a(t("a", "title"), t("b", "notes"))),  # explicit field wins
    ("title:(a -b)", a(t("a", "title"), Not(t("b", "title")))),
    ("title:(a OR (b c))", o(t("a", "title"), a(t("b", "title"), t("c", "title")))),
    ('title:("a b" c*)', a(t("a b", "title", phrase=True), t("c", "title", wildcard=True))),
    ("x:([1 TO 2] OR 5)", o(Range("x", "1", "2", True, True), t("5", "x"))),
    ("title:(*)", t("", "title", wildcard=True)),
    # wildcards
    ("aed*", t("aed", wildcard=True)),
    ("aed**", t("aed", wildcard=True)),
    ("a*b", t("a*b")),  # only a trailing * is a wildcard
    ("a?", t("a?")),
    (r"aed\*", t("aed*")),  # escaped star is literal
    ('"aed*"', t("aed*", phrase=True)),
    # ranges
    ("x:{* TO 10}", Range("x", None, "10", False, False)),
    ("x:[* TO *]", Range("x", None, None, True, True)),
    ("x:[1 TO 10}", Range("x", "1", "10", True, False)),
    ("x:[ 1   TO   10 ]", Range("x", "1", "10", True, True)),
    (
        "metadata_modified:[2020-01-01T00:00:00Z TO NOW]",
        Range("metadata_modified", "2020-01-01T00:00:00Z", "NOW", True, True),
    ),
    ("x:[NOW-1YEAR/DAY TO NOW]", Range("x", "NOW-1YEAR/DAY", "NOW", True, True)),
    ('x:["a b" TO "*"]', Range("x", "a b", "*", True, True)),  # quoted * is literal
    (r"x:[\* TO b]", Range("x", "*", "b", True, True)),
    ("x:[1 TO 2] AND y", a(Range("x", "1", "2", True, True), t("y"))),
    # escapes
    (r"a\:b", t("a:b")),
    (r"\(a\)", t("(a)")),
    (r"\"a", t('"a')),
    (r"a\ b", t("a b")),
    (r"\-a", t("-a")),
    (r"\+a", t("+a")),
    (r"title:a\:b", t("a:b", "title")),
    (r'"say \"hi\""', t('say "hi"', phrase=True)),
    (r'"a\\b"', t("a\\b", phrase=True)),
    # URLs
    ("url:http://example.jp/a?b=c&d=e", t("http://example.jp/a?b=c&d=e", "url")),
    ("url:HTTPS://example.jp/x", t("HTTPS://example.jp/x", "url")),
    ('url:"http://example.jp/x"', t("http://example.jp/x", "url", phrase=True)),
    ("url:https://example.jp/data/*", t("https://example.jp/data/", "url", wildcard=True)),
    ("(url:http://example.jp/a)", t("http://example.jp/a", "url")),
    ("(url:http://example.jp/a_(b))", t("http://example.jp/a_(b)", "url")),
    (
        "url:http://x.jp/a OR url:http://x.jp/b",
        o(t("http://x.jp/a", "url"), t("http://x.jp/b", "url")),
    ),
    ("https://example.jp/dataset/x", t("https://example.jp/dataset/x")),
    (
        "url:(http://x.jp/a OR http://x.jp/b)",
        o(t("http://x.jp/a", "url"), t("http://x.jp/b", "url")),
    ),
    # scoring suffixes are accepted and ignored
    ("foo^2", t("foo")),
    ("title:foo^0.5 bar", a(t("foo", "title"), t("bar"))),
    ('"a b"~3', t("a b", phrase=True)),
    ("foo~", t("foo")),
    ("(a b)^2", a(t("a"), t("b"))),
    ("a~b", t("a~b")),
    ("a^b", t("a^b")),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] or "<empty>" for c in CASES])
def test_parse(text: str, expected: Node) -> None:
    node = parse(text)
    assert node == expected
    check_shape(node)


# Lucene semantics under q.op=OR: required clauses must match, prohibited must not, and optional
# ones only rank, so they drop out when a required clause exists.
OR_CASES: list[tuple[str, Node]] = [
    ("人口 統計", o(t("人口"), t("統計"))),
    ("a b OR c", o(t("a"), t("b"), t("c"))),
    ("a b AND c", o(t("a"), a(t("b"), t("c")))),  # AND still binds tighter
    ("+a b -c", a(t("a"), Not(t("c")))),
    ("+a +b c", a(t("a"), t("b"))),
    ("-c +a", a(Not(t("c")), t("a"))),
    ("a b -c", a(o(t("a"), t("b")), Not(t("c")))),
    ("a -c", a(t("a"), Not(t("c")))),
    ("-a -b", a(ALL, Not(t("a")), Not(t("b")))),
    ("-organization:foo", a(ALL, Not(t("foo", "organization")))),
    ("a OR +b", t("b")),
    (
        "groups:(bousai OR kosodate) -license_id:other-closed",
        a(o(t("bousai", "groups"), t("kosodate", "groups")), Not(t("other-closed", "license_id"))),
    ),
    ("(a OR b) AND NOT c", a(o(t("a"), t("b")), Not(t("c")))),
    ("x AND y", a(t("x"), t("y"))),
    ("(+a b) c", o(t("a"), t("c"))),  # the rule applies inside each group
]


@pytest.mark.parametrize(("text", "expected"), OR_CASES, ids=[c[0] for c in OR_CASES])
def test_parse_default_or(text: str, expected: Node) -> None:
    node = parse(text, default_operator="OR")
    assert node == expected
    check_shape(node)


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("AND", a(t("a"), t("b"))),
        ("and", a(t("a"), t("b"))),
        ("OR", o(t("a"), t("b"))),
        ("or", o(t("a"), t("b"))),
    ],
)
def test_default_operator_is_case_insensitive(op: str, expected: Node) -> None:
    assert parse("a b", default_operator=op) == expected


def test_invalid_default_operator() -> None:
    with pytest.raises(QuerySyntaxError, match="default operator"):
        parse("a b", default_operator="XOR")


# --- malformed queries ---------------------------------------------------------------------

ERRORS: list[tuple[str, str]] = [
    # parentheses
    ("(a", "missing '\\)'"),
    ("(a OR (b)", "missing '\\)'"),
    ("a)", "unbalanced '\\)'"),
    ("(a))", "unbalanced '\\)'"),
    (")", "unbalanced '\\)'"),
    ("()", "empty parentheses"),
    ("a ( )", "empty parentheses"),
    ("title:()", "empty parentheses"),
    # quotes
    ('"abc', "unterminated quote"),
    ('title:"abc', "unterminated quote"),
    ('"abc\\"', "unterminated quote"),  # the closing quote is escaped
    ('a "b" "c', "unterminated quote"),
    ('""', "empty phrase"),
    ('title:"  "', "empty phrase"),
    # dangling operators
    ("AND a", "'AND' has no clause on its left"),
    ("OR", "'OR' has no clause on its left"),
    ("a AND", "'AND' has no clause on its right"),
    ("a OR", "'OR' has no clause on its right"),
    ("a ||", "'\\|\\|' has no clause on its right"),
    ("&& a", "'&&' has no clause on its left"),
    ("a AND OR b", "'OR' directly follows 'AND'"),
    ("(AND a)", "'AND' has no clause on its left"),
    ("(a OR)", "'OR' has no clause on its right"),
    ("NOT", "'NOT' has no clause to apply to"),
    ("a NOT", "'NOT' has no clause to apply to"),
    ("a AND NOT", "'NOT' has no clause to apply to"),
    ("NOT AND a", "'NOT' has no clause to apply to"),
    ("-", "'-' has no clause to apply to"),
    ("a -", "'-' has no clause to apply to"),
    ("a +", "'\\+' has no clause to apply to"),
    ("!", "'!' has no clause to apply to"),
    ("(a -)", "'-' has no clause to apply to"),
    # field with no value
    ("title:", "field 'title' has no value"),
    ("title:   ", "field 'title' has no value"),
    ("title: AND x", "field 'title' has no value"),
    ("title:OR", "field 'title' has no value"),
    ("(title:)", "field 'title' has no value"),
    ("tags: organization:foo", "field 'tags' has no value"),
    ("title：", "field 'title' has no value"),
    # colons
    ("東京:人口", "'東京' is not a valid field name"),
    ("10:00", "'10' is not a valid field name"),
    ("*:foo", "'\\*' is not a valid field name"),
    (":foo", "':' without a field name"),
    ("a::b", "unescaped ':' in the value of 'a'"),
    ("url:ftp://x", "unescaped ':' in the value of 'url'"),
    ("a:b:c", "unescaped ':' in the value of 'a'"),
    # escapes
    ("a\\", "escapes nothing"),
    # ranges
    ("[a TO b]", "a range needs a field"),
    ("x:[a b]", "expected 'TO'"),
    ("x:[a to b]", "expected 'TO'"),
    ("x:[a TO b", "unterminated range"),
    ("x:[a TO", "unterminated range"),
    ("x:[a", "unterminated range"),
    ("x:[a TO]", "no upper bound"),
    ("x:[ TO b]", "expected 'TO'"),
    ("x:[a TO b c]", "expected '\\]' or '}'"),
    ("x:[]", "no lower bound"),
    # stray scoring suffix with no term
    ("^2", "expected a search term"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError, match=message):
        parse(text)


def test_syntax_error_is_a_value_error_with_position() -> None:
    with pytest.raises(ValueError) as info:
        parse("title:防災 AND (a OR b")
    err = info.value
    assert isinstance(err, QuerySyntaxError)
    assert err.position == 13  # the unclosed "("
    assert "position 13" in str(err)


@pytest.mark.parametrize(
    ("text", "position"),
    [('a "b', 2), ("a AND", 2), ("x:[a b]", 5), ("東京:人口", 2), ("a)", 1)],
)
def test_error_positions(text: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(text)
    assert info.value.position == position


def test_deep_nesting_is_rejected_not_a_crash() -> None:
    assert parse("(" * 30 + "a" + ")" * 30) == t("a")
    with pytest.raises(QuerySyntaxError, match="nested too deeply"):
        parse("(" * 1000 + "a" + ")" * 1000)


def test_long_flat_queries_do_not_recurse() -> None:
    words = [f"w{i}" for i in range(5000)]
    assert parse(" OR ".join(words)) == Or(tuple(t(w) for w in words))
    assert parse("NOT " * 5000 + "a") == t("a")  # an even number of NOTs cancels out


def test_nodes_are_frozen_and_hashable() -> None:
    node = parse("tags:防災 AND -a")
    with pytest.raises(AttributeError):
        node.items = ()  # type: ignore[misc, union-attr]
    assert hash(node) == hash(parse("tags:防災 AND -a"))


# --- fields_in ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("", set()),
        ("避難所 人口", set()),
        ("tags:防災 AND organization:yamaguchi-city", {"tags", "organization"}),
        ("groups:(bousai OR kosodate) -license_id:other-closed", {"groups", "license_id"}),
        ("metadata_modified:[2024-01-01T00:00:00Z TO *] name:*", {"metadata_modified", "name"}),
        ("NOT (a OR title:(b notes:c))", {"title", "notes"}),
        ("*:*", set()),
        ("url:http://x.jp/a", {"url"}),
    ],
)
def test_fields_in(text: str, fields: set[str]) -> None:
    assert fields_in(parse(text)) == fields
