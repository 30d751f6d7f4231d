"""One- and two-character words counted and paged from the postings table, on both databases.

After an ingest the table gets ``<table>_pst`` (datastore/postings.py, postings_sqlite.py): its
answers must be the scan's, every write to the table must invalidate it in the same transaction
(q then uses the full-text index, still exact), it goes with its table, and
datastore_search_sql cannot read it.
Over HTTP with ckanapi, on a file uploaded through the ingest pipeline.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import ckanapi
import pytest
from sqlalchemy import text

from support.datastore_tables import relation_exists, table_name
from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.datastore import pipeline, postings, postings_lookup
from tsunagu.datastore.ingest.values import to_halfwidth

HEADER = ["内容", "種別", "備考"]
KINDS = ["公園", "薬局", "避難所"]


def _rows() -> list[list[str]]:
    rows = []
    for i in range(60):
        rows.append(
            [
                # A short word at the start of the row (公園, 萩), mixed-case ASCII.
                f"{['萩市', '公園', 'AbC', '下関'][i % 4]}の{KINDS[i % 3]}{i % 10}",
                KINDS[i % 3],
                # At the very end of the row, and empty cells.
                ["", "水", "xY", "萩", "50%引き"][i % 5],
            ]
        )
    return rows


ROWS = _rows()
CSV = ("\n".join(",".join(r) for r in [HEADER, *ROWS]) + "\n").encode("cp932")
QUERIES = [
    "萩",
    "萩市",
    "公園",
    "水",
    "ab",
    "BC",
    "Xy",
    "ｘｙ",  # full-width, folded to half-width
    "%",
    "の",
    "萩 公園",
    "薬局 水",
    "市 の 萩",
    "公園 公園",
    "無い",
    "萩 無",
    "0",
]


def _expected(q: str, rows: list[list[str]] | None = None) -> list[int]:
    words = to_halfwidth(q).split()
    out = []
    for n, row in enumerate(ROWS if rows is None else rows, start=1):
        haystack = "\u3000".join(v for v in row if v).lower()
        if all(w.lower() in haystack for w in words):
            out.append(n)
    return out


@pytest.fixture(scope="module")
def env(server: LiveServer) -> dict[str, Any]:
    admin = server.ckan(server.make_user("pst-admin", sysadmin=True))
    admin.action.organization_create(name="pst-org", title="萩")
    admin.action.package_create(name="pst-data", title="施設", owner_org="pst-org")
    admin.action.package_create(name="pst-writes", title="書き込み用", owner_org="pst-org")
    rid = _upload(admin, "pst-data", CSV)
    return {"admin": admin, "rid": rid}


@pytest.fixture
def own_rid(env: dict[str, Any]) -> Iterator[str]:
    """A table of the same rows for a test that writes to it: the module's table keeps the
    rows as uploaded, which the other tests compare their answers with."""
    admin = env["admin"]
    rid = _upload(admin, "pst-writes", CSV)
    yield rid
    admin.action.resource_delete(id=rid)


def _upload(admin: Any, package: str, body: bytes) -> str:
    resource = admin.action.resource_create(
        package_id=package, name="施設", format="CSV", upload=("施設.csv", io.BytesIO(body))
    )
    rid = str(resource["id"])
    _wait_for_postings(admin, rid)
    return rid


def _wait_for_postings(admin: Any, rid: str) -> dict[str, Any]:
    return wait_until(  # type: ignore[no-any-return]
        lambda: admin.action.datastore_ingest_status(resource_id=rid),
        "the ingest and its short-word postings",
        until=lambda s: (
            s["status"] == "complete"
            and any(e["message"].startswith("短い語の索引ができました") for e in s["log"])
        ),
    )


def _ids(result: dict[str, Any]) -> list[int]:
    return [r["_id"] for r in result["records"]]


def _rebuild(server: LiveServer, rid: str) -> None:
    pipeline.index_postings(server.services, rid, table_name(server, rid))


@pytest.mark.parametrize("q", QUERIES)
def test_postings_answer_what_a_scan_finds(
    env: dict[str, Any], server: LiveServer, used: list[bool], q: str
) -> None:
    admin, rid = env["admin"], env["rid"]
    _rebuild(server, rid)
    wanted = _expected(q)
    for limit, offset in (
        (1000, 0),
        (3, 0),
        (3, 2),
        (2, max(len(wanted) - 1, 0)),
        (5, len(wanted) + 3),
    ):
        page = admin.action.datastore_search(resource_id=rid, q=q, limit=limit, offset=offset)
        assert _ids(page) == wanted[offset : offset + limit], (q, limit, offset)
        assert page["total"] == len(wanted), (q, limit, offset)
    untotalled = admin.action.datastore_search(resource_id=rid, q=q, limit=2, include_total=False)
    assert _ids(untotalled) == wanted[:2]
    assert "total" not in untotalled
    by_id = admin.action.datastore_search(resource_id=rid, q=q, sort="_id asc", limit=4)
    assert _ids(by_id) == wanted[:4]
    assert by_id["total"] == len(wanted)
    assert used and all(used), used


def test_fields_formats_and_sort_with_postings(
    env: dict[str, Any], server: LiveServer, used: list[bool]
) -> None:
    admin, rid = env["admin"], env["rid"]
    _rebuild(server, rid)
    wanted = _expected("萩")
    names = admin.action.datastore_search(
        resource_id=rid, q="萩", fields="内容", records_format="lists", limit=3, offset=1
    )
    assert names["records"] == [[ROWS[n - 1][0]] for n in wanted[1:4]]
    assert [f["id"] for f in names["fields"]] == ["内容"]
    assert names["total"] == len(wanted)
    # Sorted on a column: the page as before, the total from the postings.
    ordered = admin.action.datastore_search(
        resource_id=rid, q="萩", sort="内容 desc", limit=5, offset=2
    )
    expected = sorted((ROWS[n - 1][0] for n in wanted), reverse=True)[2:7]
    assert [r["内容"] for r in ordered["records"]] == expected
    assert ordered["total"] == len(wanted)
    assert used and all(used), used
    # DISTINCT keeps the ngram-index path, with the scan's answers.
    used.clear()
    distinct = admin.action.datastore_search(
        resource_id=rid, q="萩", fields="種別", distinct=True, limit=100
    )
    assert sorted(r["種別"] for r in distinct["records"]) == sorted(
        {ROWS[n - 1][1] for n in wanted}
    )
    assert not used


FILTERS: list[dict[str, Any]] = [
    {"種別": "公園"},
    {"種別": ["公園", "薬局"]},
    {"_id": list(range(3, 40))},
    {"_id": [5, 999_999]},  # an _id no row has
    {"種別": ["公園", "無い"]},  # a value no row has
    {"種別": "薬局", "_id": list(range(10, 60))},
    {"備考": None},
    {"備考": ["水", None]},
    {"内容": "萩市の公園0"},  # a column without an index: the full-text index's plans
]


def _kept(filters: dict[str, Any]) -> Any:
    columns = {h: i for i, h in enumerate(HEADER)}

    def keep(n: int) -> bool:
        for column, value in filters.items():
            values = value if isinstance(value, list) else [value]
            if column == "_id":
                if n not in values:
                    return False
            elif (ROWS[n - 1][columns[column]] or None) not in values:
                return False
        return True

    return keep


@pytest.mark.parametrize("merge_max", [10**9, -1], ids=["merged-in-sql", "intersected-in-numpy"])
@pytest.mark.parametrize("q", ["萩", "公園", "水", "萩 の", "ab", "無い"])
def test_filters_meet_the_postings_through_their_indexes(
    env: dict[str, Any],
    server: LiveServer,
    used: list[bool],
    monkeypatch: pytest.MonkeyPatch,
    q: str,
    merge_max: int,
) -> None:
    """One word with filters is merged in PostgreSQL, or (a word in many rows) intersected in
    numpy; several words always in numpy. Forced each way, the answers are the scan's."""
    monkeypatch.setattr(postings_lookup, "MERGE_MAX_IDS", merge_max)
    admin, rid = env["admin"], env["rid"]
    _rebuild(server, rid)
    indexed = {
        f["id"] for f in admin.action.datastore_info(id=rid)["fields"] if f["schema"]["is_index"]
    }
    assert {"種別", "備考"} <= indexed and "内容" not in indexed, indexed
    for filters in FILTERS:
        wanted = [n for n in _expected(q) if _kept(filters)(n)]
        label = f"{q} {filters}"
        used.clear()
        for limit, offset in ((1000, 0), (2, 1), (3, len(wanted) + 2)):
            page = admin.action.datastore_search(
                resource_id=rid, q=q, filters=filters, limit=limit, offset=offset
            )
            assert _ids(page) == wanted[offset : offset + limit], (label, limit, offset)
            assert page["total"] == len(wanted), (label, limit, offset)
        ordered = admin.action.datastore_search(
            resource_id=rid, q=q, filters=filters, sort="内容 desc", limit=3, offset=1
        )
        names = sorted((ROWS[n - 1][0] for n in wanted), reverse=True)
        assert [r["内容"] for r in ordered["records"]] == names[1:4], label
        assert ordered["total"] == len(wanted), label
        untotalled = admin.action.datastore_search(
            resource_id=rid, q=q, filters=filters, limit=2, include_total=False
        )
        assert _ids(untotalled) == wanted[:2], label
        assert "total" not in untotalled
        if "内容" in filters:
            # PostgreSQL does not look the postings up for such a filter; SQLite's lookup finds
            # no value bitmaps for the column and declines.
            sqlite = server.services.engine.dialect.name == "sqlite"
            assert (not any(used)) if sqlite else not used, label
        else:
            assert used and all(used), (label, used)


