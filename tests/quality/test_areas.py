"""Bounding boxes: Japan, the 47 prefectures, 山口県's 19 municipalities, and the fallback."""

from __future__ import annotations

from tsunagu.catalog.local_codes import check_digit, is_valid_local_gov_code, prefecture_code
from tsunagu.quality import areas
from tsunagu.quality.areas import JAPAN, BBox, area_bbox

YAMAGUCHI = {
    "352012": "下関市", "352021": "宇部市", "352039": "山口市", "352047": "萩市", "352063": "防府市",
    "352071": "下松市", "352080": "岩国市", "352101": "光市", "352110": "長門市", "352128": "柳井市",
    "352136": "美祢市", "352152": "周南市", "352161": "山陽小野田市", "353051": "周防大島町",
    "353213": "和木町", "353418": "上関町", "353434": "田布施町", "353442": "平生町",
    "355020": "阿武町",
}  # fmt: skip


def _rows() -> dict[str, areas.Area]:
    return areas._areas()


def test_japan_box_includes_the_outlying_islands() -> None:
    for lon, lat in [
        (136.08, 20.43),  # 沖ノ鳥島
        (153.98, 24.28),  # 南鳥島
        (122.93, 24.45),  # 与那国島
        (148.75, 45.50),  # 択捉島
        (139.69, 35.69),  # 東京
    ]:
        assert JAPAN.contains(lon, lat)
    assert not JAPAN.contains(0.0, 0.0)
    assert not JAPAN.contains(-157.86, 21.31)  # Honolulu
    assert not JAPAN.contains(35.0, 139.0)  # latitude and longitude swapped


def test_bbox_contains_is_inclusive() -> None:
    box = BBox(130.0, 33.0, 131.0, 34.0)
    assert box.contains(130.0, 33.0) and box.contains(131.0, 34.0)
    assert not box.contains(131.01, 33.5)


def test_all_47_prefectures_have_a_box() -> None:
    for number in range(1, 48):
        code = prefecture_code(f"{number:02d}0000")
        assert area_bbox(code) is not None, code
        assert _rows()[code].bbox.contains(*_centre(_rows()[code].bbox))


def test_yamaguchi_municipalities_have_their_own_rows() -> None:
    for code, name in YAMAGUCHI.items():
        row = areas.area(code)
        assert row is not None, code
        assert row.name == name


def test_every_row_is_a_valid_code_and_a_sane_box_inside_its_prefecture() -> None:
    rows = _rows()
    assert len(rows) > 1900  # every municipality (and ward) of the source, not only 山口県
    for code, row in rows.items():
        assert is_valid_local_gov_code(code), code
        box = row.bbox
        assert box.min_lon < box.max_lon and box.min_lat < box.max_lat, code
        assert JAPAN.contains(box.min_lon, box.min_lat) and JAPAN.contains(box.max_lon, box.max_lat)
        prefecture = rows[prefecture_code(code)].bbox
        assert prefecture.min_lon <= box.min_lon and box.max_lon <= prefecture.max_lon, code
        assert prefecture.min_lat <= box.min_lat and box.max_lat <= prefecture.max_lat, code


def test_known_places_fall_in_the_right_municipality() -> None:
    shimonoseki_hall = (130.9408, 33.9578)
    yamaguchi_hall = (131.4714, 34.1861)
    assert area_bbox("352012").contains(*shimonoseki_hall)  # type: ignore[union-attr]
    assert area_bbox("352039").contains(*yamaguchi_hall)  # type: ignore[union-attr]
    assert not area_bbox("352012").contains(*yamaguchi_hall)  # type: ignore[union-attr]
    assert area_bbox("350001").contains(*shimonoseki_hall)  # type: ignore[union-attr]
    tokyo = area_bbox("130001")
    assert tokyo is not None and tokyo.contains(136.08, 20.43) and tokyo.contains(153.98, 24.28)


def test_designated_city_has_a_row_of_its_own() -> None:
    yokohama = areas.area("141003")
    assert yokohama is not None and yokohama.name == "横浜市"


def test_municipality_without_a_row_falls_back_to_its_prefecture() -> None:
    unknown = "35299" + check_digit("35299")
    assert areas.area(unknown) is None
    assert area_bbox(unknown) == area_bbox("350001")


def test_bad_codes_give_none() -> None:
    assert area_bbox("352011") is None  # wrong check digit
    assert area_bbox("35201") is None  # five digits
    assert area_bbox("abcdef") is None
    assert area_bbox("") is None
    no_such_prefecture = "48000" + check_digit("48000")
    assert area_bbox(no_such_prefecture) is None


def test_code_with_surrounding_spaces_is_accepted() -> None:
    assert area_bbox(" 352012 ") == area_bbox("352012")


def test_data_file_names_its_source() -> None:
    first = areas._DATA.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("#") and "国土数値情報" in first and "N03" in first


def _centre(box: BBox) -> tuple[float, float]:
    return (box.min_lon + box.max_lon) / 2, (box.min_lat + box.max_lat) / 2
