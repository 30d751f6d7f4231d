"""A clerk replaces last month's file with this month's from the dataset's staff page, in a real
browser: one form, the old file stays downloadable, and the page says what changed. axe finds
nothing at desktop or phone width, and the form is used with the keyboard."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.browser import (
    check_page,
    checked_page,
    expect,
)
from support.live_server import LiveServer
from support.waiting import wait_until

MARCH = "地区,人口,面積\n中央,210,12\n東,390,20\n西,110,8\n南,150,15\n".encode()
APRIL = (
    "地区,人口,面積,備考\n中央,210,12.5,\n東,395,20,\n北,80,9.25,新設\n南,150,15,\n北東,10,1.5,新設\n"
).encode()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("web-versions")
    live = LiveServer(data_dir=tmp, database_url=f"sqlite:///{tmp / 'tsunagu.db'}").start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def dataset(site: LiveServer) -> str:
    admin = site.ckan(site.make_user("versions-admin", sysadmin=True))
    admin.action.organization_create(name="hofu-city", title="防府市")
    site.make_user("hofu-clerk")
    admin.action.organization_member_create(id="hofu-city", username="hofu-clerk", role="editor")
    admin.action.package_create(
        name="hofu-population", title="防府市 地区別人口（毎月）", owner_org="hofu-city"
    )
    resource = admin.action.resource_create(
        package_id="hofu-population",
        name="population_2026_03.csv",
        upload=("population_2026_03.csv", io.BytesIO(MARCH)),
    )
    wait_until(
        lambda: admin.action.datastore_ingest_status(resource_id=resource["id"])["status"],
        "the March file to be loaded",
        until=lambda status: status == "complete",
    )
    return "hofu-population"


@pytest.fixture
def page(browser: Any, site: LiveServer) -> Iterator[Any]:
    with checked_page(browser, site.url, accept_downloads=True) as page:
        yield page


def test_a_new_monthly_file_replaces_the_old_with_the_change_summary(
    page: Any, dataset: str, tmp_path: Path
) -> None:
    page.goto("/user/login")
    page.get_by_label("ユーザー名").fill("hofu-clerk")
    page.get_by_label("パスワード").fill("pw-hofu-clerk-0000")
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/staff$"))
    page.goto(f"/staff/dataset/{dataset}")

    versions = page.locator(".versions-table tbody tr")
    expect(versions).to_have_count(1)
    expect(versions.first).to_contain_text("第 1 版（現在）")
    assert check_page(page, review_name="staff-file-versions") == {}

    april = tmp_path / "population_2026_04.csv"
    april.write_bytes(APRIL)
    page.get_by_label("新しい版のファイル").set_input_files(str(april))
    # With the keyboard: the button is reached and pressed like any other.
    button = page.get_by_role("button", name=re.compile("^新しい版に差し替える"))
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"replaced="))

    # The page follows the ingest and reloads when the new table is in place.
    summary = page.locator(".change-summary")
    expect(summary).to_contain_text(
        "前回（第 1 版）から：4 行追加、3 行削除、列「備考」を追加、列「面積」の型を整数から数値に変更"
    )
    expect(versions).to_have_count(2)
    expect(versions.nth(0)).to_contain_text("第 2 版（現在）")
    expect(versions.nth(0)).to_contain_text("population_2026_04.csv")
    expect(versions.nth(1)).to_contain_text("population_2026_03.csv")
    expect(page.locator("article.resource h3").first).to_contain_text("population_2026_04.csv")
    assert check_page(page, review_name="staff-file-versions-replaced") == {}

    # Last month's file is still there, unchanged.
    with page.expect_download() as download:
        versions.nth(1).get_by_role("link").click()
    assert download.value.suggested_filename == "population_2026_03.csv"
    assert Path(download.value.path()).read_bytes() == MARCH
