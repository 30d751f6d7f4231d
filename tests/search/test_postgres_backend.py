"""The PostgreSQL search backend gives what the embedded engine gives: a few hundred generated
datasets, indexed by both, and a list of queries (2-character words, kana, full-width letters,
phrases, fq, facets, sorting, paging, visibility) answered identically; and the shared index
follows every change, whichever host looks."""

from __future__ import annotations

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from support.databases import database_url_for
from tsunagu.bootstrap import action_context, build_services
from tsunagu.catalog.models import Dataset, Organization
from tsunagu.config import Settings
from tsunagu.context import Services
from tsunagu.errors import SearchQueryError
from tsunagu.registry import call_action
from tsunagu.search.interface import SearchQuery, SearchResult, Visibility
from tsunagu.search.memory_index import MemoryIndex
from tsunagu.search.postgres import phrase_cache
from tsunagu.search.postgres.backend import PostgresSearch
from tsunagu.storage.migrate import upgrade

DATASETS = 300
PLACES = ["下関市", "宇部市", "山口市", "萩市", "防府市", "北区", "中央区"]
TOPICS = [
    "指定緊急避難場所",
    "避難所一覧",
    "AED設置場所",
    "ＡＥＤ設置箇所",
    "人口統計",
    "年齢別人口",
    "推計人口",
    "公衆トイレ",
    "ｺｳｼｭｳﾄｲﾚ",
    "ごみ収集日",
    "ゴミ分別",
    "保育園一覧",
    "保育所",
    "観光客数",
    "公衆無線LAN",
    "Wi-Fiスポット",
    "水質検査結果",
    "バス停留所",
    "医療機関",
    "介護サービス事業所",
]
TAGS = ["防災", "避難所", "人口", "統計", "観光", "医療", "ごみ", "子育て", "AED", "水", "Wi-Fi"]
FORMATS = ["CSV", "csv", "XLSX", "PDF", "JSON"]
LICENSES = ["cc-by-4.0", "pdl-1.0", "cc0-1.0"]
ORGS = [
    ("shimonoseki", "下関市", "352012"),
    ("ube", "宇部市", "352021"),
    ("pref", "山口県", "350001"),
]
GROUPS = [("bousai", "防災"), ("tokei", "人口・統計"), ("kanko", "観光")]


def _package(rng: random.Random, i: int) -> dict[str, Any]:
    place = rng.choice(PLACES)
    topic = rng.choice(TOPICS)
    title = rng.choice(
        [f"{place}{topic}", f"{topic}（{place}）", f"{place} {topic} {2015 + i % 10}"]
    )
    return {
        "name": f"ds-{i:04d}",
        "title": title,
        "owner_org": rng.choice(ORGS)[0],
        "notes": rng.choice(["", f"{place}の{rng.choice(TOPICS)}です。", "ﾃﾞｰﾀの説明。"]),
        "license_id": rng.choice(LICENSES),
        "private": rng.random() < 0.12,
        "state": "draft" if rng.random() < 0.05 else "active",
        "tags": [{"name": t} for t in rng.sample(TAGS, rng.randint(0, 3))],
        "groups": [{"name": g} for g, _ in rng.sample(GROUPS, rng.randint(0, 2))],
        "extras": [{"key": "update", "value": rng.choice(["年次", "月次"])}],
        "resources": [
            {"url": f"https://example.jp/{i}/{n}", "format": rng.choice(FORMATS)}
            for n in range(rng.randint(0, 3))
        ],
    }


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    tmp = tmp_path_factory.mktemp("pg-search")
    url = database_url_for("postgresql", tmp)
    services = build_services(Settings(data_dir=tmp, database_url=url, search_backend="postgresql"))
    upgrade(services.engine)
    rng = random.Random(14)
    with action_context(services, ignore_auth=True) as context:
        for name, title, code in ORGS:
            kind = "prefecture" if name == "pref" else "municipality"
            org = {"name": name, "title": title, "kind": kind, "local_gov_code": code}
            call_action("organization_create", context, org)
        for name, title in GROUPS:
            call_action("group_create", context, {"name": name, "title": title})
        for i in range(DATASETS):
            call_action("package_create", context, _package(rng, i))
    # Changes after the first index: patched, deleted and purged datasets.
    _index_both(services)
    with action_context(services, ignore_auth=True) as context:
        for i in range(0, 40, 4):
            call_action("package_patch", context, {"id": f"ds-{i:04d}", "title": "北区の避難所"})
        call_action("package_delete", context, {"id": "ds-0001"})
        call_action("dataset_purge", context, {"id": "ds-0002"})
        call_action("organization_patch", context, {"id": "ube", "title": "宇部市役所"})
    yield services
    services.engine.dispose()


