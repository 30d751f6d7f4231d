"""Harvesting an オープンデータ一覧 file (standard A-06) of several municipalities over real HTTP
(harvest/harvesters/opendata_list.py): the file is served by a static file server on 127.0.0.1
as Shift_JIS CSV, UTF-8 CSV with BOM and XLSX, with a title row above the table, notes below it
and headers written the many ways municipalities write them; the harvesting Tsunagu runs on
SQLite and PostgreSQL. Re-harvests see a changed, an added and a removed row; bad rows are
errors on those rows; a prefecture's list puts each municipality's rows in its organisation
when a sysadmin says so; the staff pages work for this kind of source."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import itertools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import ckanapi
import openpyxl
import pytest

from support.harvest import extras_of, harvest, harvesting_server
from support.live_server import LiveServer
from support.portal import Visitor
from support.waiting import wait_until

PREF = "list-pref"
_serial = itertools.count(1)
# Headers as municipalities write them: full-width letters, former names, words the standard
# (全国地方公共団体コード, ID, データセット名, ファイル形式 …) does not use.
LENIENT_HEADER = [
    "団体コード",
    "ＩＤ",
    "地方公共団体名",
    "データ名称",
    "概要",
    "キーワード",
    "データ形式",
    "ライセンス",
    "ＵＲＬ",
    "更新頻度",
    "公開日",
]
Row = list[Any]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A static file server on 127.0.0.1: (its folder, its URL)."""
    folder = tmp_path_factory.mktemp("list-files")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    (folder / "aed.csv").write_bytes(
        "名称,緯度,経度\r\n下関市役所,33.9578,130.9414\r\n唐戸市場,33.9587,130.9446\r\n".encode(
            "cp932"
        )
    )
    yield folder, base
    server.shutdown()


