"""The host's search snapshot: one file every worker maps, answering exactly as the in-memory index.

- A snapshot plus an overlay of later changes gives the same results, order, counts and facets
  as an index built in memory, over random documents and queries (words, phrases, readings,
  filters, ranges, wildcards, sorts, facets, visibility).
- A second process starts from the snapshot another wrote; a process swaps to a newer one when
  the revision moves; a background writer takes over when the overlay grows.
- A damaged, cut-short or other-version file is ignored with a clear log line and rebuilt,
  nothing lost; writers in several processes at once leave only complete files.
- Private datasets in the file are served only to those who may see them; the file is 0600.
"""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tsunagu.accounts.models import User
from tsunagu.bootstrap import action_context, build_services
from tsunagu.catalog.models import Organization
from tsunagu.config import Settings
from tsunagu.context import Services
from tsunagu.errors import NotAuthorized, NotFound
from tsunagu.registry import call_action
from tsunagu.search import memory_index, snapshot_format, snapshot_parallel
from tsunagu.search.documents import build_document
from tsunagu.search.evaluate import RANGE_WALK_LIMIT
from tsunagu.search.interface import SearchQuery, SearchResult, Visibility
from tsunagu.search.memory_index import MemoryIndex
from tsunagu.search.snapshot import SORTED_ATTRS, Snapshot
from tsunagu.search.snapshot_builder import write_snapshot
from tsunagu.search.snapshot_format import read_header
from tsunagu.search.snapshot_store import SnapshotStore, snapshot_directory
from tsunagu.storage.migrate import upgrade

SITE = "http://test"
WORDS = [
    "避難所",
    "指定緊急避難場所",
    "人口",
    "推計人口",
    "データセット",
    "標準データセット",
    "介護サービス",
    "水",
    "水道",
    "AED",
    "Wi-Fi",
    "CSV",
    "令和5年度",
    "ごみ",
    "ゴミ",
    "保育園",
    "一覧",
]
TAGS = ["避難所", "人口", "介護", "ごみ", "オープンデータ", "AED", "水道"]
ORGS = [("org-a", "山口市"), ("org-b", "下関市"), ("org-c", "萩市")]


def _text(rng: random.Random, low: int, high: int) -> str:
    return "".join(
        w + (" " if rng.random() < 0.3 else "")
        for w in rng.choices(WORDS, k=rng.randint(low, high))
    )


def _package(rng: random.Random, number: int) -> dict[str, Any]:
    day = date(2023, 1, 1) + timedelta(days=rng.randrange(700))
    org, org_title = rng.choice(ORGS)
    return {
        "id": f"id-{number}",
        "name": f"ds-{number:05d}",
        "title": _text(rng, 1, 3),
        "notes": _text(rng, 0, 6),
        "private": rng.random() < 0.15,
        "state": "draft" if rng.random() < 0.05 else "active",
        "owner_org": f"{org}-id",
        "creator_user_id": rng.choice(["user-1", "user-2"]),
        "organization": {"name": org, "title": org_title},
        "license_id": rng.choice(["cc-by-4.0", "cc0-1.0"]),
        "metadata_modified": f"{day.isoformat()}T{rng.randrange(24):02d}:00:00.000000",
        "metadata_created": f"{day.isoformat()}T00:00:00.000000",
        "next_update_due": (day + timedelta(days=60)).isoformat() if rng.random() < 0.7 else None,
        "quality_score": rng.choice([0, 10, 49, 50, 80, 100]),
        "quality_stars": rng.choice([0, 1, 3]),
        "tags": [{"name": tag} for tag in rng.sample(TAGS, rng.randint(0, 3))],
        "groups": [{"name": "kanko", "title": "観光"}] if rng.random() < 0.3 else [],
        "resources": [
            {"name": _text(rng, 1, 2), "format": rng.choice(["CSV", "PDF", "xlsx"])}
            for _ in range(rng.randint(0, 3))
        ],
    }


def _pair(tmp_path: Path, packages: list[dict[str, Any]]) -> tuple[MemoryIndex, MemoryIndex]:
    """The same documents in memory, and as a snapshot opened by another index."""
    memory = MemoryIndex(SITE)
    for package in packages:
        memory._add(build_document(package))
    store = SnapshotStore(tmp_path / "search", SITE)
    path = store.write(lambda out: write_snapshot(memory.docs, SITE, out, 7), 7)
    shared = MemoryIndex(SITE, store)
    shared._open(Snapshot(path))
    return memory, shared