_ENGINES: dict[int, MemoryIndex] = {}


def _index_both(services: Services) -> tuple[MemoryIndex, PostgresSearch]:
    embedded = _ENGINES.setdefault(id(services), MemoryIndex(services.settings.site_url))
    shared = services.search
    assert isinstance(shared, PostgresSearch)
    with services.sessions() as session:
        embedded.refresh(session)
        shared.refresh(session)
    return embedded, shared


def _rebuild_both(services: Services) -> None:
    """Both engines built afresh from the same rows. Ties are split by indexing order, which a
    rebuild of one engine alone would make differ from the other's: the module's other tests
    compare the two engines' ties."""
    embedded, shared = _index_both(services)
    with services.sessions() as session:
        shared.rebuild(session)
        embedded.rebuild(session)


def _visibilities(services: Services) -> list[Visibility]:
    with services.sessions() as session:
        ube = session.scalar(select(Organization.id).where(Organization.name == "ube"))
    assert ube is not None
    return [
        Visibility(),
        Visibility(all_private=True, include_drafts=True),
        Visibility(all_private=True),
        Visibility(private_orgs=frozenset({ube}), include_drafts=True, draft_orgs=frozenset({ube})),
        Visibility(private_datasets=frozenset({"ds-0010", "ds-0011"}), include_drafts=True),
    ]


QUERIES: list[dict[str, Any]] = [
    {},
    {"q": "人口"},
    {"q": "避難"},
    {"q": "避難所"},  # synonyms: 避難場所, 避難施設
    {"q": "介護"},  # its synonym 介護サービス holds it: that alternative is dropped
    {"q": "北区"},
    {"q": "水"},  # one character
    {"q": "ひなんじょ"},  # a reading
    {"q": "トイレ"},  # half-width katakana in titles, synonyms 便所
    {"q": "ごみ"},
    {"q": "ゴミ"},
    {"q": "aed"},
    {"q": "ＡＥＤ"},
    {"q": "wi-fi"},
    {"q": "wi*"},
    {"q": '"避難所一覧"'},
    {"q": "宇部市 人口"},
    {"q": "人口 OR 観光", "sort": "name desc"},
    {"q": "避難 -北区"},
    {"q": "title:避難所"},
    {"q": "notes:説明"},
    {"q": "宇部市役所"},  # the organisation's new title, after the patch
    {"q": "存在しない言葉"},
    {"fq": "organization:ube"},
    {"fq": "tags:防災 AND res_format:csv"},
    {"fq": "res_format:XLSX OR res_format:PDF"},
    {"fq": "+organization:ube -tags:人口"},
    {"fq": "groups:(bousai OR kanko)"},
    {"fq": 'tags:"Wi-Fi"'},
    {"fq": "name:ds-00*"},
    {"fq": "extras_update:月次"},
    {"fq": "num_resources:[2 TO *]"},
    {"fq": "num_resources:{0 TO 2}"},
    {"fq": "metadata_modified:[2000-01-01T00:00:00Z TO NOW]"},
    {"fq": "capacity:private"},
    {"fq": "local_gov_code:352012", "q": "避難"},
    {"fq": "license_id:pdl-1.0", "q": "人口", "sort": "title_string asc"},
    {"q": "人口", "sort": "score desc, name asc"},
    {"q": "避難所", "sort": "num_resources desc, metadata_modified asc"},
    # Relevance first, with terms some matches lack: exact only for matches whose bound can
    # reach the page (ordering.Bound), on small pages and past the first.
    {"q": "避難所", "rows": 3},
    {"q": "避難所", "start": 5, "rows": 7},
    {"q": "人口 OR 観光", "start": 2, "rows": 5},
    {"q": "人口", "rows": 1, "start": 40},
    {"q": "人口 OR 観光", "sort": "score asc, name desc", "rows": 4},
    {"sort": "num_tags asc", "rows": 50},
    {"sort": "quality_stars desc, num_resources asc", "rows": 30},
    {"sort": "next_update_due asc", "rows": 20},
    {"sort": "metadata_created desc", "start": 10, "rows": 5},
    {"q": "避難", "start": 3, "rows": 4},
    {"start": 250, "rows": 100},
    {"start": 1000},
    {"rows": 0},
    {"q": "人口", "facet_limit": 2, "facet_mincount": 3},
    {"facet_limit": -1},
    {"q": "ﾃﾞｰﾀ", "fl": ["name", "title"]},
]
FACETS = ["organization", "groups", "tags", "res_format", "license_id", "capacity", "extras_update"]