@pytest.fixture(scope="module")
def local(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # Linked files on 127.0.0.1 may be ingested too (the datastore's own switch).
    live = harvesting_server(
        backend, tmp_path_factory.mktemp(f"list-{backend}"), ingest_allow_private_urls=True
    )
    live.act(
        "organization_create",
        {"name": PREF, "title": "山口県", "kind": "prefecture", "local_gov_code": "350001"},
    )
    for name, title, code in (
        ("list-shimonoseki", "下関市", "352012"),
        ("list-ube", "宇部市", "352021"),
    ):
        live.act(
            "organization_create",
            {
                "name": name,
                "title": title,
                "kind": "municipality",
                "local_gov_code": code,
                "parent": PREF,
            },
        )
    live.make_user("list-pref-admin")
    live.act(
        "organization_member_create", {"id": PREF, "username": "list-pref-admin", "role": "admin"}
    )
    yield live
    live.stop()


@pytest.fixture(scope="module")
def admin(local: LiveServer) -> ckanapi.RemoteCKAN:
    return local.ckan(local.make_user("list-root", sysadmin=True))


# -- files --------------------------------------------------------------------------------------


def rows_of_several_municipalities(base: str) -> list[Row]:
    return [
        ["352012", "1", "下関市", "ＡＥＤ設置箇所一覧", "市内のAED", "AED、医療；防災", "CSV",
         "CC BY 4.0", f"{base}/aed.csv", "毎月", "令和6年4月1日"],
        # One dataset on two rows: its CSV and its PDF.
        ["352012", "2", "下関市", "指定緊急避難場所一覧", "災害時の避難場所", "防災", "CSV",
         "CC BY", f"{base}/hinan.csv", "年1回", "2024/4/1"],
        ["352012", "2", "下関市", "指定緊急避難場所一覧", "", "", "PDF", "CC BY",
         f"{base}/hinan.pdf", "", ""],
        # The same ID in another municipality is another dataset.
        ["352021", "1", "宇部市", "公衆無線LAN", "", "Wi-Fi，観光", "CSV・XLSX",
         "政府標準利用規約（第2.0版）", "https://www.city.ube.example.jp/wifi/", "随時", ""],
        # A code without its check digit; a frequency no code fits.
        ["35203", "7", "山口市", "人口統計", "住民基本台帳による人口", "人口", "XLSX", "PDL",
         "https://www.city.yamaguchi.example.jp/jinko.xlsx", "3年に1回", "R6.4.1"],
    ]  # fmt: skip


def list_csv(rows: list[Row], *, encoding: str = "cp932", header: Row | None = None) -> bytes:
    """An オープンデータ一覧 as municipalities save it from Excel: a title row and a date row above
    the table, a note below."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["山口県内市町 オープンデータ一覧"])
    writer.writerow(["令和6年4月1日現在"])
    writer.writerow(header or LENIENT_HEADER)
    writer.writerows(rows)
    writer.writerow(["※ この一覧は毎月更新します。"])
    return out.getvalue().encode(encoding)


def list_xlsx(rows: list[Row]) -> bytes:
    """The same list as an Excel workbook: a cover sheet with a small table of its own first,
    then the list with a merged title, and numbers and dates as Excel keeps them."""
    book = openpyxl.Workbook()
    cover = book.active
    cover.title = "表紙"
    for line in (["項目", "内容"], ["作成", "山口県 情報政策課"], ["更新", "毎月"]):
        cover.append(line)
    sheet = book.create_sheet("オープンデータ一覧")
    sheet.append(["山口県内市町 オープンデータ一覧"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(LENIENT_HEADER))
    sheet.append([])
    sheet.append(LENIENT_HEADER)
    for row in rows:
        cells = list(row)
        cells[0] = int(cells[0])  # the code typed as a number
        cells[1] = int(cells[1])
        cells[10] = {"令和6年4月1日": dt.date(2024, 4, 1), "2024/4/1": dt.date(2024, 4, 1)}.get(
            cells[10], cells[10]
        )
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def publish(folder: Path, name: str, content: bytes) -> None:
    (folder / name).write_bytes(content)


def list_source(admin: ckanapi.RemoteCKAN, url: str, owner: str = PREF, **config: Any) -> str:
    name = f"list-src-{next(_serial)}"
    admin.action.harvest_source_create(
        name=name,
        title="山口県内市町オープンデータ一覧",
        url=url,
        source_type="opendata_list",
        owner_org=owner,
        config={"withdraw_after_days": 0, **config},
    )
    return name


def datasets_of(admin: ckanapi.RemoteCKAN, source: str) -> dict[str, dict[str, Any]]:
    """The source's datasets here (private ones and every organisation's), by title."""
    source_id = admin.action.harvest_source_show(id=source)["id"]
    found = admin.action.package_search(q="*:*", rows=1000, include_private=True)["results"]
    return {p["title"]: p for p in found if extras_of(p).get("harvest_source_id") == source_id}


def by_file(admin: ckanapi.RemoteCKAN, source: str) -> dict[str, dict[str, Any]]:
    """The source's datasets here by the file name of their (first) URL."""
    source_id = admin.action.harvest_source_show(id=source)["id"]
    found = admin.action.package_search(q="*:*", rows=1000, include_private=True)["results"]
    return {
        p["resources"][0]["url"].rsplit("/", 1)[-1]: p
        for p in found
        if extras_of(p).get("harvest_source_id") == source_id
    }


def summary(package: dict[str, Any]) -> dict[str, Any]:
    extras = extras_of(package)
    return {
        "notes": package["notes"],
        "tags": sorted(t["name"] for t in package["tags"]),
        "license_id": package["license_id"],
        "harvest_license": extras.get("harvest_license"),
        "frequency": package.get("frequency"),
        "harvest_frequency": extras.get("harvest_frequency"),
        "spatial_codes": package.get("spatial_codes"),
        "identifier": extras.get("identifier"),
        "issued": extras.get("issued"),
        "url": package["url"],
        "files": [(r["name"], r["url"], r["format"]) for r in package["resources"]],
    }


