"""Many files at once over the API: batch_upload_preview, batch_upload_apply, batch_status,
batch_upload_discard and batch_list, on SQLite and PostgreSQL.

Good input becomes drafts (the title, standard, licence and URL name guessed from the file
names and columns, or taken from the metadata sheet); a re-uploaded sheet updates the datasets
it made; bad input (merged cells, 和暦 dates, missing files, duplicate names, unsafe zips, zip
bombs, types and sizes) gets messages naming the row or file; a batch that fails while its
drafts are made leaves nothing behind; only editors of the organisation may use a batch.
"""

from __future__ import annotations

import io
import itertools
import stat
import zipfile
from collections.abc import Iterator
from typing import Any

import ckanapi
import openpyxl
import pytest
import requests

from support import databases
from support.live_server import LiveServer
from support.smtp_server import SmtpServer
from support.waiting import wait_until
from tsunagu.demo import files_bousai, files_facilities, files_welfare

ORG = "batch-city"
OTHER_ORG = "batch-other-city"
EVACUATION = files_bousai.evacuation_space("shimonoseki-city")
AED = files_bousai.aed_location("shimonoseki-city")
TOILET = files_facilities.public_toilet("shimonoseki-city")
CARE = files_welfare.care_service("shimonoseki-city")
PII_CSV = "氏名,携帯電話\n山田 太郎,090-1234-5678\n佐藤 花子,080-2345-6789\n".encode()
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def server(
    backend: str, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
) -> Iterator[LiveServer]:
    """Small limits, so the limits can be reached with small files."""
    tmp = tmp_path_factory.mktemp(f"batch-{backend}")
    live = LiveServer(
        data_dir=tmp,
        database_url=databases.database_url_for(backend, tmp),
        max_upload_bytes=3 * 1024 * 1024,
        overrides={"batch_max_files": 40, "batch_max_bytes": 4 * 1024 * 1024},
    ).start()
    yield live
    live.stop()


class Actors:
    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.tokens: dict[str, str] = {}

    def ckan(self, who: str | None) -> ckanapi.RemoteCKAN:
        return self.server.ckan(self.tokens[who] if who else None)


@pytest.fixture(scope="module")
def actors(server: LiveServer) -> Actors:
    found = Actors(server)
    for org, code in ((ORG, "352012"), (OTHER_ORG, "352039")):
        server.act(
            "organization_create",
            {"name": org, "title": "下関市" if org == ORG else "山口市", "local_gov_code": code},
        )
    server.act("group_create", {"name": "bousai", "title": "防災"})
    for name, org, role in (
        ("bt-editor", ORG, "editor"),
        ("bt-colleague", ORG, "editor"),
        ("bt-member", ORG, "member"),
        ("bt-other", OTHER_ORG, "admin"),
        ("bt-outsider", None, None),
    ):
        found.tokens[name] = server.make_user(name)
        if org:
            server.act("organization_member_create", {"id": org, "username": name, "role": role})
    found.tokens["bt-sysadmin"] = server.make_user("bt-sysadmin", sysadmin=True)
    return found


def post(server: LiveServer, token: str | None, action: str, files: list, **data: Any) -> dict:
    """An action call with several files under one parameter name (ckanapi sends one file per
    name), as curl -F files=@a.csv -F files=@b.csv would."""
    response = requests.post(
        f"{server.url}/api/3/action/{action}",
        headers={"Authorization": token} if token else {},
        files=files,
        data=data,
        timeout=120,
    )
    body = response.json()
    body["status_code"] = response.status_code
    return body


