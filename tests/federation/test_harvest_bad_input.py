"""Bad input from a CKAN source never crashes a job or loses published data, and a bad record
is an error on that record, never on the job. Each case is served by the test's own small
CKAN stand-in (support/fake_ckan.py) over real HTTP; the harvesting server runs on SQLite and
PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import ckanapi
import pytest

from support.fake_ckan import FakeCkan, Site, package, serve
from support.harvest import extras_of, harvest, harvesting_server
from support.live_server import LiveServer

ORG = "bad-input-city"
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCkan]:
    yield from serve()


@pytest.fixture(scope="module")
def local(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = harvesting_server(
        backend, tmp_path_factory.mktemp(f"bad-{backend}"), harvest_timeout=1.0
    )
    live.act("organization_create", {"name": ORG, "title": "入力検査市"})
    yield live
    live.stop()


@pytest.fixture(scope="module")
def admin(local: LiveServer) -> ckanapi.RemoteCKAN:
    return local.ckan(local.make_user("bad-input-admin", sysadmin=True))


def source(admin: ckanapi.RemoteCKAN, fake: FakeCkan, site: str, **config: Any) -> str:
    name = f"bad-{next(_serial)}"
    admin.action.harvest_source_create(
        name=name,
        title=f"検査用 {name}",
        url=fake.url(site),
        source_type="ckan",
        owner_org=ORG,
        config={"withdraw_after_days": 0, "id_check_hours": 0, **config},
    )
    return name


def datasets_of(admin: ckanapi.RemoteCKAN, source_name: str) -> dict[str, dict[str, Any]]:
    """The source's datasets here (private ones too), by remote id."""
    source_id = admin.action.harvest_source_show(id=source_name)["id"]
    found = admin.action.package_search(fq=f"organization:{ORG}", rows=1000, include_private=True)[
        "results"
    ]
    out = {}
    for item in found:
        extras = extras_of(item)
        if extras.get("harvest_source_id") == source_id:
            out[extras["harvest_original_url"].rsplit("/", 1)[-1]] = item
    return out


def new_site(fake: FakeCkan, count: int, **settings: Any) -> tuple[str, Site]:
    name = f"site{next(_serial)}"
    site = fake.site(name, **settings)
    site.datasets = [
        package(f"{name}-{n:02d}", f"{name}-{n:02d}", f"避難所 {n}") for n in range(count)
    ]
    return name, site


def public_names(datasets: dict[str, dict[str, Any]]) -> set[str]:
    return {name for name, d in datasets.items() if not d["private"]}


