"""災害モード over HTTP, on SQLite and PostgreSQL: the 避難場所 pages (plain HTML under 50 KB,
by municipality, 開設状況, public data only), the sysadmin's switch and what it does to the
home page, the map and every other page, the pages following data changes, and serving them
without a database query."""

from __future__ import annotations

import gzip
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import ckanapi
import pytest
import requests
from sqlalchemy import event

from support.live_server import LiveServer
from support.shelters import organization, page, page_until, shelter, shelter_dataset
from support.waiting import wait_until
from tsunagu.disaster import state
from tsunagu.disaster.state import mode_holder
from tsunagu.storage.database import transaction

MESSAGE = "台風第10号に伴い避難所を開設しています"
SHIMONOSEKI, UBE = "352012", "352021"


@pytest.fixture(scope="module")
def site(server: LiveServer) -> LiveServer:
    organization(server, "dm-shimonoseki", "下関市", SHIMONOSEKI)
    organization(server, "dm-ube", "宇部市", UBE)
    shelter_dataset(
        server,
        "dm-shimonoseki",
        "dm-shimonoseki-hinan",
        [
            shelter("中央公民館", "山口県下関市竹崎町1-1", SHIMONOSEKI, 33.95, 130.93,
                    ("洪水", "地震"), "開設"),
            shelter("東小学校体育館", "山口県下関市東大和町2-2", SHIMONOSEKI, 33.96, 130.94,
                    ("津波",), "未開設"),
        ],
    )  # fmt: skip
    shelter_dataset(
        server,
        "dm-ube",
        "dm-ube-hinan",
        [shelter("常盤公園", "山口県宇部市則貞3-4", UBE, 33.96, 131.28, ("地震", "大規模な火事"))],
    )
    shelter_dataset(
        server,
        "dm-ube",
        "dm-ube-secret",
        [shelter("非公開の避難所", "山口県宇部市秘密町1", UBE, 33.95, 131.25, ("洪水",))],
        private=True,
    )
    page_until(server, "/hinan", lambda t: "常盤公園" in t and "中央公民館" in t, "the shelters")
    return server


@pytest.fixture(scope="module")
def sysadmin(site: LiveServer) -> ckanapi.RemoteCKAN:
    return site.ckan(site.make_user("dm-sysadmin", sysadmin=True))


@pytest.fixture
def switched_on(site: LiveServer, sysadmin: ckanapi.RemoteCKAN) -> Iterator[dict[str, Any]]:
    shown = sysadmin.action.disaster_mode_update(on=True, message=MESSAGE)
    yield shown
    sysadmin.action.disaster_mode_update(on=False)
    # The pages are rendered again in a thread: the next test finds them settled (same ETag).
    page_until(site, "/hinan", lambda t: MESSAGE not in t, "the message to go")


def _no_script(html: str) -> None:
    assert "<script" not in html.lower()
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html)
    assert "style=" not in html and "<style" not in html


# -- the page ---------------------------------------------------------------------------------


def test_page_lists_public_shelters_by_municipality_as_plain_html(site: LiveServer) -> None:
    response = page(site)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-encoding"] == "gzip"  # requests asks for it
    html = response.text
    assert len(html.encode()) < 50_000
    _no_script(html)
    assert '<link rel="stylesheet" href="/static/css/hinan.css">' in html
    # By municipality, each collapsed, with its shelters' addresses and hazard types.
    assert re.search(r"<summary>下関市 \(2 か所\)</summary>", html)
    assert re.search(r"<summary>宇部市 \(1 か所\)</summary>", html)
    assert "山口県下関市竹崎町1-1" in html and "山口県宇部市則貞3-4" in html
    assert "対象の災害: 洪水、地震" in html and "対象の災害: 地震、大規模な火事" in html
    # 開設状況 from the file that has the column: the open one listed first, on its own too.
    assert "開設中の避難場所 (1 か所)" in html
    assert '<span class="open">開設中</span>' in html
    assert '<span class="status">開設状況: 未開設</span>' in html
    assert html.index("中央公民館") < html.index("東小学校体育館")
    # The datasets it comes from, and the way on to the full site and the map.
    assert 'href="/dataset/dm-ube-hinan"' in html
    assert 'href="/?full=1"' in html and 'href="/map?full=1"' in html
    # Public data only.
    assert "非公開の避難所" not in html and "dm-ube-secret" not in html


def test_stylesheet_is_small_and_static(site: LiveServer) -> None:
    response = requests.get(site.url + "/static/css/hinan.css", timeout=10)
    assert response.status_code == 200
    assert len(response.content) < 4000


