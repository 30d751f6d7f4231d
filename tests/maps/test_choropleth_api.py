"""choropleth_show over HTTP with ckanapi, on SQLite and PostgreSQL: a table's values by
municipality (5- and 6-digit codes, text or number), the rows that make each value (newest
survey by default, filters, aggregation), codes that cannot be drawn listed with a reason, class
breaks and legend, bad input, and private tables refused as datastore_search refuses them."""

from __future__ import annotations

import csv
import io
from typing import Any

import ckanapi
import pytest
import requests

from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.demo.files_population import population as population_file
from tsunagu.demo.places import BY_SLUG

# Standard 04 (地域・年齢別人口) in miniature: 町字 rows of two municipalities, two survey dates.
POPULATION_CSV = (
    "全国地方公共団体コード,地域コード,地方公共団体名,調査年月日,地域名,総人口,男性,女性\n"
    "352012,001000,下関市,2024-03-31,長府,1000,480,520\n"
    "352012,002000,下関市,2024-03-31,彦島,2000,950,1050\n"
    "352039,001000,山口市,2024-03-31,小郡,1500,700,800\n"
    "352012,001000,下関市,2025-03-31,長府,990,470,520\n"
    "352012,002000,下関市,2025-03-31,彦島,1980,940,1040\n"
    "352039,001000,山口市,2025-03-31,小郡,1510,705,805\n"
    "352039,002000,山口市,2025-03-31,阿知須,400,190,210\n"
).encode()

CUSTOM_FIELDS = [
    {"id": "団体", "type": "text"},
    {"id": "全国地方公共団体コード", "type": "text"},
    {"id": "件数", "type": "int"},
    {"id": "区分", "type": "text"},
]
CUSTOM_RECORDS = [
    # 宇部市 written both ways: one place, values added.
    {"団体": "宇部市", "全国地方公共団体コード": "352021", "件数": 10, "区分": "A"},
    {"団体": "宇部市", "全国地方公共団体コード": "35202", "件数": 5, "区分": "B"},
    # 5 digits only.
    {"団体": "萩市", "全国地方公共団体コード": "35204", "件数": 7, "区分": "A"},
    {"団体": "防府市", "全国地方公共団体コード": "352063", "件数": 3, "区分": "A"},
    {"団体": "下松市", "全国地方公共団体コード": "352071", "件数": 20, "区分": "A"},
    {"団体": "岩国市", "全国地方公共団体コード": "352080", "件数": 40, "区分": "B"},
    # Not drawable: the prefecture, a ward without its own boundary, nonsense, a wrong check
    # digit, an unknown place.
    {"団体": "山口県", "全国地方公共団体コード": "350001", "件数": 99, "区分": "A"},
    {"団体": "札幌市中央区", "全国地方公共団体コード": "011011", "件数": 1, "区分": "A"},
    {"団体": "不明", "全国地方公共団体コード": "abc", "件数": 2, "区分": "A"},
    {"団体": "誤記", "全国地方公共団体コード": "352019", "件数": 2, "区分": "A"},
    {"団体": "架空", "全国地方公共団体コード": "35999", "件数": 2, "区分": "A"},
    # 京都市 and one of its wards: the ward is drawn, the whole city listed.
    {"団体": "京都市", "全国地方公共団体コード": "261009", "件数": 50, "区分": "A"},
    {"団体": "京都市北区", "全国地方公共団体コード": "261017", "件数": 6, "区分": "A"},
]


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> ckanapi.RemoteCKAN:
    ckan = server.ckan(server.make_user("ch-admin", sysadmin=True))
    ckan.action.organization_create(name="ch-org", title="統計の組織")
    return ckan


@pytest.fixture(scope="module")
def member(server: LiveServer, admin: ckanapi.RemoteCKAN) -> ckanapi.RemoteCKAN:
    token = server.make_user("ch-member")
    admin.action.organization_member_create(id="ch-org", username="ch-member", role="member")
    return server.ckan(token)


@pytest.fixture(scope="module")
def outsider(server: LiveServer) -> ckanapi.RemoteCKAN:
    return server.ckan(server.make_user("ch-outsider"))