@pytest.mark.parametrize("max_values", [1000, 1], ids=["value-rows", "too-many-values"])
def test_filter_columns_with_few_values_are_met_by_value_rows(
    env: dict[str, Any],
    server: LiveServer,
    used: list[bool],
    monkeypatch: pytest.MonkeyPatch,
    max_values: int,
) -> None:
    """The postings keep the rows of each value of 種別 and 備考 (text columns that lead an
    index, with at most MAX_VALUES values), which meet filters on them; a column with more
    values is met as before (PostgreSQL: through its index; SQLite: by FTS5). Either way the
    answers are the scan's."""
    admin, rid = env["admin"], env["rid"]
    monkeypatch.setattr(postings, "MAX_VALUES", max_values)
    _rebuild(server, rid)
    from_values: list[bool] = []
    value_arrays = postings_lookup._value_arrays

    def spied(*args: Any) -> Any:
        found = value_arrays(*args)
        from_values.append(found is not None)
        return found

    monkeypatch.setattr(postings_lookup, "_value_arrays", spied)
    sqlite = server.services.engine.dialect.name == "sqlite"
    by_values = max_values > 1
    for filters in (
        {"種別": "公園"},
        {"種別": ["公園", "薬局"], "備考": [None, "水"]},
        {"備考": None, "_id": list(range(5, 50))},
    ):
        for q in ("萩", "公園 の"):
            wanted = [n for n in _expected(q) if _kept(filters)(n)]
            used.clear()
            from_values.clear()
            page = admin.action.datastore_search(
                resource_id=rid, q=q, filters=filters, limit=4, offset=1
            )
            assert _ids(page) == wanted[1:5], (q, filters)
            assert page["total"] == len(wanted), (q, filters)
            if sqlite:
                assert used == [by_values], (q, filters)
            else:
                assert used == [True] and from_values == [by_values], (q, filters)
    monkeypatch.undo()
    _rebuild(server, rid)