def test_municipality_pages_and_missing_ones(site: LiveServer) -> None:
    html = page(site, f"/hinan/{SHIMONOSEKI}").text
    assert "<h1>下関市の避難場所</h1>" in html
    assert "中央公民館" in html and "東小学校体育館" in html and "常盤公園" not in html
    ube = page(site, f"/hinan/{UBE}").text
    assert "常盤公園" in ube and "非公開の避難所" not in ube
    for missing in ("/hinan/999999", f"/hinan/{SHIMONOSEKI}/2", "/hinan/x/y/z"):
        response = page(site, missing)
        assert response.status_code == 404, missing
        assert "ページが見つかりません" in response.text
    assert page(site, "/hinan/").status_code == 200  # a trailing slash is the same page


def test_english_page(site: LiveServer) -> None:
    html = page(site, "/hinan?lang=en").text
    assert '<html lang="en">' in html
    assert "<h1>Evacuation sites</h1>" in html
    assert "For: Floods, Earthquakes" in html and '<span class="open">Open</span>' in html
    assert 'href="/hinan/352012?lang=en"' not in html  # inline: no links needed
    assert 'href="/hinan" lang="ja" hreflang="ja"' in html


def test_conditional_request_and_head(site: LiveServer) -> None:
    first = page(site)
    etag = first.headers["etag"]
    assert "max-age=" in first.headers["cache-control"]
    again = page(site, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    plain = page(site, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert int(plain.headers["content-length"]) == len(plain.content)
    head = requests.head(site.url + "/hinan", timeout=10)
    assert head.status_code == 200 and head.content == b""
    # Security headers as on every page.
    assert "script-src 'self'" in first.headers["content-security-policy"]


@contextmanager
def database_queries(site: LiveServer) -> Iterator[list[str]]:
    """The threads that query the database while requests are answered (the event loop; sync
    views run in "AnyIO worker thread"s), not the background workers."""
    seen: list[str] = []
    serving = {site._thread.ident}

    def record(*_args: Any) -> None:
        thread = threading.current_thread()
        if thread.ident in serving or thread.name.startswith("AnyIO worker"):
            seen.append(thread.name)

    event.listen(site.services.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(site.services.engine, "before_cursor_execute", record)


def test_pages_are_served_without_a_database_query(site: LiveServer) -> None:
    page(site)  # rendered already
    with database_queries(site) as seen:
        for path in ("/hinan", f"/hinan/{SHIMONOSEKI}", "/hinan?lang=en", "/hinan/999999") * 10:
            assert page(site, path).status_code in (200, 404)
        assert seen == []
        # The listener does see a page that reads the database.
        assert requests.get(site.url + "/dataset", timeout=30).status_code == 200
        assert seen


def test_switched_on_the_redirects_and_pages_need_no_database_query(
    site: LiveServer, switched_on: dict[str, Any]
) -> None:
    page_until(site, "/hinan", lambda t: MESSAGE in t, "the message on the page")
    with database_queries(site) as seen:
        for path in ("/", "/map", "/?lang=en", "/hinan", f"/hinan/{UBE}") * 10:
            assert page(site, path).status_code in (200, 302)
        assert seen == []


def test_pages_and_redirects_are_counted_in_metrics_by_page(
    site: LiveServer, switched_on: dict[str, Any]
) -> None:
    """Answered before routing, they are still labelled as the portal's routes would be (the
    registry is shared by both test servers in this process: differences only; label values
    hold braces, so the labels are read up to the sample's value)."""

    def requests_counted(text: str, handler: str, status: str) -> float:
        total = 0.0
        for line in text.splitlines():
            if line.startswith("tsunagu_http_requests_total{"):
                labels = dict(re.findall(r'(\w+)="([^"]*)"', line.rsplit(" ", 1)[0]))
                if labels.get("handler") == handler and labels.get("status") == status:
                    total += float(line.rsplit(" ", 1)[1])
        return total

    wait_until(lambda: page(site, "/").status_code, "the redirect", until=lambda s: s == 302)
    before = requests.get(site.url + "/metrics", timeout=10).text
    for path in ("/hinan", "/hinan/", f"/hinan/{UBE}", f"/hinan/{UBE}/2", "/", "/map"):
        page(site, path)
    after = requests.get(site.url + "/metrics", timeout=10).text
    for handler, status, count in (
        ("/hinan", "200", 2),
        ("/hinan/{code}", "200", 1),
        ("/hinan/{code}/{part:int}", "404", 1),
        ("/", "302", 1),
        ("/map", "302", 1),
    ):
        counted = requests_counted(after, handler, status) - requests_counted(
            before, handler, status
        )
        assert counted == count, (handler, status)


# -- the switch -------------------------------------------------------------------------------


def test_switch_is_for_sysadmins_only(site: LiveServer, sysadmin: ckanapi.RemoteCKAN) -> None:
    user = site.ckan(site.make_user("dm-editor"))
    for caller in (user, site.ckan()):
        with pytest.raises(ckanapi.NotAuthorized):
            caller.action.disaster_mode_update(on=True, message="x")
    shown = site.ckan().action.disaster_mode_show()
    assert shown["on"] is False and shown["page"] == "/hinan"
    assert "updated_by" not in shown and "automatic_settings" not in shown
    assert "automatic_settings" in sysadmin.action.disaster_mode_show()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"message": "x"}, "on"),
        ({"on": "maybe"}, "on"),
        ({"on": True, "message": "あ" * 501}, "message"),
        ({"on": True, "message": "一行目\n二行目"}, "message"),
        ({"on": True, "automatic": "sometimes"}, "automatic"),
    ],
)
def test_switch_refuses_bad_input(
    sysadmin: ckanapi.RemoteCKAN, data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ckanapi.ValidationError) as refused:
        sysadmin.action.disaster_mode_update(**data)
    assert field in refused.value.error_dict
    assert sysadmin.action.disaster_mode_show()["on"] is False


