"""The ``tsunagu`` command: serve the site, manage the database, users, tokens and demo data."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import typer
from sqlalchemy import select

from tsunagu.accounts.models import User
from tsunagu.bootstrap import action_context, build_services
from tsunagu.config import Settings
from tsunagu.errors import ActionError, ValidationError
from tsunagu.quality.batch import check_many, resources_to_check
from tsunagu.registry import call_action
from tsunagu.storage.migrate import upgrade

app = typer.Typer(help="つなぐ (Tsunagu): オープンデータカタログ", no_args_is_help=True)
db_app = typer.Typer(help="データベースの管理 (database)", no_args_is_help=True)
demo_app = typer.Typer(help="デモデータ (demo data)", no_args_is_help=True)
user_app = typer.Typer(help="ユーザーの管理 (users)", no_args_is_help=True)
token_app = typer.Typer(help="API トークン (API tokens)", no_args_is_help=True)
search_app = typer.Typer(help="検索インデックス (search index)", no_args_is_help=True)
quality_app = typer.Typer(help="データの品質 (data quality)", no_args_is_help=True)
files_app = typer.Typer(help="アップロードされたファイル (stored files)", no_args_is_help=True)
mail_app = typer.Typer(help="お知らせメール (mail)", no_args_is_help=True)
metrics_app = typer.Typer(
    help="カタログの数値（メトリクス） (catalog metrics)", no_args_is_help=True
)
disaster_app = typer.Typer(help="災害モード (disaster mode)", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (demo_app, "demo"),
    (user_app, "user"),
    (token_app, "token"),
    (search_app, "search"),
    (quality_app, "quality"),
    (files_app, "files"),
    (mail_app, "mail"),
    (metrics_app, "metrics"),
    (disaster_app, "disaster"),
):
    app.add_typer(sub, name=name)


def _fail(error: ActionError) -> None:
    detail = error.errors if isinstance(error, ValidationError) else error.message
    typer.secho(f"エラー: {detail}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


@app.command()
def serve(
    host: str = "127.0.0.1", port: int = 5000, workers: int = 1, reload: bool = False
) -> None:
    """サイトと API を起動します (serve the site and API)."""
    import uvicorn

    from tsunagu.ops.logs import log_config

    settings = Settings.from_env()
    upgrade(build_services(settings).engine)
    if workers > 1:
        _share_metrics_between_workers(settings)
    uvicorn.run(
        "tsunagu.asgi:app",
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        # The client address and scheme come from X-Forwarded-For/-Proto only when the request
        # arrives from a trusted reverse proxy (the same host by default): rate limits and
        # sign-in throttling count by that address.
        proxy_headers=True,
        forwarded_allow_ips=",".join(settings.trusted_proxies) or "127.0.0.1",
        log_config=log_config(settings.log_format),
    )


def _share_metrics_between_workers(settings: Settings) -> None:
    """Each worker writes its metrics under one fresh folder, so /metrics adds them all up."""
    import shutil

    folder = (settings.data_dir / "metrics").resolve()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


@app.command("backup")
def backup_command(
    output: Path | None = typer.Option(
        None, "--output", "-o", help="書き出すファイル（既定: <データ置き場>/backups/…tar）"
    ),
) -> None:
    """データベースとファイルのバックアップを、サイトを止めずに作成します
    (a consistent backup of the database and files, taken while serving)."""
    from datetime import UTC, datetime

    from tsunagu.ops.backup import BackupError, backup

    settings = Settings.from_env()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    target = output or settings.data_dir / "backups" / f"tsunagu-{stamp}.tar"
    try:
        summary = backup(build_services(settings), target, progress=typer.echo)
    except BackupError as error:
        typer.secho(f"エラー: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"ファイル {summary.files} 件（{_size(summary.file_bytes)}）を含みます。")


@app.command("restore")
def restore_command(archive: Path) -> None:
    """バックアップを空のサイトに復元します (restore a backup into an empty site)."""
    from tsunagu.ops.backup import BackupError, restore

    try:
        summary = restore(build_services(Settings.from_env()), archive, progress=typer.echo)
    except BackupError as error:
        typer.secho(f"エラー: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"ファイル {summary.files} 件を復元しました（スキーマ {summary.revision}）。")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """スキーマを最新にします (apply migrations)."""
    upgrade(build_services(Settings.from_env()).engine)
    typer.echo("データベースを最新の状態にしました。")


@demo_app.command("load")
def demo_load(
    if_empty: bool = typer.Option(False, "--if-empty", help="カタログが空のときだけ読み込む"),
) -> None:
    """デモデータ（山口県と市町）を読み込みます (load the demo catalog)."""
    from tsunagu.demo.loader import catalog_is_empty, load_demo

    services = build_services(Settings.from_env())
    upgrade(services.engine)
    if if_empty and not catalog_is_empty(services):
        typer.echo("カタログにデータがあるため、デモデータは読み込みませんでした。")
        return
    try:
        summary = load_demo(services, progress=typer.echo)
    except ActionError as error:
        _fail(error)
    typer.echo(f"デモデータを読み込みました: {summary}")


@user_app.command("create")
def user_create(
    name: str,
    email: str = "",
    fullname: str = "",
    sysadmin: bool = typer.Option(False, "--sysadmin"),
    password: str = typer.Option(
        "", envvar="TSUNAGU_NEW_PASSWORD", help="省略すると入力を求めます"
    ),
) -> None:
    """ユーザーを作成します (create a user)."""
    services = build_services(Settings.from_env())
    upgrade(services.engine)
    if not password:
        password = getpass.getpass("パスワード: ")
    try:
        with action_context(services, ignore_auth=True) as context:
            user = call_action(
                "user_create",
                context,
                {
                    "name": name,
                    "email": email,
                    "fullname": fullname,
                    "password": password,
                    "sysadmin": sysadmin,
                },
            )
    except ActionError as error:
        _fail(error)
    typer.echo(
        f"ユーザー {user['name']} を作成しました" + ("（システム管理者）" if sysadmin else "")
    )


@token_app.command("create")
def token_create(user: str, name: str = "cli") -> None:
    """API トークンを発行します。表示は一度だけです (issue an API token; shown once)."""
    services = build_services(Settings.from_env())
    upgrade(services.engine)
    try:
        with action_context(services, ignore_auth=True) as context:
            owner = context.session.scalar(select(User).where(User.name == user))
            if owner is None:
                typer.secho(f"ユーザーが見つかりません: {user}", fg=typer.colors.RED, err=True)
                raise typer.Exit(1)
            result = call_action("api_token_create", context, {"user": owner.id, "name": name})
    except ActionError as error:
        _fail(error)
    typer.echo(result["token"])


@search_app.command("rebuild")
def search_rebuild() -> None:
    """検索インデックスを作り直し、このホストのスナップショットを書きます
    (rebuild the search index; the embedded engine also writes the host's snapshot)."""
    services = build_services(Settings.from_env())
    with services.sessions() as session:
        count = services.search.rebuild(session)
    typer.echo(f"{count} 件のデータセットを索引しました。")


@quality_app.command("check")
def quality_check(
    everything: bool = typer.Option(False, "--all", help="検査済みのものも検査し直します"),
) -> None:
    """表のリソースを検査します。既定では、まだ検査していないものと、ファイルが変わったもの
    (check tabular resources not yet checked, or all with --all)."""
    services = build_services(Settings.from_env())
    pending = resources_to_check(services, everything=everything)
    if not pending:
        typer.echo("検査が必要なリソースはありません。")
        return
    failed = 0
    for number, done in enumerate(check_many(services, pending), start=1):
        line = f"{number}/{len(pending)} {done.name or done.resource_id}: "
        if done.status == "complete":
            line += f"エラー {done.errors} 件・警告 {done.warnings} 件"
            if done.pii_blocked:
                line += "・個人情報の可能性あり"
        else:
            failed += 1
            line += f"検査できませんでした（{done.message}）"
        typer.echo(line)
    typer.echo(f"{len(pending)} 件を検査しました（検査できなかったもの {failed} 件）。")


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}（{n:,} バイト）"
    return f"{n} バイト"