def _same(a: SearchResult, b: SearchResult) -> bool:
    return (
        a.count == b.count
        and [bytes(r.raw) if hasattr(r, "raw") else r for r in a.results]
        == [bytes(r.raw) if hasattr(r, "raw") else r for r in b.results]
        and a.facets == b.facets
        and a.search_facets == b.search_facets
    )


def _queries(rng: random.Random) -> list[SearchQuery]:
    everything = Visibility(all_private=True, include_drafts=True)
    visibilities = [
        Visibility(),
        everything,
        Visibility(private_orgs=frozenset({"org-b-id"})),
        Visibility(include_drafts=True, user_id="user-1"),
        Visibility(private_datasets=frozenset({"id-3", "id-40"})),
    ]
    qs = [*WORDS, "ひなんじょ", "すいどう", '"人口 一覧"', "aed*", "title:避難*", "避難 OR 水道"]
    fqs = [
        "",
        "tags:人口",
        "organization:org-b",
        "res_format:CSV",
        "quality_score:[* TO 49]",
        "quality_score:[50 TO *]",
        "metadata_modified:[2024-01-01T00:00:00Z TO *]",
        "next_update_due:[* TO 2023-12-31]",
        "next_update_due:[* TO *]",
        "tags:避* AND -license_id:cc0-1.0",
        "organization:org-a AND quality_score:[10 TO 80]",
        "name:ds-0001*",
        "capacity:private",
    ]
    sorts = [
        "",
        "metadata_modified desc",
        "title_string asc",
        "name desc",
        "next_update_due asc, name asc",
        "num_resources desc, quality_score asc",
        "metadata_created asc",
    ]
    facets = [[], ["tags", "res_format", "organization", "groups", "license_id"]]
    out = []
    for _ in range(160):
        out.append(
            SearchQuery(
                q=rng.choice(["", "", *qs]),
                fq=rng.choice(fqs),
                sort=rng.choice(sorts),
                rows=rng.choice([5, 20, 100]),
                start=rng.choice([0, 0, 7]),
                facet_fields=rng.choice(facets),
                visibility=rng.choice(visibilities),
            )
        )
    return out


# -- the snapshot answers as the in-memory index does ----------------------------------------


def test_snapshot_and_overlay_answer_exactly_as_the_memory_index(tmp_path: Path) -> None:
    rng = random.Random(20261205)
    # Over the range walk limit, so ranges take the stored order as well as the walk.
    packages = [_package(rng, n) for n in range(RANGE_WALK_LIMIT + 300)]
    memory, shared = _pair(tmp_path, packages)
    assert shared.snapshot is not None and shared.base_count == len(packages)
    for docid in range(0, len(packages), 97):  # what the facet walk and range walk read
        stored, built = shared.docs[docid], memory.docs[docid]
        assert stored.values == built.values  # type: ignore[union-attr]
        for name in ("state", "private", "creator_user_id", "name", "title_sort", *SORTED_ATTRS):
            assert getattr(stored, name) == getattr(built, name)
        assert stored.texts == built.texts and stored.reading == built.reading  # type: ignore[union-attr]
    queries = _queries(rng)
    for query in queries:
        assert _same(memory.search(query), shared.search(query)), query

    # Changes after the snapshot: updates, removals and new datasets go to the overlay.
    for number in rng.sample(range(len(packages)), 150):
        changed = {**_package(rng, 90_000 + number), "id": f"id-{number}"}
        for index in (memory, shared):
            index._remove(changed["id"])
            index._add(build_document(changed))
    for number in rng.sample(range(len(packages)), 60):
        for index in (memory, shared):
            index._remove(f"id-{number}")
    for number in range(len(packages), len(packages) + 80):
        package = _package(rng, number)
        for index in (memory, shared):
            index._add(build_document(package))
    assert len(shared.tombstones) > 100
    for query in queries:
        assert _same(memory.search(query), shared.search(query)), query
    for ref in ("id-1", "id-2", "ds-00003", f"ds-{len(packages) + 5:05d}", "missing"):
        assert memory.get(ref) == shared.get(ref)


# -- processes sharing one file --------------------------------------------------------------


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    services = build_services(Settings(data_dir=tmp_path, site_url=SITE))
    upgrade(services.engine)
    with action_context(services, ignore_auth=True) as context:
        call_action("organization_create", context, {"name": "org", "title": "山口市"})
    yield services
    services.engine.dispose()


