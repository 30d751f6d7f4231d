"""The staff dataset form over real HTTP (no JavaScript): the URL name filled from the title,
更新頻度, 対象地域, 和暦 dates, the contact point and the standard dataset saved; on a failed
submit each error is shown next to its field in plain Japanese and nothing typed is lost."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
import requests
from sqlalchemy import update

from support.live_server import LiveServer
from tsunagu.catalog.models import Dataset
from tsunagu.catalog.revision import bump_revision


@dataclass
class Staff:
    site: LiveServer
    http: requests.Session
    csrf: str

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.site.url + path, allow_redirects=False, timeout=30)

    def post(self, path: str, data: dict[str, Any]) -> requests.Response:
        form = {"csrf_token": self.csrf, **data}
        return self.http.post(self.site.url + path, data=form, allow_redirects=False, timeout=30)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, "the page has no form"
    return found.group(1)


@pytest.fixture(scope="module")
def site(server: LiveServer) -> LiveServer:
    server.make_user("mf-editor")
    server.act(
        "organization_create",
        {
            "name": "mf-shimonoseki",
            "title": "下関市",
            "kind": "municipality",
            "local_gov_code": "352012",
        },
    )
    server.act(
        "organization_member_create",
        {"id": "mf-shimonoseki", "username": "mf-editor", "role": "editor"},
    )
    return server


@pytest.fixture(scope="module")
def editor(site: LiveServer) -> Staff:
    http = requests.Session()
    login = _csrf(http.get(site.url + "/user/login", timeout=30).text)
    response = http.post(
        site.url + "/user/login",
        data={"csrf_token": login, "name": "mf-editor", "password": "pw-mf-editor-0000"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 303
    return Staff(site, http, _csrf(http.get(site.url + "/staff/dataset/new", timeout=30).text))


class _Form(HTMLParser):
    """Inputs, selected options and error paragraphs of a rendered form, by id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inputs: dict[str, dict[str, str | None]] = {}
        self.selected: dict[str, str] = {}
        self.errors: dict[str, str] = {}
        self._select: str | None = None
        self._error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("input", "select", "textarea") and values.get("id"):
            self.inputs[str(values["id"])] = values
        if tag == "select":
            self._select = values.get("id")
        if tag == "option" and "selected" in values and self._select:
            self.selected[self._select] = str(values.get("value"))
        if tag == "p" and "field-error" in str(values.get("class")):
            self._error = str(values.get("id"))
            self.errors[self._error] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "p":
            self._error = None

    def handle_data(self, data: str) -> None:
        if self._error:
            self.errors[self._error] += data


def _parse(html: str) -> _Form:
    form = _Form()
    form.feed(html)
    return form


def _new(**fields: Any) -> dict[str, Any]:
    return {
        "title": "下関市 指定緊急避難場所一覧",
        "name": "",
        "owner_org": "mf-shimonoseki",
        "license_id": "cc-by-4.0",
        **fields,
    }


def test_a_new_dataset_gets_its_name_from_the_title_and_keeps_its_metadata(
    site: LiveServer, editor: Staff
) -> None:
    response = editor.post(
        "/staff/dataset/new",
        _new(
            frequency="monthly",
            spatial_area=["下関市", "山口県宇部市 352021"],
            temporal_start="令和6年4月1日",
            temporal_end="R7.3.31",
            contact_name="防災危機管理課",
            contact_email="bousai@city.example.jp",
            contact_phone="083-231-1111 内線123",
            standard_id="evacuation_space",
        ),
    )
    assert response.status_code == 303, response.text
    name = "shimonosekishi-shitei-kinkyuhinan-basho-ichiran"
    assert response.headers["location"] == f"/staff/dataset/{name}"
    shown = site.act("package_show", {"id": name})
    assert shown["state"] == "draft"
    assert (shown["frequency"], shown["spatial_codes"], shown["spatial"]) == (
        "monthly",
        ["352012", "352021"],
        "山口県下関市、山口県宇部市",
    )
    assert (shown["temporal_start"], shown["temporal_end"]) == ("2024-04-01", "2025-03-31")
    assert (shown["contact_name"], shown["contact_email"], shown["contact_phone"]) == (
        "防災危機管理課",
        "bousai@city.example.jp",
        "083-231-1111 内線123",
    )
    assert shown["standard_id"] == "evacuation_space"
    # The same title again: the next free name.
    again = editor.post("/staff/dataset/new", _new())
    assert again.headers["location"] == f"/staff/dataset/{name}-2"