def test_switched_on_home_and_map_lead_to_the_page(
    site: LiveServer, switched_on: dict[str, Any], sysadmin: ckanapi.RemoteCKAN
) -> None:
    assert switched_on["on"] and switched_on["manual"] and switched_on["message"] == MESSAGE
    assert switched_on["updated_by"] == "dm-sysadmin"
    shown = site.ckan().action.disaster_mode_show()
    assert shown["on"] is True and shown["message"] == MESSAGE
    for path in ("/", "/map"):
        response = page(site, path)
        assert response.status_code == 302, path
        assert response.headers["location"] == "/hinan"
        assert response.headers["cache-control"] == "no-store"
    english = page(site, "/", cookies={"lang": "en"})
    assert english.headers["location"] == "/hinan?lang=en"
    assert page(site, "/map?lang=en").headers["location"] == "/hinan?lang=en"
    # A link to one particular view (an AED map someone shared) is what its reader wants.
    aed = page(site, "/map?layer=aed")
    assert aed.status_code == 200 and 'class="disaster-banner"' in aed.text
    # The page says why; other pages stay, with a banner.
    html = page_until(site, "/hinan", lambda t: MESSAGE in t, "the message on the page")
    assert f'<p class="alert">{MESSAGE}</p>' in html
    dataset = requests.get(site.url + "/dataset/dm-ube-hinan", timeout=30)
    assert dataset.status_code == 200
    assert 'class="disaster-banner"' in dataset.text and MESSAGE in dataset.text
    assert 'href="/hinan"' in dataset.text
    # The full site stays available behind it: ?full=1, then a cookie for the session.
    browser = requests.Session()
    full = browser.get(site.url + "/?full=1", timeout=30, allow_redirects=False)
    assert full.status_code == 200 and "disaster-banner" in full.text
    assert browser.cookies.get("tsunagu_full_site") == "1"
    assert browser.get(site.url + "/", timeout=30, allow_redirects=False).status_code == 200
    # The API is never redirected.
    assert site.ckan().action.status_show()["site_url"] == site.url


def test_switched_off_everything_is_as_before(
    site: LiveServer, sysadmin: ckanapi.RemoteCKAN
) -> None:
    sysadmin.action.disaster_mode_update(on=True, message=MESSAGE)
    shown = sysadmin.action.disaster_mode_update(on=False)
    assert shown["on"] is False and shown["message"] == ""
    home = page(site, "/")
    assert home.status_code == 200 and "disaster-banner" not in home.text
    html = page_until(site, "/hinan", lambda t: 'class="alert"' not in t, "the message to go")
    assert "中央公民館" in html


