"""Phrase matching stays exact with the phrase cache and the appendable phrase corpus.

Every search here is checked against a brute-force reference that reads the documents' text
directly, on random documents and queries (1–2 character words, longer phrases, mixed scripts,
hiragana readings, synonyms), before and after the cache fills and while documents come and go.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pyroaring import BitMap

from tsunagu.search import evaluate, phrases
from tsunagu.search.documents import build_document
from tsunagu.search.interface import SearchQuery, Visibility
from tsunagu.search.memory_index import MemoryIndex
from tsunagu.search.normalize import normalize_text, query_terms
from tsunagu.search.phrases import READING, PhraseCache, PhraseCorpus, PhraseKey
from tsunagu.search.synonyms import expand

# Pieces documents are made of: kanji, kana, katakana loanwords, ASCII, and words with synonyms,
# so random texts share many bigrams without sharing phrases.
PIECES = [
    "避難所",
    "避難場所",
    "指定緊急避難場所",
    "避難",
    "所在地",
    "人口",
    "推計人口",
    "人口統計",
    "統計",
    "データ",
    "データセット",
    "標準データセット",
    "標準",
    "セット",
    "介護",
    "介護サービス",
    "サービス",
    "水",
    "水道",
    "下水",
    "AED",
    "Wi-Fi",
    "wifi",
    "CSV",
    "2024",
    "令和5年度",
    "ひなん",
    "ごみ",
    "ゴミ",
    "廃棄物",
    "保育所",
    "保育園",
    "子育て支援",
    "一覧",
    "の",
    "・",
    "、",
    "（",
    "）",
]
TAGS = ["避難所", "人口", "介護", "ごみ", "オープンデータ", "AED", "水道"]


def _text(rng: random.Random, low: int, high: int) -> str:
    parts = rng.choices(PIECES, k=rng.randint(low, high))
    return "".join(p if rng.random() < 0.7 else p + " " for p in parts)


def _package(rng: random.Random, number: int) -> dict[str, Any]:
    return {
        "id": f"id-{number}",
        "name": f"ds-{number}",
        "title": _text(rng, 1, 4),
        "notes": _text(rng, 0, 8),
        "private": rng.random() < 0.2,
        "state": "active",
        "owner_org": "org-1",
        "organization": {"name": "org", "title": "山口市"},
        "tags": [{"name": tag} for tag in rng.sample(TAGS, rng.randint(0, 2))],
        "resources": [
            {"name": _text(rng, 1, 2), "description": _text(rng, 0, 3), "format": "CSV"}
            for _ in range(rng.randint(0, 2))
        ],
    }


def _queries(rng: random.Random, packages: list[dict[str, Any]], count: int) -> list[str]:
    """Whole pieces, and random slices (1–6 characters) of the documents' own text."""
    out = list(dict.fromkeys(p.strip("（）・、") for p in PIECES if p.strip("（）・、")))
    out += ["ひなんじょ", "じんこう", "かいご", "ひょうじゅん", "すいどう"]
    while len(out) < count:
        text = normalize_text(rng.choice(packages)["notes"] or "避難所")
        start = rng.randrange(len(text))
        piece = text[start : start + rng.randint(1, 6)].strip()
        if piece and re.search(r"\w", piece):
            out.append(piece)
    return out


# -- the brute-force reference ---------------------------------------------------------------


def _has_term(term: str, scope: str, everything: str) -> bool:
    """A query term as the index reads it, decided on the text itself."""
    if term.isascii():
        return term in re.findall(r"[a-z0-9]+", scope)
    if len(term) == 1:
        return term in everything  # single characters are indexed over the whole text
    return term in scope  # a bigram of word characters only occurs inside a run


def _written(package: dict[str, Any], field: str, phrase: str) -> bool:
    doc = build_document(package)
    everything = doc.texts["text"]
    scope = doc.texts["title"] if field == "title" else everything
    terms = query_terms(phrase)
    if not terms or not all(_has_term(t, scope, everything) for t in terms):
        return False
    if len(terms) == 1 and field == "text":
        return True
    return phrase in doc.texts[field]