def expected(base: str) -> dict[str, dict[str, Any]]:
    return {
        # Titles and other text are kept as written (ＡＥＤ: full-width letters).
        "ＡＥＤ設置箇所一覧": {
            "notes": "市内のAED",
            "tags": ["AED", "医療", "防災"],
            "license_id": "cc-by-4.0",
            "harvest_license": None,
            "frequency": "monthly",
            "harvest_frequency": None,
            "spatial_codes": ["352012"],
            "identifier": "1",
            "issued": "2024-04-01",
            "url": "",
            "files": [("ＡＥＤ設置箇所一覧", f"{base}/aed.csv", "CSV")],
        },
        "指定緊急避難場所一覧": {
            "notes": "災害時の避難場所",
            "tags": ["防災"],
            "license_id": "cc-by-4.0",
            "harvest_license": None,
            "frequency": "annual",
            "harvest_frequency": None,
            "spatial_codes": ["352012"],
            "identifier": "2",
            "issued": "2024-04-01",
            "url": "",
            "files": [
                ("指定緊急避難場所一覧（CSV）", f"{base}/hinan.csv", "CSV"),
                ("指定緊急避難場所一覧（PDF）", f"{base}/hinan.pdf", "PDF"),
            ],
        },
        "公衆無線LAN": {
            "notes": "",
            "tags": ["Wi-Fi", "観光"],
            "license_id": "",
            "harvest_license": "政府標準利用規約（第2.0版）",
            "frequency": "as_needed",
            "harvest_frequency": None,
            "spatial_codes": ["352021"],
            "identifier": "1",
            "issued": None,
            # A page about the data, not a file: also the dataset's own URL.
            "url": "https://www.city.ube.example.jp/wifi/",
            "files": [("公衆無線LAN", "https://www.city.ube.example.jp/wifi/", "")],
        },
        "人口統計": {
            "notes": "住民基本台帳による人口",
            "tags": ["人口"],
            "license_id": "pdl-1.0",
            "harvest_license": None,
            "frequency": "",
            "harvest_frequency": "3年に1回",
            "spatial_codes": ["352039"],
            "identifier": "7",
            "issued": "2024-04-01",
            "url": "",
            "files": [("人口統計", "https://www.city.yamaguchi.example.jp/jinko.xlsx", "XLSX")],
        },
    }


# -- reading ------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["cp932.csv", "utf8-bom.csv", "xlsx"])
def test_a_list_of_several_municipalities_is_harvested_from_csv_and_xlsx(
    files: tuple[Path, str], admin: ckanapi.RemoteCKAN, variant: str
) -> None:
    folder, base = files
    rows = rows_of_several_municipalities(base)
    content = {
        "cp932.csv": lambda: list_csv(rows),
        "utf8-bom.csv": lambda: list_csv(rows, encoding="utf-8-sig"),
        "xlsx": lambda: list_xlsx(rows),
    }[variant]()
    file_name = f"several-{variant.replace('.', '-')}.{variant.rsplit('.', 1)[-1]}"
    publish(folder, file_name, content)
    source = list_source(admin, f"{base}/{file_name}")

    job = harvest(admin, source)
    assert job["job_status"] == "complete", job
    assert job["counts"] == {"added": 4, "updated": 0, "unchanged": 0, "withdrawn": 0, "errored": 0}
    found = datasets_of(admin, source)
    assert {title: summary(p) for title, p in found.items()} == expected(base)
    aed = found["ＡＥＤ設置箇所一覧"]
    assert aed["organization"]["name"] == PREF  # the source's organisation: no mapping asked
    extras = extras_of(aed)
    assert extras["harvest_original_url"] == f"{base}/aed.csv"
    assert extras["harvest_source_url"] == f"{base}/{file_name}"
    assert aed["name"].startswith(PREF) and aed["private"] is False

    again = harvest(admin, source)
    assert again["counts"]["unchanged"] == 4 and again["counts"]["added"] == 0


def test_a_linked_csv_of_a_harvested_row_is_ingested_into_the_datastore(
    files: tuple[Path, str], admin: ckanapi.RemoteCKAN
) -> None:
    folder, base = files
    publish(folder, "ingest.csv", list_csv(rows_of_several_municipalities(base)[:1]))
    source = list_source(admin, f"{base}/ingest.csv")
    assert harvest(admin, source)["counts"]["added"] == 1
    [resource] = datasets_of(admin, source)["ＡＥＤ設置箇所一覧"]["resources"]
    wait_until(
        lambda: admin.action.resource_show(id=resource["id"]),
        "the linked CSV to be in the datastore",
        until=lambda r: r["datastore_active"],
    )
    records = admin.action.datastore_search(resource_id=resource["id"])["records"]
    assert [r["名称"] for r in records] == ["下関市役所", "唐戸市場"]