def csv_sheet(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    lines = [",".join(cells) for cells in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def unique_code_file(kind: str, content: bytes) -> tuple[str, bytes]:
    """A standard file under a name no other test of the module uses (names must stay free)."""
    return f"352012_{kind}_{next(_serial)}.csv", content


def wait_done(ckan: ckanapi.RemoteCKAN, batch_id: str) -> dict[str, Any]:
    return wait_until(
        lambda: ckan.action.batch_status(id=batch_id),
        f"batch {batch_id} to finish",
        until=lambda b: b["progress"]["done"],
    )


def wait_settled(ckan: ckanapi.RemoteCKAN, batch_id: str) -> dict[str, Any]:
    """The first batch_status that shows the drafts made or the batch failed (tables may still
    be loading), polled often so as to see it as soon as it is there."""
    return wait_until(
        lambda: ckan.action.batch_status(id=batch_id),
        f"batch {batch_id} to be applied or fail",
        until=lambda b: b["state"] not in ("queued", "applying"),
        every=0.01,
    )


def dataset_exists(server: LiveServer, name: str) -> bool:
    try:
        server.act("package_show", {"id": name})
    except Exception:
        return False
    return True


# -- guessing and making drafts ------------------------------------------------------------------


def test_preview_guesses_title_standard_licence_and_name_from_file_names(
    server: LiveServer, actors: Actors
) -> None:
    evacuation, aed = unique_code_file("evacuation_space", EVACUATION), ("guessme.csv", AED)
    answer = post(
        server,
        actors.tokens["bt-editor"],
        "batch_upload_preview",
        [("files", evacuation), ("files", aed)],
        owner_org=ORG,
    )
    assert answer["status_code"] == 200, answer
    batch = answer["result"]
    assert batch["state"] == "preview" and batch["ready"] is True
    rows = {row["label"]: row for row in batch["rows"]}
    by_name = rows[evacuation[0]]
    assert by_name["status"] == "ok" and by_name["action"] == "create"
    assert by_name["title"] == "下関市 指定緊急避難場所一覧"  # code → place, name → standard
    assert by_name["standard_id"] == "evacuation_space"
    assert by_name["name"] == evacuation[0].removesuffix(".csv")
    assert by_name["spatial_codes"] == ["352012"]
    assert by_name["license_id"] == "cc-by-4.0"
    assert {"title", "standard_id", "license_id", "name"} <= set(by_name["guessed"])
    by_columns = rows["guessme.csv"]
    assert by_columns["standard_id"] == "aed"  # from its columns: the name says nothing
    assert by_columns["title"] == "下関市 AED設置箇所一覧"  # the organisation's own name
    assert by_columns["name"] == f"{ORG}-guessme"
    assert any("列の名前から" in w for w in by_columns["warnings"])
    # A preview makes nothing.
    assert not dataset_exists(server, by_name["name"])


def test_sheet_rows_become_drafts_whose_tables_load(server: LiveServer, actors: Actors) -> None:
    editor = actors.ckan("bt-editor")
    evacuation = unique_code_file("evacuation_space", EVACUATION)
    toilet = unique_code_file("public_toilet", TOILET)
    sheet = csv_sheet(
        [
            ["タイトル", "説明", "ファイル名", "ライセンス", "更新頻度", "タグ", "カテゴリ"],
            [
                "下関市の避難場所",
                "避難場所の一覧",
                evacuation[0],
                "CC BY 4.0",
                "随時",
                "防災、避難",
                "防災",
            ],
            ["下関市の公衆トイレ", "", toilet[0], "公共データ利用規約", "年1回", "トイレ", ""],
        ],
        encoding="cp932",  # as Excel on Japanese Windows saves CSV
    )
    answer = post(
        server,
        actors.tokens["bt-editor"],
        "batch_upload_preview",
        [("files", evacuation), ("files", toilet), ("sheet", ("meta.csv", sheet))],
        owner_org=ORG,
    )
    batch = answer["result"]
    assert batch["ready"], batch["rows"]
    first, second = batch["rows"]
    assert (first["row"], first["title"], first["license_id"]) == (
        2,
        "下関市の避難場所",
        "cc-by-4.0",
    )
    assert (first["frequency"], first["tags"], first["groups"]) == (
        "as_needed",
        ["防災", "避難"],
        ["bousai"],
    )
    assert (second["license_id"], second["frequency"]) == ("pdl-1.0", "annual")
    queued = editor.action.batch_upload_apply(id=batch["id"])
    assert queued["state"] == "queued" and queued["job"]["id"]
    done = wait_done(editor, batch["id"])
    assert done["state"] == "applied"
    assert done["progress"] == {**done["progress"], "datasets": 2, "tables": 2, "loaded": 2}
    for row in done["rows"]:
        result = row["result"]
        assert result["outcome"] == "created" and result["state"] == "draft"
        package = editor.action.package_show(id=result["dataset_id"])
        assert package["state"] == "draft" and package["title"] == row["title"]
        resource = package["resources"][0]
        assert resource["datastore_active"] is True
        assert editor.action.datastore_search(resource_id=resource["id"], limit=1)["total"] > 0
    shown = editor.action.package_show(id=done["rows"][0]["result"]["dataset_id"])
    assert shown["notes"] == "避難場所の一覧"
    assert [g["name"] for g in shown["groups"]] == ["bousai"]
    assert shown["standard_id"] == "evacuation_space"
    # The uploaded copies are gone once every file lives with its resource.
    assert not list((server.data_dir / "files" / "batches" / batch["id"]).rglob("*.csv"))


def test_reuploading_the_sheet_updates_instead_of_duplicating(
    server: LiveServer, actors: Actors
) -> None:
    editor = actors.ckan("bt-editor")
    aed = unique_code_file("aed_location", AED)
    header = ["タイトル", "ファイル名", "更新頻度"]

    def upload(title: str, content: bytes) -> dict[str, Any]:
        sheet = csv_sheet([header, [title, aed[0], "随時"]])
        return post(
            server,
            actors.tokens["bt-editor"],
            "batch_upload_preview",
            [("files", (aed[0], content)), ("sheet", ("meta.csv", sheet))],
            owner_org=ORG,
        )["result"]

    first = upload("AED 初版", AED)
    editor.action.batch_upload_apply(id=first["id"])
    made = wait_done(editor, first["id"])["rows"][0]["result"]
    before = editor.action.package_show(id=made["dataset_id"])

    same_file = upload("AED 第2版", AED)
    row = same_file["rows"][0]
    assert row["status"] == "ok" and row["action"] == "update"
    assert row["dataset_id"] == made["dataset_id"]
    assert row["changes"] == [{"field": "title", "before": "AED 初版", "after": "AED 第2版"}]
    assert row["files"][0]["change"] == "unchanged"
    editor.action.batch_upload_apply(id=same_file["id"])
    again = wait_done(editor, same_file["id"])["rows"][0]["result"]
    assert again["outcome"] == "updated" and again["dataset_id"] == made["dataset_id"]
    after = editor.action.package_show(id=made["dataset_id"])
    assert after["title"] == "AED 第2版"
    assert [r["id"] for r in after["resources"]] == [r["id"] for r in before["resources"]]
    assert after["resources"][0]["hash"] == before["resources"][0]["hash"]

    new_file = upload("AED 第2版", AED.replace(b"\r\n", b"\n"))
    assert new_file["rows"][0]["files"][0]["change"] == "replace"
    editor.action.batch_upload_apply(id=new_file["id"])
    wait_done(editor, new_file["id"])
    replaced = editor.action.package_show(id=made["dataset_id"])
    assert len(replaced["resources"]) == 1
    assert replaced["resources"][0]["hash"] != before["resources"][0]["hash"]
    found = editor.action.package_search(
        fq=f'name:"{made["name"]}"', include_drafts=True, include_private=True
    )
    assert found["count"] == 1


def test_one_dataset_with_every_file_as_a_resource(server: LiveServer, actors: Actors) -> None:
    editor = actors.ckan("bt-editor")
    files = [unique_code_file(k, c) for k, c in (("evacuation_space", EVACUATION), ("aed", AED))]
    batch = post(
        server,
        actors.tokens["bt-editor"],
        "batch_upload_preview",
        [("files", f) for f in files],
        owner_org=ORG,
        mode="single",
        title=f"防災データ一式 {next(_serial)}",
    )["result"]
    assert len(batch["rows"]) == 1 and batch["rows"][0]["title"].startswith("防災データ一式")
    editor.action.batch_upload_apply(id=batch["id"])
    done = wait_done(editor, batch["id"])
    package = editor.action.package_show(id=done["rows"][0]["result"]["dataset_id"])
    assert sorted(r["name"] for r in package["resources"]) == sorted(f[0] for f in files)


def test_sheet_rows_may_give_urls_and_a_reupload_links_each_once(
    server: LiveServer, actors: Actors
) -> None:
    """「ファイル名またはURL」 takes a URL instead of a file, or beside one: each becomes a
    linked resource of the draft, and the same sheet again adds no second link."""
    editor = actors.ckan("bt-editor")
    serial = next(_serial)
    toilet = unique_code_file("public_toilet", TOILET)
    pdf = f"https://www.city.shimonoseki.example.jp/opendata/hinan-{serial}.pdf"
    page = f"https://www.city.shimonoseki.example.jp/kouen/{serial}/?lang=ja"
    sheet = csv_sheet(
        [
            ["URL名", "タイトル", "ファイル名またはURL"],
            [f"batch-links-{serial}", "避難場所の案内（PDF）", pdf],
            [f"batch-mixed-{serial}", "公衆トイレ一覧", f"{toilet[0]}、{page}"],
        ]
    )

    def preview() -> dict[str, Any]:
        answer = post(
            server,
            actors.tokens["bt-editor"],
            "batch_upload_preview",
            [("files", toilet), ("sheet", ("meta.csv", sheet))],
            owner_org=ORG,
        )
        assert answer["status_code"] == 200, answer
        return dict(answer["result"])

    batch = preview()
    assert batch["ready"], [r["errors"] for r in batch["rows"]]
    links, mixed = batch["rows"]
    assert (links["action"], links["urls"], links["files"]) == ("create", [pdf], [])
    assert mixed["urls"] == [page] and [f["name"] for f in mixed["files"]] == [toilet[0]]
    editor.action.batch_upload_apply(id=batch["id"])
    done = wait_done(editor, batch["id"])
    assert done["state"] == "applied"

    def resources(name: str) -> list[tuple[str, str]]:
        shown = editor.action.package_show(id=name)
        assert shown["state"] == "draft"
        return sorted((r["name"], r["url"].rsplit("/", 1)[-1]) for r in shown["resources"])

    assert resources(f"batch-links-{serial}") == [(f"hinan-{serial}.pdf", f"hinan-{serial}.pdf")]
    mixed_made = resources(f"batch-mixed-{serial}")
    assert (str(serial), "?lang=ja") in mixed_made  # a link is named after its last segment
    assert toilet[0] in {name for name, _ in mixed_made} and len(mixed_made) == 2

    again = preview()
    assert [r["action"] for r in again["rows"]] == ["update", "update"]
    editor.action.batch_upload_apply(id=again["id"])
    assert wait_done(editor, again["id"])["state"] == "applied"
    assert resources(f"batch-links-{serial}") == [(f"hinan-{serial}.pdf", f"hinan-{serial}.pdf")]
    assert resources(f"batch-mixed-{serial}") == mixed_made


def test_a_file_that_is_no_table_leaves_a_draft_that_says_why(
    server: LiveServer, actors: Actors
) -> None:
    editor = actors.ckan("bt-editor")
    broken = (f"352012_broken_{next(_serial)}.csv", "ただの文章です。\n".encode())
    batch = post(
        server,
        actors.tokens["bt-editor"],
        "batch_upload_preview",
        [("files", broken)],
        owner_org=ORG,
    )["result"]
    assert batch["ready"]
    assert any("表として読めません" in w for w in batch["rows"][0]["warnings"])
    editor.action.batch_upload_apply(id=batch["id"])
    done = wait_done(editor, batch["id"])
    result = done["rows"][0]["result"]
    assert result["state"] == "draft"
    assert result["resources"][0]["ingest"] == "error" and result["resources"][0]["error"]
    assert done["progress"]["failed"] == 1


# -- bad input, named by row or file -------------------------------------------------------------


def _xlsx(rows: list[list[Any]], merge: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_sheet_problems_are_named_by_row_and_block_applying(
    server: LiveServer, actors: Actors
) -> None:
    editor = actors.ckan("bt-editor")
    evacuation, aed, care = (
        unique_code_file("evacuation_space", EVACUATION),
        unique_code_file("aed", AED),
        unique_code_file("care_service", CARE),
    )
    sheet = _xlsx(
        [
            ["一括登録シート（令和6年度）"],  # a title row above the header
            ["タイトル", "ファイル名", "ライセンス", "公開日", "カテゴリ"],
            ["避難場所", evacuation[0], "CC BY 4.0", "令和6年4月1日", "防災"],  # row 3
            ["AED", aed[0], "CC BY 4.0", "2024-04-01", ""],  # row 4: merged with row 3 in E
            ["同じ名前", care[0], "なんとかライセンス", "", ""],  # row 5
            ["同じ名前", "352012_not_sent.csv", "CC0", "", ""],  # row 6
        ],
        merge="E3:E4",
    )
    batch = post(
        server,
        actors.tokens["bt-editor"],
        "batch_upload_preview",
        [("files", evacuation), ("files", aed), ("files", care), ("sheet", ("meta.xlsx", sheet))],
        owner_org=ORG,
    )["result"]
    assert batch["ready"] is False
    rows = {row["row"]: row for row in batch["rows"]}
    assert set(rows) == {3, 4, 5, 6}
    # 和暦: read as the date it names, and the row says so.
    assert rows[3]["issued"] == "2024-04-01"
    assert any(w.startswith("3行目「公開日」: 和暦") for w in rows[3]["warnings"])
    # Merged cells: both rows in error, naming the rows and the column.
    for line in (3, 4):
        assert rows[line]["status"] == "error"
        assert any(
            e.startswith(f"{line}行目「カテゴリ」") and "結合" in e for e in rows[line]["errors"]
        )
    assert any("なんとかライセンス" in e for e in rows[5]["errors"])
    for line in (5, 6):
        assert any("「同じ名前」が" in e for e in rows[line]["errors"])
    assert any("352012_not_sent.csv" in e and e.startswith("6行目") for e in rows[6]["errors"])
    with pytest.raises(ckanapi.ValidationError) as refused:
        editor.action.batch_upload_apply(id=batch["id"])
    messages = refused.value.error_dict["rows"]
    assert any(m.startswith("6行目") for m in messages)
    assert editor.action.batch_status(id=batch["id"])["state"] == "preview"
    assert not dataset_exists(server, evacuation[0].removesuffix(".csv"))

    # A corrected sheet for the same batch fixes it.
    fixed = _xlsx(
        [
            ["タイトル", "ファイル名", "ライセンス", "公開日", "カテゴリ"],
            ["避難場所", evacuation[0], "CC BY 4.0", "2024-04-01", "防災"],
            ["AED", aed[0], "CC BY 4.0", "2024-04-01", "防災"],
            ["介護", care[0], "CC0", "", ""],
        ]
    )
    again = post(
        server,
        actors.tokens["bt-editor"],
        "batch_upload_preview",
        [("sheet", ("meta.xlsx", fixed))],
        id=batch["id"],
    )["result"]
    assert again["ready"], [r["errors"] for r in again["rows"]]
    assert len(again["files"]) == 3


def _zip(entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def test_a_zip_is_unpacked_with_its_japanese_names(server: LiveServer, actors: Actors) -> None:
    # Japanese Windows writes Shift_JIS names without the UTF-8 flag: made by hand here.
    placeholder = b"A" * len("避難所一覧".encode("cp932"))
    archive = _zip([(f"data/{placeholder.decode()}.csv", EVACUATION), ("data/aed.csv", AED)])
    archive = archive.replace(placeholder, "避難所一覧".encode("cp932"))
    batch = post(
        server,
        actors.tokens["bt-editor"],
        "batch_upload_preview",
        [("files", ("all.zip", archive))],
        owner_org=ORG,
    )["result"]
    names = sorted(f["name"] for f in batch["files"])
    assert names == ["aed.csv", "避難所一覧.csv"]
    assert {f["origin"] for f in batch["files"]} == {"all.zip"}
    titles = {row["label"]: row["title"] for row in batch["rows"]}
    assert titles["避難所一覧.csv"] == "下関市 指定緊急避難場所一覧"  # by its columns


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (("../outside.csv", AED), "フォルダの外"),
        (("/etc/absolute.csv", AED), "フォルダの外"),
        ((_symlink("link.csv"), b"/etc/passwd"), "シンボリックリンク"),
        (("inner.zip", b"PK\x05\x06" + b"\x00" * 18), "zip の中の zip"),
        (("bomb.csv", b"0,0,0\n" * 300_000), "zip 爆弾"),
        (("page.html", b"<html></html>"), "アップロードできません"),
    ],
    ids=["parent", "absolute", "symlink", "nested", "bomb", "type"],
)
def test_unsafe_zips_are_refused_naming_the_entry_and_nothing_is_kept(
    server: LiveServer, actors: Actors, entry: tuple[Any, bytes], expected: str
) -> None:
    editor = actors.ckan("bt-editor")
    batch = post(
        server,
        actors.tokens["bt-editor"],
        "batch_upload_preview",
        [("files", ("good.csv", TOILET))],
        owner_org=ORG,
    )["result"]
    bad = _zip([("fine.csv", AED), entry])
    refused = post(
        server,
        actors.tokens["bt-editor"],
        "batch_upload_preview",
        [("files", ("bad.zip", bad))],
        id=batch["id"],
    )
    assert refused["status_code"] == 409
    messages = refused["error"]["files"]
    assert any(m.startswith("bad.zip") and expected in m for m in messages), messages
    # Nothing of the refused request stays: the batch holds what it held, on disk too.
    assert [f["name"] for f in editor.action.batch_status(id=batch["id"])["files"]] == ["good.csv"]
    stored = list((server.data_dir / "files" / "batches" / batch["id"]).rglob("*.*"))
    assert [p.name for p in stored] == ["good.csv"]


def test_limits_on_files_sizes_and_types(server: LiveServer, actors: Actors) -> None:
    token = actors.tokens["bt-editor"]
    many = _zip([(f"f{i}.csv", b"a,b\n1,2\n") for i in range(41)])
    refused = post(
        server, token, "batch_upload_preview", [("files", ("many.zip", many))], owner_org=ORG
    )
    assert refused["status_code"] == 409
    assert any("41" in m and "上限 40" in m for m in refused["error"]["files"])

    big = "".join(f"{i},{i * 7919 % 100003},{i * 31 % 997}\n" for i in range(260_000)).encode()
    assert len(big) > 3 * 1024 * 1024
    refused = post(
        server,
        token,
        "batch_upload_preview",
        [("files", ("big.zip", _zip([("big.csv", big)])))],
        owner_org=ORG,
    )
    assert any(
        m.startswith("big.zip: 「big.csv」") and "上限" in m for m in refused["error"]["files"]
    )

    part = big[: 1536 * 1024]
    total = _zip([(f"part{i}.csv", part) for i in range(3)])  # 4.5 MB unzipped > 4 MB
    refused = post(
        server, token, "batch_upload_preview", [("files", ("total.zip", total))], owner_org=ORG
    )
    assert any("合計" in m for m in refused["error"]["files"])

    refused = post(
        server,
        token,
        "batch_upload_preview",
        [("files", ("ok.csv", AED)), ("files", ("tool.exe", b"MZ\x90\x00"))],
        owner_org=ORG,
    )
    assert refused["status_code"] == 409
    assert refused["error"]["files"] == [
        "tool.exe: このファイル形式はアップロードできません: .exe (File type not allowed)"
    ]
    refused = post(
        server,
        token,
        "batch_upload_preview",
        [("files", ("fake.xlsx", b"not a workbook"))],
        owner_org=ORG,
    )
    assert any(m.startswith("fake.xlsx") for m in refused["error"]["files"])
    refused = post(
        server,
        token,
        "batch_upload_preview",
        [("sheet", ("notes.pdf", b"%PDF-1.4"))],
        owner_org=ORG,
    )
    assert refused["error"]["sheet"][0].startswith("notes.pdf")
    assert post(server, token, "batch_upload_preview", [], owner_org=ORG)["status_code"] == 409


def test_a_batch_that_fails_while_making_drafts_leaves_nothing(
    server: LiveServer, actors: Actors
) -> None:
    """Row 2 makes a new draft; row 3 puts personal data into a public dataset, which the
    personal-data guard refuses while the drafts are made: the draft of row 2 goes too."""
    editor = actors.ckan("bt-editor")
    roster = f"batch-roster-{next(_serial)}"
    clean = "名称,人数\n公民館,3\n".encode()
    server.act(
        "package_create",
        {"name": roster, "title": "名簿", "owner_org": ORG, "resources": []},
    )
    with_file = editor.action.resource_create(
        package_id=roster, name="roster.csv", upload=("roster.csv", io.BytesIO(clean))
    )
    new_file = unique_code_file("public_toilet", TOILET)
    sheet = csv_sheet(
        [
            ["URL名", "タイトル", "ファイル名"],
            ["", "新しいトイレ一覧", new_file[0]],
            [roster, "名簿", "roster.csv"],
        ]
    )
    batch = post(
        server,
        actors.tokens["bt-editor"],
        "batch_upload_preview",
        [("files", new_file), ("files", ("roster.csv", PII_CSV)), ("sheet", ("m.csv", sheet))],
        owner_org=ORG,
    )["result"]
    assert batch["ready"], [r["errors"] for r in batch["rows"]]
    assert [r["action"] for r in batch["rows"]] == ["create", "update"]
    assert any("公開中" in w for w in batch["rows"][1]["warnings"])
    editor.action.batch_upload_apply(id=batch["id"])
    # The batch and its job end in one commit: the first answer that shows the batch failed
    # shows its job ended in error too.
    done = wait_settled(editor, batch["id"])
    assert done["state"] == "failed"
    assert done["error"].startswith("3行目")
    assert done["job"]["status"] == "error"
    assert done["job"]["error"] == done["error"]
    assert not dataset_exists(server, new_file[0].removesuffix(".csv"))
    kept = editor.action.package_show(id=roster)["resources"]
    assert [(r["id"], r["hash"]) for r in kept] == [(with_file["id"], with_file["hash"])]


def test_a_batch_seen_applied_has_its_job_ended_and_the_next_is_queued_at_once(
    server: LiveServer, actors: Actors
) -> None:
    """The batch's drafts and its job's end are one commit: the first batch_status that says
    applied says the job is complete, and the editor's next batch is queued and run at once."""
    editor = actors.ckan("bt-editor")
    for _ in range(2):
        batch = post(
            server,
            actors.tokens["bt-editor"],
            "batch_upload_preview",
            [("files", unique_code_file("aed_location", AED))],
            owner_org=ORG,
        )["result"]
        assert batch["ready"], [r["errors"] for r in batch["rows"]]
        assert editor.action.batch_upload_apply(id=batch["id"])["state"] == "queued"
        seen = wait_settled(editor, batch["id"])
        assert seen["state"] == "applied"
        assert seen["job"]["status"] == "complete" and seen["job"]["error"] is None
        made = seen["rows"][0]["result"]
        assert made["outcome"] == "created" and dataset_exists(server, made["name"])


def test_a_name_taken_after_the_preview_refuses_the_apply(
    server: LiveServer, actors: Actors
) -> None:
    editor = actors.ckan("bt-editor")
    evacuation = unique_code_file("evacuation_space", EVACUATION)
    batch = post(
        server,
        actors.tokens["bt-editor"],
        "batch_upload_preview",
        [("files", evacuation)],
        owner_org=ORG,
    )["result"]
    name = batch["rows"][0]["name"]
    server.act("package_create", {"name": name, "title": "先に作られた", "owner_org": OTHER_ORG})
    with pytest.raises(ckanapi.ValidationError) as refused:
        editor.action.batch_upload_apply(id=batch["id"])
    assert any(name in m and "既に" in m for m in refused.value.error_dict["rows"])


def test_discard_removes_the_files(server: LiveServer, actors: Actors) -> None:
    editor = actors.ckan("bt-editor")
    batch = post(
        server,
        actors.tokens["bt-editor"],
        "batch_upload_preview",
        [("files", ("x.csv", AED))],
        owner_org=ORG,
    )["result"]
    assert editor.action.batch_upload_discard(id=batch["id"])["state"] == "discarded"
    assert not list((server.data_dir / "files" / "batches" / batch["id"]).rglob("*.csv"))
    with pytest.raises(ckanapi.ValidationError):
        editor.action.batch_upload_apply(id=batch["id"])


# -- rights ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "bt-outsider", "bt-member", "bt-other"])
def test_only_editors_of_the_organisation_may_preview(
    server: LiveServer, actors: Actors, who: str | None
) -> None:
    answer = post(
        server,
        actors.tokens.get(who or ""),
        "batch_upload_preview",
        [("files", ("x.csv", AED))],
        owner_org=ORG,
    )
    assert answer["status_code"] == 403
    assert answer["error"]["__type"] == "Authorization Error"


@pytest.mark.parametrize("who", [None, "bt-outsider", "bt-member", "bt-other"])
def test_others_can_neither_see_nor_apply_nor_discard_a_batch(
    server: LiveServer, actors: Actors, who: str | None
) -> None:
    batch = post(
        server,
        actors.tokens["bt-editor"],
        "batch_upload_preview",
        [("files", ("x.csv", AED))],
        owner_org=ORG,
    )["result"]
    other = actors.ckan(who)
    for call in (
        other.action.batch_status,
        other.action.batch_upload_apply,
        other.action.batch_upload_discard,
    ):
        with pytest.raises(ckanapi.NotAuthorized):
            call(id=batch["id"])
    assert actors.ckan("bt-editor").action.batch_status(id=batch["id"])["state"] == "preview"
    if who:
        listed = other.action.batch_list()
        assert batch["id"] not in [b["id"] for b in listed]


def test_colleagues_and_sysadmins_may_finish_a_batch(server: LiveServer, actors: Actors) -> None:
    batch = post(
        server,
        actors.tokens["bt-editor"],
        "batch_upload_preview",
        [("files", unique_code_file("aed", AED))],
        owner_org=ORG,
    )["result"]
    colleague = actors.ckan("bt-colleague")
    assert batch["id"] in [b["id"] for b in colleague.action.batch_list(owner_org=ORG)]
    colleague.action.batch_upload_apply(id=batch["id"])
    done = wait_done(actors.ckan("bt-sysadmin"), batch["id"])
    assert done["state"] == "applied"
    jobs = actors.ckan("bt-sysadmin").action.job_list(queues=["batch"], status=["complete"])
    assert batch["job"] is None and done["job"]["id"] in [j["id"] for j in jobs]