def _answer(result: SearchResult) -> dict[str, Any]:
    names = [r["name"] for r in result.results]
    return {
        "count": result.count,
        "names": names,
        "facets": result.facets,
        "search_facets": result.search_facets,
    }


def _query(visibility: Visibility, spec: dict[str, Any]) -> SearchQuery:
    return SearchQuery(
        q=spec.get("q", ""),
        fq=spec.get("fq", ""),
        sort=spec.get("sort", ""),
        start=spec.get("start", 0),
        rows=spec.get("rows", 10),
        facet_fields=FACETS,
        facet_limit=spec.get("facet_limit", 50),
        facet_mincount=spec.get("facet_mincount", 1),
        fl=spec.get("fl", ["name"]),
        visibility=visibility,
    )


@pytest.fixture(params=["sql", "seqs"])
def path(request: pytest.FixtureRequest, services: Services) -> Iterator[str]:
    """Each search of the PostgreSQL backend taken by SQL alone, or answered from seqs
    (in_process.py) with this process's copy of the index read before the search."""
    shared = services.search
    assert isinstance(shared, PostgresSearch)
    _taking(request.param, shared)
    yield request.param
    shared.answer_from_seqs = True
    shared.copies.background = True


def _taking(path: str, host: PostgresSearch) -> PostgresSearch:
    host.answer_from_seqs = path == "seqs"
    host.copies.background = False
    return host


def test_both_engines_answer_every_query_alike(services: Services, path: str) -> None:
    embedded, shared = _index_both(services)
    answered = 0
    for visibility in _visibilities(services):
        for spec in QUERIES:
            query = _query(visibility, spec)
            expected = _answer(embedded.search(query))
            got = _answer(shared.search(query))
            assert got == expected, (spec, visibility)
            answered += bool(expected["count"])
    assert answered > len(QUERIES) * 3  # the queries find things, not only nothing


@pytest.mark.parametrize(
    ("q", "phrase_checks"),
    [
        ("人口", 0),  # 住民基本台帳人口 and 推計人口 hold the term 人口
        ("介護", 0),  # 介護サービス
        ("避難所", 3),  # itself, 避難場所 and 避難施設: none is one term
        ("ごみ", 2),  # its reading, and 廃棄物: ごみ is also found by its reading
    ],
)
def test_synonyms_a_one_term_alternative_covers_are_not_checked_again(
    services: Services, q: str, phrase_checks: int
) -> None:
    """An OR whose alternatives a plain containment covers makes PostgreSQL check the OR again on
    every row the index finds, reading each row's term array."""
    shared = services.search
    assert isinstance(shared, PostgresSearch)
    with services.engine.connect() as connection:
        sql = shared.plan(_query(Visibility(), {"q": q}), connection)["search"].sql
    where = sql.split(" WHERE ", 1)[1].split(") SELECT 0", 1)[0]
    assert where.count("strpos(") == phrase_checks


def test_the_catalog_is_large_enough_to_mean_something(services: Services) -> None:
    _, shared = _index_both(services)
    everything = Visibility(all_private=True, include_drafts=True)
    result = shared.search(SearchQuery(visibility=everything, facet_fields=["capacity"]))
    with services.sessions() as session:  # other tests add, delete and purge datasets too
        live = session.scalar(
            select(func.count()).select_from(Dataset).where(Dataset.state != "deleted")
        )
        assert session.scalar(select(Dataset.state).where(Dataset.name == "ds-0001")) == "deleted"
        assert session.scalar(select(Dataset.id).where(Dataset.name == "ds-0002")) is None
    assert result.count == live  # the deleted and the purged left out
    assert live > DATASETS * 0.9
    assert result.facets["capacity"]["private"] > 10
    assert shared.search(SearchQuery(q="人口")).count > 20


