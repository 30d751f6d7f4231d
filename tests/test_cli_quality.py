"""`tsunagu quality check`: what it checks by default (new and changed files), what `--all` adds,
and how a file it cannot check is reported without stopping the rest."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from tsunagu.bootstrap import action_context, build_services
from tsunagu.catalog.models import Resource
from tsunagu.cli import app
from tsunagu.config import Settings
from tsunagu.context import Services
from tsunagu.quality.models import ResourceQuality
from tsunagu.registry import call_action
from tsunagu.storage.migrate import upgrade

FACILITIES = "名称,所在地\n市民会館,山口県下関市南部町1-1\n".encode()
PEOPLE = "氏名,携帯電話\n山田 太郎,090-1234-5678\n佐藤 花子,080-2345-6789\n".encode()


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TSUNAGU_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TSUNAGU_DATABASE_URL", raising=False)
    return CliRunner()


@pytest.fixture
def services(tmp_path: Path, runner: CliRunner) -> Services:
    """The catalog the command will open; no workers, so nothing is checked behind our back."""
    services = build_services(Settings(data_dir=tmp_path, ingest_workers=0))
    upgrade(services.engine)
    with action_context(services, ignore_auth=True) as context:
        call_action("organization_create", context, {"name": "ube", "title": "宇部市"})
        # Private, so the personal-data guard lets a list of people be stored (not published).
        call_action(
            "package_create",
            context,
            {"name": "ds", "title": "表", "owner_org": "ube", "private": True},
        )
    return services


def _upload(services: Services, action: str, data: dict[str, str], body: bytes) -> str:
    with action_context(services, ignore_auth=True) as context:
        upload = SimpleNamespace(filename="list.csv", file=io.BytesIO(body))
        return str(call_action(action, context, {**data, "upload": upload})["id"])


def _checked_at(services: Services, resource_id: str) -> object:
    with services.sessions() as session:
        record = session.get(ResourceQuality, resource_id)
        return None if record is None else record.checked


def _check(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, ["quality", "check", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_new_then_nothing_then_all(runner: CliRunner, services: Services) -> None:
    first = _upload(services, "resource_create", {"package_id": "ds", "name": "一"}, FACILITIES)
    second = _upload(services, "resource_create", {"package_id": "ds", "name": "二"}, FACILITIES)
    output = _check(runner)
    assert "1/2 一: エラー" in output and "2/2 二: エラー" in output
    assert "2 件を検査しました（検査できなかったもの 0 件）" in output
    before = {rid: _checked_at(services, rid) for rid in (first, second)}
    assert all(before.values())

    assert "検査が必要なリソースはありません" in _check(runner)
    assert {rid: _checked_at(services, rid) for rid in (first, second)} == before

    again = _check(runner, "--all")
    assert "2 件を検査しました（検査できなかったもの 0 件）" in again
    for rid in (first, second):
        checked = _checked_at(services, rid)
        assert checked is not None and checked != before[rid]


def test_a_changed_file_is_checked_again_alone(runner: CliRunner, services: Services) -> None:
    changed = _upload(services, "resource_create", {"package_id": "ds", "name": "名簿"}, FACILITIES)
    kept = _upload(services, "resource_create", {"package_id": "ds", "name": "施設"}, FACILITIES)
    first = _check(runner)
    assert "個人情報の可能性あり" not in first
    kept_at = _checked_at(services, kept)

    _upload(services, "resource_update", {"id": changed, "name": "名簿"}, PEOPLE)
    output = _check(runner)
    assert "1/1 名簿: " in output and "施設" not in output
    assert "個人情報の可能性あり" in output  # the new file's content was read
    assert "1 件を検査しました（検査できなかったもの 0 件）" in output
    assert _checked_at(services, kept) == kept_at


def test_a_file_that_cannot_be_checked_is_reported_and_the_rest_go_on(
    runner: CliRunner, services: Services, tmp_path: Path
) -> None:
    lost = _upload(services, "resource_create", {"package_id": "ds", "name": "消えた"}, FACILITIES)
    fine = _upload(services, "resource_create", {"package_id": "ds", "name": "残った"}, FACILITIES)
    with services.sessions() as session:
        key = session.get(Resource, lost).storage_key
    (tmp_path / "files" / key).unlink()  # e.g. removed by hand from the disk

    output = _check(runner)
    assert "消えた: 検査できませんでした" in output
    assert "残った: エラー" in output
    assert "2 件を検査しました（検査できなかったもの 1 件）" in output
    assert _checked_at(services, fine) is not None