@files_app.command("gc")
def files_gc(
    delete: bool = typer.Option(False, "--delete", help="見つけたファイルを削除します"),
    older_than_hours: float = typer.Option(
        24.0, "--older-than-hours", help="この時間より新しいファイルには触れません"
    ),
) -> None:
    """どのリソースからも参照されていない古いファイルを一覧・削除します
    (list, or delete with --delete, stored files no resource refers to)."""
    from datetime import timedelta

    from tsunagu.catalog import files_gc as gc

    if older_than_hours < 0:
        typer.secho(
            "エラー: --older-than-hours には 0 以上の時間数を指定してください（例: 24）。",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1)
    services = build_services(Settings.from_env())
    upgrade(services.engine)
    try:
        found = gc.scan(services, timedelta(hours=older_than_hours))
    except gc.UnsupportedStorage:
        typer.secho(
            "エラー: このファイル保存先は一覧できないため、整理できません"
            "（対応しているのはローカルディスクだけです）。",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1) from None
    for entry in found.orphans:
        stamp = entry.modified.strftime("%Y-%m-%d %H:%M")
        typer.echo(f"{entry.key}\t{_size(entry.size)}\t{stamp} UTC")
    if found.recent:
        typer.echo(
            f"参照されていない新しいファイル {len(found.recent)} 件は、アップロード中の可能性が"
            f"あるため残しました（{older_than_hours:g} 時間以内）。"
        )
    if not found.orphans:
        typer.echo(f"削除できるファイルはありません（参照中 {found.referenced} 件）。")
        return
    if not delete:
        typer.echo(
            f"参照されていないファイル {len(found.orphans)} 件（合計 {_size(found.orphan_bytes)}）"
            "が見つかりました。削除するには --delete を付けて実行してください。"
        )
        return
    deleted, freed = gc.delete(services, found.orphans)
    typer.echo(f"{deleted} 件を削除し、{_size(freed)}を解放しました。")