def test_whole_package_is_returned_as_indexed(services: Services) -> None:
    embedded, shared = _index_both(services)
    query = SearchQuery(q="避難所", rows=5)
    assert [r.raw for r in shared.search(query).results] == [
        r.raw for r in embedded.search(query).results
    ]
    found = shared.get("ds-0004")
    assert found is not None and found.name == "ds-0004"
    assert found.raw == embedded.get("ds-0004").raw  # type: ignore[union-attr]
    assert shared.get(found.id) == found
    assert shared.get("ds-0001") is None  # deleted
    assert shared.get("ds-0002") is None  # purged


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"fq": 'title:"unclosed'}, "検索式を解釈できません"),
        ({"q": "a AND (b"}, "検索式を解釈できません"),
        ({"fq": "nosuch:1"}, "検索できない項目です"),
        ({"fq": "title:[a TO b]"}, "範囲検索できない項目です"),
        ({"fq": "num_tags:[one TO 2]"}, "数値で指定してください"),
        ({"fq": "metadata_modified:[NOW-1FORTNIGHT TO NOW]"}, "日付の指定が正しくありません"),
        ({"sort": "popularity desc"}, "並べ替えの指定が正しくありません"),
    ],
)
def test_bad_queries_fail_alike(services: Services, spec: dict[str, Any], message: str) -> None:
    embedded, shared = _index_both(services)
    query = _query(Visibility(), spec)
    with pytest.raises(SearchQueryError) as expected:
        embedded.search(query)
    with pytest.raises(SearchQueryError) as got:
        shared.search(query)
    assert message in got.value.message
    assert got.value.message == expected.value.message


def test_bad_facet_field_fails_alike(services: Services) -> None:
    embedded, shared = _index_both(services)
    query = SearchQuery(facet_fields=["notes"])
    with pytest.raises(SearchQueryError) as expected:
        embedded.search(query)
    with pytest.raises(SearchQueryError) as got:
        shared.search(query)
    assert got.value.message == expected.value.message


def test_another_host_sees_every_change_at_once(services: Services, path: str) -> None:
    first = services.search
    assert isinstance(first, PostgresSearch)
    other = _taking(path, PostgresSearch(services.engine, services.settings.site_url))
    with services.sessions() as session:
        assert (
            other.load(session)
            == first.search(
                SearchQuery(visibility=Visibility(all_private=True, include_drafts=True))
            ).count
        )

    def names(host: PostgresSearch, q: str) -> list[str]:
        with services.sessions() as session:
            host.refresh(session)
        found = host.search(SearchQuery(q=q, rows=100, sort="name asc", fl=["name"]))
        return [r["name"] for r in found.results]

    def public_count(host: PostgresSearch) -> int:
        with services.sessions() as session:
            host.refresh(session)
        return host.search(SearchQuery(rows=0)).count  # counted ahead: no q, no fq

    public = public_count(other)
    with action_context(services, ignore_auth=True) as context:
        call_action(
            "package_create",
            context,
            {"name": "new-one", "title": "津波避難ビル", "owner_org": "pref"},
        )
    assert public_count(first) == public + 1
    assert names(other, "津波避難ビル") == ["new-one"]
    assert names(first, "津波避難ビル") == ["new-one"]
    with action_context(services, ignore_auth=True) as context:
        call_action("package_patch", context, {"id": "new-one", "name": "renamed-one"})
    assert names(first, "津波避難ビル") == ["renamed-one"]
    assert other.get("new-one") is None
    with action_context(services, ignore_auth=True) as context:
        call_action("package_patch", context, {"id": "renamed-one", "private": True})
    assert names(other, "津波避難ビル") == []  # private now: not for anonymous callers
    assert public_count(other) == public
    with action_context(services, ignore_auth=True) as context:
        call_action("dataset_purge", context, {"id": "renamed-one"})
    assert names(first, "津波避難ビル") == []
    assert other.get("renamed-one") is None


def test_rebuild_gives_the_same_answers(services: Services, path: str) -> None:
    embedded, shared = _index_both(services)
    spec = {"q": "人口", "sort": "name asc", "rows": 100}
    before = _answer(shared.search(_query(Visibility(), spec)))
    try:
        with services.sessions() as session:
            count = shared.rebuild(session)
        everything = Visibility(all_private=True, include_drafts=True)
        assert count == shared.search(SearchQuery(visibility=everything)).count
        assert _answer(shared.search(_query(Visibility(), spec))) == before
        assert before == _answer(embedded.search(_query(Visibility(), spec)))
    finally:
        _rebuild_both(services)


