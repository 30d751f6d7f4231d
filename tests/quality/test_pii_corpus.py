"""The corpus in tests/data/quality/pii (written by its generate.py): exact findings per file.

Files that must block name every rule, row and column; facility and standard files must pass
(at most warnings), with and without the standard given.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tsunagu.quality.pii import PiiResult, scan_file
from tsunagu.quality.standards import get_standard

CORPUS = Path(__file__).resolve().parents[1] / "data" / "quality" / "pii"

Expected = set[tuple[str, int, str]]


def found(result: PiiResult) -> Expected:
    return {(f.rule, f.row or 0, f.column or "") for f in result.report.findings}


BLOCKING: dict[str, Expected] = {
    "my_number.csv": {
        ("pii.my_number", 2, "個人番号"),
        ("pii.my_number", 3, "個人番号"),
        ("pii.my_number_suspect", 4, "個人番号"),  # wrong check digit: a warning only
    },
    "mobile_phone_sjis.csv": {
        ("pii.mobile_phone", 2, "問い合わせ先"),
        ("pii.mobile_phone", 4, "問い合わせ先"),  # row 3's 03 number in a row without a person
    },
    "personal_phone.csv": {
        ("pii.person_column", 2, "氏名"),
        ("pii.personal_phone", 2, "自宅電話"),
        ("pii.person_column", 3, "氏名"),
        ("pii.personal_phone", 3, "自宅電話"),
    },
    "email_freemail.csv": {
        ("pii.email", 2, "連絡用メール"),
        ("pii.email", 3, "連絡用メール"),
    },
    "birth_date_with_name.csv": {
        ("pii.person_column", 2, "氏名"),
        ("pii.birth_date_with_name", 2, "生年月日"),
        ("pii.person_column", 3, "氏名"),
        ("pii.birth_date_with_name", 3, "生年月日"),
    },
    "names_kana_address.csv": {
        ("pii.person_column", 2, "申請者カナ"),
        ("pii.person_column", 2, "現住所"),
        ("pii.person_column", 3, "申請者カナ"),
        ("pii.person_column", 4, "現住所"),
    },
    "names_by_values.csv": {("pii.person_column", n, "記入欄") for n in range(2, 6)},
    "honseki.csv": {("pii.person_column", 2, "本籍")},
    "disguised.csv": {
        ("pii.mobile_phone", 2, "内容"),  # full-width digits and hyphens
        ("pii.mobile_phone", 3, "内容"),  # +81 90-…
        ("pii.mobile_phone", 4, "内容"),  # +81(0)80 …
        ("pii.mobile_phone", 5, "内容"),  # ー for hyphens
        ("pii.my_number", 6, "内容"),  # full-width, ideographic spaces
        ("pii.my_number", 7, "内容"),  # ‐ hyphens
        ("pii.email", 8, "内容"),  # full-width address
        ("pii.email", 9, "内容"),  # inside a sentence
    },
    "disguised_sjis.csv": {
        ("pii.person_column", 2, "氏名"),  # 山田太郎 without a space
        ("pii.mobile_phone", 2, "電話"),  # 11 digits, no hyphens
        ("pii.email", 2, "携帯メール"),
        ("pii.person_column", 3, "氏名"),  # half-width katakana
        ("pii.personal_phone", 3, "電話"),  # (03) beside a name
    },
    "food_business_sole_trader.csv": {("pii.person_column", 3, "代表者氏名")},
    "second_sheet.xlsx": {
        ("pii.person_column", 2, "氏名"),
        ("pii.mobile_phone", 2, "携帯"),
        ("pii.birth_date_with_name", 2, "生年月日"),
        ("pii.person_column", 3, "氏名"),
        ("pii.mobile_phone", 3, "携帯"),
        ("pii.birth_date_with_name", 3, "生年月日"),
    },
}

# file → (standard id or None, the only findings allowed: warnings)
PASSING: dict[str, tuple[str | None, Expected]] = {
    "evacuation_space.csv": ("evacuation_space", set()),
    "aed.csv": ("aed", set()),
    "medical_institutions.csv": ("hospital", set()),
    "care_services.csv": ("care_service", set()),
    # A facility's own mobile number and free-mail address: published on purpose by small
    # facilities, so a warning to check, never a block.
    "childcare.csv": (
        "preschool",
        {
            ("pii.facility_mobile_phone", 3, "電話番号"),
            ("pii.facility_personal_email", 3, "メールアドレス"),
        },
    ),
    # 法人 rows: 代表者 names of companies and the premises' numbers are business data.
    "food_business.csv": (
        "food_business_all",
        {("pii.facility_mobile_phone", 4, "営業施設電話番号")},
    ),
    "id_columns.csv": (None, set()),  # 12-digit IDs failing the check, timestamps, park names
}


def test_corpus_is_large_enough() -> None:
    files = [p for p in CORPUS.iterdir() if p.suffix in (".csv", ".xlsx")]
    assert len(files) >= 15
    assert set(BLOCKING) | set(PASSING) == {p.name for p in files}


@pytest.mark.parametrize("name", sorted(BLOCKING))
def test_blocking_files(name: str) -> None:
    result = scan_file(CORPUS / name, None)
    assert result.scanned
    assert found(result) == BLOCKING[name]
    assert result.blocked


@pytest.mark.parametrize("name", sorted(PASSING))
@pytest.mark.parametrize("with_standard", [True, False])
def test_passing_files(name: str, with_standard: bool) -> None:
    standard_id, warnings = PASSING[name]
    standard = get_standard(standard_id) if with_standard and standard_id else None
    result = scan_file(CORPUS / name, None, standard=standard)
    assert result.scanned and result.rows > 0
    assert found(result) == warnings
    assert not result.blocked
    assert all(f.severity == "warning" for f in result.report.findings)


def test_sole_trader_blocks_with_the_standard_too() -> None:
    standard = get_standard("food_business_all")
    result = scan_file(CORPUS / "food_business_sole_trader.csv", "CSV", standard=standard)
    assert found(result) == {("pii.person_column", 3, "代表者氏名")}


def test_shift_jis_is_read() -> None:
    raw = (CORPUS / "mobile_phone_sjis.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert scan_file(CORPUS / "mobile_phone_sjis.csv", "CSV").rows == 3


def test_second_sheet_is_named_and_first_sheet_passes() -> None:
    result = scan_file(CORPUS / "second_sheet.xlsx", "XLSX")
    assert result.rows == 4  # two facilities, two people
    assert all("シート「利用者名簿」" in f.message for f in result.report.findings)


def test_a_declared_sheet_does_not_hide_the_others() -> None:
    result = scan_file(CORPUS / "second_sheet.xlsx", "XLSX", sheet="施設一覧")
    assert found(result) == BLOCKING["second_sheet.xlsx"]


# The made-up personal values of the corpus: none may appear in a report.
_SECRETS = re.compile(
    r"[0-9]{3,4}-[0-9]{4}-[0-9]{4}|[0-9]{4} [0-9]{4} [0-9]{4}|[0-9]{12}|"
    r"yamada|hanako|taro|山田|田中|佐藤|ヤマダ|スズキ|1975/03|1990-01-02|基町10"
)


@pytest.mark.parametrize("name", sorted(BLOCKING))
def test_reports_do_not_leak_the_data(name: str) -> None:
    result = scan_file(CORPUS / name, None)
    for finding in result.report.findings:
        for text in (finding.value or "", finding.message, finding.fix):
            assert _SECRETS.search(text) is None, (finding.rule, text)
