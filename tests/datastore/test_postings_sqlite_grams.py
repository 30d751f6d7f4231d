"""SQLite postings: the characters and pairs each row holds, as a plain Python loop finds them.

The build groups a chunk's grams with numpy (postings_sqlite._gram_bitmaps); whatever the texts
(empty, NULL, characters whose lower case is longer, characters beyond the BMP, more distinct
characters than 16-bit keys hold, rows across several chunks), each gram's bitmap must hold
exactly the rows whose lower-cased text contains it.
"""

from __future__ import annotations

import random
import sqlite3
from collections import defaultdict

import pytest

from tsunagu.datastore import postings_sqlite


def _expected(rows: list[tuple[int, str | None]]) -> dict[str, set[int]]:
    grams: defaultdict[str, set[int]] = defaultdict(set)
    for row_id, text in rows:
        folded = (text or "").lower()
        for i, char in enumerate(folded):
            grams[char].add(row_id)
            if i + 1 < len(folded):
                grams[folded[i : i + 2]].add(row_id)
    return dict(grams)


def _built(rows: list[tuple[int, str | None]]) -> dict[str, set[int]]:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (_id INTEGER PRIMARY KEY, _full_text TEXT)")
    connection.executemany("INSERT INTO t VALUES (?, ?)", rows)
    bitmaps = postings_sqlite._gram_bitmaps(connection, "t")
    return {gram: set(bitmap) for gram, bitmap in bitmaps.items()}


@pytest.mark.parametrize("chunk_rows", [1, 3, 20_000])
def test_grams_of_awkward_texts(monkeypatch: pytest.MonkeyPatch, chunk_rows: int) -> None:
    monkeypatch.setattr(postings_sqlite, "CHUNK_ROWS", chunk_rows)
    rows: list[tuple[int, str | None]] = [
        (1, "北区の公園\u3000\u3000"),
        (2, ""),
        (3, None),
        (5, "AbC 50%引き"),
        (6, "İstanbul"),  # lower() makes İ two characters
        (7, "𠮷野家と🍣"),  # beyond the BMP
        (9, "水"),
        (10, "ＡＢ全角"),
        (2**31 + 5, "大きな_id"),
    ]
    assert _built(rows) == _expected(rows)


def test_more_distinct_characters_than_sixteen_bit_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postings_sqlite, "CHUNK_ROWS", 100_000)
    generator = random.Random(7)
    letters = [chr(c) for c in range(0x4E00, 0x4E00 + 20_000)] + [
        chr(c) for c in range(0x20000, 0x20000 + 50_000)
    ]
    rows: list[tuple[int, str | None]] = [
        (i + 1, "".join(letters[(i * 7 + j) % len(letters)] for j in range(8)))
        for i in range(10_000)
    ]
    rows += [(20_000 + i, "".join(generator.choices("abcXYZ公園", k=12))) for i in range(50)]
    assert _built(rows) == _expected(rows)


def test_an_id_beyond_32_bits_fails_the_build_with_a_reason() -> None:
    with pytest.raises(ValueError, match="32 bits"):
        _built([(1, "北区"), (2**32, "南区")])
