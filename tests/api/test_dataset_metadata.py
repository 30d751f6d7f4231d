"""Controlled dataset metadata through the unmodified ckanapi client, on SQLite and PostgreSQL:
更新頻度 codes, 対象地域 by 全国地方公共団体コード, temporal coverage typed in 和暦, the contact
point, the declared standard dataset, freshness (next_update_due) in search, and URL names
suggested from a Japanese title and checked."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import ckanapi
import pytest

from support.live_server import LiveServer

EU = "http://publications.europa.eu/resource/authority/frequency/"


def _tag(value: object) -> str:
    """A short name part that differs for every parameter."""
    return hashlib.sha1(str(value).encode()).hexdigest()[:10]


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> ckanapi.RemoteCKAN:
    ckan = server.ckan(server.make_user("md-admin", sysadmin=True))
    ckan.action.organization_create(
        name="md-shimonoseki", title="下関市", kind="municipality", local_gov_code="352012"
    )
    ckan.action.organization_create(name="md-other", title="その他の団体", kind="other")
    return ckan


@pytest.fixture(scope="module")
def editor(server: LiveServer, admin: ckanapi.RemoteCKAN) -> ckanapi.RemoteCKAN:
    token = server.make_user("md-editor")
    admin.action.organization_member_create(
        id="md-shimonoseki", username="md-editor", role="editor"
    )
    return server.ckan(token)


def _create(ckan: ckanapi.RemoteCKAN, name: str, **fields: Any) -> dict[str, Any]:
    return ckan.action.package_create(
        name=name, title="指定緊急避難場所一覧", owner_org="md-shimonoseki", **fields
    )


def _refused(ckan: ckanapi.RemoteCKAN, action: str, **data: Any) -> dict[str, Any]:
    with pytest.raises(ckanapi.ValidationError) as caught:
        getattr(ckan.action, action)(**data)
    return {k: v for k, v in caught.value.error_dict.items() if k != "__type"}


# -- 更新頻度 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "code", "label", "authority"),
    [
        ("monthly", "monthly", "毎月", "MONTHLY"),
        ("毎月", "monthly", "毎月", "MONTHLY"),
        ("月次", "monthly", "毎月", "MONTHLY"),
        ("年1回", "annual", "毎年", "ANNUAL"),
        ("毎年度", "annual", "毎年", "ANNUAL"),
        ("四半期", "quarterly", "四半期", "QUARTERLY"),
        ("半年", "semiannual", "半年", "ANNUAL_2"),
        ("毎週", "weekly", "毎週", "WEEKLY"),
        ("毎日", "daily", "毎日", "DAILY"),
        ("随時", "as_needed", "随時", "AS_NEEDED"),
        ("不定期", "irregular", "不定期", "IRREG"),
    ],
)
def test_frequency_is_stored_as_a_code_with_label_and_dcat_uri(
    admin: ckanapi.RemoteCKAN, given: str, code: str, label: str, authority: str
) -> None:
    pkg = _create(admin, f"md-freq-{_tag(given)}", frequency=given)
    shown = admin.action.package_show(id=pkg["id"])
    assert (shown["frequency"], shown["frequency_label"], shown["frequency_uri"]) == (
        code,
        label,
        EU + authority,
    )


def test_unknown_frequency_is_refused_naming_the_field(admin: ckanapi.RemoteCKAN) -> None:
    errors = _refused(
        admin,
        "package_create",
        name="md-freq-bad",
        title="x",
        owner_org="md-shimonoseki",
        frequency="年3回",
    )
    assert "年3回" in errors["frequency"][0] and "monthly（毎月）" in errors["frequency"][0]
    assert not admin.action.package_search(fq="name:md-freq-bad")["count"]


def test_frequency_can_be_filtered_and_is_kept_by_a_patch(admin: ckanapi.RemoteCKAN) -> None:
    _create(admin, "md-freq-filter", frequency="quarterly")
    patched = admin.action.package_patch(id="md-freq-filter", notes="説明を変更")
    assert patched["frequency"] == "quarterly"
    found = admin.action.package_search(fq="frequency:quarterly", rows=100)
    assert "md-freq-filter" in {p["name"] for p in found["results"]}
    cleared = admin.action.package_patch(id="md-freq-filter", frequency="")
    assert (cleared["frequency"], cleared["frequency_label"], cleared["frequency_uri"]) == (
        "",
        "",
        "",
    )


# -- 対象地域 ----------------------------------------------------------------------------------


def test_a_new_dataset_covers_its_organisations_area_by_default(
    editor: ckanapi.RemoteCKAN,
) -> None:
    pkg = _create(editor, "md-area-default")
    assert (pkg["spatial_codes"], pkg["spatial"]) == (["352012"], "山口県下関市")


def test_an_organisation_without_a_code_gives_no_default_area(admin: ckanapi.RemoteCKAN) -> None:
    pkg = admin.action.package_create(name="md-area-none", title="x", owner_org="md-other")
    assert (pkg["spatial_codes"], pkg["spatial"]) == ([], "")


def test_spatial_codes_give_the_label_and_are_searchable(editor: ckanapi.RemoteCKAN) -> None:
    pkg = _create(editor, "md-area-two", spatial_codes=["352012", "352021"])
    assert pkg["spatial_codes"] == ["352012", "352021"]
    assert pkg["spatial"] == "山口県下関市、山口県宇部市"
    found = editor.action.package_search(fq="spatial_codes:352021", include_private=True)
    assert [p["name"] for p in found["results"]] == ["md-area-two"]


def test_a_label_of_known_places_gives_their_codes(editor: ckanapi.RemoteCKAN) -> None:
    prefecture = _create(editor, "md-area-pref", spatial="山口県")
    assert prefecture["spatial_codes"] == ["350001"]
    custom = _create(editor, "md-area-custom", spatial="下関市彦島地区")
    assert (custom["spatial"], custom["spatial_codes"]) == ("下関市彦島地区", [])


def test_changing_the_codes_updates_a_derived_label_but_not_a_written_one(
    editor: ckanapi.RemoteCKAN,
) -> None:
    _create(editor, "md-area-follow")
    moved = editor.action.package_patch(id="md-area-follow", spatial_codes=["352039"])
    assert (moved["spatial_codes"], moved["spatial"]) == (["352039"], "山口県山口市")
    _create(editor, "md-area-written", spatial="関門海峡沿岸", spatial_codes=["352012"])
    kept = editor.action.package_patch(id="md-area-written", spatial_codes=["352021"])
    assert (kept["spatial_codes"], kept["spatial"]) == (["352021"], "関門海峡沿岸")


@pytest.mark.parametrize(
    ("codes", "wanted"),
    [
        (["352013"], "検査数字"),  # 下関市 with a wrong check digit
        (["35201"], "地域が見つかりません"),  # five digits
        (["999997"], "地域が見つかりません"),  # a valid check digit, but no such place
        ("352012", None),  # a string of codes is accepted too
    ],
)
def test_bad_spatial_codes_are_refused(
    editor: ckanapi.RemoteCKAN, codes: Any, wanted: str | None
) -> None:
    name = f"md-area-bad-{_tag(str(codes))}"
    if wanted is None:
        assert _create(editor, name, spatial_codes=codes)["spatial_codes"] == ["352012"]
        return
    errors = _refused(
        editor,
        "package_create",
        name=name,
        title="x",
        owner_org="md-shimonoseki",
        spatial_codes=codes,
    )
    assert wanted in errors["spatial_codes"][0]


# -- temporal coverage ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "iso"),
    [
        ("令和6年4月1日", "令和7年3月31日", ("2024-04-01", "2025-03-31")),
        ("R6.4.1", "R6.9.30", ("2024-04-01", "2024-09-30")),
        ("平成31年4月", "平成31年4月", ("2019-04-01", "2019-04-30")),
        ("令和6年度", "令和6年度", ("2024-04-01", "2025-03-31")),
        ("2024/4/1", "２０２４年１２月３１日", ("2024-04-01", "2024-12-31")),
    ],
)
def test_temporal_coverage_accepts_wareki(
    editor: ckanapi.RemoteCKAN, start: str, end: str, iso: tuple[str, str]
) -> None:
    name = f"md-time-{_tag(start)}"
    pkg = _create(editor, name, temporal_start=start, temporal_end=end)
    assert (pkg["temporal_start"], pkg["temporal_end"]) == iso


def test_reversed_dates_are_refused_on_the_end_date(editor: ckanapi.RemoteCKAN) -> None:
    errors = _refused(
        editor,
        "package_create",
        name="md-time-reversed",
        title="x",
        owner_org="md-shimonoseki",
        temporal_start="令和6年4月1日",
        temporal_end="2023-03-31",
    )
    assert list(errors) == ["temporal_end"] and "開始日" in errors["temporal_end"][0]


@pytest.mark.parametrize(
    ("field", "value", "wanted"),
    [
        ("temporal_start", "来年ごろ", "日付として読めません"),
        ("temporal_start", "平成31年5月1日", "平成の期間外"),
        ("temporal_end", "R6.2.30", "存在しない日付"),
    ],
)
def test_unreadable_dates_are_refused(
    editor: ckanapi.RemoteCKAN, field: str, value: str, wanted: str
) -> None:
    errors = _refused(
        editor,
        "package_create",
        name="md-time-bad",
        title="x",
        owner_org="md-shimonoseki",
        **{field: value},
    )
    assert wanted in errors[field][0]


# -- contact point and standard ------------------------------------------------------------


def test_contact_point_is_saved_and_returned(editor: ckanapi.RemoteCKAN) -> None:
    pkg = _create(
        editor,
        "md-contact",
        contact_name="総務部 デジタル推進課",
        contact_email="digital@city.shimonoseki.example.jp",
        contact_phone="０８３－２３１－１１１１　内線１２３",
    )
    shown = editor.action.package_show(id=pkg["id"])
    assert (shown["contact_name"], shown["contact_email"], shown["contact_phone"]) == (
        "総務部 デジタル推進課",
        "digital@city.shimonoseki.example.jp",
        "083-231-1111 内線123",
    )
    found = editor.action.package_search(q="デジタル推進課", include_private=True)
    assert "md-contact" in {p["name"] for p in found["results"]}


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"contact_email": "digital@"}, "contact_email"),
        ({"contact_email": "窓口まで"}, "contact_email"),
        ({"contact_phone": "231-1111"}, "contact_phone"),
        ({"contact_phone": "でんわ"}, "contact_phone"),
        ({"contact_phone": "083-231-11111"}, "contact_phone"),
    ],
)
def test_bad_contact_details_are_refused(
    editor: ckanapi.RemoteCKAN, fields: dict[str, str], bad: str
) -> None:
    errors = _refused(
        editor,
        "package_create",
        name="md-contact-bad",
        title="x",
        owner_org="md-shimonoseki",
        **fields,
    )
    assert list(errors) == [bad]


@pytest.mark.parametrize(
    "phone", ["090-1234-5678", "(083)231-1111", "+81-83-231-1111", "0120-123-456"]
)
def test_japanese_phone_formats_are_accepted(editor: ckanapi.RemoteCKAN, phone: str) -> None:
    pkg = _create(editor, f"md-phone-{_tag(phone)}", contact_phone=phone)
    assert pkg["contact_phone"] == phone


def test_standard_id_by_number_or_id_and_searchable(editor: ckanapi.RemoteCKAN) -> None:
    assert _create(editor, "md-std-number", standard_id="03")["standard_id"] == "evacuation_space"
    assert _create(editor, "md-std-id", standard_id="aed")["standard_id"] == "aed"
    found = editor.action.package_search(fq="standard_id:evacuation_space", include_private=True)
    assert [p["name"] for p in found["results"]] == ["md-std-number"]
    errors = _refused(
        editor,
        "package_create",
        name="md-std-bad",
        title="x",
        owner_org="md-shimonoseki",
        standard_id="99",
    )
    assert "「99」" in errors["standard_id"][0]


# -- freshness -----------------------------------------------------------------------------


def test_next_update_due_follows_the_newest_data_and_makes_overdue_an_fq_range(
    editor: ckanapi.RemoteCKAN,
) -> None:
    long_ago = datetime(2020, 1, 10, 9, 0)
    editor.action.package_create(
        name="md-fresh-overdue",
        title="月次の統計",
        owner_org="md-shimonoseki",
        frequency="monthly",
        resources=[
            {"url": "https://example.jp/2019-12.csv", "last_modified": long_ago.isoformat()}
        ],
    )
    overdue = editor.action.package_show(id="md-fresh-overdue")
    assert overdue["next_update_due"] == (long_ago + timedelta(days=45)).date().isoformat()
    fresh = _create(editor, "md-fresh-new", frequency="monthly")
    today = datetime.now(UTC).date()
    assert (
        fresh["next_update_due"] == (today + timedelta(days=45)).isoformat()
        or fresh["next_update_due"] == (today + timedelta(days=44)).isoformat()
    )
    unscheduled = _create(editor, "md-fresh-asneeded", frequency="随時")
    assert unscheduled["next_update_due"] is None

    found = editor.action.package_search(
        fq="next_update_due:[* TO NOW] AND organization:md-shimonoseki",
        include_private=True,
        rows=1000,
    )
    names = {p["name"] for p in found["results"]}
    assert "md-fresh-overdue" in names
    assert not names & {"md-fresh-new", "md-fresh-asneeded"}
    ordered = editor.action.package_search(
        fq="organization:md-shimonoseki", sort="next_update_due asc", rows=1
    )
    assert ordered["results"][0]["name"] == "md-fresh-overdue"

    # New data resets the clock.
    editor.action.resource_create(
        package_id="md-fresh-overdue", url="https://example.jp/2020-01.csv"
    )
    renewed = editor.action.package_show(id="md-fresh-overdue")
    assert renewed["next_update_due"] >= (today + timedelta(days=44)).isoformat()


# -- URL names ---------------------------------------------------------------------------


def test_a_name_is_suggested_from_a_japanese_title_and_kept_unique(
    editor: ckanapi.RemoteCKAN,
) -> None:
    title = "下関市 公衆トイレ一覧"
    first = editor.action.package_name_suggest(title=title)
    assert first == {"name": "shimonosekishi-koshu-toire-ichiran", "title": title}
    editor.action.package_create(name=first["name"], title=title, owner_org="md-shimonoseki")
    second = editor.action.package_name_suggest(title=title)["name"]
    assert second == "shimonosekishi-koshu-toire-ichiran-2"
    editor.action.package_create(name=second, title=title, owner_org="md-shimonoseki")
    assert editor.action.package_name_suggest(title=title)["name"].endswith("-3")
    # Editing the first, its own name is free.
    own = editor.action.package_name_suggest(title=title, id=first["name"])
    assert own["name"] == first["name"]


def test_the_organisation_name_goes_first_when_the_title_lacks_it(
    editor: ckanapi.RemoteCKAN,
) -> None:
    suggested = editor.action.package_name_suggest(
        title="AED設置箇所一覧", owner_org="md-shimonoseki"
    )
    assert suggested["name"] == "md-shimonoseki-aed-setchi-kasho-ichiran"
    errors = _refused(editor, "package_name_suggest", title="x", owner_org="no-such-org")
    assert "owner_org" in errors
    assert "title" in _refused(editor, "package_name_suggest", title="")


def test_name_check_says_whether_and_why(editor: ckanapi.RemoteCKAN) -> None:
    _create(editor, "md-name-taken")
    taken = editor.action.package_name_check(name="md-name-taken")
    assert (taken["valid"], taken["available"]) == (True, False)
    assert "既に使われています" in taken["reason"]
    assert taken["suggestion"] == "md-name-taken-2"
    free = editor.action.package_name_check(name="md-name-free")
    assert free == {
        "name": "md-name-free",
        "valid": True,
        "available": True,
        "reason": "",
        "suggestion": None,
    }
    bad = editor.action.package_name_check(name="避難所 List")
    assert (bad["valid"], bad["available"]) == (False, False)
    assert "半角英小文字" in bad["reason"] and bad["suggestion"] == "hinanjo-list"
    assert editor.action.package_name_check(name="md-name-taken", id="md-name-taken")["available"]


def test_name_actions_need_a_signed_in_user(server: LiveServer) -> None:
    anonymous = server.ckan()
    with pytest.raises(ckanapi.NotAuthorized):
        anonymous.action.package_name_suggest(title="避難所")
    with pytest.raises(ckanapi.NotAuthorized):
        anonymous.action.package_name_check(name="anything")


def test_a_private_datasets_name_is_reported_taken_but_nothing_else_leaks(
    server: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    admin.action.package_create(
        name="md-secret", title="非公開", owner_org="md-other", private=True
    )
    outsider = server.ckan(server.make_user("md-outsider"))
    checked = outsider.action.package_name_check(name="md-secret")
    assert set(checked) == {"name", "valid", "available", "reason", "suggestion"}
    assert checked["available"] is False
    with pytest.raises((ckanapi.NotFound, ckanapi.NotAuthorized)):
        outsider.action.package_show(id="md-secret")
