"""The PostgreSQL postings' merge (datastore/postings.py): chunks of rows spilled to a file and
laid out a band of grams at a time give every gram exactly the rows holding it, in _id order,
whatever the band size: the bands' edges fall inside chunks, between them, or a single gram
holds more rows than a band."""

from __future__ import annotations

import random
import tempfile
from collections import defaultdict

import numpy as np
import pytest

from tsunagu.datastore import postings


def _texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = "萩市公園の水ab薬局避難所下関 0%"
    # Some empty rows, some rows of one character, and a common character in most rows.
    return [
        "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 3, 8, 20])))
        + ("の" if rng.random() < 0.8 else "")
        for _ in range(count)
    ]


def _expected(ids: list[int], texts: list[str]) -> dict[str, list[int]]:
    held: dict[str, set[int]] = defaultdict(set)
    for row_id, text in zip(ids, texts, strict=True):
        for i, char in enumerate(text):
            held[char].add(row_id)
            if i + 1 < len(text):
                held[text[i : i + 2]].add(row_id)
    return {gram: sorted(rows) for gram, rows in held.items()}


def _merged(ids: list[int], texts: list[str], chunk_rows: int) -> dict[str, list[int]]:
    with tempfile.TemporaryFile() as spill:
        chunks = [
            postings._spilled(
                postings._pairs(ids[i : i + chunk_rows], texts[i : i + chunk_rows]), spill
            )
            for i in range(0, len(ids), chunk_rows)
        ]
        merged = {gram: rows.tolist() for gram, rows in postings._merged(chunks, spill)}
    return merged


@pytest.mark.parametrize("band_pairs", [1, 7, 100, 2_000, 10**9])
@pytest.mark.parametrize("chunk_rows", [1, 37, 5_000])
def test_every_gram_gets_exactly_its_rows_in_id_order(
    monkeypatch: pytest.MonkeyPatch, band_pairs: int, chunk_rows: int
) -> None:
    monkeypatch.setattr(postings, "BAND_PAIRS", band_pairs)
    texts = _texts(600, seed=band_pairs + chunk_rows)
    ids = sorted(random.Random(1).sample(range(1, 10_000), len(texts)))
    merged = _merged(ids, texts, chunk_rows)
    assert merged == _expected(ids, texts)
    # Grams come once each, in the order of their codes (characters, then pairs), as COPY
    # writes them.
    codes = [_code(gram) for gram in merged]
    assert codes == sorted(set(codes))
    assert all(np.all(np.diff(rows) > 0) for rows in merged.values())


def _code(gram: str) -> int:
    if len(gram) == 1:
        return ord(gram)
    return (ord(gram[0]) + 1) * postings._BASE + ord(gram[1])


def test_no_rows_give_no_grams() -> None:
    with tempfile.TemporaryFile() as spill:
        assert list(postings._merged([], spill)) == []
    assert _merged([1, 2], ["", ""], 1) == {}