def _spoken(package: dict[str, Any], phrase: str) -> bool:
    return bool(re.fullmatch(r"[\u3041-\u309fー]{2,}", phrase)) and (
        phrase in build_document(package).reading
    )


def _reference(
    packages: list[dict[str, Any]], word: str, field: str = "text", synonyms: bool = False
) -> set[str]:
    """Names of the public documents matching one free-text word (a quoted phrase unless
    ``synonyms``, when its equivalents count too)."""
    words = expand(word) if synonyms else (normalize_text(word),)
    return {
        p["name"]
        for p in packages
        if not p["private"]
        and any(
            _written(p, field, w) or (field in ("text", "title") and _spoken(p, w)) for w in words
        )
    }


def _found(index: MemoryIndex, q: str) -> set[str]:
    result = index.search(SearchQuery(q=q, rows=1000, fl=["name"], visibility=Visibility()))
    assert result.count == len(result.results)
    return {row["name"] for row in result.results}


def _quoted(word: str) -> str:
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def always_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remember every confirmed phrase, however few its candidates."""
    monkeypatch.setattr(evaluate, "CACHE_MIN_CANDIDATES", 1)


def _index(packages: list[dict[str, Any]]) -> MemoryIndex:
    index = MemoryIndex("http://test")
    for package in packages:
        index._add(build_document(package))
    return index


@pytest.fixture
def corpus() -> Iterator[tuple[random.Random, list[dict[str, Any]]]]:
    rng = random.Random(20261125)
    yield rng, [_package(rng, n) for n in range(160)]


# -- tests -------------------------------------------------------------------------------------


def test_random_phrases_match_the_reference_cold_and_cached(
    corpus: tuple[random.Random, list[dict[str, Any]]], always_cache: None
) -> None:
    rng, packages = corpus
    index = _index(packages)
    queries = _queries(rng, packages, 120)
    assert any(len(query_terms(q)) == 1 for q in queries)  # 1–2 character words are covered
    for q in queries:
        # Quoted: one phrase, as typed (an unquoted word may be split by the query parser).
        assert _found(index, _quoted(q)) == _reference(packages, q), q
    assert len(index.phrase_cache) > 20
    for q in queries:  # now from the cache
        assert _found(index, _quoted(q)) == _reference(packages, q), q


def test_title_field_phrases_match_the_reference(
    corpus: tuple[random.Random, list[dict[str, Any]]], always_cache: None
) -> None:
    rng, packages = corpus
    index = _index(packages)
    for q in _queries(rng, packages, 60):
        expected = _reference(packages, q, field="title")
        for _ in range(2):
            assert _found(index, f"title:{_quoted(q)}") == expected, q


def test_cache_and_corpus_follow_added_removed_and_changed_documents(
    corpus: tuple[random.Random, list[dict[str, Any]]], always_cache: None
) -> None:
    rng, packages = corpus
    live = {p["id"]: p for p in packages[:100]}
    index = _index(list(live.values()))
    queries = _queries(rng, packages, 50)
    for q in queries:  # fill the cache and build the corpus
        _found(index, _quoted(q))
    next_number = 1000
    for step in range(6):
        for package in packages[100 + 10 * step : 110 + 10 * step]:  # new datasets
            live[package["id"]] = package
            index._add(build_document(package))
        for dataset_id in rng.sample(sorted(live), 5):  # deleted datasets
            index._remove(dataset_id)
            del live[dataset_id]
        for dataset_id in rng.sample(sorted(live), 5):  # edited: removed, then added again
            changed = {**_package(rng, next_number), "id": dataset_id}
            changed["name"] = live[dataset_id]["name"]
            next_number += 1
            index._remove(dataset_id)
            index._add(build_document(changed))
            live[dataset_id] = changed
        for q in queries:
            assert _found(index, _quoted(q)) == _reference(list(live.values()), q), (step, q)
    fresh = _index(list(live.values()))
    for q in queries:
        assert _found(index, _quoted(q)) == _found(fresh, _quoted(q)), q


def test_synonyms_and_readings_match_the_reference(
    corpus: tuple[random.Random, list[dict[str, Any]]], always_cache: None
) -> None:
    _, packages = corpus
    index = _index(packages)
    for q in ["避難所", "人口", "介護", "ごみ", "ひなんじょ", "じんこう", "すいどう", "データ"]:
        expected = _reference(packages, q, synonyms=True)
        assert expected, q  # the random corpus does hold each of them
        assert _found(index, q) == expected, q
        assert _found(index, q) == expected, q  # cached


def test_several_words_and_negation_match_the_reference(
    corpus: tuple[random.Random, list[dict[str, Any]]], always_cache: None
) -> None:
    rng, packages = corpus
    index = _index(packages)
    queries = [q for q in _queries(rng, packages, 80) if " " not in q and '"' not in q]
    for _ in range(40):
        first, second = rng.sample(queries, 2)
        both = _reference(packages, first) & _reference(packages, second)
        assert _found(index, f"{_quoted(first)} AND {_quoted(second)}") == both
        without = _reference(packages, first) - _reference(packages, second)
        assert _found(index, f"{_quoted(first)} AND NOT {_quoted(second)}") == without


def test_filtered_search_confirms_only_the_filtered_candidates(
    corpus: tuple[random.Random, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, packages = corpus
    monkeypatch.setattr(evaluate, "CACHE_MIN_CANDIDATES", 1)
    index = _index(packages)
    confirmed: list[int] = []
    original = PhraseCorpus.containing

    def counting(self: PhraseCorpus, *args: Any) -> BitMap:
        confirmed.append(len(args[-1]))
        return original(self, *args)

    monkeypatch.setattr(PhraseCorpus, "containing", counting)
    one = next(p for p in packages if not p["private"] and "人口統計" in p["notes"])
    candidates = BitMap.intersection(*(index.body_postings[t] for t in query_terms("人口統計")))
    assert len(candidates) > 4
    result = index.search(SearchQuery(q='"人口統計"', fq=f"name:{one['name']}", fl=["name"]))
    assert [row["name"] for row in result.results] == [one["name"]]
    # Within fq only one document is left to confirm, and such a narrow answer is not cached.
    assert confirmed == [1]
    assert len(index.phrase_cache) == 0


def test_single_term_title_search_leaves_the_postings_alone(
    corpus: tuple[random.Random, list[dict[str, Any]]],
) -> None:
    _, packages = corpus
    index = _index(packages)
    before = {term: BitMap(bitmap) for term, bitmap in index.char_postings.items()}
    before_title = {term: BitMap(bitmap) for term, bitmap in index.title_postings.items()}
    for q in ["title:水", "title:人口", "title:ひなん", "title:aed"]:
        index.search(SearchQuery(q=q, visibility=Visibility()))  # private ones are not visible
    assert index.char_postings == before
    assert index.title_postings == before_title


def _doc(number: int, title: str, tags: list[str] | None = None) -> Any:
    package = {
        "id": f"id-{number}",
        "name": f"ds-{number}",
        "title": title,
        "tags": [{"name": t} for t in tags or []],
    }
    return build_document(package)


def test_phrase_cache_forgets_the_least_recently_used() -> None:
    cache = PhraseCache(capacity=2)
    keys = [PhraseKey("text", p, tuple(query_terms(p))) for p in ["避難所", "人口統計", "介護"]]
    cache.put(keys[0], BitMap([1]))
    cache.put(keys[1], BitMap([2]))
    assert cache.get(keys[0]) == BitMap([1])  # now the most recent
    cache.put(keys[2], BitMap([3]))
    assert cache.get(keys[1]) is None
    assert cache.get(keys[0]) == BitMap([1])
    assert len(cache) == 2
    cache.clear()
    assert len(cache) == 0


def test_phrase_cache_of_no_capacity_keeps_nothing() -> None:
    cache = PhraseCache(capacity=0)
    key = PhraseKey("text", "避難所", ("避難", "難所"))
    cache.put(key, BitMap([1]))
    assert cache.get(key) is None


def test_phrase_cache_adds_only_documents_that_hold_the_phrase() -> None:
    cache = PhraseCache()
    in_text = PhraseKey("text", "避難所", ("避難", "難所"))
    in_title = PhraseKey("title", "避難所", ("避難", "難所"))
    ascii_word = PhraseKey("text", "aed設置", ("aed", "設置"))
    spoken = PhraseKey(READING, "ひなんじょ", tuple(query_terms("ひなんじょ")))
    for key in (in_text, in_title, ascii_word, spoken):
        cache.put(key, BitMap())
    cache.add_document(1, _doc(1, "避難所一覧"))
    cache.add_document(2, _doc(2, "一覧", tags=["避難所"]))  # in the body, not the title
    cache.add_document(3, _doc(3, "避難 所"))  # both bigrams' characters, not the phrase
    cache.add_document(4, _doc(4, "AED設置場所"))
    cache.add_document(5, _doc(5, "XAED設置"))  # the text, but aed not as a word of its own
    assert cache.get(in_text) == BitMap([1, 2])
    assert cache.get(in_title) == BitMap([1])
    assert cache.get(ascii_word) == BitMap([4])
    assert cache.get(spoken) == BitMap([1, 2])  # the reading of the title and of the tags
    cache.remove_document(1)
    assert cache.get(in_text) == BitMap([2])
    assert cache.get(spoken) == BitMap([2])


def test_phrase_corpus_appends_new_documents_and_merges_segments() -> None:
    index = MemoryIndex("http://test")
    for number in range(8):
        index._add(_doc(number, "避難所" if number % 2 else "公園"))
    corpus = index.phrase_corpus
    assert corpus.containing(index, "title", "避難所", BitMap(range(8))) == BitMap([1, 3, 5, 7])
    for number in range(8, 40):
        index._add(_doc(number, "避難所"))
        everything = BitMap(range(number + 1))
        expected = BitMap(d for d in range(number + 1) if d % 2 or d >= 8)
        assert corpus.containing(index, "title", "避難所", everything) == expected
    segments = corpus._segments["title"]
    assert len(segments) <= 6  # merged as it grew, one segment per doubling at most
    assert sum(s.count for s in segments) == 40
    assert [s.first for s in segments] == sorted(s.first for s in segments)


def test_phrase_corpus_rebuilds_when_mostly_removed_documents() -> None:
    index = MemoryIndex("http://test")
    for number in range(600):
        index._add(_doc(number, "人口統計"))
    index.phrase_corpus.containing(index, "title", "人口統計", BitMap([0]))
    for number in range(600):
        index._remove(f"id-{number}")
    for number in range(600, 800):
        index._add(_doc(number, "人口統計" if number % 3 else "水道"))
    live = BitMap(range(600, 800))
    found = index.phrase_corpus.containing(index, "title", "人口統計", live)
    assert found == BitMap(d for d in range(600, 800) if d % 3)
    # Removed documents' text went away with the rebuild: one segment, empty slots for them.
    segments = index.phrase_corpus._segments["title"]
    assert len(segments) == 1
    assert segments[0].text.startswith("\x00" * 600)
    # Not rebuilt again by later queries while nothing more is removed.
    index.phrase_corpus.containing(index, "title", "人口統計", live)
    assert index.phrase_corpus._segments["title"][0] is segments[0]


def test_constants_stay_sensible() -> None:
    assert 0 < phrases.CACHE_MIN_CANDIDATES <= evaluate.VERIFY_LIMIT
    assert phrases.CACHE_CAPACITY > 0
