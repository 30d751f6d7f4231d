"""The tsunagu command: database, users, tokens, demo data, stored files."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from tsunagu.accounts.tokens import user_for_token
from tsunagu.bootstrap import action_context, build_services
from tsunagu.catalog.models import Resource
from tsunagu.cli import app
from tsunagu.config import Settings
from tsunagu.context import Services
from tsunagu.registry import call_action
from tsunagu.storage.migrate import upgrade


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TSUNAGU_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TSUNAGU_DATABASE_URL", raising=False)
    return CliRunner()


def test_help_lists_commands(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "db", "demo", "user", "token", "search", "quality", "files"):
        assert command in result.output


def test_user_and_token(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(
        app,
        [
            "user",
            "create",
            "alice",
            "--email",
            "a@example.jp",
            "--sysadmin",
            "--password",
            "long-enough-pw",
        ],
    )
    assert created.exit_code == 0, created.output
    issued = runner.invoke(app, ["token", "create", "alice"])
    assert issued.exit_code == 0
    token = issued.output.strip().splitlines()[-1]
    services = build_services(Settings(data_dir=tmp_path))
    with services.sessions() as session:
        user = user_for_token(session, token)
        assert user is not None and user.name == "alice" and user.sysadmin


def test_bad_input_is_reported_not_raised(runner: CliRunner) -> None:
    short = runner.invoke(app, ["user", "create", "bob", "--password", "short"])
    assert short.exit_code == 1
    assert "password" in short.output
    missing = runner.invoke(app, ["token", "create", "nobody"])
    assert missing.exit_code == 1


def test_demo_load_only_when_empty(runner: CliRunner) -> None:
    first = runner.invoke(app, ["demo", "load", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "デモデータを読み込みました" in first.output
    second = runner.invoke(app, ["demo", "load", "--if-empty"])
    assert "読み込みませんでした" in second.output
    rebuilt = runner.invoke(app, ["search", "rebuild"])
    assert "索引しました" in rebuilt.output
    checked = runner.invoke(app, ["quality", "check"])
    assert checked.exit_code == 0, checked.output
    assert "件を検査しました（検査できなかったもの 0 件）" in checked.output
    assert "個人情報の可能性あり" not in checked.output  # the demo holds facility data only
    again = runner.invoke(app, ["quality", "check"])
    assert "検査が必要なリソースはありません" in again.output


# --- files gc ---------------------------------------------------------------------------------


def _upload(services: Services, action: str, data: dict[str, Any], body: bytes) -> str:
    """Run a resource action with an uploaded CSV; returns the resource's storage key."""
    with action_context(services, ignore_auth=True) as context:
        upload = SimpleNamespace(filename="list.csv", file=io.BytesIO(body))
        rid = call_action(action, context, {**data, "upload": upload})["id"]
        return context.session.get(Resource, rid).storage_key


def _age(services: Services, key: str, hours: float) -> Path:
    path = services.settings.storage_dir / key
    then = time.time() - hours * 3600
    os.utime(path, (then, then))
    return path


def test_files_gc_with_nothing_stored(runner: CliRunner) -> None:
    result = runner.invoke(app, ["files", "gc"])
    assert result.exit_code == 0, result.output
    assert "削除できるファイルはありません（参照中 0 件）" in result.output


def _stray(services: Services, resource_id: str, body: bytes) -> str:
    """A stored file nothing names: an upload whose action failed after storing it."""
    key = f"resources/{resource_id}/{os.urandom(4).hex()}/list.csv"
    services.files.store(key, io.BytesIO(body), 1024)
    return key


