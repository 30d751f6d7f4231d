"""Indicators' actual values and progress over the API, on SQLite and PostgreSQL: values
entered by staff, the stated linear rule (達成 / 順調 / 遅れ, qualitative targets never judged),
and 県・市町のオープンデータ数 bound to the catalog's metric: publish a dataset, run the daily
snapshot, and the actual value and the progress change (private datasets never count)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import ckanapi
import pytest

from support import databases
from support.live_server import LiveServer
from support.plans import import_table, indicators, organization, sysadmin, unique, yamaguchi_plan
from tsunagu.demo import plan_yamaguchi as yamaguchi
from tsunagu.plan import fiscal


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """No snapshot scheduler: only the test's metric_snapshot_run stores the day, after the
    dataset is published (the day is stored once)."""
    tmp = tmp_path_factory.mktemp(f"plan-progress-{backend}")
    live = LiveServer(
        data_dir=tmp,
        database_url=databases.database_url_for(backend, tmp),
        overrides={"metrics_snapshot_seconds": 0},
    ).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def ckan(server: LiveServer) -> ckanapi.RemoteCKAN:
    return sysadmin(server)


@pytest.fixture(scope="module")
def owner(server: LiveServer) -> str:
    return organization(server)


def _plan_with_indicator(ckan: ckanapi.RemoteCKAN, owner: str, **indicator: Any) -> str:
    this_year = fiscal.fiscal_year_of(dt.date.today())
    plan = ckan.action.plan_create(
        name=unique("progress-plan"),
        title="進捗の計画",
        owner_org=owner,
        period_start=this_year - 2,
        period_end=this_year + 2,
    )
    measure = ckan.action.plan_measure_create(plan_id=plan["name"], number="1", name="施策")
    created = ckan.action.plan_indicator_create(
        plan_id=plan["name"], measure_id=measure["id"], name="件数", **indicator
    )
    return str(created["id"])


def _status(ckan: ckanapi.RemoteCKAN, indicator: str) -> dict[str, Any]:
    return ckan.action.plan_indicator_show(id=indicator)["progress"]  # type: ignore[no-any-return]


def test_linear_rule_from_baseline_to_target(ckan: ckanapi.RemoteCKAN, owner: str) -> None:
    this_year = fiscal.fiscal_year_of(dt.date.today())
    # 100 at the end of two years ago → 300 at the end of the year after next: 50 a year.
    indicator = _plan_with_indicator(
        ckan,
        owner,
        baseline="100件",
        baseline_period=this_year - 2,
        target="300件",
        target_period=this_year + 2,
    )
    assert _status(ckan, indicator)["status"] == "no_data"
    end_of_last_year = fiscal.fiscal_year_end(this_year - 1).isoformat()
    shown = ckan.action.plan_indicator_value_add(
        indicator_id=indicator, value="160件", date=end_of_last_year
    )
    progress = shown["progress"]
    assert (progress["status"], progress["label"]) == ("on_track", "順調")
    assert progress["expected"] == pytest.approx(150, abs=0.2)  # a year of four gone by
    assert progress["percent"] == 30.0  # of the way from 100 to 300
    shown = ckan.action.plan_indicator_value_add(
        indicator_id=indicator, value="140件", date=end_of_last_year, source="再集計"
    )
    assert shown["progress"]["status"] == "behind"  # the same day: replaced, not added
    assert [(v["value"], v["source"]) for v in shown["values"]] == [(140, "再集計")]
    shown = ckan.action.plan_indicator_value_add(
        indicator_id=indicator, value="約300件", period="R2年度"
    )
    assert shown["progress"]["status"] == "behind"  # older than the latest: the latest decides
    latest = ckan.action.plan_indicator_value_add(
        indicator_id=indicator, value="310", date=dt.date.today().isoformat()
    )
    assert latest["progress"]["status"] == "achieved"
    old = next(v for v in latest["values"] if v["value"] == 140)
    after = ckan.action.plan_indicator_value_delete(id=old["id"])
    assert 140 not in [v["value"] for v in after["values"]]


def test_decrease_at_most_and_qualitative_targets(ckan: ckanapi.RemoteCKAN, owner: str) -> None:
    this_year = fiscal.fiscal_year_of(dt.date.today())
    today = dt.date.today().isoformat()
    fewer = _plan_with_indicator(
        ckan, owner, baseline="62地区", baseline_period=this_year - 2,
        target="40地区", target_period=this_year + 2,
    )  # fmt: skip
    shown = ckan.action.plan_indicator_show(id=fewer)
    assert (shown["direction"], shown["unit"]) == ("decrease", "地区")
    ckan.action.plan_indicator_value_add(indicator_id=fewer, value="39地区", date=today)
    assert _status(ckan, fewer)["status"] == "achieved"

    ceiling = _plan_with_indicator(ckan, owner, baseline="0.37%", target="3.0%以内")
    assert ckan.action.plan_indicator_show(id=ceiling)["direction"] == "at_most"
    ckan.action.plan_indicator_value_add(indicator_id=ceiling, value="3.5%", date=today)
    assert _status(ckan, ceiling)["status"] == "behind"

    words = _plan_with_indicator(
        ckan, owner, baseline="4010件", target="減少", target_period="R4年度"
    )
    shown = ckan.action.plan_indicator_show(id=words)
    assert (shown["direction"], shown["target_qualifier"]) == ("decrease", "text")
    ckan.action.plan_indicator_value_add(indicator_id=words, value="3500件", date=today)
    progress = _status(ckan, words)
    assert (progress["status"], progress["label"]) == ("qualitative", "定性目標")
    assert progress["trend"] == "現状値より減っています"
    assert progress["latest_value"] == 3500


def test_maintain_targets_hold_at_or_above_the_target(ckan: ckanapi.RemoteCKAN, owner: str) -> None:
    today = dt.date.today().isoformat()
    kept = _plan_with_indicator(ckan, owner, baseline="100%", target="100%")
    shown = ckan.action.plan_indicator_show(id=kept)
    assert (shown["direction"], shown["direction_label"]) == ("maintain", "維持する")
    ckan.action.plan_indicator_value_add(indicator_id=kept, value="100%", date=today)
    assert _status(ckan, kept)["status"] == "achieved"
    ckan.action.plan_indicator_value_add(indicator_id=kept, value="98.5%", period="2099-03-31")
    progress = _status(ckan, kept)
    assert (progress["status"], progress["latest_value"]) == ("behind", 98.5)
    assert progress["reason"] == "目標値を下回っています"
    # Said outright, a direction is kept whatever the values suggest.
    stated = ckan.action.plan_indicator_patch(id=kept, direction="maintain", target="95%")
    assert stated["direction"] == "maintain"
    assert stated["progress"]["status"] == "achieved"


def test_value_refusals(ckan: ckanapi.RemoteCKAN, owner: str) -> None:
    indicator = _plan_with_indicator(ckan, owner, baseline="1", target="2")
    with pytest.raises(ckanapi.ValidationError) as refused:
        ckan.action.plan_indicator_value_add(indicator_id=indicator, value="3")
    assert "period" in refused.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as refused:
        ckan.action.plan_indicator_value_add(indicator_id=indicator, value="3", period="来年度")
    assert "年度や日付として読めません" in str(refused.value.error_dict["value_period"])
    with pytest.raises(ckanapi.ValidationError) as refused:
        ckan.action.plan_indicator_value_add(indicator_id=indicator, value="3", date="2021-02-30")
    assert "value_date" in refused.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as refused:
        ckan.action.plan_indicator_value_add(indicator_id=indicator, period="R3年度")
    assert "value" in refused.value.error_dict
    with pytest.raises(ckanapi.NotFound):
        ckan.action.plan_indicator_value_add(indicator_id="no-such", value="1", period="R3年度")
    with pytest.raises(ckanapi.ValidationError) as refused:
        ckan.action.plan_indicator_update(id=indicator, direction="upwards")
    assert "direction" in refused.value.error_dict


def _publish(server: LiveServer, org: str, *, private: bool = False) -> str:
    name = unique("plan-live-ds")
    server.act(
        "package_create",
        {"name": name, "title": "公開データ", "owner_org": org, "private": private},
    )
    return name


def _public_count(server: LiveServer) -> int:
    return int(server.ckan().action.package_search(rows=0)["count"])


def test_bound_indicator_follows_the_catalog(
    server: LiveServer, ckan: ckanapi.RemoteCKAN, owner: str
) -> None:
    plan = yamaguchi_plan(ckan, owner)
    import_table(ckan, plan["name"], "施策集.xlsx", yamaguchi.workbook())
    bound = indicators(ckan.action.plan_show(id=plan["name"]))[yamaguchi.OPEN_DATA_INDICATOR]
    assert bound["progress"]["status"] == "no_data"

    with pytest.raises(ckanapi.ValidationError) as refused:
        ckan.action.plan_indicator_patch(id=bound["id"], metric_key="no_such_metric")
    assert "metric_key" in refused.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as refused:
        ckan.action.plan_indicator_patch(
            id=bound["id"], metric_key="datasets_public", metric_params={"kind": "planet"}
        )
    assert "metric_params" in refused.value.error_dict
    shown = ckan.action.plan_indicator_patch(
        id=bound["id"],
        metric_key="datasets_public",
        metric_params={"kind": "all", "organization": owner},
    )
    assert shown["metric_key"] == "datasets_public"
    # Kept as the metric uses it: the organisation by its id.
    assert shown["metric_params"]["organization"] != owner
    assert shown["metric_label"] == "公開データセット数"
    # 県・市町: every organisation's public datasets.
    shown = ckan.action.plan_indicator_patch(
        id=bound["id"], metric_key="datasets_public", metric_params={"kind": "all"}
    )
    assert shown["metric_params"] == {"kind": "all"}
    assert shown["progress"]["status"] == "no_data"  # bound, but no snapshot yet

    _publish(server, owner)
    _publish(server, owner, private=True)  # never counted
    public = _public_count(server)
    run = ckan.action.metric_snapshot_run()
    assert run["status"] == "complete"
    shown = ckan.action.plan_indicator_show(id=bound["id"])
    progress = shown["progress"]
    assert progress["latest_value"] == public
    assert progress["latest_date"] == run["date"]
    assert [p["value"] for p in shown["live_values"]] == [public]
    # 140 at the end of FY2019 → 560 at the end of FY2022, and that year is over.
    assert progress["status"] == "behind"
    assert progress["percent"] == round((public - 140) / 420 * 100, 1)
    row = {y["fiscal_year"]: y["value"] for y in shown["yearly"]}
    assert row[fiscal.fiscal_year_of(dt.date.fromisoformat(run["date"]))] == public

    # A target the catalog has reached: the same snapshot now reads as achieved.
    shown = ckan.action.plan_indicator_patch(
        id=bound["id"], target=str(public), target_period="R9年度"
    )
    assert shown["progress"]["status"] == "achieved"
    series = ckan.action.plan_indicator_series(id=bound["id"])
    assert series["metric_known"] is True
    assert [p["value"] for p in series["live_values"]] == [public]
    # The plan's own history says when it was bound.
    summaries = [a["data"]["summary"] for a in ckan.action.plan_activity_list(id=plan["name"])]
    assert any("カタログの数値「datasets_public」に連動" in s for s in summaries)

    # The dashboard follows a second snapshot run on the same day (the day's value is measured
    # again), although neither the plan nor the newest snapshot day changed.
    def dashboard_value() -> object:
        board = ckan.action.plan_dashboard_show(id=plan["name"])
        entry = next(i for i in board["indicators"] if i["id"] == bound["id"])
        return entry["progress"]["latest_value"]

    assert dashboard_value() == public
    _publish(server, owner)
    again = ckan.action.metric_snapshot_run()
    assert again["date"] == run["date"]
    assert dashboard_value() == public + 1
