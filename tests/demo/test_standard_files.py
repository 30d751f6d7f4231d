"""The demo's standard-dataset files against the shipped standard schemas.

Clean files carry exactly the schema's columns in the schema's order, with values that satisfy
its types, patterns and allowed values. The deliberately messy variants keep their own layouts
(older column names, extra columns, 和暦) but must still be recognised as their standard.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import openpyxl
import pytest

from tsunagu.catalog.local_codes import is_valid_local_gov_code
from tsunagu.demo import (
    files_bousai,
    files_documents,
    files_facilities,
    files_population,
    files_tourism,
    files_welfare,
)
from tsunagu.demo.common import corporate_number, project
from tsunagu.demo.content import DemoCatalog, demo_catalog
from tsunagu.quality.areas import area_bbox
from tsunagu.quality.standards import Standard, get_standard, guess_standard, list_standards

Generator = Callable[[], bytes]

# One clean variant of every generator, for two cities where it is cheap to vary.
CLEAN: dict[str, list[Generator]] = {
    "public_facility": [
        lambda: files_facilities.public_facility("shimonoseki-city"),
        lambda: files_facilities.public_facility("yamaguchi-city"),
    ],
    "cultural_property": [
        lambda: files_tourism.cultural_property("hagi-city"),
        lambda: files_tourism.cultural_property("yanai-city"),
        files_tourism.prefectural_cultural_property,
    ],
    "evacuation_space": [
        lambda: files_bousai.evacuation_space("shimonoseki-city"),
        lambda: files_bousai.evacuation_space("mine-city", encoding="cp932"),
    ],
    "population": [
        lambda: files_population.population("yamaguchi-city"),
        lambda: files_population.population_xlsx("shimonoseki-city"),
    ],
    "preschool": [
        lambda: files_welfare.child_care_facility("yamaguchi-city"),
        lambda: files_welfare.child_care_facility("shunan-city"),
    ],
    "opendata_list": [
        lambda: files_documents.opendata_list(
            "352012", "下関市", [("避難場所", "概要", "防災", "CSV", "随時", "cc-by-4.0", "x", "")]
        )
    ],
    "public_wireless_lan": [
        lambda: files_facilities.public_wireless_lan("iwakuni-city"),
        lambda: files_facilities.public_wireless_lan("sanyo-onoda-city"),
    ],
    "aed": [
        lambda: files_bousai.aed_location("hofu-city"),
        lambda: files_bousai.aed_location("yanai-city"),
    ],
    "care_service": [
        lambda: files_welfare.care_service("shunan-city"),
        lambda: files_welfare.care_service_xlsx("yamaguchi-city"),
    ],
    "hospital": [
        lambda: files_welfare.medical_institution("sanyo-onoda-city"),
        lambda: files_welfare.medical_institution_xlsx("iwakuni-city"),
    ],
    "tourism": [
        lambda: files_tourism.tourism("hagi-city"),
        lambda: files_tourism.tourism("nagato-city"),
    ],
    "event": [
        lambda: files_tourism.event("shimonoseki-city"),
        files_tourism.prefectural_event,
    ],
    "public_toilet": [
        lambda: files_facilities.public_toilet("shimonoseki-city"),
        lambda: files_facilities.public_toilet("nagato-city"),
    ],
    "fire_hydrant": [
        lambda: files_bousai.fire_hydrant("shunan-city"),
        lambda: files_bousai.fire_hydrant("hofu-city"),
    ],
}

# The messy variants the catalog publishes, and the standard each must still be taken for.
MESSY: dict[str, Generator] = {
    "evacuation_space": lambda: files_bousai.evacuation_space(
        "ube-city", encoding="cp932", messy=True
    ),
    "aed": lambda: files_bousai.aed_location("ube-city", encoding="cp932", messy=True),
    "fire_hydrant": lambda: files_bousai.fire_hydrant("hofu-city", messy=True),
    "public_toilet": lambda: files_facilities.public_toilet(
        "hagi-city", encoding="cp932", zenkaku_counts=True
    ),
    "public_wireless_lan": lambda: files_facilities.public_wireless_lan(
        "ube-city", encoding="cp932", messy=True
    ),
    "cultural_property": lambda: files_tourism.cultural_property(
        "hagi-city", encoding="cp932", messy=True
    ),
    "cultural_property_xlsx": lambda: files_tourism.cultural_property_xlsx("yamaguchi-city"),
    "preschool": lambda: files_welfare.child_care_facility(
        "shimonoseki-city", encoding="cp932", messy=True
    ),
    "care_service": lambda: files_welfare.care_service("shunan-city", encoding="cp932", messy=True),
    "hospital": lambda: files_welfare.medical_institution("ube-city", encoding="cp932", messy=True),
    "event": lambda: files_tourism.event("yanai-city", encoding="cp932", messy=True),
    "population": lambda: files_population.population("ube-city", encoding="cp932", messy=True),
}

CODE_FIELDS = ("全国地方公共団体コード", "所在地_全国地方公共団体コード", "市区町村コード")
TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
FORMATS = {"uri": re.compile(r"https?://\S+"), "email": re.compile(r"[^@\s]+@[^@\s]+\.\w+")}


def read_table(data: bytes) -> tuple[list[Any], list[list[Any]]]:
    """(header, data rows) of a CSV (UTF-8 with BOM or Shift_JIS) or the first sheet of a
    workbook; the header is the first row naming 全国地方公共団体コード (title rows skipped)."""
    if data.startswith(b"PK"):
        sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    else:
        text = (
            data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else data.decode("cp932")
        )
        rows = list(csv.reader(io.StringIO(text)))
    at = next(i for i, row in enumerate(rows) if "全国地方公共団体コード" in row)
    body = [r for r in rows[at + 1 :] if sum(v not in (None, "") for v in r) >= 3]
    return rows[at], body


def clean_cases() -> list[tuple[str, int]]:
    return [(sid, n) for sid, generators in CLEAN.items() for n in range(len(generators))]


def cell_problem(value: Any, field_type: str) -> str | None:
    """Why a non-empty cell does not fit a Table Schema type, or None."""
    text = str(value)
    try:
        if field_type == "integer":
            if isinstance(value, float) or not re.fullmatch(r"-?[0-9]+", text):
                return "not an integer"
        elif field_type == "number":
            float(text)
            if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text):
                return "not a plain number"
        elif field_type == "date":
            date.fromisoformat(text)
        elif field_type == "time" and not TIME.fullmatch(text):
            return "not hh:mm"
    except ValueError:
        return f"not a {field_type}"
    return None


# --- the standards cover every demo standard ----------------------------------------------


def test_every_standard_with_demo_data_has_a_clean_generator() -> None:
    published = {s.id for s in list_standards()} - {"food_business_all"}  # only planned
    assert set(CLEAN) == published


# --- clean files: exactly the schema -----------------------------------------------------------


@pytest.mark.parametrize(("standard_id", "number"), clean_cases())
def test_clean_file_header_is_the_schema(standard_id: str, number: int) -> None:
    header, rows = read_table(CLEAN[standard_id][number]())
    assert header == get_standard(standard_id).field_names
    assert rows and all(len(r) == len(header) for r in rows)


@pytest.mark.parametrize(("standard_id", "number"), clean_cases())
def test_clean_file_values_fit_the_schema(standard_id: str, number: int) -> None:
    standard = get_standard(standard_id)
    _header, rows = read_table(CLEAN[standard_id][number]())
    formats = {f["name"]: f.get("format") for f in standard.schema["fields"]}
    problems: list[str] = []
    for line, row in enumerate(rows, start=2):
        for field, value in zip(standard.fields, row, strict=True):
            where = f"{line}:{field.name}={value!r}"
            if value in (None, ""):
                if field.required:
                    problems.append(f"{where} required")
                continue
            text = str(value)
            if (why := cell_problem(value, field.type)) is not None:
                problems.append(f"{where} {why}")
            if field.pattern and not re.fullmatch(field.pattern, text):
                problems.append(f"{where} pattern {field.pattern}")
            if (shape := FORMATS.get(formats[field.name] or "")) and not shape.fullmatch(text):
                problems.append(f"{where} not a {formats[field.name]}")
            if field.enum is not None and text not in field.enum:
                problems.append(f"{where} not in {field.enum}")
            if field.name in CODE_FIELDS and not is_valid_local_gov_code(text):
                problems.append(f"{where} check digit")
            if field.name == "法人番号" and text != corporate_number(text[-6:]):
                problems.append(f"{where} 法人番号 check digit")
    assert not problems, problems[:10]


@pytest.mark.parametrize(("standard_id", "number"), clean_cases())
def test_clean_file_points_lie_in_their_municipality(standard_id: str, number: int) -> None:
    header, rows = read_table(CLEAN[standard_id][number]())
    if "緯度" not in header:
        pytest.skip("no coordinates in this set")
    code_column = header.index(
        "所在地_全国地方公共団体コード"
        if "所在地_全国地方公共団体コード" in header
        else "全国地方公共団体コード"
    )
    lat, lon = header.index("緯度"), header.index("経度")
    outside = []
    for row in rows:
        box = area_bbox(str(row[code_column]))
        assert box is not None, row[code_column]
        if not box.contains(float(row[lon]), float(row[lat])):
            outside.append((row[code_column], row[lat], row[lon]))
    assert not outside


# --- messy variants: still recognised, still messy -------------------------------------------


@pytest.mark.parametrize("case", sorted(MESSY))
def test_messy_variant_is_recognised_as_its_standard(case: str) -> None:
    header, _rows = read_table(MESSY[case]())
    guess = guess_standard([str(c) for c in header])
    assert guess is not None, header
    assert guess.standard.id == case.removesuffix("_xlsx")
    assert not guess.missing_required


def test_messy_variants_keep_their_own_layouts() -> None:
    """They show the quality report's advice: extra columns, old names, order, 和暦."""
    differing = {
        case
        for case, generator in MESSY.items()
        if read_table(generator())[0] != get_standard(case.removesuffix("_xlsx")).field_names
    }
    # Population and hospital are messy in their values only (－, "1,234", 和暦).
    assert differing == set(MESSY) - {"population", "hospital"}
    extras = {
        case
        for case, generator in MESSY.items()
        if guess_standard([str(c) for c in read_table(generator())[0]]).extra  # type: ignore[union-attr]
    }
    assert {"aed", "fire_hydrant", "public_wireless_lan", "cultural_property", "care_service"} <= (
        extras
    )