def _create(services: Services, name: str, title: str, **extra: object) -> None:
    with action_context(services, ignore_auth=True) as context:
        call_action(
            "package_create", context, {"name": name, "title": title, "owner_org": "org", **extra}
        )


def _names(index: MemoryIndex, services: Services, q: str = "", **query: Any) -> list[str]:
    with services.sessions() as session:
        index.refresh(session)
    result = index.search(SearchQuery(q=q, rows=100, sort="name asc", fl=["name"], **query))
    return [r["name"] for r in result.results]


def _index(services: Services) -> MemoryIndex:
    """Another worker process's index over the same data directory."""
    settings = services.settings
    store = SnapshotStore(snapshot_directory(settings.data_dir), settings.site_url)
    return MemoryIndex(settings.site_url, store, settings.effective_database_url, settings.data_dir)


def _load(index: MemoryIndex, services: Services) -> int:
    with services.sessions() as session:
        return index.load(session)


def _write(index: MemoryIndex, services: Services) -> Path:
    with services.sessions() as session:
        written = index.write_snapshot(session)
    assert written is not None
    return written


_CHILD = """
import json, sys
from pathlib import Path
from tsunagu.bootstrap import build_services
from tsunagu.config import Settings
from tsunagu.search.interface import SearchQuery
services = build_services(Settings(data_dir=Path(sys.argv[1]), site_url=sys.argv[2]))
index = services.search
with services.sessions() as session:
    if sys.argv[3] == "write":
        index.write_snapshot(session)
        print(json.dumps({"written": True}))
        raise SystemExit(0)
    count = index.load(session)
found = index.search(SearchQuery(q="避難所", rows=100, sort="name asc", fl=["name"]))
print(json.dumps({
    "count": count,
    "snapshot": str(index.snapshot.path) if index.snapshot else None,
    "base_count": index.base_count,
    "names": [r["name"] for r in found.results],
}))
"""


def _child(services: Services, mode: str = "load") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(services.settings.data_dir), SITE, mode],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_a_second_process_starts_from_the_snapshot_another_wrote(services: Services) -> None:
    _create(services, "a-hinanjo", "避難所一覧")
    _create(services, "b-park", "公園一覧")
    first = _index(services)
    written = _write(first, services)
    before = written.stat()
    _create(services, "c-hinanjo", "福祉避難所")  # after the snapshot: from the database

    child = _child(services)
    out, _ = child.communicate(timeout=120)
    seen = json.loads(out)
    assert seen["snapshot"] == str(written)
    assert seen["base_count"] == 2  # opened, not rebuilt: the third came as a change
    assert seen["count"] == 3
    assert seen["names"] == ["a-hinanjo", "c-hinanjo"]
    after = written.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert first.snapshots is not None and first.snapshots.paths()[0][1] == written


def test_a_newer_snapshot_is_swapped_in_when_the_revision_moves(services: Services) -> None:
    _create(services, "a-hinanjo", "避難所一覧")
    worker = _index(services)
    _load(worker, services)
    old = worker.snapshot
    assert old is not None
    writer = _index(services)
    _create(services, "b-hinanjo", "福祉避難所")
    with services.sessions() as session:
        newer = writer.write_snapshot(session)
    assert newer is not None and newer != old.path
    # Nothing changed since the new snapshot: the worker keeps what it has.
    assert _names(worker, services, q="避難所") == ["a-hinanjo", "b-hinanjo"]
    _create(services, "c-hinanjo", "避難所マップ")
    assert _names(worker, services, q="避難所") == ["a-hinanjo", "b-hinanjo", "c-hinanjo"]
    assert worker.snapshot is not None and worker.snapshot.path == newer
    assert worker.base_count == 2  # b came with the snapshot; only c is in the overlay
    assert len(worker.docs) == 3


def test_a_large_catalog_gets_its_first_snapshot_from_a_separate_process(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory_index, "CHILD_BUILD_MIN", 2)
    _create(services, "a-hinanjo", "避難所一覧")
    _create(services, "b-hinanjo", "福祉避難所")
    directory = snapshot_directory(services.settings.data_dir)
    for name in os.listdir(directory):
        os.unlink(directory / name)
    worker = _index(services)
    assert _load(worker, services) == 2
    assert worker.snapshots is not None and worker.snapshots._builder is not None
    assert worker.snapshots._builder.returncode == 0  # the child wrote it, under our lock
    assert worker.snapshot is not None and worker.base_count == 2
    assert _names(worker, services, q="避難所") == ["a-hinanjo", "b-hinanjo"]


