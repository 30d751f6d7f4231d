"""The in-memory index stays in step with the database, including writes by other processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tsunagu.bootstrap import action_context, build_services
from tsunagu.catalog.models import Organization
from tsunagu.config import Settings
from tsunagu.context import Services
from tsunagu.registry import call_action
from tsunagu.search.interface import SearchQuery, Visibility
from tsunagu.search.memory_index import MemoryIndex
from tsunagu.storage.migrate import upgrade


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    services = build_services(Settings(data_dir=tmp_path))
    upgrade(services.engine)
    with action_context(services, ignore_auth=True) as context:
        call_action(
            "organization_create",
            context,
            {"name": "org", "title": "山口市", "kind": "municipality", "local_gov_code": "352039"},
        )
    yield services
    services.engine.dispose()


def _create(services: Services, name: str, title: str, **extra: object) -> None:
    with action_context(services, ignore_auth=True) as context:
        call_action(
            "package_create", context, {"name": name, "title": title, "owner_org": "org", **extra}
        )


def _names(index: MemoryIndex, services: Services, **query: object) -> list[str]:
    with services.sessions() as session:
        index.refresh(session)
    result = index.search(SearchQuery(rows=100, sort="name asc", fl=["name"], **query))  # type: ignore[arg-type]
    return [r["name"] for r in result.results]


def test_second_process_catches_up(services: Services) -> None:
    other = MemoryIndex(services.settings.site_url)  # stands for another worker process
    _create(services, "a-hinanjo", "避難所一覧")
    assert _names(other, services, q="避難所") == ["a-hinanjo"]
    _create(services, "b-hinanjo", "福祉避難所")
    assert _names(other, services, q="避難所") == ["a-hinanjo", "b-hinanjo"]
    with action_context(services, ignore_auth=True) as context:
        call_action("package_patch", context, {"id": "a-hinanjo", "title": "公園一覧"})
        call_action("package_delete", context, {"id": "b-hinanjo"})
    assert _names(other, services, q="避難所") == []
    assert _names(other, services, q="公園") == ["a-hinanjo"]
    assert other.get("b-hinanjo") is None


def test_renamed_dataset_found_by_new_name_only(services: Services) -> None:
    _create(services, "old-name", "人口統計")
    index = MemoryIndex(services.settings.site_url)
    assert _names(index, services, fq="name:old-name") == ["old-name"]
    with action_context(services, ignore_auth=True) as context:
        call_action("package_patch", context, {"id": "old-name", "name": "new-name"})
    assert _names(index, services, fq="name:old-name") == []
    assert _names(index, services, fq="name:new-name") == ["new-name"]
    assert index.get("old-name") is None
    assert index.get("new-name") is not None


def test_organization_rename_reindexes_its_datasets(services: Services) -> None:
    _create(services, "d1", "データ")
    index = MemoryIndex(services.settings.site_url)
    assert _names(index, services, fq="organization:org") == ["d1"]
    with action_context(services, ignore_auth=True) as context:
        call_action("organization_patch", context, {"id": "org", "title": "山口市役所"})
    assert _names(index, services, q="山口市役所") == ["d1"]


def test_private_and_draft_visibility(services: Services) -> None:
    _create(services, "pub", "公開データ")
    _create(services, "priv", "非公開データ", private=True)
    _create(services, "draft", "下書きデータ", state="draft")
    index = MemoryIndex(services.settings.site_url)
    assert _names(index, services) == ["pub"]
    everything = Visibility(all_private=True, include_drafts=True)
    assert _names(index, services, visibility=everything) == ["draft", "priv", "pub"]
    with services.sessions() as session:
        org_id = session.scalar(select(Organization.id).where(Organization.name == "org"))
    member = Visibility(private_orgs=frozenset({org_id}))
    assert _names(index, services, visibility=member) == ["priv", "pub"]
