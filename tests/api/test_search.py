"""package_search as CKAN clients use it: Japanese words, facets, fq, paging and sorting."""

from __future__ import annotations

import ckanapi
import httpx
import pytest

from support.databases import SEARCH_BACKENDS
from support.live_server import LiveServer

DATASETS = [
    # name, title, org, groups, tags, formats, notes
    (
        "evac-shimonoseki",
        "指定緊急避難場所一覧",
        "shimonoseki",
        ["bousai"],
        ["防災", "避難所"],
        ["CSV"],
        "災害時の避難先です。",
    ),
    (
        "evac-ube",
        "避難所データ（宇部市）",
        "ube",
        ["bousai"],
        ["防災", "避難所"],
        ["XLSX"],
        "宇部市の避難所",
    ),
    (
        "aed-ube",
        "AED設置箇所",
        "ube",
        ["kenko"],
        ["AED", "医療"],
        ["CSV", "PDF"],
        "自動体外式除細動器の設置場所",
    ),
    (
        "population-pref",
        "地域・年齢別人口",
        "pref",
        ["tokei"],
        ["人口", "統計"],
        ["CSV"],
        "町丁目別の人口です。",
    ),
    ("population-ube", "宇部市の人口推計", "ube", ["tokei"], ["人口"], ["XLSX"], "将来人口"),
    (
        "tourism-pref",
        "観光客数の推移",
        "pref",
        ["kanko"],
        ["観光", "統計"],
        ["CSV"],
        "主要観光地の入込客数。避難の記述なし。",
    ),
    (
        "wifi-shimonoseki",
        "公衆無線LANアクセスポイント",
        "shimonoseki",
        ["kanko"],
        ["Wi-Fi"],
        ["CSV"],
        "ﾌﾘｰWi-Fiスポット",
    ),
    (
        "kosodate-ube",
        "子育て施設一覧",
        "ube",
        ["kosodate"],
        ["子育て", "保育所"],
        ["CSV"],
        "保育所・幼稚園・認定こども園",
    ),
]


