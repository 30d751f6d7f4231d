"""The demo catalog: codes, names, references, and the shapes of the generated files."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest

from tsunagu.catalog.local_codes import check_digit
from tsunagu.demo.content import (
    DemoCatalog,
    DemoDataset,
    DemoResource,
    demo_catalog,
    demo_password,
)
from tsunagu.demo.places import MUNICIPALITIES, PREF_CODE, lg_code

SLUG = re.compile(r"^[a-z0-9_-]{2,100}$")
FORMATS = {"CSV", "XLSX", "JSON", "GeoJSON", "PDF"}
LICENSES = {"cc-by-4.0", "pdl-1.0", "cc0-1.0"}
ROLES = {"admin", "editor", "member"}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TAG = re.compile(r"^[\w \-.・ー]{1,100}$")  # what CKAN accepts in a tag name

JAPAN = ((20.0, 46.0), (122.0, 154.0))
YAMAGUCHI = ((33.7, 34.8), (130.7, 132.5))


@pytest.fixture(scope="module")
def catalog() -> DemoCatalog:
    return demo_catalog()


def resources(catalog: DemoCatalog) -> Iterator[tuple[DemoDataset, DemoResource]]:
    for dataset in catalog.datasets:
        for resource in dataset.resources:
            yield dataset, resource


@pytest.fixture(scope="module")
def files(catalog: DemoCatalog) -> dict[str, bytes]:
    return {r.filename: r.content() for _d, r in resources(catalog)}


def decode_csv(data: bytes) -> tuple[str, list[list[str]]]:
    """(encoding, rows): UTF-8 with BOM, or Shift_JIS when UTF-8 does not decode."""
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, text = "utf-8-sig", data.decode("utf-8-sig")
    else:
        try:
            encoding, text = "utf-8", data.decode("utf-8")
        except UnicodeDecodeError:
            encoding, text = "cp932", data.decode("cp932")
    return encoding, list(csv.reader(io.StringIO(text)))


def table_rows(filename: str, data: bytes) -> list[list[Any]]:
    """All rows of a tabular file (CSV, or every sheet of an XLSX)."""
    if filename.endswith(".csv"):
        return decode_csv(data)[1]
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return [list(row) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)]


def data_row_count(rows: list[list[Any]]) -> int:
    """Rows with at least 3 filled cells, minus the header (title/unit/note rows have 1)."""
    filled = [r for r in rows if sum(1 for v in r if v not in (None, "")) >= 3]
    return len(filled) - 1


# --- codes -----------------------------------------------------------------------------------

REAL_CODES = {
    "35000": "350001",  # 山口県
    "35201": "352012",  # 下関市
    "35202": "352021",  # 宇部市
    "35203": "352039",  # 山口市
    "35204": "352047",  # 萩市
    "35206": "352063",  # 防府市
    "35207": "352071",  # 下松市
    "35208": "352080",  # 岩国市
    "35210": "352101",  # 光市
    "35211": "352110",  # 長門市
    "35212": "352128",  # 柳井市
    "35213": "352136",  # 美祢市
    "35215": "352152",  # 周南市
    "35216": "352161",  # 山陽小野田市
    "35502": "355020",  # 阿武町
    "13101": "131016",  # 千代田区
    "01100": "011002",  # 札幌市
}


@pytest.mark.parametrize(("code5", "code6"), sorted(REAL_CODES.items()))
def test_check_digit_matches_published_codes(code5: str, code6: str) -> None:
    assert lg_code(code5) == code6


def test_check_digit_rejects_malformed_codes() -> None:
    with pytest.raises(ValueError):
        lg_code("3520")


def test_every_organisation_code_passes_the_check_digit(catalog: DemoCatalog) -> None:
    for org in catalog.organizations:
        code = org.local_gov_code
        assert re.fullmatch(r"\d{6}", code), org.name
        assert code[5] == check_digit(code[:5]), org.name


# --- names and references ----------------------------------------------------------------------


def test_names_are_valid_unique_slugs(catalog: DemoCatalog) -> None:
    kinds = {
        "organizations": [o.name for o in catalog.organizations],
        "groups": [g.name for g in catalog.groups],
        "datasets": [d.name for d in catalog.datasets],
        "users": [u.name for u in catalog.users],
    }
    for kind, names in kinds.items():
        assert len(names) == len(set(names)), kind
        for name in names:
            assert SLUG.match(name), (kind, name)
    # CKAN keeps organisations and groups in one table, so their names must not clash.
    assert not set(kinds["organizations"]) & set(kinds["groups"])


def test_references_point_to_existing_objects(catalog: DemoCatalog) -> None:
    orgs = {o.name: o for o in catalog.organizations}
    groups = {g.name for g in catalog.groups}
    for org in catalog.organizations:
        assert org.parent is None or org.parent in orgs, org.name
    for dataset in catalog.datasets:
        assert dataset.organization in orgs, dataset.name
        assert set(dataset.groups) <= groups, dataset.name
    for user in catalog.users:
        for org_name, role in user.memberships:
            assert org_name in orgs and role in ROLES, user.name


def test_organisation_structure(catalog: DemoCatalog) -> None:
    kinds = Counter(o.kind for o in catalog.organizations)
    assert kinds["prefecture"] == 1
    assert 3 <= kinds["prefectural_department"] <= 4
    assert kinds["municipality"] >= 8
    prefecture = next(o for o in catalog.organizations if o.kind == "prefecture")
    assert prefecture.local_gov_code == PREF_CODE == "350001"
    for org in catalog.organizations:
        if org.kind == "prefectural_department":
            assert org.parent == prefecture.name
            assert org.local_gov_code == prefecture.local_gov_code
    municipal_codes = {o.local_gov_code for o in catalog.organizations if o.kind == "municipality"}
    assert municipal_codes == {m.code for m in MUNICIPALITIES}


def test_every_group_and_municipality_has_datasets(catalog: DemoCatalog) -> None:
    used_groups = {g for d in catalog.datasets for g in d.groups}
    assert used_groups == {g.name for g in catalog.groups}
    publishers = {d.organization for d in catalog.datasets}
    with_data = [
        o for o in catalog.organizations if o.kind == "municipality" and o.name in publishers
    ]
    assert len(with_data) >= 6


def test_dataset_metadata(catalog: DemoCatalog) -> None:
    assert len(catalog.datasets) >= 45
    assert sum(d.private for d in catalog.datasets) == 2
    for dataset in catalog.datasets:
        assert dataset.license_id in LICENSES, dataset.name
        assert dataset.tags and all(TAG.match(t) for t in dataset.tags), dataset.name
        assert dataset.spatial.startswith("山口県"), dataset.name
        assert dataset.frequency and dataset.author and "@" in dataset.maintainer_email
        lines = [line for line in dataset.notes.splitlines() if line.strip()]
        assert 2 <= len(lines) <= 5, dataset.name
        for day in (dataset.temporal_start, dataset.temporal_end):
            assert day is None or ISO_DATE.match(day), dataset.name
        assert dataset.resources, dataset.name


def test_users_and_demo_passwords(catalog: DemoCatalog, monkeypatch: pytest.MonkeyPatch) -> None:
    users = {u.name: u for u in catalog.users}
    assert [u.name for u in catalog.users if u.sysadmin] == ["admin"]
    orgs = {o.name: o for o in catalog.organizations}
    roles = {(org, role) for u in catalog.users for org, role in u.memberships}
    municipal = {org for org, _role in roles if orgs[org].kind == "municipality"}
    assert len(municipal) >= 2
    for org in municipal:
        assert {(org, "admin"), (org, "editor")} <= roles
    assert any(orgs[o].kind == "prefectural_department" and r == "editor" for o, r in roles)

    monkeypatch.delenv("TSUNAGU_DEMO_PASSWORD", raising=False)
    assert demo_password("admin") == "demo-admin"
    assert users["admin"].password in ("demo-admin", demo_password("admin"))
    monkeypatch.setenv("TSUNAGU_DEMO_PASSWORD", "from-env")
    assert demo_password("admin") == "from-env"
    assert all(u.password == "from-env" for u in demo_catalog().users)


# --- files -------------------------------------------------------------------------------------


def test_file_names_follow_the_standard_convention(catalog: DemoCatalog) -> None:
    orgs = {o.name: o for o in catalog.organizations}
    names = []
    for dataset, resource in resources(catalog):
        assert resource.format in FORMATS
        match = re.fullmatch(r"(\d{6})_[a-z0-9_]+\.(csv|xlsx|json|geojson|pdf)", resource.filename)
        assert match, resource.filename
        assert match.group(1) == orgs[dataset.organization].local_gov_code, resource.filename
        names.append(resource.filename)
    assert len(names) == len(set(names))


def test_generation_is_deterministic(catalog: DemoCatalog, files: dict[str, bytes]) -> None:
    time.sleep(1.1)  # let the clock move on, so a timestamp leaking into a file shows up
    again = {r.filename: r.content() for _d, r in resources(demo_catalog())}
    assert again == files


def test_encodings_vary(catalog: DemoCatalog, files: dict[str, bytes]) -> None:
    encodings = Counter()
    for _dataset, resource in resources(catalog):
        if resource.format != "CSV":
            continue
        data = files[resource.filename]
        encoding, _rows = decode_csv(data)
        encodings[encoding] += 1
        if encoding == "cp932":
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
    assert encodings["cp932"] >= 8
    assert encodings["utf-8-sig"] > encodings["cp932"]  # most files are UTF-8 with BOM
    assert encodings["utf-8"] == 0


def test_workbooks_load_and_vary(catalog: DemoCatalog, files: dict[str, bytes]) -> None:
    workbooks = [
        openpyxl.load_workbook(io.BytesIO(files[r.filename]))
        for _d, r in resources(catalog)
        if r.format == "XLSX"
    ]
    assert len(workbooks) >= 6
    assert any(len(wb.worksheets) >= 2 for wb in workbooks)
    assert any(ws.merged_cells.ranges for wb in workbooks for ws in wb.worksheets)
    notes = [
        wb for wb in workbooks
        if any(isinstance(c, str) and c.startswith("※出典") for ws in wb.worksheets
               for row in ws.iter_rows(values_only=True) for c in row)
    ]  # fmt: skip
    assert len(notes) >= 3


def test_tabular_files_have_10_to_300_rows(catalog: DemoCatalog, files: dict[str, bytes]) -> None:
    for _dataset, resource in resources(catalog):
        data = files[resource.filename]
        if resource.format in ("CSV", "XLSX"):
            count = data_row_count(table_rows(resource.filename, data))
        elif resource.format == "GeoJSON":
            count = len(json.loads(data)["features"])
        elif resource.format == "JSON":
            count = len(json.loads(data)["イベント"])
        else:
            continue
        assert 10 <= count <= 300, (resource.filename, count)


def test_messy_conventions_are_present(files: dict[str, bytes]) -> None:
    texts = []
    for name, data in files.items():
        if name.endswith(".csv"):
            texts.append("\n".join(",".join(r) for r in decode_csv(data)[1]))
        elif name.endswith(".xlsx"):
            texts.append("\n".join(",".join(str(c) for c in r) for r in table_rows(name, data)))
    text = "\n".join(texts)
    for pattern in (
        r"令和\d+年\d+月\d+日",
        r"平成31年4月30日",
        r"R\d+\.\d+\.\d+",
        r"[０-９]{2,}",
        r"△\d",
        r"－",
        r"\d,\d{3}",
        r"\d{4}-\d{2}-\d{2}",
    ):
        assert re.search(pattern, text), pattern


REQUIRED_COLUMNS = {
    "evacuation_space": ["全国地方公共団体コード", "ID", "名称", "名称_カナ", "名称_英字",
                         "所在地_連結表記", "緯度", "経度", "災害種別_洪水", "想定収容人数"],
    "aed_location": ["全国地方公共団体コード", "ID", "地方公共団体名", "名称", "名称_カナ",
                     "所在地_連結表記", "緯度", "経度", "設置位置", "電話番号", "利用可能曜日",
                     "開始時間", "終了時間"],
    "population": ["全国地方公共団体コード", "調査年月日", "地域名", "総人口", "男性", "女性",
                   "0-4歳の男性", "100歳以上の女性"],
    "tourism": ["全国地方公共団体コード", "ID", "名称", "所在地_連結表記", "緯度", "経度"],
    "event": ["全国地方公共団体コード", "ID", "イベント名", "開始日", "終了日"],
}  # fmt: skip


def test_standard_files_use_standard_columns(files: dict[str, bytes]) -> None:
    checked = 0
    for name, data in files.items():
        kind = re.sub(r"^\d{6}_|\.\w+$", "", name)
        if kind not in REQUIRED_COLUMNS or name.endswith((".json", ".geojson")):
            continue
        rows = table_rows(name, data)
        header = next(r for r in rows if "全国地方公共団体コード" in r)
        assert set(REQUIRED_COLUMNS[kind]) <= set(header), name
        checked += 1
    assert checked >= 20


def _inside(lat: float, lon: float, box: tuple[tuple[float, float], tuple[float, float]]) -> bool:
    (lat_min, lat_max), (lon_min, lon_max) = box
    return lat_min <= lat <= lat_max and lon_min <= lon <= lon_max


def test_coordinates_are_inside_yamaguchi(catalog: DemoCatalog, files: dict[str, bytes]) -> None:
    points: list[tuple[str, float, float]] = [
        (o.name, o.latitude, o.longitude) for o in catalog.organizations
    ]
    for name, data in files.items():
        if name.endswith((".csv", ".xlsx")):
            rows = table_rows(name, data)
            header = next((r for r in rows if "緯度" in r and "経度" in r), None)
            if header is None:
                continue
            lat_col, lon_col = header.index("緯度"), header.index("経度")
            body = rows[rows.index(header) + 1 :]
            points += [(name, float(r[lat_col]), float(r[lon_col])) for r in body if r[lat_col]]
        elif name.endswith(".geojson"):
            for feature in json.loads(data)["features"]:
                geometry = feature["geometry"]
                coords = (
                    [geometry["coordinates"]]
                    if geometry["type"] == "Point"
                    else geometry["coordinates"][0]
                )
                points += [(name, lat, lon) for lon, lat in coords]
    assert len(points) > 1000
    for where, lat, lon in points:
        assert _inside(lat, lon, JAPAN), where
        assert _inside(lat, lon, YAMAGUCHI), (where, lat, lon)


def test_pdfs_are_well_formed(catalog: DemoCatalog, files: dict[str, bytes]) -> None:
    pdfs = [files[r.filename] for _d, r in resources(catalog) if r.format == "PDF"]
    assert len(pdfs) >= 2
    for pdf in pdfs:
        assert pdf.startswith(b"%PDF-1.") and pdf.rstrip().endswith(b"%%EOF")
        xref_at = int(pdf.rsplit(b"startxref", 1)[1].split()[0])
        assert pdf[xref_at:].startswith(b"xref")
        table = pdf[xref_at:].split(b"trailer")[0].splitlines()[3:]
        for number, entry in enumerate(table, start=1):
            offset = int(entry.split()[0])
            assert pdf[offset:].startswith(f"{number} 0 obj".encode()), number