def test_a_reharvest_sees_a_changed_an_added_and_a_removed_row(
    files: tuple[Path, str], admin: ckanapi.RemoteCKAN
) -> None:
    folder, base = files
    rows = rows_of_several_municipalities(base)
    publish(folder, "changes.csv", list_csv(rows))
    source = list_source(admin, f"{base}/changes.csv", withdraw_after_days=7)
    assert harvest(admin, source)["counts"]["added"] == 4
    before = datasets_of(admin, source)
    hinan_files = {r["url"]: r["id"] for r in before["指定緊急避難場所一覧"]["resources"]}

    changed = [list(r) for r in rows if r[3] != "人口統計"]  # 山口市's row removed
    changed[1][3] = changed[2][3] = "指定緊急避難場所一覧（令和6年度）"  # renamed, same ID
    changed.append(
        ["352021", "2", "宇部市", "AED設置箇所一覧", "", "AED", "CSV", "CC BY 4.0",
         f"{base}/ube-aed.csv", "毎月", ""]
    )  # fmt: skip
    publish(folder, "changes.csv", list_csv(changed))
    job = harvest(admin, source)
    assert job["job_status"] == "complete"
    assert job["counts"] == {"added": 1, "updated": 1, "unchanged": 2, "withdrawn": 0, "errored": 0}
    after = datasets_of(admin, source)
    renamed = after["指定緊急避難場所一覧（令和6年度）"]
    assert renamed["id"] == before["指定緊急避難場所一覧"]["id"]  # the identity is code + ID
    assert renamed["name"] == before["指定緊急避難場所一覧"]["name"]
    # The files kept their ids (and so their datastore tables).
    assert {r["url"]: r["id"] for r in renamed["resources"]} == hinan_files
    assert after["AED設置箇所一覧"]["private"] is False and after["ＡＥＤ設置箇所一覧"]
    # Within the grace period the removed row's dataset stays published.
    assert after["人口統計"]["private"] is False

    admin.action.harvest_source_patch(id=source, config={"withdraw_after_days": 0})
    job = harvest(admin, source)
    assert job["counts"]["withdrawn"] == 1 and job["counts"]["unchanged"] == 4
    gone = datasets_of(admin, source)["人口統計"]
    assert gone["private"] is True and gone["state"] == "active"  # withdrawn, not deleted

    publish(folder, "changes.csv", list_csv([*changed, rows[4]]))
    back = harvest(admin, source)
    assert back["counts"]["updated"] == 1
    assert datasets_of(admin, source)["人口統計"]["private"] is False


def test_rows_with_the_same_id_and_no_id_keep_their_identity(
    files: tuple[Path, str], admin: ckanapi.RemoteCKAN
) -> None:
    folder, base = files
    rows = [
        ["352012", "", "下関市", "観光施設一覧", "", "", "CSV", "", f"{base}/kanko.csv", "", ""],
        ["352012", "", "下関市", "公園一覧", "", "", "CSV", "", f"{base}/koen.csv", "", ""],
    ]
    publish(folder, "noid.csv", list_csv(rows))
    source = list_source(admin, f"{base}/noid.csv")
    assert harvest(admin, source)["counts"]["added"] == 2
    first = datasets_of(admin, source)
    # Reordered and retitled: a row without an ID is known by its URL, never by its title.
    rows = [rows[1], [*rows[0][:3], "観光施設の一覧", *rows[0][4:]]]
    publish(folder, "noid.csv", list_csv(rows))
    job = harvest(admin, source)
    assert job["counts"] == {"added": 0, "updated": 1, "unchanged": 1, "withdrawn": 0, "errored": 0}
    assert datasets_of(admin, source)["観光施設の一覧"]["id"] == first["観光施設一覧"]["id"]


# -- bad input ----------------------------------------------------------------------------------


