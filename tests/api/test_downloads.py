"""Downloads of uploaded files carry the charset the file is really in, so a Shift_JIS CSV opens
without mojibake in a browser, and binary files carry none."""

from __future__ import annotations

import io

import ckanapi
import pytest
import requests

from support.live_server import LiveServer

TEXT = "名称,住所\n萩市役所,萩市大字江向510番地\n"


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> ckanapi.RemoteCKAN:
    ckan = server.ckan(server.make_user("download-admin", sysadmin=True))
    ckan.action.organization_create(name="download-org", title="萩市")
    ckan.action.package_create(name="download-ds", title="施設", owner_org="download-org")
    return ckan


@pytest.mark.parametrize(
    ("body", "filename", "content_type"),
    [
        (TEXT.encode("cp932"), "sjis.csv", "text/csv; charset=Shift_JIS"),
        (TEXT.encode("utf-8"), "utf8.csv", "text/csv; charset=utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "bom.csv", "text/csv; charset=utf-8"),
        (TEXT.encode("euc_jp"), "euc.csv", "text/csv; charset=EUC-JP"),
        (b"PK\x03\x04" + bytes(range(256)) * 4, "book.xlsx", None),
    ],
)
def test_a_download_says_its_real_charset(
    admin: ckanapi.RemoteCKAN, body: bytes, filename: str, content_type: str | None
) -> None:
    resource = admin.action.resource_create(
        package_id="download-ds", name=filename, upload=(filename, io.BytesIO(body))
    )
    answer = requests.get(resource["url"], timeout=30)
    assert answer.status_code == 200
    assert answer.content == body
    if content_type is None:
        assert "charset" not in answer.headers["content-type"]
    else:
        assert answer.headers["content-type"] == content_type