def _ingested(admin: ckanapi.RemoteCKAN, resource_id: str) -> None:
    status = wait_until(
        lambda: admin.action.datastore_ingest_status(resource_id=resource_id)["status"],
        f"the ingest of {resource_id} to finish",
        until=lambda s: s in ("complete", "error"),
    )
    assert status == "complete"


@pytest.fixture(scope="module")
def population(admin: ckanapi.RemoteCKAN) -> str:
    admin.action.package_create(name="ch-population", title="地域・年齢別人口", owner_org="ch-org")
    res = admin.action.resource_create(
        package_id="ch-population",
        name="population.csv",
        upload=("population.csv", io.BytesIO(POPULATION_CSV)),
    )
    _ingested(admin, res["id"])
    return str(res["id"])


def _table(
    admin: ckanapi.RemoteCKAN,
    name: str,
    fields: list[dict[str, Any]],
    records: list[dict[str, Any]],
    *,
    private: bool = False,
) -> str:
    admin.action.package_create(name=name, title=name, owner_org="ch-org", private=private)
    created = admin.action.datastore_create(
        resource={"package_id": name, "name": name}, fields=fields, records=records
    )
    return str(created["resource_id"])


@pytest.fixture(scope="module")
def custom(admin: ckanapi.RemoteCKAN) -> str:
    return _table(admin, "ch-custom", CUSTOM_FIELDS, CUSTOM_RECORDS)


def _by_code(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["code"]: a for a in result["areas"]}


def test_standard_04_is_summed_by_municipality_for_the_newest_survey(
    server: LiveServer, population: str
) -> None:
    result = server.ckan().action.choropleth_show(resource_id=population)
    assert result["code_field"] == "全国地方公共団体コード"
    assert result["value_field"] == "総人口"
    assert result["aggregation"] == "sum"
    # Two surveys: only the newest one's rows are added, and the answer says so.
    assert result["defaults"] == {"調査年月日": "2025-03-31"}
    assert result["filters"] == {"調査年月日": "2025-03-31"}
    areas = _by_code(result)
    assert set(areas) == {"352012", "352039"}
    assert areas["352012"] | {"color": None} == {
        "code": "352012",
        "name": "下関市",
        "prefecture": "35",
        "level": "municipality",
        "value": 2970,
        "rows": 2,
        "class": areas["352012"]["class"],
        "color": None,
    }
    assert areas["352039"]["value"] == 1910 and areas["352039"]["rows"] == 2
    assert result["unmatched"] == []
    assert result["prefectures"] == ["35"]
    assert result["rows"] == 4
    assert result["boundary_url"] == "/maps/boundaries/{prefecture}.geojson"
    assert "気象庁" in result["attribution"]
    # The menus offer the survey dates (and the other few-valued text columns) to filter on.
    assert result["filter_options"]["調査年月日"] == ["2024-03-31", "2025-03-31"]
    assert "総人口" in result["value_fields"] and "男性" in result["value_fields"]


def test_a_filter_picks_the_rows_and_other_aggregations_combine_them(
    server: LiveServer, population: str
) -> None:
    ckan = server.ckan()
    older = ckan.action.choropleth_show(
        resource_id=population, filters={"調査年月日": "2024-03-31"}, value_field="男性"
    )
    assert older["defaults"] == {}
    assert {c: a["value"] for c, a in _by_code(older).items()} == {
        "352012": 1430,
        "352039": 700,
    }
    by_area = ckan.action.choropleth_show(
        resource_id=population, filters={"地域名": "長府"}, aggregation="max"
    )
    assert {c: a["value"] for c, a in _by_code(by_area).items()} == {"352012": 990}
    mean = ckan.action.choropleth_show(resource_id=population, aggregation="mean")
    assert {c: a["value"] for c, a in _by_code(mean).items()} == {"352012": 1485, "352039": 955}
    count = ckan.action.choropleth_show(resource_id=population, aggregation="count")
    assert count["value_field"] is None
    assert {c: a["value"] for c, a in _by_code(count).items()} == {"352012": 2, "352039": 2}