@mail_app.command("digest")
def mail_digest() -> None:
    """フォロー中の更新をお知らせメールで送ります。タイマーで定期的に実行します
    (send the e-mail digests; run from a timer)."""
    services = build_services(Settings.from_env())
    upgrade(services.engine)
    try:
        with action_context(services, ignore_auth=True) as context:
            result = call_action("send_email_notifications", context, {})
    except ActionError as error:
        _fail(error)
    typer.echo(f"お知らせメールを {result['sent']} 通送りました。")
    if result["failed"]:
        failed = ", ".join(result["failed"])
        typer.secho(f"送れなかったユーザー: {failed}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)


@metrics_app.command("snapshot")
def metrics_snapshot() -> None:
    """今日のメトリクスを記録します。cron などで毎日実行できます。同じ日にもう一度実行すると、その日の値を測り直します
    (store today's metric snapshot; run daily from a timer; a second run the same day measures
    the day again)."""
    from tsunagu.metrics.job import run_day

    services = build_services(Settings.from_env())
    upgrade(services.engine)
    # Built before the day's job is claimed, so a large catalog's index build does not count
    # against the job's time.
    with services.sessions() as session:
        services.search.refresh(session)
    result = run_day(services)
    if result["status"] == "running":
        typer.echo(f"{result['date']} の記録は別のプロセスが実行中です。")
        return
    if result["status"] != "complete":
        typer.secho(f"{result['date']} の記録に失敗しました。", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    typer.echo(
        f"{result['date']}: {result['written']} 系列を記録しました"
        f"（測り直し {result['updated']}、記録のなかった日 {result['no_data']} 日分）。"
    )
    if result["failed"]:
        failed = ", ".join(result["failed"])
        typer.secho(f"計算できなかった系列: {failed}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)


def _disaster(action: str, data: dict[str, object]) -> None:
    """Call a disaster_mode_* action as the system and print the mode as it now is."""
    services = build_services(Settings.from_env())
    upgrade(services.engine)
    try:
        with action_context(services, ignore_auth=True) as context:
            mode = call_action(action, context, data)
    except ActionError as error:
        _fail(error)
    state = "オン" if mode["on"] else "オフ"
    reason = "（負荷による自動）" if mode["on"] and not mode["manual"] else ""
    typer.echo(f"災害モード: {state}{reason}")
    if mode["on"] and mode["message"]:
        typer.echo(f"メッセージ: {mode['message']}")
    allowed = "する" if mode["automatic_allowed"] else "しない"
    typer.echo(f"負荷による自動切り替え: {allowed}")


@disaster_app.command("on")
def disaster_on(
    message: str = typer.Option(
        "", "--message", help="各ページに表示する文（例: 避難所を開設しています）"
    ),
) -> None:
    """災害モードをオンにします。トップページと地図が避難場所のページに案内します
    (switch 災害モード on for every process)."""
    _disaster("disaster_mode_update", {"on": True, "message": message})


@disaster_app.command("off")
def disaster_off(
    automatic: bool = typer.Option(
        True, "--automatic/--no-automatic", help="負荷による自動切り替えを許すか"
    ),
) -> None:
    """災害モードをオフにします (switch 災害モード off; --no-automatic keeps load from switching
    it on again)."""
    _disaster("disaster_mode_update", {"on": False, "automatic": automatic})


@disaster_app.command("status")
def disaster_status() -> None:
    """災害モードの状態を表示します (show whether 災害モード is on)."""
    _disaster("disaster_mode_show", {})


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()
