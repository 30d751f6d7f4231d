"""datastore_search as written SQL on the driver's cursor: the FTS-ordered page and FTS count for
q, q with filters, sorts and DISTINCT, awkward column names, value types, and rights checked on
every call (a table turning private or deleted is refused at once). SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from typing import Any

import ckanapi
import pytest
import requests

from support.live_server import LiveServer

_serial = itertools.count(1)

PLACES = ["下関市", "宇部市", "山口市", "萩市"]
KINDS = ["公民館", "公園", "避難所"]


def _rows(count: int) -> list[dict[str, Any]]:
    return [
        {
            "名称": f"{PLACES[i % 4]}{KINDS[i % 3]}{i}",
            "種別": KINDS[i % 3],
            "定員": i * 10,
            "開設日": f"2020-01-{i % 28 + 1:02d}",
        }
        for i in range(count)
    ]


ROWS = _rows(60)
FIELDS = [
    {"id": "名称", "type": "text"},
    {"id": "種別", "type": "text"},
    {"id": "定員", "type": "int"},
    {"id": "開設日", "type": "date"},
]


@pytest.fixture(scope="module")
def env(server: LiveServer) -> dict[str, Any]:
    token = server.make_user("sp-admin", sysadmin=True)
    admin = server.ckan(token)
    admin.action.organization_create(name="sp-org", title="市")
    admin.action.package_create(name="sp-data", title="施設", owner_org="sp-org")
    rid = admin.action.datastore_create(
        resource={"package_id": "sp-data", "name": "施設一覧"}, fields=FIELDS, records=ROWS
    )["resource_id"]
    return {"admin": admin, "rid": rid, "anonymous": server.ckan()}


def _expected(predicate: Any) -> list[int]:
    """_id values (1-based insertion order) of ROWS matching ``predicate``."""
    return [n for n, row in enumerate(ROWS, start=1) if predicate(row)]


def _text(row: dict[str, Any]) -> str:
    return " ".join(str(v) for v in row.values())


def test_q_alone_pages_in_id_order_with_exact_total(env: dict[str, Any]) -> None:
    admin, rid = env["admin"], env["rid"]
    wanted = _expected(lambda r: "下関市" in r["名称"])
    first = admin.action.datastore_search(resource_id=rid, q="下関市", limit=4)
    assert first["total"] == len(wanted)
    assert [r["_id"] for r in first["records"]] == wanted[:4]
    second = admin.action.datastore_search(resource_id=rid, q="下関市", limit=4, offset=4)
    assert [r["_id"] for r in second["records"]] == wanted[4:8]
    assert second["total_was_estimated"] is False
    assert admin.action.datastore_search(resource_id=rid, q="存在しない語")["total"] == 0


def test_every_word_of_q_must_match(env: dict[str, Any]) -> None:
    admin, rid = env["admin"], env["rid"]
    both = _expected(lambda r: "下関市" in _text(r) and "公民館" in _text(r))
    result = admin.action.datastore_search(resource_id=rid, q="下関市 公民館", limit=100)
    assert result["total"] == len(both)
    assert [r["_id"] for r in result["records"]] == both
    # A short word (no trigram) combined with an indexed one.
    short = _expected(lambda r: "萩市" in _text(r) and "公園" in _text(r))
    result = admin.action.datastore_search(resource_id=rid, q="萩市 公園", limit=100)
    assert [r["_id"] for r in result["records"]] == short
    assert result["total"] == len(short)


def test_q_with_filters_sort_and_distinct(env: dict[str, Any]) -> None:
    admin, rid = env["admin"], env["rid"]
    filtered = _expected(lambda r: "山口市" in r["名称"] and r["種別"] == "公園")
    result = admin.action.datastore_search(
        resource_id=rid, q="山口市", filters={"種別": "公園"}, limit=100
    )
    assert [r["_id"] for r in result["records"]] == filtered
    assert result["total"] == len(filtered)
    ordered = admin.action.datastore_search(resource_id=rid, q="宇部市", sort="定員 desc", limit=3)
    ube = sorted(_expected(lambda r: "宇部市" in r["名称"]), reverse=True)
    assert [r["_id"] for r in ordered["records"]] == ube[:3]
    assert ordered["total"] == len(ube)
    distinct = admin.action.datastore_search(
        resource_id=rid, q="下関市", fields="種別", distinct=True
    )
    kinds = {r["種別"] for r in ROWS if "下関市" in r["名称"]}
    assert sorted(r["種別"] for r in distinct["records"]) == sorted(kinds)
    assert distinct["total"] == len(kinds)
    no_total = admin.action.datastore_search(resource_id=rid, q="下関市", include_total=False)
    assert "total" not in no_total and len(no_total["records"]) == 15


def test_q_follows_upserts_and_deletes(server: LiveServer, env: dict[str, Any]) -> None:
    admin = env["admin"]
    rid = admin.action.datastore_create(
        resource={"package_id": "sp-data", "name": f"更新される表{next(_serial)}"},
        fields=[{"id": "名前", "type": "text"}],
        records=[{"名前": "長府博物館"}, {"名前": "長府庭園"}, {"名前": "彦島公園"}],
    )["resource_id"]
    assert admin.action.datastore_search(resource_id=rid, q="長府博")["total"] == 1
    admin.action.datastore_upsert(
        resource_id=rid, method="insert", records=[{"名前": "長府博物館別館"}]
    )
    admin.action.datastore_upsert(
        resource_id=rid, method="update", records=[{"_id": 3, "名前": "長府博物館分室"}]
    )
    found = admin.action.datastore_search(resource_id=rid, q="長府博物館")
    assert found["total"] == 3
    assert [r["_id"] for r in found["records"]] == [1, 3, 4]
    admin.action.datastore_delete(resource_id=rid, filters={"名前": "長府博物館"})
    found = admin.action.datastore_search(resource_id=rid, q="長府博物館")
    assert found["total"] == 2 and [r["_id"] for r in found["records"]] == [3, 4]


def test_column_names_with_percent_colon_and_quote(env: dict[str, Any]) -> None:
    admin = env["admin"]
    fields = [
        {"id": "率%", "type": "numeric"},
        {"id": "時:分", "type": "text"},
        {"id": "名'称", "type": "text"},
    ]
    rid = admin.action.datastore_create(
        resource={"package_id": "sp-data", "name": f"変な列名{next(_serial)}"},
        fields=fields,
        records=[
            {"率%": 1.5, "時:分": "10:30", "名'称": "a"},
            {"率%": 2.5, "時:分": "11:00", "名'称": "b"},
            {"率%": None, "時:分": "11:00", "名'称": "c"},
        ],
    )["resource_id"]
    result = admin.action.datastore_search(
        resource_id=rid, filters={"時:分": "11:00"}, sort="名'称 desc"
    )
    assert [r["名'称"] for r in result["records"]] == ["c", "b"]
    ordered = admin.action.datastore_search(
        resource_id=rid, filters={"率%": [1.5, 2.5]}, sort="率% desc"
    )
    assert [r["名'称"] for r in ordered["records"]] == ["b", "a"]
    assert (
        admin.action.datastore_search(resource_id=rid, filters={"率%": [None, 1.5]})["total"] == 2
    )
    assert admin.action.datastore_search(resource_id=rid, q={"時:分": ":3"})["total"] == 1
    admin.action.datastore_delete(resource_id=rid, filters={"時:分": "10:30"})
    assert admin.action.datastore_search(resource_id=rid)["total"] == 2
    admin.action.datastore_delete(resource_id=rid, filters={"率%": None})
    assert [r["名'称"] for r in admin.action.datastore_search(resource_id=rid)["records"]] == ["b"]


def test_value_types_come_back_as_before(env: dict[str, Any]) -> None:
    admin = env["admin"]
    rid = admin.action.datastore_create(
        resource={"package_id": "sp-data", "name": f"型{next(_serial)}"},
        fields=[
            {"id": "日", "type": "date"},
            {"id": "日時", "type": "timestamp"},
            {"id": "時刻", "type": "time"},
            {"id": "可否", "type": "bool"},
            {"id": "数", "type": "numeric"},
        ],
        records=[
            {
                "日": "令和2年4月1日",
                "日時": "2020-04-01 09:30",
                "時刻": "9:05",
                "可否": "はい",
                "数": 3,
            },
            {"日": None, "日時": None, "時刻": None, "可否": "いいえ", "数": 2.5},
        ],
    )["resource_id"]
    records = admin.action.datastore_search(resource_id=rid)["records"]
    assert records[0] == {
        "_id": 1,
        "日": "2020-04-01",
        "日時": "2020-04-01T09:30:00",
        "時刻": "09:05:00",
        "可否": True,
        "数": 3.0,
    }
    assert records[1]["可否"] is False and records[1]["日"] is None
    assert admin.action.datastore_search(resource_id=rid, filters={"可否": True})["total"] == 1
    assert (
        admin.action.datastore_search(resource_id=rid, filters={"日": "2020-04-01"})["total"] == 1
    )
    as_csv = admin.action.datastore_search(
        resource_id=rid, records_format="csv", fields="日,可否", sort="_id"
    )["records"]
    assert as_csv == "2020-04-01,True\n,False\n"


def test_rights_are_checked_on_every_call(server: LiveServer, env: dict[str, Any]) -> None:
    admin, anonymous = env["admin"], env["anonymous"]
    name = f"sp-vis-{next(_serial)}"
    admin.action.package_create(name=name, title="公開範囲", owner_org="sp-org")
    rid = admin.action.datastore_create(
        resource={"package_id": name, "name": "表"},
        fields=[{"id": "値", "type": "int"}],
        records=[{"値": 1}],
    )["resource_id"]
    assert anonymous.action.datastore_search(resource_id=rid)["total"] == 1
    admin.action.package_patch(id=name, private=True)
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.datastore_search(resource_id=rid)
    outsider = server.ckan(server.make_user(f"sp-outsider-{next(_serial)}"))
    with pytest.raises(ckanapi.NotAuthorized):
        outsider.action.datastore_search(resource_id=rid)
    member = f"sp-member-{next(_serial)}"
    member_client = server.ckan(server.make_user(member))
    admin.action.organization_member_create(id="sp-org", username=member, role="member")
    assert member_client.action.datastore_search(resource_id=rid)["total"] == 1
    admin.action.package_patch(id=name, private=False)
    assert anonymous.action.datastore_search(resource_id=rid)["total"] == 1
    # The data dictionary as it is now, not as a previous call saw it.
    admin.action.datastore_dictionary_update(
        resource_id=rid, fields=[{"id": "値", "info": {"label": "数値"}}]
    )
    fields = anonymous.action.datastore_search(resource_id=rid)["fields"]
    assert fields[1]["info"]["label"] == "数値"
    admin.action.package_delete(id=name)
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.datastore_search(resource_id=rid)
    assert admin.action.datastore_search(resource_id=rid)["total"] == 1  # sysadmin still may


def test_deleted_resource_and_missing_table(env: dict[str, Any]) -> None:
    admin, anonymous = env["admin"], env["anonymous"]
    rid = admin.action.datastore_create(
        resource={"package_id": "sp-data", "name": f"消える{next(_serial)}"},
        fields=[{"id": "値", "type": "int"}],
        records=[{"値": 1}],
    )["resource_id"]
    assert anonymous.action.datastore_search(resource_id=rid)["total"] == 1
    admin.action.resource_delete(id=rid)
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.datastore_search(resource_id=rid)
    plain = admin.action.resource_create(package_id="sp-data", name="表なし", url="http://x.test/a")
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.datastore_search(resource_id=plain["id"])
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.datastore_search(resource_id="no-such-resource")


def test_dump_and_delete_use_the_same_conditions(server: LiveServer, env: dict[str, Any]) -> None:
    admin, rid = env["admin"], env["rid"]
    url = f"{server.url}/datastore/dump/{rid}"
    dumped = requests.get(
        url,
        params={"q": "下関市 公民館", "filters": '{"種別": ["公民館", "公園"]}', "format": "json"},
        timeout=10,
    ).json()
    both = _expected(
        lambda r: "下関市" in _text(r) and "公民館" in _text(r) and r["種別"] in ("公民館", "公園")
    )
    assert [r["名称"] for r in dumped["records"]] == [ROWS[n - 1]["名称"] for n in both]
    copy = admin.action.datastore_create(
        resource={"package_id": "sp-data", "name": f"削除用{next(_serial)}"},
        fields=FIELDS,
        records=ROWS,
    )["resource_id"]
    admin.action.datastore_delete(resource_id=copy, filters={"種別": "公園", "定員": [10, 40, 70]})
    remaining = admin.action.datastore_search(resource_id=copy, limit=100)
    gone = {
        n for n, r in enumerate(ROWS, start=1) if r["種別"] == "公園" and r["定員"] in (10, 40, 70)
    }
    assert gone and [r["_id"] for r in remaining["records"]] == [
        n for n in range(1, len(ROWS) + 1) if n not in gone
    ]