def test_info_says_whether_short_words_count_from_postings(
    env: dict[str, Any], server: LiveServer
) -> None:
    admin, rid = env["admin"], env["rid"]
    _rebuild(server, rid)
    meta = admin.action.datastore_info(id=rid)["meta"]
    assert meta["full_text_index"] == "all_words"
    assert meta["short_word_postings"] == "valid"
    admin.action.datastore_upsert(
        resource_id=rid, method="insert", records=[{"内容": "仮", "種別": "仮", "備考": ""}]
    )
    # A rebuild waits for writes to go quiet (test_postings_rebuild.py).
    assert admin.action.datastore_info(id=rid)["meta"]["short_word_postings"] == "pending"
    admin.action.datastore_delete(resource_id=rid, filters={"内容": "仮"})


def _all_rows(admin: Any, rid: str) -> list[tuple[int, list[str]]]:
    records = admin.action.datastore_search(resource_id=rid, limit=10_000)["records"]
    return [(r["_id"], [r[h] or "" for h in HEADER]) for r in records]


def _assert_exact(admin: Any, rid: str, queries: list[str]) -> None:
    """Every query's page and total equal a scan of the table's current rows."""
    rows = _all_rows(admin, rid)
    for q in queries:
        words = to_halfwidth(q).split()
        wanted = [
            i
            for i, row in rows
            if all(w.lower() in "\u3000".join(v for v in row if v).lower() for w in words)
        ]
        page = admin.action.datastore_search(resource_id=rid, q=q, limit=1000)
        assert _ids(page) == wanted, q
        assert page["total"] == len(wanted), q


