"""The validation corpus: every file gives exactly the findings its manifest entry lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tsunagu.quality.areas import area_bbox
from tsunagu.quality.standards import get_standard
from tsunagu.quality.validate import RULES, ValidationOptions, validate_file

CORPUS = Path(__file__).parents[1] / "data" / "quality" / "validation"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
FILES = sorted(name for name in MANIFEST if not name.startswith("_"))
PUBLISHER = "132012"


def _validate(name: str):
    entry = MANIFEST[name]
    options = ValidationOptions(
        standard=get_standard(entry["standard"]) if entry.get("standard") else None,
        guess=entry.get("guess", False),
        local_gov_code=PUBLISHER,
        area=area_bbox(PUBLISHER),
    )
    return validate_file(CORPUS / name, None, options)


@pytest.mark.parametrize("name", FILES)
def test_corpus_file_gives_exactly_the_expected_findings(name: str) -> None:
    result = _validate(name)
    found = sorted((f.rule, f.row, f.column) for f in result.report.findings)
    expected = sorted(tuple(e) for e in MANIFEST[name]["expected"])
    assert found == expected
    assert sum(result.report.counts.values()) == len(expected)  # nothing beyond the list
    entry = MANIFEST[name]
    if "standard_id" in entry:
        assert (result.standard_id, result.guessed) == (entry["standard_id"], entry["guessed"])
    elif entry.get("standard"):
        assert (result.standard_id, result.guessed) == (entry["standard"], False)


def test_every_corpus_file_is_in_the_manifest() -> None:
    on_disk = {p.name for p in CORPUS.iterdir() if p.suffix not in (".py", ".json")}
    assert on_disk == set(FILES)
    assert len(on_disk) >= 30


def test_each_standard_has_a_conforming_and_a_broken_file() -> None:
    for number in ("01", "03", "04", "08", "11", "12"):
        names = [n for n in FILES if n.startswith(number)]
        assert any(not MANIFEST[n]["expected"] or n.endswith("ok.xlsx") for n in names), number
        assert any("broken" in n for n in names), number


def test_rules_fire_on_a_broken_file_and_never_on_a_conforming_one() -> None:
    fired = {rule for n in FILES for rule, _, _ in MANIFEST[n]["expected"]}
    unexercised = set(RULES) - fired
    # Covered by unit tests instead (they need options or files the corpus does not model).
    assert unexercised <= {"file.format_mismatch", "schema.missing_column"}
    for name in (n for n in FILES if "_ok." in n):
        rules = {f.rule for f in _validate(name).report.findings}
        assert rules <= {"file.not_csv"}, name


def test_messages_name_the_line_the_column_and_the_fix() -> None:
    result = _validate("12_event_broken.csv")
    wareki = next(f for f in result.report.findings if f.rule == "cells.wareki")
    assert wareki.message == "2 行目の「開始日」が和暦（令和6年4月1日）です。"
    assert wareki.fix == "西暦の 2024-04-01 の形で入力してください。"
    assert wareki.severity == "error"
    misnamed = next(
        f for f in _validate("03_evacuation_broken.csv").report.findings
        if f.rule == "schema.misnamed_column"
    )  # fmt: skip
    assert "「名称_カナ」" in misnamed.fix