def test_searches_and_lookups_stay_whole_while_snapshots_are_swapped(services: Services) -> None:
    for number in range(20):
        _create(services, f"d-{number:02d}", f"避難所 {number}")
    worker = _index(services)
    _load(worker, services)
    writer = _index(services)
    failures: list[str] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            found = worker.search(SearchQuery(q="避難所", rows=100, fl=["name"]))
            names = {r["name"] for r in found.results}
            if found.count != len(names) or not {f"d-{n:02d}" for n in range(20)} <= names:
                failures.append(f"search: {found.count} {sorted(names)[:3]}")
            for number in (0, 7, 19):
                got = worker.get(f"d-{number:02d}")
                if got is None or got.name != f"d-{number:02d}":
                    failures.append(f"get d-{number:02d}: {got and got.name}")
            # Hundreds of reads a second, not a loop that holds the interpreter from the writes.
            done.wait(0.002)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for round_ in range(6):
            _create(services, f"x-{round_}", f"避難所 追加 {round_}")
            _write(writer, services)
            _create(services, f"y-{round_}", f"公園 {round_}")
            with services.sessions() as session:
                worker.refresh(session)  # swaps to the writer's snapshot
            assert worker.snapshot is not None and worker.snapshot.revision > 0
    finally:
        done.set()
        reader.join()
    assert not failures, failures[:5]
    assert worker.base_count == 20 + 6 + 5  # the last snapshot: everything but the last y


def test_a_grown_overlay_is_written_as_a_new_snapshot_in_the_background(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory_index, "OVERLAY_LIMIT_MIN", 3)
    _create(services, "a-hinanjo", "避難所一覧")
    worker = _index(services)
    _load(worker, services)
    first = worker.snapshot
    assert first is not None
    for number in range(3):
        _create(services, f"n-{number}", f"避難所 {number}")
    assert len(_names(worker, services, q="避難所")) == 4
    assert worker.snapshots is not None and worker.snapshots.wait_for_builder(120) == 0
    newest = worker.snapshots.paths()[0][1]
    assert newest != first.path
    _create(services, "z-hinanjo", "避難所")
    assert len(_names(worker, services, q="避難所")) == 5
    assert worker.snapshot is not None and worker.snapshot.path == newest
    assert worker.base_count == 4


# -- damaged files and concurrent writers ----------------------------------------------------