def test_bad_rows_are_errors_on_those_rows_and_the_rest_is_harvested(
    files: tuple[Path, str], admin: ckanapi.RemoteCKAN
) -> None:
    folder, base = files
    good = rows_of_several_municipalities(base)[0]
    rows = [
        good,
        ["352012", "10", "下関市", "", "題名のない行", "", "CSV", "", f"{base}/x.csv", "", ""],
        ["352012", "11", "下関市", "URL の壊れた行", "", "", "CSV", "", "htp//example", "", ""],
        ["352013", "12", "下関市", "コードの誤った行", "", "", "CSV", "", f"{base}/y.csv", "", ""],
        ["352012", "13", "下関市", "公開準備中の行", "", "", "CSV", "", "", "", ""],
    ]
    publish(folder, "bad-rows.csv", list_csv(rows))
    source = list_source(admin, f"{base}/bad-rows.csv")
    job = harvest(admin, source)
    assert job["job_status"] == "complete"
    assert (job["counts"]["added"], job["counts"]["errored"]) == (1, 4)
    errors = {e["key"]: e for e in job["errors"]}
    assert set(errors) == {"352012:10", "352012:11", "352013:12", "352012:13"}
    assert all(e["stage"] == "import" for e in errors.values())
    assert errors["352012:10"]["message"] == "5 行目: データセット名がありません (Missing title)"
    assert "6 行目: URL「htp//example」が正しくありません" in errors["352012:11"]["message"]
    assert errors["352012:11"]["title"] == "URL の壊れた行"
    assert (
        "7 行目: 全国地方公共団体コード「352013」が正しくありません"
        in errors["352013:12"]["message"]
    )
    assert "8 行目: URL がありません" in errors["352012:13"]["message"]
    assert list(datasets_of(admin, source)) == ["ＡＥＤ設置箇所一覧"]


def test_a_file_without_a_url_column_fails_the_job_naming_what_it_found(
    files: tuple[Path, str], admin: ckanapi.RemoteCKAN
) -> None:
    folder, base = files
    rows = rows_of_several_municipalities(base)
    publish(folder, "columns.csv", list_csv(rows))
    source = list_source(admin, f"{base}/columns.csv")
    assert harvest(admin, source)["counts"]["added"] == 4

    header = [*LENIENT_HEADER[:8], "備考", *LENIENT_HEADER[9:]]  # the URL column became 備考
    publish(folder, "columns.csv", list_csv(rows, header=header))
    job = harvest(admin, source)
    assert job["job_status"] == "error"
    assert "列 「URL」 が見つかりません" in job["message"]
    assert "「データ名称」" in job["message"] and "「備考」" in job["message"]
    assert f"{base}/columns.csv" in job["message"]
    assert job["counts"]["withdrawn"] == 0
    assert all(not p["private"] for p in datasets_of(admin, source).values())

    header = [h if h != "データ名称" else "件名" for h in LENIENT_HEADER]
    publish(folder, "columns.csv", list_csv(rows, header=header))
    job = harvest(admin, source)
    assert (
        job["job_status"] == "error" and "列 「データセット名」 が見つかりません" in job["message"]
    )


def test_an_html_page_or_a_missing_file_fails_the_job_and_withdraws_nothing(
    files: tuple[Path, str], admin: ckanapi.RemoteCKAN
) -> None:
    folder, base = files
    publish(folder, "page.csv", list_csv(rows_of_several_municipalities(base)))
    source = list_source(admin, f"{base}/page.csv")
    assert harvest(admin, source)["counts"]["added"] == 4
    publish(folder, "page.csv", "<!DOCTYPE html><html><body>メンテナンス中</body></html>".encode())
    job = harvest(admin, source)
    assert job["job_status"] == "error" and "HTML" in job["message"]
    (folder / "page.csv").unlink()
    job = harvest(admin, source)
    assert job["job_status"] == "error" and "HTTP 404" in job["message"]
    assert job["counts"]["withdrawn"] == 0
    assert all(not p["private"] for p in datasets_of(admin, source).values())


def test_unknown_config_is_refused(files: tuple[Path, str], admin: ckanapi.RemoteCKAN) -> None:
    _folder, base = files
    with pytest.raises(ckanapi.ValidationError) as refused:
        list_source(admin, f"{base}/config.csv", organizations_filter_include=["x"])
    assert "config.organizations_filter_include" in refused.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as refused:
        list_source(admin, f"{base}/config.csv", organizations_by_code="yes")
    assert "config.organizations_by_code" in refused.value.error_dict


