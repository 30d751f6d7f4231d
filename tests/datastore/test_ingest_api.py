"""Every corpus file goes through the real upload → ingest → datastore API path, on both databases,
and comes out with the columns, types and values a careful person would expect."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import ckanapi
import pytest

from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.datastore.fetch import fetch_to_file
from tsunagu.datastore.ingest.model import IngestError

CORPUS = Path(__file__).resolve().parents[1] / "data" / "datastore"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["files"]


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> ckanapi.RemoteCKAN:
    ckan = server.ckan(server.make_user("ingest-admin", sysadmin=True))
    ckan.action.organization_create(
        name="hagi", title="萩市", kind="municipality", local_gov_code="352047"
    )
    ckan.action.package_create(name="corpus", title="取り込み確認", owner_org="hagi")
    return ckan


def wait(ckan: ckanapi.RemoteCKAN, resource_id: str) -> dict[str, Any]:
    def status() -> dict[str, Any]:
        try:
            return dict(ckan.action.datastore_ingest_status(resource_id=resource_id))
        except ckanapi.NotFound:
            return {"status": "none"}

    return wait_until(
        status,
        f"the ingest of {resource_id} to finish",
        until=lambda s: s["status"] in ("complete", "error"),
    )


def upload(ckan: ckanapi.RemoteCKAN, entry: dict[str, Any]) -> dict[str, Any]:
    content = (CORPUS / entry["file"]).read_bytes()
    return ckan.action.resource_create(
        package_id="corpus",
        name=entry["file"],
        format=entry["declared_format"],
        upload=(entry["file"], io.BytesIO(content)),
    )


GOOD = [e for e in MANIFEST if not e.get("error")]
BAD = [e for e in MANIFEST if e.get("error")]


def test_corpus_is_large_enough() -> None:
    assert len(MANIFEST) >= 25


@pytest.mark.parametrize("entry", GOOD, ids=[e["file"] for e in GOOD])
def test_ingest_corpus_file(admin: ckanapi.RemoteCKAN, entry: dict[str, Any]) -> None:
    resource = upload(admin, entry)
    status = wait(admin, resource["id"])
    assert status["status"] == "complete", status
    info = admin.action.datastore_info(id=resource["id"])
    assert [f["id"] for f in info["fields"]] == entry["columns"]
    assert {f["id"]: f["type"] for f in info["fields"]} == entry["types"]
    assert info["meta"]["count"] == entry["row_count"]
    source = info["meta"]["source"]
    assert source["encoding"] == entry["encoding"]
    if entry.get("sheet"):
        assert source["sheet"] == entry["sheet"]
    for note in entry.get("notes") or []:
        assert any(note in n for n in source["notes"]), (note, source["notes"])
    for sample in entry["samples"]:
        record = admin.action.datastore_search(
            resource_id=resource["id"], sort="_id", offset=sample["row"], limit=1
        )["records"][0]
        assert record[sample["column"]] == sample["value"], sample
    shown = admin.action.resource_show(id=resource["id"])
    assert shown["datastore_active"] is True
    for note in entry.get("notes") or []:
        assert any(note in n for n in shown["datastore_notes"])
    if {"緯度", "経度"} <= set(entry["columns"]):
        assert info["meta"]["point"] == {"latitude": "緯度", "longitude": "経度"}


@pytest.mark.parametrize("entry", BAD, ids=[e["file"] for e in BAD])
def test_bad_file_gets_a_clear_error(admin: ckanapi.RemoteCKAN, entry: dict[str, Any]) -> None:
    try:
        resource = upload(admin, entry)
    except ckanapi.ValidationError as refused:
        # Refused at upload already (empty or binary content): nothing was published.
        assert "upload" in refused.error_dict
        return
    status = wait(admin, resource["id"])
    assert status["status"] == "error"
    assert status["error"]["message"]
    assert admin.action.resource_show(id=resource["id"])["datastore_active"] is False


def test_failed_reingest_keeps_the_published_table(admin: ckanapi.RemoteCKAN) -> None:
    good = next(e for e in GOOD if e["file"] == "utf8_bom_population.csv")
    resource = upload(admin, good)
    assert wait(admin, resource["id"])["status"] == "complete"
    broken = (CORPUS / "corrupt.xlsx").read_bytes()
    admin.action.resource_update(
        id=resource["id"], format="XLSX", upload=("corrupt.xlsx", io.BytesIO(broken))
    )
    status = wait(admin, resource["id"])
    assert status["status"] == "error"
    info = admin.action.datastore_info(id=resource["id"])
    assert info["meta"]["count"] == good["row_count"]
    assert [f["id"] for f in info["fields"]] == good["columns"]


def test_error_names_line_and_column_beyond_the_sample(admin: ckanapi.RemoteCKAN) -> None:
    rows = ["番号,人数"] + [f"{i},{i * 2}" for i in range(1, 1500)]
    rows[1200] = "1200,12人"
    resource = admin.action.resource_create(
        package_id="corpus",
        name="late-error",
        format="CSV",
        upload=("late.csv", io.BytesIO("\n".join(rows).encode("utf-8"))),
    )
    status = wait(admin, resource["id"])
    assert status["status"] == "error"
    assert status["error"]["line"] == 1201
    assert status["error"]["column"] == "人数"
    assert "12人" in status["error"]["message"]


def test_progress_and_log_are_reported(admin: ckanapi.RemoteCKAN) -> None:
    rows = ["名称,人口"] + [f"町{i},{i}" for i in range(12_000)]
    resource = admin.action.resource_create(
        package_id="corpus",
        name="progress",
        format="CSV",
        upload=("progress.csv", io.BytesIO("\n".join(rows).encode("cp932"))),
    )
    status = wait(admin, resource["id"])
    assert status["status"] == "complete"
    assert status["rows_done"] == 12_000
    messages = " ".join(entry["message"] for entry in status["log"])
    assert "cp932" in messages and "12000 行" in messages


def test_type_override_recasts(admin: ckanapi.RemoteCKAN) -> None:
    entry = next(e for e in GOOD if e["file"] == "utf8_bom_population.csv")
    resource = upload(admin, entry)
    wait(admin, resource["id"])
    admin.action.datastore_dictionary_update(
        resource_id=resource["id"],
        fields=[{"id": "世帯数", "info": {"type_override": "text", "label": "世帯の数"}}],
    )
    status = wait(admin, resource["id"])
    assert status["status"] == "complete"
    fields = {f["id"]: f for f in admin.action.datastore_info(id=resource["id"])["fields"]}
    assert fields["世帯数"]["type"] == "text"
    assert fields["世帯数"]["info"]["label"] == "世帯の数"


def test_sheet_can_be_chosen(admin: ckanapi.RemoteCKAN) -> None:
    entry = next(e for e in GOOD if e["file"] == "xlsx_two_sheets.xlsx")
    resource = upload(admin, entry)
    wait(admin, resource["id"])
    other = next(
        s
        for s in admin.action.datastore_info(id=resource["id"])["meta"]["source"]["sheets"]
        if s != entry["sheet"]
    )
    admin.action.datastore_ingest(resource_id=resource["id"], sheet=other)
    status = wait(admin, resource["id"])
    assert status["options"]["sheet"] == other
    with pytest.raises(ckanapi.ValidationError):
        admin.action.datastore_ingest(
            resource_id=admin.action.resource_create(
                package_id="corpus", url="https://example.jp/a.pdf", format="PDF"
            )["id"]
        )


def test_linked_file_is_fetched(admin: ckanapi.RemoteCKAN, server: LiveServer) -> None:
    entry = next(e for e in GOOD if e["file"] == "sjis_aed.csv")
    uploaded = upload(admin, entry)
    wait(admin, uploaded["id"])
    linked = admin.action.resource_create(
        package_id="corpus", name="linked", format="CSV", url=uploaded["url"]
    )
    status = wait(admin, linked["id"])
    assert status["status"] == "complete", status
    assert admin.action.datastore_info(id=linked["id"])["meta"]["count"] == entry["row_count"]


def test_private_and_loopback_addresses_are_not_fetched(tmp_path: Path) -> None:
    for url in (
        "http://127.0.0.1:9/x.csv",
        "http://localhost/x.csv",
        "http://10.0.0.1/x.csv",
        "file:///etc/passwd",
        "ftp://example.jp/x.csv",
    ):
        with pytest.raises(IngestError):
            fetch_to_file(url, tmp_path, max_bytes=1000, allow_private=False)


def test_a_refused_connection_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="取得できませんでした"):
        fetch_to_file("http://127.0.0.1:9/x.csv", tmp_path, max_bytes=1000, allow_private=True)


def test_reserved_column_names_in_files_are_renamed(admin: ckanapi.RemoteCKAN) -> None:
    resource = admin.action.resource_create(
        package_id="corpus",
        name="reserved",
        format="CSV",
        upload=("reserved.csv", io.BytesIO("_id,_full_text,名称\n1,a,b\n".encode())),
    )
    assert wait(admin, resource["id"])["status"] == "complete"
    names = [f["id"] for f in admin.action.datastore_info(id=resource["id"])["fields"]]
    assert names == ["id", "full_text", "名称"]


def test_failed_type_override_is_forgotten(admin: ckanapi.RemoteCKAN) -> None:
    entry = next(e for e in GOOD if e["file"] == "utf8_bom_population.csv")
    resource = upload(admin, entry)
    wait(admin, resource["id"])
    admin.action.datastore_dictionary_update(
        resource_id=resource["id"], fields=[{"id": "町丁目名", "info": {"type_override": "int"}}]
    )
    assert wait(admin, resource["id"])["status"] == "error"
    fields = {f["id"]: f for f in admin.action.datastore_info(id=resource["id"])["fields"]}
    assert fields["町丁目名"]["type"] == "text"
    assert "type_override" not in fields["町丁目名"]["info"]
    admin.action.datastore_ingest(resource_id=resource["id"])
    assert wait(admin, resource["id"])["status"] == "complete"


def test_indexes_are_reported(admin: ckanapi.RemoteCKAN) -> None:
    entry = next(e for e in GOOD if e["file"] == "utf8_bom_population.csv")
    resource = upload(admin, entry)
    wait(admin, resource["id"])
    fields = admin.action.datastore_info(id=resource["id"])["fields"]
    assert any(f["schema"]["is_index"] for f in fields)