def test_files_gc_lists_then_deletes_only_old_orphans(runner: CliRunner, tmp_path: Path) -> None:
    services = build_services(Settings(data_dir=tmp_path, ingest_workers=0))
    upgrade(services.engine)
    with action_context(services, ignore_auth=True) as context:
        call_action("organization_create", context, {"name": "ube", "title": "宇部市"})
        call_action(
            "package_create", context, {"name": "evac", "title": "避難所", "owner_org": "ube"}
        )
    first = _upload(services, "resource_create", {"package_id": "evac"}, b"a,b\n1,2\n")
    rid = services.sessions().query(Resource.id).filter_by(storage_key=first).scalar()
    # Replaced files stay as the resource's earlier versions (downloadable, in the history).
    replaced = _upload(services, "resource_update", {"id": rid}, b"a,b\n3,4\n")
    current = _upload(services, "resource_update", {"id": rid}, b"a,b\n5,6\n")
    # A deleted resource keeps its file: it can be restored until the row itself is gone.
    deleted = _upload(services, "resource_create", {"package_id": "evac"}, b"x\n1\n")
    with action_context(services, ignore_auth=True) as context:
        gone = context.session.query(Resource.id).filter_by(storage_key=deleted).scalar()
        call_action("resource_delete", context, {"id": gone})
    old = _stray(services, rid, b"a,b\n7,8\n")
    fresh = _stray(services, rid, b"a,b\n9,0\n")
    old_path = _age(services, old, 48)
    kept = (first, replaced, current, deleted)
    for key in kept:
        _age(services, key, 48)  # old, but referenced
    services.engine.dispose()

    listed = runner.invoke(app, ["files", "gc"])
    assert listed.exit_code == 0, listed.output
    assert old in listed.output and "8 バイト" in listed.output
    for key in (*kept, fresh):
        assert key not in listed.output
    assert "新しいファイル 1 件" in listed.output  # the fresh orphan, inside the grace period
    assert "--delete を付けて" in listed.output
    assert old_path.exists()  # a dry run deletes nothing

    removed = runner.invoke(app, ["files", "gc", "--delete"])
    assert removed.exit_code == 0, removed.output
    assert "1 件を削除し、8 バイトを解放しました" in removed.output
    assert not old_path.exists() and not old_path.parent.exists()  # no empty folder left
    for key in (*kept, fresh):
        assert (tmp_path / "files" / key).exists()

    again = runner.invoke(app, ["files", "gc", "--delete"])
    assert "削除できるファイルはありません（参照中 4 件）" in again.output

    everything = runner.invoke(app, ["files", "gc", "--delete", "--older-than-hours", "0"])
    assert "1 件を削除し" in everything.output
    assert not (tmp_path / "files" / fresh).exists()
    for key in kept:
        assert (tmp_path / "files" / key).exists()


def test_files_gc_rejects_a_negative_grace_period(runner: CliRunner) -> None:
    result = runner.invoke(app, ["files", "gc", "--older-than-hours", "-1"])
    assert result.exit_code == 1
    assert "0 以上の時間数を指定してください" in result.output


def test_files_gc_refuses_storage_it_cannot_list(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def remote_storage(settings: Settings) -> Services:
        services = build_services(settings)
        services.files = SimpleNamespace()  # type: ignore[assignment]  # e.g. S3, not local disk
        return services

    monkeypatch.setattr("tsunagu.cli.build_services", remote_storage)
    result = runner.invoke(app, ["files", "gc"])
    assert result.exit_code == 1
    assert "ローカルディスクだけです" in result.output


def test_disaster_mode_from_the_command_line(runner: CliRunner, tmp_path: Path) -> None:
    """The duty officer's switch without a browser: on with a message, status, off without
    load switching it on again; what the API's disaster_mode_show then says."""
    on = runner.invoke(
        app, ["disaster", "on", "--message", "台風第10号に伴い避難所を開設しています"]
    )
    assert on.exit_code == 0, on.output
    assert "災害モード: オン" in on.output and "台風第10号" in on.output
    status = runner.invoke(app, ["disaster", "status"])
    assert status.exit_code == 0 and "災害モード: オン" in status.output
    services = build_services(Settings(data_dir=tmp_path))
    with action_context(services, ignore_auth=True) as context:
        shown = call_action("disaster_mode_show", context, {})
    assert shown["on"] and shown["manual"] and shown["message"].startswith("台風第10号")
    off = runner.invoke(app, ["disaster", "off", "--no-automatic"])
    assert off.exit_code == 0, off.output
    assert "災害モード: オフ" in off.output and "自動切り替え: しない" in off.output
    with action_context(services, ignore_auth=True) as context:
        shown = call_action("disaster_mode_show", context, {})
    assert not shown["on"] and not shown["automatic_allowed"]
    # A message with a control character is refused as the API refuses it.
    bad = runner.invoke(app, ["disaster", "on", "--message", "bad\x07message"])
    assert bad.exit_code == 1 and "エラー" in bad.output
