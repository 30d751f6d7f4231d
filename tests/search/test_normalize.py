"""Tests for the search index's text normalisation and tokenisation."""

from __future__ import annotations

import pytest

from tsunagu.search import normalize
from tsunagu.search.normalize import normalize_text, query_terms, reading, tokenize, unigrams

# --- normalize_text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ１２３", "abc123"),  # full-width ASCII
        ("ｶﾅ", "かな"),  # half-width katakana
        ("ｶﾞｲﾄﾞ", "がいど"),  # half-width voiced marks compose
        ("AED", "aed"),
        ("ヒナンジョ", "ひなんじょ"),
        ("ひなんじょ", "ひなんじょ"),
        ("データ", "でーた"),  # the long-vowel mark stays
        ("ヽヾ", "ゝゞ"),  # iteration marks
        ("ヷ", "ヷ"),  # no hiragana form: kept
        ("霞ヶ関", "霞け関"),  # small ヶ folds with ケ
        ("霞ケ関", "霞け関"),
        ("一ヵ月", "一か月"),
        ("一カ月", "一か月"),
        ("避難所　一覧", "避難所 一覧"),  # ideographic space
        ("  a \t\n b  ", "a b"),
        ("a\u3000\u3000 b", "a b"),
        ("①②", "12"),  # NFKC compatibility digits
        ("㈱つなぐ", "(株)つなぐ"),
        ("", ""),
        ("\u3000 \t", ""),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_katakana_and_hiragana_compare_equal() -> None:
    assert normalize_text("ヒナンジョ") == normalize_text("ひなんじょ")
    assert normalize_text("ｶﾞｲﾄﾞﾌﾞｯｸ") == normalize_text("ガイドブック")


@pytest.mark.parametrize(
    "raw",
    ["避難所 AED一覧", "ＡＢＣ　ｶﾅ", "データ・ヴァージョン", "霞ヶ関", "㈱ 2024年度", "  "],
)
def test_normalize_text_is_idempotent(raw: str) -> None:
    once = normalize_text(raw)
    assert normalize_text(once) == once


# --- tokenize ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("避難所 aed一覧", ["避難", "難所", "aed", "一覧"]),
        ("aed一覧", ["aed", "一覧"]),  # ASCII and CJK runs split without a space
        ("csv 2024", ["csv", "2024"]),
        ("2024年度", ["2024", "年度"]),
        ("水", ["水"]),  # a one-character run yields the character
        ("水 と 緑", ["水", "と", "緑"]),
        ("避難所", ["避難", "難所"]),
        ("でーた", ["でー", "ーた"]),  # ー belongs to the run
        ("人々", ["人々"]),
        ("地域・年齢別人口", ["地域", "年齢", "齢別", "別人", "人口"]),  # ・ separates runs
        ("foo_bar-baz", ["foo", "bar", "baz"]),  # _ and - separate ASCII words
        ("a.b,c", ["a", "b", "c"]),
        ("ああああ", ["ああ", "ああ", "ああ"]),  # repeats are kept
        ("café", ["caf", "é"]),  # only ASCII forms whole words
        ("", []),
        ("・、。!?", []),
    ],
)
def test_tokenize(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


def test_tokenize_after_normalize_of_raw_text() -> None:
    assert tokenize(normalize_text("避難所 AED一覧")) == ["避難", "難所", "aed", "一覧"]
    assert tokenize(normalize_text("ＡＥＤ設置場所（ｶﾅ）")) == [
        "aed",
        "設置",
        "置場",
        "場所",
        "かな",
    ]


# --- query_terms ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["避難所 AED一覧", "ＡＢＣ　ｶﾅ", "水", "", "ああああ"])
def test_query_terms_follow_tokenize_rules(text: str) -> None:
    assert query_terms(text) == tokenize(normalize_text(text))


def test_query_terms_normalise_their_input() -> None:
    assert (
        query_terms("ヒナンジョ") == query_terms("ひなんじょ") == ["ひな", "なん", "んじ", "じょ"]
    )
    assert query_terms("ＡＥＤ") == ["aed"]
    # Already normalised input gives the same terms.
    assert query_terms(normalize_text("ＡＥＤ一覧")) == query_terms("ＡＥＤ一覧")


@pytest.mark.parametrize(
    ("document", "query"),
    [
        ("山口市 避難所一覧（2024年度）", "避難所"),
        ("山口市 避難所一覧（2024年度）", "所一覧"),
        ("山口市 避難所一覧（2024年度）", "2024"),
        ("AED設置場所一覧", "ＡＥＤ 設置"),
        ("ヒナンジョ マップ", "ひなんじょ"),
        ("地域・年齢別人口", "年齢別人口"),
        ("データカタログ", "でーた"),
    ],
)
def test_query_terms_are_a_subset_of_matching_document_terms(document: str, query: str) -> None:
    assert set(query_terms(query)) <= set(tokenize(normalize_text(document)))


def test_one_character_query_matches_through_unigrams() -> None:
    doc = normalize_text("水道の水質検査")
    assert query_terms("水") == ["水"]
    assert "水" not in tokenize(doc)  # bigrams alone would miss it ...
    assert set(query_terms("水")) <= unigrams(doc)  # ... the unigram set does not


# --- unigrams ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("水 aed 避難所", {"水", "避", "難", "所"}),
        ("でーた・かたろぐ", {"で", "ー", "た", "か", "ろ", "ぐ"}),
        ("abc 123 _-", set()),
        ("、。！", set()),
        ("", set()),
    ],
)
def test_unigrams(text: str, expected: set[str]) -> None:
    assert unigrams(text) == expected


# --- reading ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("避難所", "ひなんじょ"),
        ("ヒナンジョ", "ひなんじょ"),
        ("人口統計", "じんこうとうけい"),
        ("AED設置 場所", "aedせっちばしょ"),  # normalised, spaces removed
        ("ｶﾅ", "かな"),
        ("", ""),
        ("　 ", ""),
        # Read run by run: okurigana inside a word, ケ between kanji, runs beside katakana,
        # ASCII and punctuation.
        ("萩市 空き家バンク（令和5年度）", "はぎしあきやばんく(れいわ5ねんど)"),
        ("霞ケ関の桜ケ丘", "かすみがせきのさくらがおか"),
        ("避難所マップ・AED設置場所", "ひなんじょまっぷ・aedせっちばしょ"),
    ],
)
def test_reading(text: str, expected: str) -> None:
    assert reading(text) == expected


def test_reading_run_by_run_reads_as_the_whole_text() -> None:
    """Each run of kanji and hiragana is read alone (and remembered): the same readings as
    pykakasi gives the whole text."""
    kakasi = normalize._get_kakasi()
    for text in (
        "山陽小野田市の空き家バンク",
        "下関市 指定緊急避難場所一覧",
        "霞ケ関ビル",
        "ケアプラン作成",
    ):
        whole = "".join(item["hira"] for item in kakasi.convert(text))
        assert reading(text) == normalize_text(whole).replace(" ", "")


def test_reading_result_is_normalised() -> None:
    for text in ("避難所マップ", "ＡＥＤ"):
        r = reading(text)
        assert r == normalize_text(r)
        assert " " not in r


def test_kakasi_instance_is_created_once() -> None:
    reading("東京")
    first = normalize._get_kakasi()
    assert first is not None
    assert normalize._get_kakasi() is first
