"""The personal-data detectors one by one: 個人番号 check digits, phones, e-mail domains, names."""

from __future__ import annotations

import random

import pytest

from tsunagu.quality.pii.emails import domain_kind, find_emails, mask_email
from tsunagu.quality.pii.mynumber import (
    check_digit,
    is_valid_my_number,
    looks_like_timestamp,
    mask_my_number,
    twelve_digit_runs,
)
from tsunagu.quality.pii.names import has_banchi, is_organisation, looks_like_person, mask_name
from tsunagu.quality.pii.phones import find_phones, mask_phone, phone_from_number
from tsunagu.quality.pii.text import fold


def ordinance_remainder(first_eleven: str) -> int:
    """総務省令第八十五号 第五条, literally: P(n) counted from the right, Q(n) by cases."""
    return sum(int(first_eleven[-n]) * (n + 1 if n <= 6 else n - 5) for n in range(1, 12)) % 11


def ordinance_check_digit(first_eleven: str) -> int:
    remainder = ordinance_remainder(first_eleven)
    return 0 if remainder <= 1 else 11 - remainder


# --- 個人番号 ---------------------------------------------------------------------------------


def test_worked_example() -> None:
    # 9·6 + 8·5 + 3·4 + 2·3 + 0·2 + 5·7 + 6·6 + 7·5 + 3·4 + 2·3 + 1·2 = 238; 238 mod 11 = 7
    assert check_digit("98320567321") == 4
    assert is_valid_my_number("983205673214")
    assert not is_valid_my_number("983205673210")


def test_remainders_zero_and_one_give_zero() -> None:
    assert check_digit("00000000000") == 0  # remainder 0
    one = next(f"{n:011d}" for n in range(1, 10_000) if ordinance_remainder(f"{n:011d}") == 1)
    assert check_digit(one) == 0


def test_weights_agree_with_the_ordinance() -> None:
    rng = random.Random(85)
    for _ in range(2000):
        eleven = "".join(rng.choice("0123456789") for _ in range(11))
        assert check_digit(eleven) == ordinance_check_digit(eleven)
        good = eleven + str(ordinance_check_digit(eleven))
        assert is_valid_my_number(good)
        wrong = eleven + str((int(good[-1]) + 1) % 10)
        assert not is_valid_my_number(wrong)


@pytest.mark.parametrize("bad", ["1234567890", "１２３４５６７８９０１", "1234567890a", ""])
def test_check_digit_needs_eleven_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="11 桁"):
        check_digit(bad)


@pytest.mark.parametrize(
    "text", ["98320567321", "9832056732144", "abc", "９８３２０５６７３２１４"]
)
def test_not_twelve_ascii_digits_is_not_valid(text: str) -> None:
    assert not is_valid_my_number(text)


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("983205673214", ["983205673214"]),
        ("9832 0567 3214", ["983205673214"]),
        ("9832-0567-3214", ["983205673214"]),
        ("番号：９８３２　０５６７　３２１４", ["983205673214"]),  # folded first
        ("9832-0567 3214", []),  # mixed separators: not written as one number
        ("4000020131016", []),  # 13-digit 法人番号
        ("+819012345678", []),  # a phone number in international form
        ("1.983205673214", []),  # decimals
    ],
)
def test_twelve_digit_runs(text: str, runs: list[str]) -> None:
    assert twelve_digit_runs(fold(text)) == runs


def test_timestamps_and_mask() -> None:
    assert looks_like_timestamp("202401011230")
    assert not looks_like_timestamp("983205673214")
    assert mask_my_number("983205673214") == "9832 **** 3214"


# --- phone numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "digits", "kind"),
    [
        ("090-1234-5678", "09012345678", "mobile"),
        ("09012345678", "09012345678", "mobile"),
        ("０８０－１２３４－５６７８", "08012345678", "mobile"),
        ("070ー1234ー5678", "07012345678", "mobile"),
        ("070−1234−5678", "07012345678", "mobile"),
        ("+81 90-1234-5678", "09012345678", "mobile"),
        ("+81(0)80 1234 5678", "08012345678", "mobile"),
        ("＋８１９０１２３４５６７８", "09012345678", "mobile"),
        ("TEL:03-1234-5678", "0312345678", "other"),
        ("(03)1234-5678", "0312345678", "other"),
        ("0138-57-3111", "0138573111", "other"),
        ("+81-3-1234-5678", "0312345678", "other"),
        ("0120-123-456", "0120123456", "other"),
        ("050-1234-5678", "05012345678", "other"),
    ],
)
def test_phone_forms(text: str, digits: str, kind: str) -> None:
    phones = find_phones(fold(text))
    assert [(p.digits, p.kind) for p in phones] == [(digits, kind)]