def test_a_new_dataset_without_an_area_covers_its_organisation(
    site: LiveServer, editor: Staff
) -> None:
    response = editor.post("/staff/dataset/new", _new(title="下関市 公共施設一覧"))
    assert response.status_code == 303
    shown = site.act("package_show", {"id": response.headers["location"].rsplit("/", 1)[1]})
    assert (shown["spatial_codes"], shown["spatial"]) == (["352012"], "山口県下関市")


def test_a_failed_submit_shows_each_error_by_its_field_and_keeps_what_was_typed(
    site: LiveServer, editor: Staff
) -> None:
    before = site.act("package_search", {"q": "*:*", "include_drafts": True, "rows": 0})["count"]
    typed = {
        "title": "下関市 AED設置箇所一覧",
        "name": "mf-aed",
        "frequency": "年3回",  # not in the select: a forged or stale form
        "spatial_area": ["下関", "山口県下関市 352012"],
        "temporal_start": "令和6年4月1日",
        "temporal_end": "令和5年3月31日",
        "contact_name": "消防本部 警防課",
        "contact_email": "keibo@",
        "contact_phone": "231-1111",
        "notes": "市内の AED の一覧です。",
        "tag_string": "AED,救命",
    }
    response = editor.post("/staff/dataset/new", _new(**typed))
    assert response.status_code == 400
    form = _parse(response.text)
    for field, input_id, wanted in (
        ("frequency", "f-frequency", "更新頻度の一覧にありません"),
        ("spatial_codes", "f-area-1", "「下関」に当てはまる地域が見つかりません"),
        ("temporal_end", "f-temporal-end", "開始日"),
        ("contact_email", "f-contact-email", "メールアドレスの形式"),
        ("contact_phone", "f-contact-phone", "市外局番"),
    ):
        assert wanted in form.errors[f"err-{field}"], field
        assert form.inputs[input_id]["aria-invalid"] == "true", field
        assert f"err-{field}" in str(form.inputs[input_id]["aria-describedby"]), field
    assert "err-temporal_start" not in form.errors and "err-title" not in form.errors
    # Everything typed is still there, as typed (和暦 included).
    assert form.inputs["f-title"]["value"] == typed["title"]
    assert form.inputs["f-name"]["value"] == "mf-aed"
    assert form.inputs["f-area-1"]["value"] == "下関"
    assert form.inputs["f-area-2"]["value"] == "山口県下関市 352012"
    assert form.inputs["f-area-3"]["value"] == ""  # room for one more
    assert form.inputs["f-temporal-start"]["value"] == "令和6年4月1日"
    assert form.inputs["f-temporal-end"]["value"] == "令和5年3月31日"
    assert form.inputs["f-contact-name"]["value"] == "消防本部 警防課"
    assert form.inputs["f-contact-email"]["value"] == "keibo@"
    assert form.inputs["f-contact-phone"]["value"] == "231-1111"
    assert form.inputs["f-tags"]["value"] == "AED,救命"
    assert "市内の AED の一覧です。" in response.text
    # The summary at the top links each message to its field.
    assert 'href="#f-contact-phone"' in response.text
    after = site.act("package_search", {"q": "*:*", "include_drafts": True, "rows": 0})["count"]
    assert after == before