def test_a_read_taken_before_a_switch_never_overwrites_the_switch(
    site: LiveServer, sysadmin: ckanapi.RemoteCKAN, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker reads the rows (still on), then the sysadmin's switch off commits and that
    request reads them again: the worker's older read must not be kept after the newer one."""
    sysadmin.action.disaster_mode_update(on=True, message=MESSAGE)
    holder = mode_holder(site.services)
    read_on, go_on = threading.Event(), threading.Event()
    real_read = state.read_state

    def slow_for_the_worker(session: Any) -> state.DisasterState:
        found = real_read(session)
        if threading.current_thread().name == "stale-reader":
            read_on.set()
            go_on.wait(10)
        return found

    monkeypatch.setattr(state, "read_state", slow_for_the_worker)
    stale = threading.Thread(target=holder.refresh, name="stale-reader")
    stale.start()
    assert read_on.wait(10)
    with transaction(site.services.sessions) as session:
        state.save_switch(session, on=False, message="", by="dm-sysadmin", automatic=True)
    fresh = threading.Thread(target=holder.refresh)
    fresh.start()
    fresh.join(0.5)  # the switching request's own read, as refresh_after_commit makes it
    go_on.set()
    stale.join(10)
    fresh.join(10)
    assert holder.on() is False
    page_until(site, "/hinan", lambda t: MESSAGE not in t, "the pages of the mode off")


# -- data changes ------------------------------------------------------------------------------


def test_page_follows_data_changes(site: LiveServer) -> None:
    resource = site.act("package_show", {"id": "dm-shimonoseki-hinan"})["resources"][0]["id"]
    site.act(
        "datastore_upsert",
        {
            "resource_id": resource,
            "method": "insert",
            "records": [
                shelter("西公民館", "山口県下関市彦島1", SHIMONOSEKI, 33.94, 130.90, ("高潮",),
                        "開設")
            ],
        },
    )  # fmt: skip
    try:
        html = page_until(site, "/hinan", lambda t: "西公民館" in t, "the new shelter")
        assert "開設中の避難場所 (2 か所)" in html
        assert "<summary>下関市 (3 か所)</summary>" in html
        # A dataset going private takes its shelters off every page.
        site.act("package_patch", {"id": "dm-ube-hinan", "private": True})
        html = page_until(site, "/hinan", lambda t: "常盤公園" not in t, "the shelter to go")
        assert "宇部市" not in html
        assert page(site, f"/hinan/{UBE}").status_code == 404
        site.act("package_patch", {"id": "dm-ube-hinan", "private": False})
        page_until(site, "/hinan", lambda t: "常盤公園" in t, "the shelter to come back")
    finally:  # the module's shelters as the other tests expect them
        site.act("datastore_delete", {"resource_id": resource, "filters": {"名称": "西公民館"}})
        site.act("package_patch", {"id": "dm-ube-hinan", "private": False})
        page_until(
            site, "/hinan", lambda t: "西公民館" not in t and "常盤公園" in t, "the page as before"
        )


def _remove(site: LiveServer, org: str, dataset: str, gone: Callable[[str], bool]) -> None:
    """Purge a test's shelters and their municipality, and wait for the page without them."""
    site.act("dataset_purge", {"id": dataset})
    site.act("organization_purge", {"id": org})
    page_until(site, "/hinan", gone, f"the page without {dataset}")


def test_many_shelters_stay_under_50_kb_a_page(site: LiveServer) -> None:
    """300 more shelters in six municipalities: the index turns into links, every page (in
    both languages) stays under 50 KB, and the municipality pages hold every shelter."""
    codes = ["352039", "352047", "352063", "352071", "352080", "352101"]
    rows = [
        shelter(f"多数避難所{i:03d}", f"山口県某市大字長い地名の町字{i}丁目{i}番地{i}号", codes[i % 6],
                34.0 + i / 1000, 131.3, ("洪水", "崖崩れ、土石流及び地滑り", "地震", "津波"),
                "開設" if i % 10 == 0 else "未開設")
        for i in range(300)
    ]  # fmt: skip
    organization(site, "dm-many", "多数市", "352039")
    shelter_dataset(site, "dm-many", "dm-many-hinan", rows)
    try:
        index = page_until(site, "/hinan", lambda t: 'href="/hinan/352101"' in t, "the index links")
        assert len(index.encode()) < 50_000
        assert "<details>" not in index  # links now, not everything inline
        listed: set[str] = set()
        for code in codes:
            for language in ("", "?lang=en"):
                number, names = 1, set()
                while True:
                    path = f"/hinan/{code}" + (f"/{number}" if number > 1 else "") + language
                    response = page(site, path)
                    if response.status_code == 404 and number > 1:
                        break
                    assert response.status_code == 200, path
                    assert len(response.content) < 50_000, path  # requests has unzipped it
                    names |= set(re.findall(r"多数避難所\d{3}", response.text))
                    number += 1
                assert len(names) == 50, (code, language)
                listed |= names
        assert len(listed) == 300
        opened = re.search(r"開設中の避難場所 \((\d+) か所\)", index)
        assert opened is not None and int(opened.group(1)) >= 30
    finally:  # links instead of the inline list would change the other tests' pages
        _remove(site, "dm-many", "dm-many-hinan", lambda t: 'href="/hinan/352101"' not in t)


def test_a_large_municipality_is_split_in_parts_and_other_status_columns_count(
    site: LiveServer,
) -> None:
    """600 shelters in one municipality from a file naming the column 開設状態 and writing ○
    for open: its page comes in parts under 50 KB, linked to one another, holding every shelter
    once with the open ones first; the index, too long to list 300 more open shelters, links
    to each municipality's open ones with their count."""
    code = "352152"
    rows = []
    for i in range(600):
        row = shelter(
            f"大規模避難所{i:03d}",
            f"山口県周南市大字とても長い地名の町字{i}丁目{i}番地{i}号",
            code,
            34.05 + i / 10000,
            131.8,
            ("洪水", "地震", "津波"),
        )
        row["開設状態"] = "○" if i % 2 == 0 else "×"
        rows.append(row)  # fmt: skip
    organization(site, "dm-large", "周南市", code)
    shelter_dataset(site, "dm-large", "dm-large-hinan", rows)
    try:
        index = page_until(site, "/hinan", lambda t: f'href="/hinan/{code}"' in t, "the index link")
        assert len(index.encode()) < 50_000
        assert "大規模避難所" not in index  # counted, not listed
        opened = index[index.index("開設中の避難場所") : index.index("市町村から探す")]
        assert f'<a href="/hinan/{code}">周南市</a> 300 か所' in opened
        items: list[tuple[str, str]] = []
        number = 1
        while True:
            path = f"/hinan/{code}" + (f"/{number}" if number > 1 else "")
            response = page(site, path)
            if response.status_code == 404:
                break
            assert response.status_code == 200, path
            html = response.text
            assert len(html.encode()) < 50_000, path
            assert f'<span aria-current="page">{number}</span>' in html
            assert f'href="/hinan/{code}/2"' in html or number == 2
            assert "<h1>周南市の避難場所</h1>" in html and "600 か所 （うち開設中 300）" in html
            items += re.findall(
                r"<li><strong>(大規模避難所\d{3})</strong> <span class=\"(?:open|status)\">"
                r"(開設中|開設状況: ×)</span>",
                html,
            )
            number += 1
        assert number - 1 >= 2  # parts
        names = [name for name, _ in items]
        assert len(names) == len(set(names)) == 600
        statuses = [status for _, status in items]
        assert statuses == ["開設中"] * 300 + ["開設状況: ×"] * 300
    finally:  # links instead of the inline list would change the other tests' pages
        _remove(site, "dm-large", "dm-large-hinan", lambda t: f'href="/hinan/{code}"' not in t)


def test_pages_compress(site: LiveServer) -> None:
    raw = requests.get(
        site.url + "/hinan", headers={"Accept-Encoding": "gzip"}, timeout=10, stream=True
    )
    body = raw.raw.read()
    assert raw.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body).decode().startswith("<!doctype html>")
    assert len(body) < len(gzip.decompress(body)) / 2


def test_pages_follow_the_site_title(site: LiveServer, sysadmin: ckanapi.RemoteCKAN) -> None:
    sysadmin.action.config_option_update(**{"ckan.site_title": "防災テスト県オープンデータ"})
    try:
        html = page_until(
            site,
            f"/hinan/{SHIMONOSEKI}",
            lambda t: "防災テスト県オープンデータ" in t,
            "the new title",
        )
        assert "<title>下関市の避難場所 - 防災テスト県オープンデータ</title>" in html
        assert '<header><a href="/?full=1">防災テスト県オープンデータ</a></header>' in html
    finally:
        configured = site.services.settings.site_title
        sysadmin.action.config_option_update(**{"ckan.site_title": configured})
    page_until(site, "/hinan", lambda t: "防災テスト県" not in t, "the title back")


def test_other_pages_unchanged_while_off(site: LiveServer) -> None:
    wait_until(
        lambda: site.ckan().action.disaster_mode_show()["on"], "the mode off", until=lambda v: not v
    )
    assert page(site, "/map").status_code != 302
