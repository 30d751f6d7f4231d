"""What each process keeps to answer PostgreSQL searches from seqs (term_seqs.py, doc_copy.py):
read once, then only what is new; never ahead of a search's own snapshot; read again in the
background when the index moves, while the SQL path answers, so no search sees a stale copy."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Connection, event, text

from support.databases import database_url_for
from tsunagu.bootstrap import action_context, build_services
from tsunagu.config import Settings
from tsunagu.context import Services
from tsunagu.registry import call_action
from tsunagu.search.interface import SearchQuery
from tsunagu.search.postgres import doc_copy, held_seqs
from tsunagu.search.postgres.backend import PostgresSearch
from tsunagu.search.postgres.doc_copy import DocCopies
from tsunagu.search.postgres.held_seqs import Held, HeldSeqs
from tsunagu.search.postgres.term_seqs import TermSeqs
from tsunagu.storage.migrate import upgrade


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    tmp: Path = tmp_path_factory.mktemp("pg-seqs")
    url = database_url_for("postgresql", tmp)
    services = build_services(Settings(data_dir=tmp, database_url=url, search_backend="postgresql"))
    upgrade(services.engine)
    with action_context(services, ignore_auth=True) as context:
        call_action("organization_create", context, {"name": "ube", "title": "宇部市"})
        for i in range(12):
            title = "避難所一覧" if i % 2 else "人口統計"
            package = {"name": f"seq-{i:02d}", "title": title, "owner_org": "ube"}
            call_action("package_create", context, package)
    _refreshed(services)
    yield services
    services.engine.dispose()


def _refreshed(services: Services) -> PostgresSearch:
    backend = services.search
    assert isinstance(backend, PostgresSearch)
    with services.sessions() as session:
        backend.refresh(session)
    return backend


def _state(connection: Connection) -> tuple[int, int]:
    row = connection.execute(text("SELECT revision, seq FROM search_state")).one()
    return int(row[0]), int(row[1])


@contextmanager
def _statements(connection: Connection) -> Iterator[list[str]]:
    """The SQL statements sent on ``connection`` inside the block."""
    sent: list[str] = []

    def record(*args: object) -> None:  # (connection, cursor, statement, ...)
        sent.append(str(args[2]))

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", record)


def _names(backend: PostgresSearch, q: str) -> list[str]:
    found = backend.search(SearchQuery(q=q, rows=100, sort="name asc", fl=["name"]))
    return [r["name"] for r in found.results]


def _create(services: Services, name: str, title: str) -> None:
    with action_context(services, ignore_auth=True) as context:
        call_action("package_create", context, {"name": name, "title": title, "owner_org": "ube"})


def _purge(services: Services, *names: str) -> None:
    with action_context(services, ignore_auth=True) as context:
        for name in names:
            call_action("dataset_purge", context, {"id": name})


def test_a_term_is_read_once_then_only_past_what_was_read(services: Services) -> None:
    terms = TermSeqs()
    with services.engine.connect() as connection:
        newest = _state(connection)[1]
        first = terms.get(connection, [("all_terms", "避難")], newest)[("all_terms", "避難")]
    assert len(first) == 6
    _create(services, "seq-new", "避難所マップ")
    _refreshed(services)
    try:
        with services.engine.connect() as connection:
            newer = _state(connection)[1]
            with _statements(connection) as statements:
                grown = terms.get(connection, [("all_terms", "避難")], newer)[("all_terms", "避難")]
                again = terms.get(connection, [("all_terms", "避難")], newer)[("all_terms", "避難")]
            # A search in an older snapshot sees none of what came after it.
            older = terms.get(connection, [("all_terms", "避難")], newest)[("all_terms", "避難")]
        assert len(grown) == 7 and list(grown[:6]) == list(first)
        assert list(again) == list(grown)
        assert len(statements) == 1  # the second get read nothing
        assert "seq > " in statements[0]
        assert list(older) == list(first)
    finally:
        _purge(services, "seq-new")
        _refreshed(services)


def test_answers_past_the_capacity_are_forgotten_least_recently_used_first(
    services: Services,
) -> None:
    terms = TermSeqs(capacity=8)
    with services.engine.connect() as connection:
        newest = _state(connection)[1]
        terms.get(connection, [("all_terms", "避難")], newest)
        terms.get(connection, [("all_terms", "人口")], newest)
        assert terms.held() == (1, 6)  # 避難's six seqs and 人口's six: only the last is kept
        with pytest.raises(ValueError, match="not a term array"):
            terms.get(connection, [("raw", "x")], newest)


def test_the_copy_is_read_in_the_background_and_the_sql_path_answers_meanwhile(
    services: Services,
) -> None:
    backend = PostgresSearch(services.engine, services.settings.site_url)  # a host just started
    copies = backend.copies
    with services.engine.connect() as connection:
        version = _state(connection)
    assert copies.current(version, ["name"]) is None  # being read
    assert _names(backend, "避難") == [f"seq-{i:02d}" for i in range(1, 12, 2)]
    copies.wait()
    copy = copies.current(version, ["name"])
    assert copy is not None and len(copy.seqs) == 12
    assert set(copy.ranks) >= {"name", "metadata_modified"}
    # The index moves on: the old copy is not used, a new one is read.
    _create(services, "seq-later", "避難所の地図")
    _refreshed(services)
    try:
        with services.engine.connect() as connection:
            moved = _state(connection)
        assert moved != version
        assert copies.current(moved, ["name"]) is None
        assert "seq-later" in _names(backend, "避難")  # the SQL path, up to date
        copies.wait()
        assert copies.current(moved, ["name"]) is not None
        assert "seq-later" in _names(backend, "避難")  # from seqs
    finally:
        _purge(services, "seq-later")
        _refreshed(services)


def test_a_rebuild_at_the_same_revision_is_a_new_copy(services: Services) -> None:
    backend = _refreshed(services)
    copies = DocCopies(services.engine, background=False)
    with services.engine.connect() as connection:
        before = _state(connection)
    assert copies.current(before, []) is not None
    with services.sessions() as session:
        backend.rebuild(session)
    with services.engine.connect() as connection:
        after = _state(connection)
    assert after[0] == before[0] and after[1] > before[1]  # same revision, new seqs
    copy = copies.current(after, [])
    assert copy is not None and int(copy.seqs.min()) > before[1]
    assert np.array_equal(copy.live(np.arange(1, before[1] + 1)), np.zeros(0, dtype=np.int64))


def test_reads_of_the_copy_pause_between_them_while_the_catalog_keeps_changing(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doc_copy, "PAUSE", 1000.0)
    copies = DocCopies(services.engine)
    with services.engine.connect() as connection:
        version = _state(connection)
    assert copies.current(version, []) is None
    copies.wait()
    assert copies.current(version, []) is not None
    assert copies._not_before > time.monotonic()  # a thousand times the read: seconds
    _create(services, "seq-paused", "避難所マップ")
    _refreshed(services)
    try:
        with services.engine.connect() as connection:
            moved = _state(connection)
        copies._not_before = time.monotonic() + 0.5  # what a read of 0.5 ms would leave
        assert copies.current(moved, []) is None
        time.sleep(0.2)
        assert copies.current(moved, []) is None  # still pausing
        copies.wait()
        assert copies.current(moved, []) is not None
    finally:
        _purge(services, "seq-paused")
        _refreshed(services)


def test_an_answer_read_further_is_never_replaced_by_one_read_less_far() -> None:
    held: HeldSeqs[str] = HeldSeqs(capacity=5)
    further = Held(upto=10, seqs=np.array([1, 4, 9]))
    assert held.keep("避難", further) is further
    assert held.keep("避難", Held(upto=5, seqs=np.array([1, 4]))) is further  # a slower search
    held.keep("人口", Held(upto=10, seqs=np.array([2])))
    assert held.get("避難") is further  # now the most recently used
    held.keep("統計", Held(upto=10, seqs=np.array([3, 5])))  # 6 seqs: the least recent goes
    assert held.get("人口") is None and held.size() == (2, 5)


def test_an_answer_far_behind_is_read_afresh_by_the_terms_index(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(held_seqs, "READ_ON_LIMIT", 0)  # any change is "far"
    terms = TermSeqs()
    with services.engine.connect() as connection:
        before = terms.get(connection, [("all_terms", "人口")], _state(connection)[1])
    _create(services, "seq-far", "人口の推移")
    _refreshed(services)
    try:
        with services.engine.connect() as connection:
            newest = _state(connection)[1]
            with _statements(connection) as statements:
                after = terms.get(connection, [("all_terms", "人口")], newest)
        assert len(after[("all_terms", "人口")]) == len(before[("all_terms", "人口")]) + 1
        assert len(statements) == 1 and "seq >" not in statements[0]
    finally:
        _purge(services, "seq-far")
        _refreshed(services)


def test_title_only_terms_are_found_through_the_title_terms_index(services: Services) -> None:
    # title_only has no index of its own: read by itself it was a scan of every row.
    terms = TermSeqs()
    with services.engine.connect() as connection:
        newest = _state(connection)[1]
        with _statements(connection) as statements:
            found = terms.get(connection, [("title_only", "避難"), ("title_terms", "避難")], newest)
        with connection.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            # As a search from seqs sets it (backend._settings): an index is used where one can be.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + statements[-1], {"t0": ["避難"], "t1": ["避難"]})
            steps = " ".join(row[0] for row in cursor.fetchall())
    assert "title_terms @>" in statements[-1].split("UNION ALL")[0]
    assert "Seq Scan" not in steps
    # The titles 避難所一覧 hold 避難; no body holds it, so it is in the title only.
    assert len(found[("title_only", "避難")]) == len(found[("title_terms", "避難")]) == 6


def test_a_starting_host_reads_its_copies_before_its_first_search(services: Services) -> None:
    host = PostgresSearch(services.engine, services.settings.site_url)
    with services.sessions() as session:
        assert host.load(session) == 12
    assert host.warming is not None
    host.warming.join()
    host.copies.wait()
    with services.engine.connect() as connection:
        version = _state(connection)
        last = connection.scalar(text("SELECT max(seq) FROM search_document"))
    copy = host.copies.current(version, [])
    assert copy is not None and len(copy.seqs) == 12
    assert host.in_process.terms.held() == (2, 12)  # every document is active; none private
    assert host.facet_values._values.last == last  # every document's facet values