def test_postgresql_search_needs_a_postgresql_database(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PostgreSQL のデータベース"):
        Settings(data_dir=tmp_path, search_backend="postgresql")
    with pytest.raises(ValueError, match="TSUNAGU_SEARCH_BACKEND"):
        Settings(data_dir=tmp_path, search_backend="solr")
    with pytest.raises(ValueError, match="PostgreSQL のデータベース"):
        Settings.from_env(data_dir=tmp_path, search_backend="postgresql", database_url="")


def test_pages_of_a_tied_sort_list_every_dataset_once(services: Services, path: str) -> None:
    # Most datasets tie on num_tags: pages must split the tie by indexing order, the same on
    # both engines, so that paging neither skips nor repeats a dataset.
    embedded, shared = _index_both(services)
    for engine in (embedded, shared):
        total = engine.search(SearchQuery(rows=0)).count
        pages = [
            [
                r["name"]
                for r in engine.search(
                    SearchQuery(sort="num_tags asc", start=start, rows=7, fl=["name"])
                ).results
            ]
            for start in range(0, total, 7)
        ]
        seen = [name for page in pages for name in page]
        assert len(seen) == len(set(seen)) == total


def test_hosts_catching_up_at_once_index_each_change_once(services: Services, path: str) -> None:
    with action_context(services, ignore_auth=True) as context:
        for i in range(30):
            call_action(
                "package_create",
                context,
                {
                    "name": f"burst-{path}-{i}",
                    "title": f"同時更新 {i}",
                    "owner_org": "ube",
                    "tags": [{"name": "防災"}],
                },
            )
    hosts = [
        _taking(path, PostgresSearch(services.engine, services.settings.site_url)) for _ in range(4)
    ]

    def refresh(host: PostgresSearch) -> None:
        with services.sessions() as session:
            host.refresh(session)

    with ThreadPoolExecutor(len(hosts)) as pool:
        list(pool.map(refresh, hosts))
    embedded, shared = _index_both(services)
    for visibility in _visibilities(services)[:3]:
        query = _query(visibility, {"q": "同時更新", "rows": 100})
        assert _answer(shared.search(query)) == _answer(embedded.search(query))
        whole = _query(visibility, {})
        assert _answer(hosts[0].search(whole)) == _answer(embedded.search(whole))
    with services.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM search_document")) == (
            connection.scalar(text("SELECT documents FROM search_state"))
        )


def test_what_hosts_remember_stays_exact_through_changes_and_rebuilds(
    services: Services, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    # Each process counts the common facets from its own copy of the documents' values
    # (facet_cache.py) and remembers confirmed phrases (phrase_cache.py); both only grow, so
    # changes and rebuilds must never make them stale.
    monkeypatch.setattr(phrase_cache, "STALE_AFTER", 5)  # answers are read on after 5 changes
    _, shared = _index_both(services)
    watcher = _taking(path, PostgresSearch(services.engine, services.settings.site_url))
    specs = [
        {"q": "人口"},
        {"fq": "tags:防災"},
        {"q": "避難 OR 統計", "rows": 0},
        {"q": "避難所", "rows": 50},
        {"q": "title:人口統計", "rows": 50},
    ]
    everyone = _visibilities(services)[:2]

    def all_alike() -> None:
        embedded, shared = _index_both(services)
        with services.sessions() as session:
            watcher.refresh(session)
        for visibility in everyone:
            for spec in specs:
                query = _query(visibility, spec)
                expected = _answer(embedded.search(query))
                assert expected["count"]  # there is something to find and count
                assert _answer(shared.search(query)) == expected, (spec, visibility)
                assert _answer(watcher.search(query)) == expected, (spec, visibility)

    all_alike()  # both hosts hold copies now
    try:
        with action_context(services, ignore_auth=True) as context:
            for i in range(100, 130):
                name = f"ds-{i:04d}"
                tags = [{"name": "防災"}, {"name": f"新しいタグ{i % 3}"}]
                title = ["避難所の一覧", "人口統計", "避難の所"][i % 3]  # the last holds no phrase
                changed = {"id": name, "tags": tags, "owner_org": "pref", "title": title}
                call_action("package_patch", context, changed)
            gone = 130 if path == "sql" else 132  # each path removes datasets of its own
            call_action("package_delete", context, {"id": f"ds-{gone:04d}"})
            call_action("dataset_purge", context, {"id": f"ds-{gone + 1:04d}"})
            call_action(
                "package_create",
                context,
                {
                    "name": f"facet-new-{path}",
                    "title": "人口統計",
                    "owner_org": "ube",
                    "tags": [{"name": "防災"}],
                },
            )
        all_alike()
        with services.engine.connect() as connection:
            lowest_before = connection.scalar(text("SELECT min(seq) FROM search_document"))
            highest_before = connection.scalar(text("SELECT max(seq) FROM search_document"))
        for _ in range(4):  # seqs carry on past every rebuild; the copies are read afresh at times
            with services.sessions() as session:
                shared.rebuild(session)
            all_alike()
        with services.engine.connect() as connection:
            assert connection.scalar(text("SELECT min(seq) FROM search_document")) > highest_before
        copy = watcher.facet_values._values
        assert copy.first > lowest_before  # rebuilt from the live rows, not grown forever
    finally:  # the ties of the other tests fall the same way on both engines again
        _rebuild_both(services)