@pytest.mark.parametrize(
    "write",
    ["insert", "upsert", "update", "delete_filtered", "create_with_records", "rolled_back"],
)
def test_every_write_invalidates_the_postings(
    env: dict[str, Any], server: LiveServer, used: list[bool], own_rid: str, write: str
) -> None:
    admin, rid = env["admin"], own_rid
    _rebuild(server, rid)
    queries = ["萩", "萩市", "新", "公園 萩", "ab"]
    _assert_exact(admin, rid, queries)
    first = _all_rows(admin, rid)[0][0]
    if write == "insert":
        admin.action.datastore_upsert(
            resource_id=rid, method="insert", records=[{"内容": "新萩公園", "種別": "公園"}]
        )
    elif write == "upsert":
        admin.action.datastore_upsert(
            resource_id=rid, method="upsert", records=[{"_id": first, "内容": "新しい名前"}]
        )
    elif write == "update":
        admin.action.datastore_upsert(
            resource_id=rid, method="update", records=[{"_id": first, "備考": "萩ab"}]
        )
    elif write == "delete_filtered":
        admin.action.datastore_delete(resource_id=rid, filters={"種別": "公園"})
    elif write == "create_with_records":
        admin.action.datastore_create(resource_id=rid, records=[{"内容": "萩の新館"}])
    else:
        # A write rolled back leaves the postings valid: the invalidation is transactional.
        table = table_name(server, rid)
        with server.services.engine.connect() as connection:
            connection.execute(text(f'DELETE FROM "{table}"'))
            connection.rollback()
    state = admin.action.datastore_info(id=rid)["meta"]["short_word_postings"]
    assert (state == "valid") is (write == "rolled_back"), (write, state)
    used.clear()
    _assert_exact(admin, rid, queries)
    assert all(used) if write == "rolled_back" else not any(used), used
    # The next build makes them valid again, with the new rows.
    _rebuild(server, rid)
    used.clear()
    _assert_exact(admin, rid, queries)
    assert used and all(used), used


