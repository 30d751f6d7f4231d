"""The tsunagu command: database, users, tokens, demo data."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tsunagu.accounts.tokens import user_for_token
from tsunagu.bootstrap import build_services
from tsunagu.cli import app
from tsunagu.config import Settings


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TSUNAGU_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TSUNAGU_DATABASE_URL", raising=False)
    return CliRunner()


def test_help_lists_commands(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "db", "demo", "user", "token", "search", "quality"):
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
