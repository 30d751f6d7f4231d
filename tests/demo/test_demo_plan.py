"""The demo's plan: 山口県官民データ活用推進計画, loaded by `tsunagu demo load` through the plan
actions, published, with its 26 indicators, and 県・市町のオープンデータ数 counted by the catalog:
after the daily snapshot its actual value is the demo's number of public datasets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.live_server import LiveServer
from tsunagu.demo import plan_yamaguchi
from tsunagu.demo.loader import load_demo


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """SQLite, no snapshot scheduler: the test runs the day's snapshot itself."""
    tmp = tmp_path_factory.mktemp("demo-plan")
    live = LiveServer(
        data_dir=tmp,
        database_url=f"sqlite:///{tmp / 'tsunagu.db'}",
        max_upload_bytes=20 * 1024 * 1024,
        overrides={"metrics_snapshot_seconds": 0},
    ).start()
    summary = load_demo(live.services)
    assert "計画 1（施策 24、指標 26）" in summary
    yield live
    live.stop()


def test_demo_plan_is_published_with_every_indicator(server: LiveServer) -> None:
    public = server.ckan()
    [listed] = public.action.plan_list()
    assert (listed["name"], listed["title"]) == (plan_yamaguchi.PLAN_NAME, plan_yamaguchi.TITLE)
    plan = public.action.plan_show(id=plan_yamaguchi.PLAN_NAME)
    assert (plan["num_measures"], plan["num_indicators"]) == (24, 26)
    assert plan["organization"]["name"] == "yamaguchi-pref"
    assert plan["period_label"] == "令和2年度（2020年度）〜令和4年度（2022年度）"
    names = {i["name"] for n in plan["nodes"] for i in n["indicators"]}
    names |= {i["name"] for m in plan["measures"] for i in m["indicators"]}
    assert names == {row.indicator for row in plan_yamaguchi.indicator_rows()}


def test_open_data_indicator_counts_the_demo_catalog(server: LiveServer) -> None:
    admin = server.ckan(server.make_user("demo-plan-sysadmin", sysadmin=True))
    board = admin.action.plan_dashboard_show(id=plan_yamaguchi.PLAN_NAME)
    bound = next(i for i in board["indicators"] if i["name"] == plan_yamaguchi.OPEN_DATA_INDICATOR)
    assert (bound["metric_key"], bound["metric_params"]) == ("datasets_public", {"kind": "all"})
    assert bound["progress"]["status"] == "no_data"
    assert admin.action.metric_snapshot_run()["status"] == "complete"
    public_datasets = server.ckan().action.package_search(rows=0)["count"]
    board = server.ckan().action.plan_dashboard_show(id=plan_yamaguchi.PLAN_NAME)
    bound = next(i for i in board["indicators"] if i["name"] == plan_yamaguchi.OPEN_DATA_INDICATOR)
    assert bound["progress"]["latest_value"] == public_datasets > 0
    assert bound["progress"]["status"] == "behind"  # far from 560, and FY2022 is over
