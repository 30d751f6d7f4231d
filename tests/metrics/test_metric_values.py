"""Each built-in catalog metric's value, and the organisation scorecard, over HTTP with ckanapi
on SQLite and PostgreSQL, on a catalog this module makes: a prefecture, one of its departments,
three municipalities and one other body, with public datasets that count and private, draft and
deleted ones that must not.

    mv-pref (prefecture)      p1 public CSV (3★), p2 public empty, p5 public monthly, 400 days
                              old (overdue), p3 private CSV, p4 draft
    mv-dept (department)      d1 public
    mv-city-a (municipality)  a1 public, declares AED (08); a2 public, an AED file found by the
                              check; a3 private, declares 避難場所 (03)
    mv-city-b (municipality)  b1 public, declares 避難場所 (03); b2 deleted, declared AED
    mv-city-c (municipality)  c1 private AED; c2 draft AED: publishes nothing
    mv-other (other)          o1 public

p1's file is downloaded three times and p3's (private) twice: the downloads metric counts three.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import ckanapi
import pytest
import requests
from sqlalchemy import select

from support.attention_items import CLEAN_CSV, age, checked, dataset, upload
from support.faulty_metrics import FAILURES, failing_value, registered_metric
from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.demo.files_bousai import aed_location
from tsunagu.usage.models import DatasetUsage

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari"}
ORGS = (
    ("mv-pref", "山口県", "prefecture", "350001", None),
    ("mv-dept", "山口県 デジタル推進課", "prefectural_department", None, "mv-pref"),
    ("mv-city-a", "下関市", "municipality", "352012", None),
    ("mv-city-b", "宇部市", "municipality", "352021", None),
    ("mv-city-c", "山口市", "municipality", "352039", None),
    ("mv-other", "一般社団法人 つなぐ", "other", None, None),
)


@dataclass
class Catalog:
    server: LiveServer
    tokens: dict[str, str]
    names: dict[str, str]  # p1, p2 … → dataset name
    org_ids: dict[str, str]

    def ckan(self, who: str | None = None) -> ckanapi.RemoteCKAN:
        return self.server.ckan(self.tokens.get(who or ""))

    def value(self, key: str, **params: Any) -> float:
        return float(self.ckan().action.metric_show(key=key, params=params)["value"])


def _download(server: LiveServer, name: str, token: str | None, times: int) -> str:
    package = server.act("package_show", {"id": name})
    resource = package["resources"][0]
    headers = dict(BROWSER)
    if token:
        headers["Authorization"] = token
    for _ in range(times):
        answer = requests.get(resource["url"], headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text[:200]
    return str(package["id"])


@pytest.fixture(scope="module")
def catalog(server: LiveServer) -> Catalog:
    tokens = {"sysadmin": server.make_user("mv-sysadmin", sysadmin=True)}
    org_ids = {}
    for name, title, kind, code, parent in ORGS:
        org = server.act(
            "organization_create",
            {"name": name, "title": title, "kind": kind, "local_gov_code": code}
            | ({"parent": parent} if parent else {}),
        )
        org_ids[name] = org["id"]
    tokens["pref-member"] = server.make_user("mv-pref-member")
    server.act(
        "organization_member_create",
        {"id": "mv-pref", "username": "mv-pref-member", "role": "member"},
    )
    names = {
        "p1": dataset(server, "mv-pref", "mv-p1"),
        "p2": dataset(server, "mv-pref", "mv-p2"),
        "p3": dataset(server, "mv-pref", "mv-p3", private=True),
        "p4": dataset(server, "mv-pref", "mv-p4", state="draft"),
        "p5": dataset(server, "mv-pref", "mv-p5", frequency="monthly"),
        "d1": dataset(server, "mv-dept", "mv-d1"),
        "a1": dataset(server, "mv-city-a", "mv-a1", standard_id="08"),
        "a2": dataset(server, "mv-city-a", "mv-a2"),
        "a3": dataset(server, "mv-city-a", "mv-a3", standard_id="03", private=True),
        "b1": dataset(server, "mv-city-b", "mv-b1", standard_id="evacuation_space"),
        "b2": dataset(server, "mv-city-b", "mv-b2", standard_id="aed"),
        "c1": dataset(server, "mv-city-c", "mv-c1", standard_id="aed", private=True),
        "c2": dataset(server, "mv-city-c", "mv-c2", standard_id="aed", state="draft"),
        "o1": dataset(server, "mv-other", "mv-o1"),
    }
    files = [
        upload(server, names["p1"], "table.csv", CLEAN_CSV),
        upload(server, names["p3"], "table.csv", CLEAN_CSV),
        upload(server, names["a2"], "352012_aed_location.csv", aed_location("shimonoseki-city")),
    ]
    for resource_id in files:
        checked(server, resource_id)
    server.act("package_delete", {"id": names["b2"]})
    age(server, names["p5"], 400)  # monthly, untouched for 400 days: overdue
    _download(server, names["p1"], None, 3)
    private_id = _download(server, names["p3"], tokens["sysadmin"], 2)

    def private_downloads() -> int:
        with server.services.sessions() as session:
            row = session.scalar(select(DatasetUsage).where(DatasetUsage.dataset_id == private_id))
            return row.downloads if row else 0

    # The private downloads are counted by usage (so the metric has something to leave out).
    wait_until(
        private_downloads, "the private dataset's downloads to be written", until=lambda n: n == 2
    )
    return Catalog(server, tokens, names, org_ids)


def _public_packages(cat: Catalog) -> list[dict[str, Any]]:
    public = ("p1", "p2", "p5", "d1", "a1", "a2", "b1", "o1")
    return [cat.server.act("package_show", {"id": cat.names[k]}) for k in public]


# -- the registry ------------------------------------------------------------------------------


def test_metric_list_describes_every_builtin_metric(catalog: Catalog) -> None:
    listed = {m["key"]: m for m in catalog.ckan().action.metric_list()}
    assert {
        "datasets_public",
        "organizations_publishing",
        "standard_coverage",
        "standard_coverage_cells",
        "datasets_min_stars",
        "datasets_min_score",
        "downloads",
    } <= set(listed)
    public = listed["datasets_public"]
    assert (public["label"], public["unit"]) == ("公開データセット数", "件")
    params = {p["name"]: p for p in public["params"]}
    assert params["kind"]["default"] == "all"
    assert [c["value"] for c in params["kind"]["choices"]] == ["all", "prefecture", "municipality"]
    assert params["organization"]["required"] is False
    coverage = {p["name"]: p for p in listed["standard_coverage"]["params"]}
    assert coverage["standard"]["required"] is True
    assert all(m["counts_private"] is False for m in listed.values())


# -- each built-in metric ------------------------------------------------------------------------


def test_public_datasets_leave_out_private_draft_and_deleted_ones(catalog: Catalog) -> None:
    assert catalog.value("datasets_public") == 8
    assert catalog.value("datasets_public", kind="all") == 8
    assert catalog.value("datasets_public", kind="prefecture") == 4  # p1 p2 p5 d1
    assert catalog.value("datasets_public", kind="municipality") == 3  # a1 a2 b1
    assert catalog.value("datasets_public", organization="mv-city-a") == 2
    assert catalog.value("datasets_public", organization="mv-city-b") == 1
    assert catalog.value("datasets_public", organization="mv-city-c") == 0
    assert catalog.value("datasets_public", organization=catalog.org_ids["mv-pref"]) == 3
    # The organisation is kept as its id, whichever way it was named.
    shown = catalog.ckan().action.metric_show(
        key="datasets_public", params={"organization": "mv-pref"}
    )
    assert shown["params"] == {"kind": "all", "organization": catalog.org_ids["mv-pref"]}
    # A sysadmin asking sees the same public count: metrics never count what the caller may see.
    as_sysadmin = catalog.ckan("sysadmin").action.metric_show(key="datasets_public")
    assert as_sysadmin["value"] == 8


def test_organisations_publishing_need_a_public_dataset(catalog: Catalog) -> None:
    # pref, dept, city-a, city-b, other; city-c has only private and draft datasets.
    assert catalog.value("organizations_publishing") == 5
    assert catalog.value("organizations_publishing", kind="municipality") == 2
    assert catalog.value("organizations_publishing", kind="prefecture") == 2


def test_standard_coverage_counts_declared_and_checked_public_datasets(catalog: Catalog) -> None:
    a2 = catalog.server.act("package_show", {"id": catalog.names["a2"]})
    assert a2["resources"][0]["quality"]["standard"] == "aed"  # found by the file's check
    assert catalog.value("standard_coverage", standard="aed") == 1  # city-a only
    assert catalog.value("standard_coverage", standard="08") == 1  # by number too
    assert catalog.value("standard_coverage", standard="evacuation_space") == 1  # city-b only
    assert catalog.value("standard_coverage", standard="public_facility") == 0
    assert catalog.value("standard_coverage_cells") == 2


def test_quality_levels_count_public_datasets_as_rated(catalog: Catalog) -> None:
    packages = _public_packages(catalog)
    p1 = catalog.server.act("package_show", {"id": catalog.names["p1"]})
    p3 = catalog.server.act("package_show", {"id": catalog.names["p3"]})
    assert p1["quality_stars"] >= 3 and p3["quality_stars"] >= 3  # the private one would count
    for stars in (1, 3, 5):
        expected = sum(1 for p in packages if p["quality_stars"] >= stars)
        assert catalog.value("datasets_min_stars", min_stars=stars) == expected, stars
    assert catalog.value("datasets_min_stars", min_stars=3, kind="municipality") == sum(
        1
        for p in packages
        if p["quality_stars"] >= 3 and p["organization"]["kind"] == "municipality"
    )
    scores = sorted({p["quality_score"] for p in packages} | {1, 100})
    for score in scores:
        expected = sum(1 for p in packages if p["quality_score"] >= score)
        assert catalog.value("datasets_min_score", min_score=score) == expected, score


def test_downloads_count_public_datasets_only(catalog: Catalog) -> None:
    wait_until(
        lambda: catalog.value("downloads"),
        "the public downloads to be counted",
        until=lambda n: n >= 3,
    )
    assert catalog.value("downloads") == 3  # not p3's two
    assert catalog.value("downloads", kind="prefecture") == 3
    assert catalog.value("downloads", kind="municipality") == 0
    assert catalog.value("downloads", organization="mv-pref") == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"key": "no_such_metric"}, "key"),
        ({"key": ""}, "key"),
        ({"key": "datasets_public", "params": {"colour": "red"}}, "colour"),
        ({"key": "datasets_public", "params": {"kind": "city"}}, "kind"),
        ({"key": "datasets_public", "params": {"organization": "no-such-org"}}, "organization"),
        ({"key": "datasets_public", "params": "[1, 2]"}, "params"),
        ({"key": "standard_coverage"}, "standard"),
        ({"key": "standard_coverage", "params": {"standard": "99"}}, "standard"),
        ({"key": "datasets_min_stars", "params": {"min_stars": 9}}, "min_stars"),
        ({"key": "datasets_min_stars", "params": {"min_stars": "三"}}, "min_stars"),
        ({"key": "datasets_min_score", "params": {"min_score": 2.5}}, "min_score"),
    ],
)
def test_bad_keys_and_parameters_are_refused_by_name(
    catalog: Catalog, params: dict[str, Any], field: str
) -> None:
    for action in ("metric_show", "metric_series"):
        with pytest.raises(ckanapi.ValidationError) as refused:
            getattr(catalog.ckan().action, action)(**params)
        assert field in refused.value.error_dict, refused.value.error_dict


def test_metric_show_gives_the_newest_snapshot_beside_the_value_now(catalog: Catalog) -> None:
    params = {"kind": "municipality"}
    before = catalog.ckan().action.metric_show(key="datasets_public", params=params)
    assert before["latest_snapshot"] is None  # no snapshot yet: the test servers have no scheduler
    ran = catalog.ckan("sysadmin").action.metric_snapshot_run()
    assert (ran["status"], ran["no_data"], ran["failed"]) == ("complete", 0, [])
    shown = catalog.ckan().action.metric_show(key="datasets_public", params=params)
    assert (shown["value"], shown["value_error"]) == (3.0, None)
    assert shown["latest_snapshot"] == {"date": ran["date"], "value": 3.0}
    series = catalog.ckan().action.metric_series(key="datasets_public", params=params)
    assert series["points"] == [{"date": ran["date"], "value": 3.0, "no_data": False}]
    with pytest.raises(ckanapi.NotAuthorized):
        catalog.ckan("pref-member").action.metric_snapshot_run()


@pytest.mark.parametrize("failure", [*FAILURES, None])
def test_metric_show_of_a_faulty_metric_says_so_instead_of_failing(
    catalog: Catalog, failure: str | None
) -> None:
    """A metric that raises, gives text or NaN, or runs a statement the database refuses is shown
    without a value and with why (the request still reads the stored values after it); one
    that has no figure today (None) is shown without a value and without an error."""

    def compute(context: Any, _params: dict[str, Any]) -> object:
        return failing_value(context, failure, None)

    with registered_metric("test_faulty_show", compute):
        shown = catalog.ckan().action.metric_show(key="test_faulty_show")
    assert (shown["key"], shown["params"], shown["value"]) == ("test_faulty_show", {}, None)
    assert shown["latest_snapshot"] is None
    if failure is None:
        assert shown["value_error"] is None
    else:
        assert "計算できません" in shown["value_error"]


# -- the organisation scorecard -------------------------------------------------------------------


def _cards(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {card["name"]: card for card in answer["organizations"]}


def test_scorecard_counts_and_who_sees_private_and_draft_counts(catalog: Catalog) -> None:
    anonymous = _cards(catalog.ckan().action.organization_scorecard_list())
    assert list(anonymous) == [name for name, *_ in ORGS]  # prefecture, department, cities …
    pref = anonymous["mv-pref"]
    assert pref["datasets"] == {"public": 3, "private": None, "draft": None}
    assert anonymous["mv-city-c"]["datasets"] == {"public": 0, "private": None, "draft": None}
    sysadmin = _cards(catalog.ckan("sysadmin").action.organization_scorecard_list())
    assert sysadmin["mv-pref"]["datasets"] == {"public": 3, "private": 1, "draft": 1}
    assert sysadmin["mv-city-c"]["datasets"] == {"public": 0, "private": 1, "draft": 1}
    assert sysadmin["mv-city-b"]["datasets"] == {"public": 1, "private": 0, "draft": 0}  # b2 gone
    member = _cards(catalog.ckan("pref-member").action.organization_scorecard_list())
    assert member["mv-pref"]["datasets"] == {"public": 3, "private": 1, "draft": 1}
    assert member["mv-city-c"]["datasets"]["private"] is None  # not their organisation


def test_scorecard_quality_and_freshness_are_over_public_datasets(catalog: Catalog) -> None:
    cards = _cards(catalog.ckan("sysadmin").action.organization_scorecard_list())
    public = [
        catalog.server.act("package_show", {"id": catalog.names[k]}) for k in ("p1", "p2", "p5")
    ]
    pref = cards["mv-pref"]
    mean = round(sum(p["quality_score"] for p in public) / 3, 1)
    assert pref["quality"]["score_mean"] == mean
    stars = {str(n): sum(1 for p in public if p["quality_stars"] == n) for n in range(6)}
    assert pref["quality"]["stars"] == stars
    assert pref["freshness"] == {"scheduled": 1, "overdue": 1}  # p5
    assert cards["mv-city-c"]["quality"] == {
        "score_mean": None,
        "stars": {str(n): 0 for n in range(6)},
    }
    assert pref["metrics"]["downloads"] == 3
    assert cards["mv-city-a"]["metrics"]["downloads"] == 0


def test_scorecard_metric_columns_are_the_metrics_marked_for_it(catalog: Catalog) -> None:
    answer = catalog.ckan().action.organization_scorecard_list()
    listed = {m["key"] for m in catalog.ckan().action.metric_list() if m["scorecard"]}
    assert {c["key"] for c in answer["metric_columns"]} == listed
    assert "downloads" in listed
    for card in answer["organizations"]:
        assert set(card["metrics"]) == listed


@pytest.mark.parametrize("failure", ["raise", "text", "sql"])
def test_a_faulty_scorecard_metric_leaves_its_column_empty(catalog: Catalog, failure: str) -> None:
    """A metric another capability adds to the scorecard fails (raises, gives text, or runs a
    statement the database refuses): the scorecard is still given, that column empty."""

    def compute(context: Any, _params: dict[str, Any]) -> object:
        return failing_value(context, failure, None)

    with registered_metric("test_faulty_column", compute, scorecard=True):
        cards = _cards(catalog.ckan("sysadmin").action.organization_scorecard_list())
    assert all(card["metrics"]["test_faulty_column"] is None for card in cards.values())
    assert cards["mv-pref"]["metrics"]["downloads"] == 3  # the other columns as always
    assert cards["mv-pref"]["datasets"]["public"] == 3


def test_scorecard_of_one_organisation_and_of_a_kind(catalog: Catalog) -> None:
    one = catalog.ckan().action.organization_scorecard_show(id="mv-city-a")
    assert one["name"] == "mv-city-a" and one["datasets"]["public"] == 2
    assert one["metric_columns"] and one["stars_labels"]["3"]
    by_id = catalog.ckan().action.organization_scorecard_show(id=catalog.org_ids["mv-city-a"])
    assert by_id == one
    with pytest.raises(ckanapi.NotFound):
        catalog.ckan().action.organization_scorecard_show(id="no-such-org")
    municipalities = catalog.ckan().action.organization_scorecard_list(kind="municipality")
    assert list(_cards(municipalities)) == ["mv-city-a", "mv-city-b", "mv-city-c"]
    prefecture = catalog.ckan().action.organization_scorecard_list(kind="prefecture")
    assert list(_cards(prefecture)) == ["mv-pref", "mv-dept"]
    with pytest.raises(ckanapi.ValidationError):
        catalog.ckan().action.organization_scorecard_list(kind="village")


def _csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_scorecard_json_and_csv_downloads(catalog: Catalog) -> None:
    url = catalog.server.url
    answer = catalog.ckan().action.organization_scorecard_list()
    page_json = requests.get(f"{url}/dashboard/organizations.json", timeout=30)
    assert page_json.status_code == 200
    assert page_json.json() == answer
    got = requests.get(f"{url}/dashboard/organizations.csv", timeout=30)
    assert got.headers["content-type"].startswith("text/csv")
    lines = _csv(got.content.decode("utf-8"))
    header, rows = lines[0], {row[1]: dict(zip(lines[0], row, strict=True)) for row in lines[1:]}
    assert header[:8] == [
        "組織",
        "組織名（URL）",
        "種類",
        "団体コード",
        "公開データセット数",
        "非公開データセット数",
        "下書き数",
        "平均品質スコア",
    ]
    assert list(rows) == [name for name, *_ in ORGS]
    pref = rows["mv-pref"]
    assert (pref["組織"], pref["種類"], pref["団体コード"]) == ("山口県", "県", "350001")
    assert (pref["公開データセット数"], pref["非公開データセット数"], pref["下書き数"]) == (
        "3",
        "",
        "",
    )
    assert pref["更新が遅れているデータセット数"] == "1"
    assert pref["ダウンロード数（累計）（回）"] == "3"
    card = _cards(answer)["mv-pref"]
    assert [pref[f"★{n}"] for n in range(6)] == [
        str(card["quality"]["stars"][str(n)]) for n in range(6)
    ]
    kind = _csv(
        requests.get(
            f"{url}/dashboard/organizations.csv?kind=municipality", timeout=30
        ).content.decode()
    )
    assert [row[1] for row in kind[1:]] == ["mv-city-a", "mv-city-b", "mv-city-c"]
    one = requests.get(f"{url}/dashboard/organizations/mv-city-a.json", timeout=30).json()
    assert one == catalog.ckan().action.organization_scorecard_show(id="mv-city-a")
    one_csv = _csv(
        requests.get(f"{url}/dashboard/organizations/mv-city-a.csv", timeout=30).content.decode()
    )
    assert [row[1] for row in one_csv[1:]] == ["mv-city-a"]
    for missing in (
        "/dashboard/organizations/no-such-org",
        "/dashboard/organizations/no-such-org.json",
        "/dashboard/organizations/no-such-org.csv",
    ):
        assert requests.get(url + missing, timeout=30).status_code == 404


def test_scorecard_pages_show_private_counts_only_to_members(catalog: Catalog) -> None:
    url = catalog.server.url
    page = requests.get(f"{url}/dashboard/organizations", timeout=30)
    assert page.status_code == 200
    assert "<caption" in page.text and 'scope="row"' in page.text
    assert "mv-p3" not in page.text  # no dataset names, only counts
    one = requests.get(f"{url}/dashboard/organizations/mv-pref", timeout=30)
    assert one.status_code == 200
    assert "非公開データセット数" not in one.text  # hidden from the public
