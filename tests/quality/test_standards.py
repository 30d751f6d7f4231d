"""The standard data set schemas, their loading, and header recognition (guess_standard)."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path

import pytest

from tsunagu.demo import (
    files_bousai,
    files_documents,
    files_facilities,
    files_population,
    files_tourism,
    files_welfare,
)
from tsunagu.quality import standards
from tsunagu.quality.standards import (
    UnknownStandard,
    get_standard,
    guess_standard,
    list_standards,
    map_columns,
    match_column,
)

SCHEMAS = Path(standards.__file__).with_name("schemas")
HAZARDS = [
    "災害種別_洪水",
    "災害種別_崖崩れ、土石流及び地滑り",
    "災害種別_高潮",
    "災害種別_地震",
    "災害種別_津波",
    "災害種別_大規模な火事",
    "災害種別_内水氾濫",
    "災害種別_火山現象",
]


# --- the schema files ------------------------------------------------------------------------


def test_fifteen_sets_of_book_a_are_shipped_in_number_order() -> None:
    numbers = [s.number for s in list_standards()]
    assert numbers == [f"{n:02d}" for n in range(1, 16)]


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.json")), ids=lambda p: p.name)
def test_schema_file_is_a_valid_table_schema_with_its_source(path: Path) -> None:
    frictionless = pytest.importorskip("frictionless")
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    report = frictionless.Schema.validate_descriptor(descriptor)
    assert report.valid, [e.message for e in report.errors]
    assert path.name == f"{descriptor['number']}_{descriptor['english_name']}.json"
    assert descriptor["name"] == descriptor["english_name"]
    assert descriptor["missingValues"] == [""]
    source = descriptor["source"]
    for key in ("title", "version", "date", "url", "verification"):
        assert source[key], key
    assert re.match(r"^\d{4}-\d{2}-\d{2}$", source["date"])
    names = [f["name"] for f in descriptor["fields"]]
    assert len(names) == len(set(names))
    for f in descriptor["fields"]:
        assert f["title"] and f["description"] and f["type"]


def test_verification_notes_are_honest_about_how_far_they_go() -> None:
    for standard in list_standards():
        note = standard.verification
        assert any(word in note for word in ("照合", "推定")), standard.id
    assert "推定" in get_standard("06").verification  # no column source was found for 06


def test_evacuation_space_follows_the_39_column_definition() -> None:
    standard = get_standard("evacuation_space")
    names = standard.field_names
    assert len(names) == 39
    assert names[:5] == ["全国地方公共団体コード", "ID", "名称", "名称_カナ", "名称_英字"]
    assert names[24:32] == HAZARDS
    assert names[-4:] == ["URL", "画像", "画像_ライセンス", "備考"]
    hazard = standard.field("災害種別_洪水")
    assert hazard is not None and hazard.enum == ["1"] and not hazard.required
    address = standard.field("所在地_連結表記")
    assert address is not None and address.required
    code = standard.field("全国地方公共団体コード")
    assert code is not None and code.type == "string" and code.pattern == "^[0-9]{6}$"
    assert standard.field("想定収容人数").type == "integer"  # type: ignore[union-attr]
    assert standard.field("緯度").type == "number"  # type: ignore[union-attr]
    assert standard.field("存在しない列") is None


def test_public_toilet_and_food_business_column_counts() -> None:
    toilet = get_standard("13")
    assert len(toilet.fields) == 39
    assert "名称_英語" in toilet.field_names and "名称_英字" not in toilet.field_names
    assert toilet.required_fields == ["名称", "所在地_連結表記", "設置位置"]
    assert len(get_standard("15").fields) == 34


def test_phone_and_postal_code_are_strings_with_patterns() -> None:
    facility = get_standard("public_facility")
    for name, pattern in [("電話番号", "^[0-9-]+$"), ("郵便番号", "^[0-9]{3}-?[0-9]{4}$")]:
        f = facility.field(name)
        assert f is not None and f.type == "string" and f.pattern == pattern


def test_frictionless_validates_a_file_against_a_schema(tmp_path: Path) -> None:
    frictionless = pytest.importorskip("frictionless")
    standard = get_standard("03")
    good = dict.fromkeys(standard.field_names, "")
    good.update(
        {"全国地方公共団体コード": "352012", "名称": "長府小学校", "所在地_連結表記": "山口県下関市長府1-1",
         "緯度": "34.01", "経度": "130.98", "災害種別_洪水": "1", "想定収容人数": "300"}
    )  # fmt: skip
    bad = dict(good, 全国地方公共団体コード="35201", 災害種別_地震="○", 想定収容人数="三百")
    path = tmp_path / "352012_evacuation_space.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=standard.field_names)
        writer.writeheader()
        writer.writerows([good, bad])
    schema = frictionless.Schema.from_descriptor(standard.schema)
    report = frictionless.Resource(path=path.name, basepath=str(tmp_path), schema=schema).validate()
    assert not report.valid
    errors = report.flatten(["rowNumber", "fieldName", "type"])
    assert {e[0] for e in errors} == {3}  # only the bad row
    assert {e[1] for e in errors} == {"全国地方公共団体コード", "災害種別_地震", "想定収容人数"}


def test_time_fields_accept_hh_mm(tmp_path: Path) -> None:
    frictionless = pytest.importorskip("frictionless")
    standard = get_standard("public_toilet")
    row = dict.fromkeys(standard.field_names, "")
    row.update({"名称": "駅前", "所在地_連結表記": "山口県下関市竹崎町4", "設置位置": "改札横",
                "利用開始時間": "09:00", "利用終了時間": "18:30"})  # fmt: skip
    path = tmp_path / "t.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=standard.field_names)
        writer.writeheader()
        writer.writerow(row)
    schema = frictionless.Schema.from_descriptor(standard.schema)
    assert (
        frictionless.Resource(path=path.name, basepath=str(tmp_path), schema=schema)
        .validate()
        .valid
    )


# --- lookup ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["evacuation_space", "03", "3", " 03 ", "指定緊急避難場所"])
def test_get_standard_by_id_number_or_title(key: str) -> None:
    assert get_standard(key).id == "evacuation_space"


def test_get_standard_accepts_former_english_names() -> None:
    assert get_standard("aed_location").id == "aed"
    assert get_standard("child_care_facility").id == "preschool"
    assert get_standard("medical_institution").id == "hospital"


@pytest.mark.parametrize("key", ["99", "evacuation", "", "公民館"])
def test_unknown_standard_explains_in_japanese(key: str) -> None:
    with pytest.raises(UnknownStandard) as caught:
        get_standard(key)
    message = str(caught.value)
    assert f"「{key}」" in message and "見つかりません" in message
    assert "03 evacuation_space" in message  # how to find valid ones
    assert isinstance(caught.value, LookupError)


def test_list_standards_is_loaded_once() -> None:
    assert list_standards()[0] is list_standards()[0]


# --- column matching -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("所在地_連結表記", "所在地_連結表記"),
        ("所在地＿連結表記", "所在地_連結表記"),
        ("所在地 連結表記", "所在地_連結表記"),
        ("名称（カナ）", "名称_カナ"),
        ("名称(カナ)", "名称_カナ"),
        ("名称_ｶﾅ", "名称_カナ"),
        ("建物名等（方書）", "建物名等(方書)"),
        ("ＵＲＬ", "URL"),
        ("url", "URL"),
        ("\ufeff全国地方公共団体コード", "全国地方公共団体コード"),
        ("名称（必須）", "名称"),
        ("所在地_連結標記", "所在地_連結表記"),
        ("住所", "所在地_連結表記"),
        ("都道府県コード又は市区町村コード", "全国地方公共団体コード"),
        ("名称_英語", "名称_英字"),
        ("想定収容人数（人）", "想定収容人数"),
        ("連絡先備考", "連絡先備考（その他、SNSなど）"),
    ],
)
def test_match_column_variants(column: str, expected: str) -> None:
    assert match_column(column, get_standard("evacuation_space")) == expected


@pytest.mark.parametrize("column", ["lat", "latitude", "Ｙ座標", "施設名", "", "災害種別"])
def test_match_column_does_not_guess(column: str) -> None:
    assert match_column(column, get_standard("evacuation_space")) is None


def test_english_twin_prefers_the_exact_name_of_the_set() -> None:
    toilet = get_standard("public_toilet")
    assert match_column("名称_英語", toilet) == "名称_英語"
    assert match_column("名称_英字", toilet) == "名称_英語"


def test_trailing_unit_is_ignored_only_when_the_bare_name_is_a_field() -> None:
    hydrant = get_standard("fire_hydrant")
    assert match_column("口径（mm）", hydrant) == "口径"
    assert match_column("容量（立方メートル）", hydrant) is None


def test_mapping_never_maps_two_columns_to_one_field() -> None:
    standard = get_standard("evacuation_space")
    mapping, extra = map_columns(["名称", "住所", "所在地_連結表記", "名称", "緯度", ""], standard)
    assert mapping == {"名称": "名称", "住所": "所在地_連結表記", "緯度": "緯度"}
    assert extra == ["所在地_連結表記", "名称"]
    assert len(set(mapping.values())) == len(mapping)


# --- guess_standard --------------------------------------------------------------------------


@pytest.mark.parametrize("standard", list_standards(), ids=lambda s: s.id)
def test_exact_header_is_recognised(standard: standards.Standard) -> None:
    guess = guess_standard(standard.field_names)
    assert guess is not None and guess.standard.id == standard.id
    assert guess.score == 1.0
    assert guess.mapping == {n: n for n in standard.field_names}
    assert guess.missing_required == [] and guess.extra == []


def test_header_written_by_hand_is_recognised() -> None:
    header = [
        "全国地方公共団体コード", "ＩＤ", "地方公共団体名", "名称", "名称（カナ）", "名称 英字",
        "所在地（連結表記）", "緯度", "経度", "電話番号", "災害種別＿洪水", "災害種別_地震",
        "災害種別_津波", "指定避難所との重複", "想定収容人数", "備考",
    ]  # fmt: skip
    guess = guess_standard(header)
    assert guess is not None and guess.standard.id == "evacuation_space"
    assert guess.mapping["名称（カナ）"] == "名称_カナ"
    assert guess.mapping["災害種別＿洪水"] == "災害種別_洪水"
    assert guess.missing_required == []


def test_missing_required_columns_are_reported() -> None:
    standard = get_standard("public_toilet")
    header = [n for n in standard.field_names if n not in ("設置位置", "所在地_連結表記")]
    guess = guess_standard(header)
    assert guess is not None and guess.standard.id == "public_toilet"
    assert guess.missing_required == ["所在地_連結表記", "設置位置"]


def test_public_facility_and_tourism_are_told_apart() -> None:
    facility = get_standard("public_facility").field_names
    tourism = get_standard("tourism").field_names
    shared = [n for n in facility if n in tourism]
    assert len(shared) >= 20  # the near miss is real
    only_tourism = ["料金（基本）", "料金（詳細）", "アクセス方法", "駐車場情報"]
    only_facility = ["名称_通称", "法人番号", "団体名", "内線番号"]
    guess = guess_standard(shared + only_tourism)
    assert guess is not None and guess.standard.id == "tourism"
    guess = guess_standard(shared + only_facility)
    assert guess is not None and guess.standard.id == "public_facility"


def test_aed_and_public_toilet_share_a_head_but_are_told_apart() -> None:
    head = ["全国地方公共団体コード", "ID", "地方公共団体名", "名称", "名称_カナ", "所在地_連結表記",
            "緯度", "経度", "設置位置"]  # fmt: skip
    aed = guess_standard([*head, "小児対応設備の有無", "利用可能曜日", "開始時間", "終了時間"])
    assert aed is not None and aed.standard.id == "aed"
    toilet = guess_standard(
        [*head, "男性トイレ総数", "女性トイレ総数", "オストメイト設置トイレ有無"]
    )
    assert toilet is not None and toilet.standard.id == "public_toilet"


@pytest.mark.parametrize(
    "columns",
    [
        [],
        [""],
        ["年度", "件数", "金額"],
        ["名称", "住所", "電話番号", "備考"],  # generic: fits many sets equally
        ["A", "B", "C", "D", "E"],
        ["年月", "世帯数", "人口総数", "男", "女", "出生", "死亡", "転入", "転出"],
        # a few standard columns drowned in a table of other things
        ["名称", "緯度", "経度", "口径", *[f"列{i}" for i in range(20)]],
    ],
)
def test_tables_that_follow_no_standard_give_none(columns: list[str]) -> None:
    assert guess_standard(columns) is None


def test_guess_standard_is_cheap() -> None:
    header = get_standard("public_toilet").field_names
    guess_standard(header)
    started = time.perf_counter()
    for _ in range(200):
        guess_standard(header)
    assert time.perf_counter() - started < 2.0


# --- the demo catalog's standard-shaped files -------------------------------------------------


def _header(data: bytes, encoding: str = "utf-8-sig") -> list[str]:
    return next(csv.reader(io.StringIO(data.decode(encoding))))


def _demo_headers() -> dict[str, list[str]]:
    city = "shimonoseki-city"
    return {
        "evacuation_space": _header(files_bousai.evacuation_space(city)),
        "evacuation_space_sjis_messy": _header(
            files_bousai.evacuation_space(city, encoding="cp932", messy=True), "cp932"
        ),
        "aed": _header(files_bousai.aed_location(city)),
        "fire_hydrant": _header(files_bousai.fire_hydrant("hofu-city")),
        "public_facility": _header(files_facilities.public_facility(city)),
        "public_toilet": _header(files_facilities.public_toilet(city)),
        "public_wireless_lan": _header(files_facilities.public_wireless_lan(city)),
        "population": _header(files_population.population(city)),
        "tourism": _header(files_tourism.tourism(city)),
        "event": _header(files_tourism.event(city)),
        "cultural_property": _header(files_tourism.cultural_property("hagi-city")),
        "preschool": _header(files_welfare.child_care_facility(city)),
        "hospital": _header(files_welfare.medical_institution(city)),
        "care_service": _header(files_welfare.care_service("shunan-city")),
        "opendata_list": _header(files_documents.opendata_list("352012", "下関市", ())),
    }


@pytest.mark.parametrize("case", sorted(_demo_headers()))
def test_demo_standard_files_are_recognised(case: str) -> None:
    header = _demo_headers()[case]
    guess = guess_standard(header)
    assert guess is not None, header
    assert guess.standard.id == case.removesuffix("_sjis_messy")


def test_demo_files_that_follow_no_standard_are_not_claimed() -> None:
    assert guess_standard(_header(files_facilities.bus_stop("shunan-city"))) is None
    trend = files_population.population_trend("hofu-city")
    assert guess_standard(_header(trend, "cp932")) is None