# -- several organisations ----------------------------------------------------------------------


def test_a_prefectures_list_puts_each_municipalitys_rows_in_its_organisation(
    files: tuple[Path, str], local: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    folder, base = files
    rows = [
        [
            "352012",
            "1",
            "下関市",
            "AED設置箇所一覧",
            "",
            "",
            "CSV",
            "",
            f"{base}/s-aed.csv",
            "",
            "",
        ],
        [
            "352021",
            "1",
            "宇部市",
            "AED設置箇所一覧",
            "",
            "",
            "CSV",
            "",
            f"{base}/u-aed.csv",
            "",
            "",
        ],
        ["350001", "1", "山口県", "県営住宅一覧", "", "", "CSV", "", f"{base}/p.csv", "", ""],
        # 萩市 has no organisation here (yet): its row stays with the source.
        ["352047", "1", "萩市", "萩市 文化財一覧", "", "", "CSV", "", f"{base}/h.csv", "", ""],
        ["", "9", "", "コードのない行", "", "", "CSV", "", f"{base}/n.csv", "", ""],
    ]
    publish(folder, "prefecture.csv", list_csv(rows))
    source = list_source(admin, f"{base}/prefecture.csv", organizations_by_code=True)
    job = harvest(admin, source)
    assert job["counts"]["added"] == 5 and job["counts"]["errored"] == 0
    by_url = by_file(admin, source)
    owners = {stem: p["organization"]["name"] for stem, p in by_url.items()}
    assert owners == {
        "s-aed.csv": "list-shimonoseki",
        "u-aed.csv": "list-ube",
        "p.csv": PREF,
        "h.csv": PREF,
        "n.csv": PREF,
    }
    # Two cities' datasets of the same title get names of their own organisations.
    assert by_url["s-aed.csv"]["name"].startswith("list-shimonoseki")
    assert by_url["u-aed.csv"]["name"].startswith("list-ube")
    # Each city's members see its datasets among their organisation's.
    city = admin.action.package_search(fq="organization:list-ube", include_private=True)
    assert [p["title"] for p in city["results"]] == ["AED設置箇所一覧"]

    local.act(
        "organization_create",
        {"name": "list-hagi", "title": "萩市", "kind": "municipality", "local_gov_code": "352047"},
    )
    job = harvest(admin, source)
    assert (job["counts"]["updated"], job["counts"]["unchanged"]) == (1, 4)
    moved = admin.action.package_show(id=by_url["h.csv"]["id"])
    assert moved["organization"]["name"] == "list-hagi"


def test_only_a_sysadmin_lets_a_list_write_into_other_organisations(
    files: tuple[Path, str], local: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    _folder, base = files
    pref_admin = local.ckan(local.make_user("list-pref-admin-2"))
    local.act(
        "organization_member_create",
        {"id": PREF, "username": "list-pref-admin-2", "role": "admin"},
    )
    with pytest.raises(ckanapi.NotAuthorized):
        list_source(pref_admin, f"{base}/rights.csv", organizations_by_code=True)
    source = list_source(pref_admin, f"{base}/rights.csv")
    with pytest.raises(ckanapi.NotAuthorized):
        pref_admin.action.harvest_source_patch(id=source, config={"organizations_by_code": True})
    admin.action.harvest_source_patch(id=source, config={"organizations_by_code": True})
    # The organisation's admin still manages the source, leaving that key as it is …
    pref_admin.action.harvest_source_patch(id=source, title="県内一覧", frequency="daily")
    pref_admin.action.harvest_source_patch(
        id=source, config={"organizations_by_code": True, "withdraw_after_days": 3}
    )
    # … but cannot turn it off either (it would move other organisations' datasets).
    with pytest.raises(ckanapi.NotAuthorized):
        pref_admin.action.harvest_source_patch(id=source, config={"withdraw_after_days": 3})
    shown = admin.action.harvest_source_show(id=source)
    assert '"organizations_by_code":true' in shown["config"] and shown["title"] == "県内一覧"


# -- staff pages --------------------------------------------------------------------------------


def test_the_staff_pages_add_run_and_show_a_list_source(
    files: tuple[Path, str], local: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    folder, base = files
    rows = rows_of_several_municipalities(base)[:2]
    rows.append(["352012", "20", "下関市", "", "", "", "CSV", "", f"{base}/z.csv", "", ""])
    publish(folder, "staff.csv", list_csv(rows))
    visitor = Visitor(local.url)
    assert visitor.sign_in("list-pref-admin", "pw-list-pref-admin-0000").status_code == 303
    form = visitor.get("/staff/harvest/new").text
    assert '<option value="opendata_list"' in form and "オープンデータ一覧（CSV・Excel）" in form
    made = visitor.submit(
        "/staff/harvest/new",
        title="県内オープンデータ一覧",
        name="list-staff",
        source_type="opendata_list",
        owner_org=PREF,
        url=f"{base}/staff.csv",
        frequency="manual",
        active="on",
        withdraw_after_days="0",
        organizations="",
        tags="",
        config_extra="",
        notes="",
    )
    assert (
        made.status_code == 303 and made.headers["location"] == "/staff/harvest/list-staff?saved=1"
    )
    page = visitor.get("/staff/harvest/list-staff")
    assert page.status_code == 200 and "オープンデータ一覧（CSV・Excel）" in page.text

    queued = visitor.submit("/staff/harvest/list-staff", "/staff/harvest/list-staff/run")
    assert queued.headers["location"] == "/staff/harvest/list-staff?queued=1"
    [job] = admin.action.harvest_job_list(source_id="list-staff")
    job = wait_until(
        lambda: admin.action.harvest_job_show(id=job["id"]),
        "the staff's job to end",
        until=lambda j: j["job_status"] in ("complete", "error", "cancelled"),
    )
    assert (job["counts"]["added"], job["counts"]["errored"]) == (2, 1)
    shown = visitor.get(f"/staff/harvest/list-staff/job/{job['id']}")
    assert shown.status_code == 200
    assert "352012:20" in shown.text and "データセット名がありません" in shown.text
    dataset = datasets_of(admin, "list-staff")["ＡＥＤ設置箇所一覧"]
    assert "県内オープンデータ一覧から収集" in visitor.get(f"/dataset/{dataset['name']}").text


def test_the_demo_lists_standard_header_is_read_without_aliases() -> None:
    """The demo's オープンデータ一覧 (the standard's own column names, UTF-8 with BOM): every
    column is read, and a planned dataset (no URL yet) is a problem on its row."""
    from tsunagu.demo.files_documents import opendata_list
    from tsunagu.harvest.opendata_table import field_of, read_list

    content = opendata_list(
        "352012",
        "下関市",
        (
            ("AED設置箇所一覧", "市内のAED", "健康・福祉", "CSV", "毎月", "cc-by-4.0", "aed", ""),
            ("調達情報", "入札・契約に関する情報", "行政", "CSV", "", "", "", "公開準備中"),
        ),
    )
    table = read_list(content)
    assert all(field_of(column) for column in table.columns)
    published, planned = table.rows
    assert published.code == "352012" and published.values["title"] == "AED設置箇所一覧"
    assert published.values["category"] == "健康・福祉" and published.values["id"] == "1"
    assert published.urls[0].endswith("/dataset/aed") and not published.problems
    assert planned.values["remarks"] == "公開準備中"
    assert planned.problems and planned.problems[0].startswith("URL がありません")


def test_several_url_columns_and_urls_in_a_cell_give_a_file_each() -> None:
    from tsunagu.harvest.opendata_table import read_list

    header = ["データセット名", "URL（CSV）", "URL（PDF）", "ＵＲＬ（その他）"]
    rows = [
        ["公園一覧", "https://a.example.jp/koen.csv", "https://a.example.jp/koen.pdf",
         "https://a.example.jp/koen.geojson\nhttps://a.example.jp/koen.kml"],
    ]  # fmt: skip
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    [row] = read_list(out.getvalue().encode("utf-8")).rows
    assert [u.rsplit(".", 1)[-1] for u in row.urls] == ["csv", "pdf", "geojson", "kml"]
    assert not row.problems and row.values["title"] == "公園一覧"
