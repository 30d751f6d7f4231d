"""The plan pages over HTTP (no browser): the public list, plan page and dashboard with its JSON
and CSV; unpublished plans hidden; and the staff pages driven as a browser would (CSRF from the
page, every form posted), a refused form coming back with its message and what was typed."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import ckanapi
import pytest
import requests

from support.live_server import LiveServer
from support.plans import import_table, indicators, organization, sysadmin, unique, yamaguchi_plan
from support.portal import Visitor
from tsunagu.demo import plan_yamaguchi as yamaguchi


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """SQLite only: the pages do not depend on the database (the API tests cover both)."""
    tmp = tmp_path_factory.mktemp("plan-pages")
    live = LiveServer(
        data_dir=tmp, database_url=f"sqlite:///{tmp / 'tsunagu.db'}", overrides={}
    ).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def ckan(server: LiveServer) -> ckanapi.RemoteCKAN:
    return sysadmin(server)


@pytest.fixture(scope="module")
def owner(server: LiveServer) -> str:
    return organization(server)


@pytest.fixture(scope="module")
def published(ckan: ckanapi.RemoteCKAN, owner: str) -> dict[str, Any]:
    plan = yamaguchi_plan(ckan, owner)
    import_table(ckan, plan["name"], "施策集.xlsx", yamaguchi.workbook())
    ckan.action.plan_patch(id=plan["name"], published=True)
    return ckan.action.plan_show(id=plan["name"])  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def admin(server: LiveServer, owner: str) -> Visitor:
    name = unique("plan-page-admin")
    server.make_user(name)
    server.act("organization_member_create", {"id": owner, "username": name, "role": "admin"})
    visitor = Visitor(server.url)
    visitor.sign_in(name, f"pw-{name}-0000")
    assert visitor.signed_in()
    return visitor


def _get(server: LiveServer, path: str) -> requests.Response:
    return requests.get(server.url + path, timeout=30)


def test_public_pages(server: LiveServer, published: dict[str, Any]) -> None:
    listing = _get(server, "/plan")
    assert listing.status_code == 200 and yamaguchi.TITLE in listing.text
    page = _get(server, f"/plan/{published['name']}")
    assert page.status_code == 200
    for text in ("施策の柱", "官民データの利活用の促進", "マイナンバーカード交付率", "約409,000件"):
        assert text in page.text
    assert "判定のきまり" in page.text
    assert "行政データのニーズ調査・利活用検討" in page.text  # 工程表
    assert "<script>" not in page.text  # no inline scripts (CSP)
    english = _get(server, f"/plan/{published['name']}?lang=en")
    assert "Rule: a numeric target" in english.text


def test_dashboard_page_json_and_csv(
    server: LiveServer, ckan: ckanapi.RemoteCKAN, published: dict[str, Any]
) -> None:
    name = published["name"]
    page = _get(server, f"/plan/{name}/dashboard")
    assert page.status_code == 200
    # Every indicator has its chart and, beside it, the table it is drawn from.
    assert page.text.count('class="plan-chart"') == 26
    charts = re.findall(r'data-table="(t-[^"]+)"', page.text)
    assert all(f'id="{table}"' in page.text for table in charts)
    assert "/static/js/plan-charts.js" in page.text and "<script>" not in page.text
    assert "判定のきまり" in page.text and "定性目標" in page.text
    board = _get(server, f"/plan/{name}/dashboard.json").json()
    assert board == ckan.action.plan_dashboard_show(id=name)
    assert len(board["indicators"]) == 26
    cards = next(i for i in board["indicators"] if i["name"] == "マイナンバーカード交付率")
    target_year = next(y for y in cards["years"] if y["fiscal_year"] == 2022)
    assert (target_year["target"], target_year["expected"]) == (94.1, 94.1)
    response = _get(server, f"/plan/{name}/dashboard.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["番号", "施策名", "指標"] and len(rows) == 27
    assert ["14", "マイナンバーカードの普及促進", "マイナンバーカード交付率"] in [
        r[:3] for r in rows
    ]


def test_unpublished_plans_are_not_found(
    server: LiveServer, ckan: ckanapi.RemoteCKAN, owner: str, admin: Visitor
) -> None:
    hidden = yamaguchi_plan(ckan, owner)
    for path in ("", "/dashboard", "/dashboard.json", "/dashboard.csv"):
        assert _get(server, f"/plan/{hidden['name']}{path}").status_code == 404
    assert hidden["title"] in admin.get(f"/plan/{hidden['name']}").text
    assert admin.get(f"/plan/{hidden['name']}/dashboard").status_code == 200
    assert hidden["name"] not in _get(server, "/plan").text


def test_staff_pages_edit_a_plan(server: LiveServer, owner: str, admin: Visitor) -> None:
    name = unique("page-plan")
    created = admin.submit(
        "/staff/plan",
        title="ページの計画",
        name=name,
        owner_org=owner,
        period_start="R2年度",
        period_end="2022",
        level_names="基本方針 → 施策",
    )
    assert created.status_code == 303 and created.headers["location"] == f"/staff/plan/{name}"
    page = admin.get(f"/staff/plan/{name}")
    assert page.status_code == 200 and "基本方針 → 施策" in page.text

    refused = admin.submit(f"/staff/plan/{name}", f"/staff/plan/{name}/measure", name="")
    assert refused.status_code == 409 and "必須項目です" in refused.text
    added = admin.submit(
        f"/staff/plan/{name}", f"/staff/plan/{name}/measure", number="3", name="オープンデータ"
    )
    assert added.status_code == 303
    measure_page = added.headers["location"]
    saved = admin.submit(
        measure_page,
        departments="情報企画課・市町課",
        number="3",
        name="オープンデータの推進",
        categories="opendata",
        summary="県・市町のデータを公開する。",
        stage_2020="検討",
        stage_2021="構築",
        stage_2022="運用",
    )
    assert saved.status_code == 303
    shown = admin.get(measure_page).text
    assert "オープンデータの推進" in shown and 'value="構築"' in shown

    refused = admin.submit(
        measure_page,
        f"{measure_page}/indicator",
        name="公開数",
        baseline="10",
        baseline_period="来年",
    )
    assert refused.status_code == 409
    assert "「来年」を年度や日付として読めません" in refused.text
    assert 'value="公開数"' in refused.text  # what was typed stays
    added = admin.submit(
        measure_page,
        f"{measure_page}/indicator",
        name="公開数",
        baseline="10",
        baseline_period="R元年度",
        target="40",
        target_period="R4年度",
    )
    assert added.status_code == 303
    indicator_page = added.headers["location"]
    recorded = admin.submit(
        indicator_page, f"{indicator_page}/value", value="18", period="R2年度", source="集計"
    )
    assert recorded.status_code == 303
    text = admin.get(indicator_page).text
    assert "集計" in text and "令和2年度" in text
    refused = admin.submit(
        indicator_page, f"{indicator_page}/binding", metric_key="no_such_metric", metric_params=""
    )
    assert refused.status_code == 409 and "メトリクス）が見つかりません" in refused.text
    bound = admin.submit(
        indicator_page,
        f"{indicator_page}/binding",
        metric_key="datasets_public",
        metric_params='{"kind": "all"}',
    )
    assert bound.status_code == 303
    assert "カタログから自動集計" in admin.get(f"/plan/{name}").text

    published = admin.submit(
        f"/staff/plan/{name}",
        title="ページの計画",
        owner_org=owner,
        period_start="2020",
        period_end="2022",
        level_names="基本方針 → 施策",
        published="on",
        revision_kind="策定",
        revision_date="2020-03-31",
        revision_label="令和2年3月",
        revision_version="",
    )
    assert published.status_code == 303
    public = _get(server, f"/plan/{name}").text
    assert "令和2年3月" in public and "公開数" in public


def test_staff_import_preview_and_apply(
    server: LiveServer, ckan: ckanapi.RemoteCKAN, owner: str, admin: Visitor
) -> None:
    plan = yamaguchi_plan(ckan, owner)
    upload_page = f"/staff/plan/{plan['name']}/import"
    token = admin.csrf(upload_page)
    sent = admin.http.post(
        admin.url(upload_page),
        data={"csrf_token": token},
        files={"upload": ("施策集.xlsx", yamaguchi.workbook())},
        allow_redirects=False,
        timeout=60,
    )
    assert sent.status_code == 303
    preview = sent.headers["location"]
    page = admin.get(preview).text
    assert "列の読み方（提案を変えられます）" in page
    assert '<option value="level:1" selected>階層: 施策の柱</option>' in page
    assert "2022" in page and "目標「70%」の目標年度がありません" in page
    # Leave 備考 out of the import: its select becomes 使わない.
    columns = re.findall(r'name="column_(\d+)" value="([^"]+)"', page)
    fields = {f"column_{i}": c for i, c in columns}
    choice = {f"field_{i}": ("" if c == "備考" else _selected(page, i)) for i, c in columns}
    remapped = admin.post(
        preview,
        csrf_token=admin.csrf(preview),
        columns=str(len(columns)),
        continue_blank_years="on",
        **fields,
        **choice,
    )
    assert remapped.status_code == 303
    assert "変更済み" in admin.get(preview).text
    applied = admin.submit(preview, f"{preview}/apply")
    assert applied.status_code == 303
    assert "取り込みました。" in admin.get(applied.headers["location"]).text
    shown = ckan.action.plan_show(id=plan["name"])
    assert shown["num_indicators"] == 26
    assert all(m["note"] == "" for m in shown["measures"])  # 備考 was left out
    assert indicators(shown)["マイナンバーカード交付率"]["baseline"] == "14.8%"


def _selected(page: str, index: str) -> str:
    block = page.split(f'name="field_{index}"', 1)[1].split("</select>", 1)[0]
    found = re.search(r'<option value="([^"]*)" selected>', block)
    return found.group(1) if found else ""


def test_responsible_editor_pages(server: LiveServer, ckan: ckanapi.RemoteCKAN, owner: str) -> None:
    responsible = organization(server)
    plan = yamaguchi_plan(ckan, owner)
    measure = ckan.action.plan_measure_create(
        plan_id=plan["name"], number="1", name="施策", organizations=[responsible]
    )
    indicator = ckan.action.plan_indicator_create(
        plan_id=plan["name"], measure_id=measure["id"], name="件数", baseline="1"
    )
    name = unique("plan-page-recorder")
    server.make_user(name)
    server.act(
        "organization_member_create", {"id": responsible, "username": name, "role": "editor"}
    )
    visitor = Visitor(server.url)
    visitor.sign_in(name, f"pw-{name}-0000")
    page = f"/staff/plan/{plan['name']}/indicator/{indicator['id']}"
    shown = visitor.get(page)
    assert shown.status_code == 200 and "実績値を登録" in shown.text
    assert "カタログの数値と連動" not in shown.text  # managers only
    assert visitor.submit(page, f"{page}/value", value="2", period="R2年度").status_code == 303
    assert visitor.get(f"/staff/plan/{plan['name']}").status_code == 403
    assert visitor.get(f"/staff/plan/{plan['name']}/measure/{measure['id']}").status_code == 403
    refused = visitor.submit(page, page, name="変更")
    assert refused.status_code == 403 and "権限がありません" in refused.text
    assert ckan.action.plan_indicator_show(id=indicator["id"])["name"] == "件数"