def test_a_failed_build_leaves_q_exact_with_a_warning(
    env: dict[str, Any], server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, rid = env["admin"], env["rid"]
    table = table_name(server, rid)
    with server.services.engine.begin() as connection:
        postings.drop(connection, table)

    def broken(*args: Any) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(postings, "build", broken)
    job_id = admin.action.datastore_ingest_status(resource_id=rid)["job_id"]
    pipeline.index_postings(server.services, rid, table, job_id)
    log = admin.action.datastore_ingest_status(resource_id=rid)["log"]
    assert any(
        e["level"] == "warning" and "Short-word postings failed" in e["message"] for e in log
    ), log
    assert admin.action.datastore_info(id=rid)["meta"]["short_word_postings"] != "valid"
    _assert_exact(admin, rid, ["萩", "公園 萩", "ab"])


def test_a_table_over_the_size_limit_keeps_the_ngram_index(
    env: dict[str, Any], server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build holds the whole table's pairs in memory, so a very big table is not given
    postings: q stays exact on the ngram index, and the job's log says why."""
    admin, rid = env["admin"], env["rid"]
    table = table_name(server, rid)
    with server.services.engine.begin() as connection:
        postings.drop(connection, table)
    monkeypatch.setattr(postings, "MAX_ROWS", 1)
    job_id = admin.action.datastore_ingest_status(resource_id=rid)["job_id"]
    pipeline.index_postings(server.services, rid, table, job_id)
    log = admin.action.datastore_ingest_status(resource_id=rid)["log"]
    assert any(e["level"] == "info" and "Over 1 rows" in e["message"] for e in log), log
    assert not relation_exists(server, postings.name(table))
    assert admin.action.datastore_info(id=rid)["meta"]["short_word_postings"] != "valid"
    _assert_exact(admin, rid, ["萩", "公園 萩", "ab"])


def test_search_sql_cannot_read_the_postings(env: dict[str, Any], server: LiveServer) -> None:
    admin, rid = env["admin"], env["rid"]
    _rebuild(server, rid)
    table = table_name(server, rid)
    assert relation_exists(server, postings.name(table))
    for statement in (
        f'SELECT * FROM "{postings.name(table)}"',
        f'SELECT * FROM "{rid}_pst"',
        f'SELECT * FROM "{rid}" WHERE _id IN (SELECT unnest(ids) FROM "{table}_pst")',
    ):
        with pytest.raises((ckanapi.NotFound, ckanapi.ValidationError)):
            admin.action.datastore_search_sql(sql=statement)
    assert admin.action.datastore_search_sql(sql=f'SELECT count(*) AS n FROM "{rid}"')[
        "records"
    ] == [{"n": len(_all_rows(admin, rid))}]


def test_postings_follow_reingest_and_go_with_their_table(
    env: dict[str, Any], server: LiveServer, used: list[bool]
) -> None:
    admin = env["admin"]
    admin.action.package_create(name="pst-swap", title="差し替え", owner_org="pst-org")
    rid = _upload(admin, "pst-swap", CSV)
    table = table_name(server, rid)
    assert relation_exists(server, postings.name(table))
    # A new file: the table is swapped and the postings rebuilt for the new rows.
    replaced = [["長門の公園", "公園", "水"], ["萩の薬局", "薬局", ""]]
    body = ("\n".join(",".join(r) for r in [HEADER, *replaced]) + "\n").encode("cp932")
    before = admin.action.datastore_ingest_status(resource_id=rid)["job_id"]
    admin.action.resource_update(
        id=rid, package_id="pst-swap", name="施設", format="CSV", upload=("b.csv", io.BytesIO(body))
    )
    wait_until(
        lambda: admin.action.datastore_ingest_status(resource_id=rid),
        "the re-ingest and its postings",
        until=lambda s: (
            s["job_id"] != before
            and s["status"] == "complete"
            and any(e["message"].startswith("短い語の索引ができました") for e in s["log"])
        ),
    )
    used.clear()
    for q in ("萩", "公園", "水", "萩市"):
        page = admin.action.datastore_search(resource_id=rid, q=q)
        assert [r["内容"] for r in page["records"]] == [
            replaced[n - 1][0] for n in _expected(q, replaced)
        ], q
        assert page["total"] == len(_expected(q, replaced)), q
    assert used and all(used), used
    table = table_name(server, rid)
    assert relation_exists(server, postings.name(table))
    # A whole-table delete drops the postings with the table.
    admin.action.datastore_delete(resource_id=rid)
    assert not relation_exists(server, table)
    assert not relation_exists(server, postings.name(table))
    # So does deleting the resource.
    other = _upload(admin, "pst-swap", CSV)
    other_table = table_name(server, other)
    assert relation_exists(server, postings.name(other_table))
    admin.action.resource_delete(id=other)
    wait_until(
        lambda: relation_exists(server, postings.name(other_table)),
        "the resource's table to go",
        until=lambda exists: not exists,
    )
    assert not relation_exists(server, other_table)


def test_resource_lists_never_show_the_postings(env: dict[str, Any], server: LiveServer) -> None:
    admin, rid = env["admin"], env["rid"]
    _rebuild(server, rid)
    resources = admin.action.package_show(id="pst-data")["resources"]
    assert [r["id"] for r in resources] == [rid]
    fields = [f["id"] for f in admin.action.datastore_info(id=rid)["fields"]]
    assert fields == HEADER
