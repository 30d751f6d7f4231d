"""Usage analytics over HTTP on SQLite and PostgreSQL: views and downloads counted per day for
datasets, resources, organisations and the site; bots left out and programs counted apart; no
address, User-Agent or user stored; two server processes adding up; popular lists per period,
never with a private dataset; the figures feeding the indicators."""

from __future__ import annotations

import datetime as dt
import http.client
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ckanapi
import pytest
import requests
from sqlalchemy import inspect, select

from support.live_server import LiveServer
from tsunagu.usage.counters import flush, today
from tsunagu.usage.models import DatasetUsage, UsageDaily

BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
BOTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
    "+https://openai.com/gptbot)",
    "Mozilla/5.0 (compatible; SomeNewCrawler/0.1; +https://crawler.example.org/about)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
)
CSV = "名称,住所\n萩市役所,萩市大字江向510番地\n".encode()
COLUMNS = ("page_views", "api_views", "downloads", "api_downloads")


@dataclass
class World:
    server: LiveServer
    admin: ckanapi.RemoteCKAN
    token: str

    def org(self, name: str) -> str:
        return str(self.admin.action.organization_create(name=name, title=name)["id"])

    def dataset(self, name: str, org: str, *, private: bool = False) -> dict[str, Any]:
        """A dataset with an uploaded file and a datastore table."""
        made = self.admin.action.package_create(
            name=name, title=name, owner_org=org, private=private
        )
        upload = self.admin.action.resource_create(
            package_id=name, name="file.csv", upload=("file.csv", io.BytesIO(CSV))
        )
        table = self.admin.action.datastore_create(
            resource={"package_id": name, "name": "table"},
            fields=[{"id": "名称", "type": "text"}],
            records=[{"名称": "萩市役所"}],
        )
        return {"id": made["id"], "name": name, "file": upload, "table": table["resource_id"]}

    def get(self, path: str, agent: str | None = BROWSER, **headers: str) -> requests.Response:
        return requests.get(
            self.server.url + path, headers={"User-Agent": agent or "", **headers}, timeout=30
        )

    def get_without_agent(self, path: str) -> int:
        """A request with no User-Agent header at all (requests would add its own)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def anonymous(self) -> ckanapi.RemoteCKAN:
        return self.server.ckan()

    def flush(self) -> None:
        flush(self.server.services.sessions)

    def usage(self, kind: str, ref: str | None = None, **extra: str) -> dict[str, Any]:
        self.flush()
        data = {"type": kind, **({"id": ref} if ref else {}), **extra}
        return dict(self.admin.action.usage_show(**data))


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    token = server.make_user("usage-admin", sysadmin=True)
    return World(server, server.ckan(token), token)


def counts(day: dict[str, Any]) -> tuple[int, ...]:
    return tuple(day[name] for name in COLUMNS)


def test_views_and_downloads_counted_per_day_per_dataset_resource_and_organisation(
    world: World,
) -> None:
    org = world.org("count-org")
    made = world.dataset("count-ds", org)
    site_before = world.usage("site")["totals"]
    for _ in range(2):
        assert world.get("/dataset/count-ds").status_code == 200  # a browser: page views
    assert world.get(f"/embed/resource/{made['table']}").status_code == 200
    # ckanapi as it comes (its own User-Agent names its home page) and a script's client.
    ckanapi.RemoteCKAN(world.server.url).action.package_show(id="count-ds")
    world.anonymous().action.resource_show(id=made["file"]["id"])
    file_path = made["file"]["url"].replace(world.server.url, "")
    assert world.get(file_path).status_code == 200  # a browser's download
    dump = requests.get(f"{world.server.url}/datastore/dump/{made['table']}", timeout=30)
    assert dump.status_code == 200  # python-requests: a program's download

    day = today()
    dataset = world.usage("dataset", "count-ds", since=(day - dt.timedelta(days=2)).isoformat())
    assert [d["date"] for d in dataset["days"]] == [
        (day - dt.timedelta(days=n)).isoformat() for n in (2, 1, 0)
    ]
    assert [counts(d) for d in dataset["days"][:2]] == [(0, 0, 0, 0)] * 2
    # Views: 2 pages + the embed page (browser), package_show + resource_show (API).
    assert counts(dataset["days"][2]) == (3, 2, 2, 1)
    assert dataset["totals"] == dict(zip(COLUMNS, (3, 2, 2, 1), strict=True))
    assert dataset["id"] and dataset["name"] == "count-ds"
    file_row = world.usage("resource", made["file"]["id"])
    assert counts(file_row["days"][-1]) == (0, 1, 1, 0)
    table_row = world.usage("resource", made["table"])
    assert counts(table_row["days"][-1]) == (1, 0, 1, 1)
    organisation = world.usage("organization", "count-org")
    assert counts(organisation["days"][-1]) == (3, 2, 2, 1)
    site = world.usage("site")["totals"]
    assert {k: site[k] - site_before[k] for k in COLUMNS} == dataset["totals"]
    # The running totals the home page ranks by: browser page views, all downloads.
    with world.server.services.sessions() as session:
        total = session.get(DatasetUsage, dataset["id"])
        assert total is not None and (total.page_views, total.downloads) == (3, 2)


def test_usage_feeds_the_indicators(world: World) -> None:
    org = world.org("metric-org")
    world.dataset("metric-ds", org)
    for _ in range(3):
        world.get("/dataset/metric-ds")
    world.anonymous().action.package_show(id="metric-ds")
    world.flush()

    def value(key: str, **params: str) -> float:
        shown = world.anonymous().action.metric_show(key=key, params=params)
        return float(shown["value"])

    for period in ("fiscal_year", "all"):
        assert value("page_views", organization="metric-org", period=period) == 3
        assert value("api_use", organization="metric-org", period=period) == 1
    # Complete days only: today's views are not yet in yesterday's or the last 30 days'.
    assert value("page_views", organization="metric-org", period="yesterday") == 0
    assert value("page_views", organization="metric-org", period="last_30_days") == 0
    assert value("page_views", kind="all") >= 3


def test_bots_are_not_counted(world: World) -> None:
    org = world.org("bot-org")
    made = world.dataset("bot-ds", org)
    file_path = made["file"]["url"].replace(world.server.url, "")
    paths = (
        "/dataset/bot-ds",
        file_path,
        f"/datastore/dump/{made['table']}",
        "/api/3/action/package_show?id=bot-ds",
        f"/embed/resource/{made['table']}",
    )
    for path in paths:
        for agent in (*BOTS, ""):
            assert world.get(path, agent).status_code == 200, (path, agent)
        assert world.get_without_agent(path) == 200, path
    usage = world.usage("dataset", "bot-ds")
    assert usage["totals"] == dict.fromkeys(COLUMNS, 0)
    assert world.usage("organization", "bot-org")["totals"] == dict.fromkeys(COLUMNS, 0)
    with world.server.services.sessions() as session:
        assert session.get(DatasetUsage, usage["id"]) is None


def test_no_address_user_agent_or_user_is_stored(world: World) -> None:
    org = world.org("privacy-org")
    made = world.dataset("privacy-ds", org)
    canary = "Mozilla/5.0 (X11; Linux x86_64) tsunagu-canary-agent/9.9"
    world.get("/dataset/privacy-ds", canary, **{"X-Forwarded-For": "203.0.113.77"})
    world.get(made["file"]["url"].replace(world.server.url, ""), canary)
    world.get("/api/3/action/package_show?id=privacy-ds", canary, Authorization=world.token)
    world.flush()
    engine = world.server.services.engine
    columns = {c["name"] for c in inspect(engine).get_columns("usage_daily")}
    assert columns == {"kind", "object_id", "day", *COLUMNS}
    assert {c["name"] for c in inspect(engine).get_columns("dataset_usage")} == {
        "dataset_id",
        "page_views",
        "downloads",
        "updated",
    }
    with world.server.services.sessions() as session:
        rows = session.scalars(select(UsageDaily)).all()
        ids = session.execute(select(DatasetUsage.dataset_id)).scalars().all()
        user_id = world.admin.action.user_show(id="usage-admin")["id"]
    stored = [str(getattr(row, c.key)) for row in rows for c in UsageDaily.__table__.columns]
    stored += [str(i) for i in ids]
    assert rows and len({r.object_id for r in rows}) > 1
    for secret in ("127.0.0.1", "203.0.113.77", "canary", "usage-admin", user_id, world.token):
        assert not [value for value in stored if secret in value], secret
    assert {row.kind for row in rows} <= {"site", "organization", "dataset", "resource"}


def test_two_server_processes_add_up(world: World, tmp_path: Path) -> None:
    org = world.org("twin-org")
    made = world.dataset("twin-ds", org)
    settings = world.server.services.settings
    # A second server process on the same database (its own engine, counts and flusher).
    twin = LiveServer(data_dir=tmp_path, database_url=settings.effective_database_url).start()
    try:
        for base in (world.server.url, twin.url, world.server.url):
            for _ in range(4):
                answer = requests.get(
                    f"{base}/dataset/twin-ds", headers={"User-Agent": BROWSER}, timeout=30
                )
                assert answer.status_code == 200
            dump = requests.get(f"{base}/datastore/dump/{made['table']}", timeout=30)
            assert dump.status_code == 200
            requests.post(f"{base}/api/3/action/package_show", json={"id": "twin-ds"}, timeout=30)
    finally:
        twin.stop()  # writes what it counted at shutdown
    usage = world.usage("dataset", "twin-ds")
    assert usage["totals"] == {"page_views": 12, "api_views": 3, "downloads": 3, "api_downloads": 3}
    assert counts(world.usage("organization", "twin-org")["days"][-1]) == (12, 3, 3, 3)
    assert counts(world.usage("resource", made["table"])["days"][-1]) == (0, 0, 3, 3)


def _seed(world: World, dataset_id: str, day: dt.date, **numbers: int) -> None:
    """Counts of a past day, as the flusher would have written them then."""
    with world.server.services.sessions() as session:
        session.add(
            UsageDaily(
                kind="dataset",
                object_id=dataset_id,
                day=day,
                **{name: numbers.get(name, 0) for name in COLUMNS},
            )
        )
        total = session.get(DatasetUsage, dataset_id) or DatasetUsage(
            dataset_id=dataset_id, page_views=0, downloads=0
        )
        total.page_views += numbers.get("page_views", 0)
        total.downloads += numbers.get("downloads", 0)
        session.add(total)
        session.commit()


def _names(world: World, **data: Any) -> list[str]:
    answer = world.anonymous().action.usage_popular_list(**data)
    return [item["dataset"]["name"] for item in answer["results"]]


@pytest.fixture(scope="module")
def ranked(world: World) -> Iterator[str]:
    """pop-old: many downloads 20 days ago; pop-week: some 3 days ago; pop-today: a few today
    (live); pop-viewed: page views only, 2 days ago; pop-secret (private): the most of all."""
    org = world.org("pop-org")
    made = {name: world.dataset(name, org) for name in ("pop-old", "pop-week", "pop-today")}
    made["pop-viewed"] = world.dataset("pop-viewed", org)
    made["pop-secret"] = world.dataset("pop-secret", org, private=True)
    ids = {name: dataset["id"] for name, dataset in made.items()}
    day = today()
    _seed(world, ids["pop-old"], day - dt.timedelta(days=20), downloads=50, page_views=5)
    _seed(world, ids["pop-week"], day - dt.timedelta(days=3), downloads=10, page_views=1)
    _seed(world, ids["pop-viewed"], day - dt.timedelta(days=2), page_views=40)
    _seed(world, ids["pop-secret"], day - dt.timedelta(days=1), downloads=500, page_views=500)
    for _ in range(3):
        table = made["pop-today"]["table"]
        assert world.get(f"/datastore/dump/{table}").status_code == 200
    secret = made["pop-secret"]
    for _ in range(5):  # the private dataset used today by staff who may read it
        auth = {"Authorization": world.token}
        assert world.get(f"/datastore/dump/{secret['table']}", **auth).status_code == 200
        assert world.get("/api/3/action/package_show?id=pop-secret", **auth).status_code == 200
    world.flush()
    yield "pop-org"


def test_popular_lists_per_period(world: World, ranked: str) -> None:
    by_org = {"organization": ranked}
    assert _names(world, period="today", **by_org) == ["pop-today"]
    assert _names(world, period="7d", **by_org) == ["pop-week", "pop-today"]
    assert _names(world, period="30d", **by_org) == ["pop-old", "pop-week", "pop-today"]
    assert _names(world, period="all", **by_org) == ["pop-old", "pop-week", "pop-today"]
    assert _names(world, **by_org) == _names(world, period="30d", **by_org)  # the default
    assert _names(world, period="30d", sort="page_views", **by_org) == [
        "pop-viewed",
        "pop-old",
        "pop-week",
    ]
    assert _names(world, period="30d", limit=1, **by_org) == ["pop-old"]
    answer = world.anonymous().action.usage_popular_list(period="7d", **by_org)
    first = answer["results"][0]
    assert (first["downloads"], first["page_views"]) == (10, 1)
    assert first["dataset"]["organization"]["name"] == "pop-org"
    day = today()
    assert answer["until"] == day.isoformat()
    assert answer["since"] == (day - dt.timedelta(days=6)).isoformat()
    # Across the catalog, the same ranking holds among these datasets.
    everywhere = _names(world, period="30d", limit=100)
    assert [n for n in everywhere if n.startswith("pop-")] == ["pop-old", "pop-week", "pop-today"]


def test_private_datasets_never_in_public_popular_lists(world: World, ranked: str) -> None:
    for caller in (world.anonymous(), world.admin):
        for period in ("today", "7d", "30d", "all"):
            for sort in ("downloads", "page_views"):
                for scope in ({}, {"organization": ranked}):
                    answer = caller.action.usage_popular_list(
                        period=period, sort=sort, limit=100, **scope
                    )
                    names = [item["dataset"]["name"] for item in answer["results"]]
                    assert "pop-secret" not in names, (period, sort, scope)
    # Nor on the pages, nor in the organisation's and the site's figures.
    home = world.get("/").text
    assert "pop-old" in home and "pop-secret" not in home
    org_page = world.get(f"/organization/{ranked}").text
    popular = org_page.split('id="org-popular-heading"', 1)[1].split("</section>", 1)[0]
    assert "/dataset/pop-old" in popular and "pop-secret" not in popular
    assert popular.index("/dataset/pop-old") < popular.index("/dataset/pop-week")
    organisation = world.usage("organization", ranked)["totals"]
    assert organisation["downloads"] == 3 and organisation["api_views"] == 0
    # Its own counts are there for those who may read it, and hidden from the others.
    assert world.usage("dataset", "pop-secret")["totals"]["downloads"] == 500 + 5
    with pytest.raises(ckanapi.NotFound):
        world.anonymous().action.usage_show(id="pop-secret")
    with pytest.raises(ckanapi.NotFound):
        world.anonymous().action.usage_show(type="resource", id=made_secret_file(world))


def made_secret_file(world: World) -> str:
    return str(world.admin.action.package_show(id="pop-secret")["resources"][0]["id"])


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("usage_popular_list", {"period": "year"}, "period"),
        ("usage_popular_list", {"sort": "title"}, "sort"),
        ("usage_popular_list", {"limit": "many"}, "limit"),
        ("usage_popular_list", {"limit": -1}, "limit"),
        ("usage_show", {"type": "group", "id": "x"}, "type"),
        ("usage_show", {"type": "dataset"}, "id"),
        ("usage_show", {"type": "site", "since": "2026-13-01"}, "since"),
        ("usage_show", {"type": "site", "until": "昨日"}, "until"),
        ("usage_show", {"type": "site", "since": "2026-05-02", "until": "2026-05-01"}, "since"),
        ("usage_show", {"type": "site", "since": "2000-01-01", "until": "2026-05-01"}, "since"),
    ],
)
def test_bad_input_is_refused_field_by_field(
    world: World, action: str, data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ckanapi.ValidationError) as refused:
        world.anonymous().call_action(action, data)
    assert field in refused.value.error_dict


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("usage_popular_list", {"organization": "no-such-org"}),
        ("usage_show", {"type": "dataset", "id": "no-such-dataset"}),
        ("usage_show", {"type": "resource", "id": "no-such-resource"}),
        ("usage_show", {"type": "organization", "id": "no-such-org"}),
    ],
)
def test_unknown_things_are_not_found(world: World, action: str, data: dict[str, Any]) -> None:
    with pytest.raises(ckanapi.NotFound):
        world.anonymous().call_action(action, data)


def test_analytics_off_counts_nothing(tmp_path: Path) -> None:
    live = LiveServer(data_dir=tmp_path, overrides={"usage_analytics": False}).start()
    try:
        admin = live.ckan(live.make_user("off-admin", sysadmin=True))
        admin.action.organization_create(name="off-org", title="off")
        admin.action.package_create(name="off-ds", title="off", owner_org="off-org")
        headers = {"User-Agent": BROWSER}
        assert requests.get(f"{live.url}/dataset/off-ds", headers=headers, timeout=30).ok
        admin.action.package_show(id="off-ds")
        flush(live.services.sessions)
        with live.services.sessions() as session:
            assert session.scalars(select(UsageDaily)).all() == []
            assert session.scalars(select(DatasetUsage)).all() == []
    finally:
        live.stop()
