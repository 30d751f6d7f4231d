"""The 要対応 (needs attention) home over HTTP with ckanapi, on SQLite and PostgreSQL:
staff_attention_list and organization_attention_update.

One municipality (下関市) gets one dataset for each kind of item: a draft left for ten days, a
file whose ingest failed, a file with quality errors, a file the personal-data guard stops, a
monthly dataset with no new data for years, a dataset rated below the organisation's minimum,
and standard datasets it does not publish (one of them started as a private dataset). A second
municipality (萩市) has items of its own that 下関市's staff must never see.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import ckanapi
import pytest

from support.attention_items import (
    BROKEN_CSV,
    CLEAN_CSV,
    KINDS,
    PII_CSV,
    dataset,
    ingested,
    make_items,
    scanned,
    upload,
)
from support.live_server import LiveServer
from support.uploads import Upload
from tsunagu.quality.standards import list_standards

SHIMONOSEKI, HAGI = "at-shimonoseki", "at-hagi"


@dataclass
class World:
    server: LiveServer
    tokens: dict[str, str]
    names: dict[str, str]  # kind → the 下関市 dataset made for it
    hagi: dict[str, str]  # kind → the 萩市 dataset made for it
    resources: dict[str, str]  # kind → the file the item is about

    def ckan(self, who: str | None) -> ckanapi.RemoteCKAN:
        return self.server.ckan(self.tokens.get(who or ""))

    def act(self, name: str, data: dict[str, Any]) -> Any:
        return self.server.act(name, data)


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    tokens = {"sysadmin": server.make_user("at-sysadmin", sysadmin=True)}
    server.act(
        "organization_create",
        {
            "name": SHIMONOSEKI,
            "title": "下関市",
            "kind": "municipality",
            "local_gov_code": "352012",
        },
    )
    server.act(
        "organization_create",
        {"name": HAGI, "title": "萩市", "kind": "municipality", "local_gov_code": "352047"},
    )
    server.act("organization_create", {"name": "at-dept", "title": "県 防災危機管理課"})
    for user, org, role in (
        ("at-admin", SHIMONOSEKI, "admin"),
        ("at-editor", SHIMONOSEKI, "editor"),
        ("at-member", SHIMONOSEKI, "member"),
        ("at-hagi-editor", HAGI, "editor"),
    ):
        tokens[user] = server.make_user(user)
        server.act("organization_member_create", {"id": org, "username": user, "role": role})
    tokens["at-nobody"] = server.make_user("at-nobody")

    made = make_items(server, SHIMONOSEKI, "at-s")
    names, files = made.names, made.files
    hagi = make_items(server, HAGI, "at-h").names
    # Covered standards: 下関市 publishes 避難場所 (declared); a fresh draft is no item.
    names["published_standard"] = dataset(server, SHIMONOSEKI, "at-s-evac", standard_id="03")
    names["private_standard"] = dataset(
        server, SHIMONOSEKI, "at-s-aed", standard_id="aed", private=True
    )
    names["fresh_draft"] = dataset(server, SHIMONOSEKI, "at-s-fresh", state="draft")
    for org in (SHIMONOSEKI, HAGI):
        server.act("organization_attention_update", {"id": org, "min_stars": 3})
    return World(server, tokens, names, hagi, files)


def _attention(world: World, who: str, **params: Any) -> dict[str, Any]:
    return dict(world.ckan(who).action.staff_attention_list(**params))


def _line(result: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(line for line in result["lines"] if line["kind"] == kind)


def _datasets(line: dict[str, Any]) -> set[str]:
    return {item["dataset"] for item in line["items"] if item["dataset"]}


def _all_datasets(result: dict[str, Any]) -> set[str]:
    return {name for line in result["lines"] for name in _datasets(line)}


# -- each source ---------------------------------------------------------------------------


def test_every_kind_is_listed_for_the_organisation(world: World) -> None:
    result = _attention(world, "at-admin", organization=SHIMONOSEKI, limit=50)
    assert [line["kind"] for line in result["lines"]] == list(KINDS)
    assert result["everything"] is False
    for kind in KINDS[:-1]:
        line = _line(result, kind)
        assert world.names[kind] in _datasets(line), (kind, line)
        assert _datasets(line) <= set(world.names.values())
        assert line["by_organization"] == {SHIMONOSEKI: line["count"]}
    # The file whose ingest failed cannot be read by the check either: it has errors too.
    assert _datasets(_line(result, "quality_errors")) == {
        world.names["quality_errors"],
        world.names["ingest_errors"],
    }
    for kind in ("personal_data", "ingest_errors", "stale_drafts", "overdue"):
        assert _datasets(_line(result, kind)) == {world.names[kind]}, kind
    assert result["total"] == sum(line["count"] for line in result["lines"])
    assert result["organizations"][0]["name"] == SHIMONOSEKI
    assert result["organizations"][0]["count"] == result["total"]


def test_stale_drafts_are_those_untouched_for_a_week(world: World) -> None:
    line = _line(_attention(world, "at-editor", organization=SHIMONOSEKI), "stale_drafts")
    (item,) = line["items"]
    assert item["dataset"] == world.names["stale_drafts"]
    assert world.names["fresh_draft"] not in _datasets(line)
    assert item["params"]["days"] == 10
    assert item["detail"] == item["message"].format(**item["params"])
    assert item["link"] == f"/staff/dataset/{world.names['stale_drafts']}#publish-heading"
    assert (
        line["more"]
        == f"/staff/datasets?state=draft&sort=modified&dir=asc&organization={SHIMONOSEKI}"
    )


def test_a_failed_ingest_names_the_file_and_the_error(world: World) -> None:
    (item,) = _line(_attention(world, "at-editor", organization=SHIMONOSEKI), "ingest_errors")[
        "items"
    ]
    resource = world.resources["ingest_errors"]
    assert item["resource_id"] == resource
    assert item["params"]["file"] == "broken.csv"
    assert "12人" in item["detail"]
    assert item["link"] == f"/staff/dataset/{world.names['ingest_errors']}#resource-{resource}"


def test_a_successful_reingest_clears_the_failure(world: World) -> None:
    name = dataset(world.server, SHIMONOSEKI, "at-s-reingest")
    resource = upload(world.server, name, "broken.csv", BROKEN_CSV)
    assert ingested(world.server, resource) == "error"
    line = _line(
        _attention(world, "at-editor", organization=SHIMONOSEKI, limit=50), "ingest_errors"
    )
    assert name in _datasets(line)

    world.act(
        "resource_patch",
        {"id": resource, "upload": Upload("fixed.csv", io.BytesIO(CLEAN_CSV))},
    )
    assert ingested(world.server, resource) == "complete"
    line = _line(
        _attention(world, "at-editor", organization=SHIMONOSEKI, limit=50), "ingest_errors"
    )
    assert name not in _datasets(line)
    world.act("package_delete", {"id": name})


def test_quality_errors_link_to_the_files_report(world: World) -> None:
    line = _line(_attention(world, "at-member", organization=SHIMONOSEKI), "quality_errors")
    item = next(i for i in line["items"] if i["dataset"] == world.names["quality_errors"])
    resource = world.resources["quality_errors"]
    assert item["params"] == {"file": "points.csv", "errors": 1}
    assert item["link"] == f"/staff/dataset/{world.names['quality_errors']}#q-{resource}"


def test_personal_data_links_admins_to_the_override_form(world: World) -> None:
    resource = world.resources["personal_data"]
    name = world.names["personal_data"]
    (admin_item,) = _line(_attention(world, "at-admin", organization=SHIMONOSEKI), "personal_data")[
        "items"
    ]
    assert admin_item["link"] == f"/staff/dataset/{name}#pii-reason-{resource}"
    (editor_item,) = _line(
        _attention(world, "at-editor", organization=SHIMONOSEKI), "personal_data"
    )["items"]
    assert editor_item["link"] == f"/staff/dataset/{name}#q-{resource}"
    assert "meibo.csv" in editor_item["detail"]


def test_an_override_takes_the_file_off_the_list(world: World) -> None:
    name = dataset(world.server, SHIMONOSEKI, "at-s-pii-ok", private=True)
    resource = upload(world.server, name, "meibo.csv", PII_CSV)
    ingested(world.server, resource)
    scanned(world.server, resource)
    assert name in _datasets(
        _line(_attention(world, "at-admin", organization=SHIMONOSEKI, limit=50), "personal_data")
    )
    world.ckan("at-admin").action.resource_pii_override(id=resource, reason="公開済みの名簿です")
    assert name not in _datasets(
        _line(_attention(world, "at-admin", organization=SHIMONOSEKI, limit=50), "personal_data")
    )
    world.act("package_delete", {"id": name})


def test_overdue_data_links_to_where_a_new_file_goes(world: World) -> None:
    (item,) = _line(_attention(world, "at-editor", organization=SHIMONOSEKI), "overdue")["items"]
    assert item["dataset"] == world.names["overdue"]
    assert item["params"]["frequency"] == "毎月"
    assert item["params"]["days"] >= 400 - 45 - 1
    # A linked file: the new month is added as a new file.
    assert item["link"] == f"/staff/dataset/{world.names['overdue']}#upload-heading"


def test_low_rating_follows_the_organisations_minimum(world: World) -> None:
    ckan = world.ckan("at-admin")
    line = _line(_attention(world, "at-admin", organization=SHIMONOSEKI, limit=50), "low_rating")
    assert world.names["low_rating"] in _datasets(line)
    item = next(i for i in line["items"] if i["dataset"] == world.names["low_rating"])
    assert item["params"] == {"stars": 1, "score": 8, "min_stars": 3, "min_score": 0}
    assert item["link"].startswith(f"/staff/dataset/{world.names['low_rating']}#resource-")
    # A score minimum alone lists by score; a clean CSV (★3, 8×3 + 60 = 84) stays off it.
    ckan.action.organization_attention_update(id=SHIMONOSEKI, min_stars=0, min_score=50)
    try:
        line = _line(
            _attention(world, "at-admin", organization=SHIMONOSEKI, limit=50), "low_rating"
        )
        assert world.names["low_rating"] in _datasets(line)
        assert world.names["published_standard"] not in _datasets(line)
        ckan.action.organization_attention_update(id=SHIMONOSEKI, min_score=0)
        kinds = [
            line["kind"]
            for line in _attention(world, "at-admin", organization=SHIMONOSEKI)["lines"]
        ]
        assert "low_rating" not in kinds  # no minimum: no such line
    finally:
        ckan.action.organization_attention_update(id=SHIMONOSEKI, min_stars=3, min_score=0)


def test_missing_standards_are_the_municipalitys_gaps(world: World) -> None:
    line = _line(
        _attention(world, "at-admin", organization=SHIMONOSEKI, limit=50), "missing_standards"
    )
    titles = {item["title"] for item in line["items"]}
    standards = list_standards()
    assert line["count"] == len(standards) - 1  # 避難場所 is published
    assert "03 指定緊急避難場所" not in titles
    aed = next(item for item in line["items"] if item["title"] == "08 AED設置箇所")
    # Started as a private dataset: publishing it closes the gap.
    assert aed["dataset"] == world.names["private_standard"]
    assert aed["link"] == f"/staff/dataset/{world.names['private_standard']}#publish-heading"
    toilet = next(item for item in line["items"] if "公衆トイレ" in item["title"])
    assert toilet["dataset"] is None
    assert toilet["link"].startswith("/staff/dataset/new?owner_org=at-shimonoseki&standard_id=")


def test_an_organisation_that_is_not_a_municipality_has_no_standards_line(world: World) -> None:
    result = _attention(world, "sysadmin", organization="at-dept")
    kinds = [line["kind"] for line in result["lines"]]
    assert "missing_standards" not in kinds
    assert "low_rating" not in kinds
    assert result["total"] == 0


# -- scopes and rights -------------------------------------------------------------------------


def test_a_sysadmin_sees_the_whole_prefecture(world: World) -> None:
    result = _attention(world, "sysadmin", limit=50)
    assert result["everything"] is True
    assert {o["name"] for o in result["organizations"]} >= {SHIMONOSEKI, HAGI, "at-dept"}
    for kind in KINDS[:-1]:
        line = _line(result, kind)
        assert {world.names[kind], world.hagi[kind]} <= _datasets(line), kind
        assert line["by_organization"][HAGI] >= 1
    assert _line(result, "missing_standards")["by_organization"][HAGI] == len(list_standards())
    # Per organisation: the prefecture's code order, 下関市 (352012) before 萩市 (352047).
    names = [o["name"] for o in result["organizations"]]
    assert names.index(SHIMONOSEKI) < names.index(HAGI)


def test_without_an_organisation_staff_see_all_of_theirs_and_nothing_else(world: World) -> None:
    result = _attention(world, "at-editor", limit=50)
    assert result["everything"] is False
    assert [o["name"] for o in result["organizations"]] == [SHIMONOSEKI]
    shown = _all_datasets(result)
    assert set(world.hagi.values()).isdisjoint(shown)
    assert world.names["stale_drafts"] in shown
    for line in result["lines"]:
        assert set(line["by_organization"]) <= {SHIMONOSEKI}


def test_another_municipalitys_staff_never_see_its_private_items(world: World) -> None:
    result = _attention(world, "at-hagi-editor", limit=50)
    shown = _all_datasets(result)
    assert set(world.names.values()).isdisjoint(shown)
    assert world.hagi["personal_data"] in shown
    for line in result["lines"]:
        assert SHIMONOSEKI not in line["by_organization"]
    with pytest.raises(ckanapi.NotAuthorized):
        world.ckan("at-hagi-editor").action.staff_attention_list(organization=SHIMONOSEKI)


def test_members_see_private_items_but_not_drafts(world: World) -> None:
    result = _attention(world, "at-member", organization=SHIMONOSEKI, limit=50)
    assert _line(result, "stale_drafts")["count"] == 0
    assert _line(result, "personal_data")["count"] == 1  # a private dataset: members read it
    assert _line(result, "ingest_errors")["count"] == 1


def test_a_user_without_organisations_gets_empty_lines(world: World) -> None:
    result = _attention(world, "at-nobody", limit=50)
    assert result["organizations"] == []
    assert result["total"] == 0
    assert _all_datasets(result) == set()


def test_anonymous_callers_are_refused(world: World) -> None:
    with pytest.raises(ckanapi.NotAuthorized):
        world.ckan(None).action.staff_attention_list()


def test_unknown_organisation_and_bad_limits(world: World) -> None:
    with pytest.raises(ckanapi.NotFound):
        world.ckan("sysadmin").action.staff_attention_list(organization="at-no-such-org")
    with pytest.raises(ckanapi.ValidationError) as refused:
        world.ckan("sysadmin").action.staff_attention_list(limit=-1)
    assert "limit" in refused.value.error_dict
    counts_only = _attention(world, "at-admin", organization=SHIMONOSEKI, limit=0)
    assert all(line["items"] == [] for line in counts_only["lines"])
    assert _line(counts_only, "personal_data")["count"] == 1
    one = _attention(world, "at-admin", organization=SHIMONOSEKI, limit=1)
    assert len(_line(one, "missing_standards")["items"]) == 1
    assert _line(one, "missing_standards")["count"] == len(list_standards()) - 1


# -- the organisation's minimums -----------------------------------------------------------------


def test_only_admins_set_the_minimums(world: World) -> None:
    with pytest.raises(ckanapi.NotAuthorized):
        world.ckan("at-editor").action.organization_attention_update(id=SHIMONOSEKI, min_stars=1)
    with pytest.raises(ckanapi.NotAuthorized):
        world.ckan("at-hagi-editor").action.organization_attention_update(
            id=SHIMONOSEKI, min_stars=1
        )
    with pytest.raises(ckanapi.NotAuthorized):
        world.ckan(None).action.organization_attention_update(id=SHIMONOSEKI, min_stars=1)
    shown = _attention(world, "at-admin", organization=SHIMONOSEKI)["organizations"][0]
    assert (shown["min_stars"], shown["min_score"]) == (3, 0)
    answer = world.ckan("sysadmin").action.organization_attention_update(
        id=SHIMONOSEKI, min_score=40
    )
    assert answer == {"organization": SHIMONOSEKI, "min_stars": 3, "min_score": 40}
    world.ckan("at-admin").action.organization_attention_update(id=SHIMONOSEKI, min_score="0")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"min_stars": 6}, "min_stars"),
        ({"min_stars": -1}, "min_stars"),
        ({"min_score": 101}, "min_score"),
        ({"min_score": "たくさん"}, "min_score"),
        ({}, "min_stars"),
    ],
)
def test_minimums_out_of_range_are_refused(
    world: World, values: dict[str, Any], field: str
) -> None:
    with pytest.raises(ckanapi.ValidationError) as refused:
        world.ckan("at-admin").action.organization_attention_update(id=SHIMONOSEKI, **values)
    assert field in refused.value.error_dict
    shown = _attention(world, "at-admin", organization=SHIMONOSEKI)["organizations"][0]
    assert (shown["min_stars"], shown["min_score"]) == (3, 0)


def test_minimums_of_an_unknown_organisation(world: World) -> None:
    with pytest.raises(ckanapi.NotFound):
        world.ckan("sysadmin").action.organization_attention_update(id="at-nowhere", min_stars=1)
