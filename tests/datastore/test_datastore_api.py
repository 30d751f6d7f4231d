"""datastore_* actions through ckanapi on a live server, SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

import ckanapi
import pytest
import requests

from support.live_server import LiveServer

FIELDS = [
    {"id": "ID", "type": "text"},
    {"id": "名称", "type": "text"},
    {"id": "収容人数", "type": "int"},
    {"id": "開設日", "type": "date"},
    {"id": "緯度", "type": "numeric"},
    {"id": "経度", "type": "numeric"},
    {"id": "備考", "type": "text"},
]
RECORDS = [
    {
        "ID": "001",
        "名称": "下関市立文関小学校",
        "収容人数": 500,
        "開設日": "令和2年4月1日",
        "緯度": 33.9578,
        "経度": 130.9414,
        "備考": "=cmd|' /C calc'!A0",
    },
    {
        "ID": "002",
        "名称": "下関市民会館",
        "収容人数": "１，２００",
        "開設日": "2019-05-01",
        "緯度": 33.96,
        "経度": 130.94,
        "備考": "駐車場あり",
    },
    {
        "ID": "003",
        "名称": "彦島公民館",
        "収容人数": "△5",
        "開設日": None,
        "緯度": 33.93,
        "経度": 130.91,
        "備考": None,
    },
]


@pytest.fixture(scope="module")
def setup(server: LiveServer) -> tuple[ckanapi.RemoteCKAN, str]:
    admin = server.ckan(server.make_user("ds-admin", sysadmin=True))
    admin.action.organization_create(
        name="shimonoseki", title="下関市", kind="municipality", local_gov_code="352012"
    )
    admin.action.package_create(name="evac", title="避難所", owner_org="shimonoseki")
    created = admin.action.datastore_create(
        resource={"package_id": "evac", "name": "避難所一覧"},
        fields=FIELDS,
        records=RECORDS,
        primary_key=["ID"],
    )
    return admin, created["resource_id"]


def test_create_converts_japanese_values(setup: tuple[ckanapi.RemoteCKAN, str]) -> None:
    admin, rid = setup
    result = admin.action.datastore_search(resource_id=rid, sort="ID asc")
    assert result["total"] == 3
    first, second, third = result["records"]
    assert first["開設日"] == "2020-04-01"
    assert second["収容人数"] == 1200
    assert third["収容人数"] == -5
    assert third["開設日"] is None
    assert [f["id"] for f in result["fields"]][:3] == ["_id", "ID", "名称"]
    resource = admin.action.resource_show(id=rid)
    assert resource["datastore_active"] is True
    assert resource["url"].endswith(f"/datastore/dump/{rid}")


def test_search_filters_q_sort_fields(setup: tuple[ckanapi.RemoteCKAN, str]) -> None:
    admin, rid = setup
    assert admin.action.datastore_search(resource_id=rid, filters={"ID": "002"})["total"] == 1
    assert (
        admin.action.datastore_search(resource_id=rid, filters={"ID": ["001", "003"]})["total"] == 2
    )
    assert admin.action.datastore_search(resource_id=rid, q="公民館")["records"][0]["ID"] == "003"
    assert admin.action.datastore_search(resource_id=rid, q="市民")["total"] == 1  # 2 chars
    assert admin.action.datastore_search(resource_id=rid, q={"名称": "小学校"})["total"] == 1
    ordered = admin.action.datastore_search(resource_id=rid, sort="収容人数 desc")
    assert [r["ID"] for r in ordered["records"]] == ["002", "001", "003"]
    fields = admin.action.datastore_search(resource_id=rid, fields=["名称"], limit=1)
    assert list(fields["records"][0]) == ["名称"]
    paged = admin.action.datastore_search(resource_id=rid, limit=1, offset=1, sort="ID")
    assert [r["ID"] for r in paged["records"]] == ["002"]
    assert "offset=2" in paged["_links"]["next"]
    lists = admin.action.datastore_search(
        resource_id=rid, records_format="lists", sort="ID", fields="ID,収容人数"
    )
    assert lists["records"][0] == ["001", 500]
    as_csv = admin.action.datastore_search(
        resource_id=rid, records_format="csv", sort="ID", fields="ID"
    )
    assert as_csv["records"] == "001\n002\n003\n"
    distinct = admin.action.datastore_search(resource_id=rid, fields="備考", distinct=True)
    assert distinct["total"] == 3
    no_total = admin.action.datastore_search(resource_id=rid, include_total=False)
    assert "total" not in no_total


def test_upsert_insert_update(setup: tuple[ckanapi.RemoteCKAN, str]) -> None:
    admin, _ = setup
    # A table of its own: the module's table stays as created for the other tests.
    rid = admin.action.datastore_create(
        resource={"package_id": "evac", "name": "避難所一覧 (更新用)"},
        fields=FIELDS,
        records=RECORDS,
        primary_key=["ID"],
    )["resource_id"]
    admin.action.datastore_upsert(
        resource_id=rid,
        method="upsert",
        records=[
            {"ID": "002", "収容人数": 1300},
            {"ID": "004", "名称": "新設避難所", "収容人数": 10},
        ],
    )
    rows = {r["ID"]: r for r in admin.action.datastore_search(resource_id=rid)["records"]}
    assert rows["002"]["収容人数"] == 1300 and rows["002"]["名称"] == "下関市民会館"
    assert rows["004"]["名称"] == "新設避難所"
    assert admin.action.datastore_search(resource_id=rid, q="新設避難所")["total"] == 1
    with pytest.raises(ckanapi.ValidationError):
        admin.action.datastore_upsert(
            resource_id=rid, method="update", records=[{"ID": "999", "収容人数": 1}]
        )
    with pytest.raises(ckanapi.ValidationError):
        admin.action.datastore_upsert(
            resource_id=rid, method="insert", records=[{"ID": "001", "名称": "重複"}]
        )
    admin.action.datastore_delete(resource_id=rid, filters={"ID": "004"})
    assert admin.action.datastore_info(id=rid)["meta"]["count"] == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"filters": {"存在しない列": 1}}, "filters"),
        ({"filters": {"収容人数": "多い"}}, "filters"),
        ({"sort": "名称; DROP TABLE x"}, "sort"),
        ({"fields": ["_id", "pg_sleep(5)"]}, "fields"),
        ({"limit": -1}, "limit"),
        ({"records_format": "xml"}, "records_format"),
        ({"q": {"nope": "x"}}, "q"),
    ],
)
def test_bad_search_parameters(
    setup: tuple[ckanapi.RemoteCKAN, str], params: dict, field: str
) -> None:
    admin, rid = setup
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.datastore_search(resource_id=rid, **params)
    assert field in exc.value.error_dict


def test_injection_through_values_is_inert(setup: tuple[ckanapi.RemoteCKAN, str]) -> None:
    admin, rid = setup
    evil = "x' OR '1'='1"
    assert admin.action.datastore_search(resource_id=rid, filters={"名称": evil})["total"] == 0
    assert admin.action.datastore_search(resource_id=rid, q=evil)["total"] == 0
    assert admin.action.datastore_search(resource_id=rid, q='"); DROP TABLE x; --')["total"] == 0
    assert admin.action.datastore_info(id=rid)["meta"]["count"] == 3


def test_search_sql(setup: tuple[ckanapi.RemoteCKAN, str], server: LiveServer) -> None:
    admin, rid = setup
    result = server.ckan().action.datastore_search_sql(
        sql=f'SELECT "名称", "収容人数" FROM "{rid}" WHERE "収容人数" > 100 ORDER BY "収容人数"'
    )
    assert [r["名称"] for r in result["records"]] == ["下関市立文関小学校", "下関市民会館"]
    counted = admin.action.datastore_search_sql(sql=f'SELECT count(*) AS n FROM "{rid}"')
    assert counted["records"] == [{"n": 3}]


@pytest.mark.parametrize(
    "statement",
    [
        'DELETE FROM "{rid}"',
        'DROP TABLE "{rid}"',
        'SELECT 1; DELETE FROM "{rid}"',
        'SELECT * FROM "user"',
        "SELECT * FROM sqlite_master",
        "SELECT * FROM pg_catalog.pg_user",
        "SELECT * FROM information_schema.tables",
        'SELECT pg_sleep(10) FROM "{rid}"',
        "SELECT load_extension('x') FROM \"{rid}\"",
        'SELECT * FROM "{rid}" FOR UPDATE',
        'INSERT INTO "{rid}" ("ID") VALUES (\'x\')',
        "SELECT 1",
        "not sql at all",
        "WITH x AS (SELECT * FROM api_token) SELECT * FROM x",
        'SELECT * FROM "{rid}" UNION SELECT * FROM dataset',
        'SELECT * INTO newtable FROM "{rid}"',
    ],
)
def test_search_sql_refuses(setup: tuple[ckanapi.RemoteCKAN, str], statement: str) -> None:
    admin, rid = setup
    with pytest.raises((ckanapi.ValidationError, ckanapi.NotFound)):
        admin.action.datastore_search_sql(sql=statement.format(rid=rid))
    assert admin.action.datastore_info(id=rid)["meta"]["count"] == 3


def test_search_sql_functions_and_numbers(
    setup: tuple[ckanapi.RemoteCKAN, str], backend: str
) -> None:
    admin, rid = setup
    pad = "lpad(\"ID\", 5, '0')" if backend == "postgresql" else "substr('00' || \"ID\", -5)"
    result = admin.action.datastore_search_sql(
        sql=f'SELECT sum("収容人数") AS total, avg("収容人数") AS mean, {pad} AS padded '
        f'FROM "{rid}" GROUP BY "ID" ORDER BY "ID"'
    )
    assert result["records"][0]["padded"] == "00001"
    assert isinstance(result["records"][0]["total"], int)
    ctes = admin.action.datastore_search_sql(
        sql=f'WITH big AS (SELECT * FROM "{rid}" WHERE "収容人数" > 100) SELECT count(*) AS n '
        f"FROM big"
    )
    assert ctes["records"] == [{"n": 2}]


def test_search_sql_time_limit(setup: tuple[ckanapi.RemoteCKAN, str], server: LiveServer) -> None:
    admin, rid = setup
    services = server.services
    original = services.settings
    before = original.sql_time_limit
    object.__setattr__(original, "sql_time_limit", 0.5)
    try:
        slow = (
            f'WITH RECURSIVE n(i) AS (SELECT 1 FROM "{rid}" UNION ALL '
            f"SELECT i + 1 FROM n WHERE i < 100000000) SELECT count(*) FROM n"
        )
        with pytest.raises(ckanapi.ValidationError) as exc:
            admin.action.datastore_search_sql(sql=slow)
        assert "query" in exc.value.error_dict or "sql" in exc.value.error_dict
    finally:
        object.__setattr__(original, "sql_time_limit", before)


def test_dump_formats(setup: tuple[ckanapi.RemoteCKAN, str], server: LiveServer) -> None:
    _, rid = setup
    url = f"{server.url}/datastore/dump/{rid}"
    utf8 = requests.get(url, params={"sort": "ID"}, timeout=10)
    assert utf8.status_code == 200
    assert utf8.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(utf8.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["ID", "名称"]
    assert rows[1][6] == "'=cmd|' /C calc'!A0"  # formula neutralised
    sjis = requests.get(url, params={"encoding": "shift_jis"}, timeout=10)
    assert "下関市民会館" in sjis.content.decode("cp932")
    filtered = requests.get(
        url, params={"filters": '{"ID": "001"}', "format": "json"}, timeout=10
    ).json()
    assert [r["ID"] for r in filtered["records"]] == ["001"]
    geo = requests.get(url, params={"format": "geojson"}, timeout=10).json()
    assert geo["features"][0]["geometry"]["type"] == "Point"
    xlsx = requests.get(url, params={"format": "xlsx"}, timeout=10)
    assert xlsx.content.startswith(b"PK")
    bad = requests.get(url, params={"format": "exe"}, timeout=10)
    assert bad.status_code == 409


def test_private_dataset_table_hidden(
    setup: tuple[ckanapi.RemoteCKAN, str], server: LiveServer
) -> None:
    admin, _ = setup
    admin.action.package_create(
        name="secret-ds", title="非公開", owner_org="shimonoseki", private=True
    )
    hidden = admin.action.datastore_create(
        resource={"package_id": "secret-ds", "name": "x"},
        fields=[{"id": "値", "type": "int"}],
        records=[{"値": 1}],
    )["resource_id"]
    anonymous = server.ckan()
    with pytest.raises((ckanapi.NotFound, ckanapi.NotAuthorized)):
        anonymous.action.datastore_search(resource_id=hidden)
    with pytest.raises((ckanapi.NotFound, ckanapi.NotAuthorized)):
        anonymous.action.datastore_search_sql(sql=f'SELECT * FROM "{hidden}"')
    assert requests.get(f"{server.url}/datastore/dump/{hidden}", timeout=10).status_code == 404
    with pytest.raises(ckanapi.NotAuthorized):
        server.ckan(server.make_user("ds-outsider")).action.datastore_upsert(
            resource_id=hidden, records=[{"値": 2}], method="insert"
        )


def test_delete_whole_table(setup: tuple[ckanapi.RemoteCKAN, str]) -> None:
    admin, _ = setup
    rid = admin.action.datastore_create(
        resource={"package_id": "evac", "name": "temp"},
        fields=[{"id": "a", "type": "int"}],
        records=[{"a": 1}],
    )["resource_id"]
    admin.action.datastore_delete(resource_id=rid)
    with pytest.raises(ckanapi.NotFound):
        admin.action.datastore_search(resource_id=rid)
    assert admin.action.resource_show(id=rid)["datastore_active"] is False


def test_deleting_the_resource_drops_its_table(setup: tuple[ckanapi.RemoteCKAN, str]) -> None:
    admin, _ = setup
    rid = admin.action.datastore_create(
        resource={"package_id": "evac", "name": "消える表"},
        fields=[{"id": "a", "type": "int"}],
        records=[{"a": 1}],
    )["resource_id"]
    admin.action.resource_delete(id=rid)
    with pytest.raises(ckanapi.NotFound):
        admin.action.datastore_search_sql(sql=f'SELECT * FROM "{rid}"')


def test_resource_update_keeps_datastore_state(setup: tuple[ckanapi.RemoteCKAN, str]) -> None:
    admin, rid = setup
    admin.action.resource_patch(id=rid, description="説明を追加")
    assert admin.action.resource_show(id=rid)["datastore_active"] is True


def test_upsert_with_unknown_row_id_is_refused(setup: tuple[ckanapi.RemoteCKAN, str]) -> None:
    admin, _ = setup
    rid = admin.action.datastore_create(
        resource={"package_id": "evac", "name": "主キーなし"},
        fields=[{"id": "a", "type": "int"}],
        records=[{"a": 1}],
    )["resource_id"]
    with pytest.raises(ckanapi.ValidationError):
        admin.action.datastore_upsert(resource_id=rid, records=[{"_id": 999, "a": 2}])
    admin.action.datastore_upsert(resource_id=rid, records=[{"_id": 1, "a": 5}])
    assert admin.action.datastore_search(resource_id=rid)["records"][0]["a"] == 5
