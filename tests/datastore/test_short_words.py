"""q with one- and two-character words (北区, 水): served by the full-text index, exact.

Japanese users search with two-character words. The ingest publishes a table first and builds
its full-text index afterwards; before the index exists, with it, and past the expansion limit
the answers are those of a scan: same rows, same totals, with filters, sort, DISTINCT and paging.
SQLite and PostgreSQL, over HTTP with ckanapi, on a file uploaded through the ingest pipeline.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import text

from support.datastore_tables import table_name
from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.datastore import fulltext, pipeline, search, search_conditions, search_postings
from tsunagu.datastore.access import TableInfo
from tsunagu.datastore.search_request import SearchRequest

WARDS = ["北区", "中央区", "南区", "東区"]
KINDS = ["公園", "避難所", "水道局", "公民館"]


def _rows() -> list[list[str]]:
    rows = []
    for i in range(80):
        rows.append(
            [
                f"{WARDS[i % 4]}{KINDS[i % 3]}{i}",  # a short word at the start of a value
                KINDS[i % 4],
                str(i % 7),  # one-character values
                # A short word at the very end of the row (the last column), ASCII in mixed
                # case, LIKE's wildcards as plain characters, and empty cells.
                ["", "水", "AbC", "50%引き", "a_b", "北区"][i % 6],
            ]
        )
    return rows


HEADER = ["名称", "種別", "区分", "備考"]
ROWS = _rows()
CSV = ("\n".join(",".join(r) for r in [HEADER, *ROWS]) + "\n").encode("cp932")
QUERIES = [
    "北区",
    "水",
    "区",
    "公園",
    "abc",
    "ABC",
    "%",
    "_",
    "a_",
    "0%",
    "北区 公園",
    "北区 避難所",
    "水 3",
    "ｂｃ",  # full-width, folded to half-width as before
    "無い",  # no row has it
    "局",
    "中央区",
]


def _expected(q: str, row_filter: Any = None) -> list[int]:
    words = q.replace("ｂｃ", "bc").split()
    out = []
    for n, row in enumerate(ROWS, start=1):
        haystack = "\u3000".join(v for v in row if v).lower()
        if all(w.lower() in haystack for w in words) and (row_filter is None or row_filter(row)):
            out.append(n)
    return out


@pytest.fixture(scope="module")
def env(server: LiveServer) -> dict[str, Any]:
    admin = server.ckan(server.make_user("sw-admin", sysadmin=True))
    admin.action.organization_create(name="sw-org", title="区")
    admin.action.package_create(name="sw-data", title="施設", owner_org="sw-org")
    resource = admin.action.resource_create(
        package_id="sw-data", name="施設", format="CSV", upload=("施設.csv", io.BytesIO(CSV))
    )
    rid = resource["id"]
    status = wait_until(
        lambda: admin.action.datastore_ingest_status(resource_id=rid),
        "the ingest and its full-text index",
        until=lambda s: (
            s["status"] == "complete"
            and s["full_text_index"] == "all_words"
            and any(e["message"].startswith("全文検索の索引ができました") for e in s["log"])
        ),
    )
    return {"admin": admin, "rid": rid, "status": status}


@pytest.fixture(autouse=True)
def without_postings(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the full-text index's plans: the short-word postings, which the
    ingest builds after the index and which then answer most of these requests, are kept out
    (test_short_word_postings.py tests them)."""
    monkeypatch.setattr(search_postings, "from_postings", lambda *_args: None)


def _ids(result: dict[str, Any]) -> list[int]:
    return [r["_id"] for r in result["records"]]


@pytest.mark.parametrize("q", QUERIES)
def test_short_words_find_what_a_scan_finds(env: dict[str, Any], q: str) -> None:
    result = env["admin"].action.datastore_search(resource_id=env["rid"], q=q, limit=1000)
    assert _ids(result) == _expected(q)
    assert result["total"] == len(_expected(q))


@pytest.mark.parametrize("q", ["北区", "水", "公園", "区"])
def test_short_words_with_filters_sort_distinct_and_paging(env: dict[str, Any], q: str) -> None:
    admin, rid = env["admin"], env["rid"]
    wanted = _expected(q, lambda r: r[1] == "公園")
    page = admin.action.datastore_search(
        resource_id=rid, q=q, filters={"種別": "公園"}, limit=3, offset=1
    )
    assert page["total"] == len(wanted)
    assert _ids(page) == wanted[1:4]
    ordered = admin.action.datastore_search(
        resource_id=rid, q=q, sort="名称 desc", limit=1000, include_total=False
    )
    names = [r["名称"] for r in ordered["records"]]
    assert names == sorted((ROWS[n - 1][0] for n in _expected(q)), reverse=True)
    assert "total" not in ordered
    distinct = admin.action.datastore_search(
        resource_id=rid, q=q, fields="種別", distinct=True, limit=1000
    )
    kinds = {ROWS[n - 1][1] for n in _expected(q)}
    assert sorted(r["種別"] for r in distinct["records"]) == sorted(kinds)
    assert distinct["total"] == len(kinds)