@pytest.mark.parametrize(
    "text",
    [
        "2024-04-01",
        "〒100-0013",
        "35.6895123456",  # a coordinate with many decimals
        "139.0901234567",
        "4000020131016",  # 法人番号
        "0901234567",  # a mobile number one digit short
        "090123456789",  # one digit long
        "03-1234-567",
        "令和6年4月1日から令和7年3月31日まで",
        "983205673214",
    ],
)
def test_not_phone_numbers(text: str) -> None:
    assert find_phones(fold(text)) == []


def test_two_numbers_in_one_cell() -> None:
    phones = find_phones(fold("TEL 03-1234-5678 携帯 090-8765-4321"))
    assert [(p.digits, p.kind) for p in phones] == [
        ("0312345678", "other"),
        ("09087654321", "mobile"),
    ]


def test_phone_stored_as_number_and_masks() -> None:
    phone = phone_from_number(9012345678)
    assert phone is not None and phone.digits == "09012345678" and phone.kind == "mobile"
    assert phone_from_number(12345) is None
    assert mask_phone("09012345678") == "090-****-5678"
    assert mask_phone("0312345678") == "03-****-5678"
    assert mask_phone("0112345678") == "011-***-5678"
    assert mask_phone("0120123456") == "0120-**-3456"


# --- e-mail ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "kind"),
    [
        ("gmail.com", "personal"),
        ("yahoo.co.jp", "personal"),
        ("icloud.com", "personal"),
        ("docomo.ne.jp", "personal"),
        ("ezweb.ne.jp", "personal"),
        ("i.softbank.jp", "personal"),
        ("softbank.ne.jp", "personal"),
        ("abc.ocn.ne.jp", "personal"),  # an ISP's customer subdomain
        ("city.chiyoda.lg.jp", "public"),
        ("mhlw.go.jp", "public"),
        ("school.ed.jp", "public"),
        ("example-clinic.jp", "other"),
        ("notgmail.com", "other"),
    ],
)
def test_domain_kinds(domain: str, kind: str) -> None:
    assert domain_kind(domain) == kind


def test_find_and_mask_emails() -> None:
    found = find_emails(fold("連絡先：ｙａｍａｄａ＠ｇｍａｉｌ．ｃｏｍ または info@example.jp"))
    assert [(e.address, e.kind) for e in found] == [
        ("yamada@gmail.com", "personal"),
        ("info@example.jp", "other"),
    ]
    assert mask_email("yamada@gmail.com") == "ya***@gmail.com"
    assert mask_email("abc@gmail.com") == "a***@gmail.com"


# --- names, organisations, addresses -------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["山田 太郎", "山田　太郎", "山田太郎", "やまだ たろう", "ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", "髙橋 一",
     "佐藤 花子 様", "代表取締役 山田 太郎", "Taro Yamada"],
)  # fmt: skip
def test_person_names(value: str) -> None:
    assert looks_like_person(value)


@pytest.mark.parametrize(
    "value",
    ["市民センター", "中央公園", "函館市民会館", "株式会社つなぐ", "(株)つなぐ", "㈱つなぐ",
     "医療法人社団つなぐ会", "社会福祉法人ひだまり福祉会", "千代田区", "不明", "同上", "なし",
     "03-1234-5678", "さくら保育園", "山田商店", ""],
)  # fmt: skip
def test_not_person_names(value: str) -> None:
    assert not looks_like_person(value)


def test_strict_names_need_a_known_family_name_and_a_space() -> None:
    assert looks_like_person("佐藤 一郎", strict=True)
    assert not looks_like_person("佐藤一郎", strict=True)
    assert not looks_like_person("中央 緑地", strict=True)
    assert not looks_like_person("桜並木", strict=True)


@pytest.mark.parametrize(
    ("value", "organisation"),
    [("株式会社つなぐフーズ", True), ("有限会社もりや", True), ("ｶﾌﾞｼｷｶﾞｲｼｬ ﾂﾅｸﾞ", True),
     ("仙台市", True), ("中村", False), ("木村 拓也", False), ("山田 太郎", False)],
)  # fmt: skip
def test_organisations(value: str, organisation: bool) -> None:
    assert is_organisation(value) is organisation


@pytest.mark.parametrize(
    ("value", "banchi"),
    [("東京都千代田区霞が関1-2-3", True), ("北1条西2丁目3番地", True), ("基町10番地", True),
     ("本町五丁目6番7号", True), ("札幌市北区北8条西5丁目", False), ("千代田区", False)],
)  # fmt: skip
def test_banchi(value: str, banchi: bool) -> None:
    assert has_banchi(value) is banchi


def test_mask_name() -> None:
    assert mask_name("代表取締役 山田 太郎") == "山**"