def test_five_and_six_digit_codes_meet_and_undrawable_codes_are_listed(
    server: LiveServer, custom: str
) -> None:
    result = server.ckan().action.choropleth_show(resource_id=custom, value_field="件数")
    areas = _by_code(result)
    assert {c: a["value"] for c, a in areas.items()} == {
        "352021": 15,  # 352021 and 35202 are the same place
        "352047": 7,
        "352063": 3,
        "352071": 20,
        "352080": 40,
        "261017": 6,
    }
    assert areas["352021"]["rows"] == 2
    assert areas["261017"]["level"] == "ward" and areas["261017"]["name"] == "京都市北区"
    listed = {(u["code"], u["reason"]) for u in result["unmatched"]}
    assert listed == {
        ("350001", "prefecture"),
        ("011011", "ward"),
        ("abc", "invalid"),
        ("352019", "invalid"),
        ("359998", "unknown"),
        ("261009", "city_by_wards"),
    }
    ward = next(u for u in result["unmatched"] if u["reason"] == "ward")
    assert ward["name"] == "札幌市中央区" and ward["value"] == 1 and ward["rows"] == 1
    assert "区の境界" in ward["message"]
    assert sorted(result["prefectures"]) == ["26", "35"]


def test_number_codes_that_lost_their_leading_zero_are_read_as_the_column_reads(
    server: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    fields = [{"id": "全国地方公共団体コード", "type": "int"}, {"id": "人口", "type": "int"}]
    six = _table(
        admin,
        "ch-int6",
        fields,
        [
            {"全国地方公共団体コード": 11002, "人口": 100},  # 011002 札幌市
            {"全国地方公共団体コード": 12025, "人口": 50},  # 012025 函館市
            {"全国地方公共団体コード": 352012, "人口": 30},
        ],
    )
    five = _table(
        admin,
        "ch-int5",
        fields,
        [
            {"全国地方公共団体コード": 1100, "人口": 100},  # 01100 札幌市
            {"全国地方公共団体コード": 1202, "人口": 50},  # 01202 函館市
            {"全国地方公共団体コード": 35201, "人口": 30},
        ],
    )
    for resource_id in (six, five):
        result = server.ckan().action.choropleth_show(resource_id=resource_id)
        assert {c: a["value"] for c, a in _by_code(result).items()} == {
            "011002": 100,
            "012025": 50,
            "352012": 30,
        }, resource_id
        assert result["unmatched"] == []


def test_class_breaks_and_legend(server: LiveServer, custom: str) -> None:
    ckan = server.ckan()
    for method in ("quantile", "jenks", "equal_interval"):
        result = ckan.action.choropleth_show(
            resource_id=custom, value_field="件数", method=method, classes=3
        )
        legend = result["legend"]
        assert result["method"] == method and len(legend) == result["classes"] <= 3
        assert [c["class"] for c in legend] == list(range(1, len(legend) + 1))
        assert legend[0]["min"] == 3 and legend[-1]["max"] == 40
        assert sum(c["count"] for c in legend) == len(result["areas"])
        assert len({c["color"] for c in legend}) == len(legend)
        for area in result["areas"]:
            klass = legend[area["class"] - 1]
            assert klass["min"] <= area["value"] <= klass["max"]
            assert area["color"] == klass["color"]
    quantile = ckan.action.choropleth_show(
        resource_id=custom, value_field="件数", method="quantile", classes=2
    )
    assert quantile["breaks"] == [3, 11, 40]
    jenks = ckan.action.choropleth_show(
        resource_id=custom, value_field="件数", method="jenks", classes=2
    )
    # Natural breaks put the one large value apart from the small ones.
    assert jenks["breaks"] == [3, 20, 40]


def test_bad_input_is_a_validation_error(
    server: LiveServer, admin: ckanapi.RemoteCKAN, custom: str
) -> None:
    url = f"{server.url}/api/3/action/choropleth_show"
    cases = [
        ({"resource_id": custom, "value_field": "区分"}, "value_field"),
        ({"resource_id": custom, "value_field": "ない列"}, "value_field"),
        ({"resource_id": custom, "aggregation": "median"}, "aggregation"),
        ({"resource_id": custom, "method": "kmeans"}, "method"),
        ({"resource_id": custom, "classes": 9}, "classes"),
        ({"resource_id": custom, "classes": "x"}, "classes"),
        ({"resource_id": custom, "filters": {"ない列": "1"}}, "filters"),
        ({"resource_id": custom, "filters": "[1]"}, "filters"),
        ({"resource_id": custom, "code_field": "ない列"}, "code_field"),
    ]
    for body, field in cases:
        response = requests.post(url, json=body, timeout=10)
        assert response.status_code == 409, (body, response.text)
        assert field in response.json()["error"], (body, response.json())
    without_codes = _table(admin, "ch-nocode", [{"id": "数", "type": "int"}], [{"数": 1}])
    response = requests.post(url, json={"resource_id": without_codes}, timeout=10)
    assert response.status_code == 409 and "code_field" in response.json()["error"]
    assert requests.post(url, json={}, timeout=10).status_code == 409
    missing = requests.post(url, json={"resource_id": "no-such-resource"}, timeout=10)
    assert missing.status_code == 404


def test_private_tables_are_refused_as_datastore_search_refuses_them(
    server: LiveServer,
    admin: ckanapi.RemoteCKAN,
    member: ckanapi.RemoteCKAN,
    outsider: ckanapi.RemoteCKAN,
) -> None:
    private = _table(admin, "ch-private", CUSTOM_FIELDS, CUSTOM_RECORDS[:3], private=True)
    url = f"{server.url}/api/3/action/"
    for token in (None, outsider.apikey):
        headers = {"Authorization": token} if token else {}
        search = requests.post(
            url + "datastore_search", json={"resource_id": private}, headers=headers, timeout=10
        )
        shown = requests.post(
            url + "choropleth_show", json={"resource_id": private}, headers=headers, timeout=10
        )
        assert search.status_code in (403, 404)
        assert shown.status_code == search.status_code, shown.text
        assert "宇部市" not in shown.text and "352021" not in shown.text
    result = member.action.choropleth_show(resource_id=private)
    assert {a["code"] for a in result["areas"]} == {"352021", "352047"}


def test_eligible_tables_get_the_choropleth_view_and_others_do_not(
    server: LiveServer, admin: ckanapi.RemoteCKAN, population: str, custom: str
) -> None:
    def types(resource_id: str) -> list[str]:
        return [v["view_type"] for v in admin.action.resource_view_list(id=resource_id)]

    assert "tsunagu_choropleth" in types(population)
    view = next(
        v
        for v in admin.action.resource_view_list(id=population)
        if v["view_type"] == "tsunagu_choropleth"
    )
    assert view["title"] == "地図（市区町村別）"
    assert view["code_field"] == "全国地方公共団体コード"
    assert "tsunagu_choropleth" in types(custom)
    # Numbers without codes, and a list of places (codes, coordinates, a number): no such view.
    plain = _table(admin, "ch-plain", [{"id": "数", "type": "int"}], [{"数": 1}])
    located = _table(
        admin,
        "ch-located",
        [
            {"id": "全国地方公共団体コード", "type": "text"},
            {"id": "緯度", "type": "numeric"},
            {"id": "経度", "type": "numeric"},
            {"id": "収容人数", "type": "int"},
        ],
        [{"全国地方公共団体コード": "352012", "緯度": 33.95, "経度": 130.94, "収容人数": 50}],
    )
    assert "tsunagu_choropleth" not in types(plain)
    assert "tsunagu_choropleth" not in types(located)
    # The action still counts rows per municipality for such a table.
    counted = server.ckan().action.choropleth_show(resource_id=located, aggregation="count")
    assert [(a["code"], a["value"]) for a in counted["areas"]] == [("352012", 1)]
    summed = server.ckan().action.choropleth_show(resource_id=located)
    assert summed["value_field"] == "収容人数"
    assert [(a["code"], a["value"]) for a in summed["areas"]] == [("352012", 50)]


def test_boundary_files_are_served_with_etags_and_gzip(server: LiveServer) -> None:
    url = f"{server.url}/maps/boundaries/35.geojson"
    plain = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=10)
    assert plain.status_code == 200
    assert plain.headers["Content-Type"].startswith("application/geo+json")
    assert "gzip" not in plain.headers.get("Content-Encoding", "")
    assert plain.headers["Cache-Control"] == "public, max-age=86400"
    body = plain.json()
    codes = {f["properties"]["code"] for f in body["features"]}
    assert len(codes) == 19 and "352012" in codes and "355020" in codes
    zipped = requests.get(url, headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.json() == body  # requests undoes the gzip
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    again = requests.get(
        url,
        headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]},
        timeout=10,
    )
    assert again.status_code == 304 and again.content == b""
    for missing in ("99", "x1", "3"):
        response = requests.get(f"{server.url}/maps/boundaries/{missing}.geojson", timeout=10)
        assert response.status_code == 404