PLAN_QUERIES = ["北区", "水", "公園", "区", "北区 公園", "中央区", "無い", "abc"]
PLAN_FILTERS: list[dict[str, Any]] = [
    {},
    {"種別": "公園"},
    {"種別": ["公園", "避難所"]},
    {"種別": "公園", "区分": "3"},
    {"_id": list(range(5, 60))},
]


def _filter_of(filters: dict[str, Any]) -> Any:
    columns = {"種別": 1, "区分": 2}

    def keep(row: list[str]) -> bool:
        for column, value in filters.items():
            values = value if isinstance(value, list) else [value]
            if column == "_id":
                if ROWS.index(row) + 1 not in values:
                    return False
            elif row[columns[column]] not in [str(v) for v in values]:
                return False
        return True

    return keep


@pytest.mark.parametrize("mode", ["merged-or-walked", "index", "counted-first"])
def test_common_and_rare_word_plans_match_the_scan(
    env: dict[str, Any], server: LiveServer, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """SQLite merges the FTS5 matches with a filter's index (else looks each match up);
    PostgreSQL walks the primary key for a common word, else reads the index's matches and
    sorts them, counting them in the same pass when the planner expects few, or after counting
    first. Forced each way, every page and total is the scan's."""
    forced = mode == "merged-or-walked"
    calls = {"intersect": 0, "walk": 0, "empty": 0, "estimate": 0}
    intersection, walk_sql = search._intersection, search._walk_sql
    empty_page, estimate = search._empty_page, search._estimate

    def counted_empty(*args: Any) -> tuple[str, list[object]]:
        calls["empty"] += 1
        return empty_page(*args)

    def counted_estimate(*args: Any) -> float | None:
        calls["estimate"] += 1
        return None if mode == "counted-first" else estimate(*args)

    def counted_intersection(*args: Any) -> str:
        calls["intersect"] += 1
        return intersection(*args)

    def counted_walk(*args: Any) -> tuple[str, list[object]]:
        calls["walk"] += 1
        return walk_sql(*args)

    monkeypatch.setattr(search, "_intersection", counted_intersection)
    monkeypatch.setattr(search, "_walk_sql", counted_walk)
    monkeypatch.setattr(search, "_empty_page", counted_empty)
    monkeypatch.setattr(search, "_estimate", counted_estimate)
    monkeypatch.setattr(search, "INTERSECT_MIN_MATCHES", 0 if forced else 10**9)
    monkeypatch.setattr(search, "WALK_ROW_COST", 0.0 if forced else 1e9)
    admin, rid = env["admin"], env["rid"]
    for q in PLAN_QUERIES:
        for filters in PLAN_FILTERS:
            wanted = _expected(q, _filter_of(filters) if filters else None)
            label = f"{q} {filters}"
            for limit, offset in ((3, 0), (3, 2), (1000, 0), (3, len(wanted) + 5)):
                page = admin.action.datastore_search(
                    resource_id=rid, q=q, filters=filters, limit=limit, offset=offset
                )
                assert _ids(page) == wanted[offset : offset + limit], (label, limit, offset)
                assert page["total"] == len(wanted), (label, limit, offset)
            ordered = admin.action.datastore_search(
                resource_id=rid, q=q, filters=filters, sort="名称 desc", limit=5, offset=1
            )
            names = sorted((ROWS[n - 1][0] for n in wanted), reverse=True)
            assert [r["名称"] for r in ordered["records"]] == names[1:6], label
            assert ordered["total"] == len(wanted), label
            untotalled = admin.action.datastore_search(
                resource_id=rid, q=q, filters=filters, limit=2, include_total=False
            )
            assert _ids(untotalled) == wanted[:2], label
            assert "total" not in untotalled
    dialect = server.services.engine.dialect.name
    path = "intersect" if dialect == "sqlite" else "walk"
    assert (calls[path] > 0) is forced, calls
    assert calls["walk" if dialect == "sqlite" else "intersect"] == 0, calls
    # PostgreSQL: the plan is chosen by the planner's estimate; a total known first to be
    # before the page's offset skips the page.
    assert (calls["estimate"] > 0) is (dialect != "sqlite"), calls
    if dialect == "sqlite" or mode == "index":
        assert calls["empty"] == 0, calls
    if dialect != "sqlite" and mode == "counted-first":
        assert calls["empty"] > 0, calls


def test_the_index_serves_short_words(env: dict[str, Any], server: LiveServer) -> None:
    """One- and two-character words are matched by the index, not by LIKE on every row."""
    table = _table(server, env["rid"])
    with server.services.engine.connect() as connection:
        for q in ("北区", "水", "北区 公園"):
            request = SearchRequest({}, q, [], [], 100, 0, False, True, "objects")
            plan = search_conditions.text_plan(connection, table.table_name, request)
            assert not plan.scan, q
            assert plan.match or plan.ngram, q
        absent = SearchRequest({}, "無い", [], [], 100, 0, False, True, "objects")
        absent_plan = search_conditions.text_plan(connection, table.table_name, absent)
        assert absent_plan.nothing or absent_plan.ngram


def test_ingest_status_and_info_say_when_q_is_indexed(env: dict[str, Any]) -> None:
    admin, rid = env["admin"], env["rid"]
    assert admin.action.datastore_info(id=rid)["meta"]["full_text_index"] == "all_words"
    messages = [entry["message"] for entry in env["status"]["log"]]
    assert any(m.startswith("全文検索の索引ができました") for m in messages), messages


def test_past_the_expansion_limit_words_scan_and_stay_exact(
    env: dict[str, Any], server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fulltext, "MAX_EXPANDED_TERMS", 1)
    for q in ("区", "北区", "水 3"):
        result = env["admin"].action.datastore_search(resource_id=env["rid"], q=q, limit=1000)
        assert _ids(result) == _expected(q), q


def test_rows_written_later_are_found_by_short_words(env: dict[str, Any]) -> None:
    admin, rid = env["admin"], env["rid"]
    admin.action.datastore_upsert(
        resource_id=rid,
        method="insert",
        records=[{"名称": "西区の新しい広場", "種別": "広場", "区分": "9", "備考": "新設"}],
    )
    found = admin.action.datastore_search(resource_id=rid, q="西区", limit=10)
    assert [r["名称"] for r in found["records"]] == ["西区の新しい広場"]
    new_id = found["records"][0]["_id"]
    admin.action.datastore_upsert(
        resource_id=rid,
        method="update",
        records=[{"_id": new_id, "名称": "西町の広場"}],
    )
    assert admin.action.datastore_search(resource_id=rid, q="西区")["total"] == 0
    assert admin.action.datastore_search(resource_id=rid, q="西町")["total"] == 1
    admin.action.datastore_delete(resource_id=rid, filters={"_id": new_id})
    assert admin.action.datastore_search(resource_id=rid, q="西町")["total"] == 0


def test_remembered_expansions_follow_every_write(env: dict[str, Any], server: LiveServer) -> None:
    """The terms a short word expands to are remembered only while the index is unchanged:
    a row written afterwards, by another request or earlier in the same transaction, is found."""
    admin, rid = env["admin"], env["rid"]
    before = admin.action.datastore_search(resource_id=rid, q="緑", limit=10)["total"]
    admin.action.datastore_search(resource_id=rid, q="緑", limit=10)  # remembered now
    admin.action.datastore_upsert(
        resource_id=rid,
        method="insert",
        records=[{"名称": "緑町の広場", "種別": "広場", "区分": "9", "備考": "新設"}],
    )
    found = admin.action.datastore_search(resource_id=rid, q="緑", limit=10)
    assert found["total"] == before + 1
    new_id = found["records"][-1]["_id"]
    table = _table(server, rid).table_name
    if server.services.engine.dialect.name == "sqlite":
        with server.services.engine.begin() as connection:
            first = fulltext.expand(connection, table, "緑")
            assert first is not None and first[0] == fulltext.expand(connection, table, "緑")[0]  # type: ignore[index]
            connection.execute(
                text(f'UPDATE "{table}" SET "名称" = :n, _full_text = :f WHERE _id = :i'),
                {"n": "緑区の森", "f": "緑区の森\u3000広場\u3000\u3000", "i": new_id},
            )
            again = fulltext.expand(connection, table, "緑")
            assert again is not None and "緑区の" in again[0], again
            connection.rollback()
    admin.action.datastore_delete(resource_id=rid, filters={"_id": new_id})
    assert admin.action.datastore_search(resource_id=rid, q="緑", limit=10)["total"] == before


def test_before_the_index_is_built_q_scans_and_a_restart_builds_it(
    env: dict[str, Any], server: LiveServer
) -> None:
    admin, rid = env["admin"], env["rid"]
    table = _table(server, rid).table_name
    with server.services.engine.begin() as connection:
        _drop_full_text(connection, table)
    assert admin.action.datastore_info(id=rid)["meta"]["full_text_index"] == "none"
    for q in ("北区", "中央区", "水 3"):
        result = admin.action.datastore_search(resource_id=rid, q=q, limit=1000)
        assert _ids(result) == _expected(q), q
    # What a process starting up does for tables a killed one published without an index.
    pipeline.index_missing_full_text(server.services)
    assert admin.action.datastore_info(id=rid)["meta"]["full_text_index"] == "all_words"
    result = admin.action.datastore_search(resource_id=rid, q="北区", limit=1000)
    assert _ids(result) == _expected("北区")


def _table(server: LiveServer, rid: str) -> TableInfo:
    return TableInfo(rid, table_name(server, rid), [])


def _drop_full_text(connection: Any, table: str) -> None:
    if connection.dialect.name == "sqlite":
        for event in ("insert", "update", "delete"):
            connection.execute(text(f'DROP TRIGGER "{table}_{event}"'))
        fulltext.drop(connection, table)
        return
    names = connection.execute(
        text("SELECT indexname FROM pg_indexes WHERE tablename = :t AND indexdef LIKE '%gin%'"),
        {"t": table},
    ).scalars()
    for name in list(names):
        connection.execute(text(f'DROP INDEX "{name}"'))