# --- the catalog -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog() -> DemoCatalog:
    return demo_catalog()


def _declared(extras: dict[str, str]) -> Standard | None:
    title = extras.get("conforms_to", "").removeprefix("自治体標準オープンデータセット ")
    return next((s for s in list_standards() if s.title == title), None)


def test_catalog_standard_files_are_recognised_and_mostly_exact(catalog: DemoCatalog) -> None:
    exact: dict[str, int] = {}
    checked = 0
    for dataset in catalog.datasets:
        standard = _declared(dataset.extras)
        if standard is None:
            continue
        for resource in dataset.resources:
            if resource.format not in ("CSV", "XLSX"):
                continue
            header, _rows = read_table(resource.content())
            guess = guess_standard([str(c) for c in header])
            assert guess is not None and guess.standard.id == standard.id, resource.filename
            checked += 1
            if header == standard.field_names:
                exact[standard.id] = exact.get(standard.id, 0) + 1
    assert checked >= 50
    # Every standard the catalog publishes has at least one file in exactly its shape.
    published = {s.id for d in catalog.datasets if (s := _declared(d.extras)) is not None}
    assert set(exact) == published
    assert sum(exact.values()) >= 0.7 * checked


# --- helpers -----------------------------------------------------------------------------------


def test_corporate_number_of_a_local_government() -> None:
    # 東京都 (130001) is 8000020130001 on the 法人番号公表サイト.
    assert corporate_number("130001") == "8000020130001"
    # 下関市: 4 = 9 - (3+5+2+0+1+2 + 2*(2+5+0+2+0+0)) mod 9, digits counted from the right.
    assert corporate_number("352012") == "4000020352012"


def test_project_puts_values_in_header_order() -> None:
    assert project(["a", "b", "c"], {"c": 3, "a": 1}) == [1, "", 3]
    assert project(["a"], {"a": 1, "b": 2}, allowed=["a", "b"]) == [1]


def test_project_rejects_a_column_missing_from_the_header() -> None:
    with pytest.raises(ValueError, match="名称_英語"):
        project(["名称", "名称_英字"], {"名称": "x", "名称_英語": "y"})