def test_the_edit_form_shows_the_metadata_and_saves_changes(
    site: LiveServer, editor: Staff
) -> None:
    site.act(
        "package_create",
        {
            "name": "mf-edit",
            "title": "下関市 観光施設一覧",
            "owner_org": "mf-shimonoseki",
            "frequency": "annual",
            "spatial_codes": ["352012"],
            "standard_id": "tourism",
            "contact_phone": "083-231-1111",
        },
    )
    page = _parse(editor.get("/staff/dataset/mf-edit").text)
    assert page.selected["f-frequency"] == "annual"
    assert page.selected["f-standard"] == "tourism"
    assert page.inputs["f-area-1"]["value"] == "山口県下関市 352012"
    assert page.inputs["f-contact-phone"]["value"] == "083-231-1111"
    response = editor.post(
        "/staff/dataset/mf-edit/edit",
        {
            "title": "下関市 観光施設一覧",
            "name": "",  # emptied: the dataset keeps its name
            "owner_org": "mf-shimonoseki",
            "license_id": "cc-by-4.0",
            "frequency": "quarterly",
            "spatial_area": ["352021"],
            "spatial": "山口県下関市",
            "standard_id": "tourism",
            "contact_phone": "083-231-2222",
        },
    )
    assert response.status_code == 303, response.text
    shown = site.act("package_show", {"id": "mf-edit"})
    assert (shown["name"], shown["frequency"], shown["spatial_codes"]) == (
        "mf-edit",
        "quarterly",
        ["352021"],
    )
    assert shown["spatial"] == "山口県宇部市"  # the label followed the new area
    assert shown["contact_phone"] == "083-231-2222"


def test_a_flagged_old_frequency_asks_staff_to_choose(site: LiveServer, editor: Staff) -> None:
    site.act(
        "package_create",
        {"name": "mf-flagged", "title": "下関市 統計書", "owner_org": "mf-shimonoseki"},
    )
    # As migration 0006 leaves a frequency it could not map.
    with site.services.sessions() as session:
        session.execute(
            update(Dataset)
            .where(Dataset.name == "mf-flagged")
            .values(frequency="", frequency_unmapped="年3回", revision=bump_revision(session))
        )
        session.commit()
    assert site.act("package_show", {"id": "mf-flagged"})["frequency_unmapped"] == "年3回"
    page = editor.get("/staff/dataset/mf-flagged")
    form = _parse(page.text)
    assert "以前の入力「年3回」は一覧にないため" in page.text
    assert form.selected["f-frequency"] == ""
    assert "f-frequency-old" in str(form.inputs["f-frequency"]["aria-describedby"])
    found = site.act("package_search", {"fq": "frequency_unmapped:*", "include_drafts": True})
    assert "mf-flagged" in {p["name"] for p in found["results"]}
    response = editor.post(
        "/staff/dataset/mf-flagged/edit",
        {
            "title": "下関市 統計書",
            "name": "mf-flagged",
            "owner_org": "mf-shimonoseki",
            "license_id": "cc-by-4.0",
            "frequency": "annual",
        },
    )
    assert response.status_code == 303
    shown = site.act("package_show", {"id": "mf-flagged"})
    assert (shown["frequency"], shown["frequency_unmapped"]) == ("annual", "")


def test_the_public_page_describes_area_period_and_contact_in_json_ld(site: LiveServer) -> None:
    site.act(
        "package_create",
        {
            "name": "mf-jsonld",
            "title": "下関市 AED設置箇所一覧",
            "owner_org": "mf-shimonoseki",
            "spatial_codes": ["352012"],
            "temporal_start": "令和6年4月1日",
            "contact_name": "消防本部 警防課",
            "contact_phone": "083-231-1111",
        },
    )
    page = requests.get(f"{site.url}/dataset/mf-jsonld", timeout=30).text
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert found is not None
    data = json.loads(found.group(1))
    assert data["spatialCoverage"] == {
        "@type": "Place",
        "name": "山口県下関市",
        "identifier": {
            "@type": "PropertyValue",
            "propertyID": "全国地方公共団体コード",
            "value": "352012",
        },
    }
    assert data["temporalCoverage"] == "2024-04-01/.."
    assert data["creator"]["contactPoint"] == {
        "@type": "ContactPoint",
        "name": "消防本部 警防課",
        "telephone": "083-231-1111",
    }