def test_the_pages_show_the_map_table_and_unmatched_codes_and_keep_private_tables_private(
    server: LiveServer, admin: ckanapi.RemoteCKAN, population: str, custom: str
) -> None:
    dataset = requests.get(f"{server.url}/dataset/ch-population", timeout=10)
    assert dataset.status_code == 200
    assert "地図（市区町村別）" in dataset.text and 'data-code="352012"' in dataset.text
    assert f'href="/choropleth/{population}"' in dataset.text
    embed = requests.get(f"{server.url}/embed/resource/{population}", timeout=10)
    assert embed.status_code == 200 and 'class="choropleth-map"' in embed.text
    page = requests.get(
        f"{server.url}/choropleth/{custom}",
        params={"value_field": "件数", "filter.区分": "A", "classes": "3"},
        timeout=10,
    )
    assert page.status_code == 200
    assert 'data-code="352047"' in page.text and 'data-code="352080"' not in page.text  # 区分 B
    assert "地図に描けないコード" in page.text and "札幌市中央区" in page.text
    bad = requests.get(f"{server.url}/choropleth/{custom}", params={"classes": "99"}, timeout=10)
    assert bad.status_code == 400
    assert "指定が正しくありません" in bad.text and 'data-code="352021"' in bad.text
    single = _table(
        admin,
        "ch-single",
        [{"id": "全国地方公共団体コード", "type": "text"}, {"id": "人口", "type": "int"}],
        [{"全国地方公共団体コード": "352012", "人口": 5}],
    )
    assert (
        "地図（市区町村別）" not in requests.get(f"{server.url}/dataset/ch-single", timeout=10).text
    )
    alone = requests.get(f"{server.url}/choropleth/{single}", timeout=10)
    assert alone.status_code == 200 and 'data-code="352012"' in alone.text
    private = _table(admin, "ch-private-page", CUSTOM_FIELDS, CUSTOM_RECORDS[:2], private=True)
    hidden = requests.get(f"{server.url}/choropleth/{private}", timeout=10)
    assert hidden.status_code == 404 and "352021" not in hidden.text
    assert requests.get(f"{server.url}/choropleth/no-such-resource", timeout=10).status_code == 404