def test_a_source_that_times_out_fails_the_job_and_keeps_what_was_published(
    admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    site_name, site = new_site(fake, 2)
    name = source(admin, fake, site_name)
    assert harvest(admin, name)["counts"]["added"] == 2
    site.delay = 3.0  # the harvesting server waits 1 s
    job = harvest(admin, name, full=True)
    site.delay = 0.0
    assert job["job_status"] == "error"
    assert "タイムアウト" in job["message"]
    assert any("タイムアウト" in e["message"] for e in job["errors"])
    assert public_names(datasets_of(admin, name)) == {f"{site_name}-00", f"{site_name}-01"}


def test_a_source_answering_html_fails_the_job_and_keeps_what_was_published(
    admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    site_name, site = new_site(fake, 2)
    name = source(admin, fake, site_name)
    harvest(admin, name)
    site.mode = "html"
    job = harvest(admin, name, full=True)
    assert job["job_status"] == "error"
    assert "HTML" in job["message"]
    assert job["counts"]["withdrawn"] == 0
    assert len(public_names(datasets_of(admin, name))) == 2


def test_a_50_mb_answer_is_refused_at_the_limit(admin: ckanapi.RemoteCKAN, fake: FakeCkan) -> None:
    site_name, site = new_site(fake, 1)
    name = source(admin, fake, site_name)
    harvest(admin, name)
    site.mode = "huge"
    job = harvest(admin, name, full=True)
    assert job["job_status"] == "error"
    assert "応答が大きすぎます（上限 50 MB）" in job["message"]
    assert len(public_names(datasets_of(admin, name))) == 1


def test_a_record_with_10000_resources_is_an_error_on_that_record(
    admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    site_name, site = new_site(fake, 2)
    site.datasets.append(package(f"{site_name}-big", f"{site_name}-big", "巨大", resources=10_000))
    name = source(admin, fake, site_name)
    job = harvest(admin, name)
    assert job["job_status"] == "complete"
    assert (job["counts"]["added"], job["counts"]["errored"]) == (2, 1)
    [error] = job["errors"]
    assert error["key"] == f"{site_name}-big" and error["title"] == "巨大"
    assert "リソースが多すぎます（10000 件、上限 1000 件）" in error["message"]
    assert f"{site_name}-big" not in datasets_of(admin, name)


def test_paging_that_loops_back_stops_and_withdraws_nothing(
    admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    site_name, site = new_site(fake, 5)
    name = source(admin, fake, site_name, page_size=2)
    assert harvest(admin, name)["counts"]["added"] == 5
    site.mode = "loop"  # every page is the first one again
    job = harvest(admin, name, full=True)
    assert job["job_status"] == "complete"
    assert job["counts"] == {"added": 0, "updated": 0, "unchanged": 2, "withdrawn": 0, "errored": 1}
    assert "ページ送りが前のページに戻りました" in job["errors"][0]["message"]
    assert len(public_names(datasets_of(admin, name))) == 5
    searches = [r for r in site.requests if r[0].endswith("package_search")]
    assert len(searches) < 10  # it stopped; it did not loop until some limit


def test_records_missed_by_a_looping_source_are_read_by_the_next_job(
    admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    site_name, site = new_site(fake, 5, mode="loop")
    name = source(admin, fake, site_name, page_size=2)
    assert harvest(admin, name)["counts"]["added"] == 2
    site.mode = ""
    # Records may have been missed: the next job reads everything, not only what changed.
    job = harvest(admin, name)
    assert (job["mode"], job["counts"]["added"], job["counts"]["unchanged"]) == ("full", 3, 2)


def test_duplicate_ids_within_a_page_make_one_dataset(
    admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    site_name, _site = new_site(fake, 3, mode="duplicates")
    name = source(admin, fake, site_name)
    job = harvest(admin, name)
    assert job["counts"] == {"added": 3, "updated": 0, "unchanged": 0, "withdrawn": 0, "errored": 0}
    assert sorted(datasets_of(admin, name)) == [f"{site_name}-{n:02d}" for n in range(3)]


def test_a_renamed_remote_dataset_keeps_its_local_dataset_and_name(
    admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    site_name, site = new_site(fake, 1)
    name = source(admin, fake, site_name)
    harvest(admin, name)
    [before] = datasets_of(admin, name).values()
    site.datasets[0] = {**site.datasets[0], "name": "renamed-at-source"}
    job = harvest(admin, name, full=True)
    assert job["counts"]["updated"] == 1 and job["counts"]["added"] == 0
    [after] = datasets_of(admin, name).values()
    assert (after["id"], after["name"]) == (before["id"], before["name"])
    assert (
        extras_of(after)["harvest_original_url"]
        == f"{fake.url(site_name)}/dataset/renamed-at-source"
    )


def test_free_text_licences_are_mapped_or_kept_as_text(
    admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    site_name, site = new_site(fake, 0)
    stated = {
        "gov": {"license_id": "", "license_title": "政府標準利用規約（第2.0版）"},
        "ccby": {"license_id": "CC BY 4.0", "license_title": ""},
        "jp": {"license_id": "", "license_title": "クリエイティブ・コモンズ 表示 4.0 国際"},
        "odbl": {"license_id": "odc-odbl", "license_title": "Open Data Commons ODbL"},
    }
    site.datasets = [package(k, k, f"ライセンス {k}", **v) for k, v in stated.items()]
    name = source(admin, fake, site_name)
    job = harvest(admin, name)
    assert job["counts"]["added"] == 4 and job["counts"]["errored"] == 0
    found = datasets_of(admin, name)
    assert found["ccby"]["license_id"] == found["jp"]["license_id"] == "cc-by-4.0"
    assert found["gov"]["license_id"] == found["odbl"]["license_id"] == ""
    assert extras_of(found["gov"])["harvest_license"] == "政府標準利用規約（第2.0版）"
    assert extras_of(found["odbl"])["harvest_license"] == "Open Data Commons ODbL"


def test_japanese_titles_and_tags_survive_and_names_are_never_empty(
    admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    site_name, site = new_site(fake, 0)
    site.datasets = [
        package(
            "no-name",
            "",
            "下関市 指定緊急避難場所一覧",
            tags=[
                {"name": "避難所（指定）"},
                {"name": "子育て・教育"},
                {"name": "ＡＥＤ"},
                {"name": "!!!"},
            ],
        )
    ]
    name = source(admin, fake, site_name)
    assert harvest(admin, name)["counts"]["added"] == 1
    [made] = datasets_of(admin, name).values()
    assert made["title"] == "下関市 指定緊急避難場所一覧"
    assert "shimonosekishi-shitei-kinkyuhinan-basho-ichiran" in made["name"]
    assert sorted(t["name"] for t in made["tags"]) == sorted(
        ["避難所 指定", "子育て・教育", "ＡＥＤ"]
    )


def test_a_bad_record_is_an_error_on_that_record_only(
    admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    site_name, site = new_site(fake, 2)
    site.datasets.append(package(f"{site_name}-untitled", "", "", notes="題名なし"))
    site.datasets.append(
        package(f"{site_name}-odd", f"{site_name}-odd", "変わった値", maintainer_email="not-mail")
    )
    name = source(admin, fake, site_name)
    job = harvest(admin, name)
    assert job["job_status"] == "complete"
    assert (job["counts"]["added"], job["counts"]["errored"]) == (3, 1)
    assert job["errors"][0]["key"] == f"{site_name}-untitled"
    assert "タイトルがありません" in job["errors"][0]["message"]
    assert datasets_of(admin, name)[f"{site_name}-odd"]["maintainer_email"] == ""


def test_a_source_that_suddenly_returns_nothing_withdraws_nothing(
    admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    site_name, site = new_site(fake, 3)
    name = source(admin, fake, site_name)
    harvest(admin, name)
    site.datasets = []
    for full in (True, False):  # the full listing, and package_list in an incremental job
        job = harvest(admin, name, full=full)
        assert job["job_status"] == "complete"
        assert job["counts"]["withdrawn"] == 0
    assert "1 件も返さなかった" in job["message"]
    assert len(public_names(datasets_of(admin, name))) == 3


def test_many_datasets_vanishing_at_once_are_not_withdrawn(
    admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    site_name, site = new_site(fake, 10)
    name = source(admin, fake, site_name)
    harvest(admin, name)
    site.datasets = site.datasets[:2]
    job = harvest(admin, name, full=True)
    assert job["counts"]["withdrawn"] == 0
    assert any("8 件（80%）が一度に消えました" in e["message"] for e in job["errors"])
    assert len(public_names(datasets_of(admin, name))) == 10
    # With the limit raised, staff let it happen.
    admin.action.harvest_source_patch(
        id=name, config={"withdraw_after_days": 0, "id_check_hours": 0, "max_withdraw_percent": 100}
    )
    assert harvest(admin, name)["counts"]["withdrawn"] == 8
    assert len(public_names(datasets_of(admin, name))) == 2


def test_a_listing_that_fails_withdraws_nothing(admin: ckanapi.RemoteCKAN, fake: FakeCkan) -> None:
    site_name, site = new_site(fake, 3)
    name = source(admin, fake, site_name)
    harvest(admin, name)
    site.datasets = site.datasets[:2]
    site.mode = "broken_listing"
    job = harvest(admin, name)  # incremental: deletions are found through package_list
    assert job["job_status"] == "complete"
    assert job["counts"]["withdrawn"] == 0
    assert any("削除の確認ができませんでした" in e["message"] for e in job["errors"])
    assert len(public_names(datasets_of(admin, name))) == 3
    site.mode = ""
    assert harvest(admin, name)["mode"] == "incremental"  # no record was missed


# -- the record and job limits (TSUNAGU_HARVEST_MAX_RECORD_BYTES, _MAX_RECORDS) ------------------


@pytest.fixture(scope="module")
def limited(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A harvesting server with small limits: records up to 32 KB, 4 records a job."""
    live = harvesting_server(
        backend,
        tmp_path_factory.mktemp(f"limits-{backend}"),
        harvest_max_record_bytes=32 * 1024,
        harvest_max_records=4,
    )
    live.act("organization_create", {"name": ORG, "title": "入力検査市"})
    yield live
    live.stop()


@pytest.fixture(scope="module")
def limited_admin(limited: LiveServer) -> ckanapi.RemoteCKAN:
    return limited.ckan(limited.make_user("limits-admin", sysadmin=True))


def test_a_record_over_the_size_limit_is_an_error_on_that_record(
    limited_admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    site_name, site = new_site(fake, 2)
    site.datasets.append(
        package(f"{site_name}-long", f"{site_name}-long", "長い説明", notes="避難" * 20_000)
    )
    name = source(limited_admin, fake, site_name)
    job = harvest(limited_admin, name)
    assert job["job_status"] == "complete"
    assert (job["counts"]["added"], job["counts"]["errored"]) == (2, 1)
    [error] = job["errors"]
    assert error["key"] == f"{site_name}-long" and error["title"] == "長い説明"
    assert "レコードが大きすぎます" in error["message"] and "上限 32 KB" in error["message"]
    assert sorted(datasets_of(limited_admin, name)) == [f"{site_name}-00", f"{site_name}-01"]


def test_a_job_over_the_record_limit_stops_and_withdraws_nothing(
    limited_admin: ckanapi.RemoteCKAN, fake: FakeCkan
) -> None:
    site_name, site = new_site(fake, 3)
    name = source(limited_admin, fake, site_name)
    assert harvest(limited_admin, name)["counts"]["added"] == 3
    site.datasets += [
        package(f"{site_name}-{n:02d}", f"{site_name}-{n:02d}", f"避難所 {n}") for n in range(3, 7)
    ]
    job = harvest(limited_admin, name, full=True)
    assert job["job_status"] == "error"
    assert "上限（4 件）を超えた" in job["message"]
    assert job["counts"]["withdrawn"] == 0
    assert job["counts"]["added"] + job["counts"]["unchanged"] == 4
    assert {f"{site_name}-{n:02d}" for n in range(3)} <= public_names(
        datasets_of(limited_admin, name)
    )
