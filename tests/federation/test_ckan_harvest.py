"""Harvesting a second Tsunagu server over real HTTP as a CKAN source: a full harvest, then
changes, additions, renames and deletions there followed by incremental harvests; the full id
comparison withdraws what was deleted once the source's grace period is over; resource ids
and datastore tables survive; names stay stable and unique across sources; harvested datasets
are read-only here except what the source hands to staff. The harvesting server runs on
SQLite and PostgreSQL; the remote one on SQLite."""

from __future__ import annotations

import io
import itertools
import logging
from collections.abc import Iterator
from typing import Any

import ckanapi
import pytest
import requests
from sqlalchemy import func, select

from support.harvest import extras_of, harvest, harvesting_server
from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.datastore.models import IngestJob

_serial = itertools.count(1)
CSV = "名称,定員\n中央公民館,120\n北公民館,80\n".encode()


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(data_dir=tmp_path_factory.mktemp("remote")).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def remote_admin(remote: LiveServer) -> ckanapi.RemoteCKAN:
    return remote.ckan(remote.make_user("remote-admin", sysadmin=True))


@pytest.fixture(scope="module")
def local(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = harvesting_server(backend, tmp_path_factory.mktemp(f"local-{backend}"))
    yield live
    live.stop()


@pytest.fixture(scope="module")
def admin(local: LiveServer) -> ckanapi.RemoteCKAN:
    return local.ckan(local.make_user("local-admin", sysadmin=True))


def remote_city(remote: LiveServer, count: int = 3) -> str:
    """A new organisation on the remote server with `count` datasets named {org}-0 … ."""
    org = f"city-{next(_serial)}"
    remote.act("organization_create", {"name": org, "title": "下関市"})
    for n in range(count):
        remote.act("package_create", dataset(org, n))
    return org


def dataset(org: str, n: int, **changes: Any) -> dict[str, Any]:
    return {
        "name": f"{org}-{n}",
        "title": f"指定緊急避難場所一覧 その{n}",
        "owner_org": org,
        "notes": "市内の**指定緊急避難場所**です。",
        "license_id": "cc-by",
        "maintainer": "防災危機管理課",
        "maintainer_email": "bousai@city.example.jp",
        "tags": [{"name": "防災"}, {"name": "避難所"}],
        "extras": [{"key": "更新担当", "value": "防災危機管理課"}],
        "resources": [
            {"url": f"https://files.example.jp/{org}/{n}.pdf", "name": "一覧表", "format": "PDF"}
        ],
        **changes,
    }


def local_org(local: LiveServer) -> str:
    org = f"pref-{next(_serial)}"
    local.act("organization_create", {"name": org, "title": "山口県"})
    return org


def ckan_source(
    admin: ckanapi.RemoteCKAN, remote: LiveServer, remote_org: str, owner: str, **config: Any
) -> str:
    name = f"src-{next(_serial)}"
    admin.action.harvest_source_create(
        name=name,
        title="下関市オープンデータ",
        url=remote.url,
        source_type="ckan",
        owner_org=owner,
        config={
            "organizations_filter_include": [remote_org],
            "withdraw_after_days": 0,
            "id_check_hours": 0,
            **config,
        },
    )
    return name


def by_remote_name(admin: ckanapi.RemoteCKAN, owner: str) -> dict[str, dict[str, Any]]:
    """The organisation's datasets here (private ones too), by the name they have remotely."""
    found = admin.action.package_search(
        fq=f"organization:{owner}", rows=1000, include_private=True
    )["results"]
    return {extras_of(p)["harvest_original_url"].rsplit("/", 1)[-1]: p for p in found}


def test_a_full_harvest_copies_the_remote_datasets(
    remote: LiveServer, local: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    city = remote_city(remote)
    owner = local_org(local)
    source = ckan_source(admin, remote, city, owner)
    job = harvest(admin, source)
    assert job["job_status"] == "complete" and job["status"] == "Finished"
    assert job["mode"] == "full" and job["listed"] is True
    assert job["counts"] == {"added": 3, "updated": 0, "unchanged": 0, "withdrawn": 0, "errored": 0}
    assert job["stats"]["added"] == 3  # ckanext-harvest's name for the counts
    found = by_remote_name(admin, owner)
    assert sorted(found) == [f"{city}-{n}" for n in range(3)]
    made = found[f"{city}-1"]
    remote_made = remote.act("package_show", {"id": f"{city}-1"})
    assert made["name"] == f"{city}-1"  # the source's name, free here
    assert made["title"] == "指定緊急避難場所一覧 その1"
    assert made["notes"] == "市内の**指定緊急避難場所**です。"
    assert made["organization"]["name"] == owner
    assert made["license_id"] == "cc-by-4.0"
    assert made["maintainer"] == "防災危機管理課"
    assert sorted(t["name"] for t in made["tags"]) == ["避難所", "防災"]
    extras = extras_of(made)
    source_dict = admin.action.harvest_source_show(id=source)
    assert extras["更新担当"] == "防災危機管理課"
    assert extras["harvest_source_id"] == source_dict["id"]
    assert extras["harvest_source_title"] == "下関市オープンデータ"
    assert extras["harvest_source_url"] == remote.url
    assert extras["harvest_original_url"] == f"{remote.url}/dataset/{city}-1"
    assert extras["harvest_object_id"]
    assert [r["url"] for r in made["resources"]] == [remote_made["resources"][0]["url"]]
    assert made["id"] != remote_made["id"]
    shown = admin.action.harvest_source_show(id=source)
    assert shown["status"]["job_count"] == 1
    assert shown["status"]["last_job"]["id"] == job["id"]
    status = admin.action.harvest_source_show_status(id=source)  # ckanext-harvest's summary
    assert (status["job_count"], status["total_datasets"]) == (1, 3)


def test_incremental_harvests_follow_changes_additions_renames_and_deletions(
    remote: LiveServer, local: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    city = remote_city(remote)
    owner = local_org(local)
    source = ckan_source(admin, remote, city, owner)
    harvest(admin, source)
    before = by_remote_name(admin, owner)

    remote.act("package_patch", {"id": f"{city}-0", "title": "指定緊急避難場所一覧（改訂）"})
    remote.act("package_create", dataset(city, 3, title="AED設置場所一覧"))
    remote.act("package_patch", {"id": f"{city}-1", "name": f"{city}-renamed"})
    remote.act("package_delete", {"id": f"{city}-2"})
    job = harvest(admin, source)
    assert job["mode"] == "incremental" and job["job_status"] == "complete"
    assert job["counts"] == {"added": 1, "updated": 2, "unchanged": 0, "withdrawn": 1, "errored": 0}
    after = by_remote_name(admin, owner)
    assert after[f"{city}-0"]["title"] == "指定緊急避難場所一覧（改訂）"
    assert after[f"{city}-0"]["id"] == before[f"{city}-0"]["id"]
    assert after[f"{city}-3"]["title"] == "AED設置場所一覧"
    renamed = after[f"{city}-renamed"]
    assert (renamed["id"], renamed["name"]) == (before[f"{city}-1"]["id"], f"{city}-1")
    withdrawn = after[f"{city}-2"]
    assert withdrawn["private"] is True and withdrawn["state"] == "active"  # not deleted
    anonymous = local.ckan()
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.package_show(id=withdrawn["id"])

    # Nothing changed at the source: nothing is written.
    again = harvest(admin, source)
    assert again["counts"]["added"] + again["counts"]["updated"] == 0

    # It comes back if it reappears at the source.
    remote.act("package_patch", {"id": f"{city}-2", "state": "active"})
    back = harvest(admin, source)
    assert back["counts"]["updated"] == 1
    assert by_remote_name(admin, owner)[f"{city}-2"]["private"] is False
    assert anonymous.action.package_show(id=withdrawn["id"])["title"] == withdrawn["title"]


def test_a_deleted_dataset_is_withdrawn_only_after_the_grace_period(
    remote: LiveServer, local: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    city = remote_city(remote, 2)
    owner = local_org(local)
    source = ckan_source(admin, remote, city, owner, withdraw_after_days=7)
    harvest(admin, source)
    remote.act("package_delete", {"id": f"{city}-1"})
    job = harvest(admin, source)
    assert job["counts"]["withdrawn"] == 0
    assert by_remote_name(admin, owner)[f"{city}-1"]["private"] is False
    admin.action.harvest_source_patch(
        id=source,
        config={
            "organizations_filter_include": [city],
            "withdraw_after_days": 0,
            "id_check_hours": 0,
        },
    )
    assert harvest(admin, source)["counts"]["withdrawn"] == 1


def test_filters_by_organisation_and_tag(
    remote: LiveServer, local: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    city, other = remote_city(remote, 2), remote_city(remote, 1)
    remote.act("package_patch", {"id": f"{city}-1", "tags": [{"name": "観光"}]})
    owner = local_org(local)
    source = ckan_source(admin, remote, city, owner, tags_filter_include=["防災"])
    job = harvest(admin, source)
    assert job["counts"]["added"] == 1
    assert sorted(by_remote_name(admin, owner)) == [f"{city}-0"]
    assert other not in str(by_remote_name(admin, owner))


def test_names_stay_unique_across_sources_and_stable_across_runs(
    remote: LiveServer, local: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    city = remote_city(remote, 1)
    first_owner, second_owner = local_org(local), local_org(local)
    first = ckan_source(admin, remote, city, first_owner)
    second_url_source = f"src-{next(_serial)}"
    admin.action.harvest_source_create(
        name=second_url_source,
        url=remote.url + "/api/3/action",  # the same site, named by its API address
        source_type="ckan",
        owner_org=second_owner,
        config={"organizations_filter_include": [city]},
    )
    harvest(admin, first)
    harvest(admin, second_url_source)
    [one] = by_remote_name(admin, first_owner).values()
    [two] = by_remote_name(admin, second_owner).values()
    assert one["name"] == f"{city}-0"
    assert two["name"] == f"{second_owner}-{city}-0"
    remote.act("package_patch", {"id": f"{city}-0", "title": "名前は変わらない"})
    harvest(admin, second_url_source, full=True)
    [two_again] = by_remote_name(admin, second_owner).values()
    assert (two_again["name"], two_again["title"]) == (two["name"], "名前は変わらない")


def test_resource_ids_and_datastore_tables_survive_a_reharvest(
    remote: LiveServer,
    remote_admin: ckanapi.RemoteCKAN,
    local: LiveServer,
    admin: ckanapi.RemoteCKAN,
) -> None:
    city = remote_city(remote, 0)
    remote.act("package_create", dataset(city, 0, resources=[]))
    remote_admin.action.resource_create(
        package_id=f"{city}-0",
        name="公民館一覧",
        format="CSV",
        upload=("kouminkan.csv", io.BytesIO(CSV)),
    )
    owner = local_org(local)
    source = ckan_source(admin, remote, city, owner)
    harvest(admin, source)
    [made] = by_remote_name(admin, owner).values()
    [resource] = made["resources"]

    def ingests() -> int:
        with local.services.sessions() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(IngestJob)
                    .where(IngestJob.resource_id == resource["id"])
                )
                or 0
            )

    def rows() -> int:
        return len(admin.action.datastore_search(resource_id=resource["id"])["records"])

    wait_until(
        lambda: admin.action.package_show(id=made["id"])["resources"][0],
        "the linked file's table",
        until=lambda r: r["datastore_active"],
    )
    assert rows() == 2 and ingests() == 1

    remote.act("package_patch", {"id": f"{city}-0", "title": "公民館（題名だけ変更）"})
    assert harvest(admin, source)["counts"]["updated"] == 1
    [again] = by_remote_name(admin, owner).values()
    assert again["title"] == "公民館（題名だけ変更）"
    assert [r["id"] for r in again["resources"]] == [resource["id"]]
    assert ingests() == 1  # the same file: its table is not loaded again

    remote_resource = remote.act("package_show", {"id": f"{city}-0"})["resources"][0]
    remote_admin.action.resource_patch(
        id=remote_resource["id"],
        upload=("kouminkan.csv", io.BytesIO(CSV + "南公民館,60\n".encode())),
    )
    assert harvest(admin, source)["counts"]["updated"] == 1
    wait_until(rows, "the new file's table", until=lambda n: n == 3)
    assert ingests() == 2
    assert [r["id"] for r in by_remote_name(admin, owner)[f"{city}-0"]["resources"]] == [
        resource["id"]
    ]


def test_harvested_datasets_are_read_only_except_what_the_source_allows(
    remote: LiveServer, local: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    city = remote_city(remote, 1)
    owner = local_org(local)
    source = ckan_source(admin, remote, city, owner, local_fields=["notes"])
    harvest(admin, source)
    [made] = by_remote_name(admin, owner).values()
    staff = local.ckan(local.make_user(f"staff-{next(_serial)}"))
    local.act(
        "organization_member_create",
        {"id": owner, "username": staff_name(local, staff), "role": "admin"},
    )
    for change in (
        {"title": "ここで変えた題名"},
        {"tags": [{"name": "独自"}]},
        {"name": "renamed-here"},
    ):
        with pytest.raises(ckanapi.ValidationError) as refused:
            staff.action.package_patch(id=made["id"], **change)
        assert "収集元で変更してください" in str(refused.value.error_dict)
    with pytest.raises(ckanapi.ValidationError):
        staff.action.resource_create(package_id=made["id"], url="https://example.jp/x.csv")
    # What the source lets staff keep, what no source gives, and publishing decisions.
    local.act("group_create", {"name": f"bousai-{owner}", "title": "防災"})
    staff.action.package_patch(
        id=made["id"],
        notes="県の補足説明",
        groups=[{"name": f"bousai-{owner}"}],
        extras=[*made["extras"], {"key": "県の分類", "value": "防災"}],
    )
    remote.act(
        "package_patch", {"id": f"{city}-0", "notes": "市が書き換えた説明", "title": "新しい題名"}
    )
    assert harvest(admin, source)["counts"]["updated"] == 1
    now = admin.action.package_show(id=made["id"])
    assert now["title"] == "新しい題名"
    assert now["notes"] == "県の補足説明"
    assert [g["name"] for g in now["groups"]] == [f"bousai-{owner}"]
    assert extras_of(now)["県の分類"] == "防災"
    staff.action.package_patch(id=made["id"], private=True)
    assert admin.action.package_show(id=made["id"])["private"] is True
    # A deleted source lets go: its datasets become ordinary ones.
    admin.action.harvest_source_delete(id=source)
    assert staff.action.package_patch(id=made["id"], title="県で管理")["title"] == "県で管理"


def staff_name(local: LiveServer, staff: ckanapi.RemoteCKAN) -> str:
    return str(staff.action.user_show()["name"])


def test_the_dataset_page_says_where_it_was_harvested_from(
    remote: LiveServer, local: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    city = remote_city(remote, 1)
    owner = local_org(local)
    harvest(admin, ckan_source(admin, remote, city, owner))
    [made] = by_remote_name(admin, owner).values()
    page = requests.get(f"{local.url}/dataset/{made['name']}", timeout=10)
    assert page.status_code == 200
    assert f'<a href="{remote.url}/dataset/{city}-0">下関市オープンデータから収集</a>' in page.text


def test_private_remote_datasets_are_read_with_a_key_that_is_never_shown_or_logged(
    remote: LiveServer,
    local: LiveServer,
    admin: ckanapi.RemoteCKAN,
    caplog: pytest.LogCaptureFixture,
) -> None:
    city = remote_city(remote, 1)
    remote.act("package_create", dataset(city, 1, private=True, title="内部向け一覧"))
    key = remote.make_user(f"reader-{next(_serial)}")
    reader = remote.ckan(key).action.user_show()["name"]
    remote.act("organization_member_create", {"id": city, "username": reader, "role": "member"})
    owner = local_org(local)
    without_key = ckan_source(admin, remote, city, owner)
    assert harvest(admin, without_key)["counts"]["added"] == 1
    admin.action.harvest_source_delete(id=without_key)

    owner = local_org(local)
    caplog.set_level(logging.DEBUG)
    source = ckan_source(admin, remote, city, owner)
    shown = admin.action.harvest_source_patch(id=source, api_key=key)
    job = harvest(admin, source)
    assert job["counts"]["added"] == 2
    found = by_remote_name(admin, owner)
    assert found[f"{city}-1"]["private"] is True and found[f"{city}-0"]["private"] is False
    everything = str(
        [
            shown,
            admin.action.harvest_source_show(id=source),
            admin.action.harvest_source_list(),
            admin.action.harvest_job_show(id=job["id"]),
            admin.action.harvest_job_list(source_id=source),
        ]
    )
    assert key not in everything and key not in caplog.text
    assert shown["api_key"] == "********" + key[-4:]
    page = requests.get(
        f"{local.url}/api/3/action/harvest_source_show",
        params={"id": source},
        headers={"Authorization": admin.apikey},
        timeout=10,
    )
    assert key not in page.text


def test_a_source_made_again_takes_over_its_datasets_instead_of_copying_them(
    remote: LiveServer, local: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    city = remote_city(remote, 2)
    owner = local_org(local)
    first = ckan_source(admin, remote, city, owner)
    harvest(admin, first)
    before = by_remote_name(admin, owner)
    admin.action.harvest_source_delete(id=first)
    again = ckan_source(admin, remote, city, owner)  # the same URL and settings, a new source
    job = harvest(admin, again)
    assert (job["counts"]["added"], job["counts"]["updated"]) == (0, 2)
    after = by_remote_name(admin, owner)
    assert {k: (v["id"], v["name"]) for k, v in after.items()} == {
        k: (v["id"], v["name"]) for k, v in before.items()
    }
    new_id = admin.action.harvest_source_show(id=again)["id"]
    assert {extras_of(p)["harvest_source_id"] for p in after.values()} == {new_id}
    # Read-only again, now for the new source.
    with pytest.raises(ckanapi.ValidationError):
        local.ckan(local.make_user(f"editor-{next(_serial)}", sysadmin=True)).action.package_patch(
            id=after[f"{city}-0"]["id"], title="書き換え"
        )