@pytest.fixture(scope="module", params=SEARCH_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Both databases, and PostgreSQL once more with the search in PostgreSQL."""
    return str(request.param)


@pytest.fixture(scope="module")
def ckan(server: LiveServer) -> ckanapi.RemoteCKAN:
    admin = server.ckan(server.make_user("search-admin", sysadmin=True))
    admin.action.organization_create(
        name="pref", title="山口県", kind="prefecture", local_gov_code="350001"
    )
    admin.action.organization_create(
        name="shimonoseki",
        title="下関市",
        kind="municipality",
        local_gov_code="352012",
        parent="pref",
    )
    admin.action.organization_create(
        name="ube", title="宇部市", kind="municipality", local_gov_code="352021", parent="pref"
    )
    for group, title in [
        ("bousai", "防災"),
        ("kenko", "健康・福祉"),
        ("tokei", "人口・統計"),
        ("kanko", "観光"),
        ("kosodate", "子育て"),
    ]:
        admin.action.group_create(name=group, title=title)
    for name, title, org, groups, tags, formats, notes in DATASETS:
        admin.action.package_create(
            name=name,
            title=title,
            owner_org=org,
            notes=notes,
            groups=[{"name": g} for g in groups],
            tags=[{"name": t} for t in tags],
            license_id="cc-by-4.0" if org != "pref" else "pdl-1.0",
            resources=[
                {"url": f"https://example.jp/{name}.{f.lower()}", "format": f} for f in formats
            ],
        )
    return server.ckan()


def names(result: dict) -> list[str]:
    return [r["name"] for r in result["results"]]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("人口", {"population-pref", "population-ube"}),
        ("避難", {"evac-shimonoseki", "evac-ube", "tourism-pref"}),
        ("避難所", {"evac-shimonoseki", "evac-ube"}),
        ("AED", {"aed-ube"}),
        ("aed", {"aed-ube"}),
        ("ＡＥＤ", {"aed-ube"}),  # full-width letters
        ("wi-fi", {"wifi-shimonoseki"}),
        ("フリー", {"wifi-shimonoseki"}),  # half-width katakana in the notes
        ("ほいくしょ", {"kosodate-ube"}),  # the reading of the tag 保育所
        ("ひなんじょ", {"evac-shimonoseki", "evac-ube"}),
        ("ジンコウ", {"population-pref", "population-ube"}),
        ("保育", {"kosodate-ube"}),
        ("宇部市 人口", {"population-ube"}),
        ('"地域・年齢別人口"', {"population-pref"}),
        ("title:避難所", {"evac-ube", "evac-shimonoseki"}),  # synonym: 避難場所
        ("tags:防災", {"evac-shimonoseki", "evac-ube"}),
        (
            "人口 OR 観光",
            {"population-pref", "population-ube", "tourism-pref", "wifi-shimonoseki"},
        ),  # its category is 観光
        ("避難 -観光", {"evac-shimonoseki", "evac-ube"}),
        ("存在しない言葉", set()),
    ],
)
def test_query(ckan: ckanapi.RemoteCKAN, q: str, expected: set[str]) -> None:
    result = ckan.action.package_search(q=q, rows=100)
    assert set(names(result)) == expected
    assert result["count"] == len(expected)


def test_one_character_word(ckan: ckanapi.RemoteCKAN) -> None:
    assert set(names(ckan.action.package_search(q="園"))) == {"kosodate-ube"}


def test_title_ranks_above_description(ckan: ckanapi.RemoteCKAN) -> None:
    result = ckan.action.package_search(q="避難")
    # tourism-pref mentions 避難 only in its description.
    assert names(result)[-1] == "tourism-pref"


@pytest.mark.parametrize(
    ("fq", "expected"),
    [
        ("organization:ube", {"evac-ube", "aed-ube", "population-ube", "kosodate-ube"}),
        ("groups:tokei", {"population-pref", "population-ube"}),
        ("res_format:PDF", {"aed-ube"}),
        ("res_format:pdf", {"aed-ube"}),
        ("license_id:pdl-1.0", {"population-pref", "tourism-pref"}),
        ("organization:ube AND groups:bousai", {"evac-ube"}),
        ("res_format:XLSX OR res_format:PDF", {"evac-ube", "aed-ube", "population-ube"}),
        ("+organization:ube -tags:人口", {"evac-ube", "aed-ube", "kosodate-ube"}),
        ("groups:(bousai OR kosodate)", {"evac-shimonoseki", "evac-ube", "kosodate-ube"}),
        ('tags:"Wi-Fi"', {"wifi-shimonoseki"}),
        ("name:evac*", {"evac-shimonoseki", "evac-ube"}),
        ("num_resources:[2 TO *]", {"aed-ube"}),
        ("metadata_modified:[2000-01-01T00:00:00Z TO NOW]", {d[0] for d in DATASETS}),
        ("local_gov_code:352012", {"evac-shimonoseki", "wifi-shimonoseki"}),
        ("kind:prefecture", {"population-pref", "tourism-pref"}),
    ],
)
def test_fq(ckan: ckanapi.RemoteCKAN, fq: str, expected: set[str]) -> None:
    assert set(names(ckan.action.package_search(fq=fq, rows=100))) == expected


def test_fq_list_and_q_combine(ckan: ckanapi.RemoteCKAN) -> None:
    result = ckan.action.package_search(q="人口", fq_list=["organization:ube"])
    assert names(result) == ["population-ube"]


def test_facets_are_exact_and_limited(ckan: ckanapi.RemoteCKAN) -> None:
    result = ckan.action.package_search(
        q="避難", **{"facet.field": '["organization","tags","res_format","groups"]'}
    )
    assert result["facets"]["organization"] == {"shimonoseki": 1, "ube": 1, "pref": 1}
    assert result["facets"]["tags"]["防災"] == 2
    assert result["facets"]["res_format"] == {"CSV": 2, "XLSX": 1}
    items = {i["name"]: i for i in result["search_facets"]["organization"]["items"]}
    assert items["ube"]["display_name"] == "宇部市"
    limited = ckan.action.package_search(**{"facet.field": '["tags"]', "facet.limit": 2})
    tags = limited["facets"]["tags"]
    assert len(tags) == 2
    assert list(tags.values()) == sorted(tags.values(), reverse=True)
    everything = ckan.action.package_search(**{"facet.field": '["tags"]', "facet.limit": -1})
    assert sum(1 for _ in everything["facets"]["tags"]) == 10


def test_paging_and_sorting(ckan: ckanapi.RemoteCKAN) -> None:
    by_name = ckan.action.package_search(sort="name asc", rows=3)
    assert by_name["count"] == len(DATASETS)
    assert names(by_name) == sorted(d[0] for d in DATASETS)[:3]
    page2 = ckan.action.package_search(sort="name asc", rows=3, start=3)
    assert names(page2) == sorted(d[0] for d in DATASETS)[3:6]
    desc = ckan.action.package_search(sort="name desc", rows=100)
    assert names(desc) == sorted((d[0] for d in DATASETS), reverse=True)
    newest = ckan.action.package_search(sort="metadata_modified desc", rows=1)
    assert names(newest) == [DATASETS[-1][0]]
    by_title = names(ckan.action.package_search(sort="title_string asc", rows=100))
    assert len(by_title) == len(DATASETS)
    assert ckan.action.package_search(rows=0)["results"] == []
    assert ckan.action.package_search(start=1000)["results"] == []


def test_fl_limits_fields(ckan: ckanapi.RemoteCKAN) -> None:
    result = ckan.action.package_search(q="AED", fl="name,title")
    assert result["results"] == [{"name": "aed-ube", "title": "AED設置箇所"}]


def test_organization_and_group_views(ckan: ckanapi.RemoteCKAN) -> None:
    orgs = ckan.action.organization_list()
    assert orgs == ["shimonoseki", "ube", "pref"] or set(orgs) == {"pref", "shimonoseki", "ube"}
    full = ckan.action.organization_list(all_fields=True, sort="package_count desc")
    assert full[0]["name"] == "ube" and full[0]["package_count"] == 4
    assert {o["name"]: o["kind"] for o in full}["pref"] == "prefecture"
    shown = ckan.action.organization_show(id="ube", include_datasets=True)
    assert shown["package_count"] == 4
    assert len(shown["packages"]) == 4
    assert shown["parent"] == "pref"
    group = ckan.action.group_show(id="bousai", include_datasets=True)
    assert group["package_count"] == 2
    assert ckan.action.group_list(sort="name asc") == sorted(
        ["bousai", "kenko", "tokei", "kanko", "kosodate"]
    )
    groups = ckan.action.group_list(all_fields=True)
    assert all("package_count" in g for g in groups)


def test_tag_and_license_lists(ckan: ckanapi.RemoteCKAN) -> None:
    tags = ckan.action.tag_list()
    assert "防災" in tags and "AED" in tags
    assert ckan.action.tag_list(query="人") == ["人口"]
    licenses = {lic["id"]: lic for lic in ckan.action.license_list()}
    assert {"cc-by-4.0", "pdl-1.0", "cc0-1.0"} <= set(licenses)
    assert licenses["pdl-1.0"]["title"].startswith("公共データ利用規約")


def test_site_status(ckan: ckanapi.RemoteCKAN) -> None:
    assert ckan.action.site_read() is True
    status = ckan.action.status_show()
    assert status["ckan_version"].startswith("2.")
    assert status["locale_default"] == "ja"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"fq": 'title:"unclosed'}, "検索式を解釈できません"),
        ({"q": "(避難 OR"}, "検索式を解釈できません"),
        ({"fq": "no_such_field:1"}, "検索できない項目です"),
        ({"fq": "title:[a TO b]"}, "範囲検索できない項目です"),
        ({"fq": "num_resources:[x TO 3]"}, "数値で指定してください"),
        ({"sort": "nothing asc"}, "並べ替えの指定が正しくありません"),
        ({"facet.field": '["title"]'}, "集計できない項目です"),
    ],
)
def test_bad_query_is_refused_alike(
    server: LiveServer, ckan: ckanapi.RemoteCKAN, params: dict[str, str], message: str
) -> None:
    # Every search backend refuses with the same 409 Search Query Error and message.
    response = httpx.get(f"{server.url}/api/3/action/package_search", params=params)
    assert response.status_code == 409
    body = response.json()
    assert body["success"] is False
    assert body["error"]["__type"] == "Search Query Error"
    assert message in body["error"]["message"]


def test_private_and_draft_datasets_never_reach_anonymous_callers(
    server: LiveServer, ckan: ckanapi.RemoteCKAN
) -> None:
    admin = server.ckan(server.make_user("search-private-admin", sysadmin=True))
    admin.action.package_create(
        name="secret-hinanjo", title="非公開の避難所名簿", owner_org="ube", private=True
    )
    admin.action.package_create(
        name="draft-hinanjo", title="下書きの避難所名簿", owner_org="ube", state="draft"
    )
    for query in ({"q": "避難所名簿"}, {"q": "ひなんじょ"}, {"fq": "capacity:private"}, {}):
        found = ckan.action.package_search(rows=1000, include_private=True, **query)
        assert {"secret-hinanjo", "draft-hinanjo"}.isdisjoint(names(found)), query
        facets = ckan.action.package_search(
            include_private=True, **{"facet.field": '["capacity"]'}, **query
        )["facets"]["capacity"]
        assert "private" not in facets
    seen = admin.action.package_search(q="避難所名簿", include_private=True, include_drafts=True)
    assert set(names(seen)) == {"secret-hinanjo", "draft-hinanjo"}
    assert ckan.action.package_search(fq="name:secret-hinanjo")["count"] == 0
    with pytest.raises(ckanapi.NotFound):  # its existence is not told either
        ckan.action.package_show(id="secret-hinanjo")
    for name in ("secret-hinanjo", "draft-hinanjo"):
        admin.action.dataset_purge(id=name)