@pytest.mark.parametrize(
    ("slug", "options"),
    [
        ("yamaguchi-city", {}),
        # 宇部市's export: Shift_JIS, 和暦 dates, "1,234" and － for zero.
        ("ube-city", {"encoding": "cp932", "messy": True}),
    ],
)
def test_the_demo_standard_04_files_give_each_municipality_its_newest_total(
    server: LiveServer, admin: ckanapi.RemoteCKAN, slug: str, options: dict[str, Any]
) -> None:
    muni = BY_SLUG[slug]
    body = population_file(slug, **options)
    rows = list(csv.DictReader(io.StringIO(population_file(slug).decode("utf-8-sig"))))
    newest = max(row["調査年月日"] for row in rows)
    expected = sum(int(row["総人口"]) for row in rows if row["調査年月日"] == newest)
    name = f"ch-demo-{slug}"
    admin.action.package_create(name=name, title="地域・年齢別人口", owner_org="ch-org")
    res = admin.action.resource_create(
        package_id=name, name=f"{slug}.csv", upload=(f"{slug}.csv", io.BytesIO(body))
    )
    _ingested(admin, res["id"])
    result = server.ckan().action.choropleth_show(resource_id=res["id"])
    assert result["value_field"] == "総人口"
    assert result["defaults"] == {"調査年月日": newest}
    assert [(a["code"], a["name"], a["value"]) for a in result["areas"]] == [
        (muni.code, muni.name, expected)
    ]
    assert result["unmatched"] == []