def _truncate(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def _flip(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.seek(path.stat().st_size // 3)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))


def _garbage(path: Path) -> None:
    path.write_bytes(b"not a snapshot at all" * 10)


@pytest.mark.parametrize("damage", ["truncated", "flipped", "garbage", "other_version"])
def test_a_damaged_or_old_snapshot_is_ignored_and_rebuilt(
    services: Services,
    damage: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _create(services, "a-hinanjo", "避難所一覧")
    _create(services, "b-hinanjo", "福祉避難所", private=True)
    _load(services.search, services)  # type: ignore[arg-type]
    path = services.search.snapshot.path  # type: ignore[attr-defined]
    if damage == "truncated":
        _truncate(path)
    elif damage == "flipped":
        _flip(path)
    elif damage == "garbage":
        _garbage(path)
    else:
        monkeypatch.setattr(snapshot_format, "VERSION", snapshot_format.VERSION + 1)
    worker = _index(services)
    with caplog.at_level(logging.WARNING, logger="tsunagu.search.snapshot_store"):
        assert _load(worker, services) == 2
    lines = [r.getMessage() for r in caplog.records if "search snapshot ignored" in r.getMessage()]
    assert len(lines) == 1 and str(path) in lines[0]
    everything = Visibility(all_private=True)
    assert _names(worker, services, q="避難所", visibility=everything) == ["a-hinanjo", "b-hinanjo"]
    assert worker.snapshot is not None
    read_header(worker.snapshot.path)  # the rebuilt file is whole
    assert _names(_index(services), services, q="避難所") == ["a-hinanjo"]


def test_writers_in_several_processes_leave_only_complete_files(services: Services) -> None:
    for number in range(30):
        _create(services, f"d-{number}", f"避難所 {number}")
    children = [_child(services, "write") for _ in range(3)]
    for child in children:
        out, _ = child.communicate(timeout=180)
        assert child.returncode == 0 and json.loads(out) == {"written": True}
    directory = snapshot_directory(services.settings.data_dir)
    names = sorted(os.listdir(directory))
    assert not [n for n in names if n.endswith(".tmp")]
    snapshots = [n for n in names if n.endswith(".idx")]
    assert snapshots[-1] == "snapshot-000000000031.idx"  # all three wrote this revision
    for name in snapshots:
        read_header(directory / name)  # each replaced the last whole
    assert _load(_index(services), services) == 30


def test_a_build_split_over_two_processes_writes_the_same_file(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for number in range(40):
        _create(services, f"d-{number:02d}", f"避難所 {number}", private=number % 5 == 0)
    worker = _index(services)
    monkeypatch.setattr(snapshot_parallel, "PARALLEL_MIN", 10**9)
    _write(worker, services)
    in_memory = MemoryIndex(SITE)
    with services.sessions() as session:
        in_memory.rebuild(session)
    # The same docids as the in-memory build: ties come out in the same order.
    assert [d.id for d in worker.docs] == [d.id for d in in_memory.docs]  # type: ignore[union-attr]

    monkeypatch.setattr(snapshot_parallel, "BATCH", 16)  # handed to the helper as well
    alone = _write(worker, services).read_bytes()
    monkeypatch.setattr(snapshot_parallel, "PARALLEL_MIN", 4)
    with caplog.at_level(logging.INFO, logger="tsunagu.search.snapshot_parallel"):
        split = _write(worker, services)
    assert "24 of 40 datasets built by a helper" in caplog.text
    assert split.read_bytes() == alone
    assert not [p for p in split.parent.iterdir() if p.name.startswith(".part-")]


def test_a_busy_lock_makes_a_background_writer_step_aside(services: Services) -> None:
    worker = _index(services)
    assert worker.snapshots is not None
    with worker.snapshots.lock(), services.sessions() as session:
        assert worker.write_snapshot(session, blocking=False) is None


# -- private data and file permissions -------------------------------------------------------


def test_private_datasets_in_the_snapshot_reach_only_those_who_may_see_them(
    services: Services,
) -> None:
    _create(services, "open-data", "公開の避難所")
    _create(services, "secret-data", "非公開の避難所", private=True)
    _create(services, "draft-data", "下書きの避難所", state="draft")
    with action_context(services, ignore_auth=True) as context:
        call_action(
            "user_create",
            context,
            {"name": "stranger", "email": "s@example.com", "password": "pass-word-123456"},
        )
    worker = _index(services)
    _write(_index(services), services)
    _load(worker, services)
    assert worker.snapshot is not None and worker.base_count == 3  # all three are in the file
    everything = Visibility(all_private=True, include_drafts=True)
    assert _names(worker, services, visibility=everything) == [
        "draft-data",
        "open-data",
        "secret-data",
    ]
    served = replace(services, search=worker)
    with services.sessions() as session:
        stranger = session.scalar(select(User).where(User.name == "stranger"))
        org_id = session.scalar(select(Organization.id).where(Organization.name == "org"))
    for user in (None, stranger):
        with action_context(served, user) as context:
            result = call_action(
                "package_search",
                context,
                {"q": "避難所", "facet.field": '["capacity","state"]', "include_private": True},
            )
            assert [r["name"] for r in result["results"]] == ["open-data"]
            assert result["facets"]["capacity"] == {"public": 1}
            for name in ("secret-data", "draft-data"):
                with pytest.raises((NotAuthorized, NotFound)):
                    call_action("package_show", context, {"id": name})
    member = Visibility(private_orgs=frozenset({org_id}))
    assert _names(worker, services, q="避難所", visibility=member) == ["open-data", "secret-data"]


def test_the_snapshot_file_is_readable_by_its_owner_only(services: Services) -> None:
    _create(services, "secret-data", "非公開", private=True)
    _load(services.search, services)  # type: ignore[arg-type]
    directory = snapshot_directory(services.settings.data_dir)
    path = services.search.snapshot.path  # type: ignore[attr-defined]
    assert path.parent == directory
    assert path.stat().st_mode & 0o777 == 0o600
    assert directory.stat().st_mode & 0o777 == 0o700
    assert (directory / ".lock").stat().st_mode & 0o777 == 0o600
