"""`tsunagu backup` and `tsunagu restore`: one archive holding a consistent snapshot of the
database (catalog, accounts and datastore tables alike) and the stored files, taken while the
site keeps serving.

The database is snapshotted first (SQLite's online backup, or pg_dump, which reads in one
transaction). Files are then copied: an upload's file is written before the row that refers to it
commits, and unreferenced files are only removed after a grace period, so every file the snapshot
refers to is still there when the copy runs. Restore checks that anyway and names any file missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url

from tsunagu import __version__
from tsunagu.catalog.models import Resource
from tsunagu.context import Services
from tsunagu.search.snapshot_store import snapshot_directory
from tsunagu.storage.migrate import current, upgrade

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
PG_MEMBER = "database.pgdump"
FILES = "files"

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why in plain Japanese."""


@dataclass(frozen=True)
class Summary:
    path: Path
    engine: str
    revision: str | None
    files: int
    file_bytes: int


def _engine_kind(services: Services) -> str:
    return services.engine.dialect.name  # "sqlite" or "postgresql"


def _sqlite_path(services: Services) -> Path:
    database = services.engine.url.database
    if not database or database == ":memory:":
        raise BackupError("メモリ上のデータベースはバックアップできません")
    return Path(database)


def _pg_tool(name: str) -> str:
    """pg_dump / pg_restore: from PATH, else the newest Debian install (which reads older
    servers too)."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", path.parent.parent.name)) or (-1,)

    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=version)
    if not candidates:
        raise BackupError(f"{name} が見つかりません。PostgreSQL のクライアントを入れてください")
    return str(candidates[-1])


def _libpq(services: Services) -> tuple[list[str], dict[str, str]]:
    """Connection options for the PostgreSQL command-line tools, password in the environment."""
    url = make_url(services.engine.url)
    args = [f"--dbname={url.database}"]
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tool = Path(command[0]).name
        raise BackupError(f"{tool} が失敗しました: {result.stderr.strip()[-2000:]}")


def _snapshot_database(services: Services, workdir: Path) -> Path:
    if _engine_kind(services) == "sqlite":
        target = workdir / SQLITE_MEMBER
        source = sqlite3.connect(_sqlite_path(services))
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)  # one step: a consistent snapshot while writers go on (WAL)
        finally:
            copy.close()
            source.close()
        return target
    target = workdir / PG_MEMBER
    args, env = _libpq(services)
    _run(
        [
            _pg_tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-acl",
            f"--file={target}",
            *args,
        ],
        env,
    )
    return target


def _stored_files(services: Services) -> list[Path]:
    root = services.settings.storage_dir
    if not root.is_dir():
        return []
    # ".upload-*" are uploads still being written; they belong to no committed row.
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".upload-"))


def backup(services: Services, output: Path, progress: Progress = lambda _m: None) -> Summary:
    """Write one archive (tar) with the manifest, the database snapshot and the files."""
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    revision = current(services.engine)
    with tempfile.TemporaryDirectory(prefix="tsunagu-backup-", dir=output.parent) as tmp:
        progress("データベースのスナップショットを作成しています…")
        snapshot = _snapshot_database(services, Path(tmp))
        files = _stored_files(services)
        root = services.settings.storage_dir
        partial = output.with_name(output.name + ".partial")
        total = 0
        with tarfile.open(partial, "w") as archive:
            archive.add(snapshot, arcname=snapshot.name)
            for number, path in enumerate(files, start=1):
                archive.add(path, arcname=f"{FILES}/{path.relative_to(root).as_posix()}")
                total += path.stat().st_size
                if number % 500 == 0:
                    progress(f"ファイル {number}/{len(files)} 件をコピーしました")
            manifest = {
                "format": FORMAT,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "tsunagu": __version__,
                "engine": _engine_kind(services),
                "revision": revision,
                "files": len(files),
                "file_bytes": total,
            }
            manifest_path = Path(tmp) / MANIFEST
            manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
            archive.add(manifest_path, arcname=MANIFEST)
        os.replace(partial, output)  # a half-written archive never takes the final name
    progress(f"バックアップを作成しました: {output}")
    return Summary(output, manifest["engine"], revision, len(files), total)


def _read_manifest(archive: tarfile.TarFile) -> dict[str, object]:
    try:
        member = archive.extractfile(MANIFEST)
    except KeyError:
        member = None
    if member is None:
        raise BackupError("バックアップの目録 (manifest.json) がありません。壊れたファイルです")
    manifest = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"対応していない形式のバックアップです (format {manifest.get('format')})")
    return dict(manifest)


def _is_empty(services: Services) -> bool:
    if _engine_kind(services) == "sqlite":
        path = _sqlite_path(services)
        if not path.exists() or path.stat().st_size == 0:
            return True
    names = inspect(services.engine).get_table_names()
    return not names


def restore(services: Services, source: Path, progress: Progress = lambda _m: None) -> Summary:
    """Restore an archive into an empty site (no tables, no stored files)."""
    if not source.is_file():
        raise BackupError(f"バックアップが見つかりません: {source}")
    storage = services.settings.storage_dir
    if not _is_empty(services):
        raise BackupError(
            "復元先のデータベースが空ではありません。空のデータベースに復元してください"
        )
    if storage.exists() and any(storage.iterdir()):
        raise BackupError(f"復元先のファイル置き場が空ではありません: {storage}")
    with tarfile.open(source, "r") as archive, tempfile.TemporaryDirectory() as tmp:
        manifest = _read_manifest(archive)
        if manifest["engine"] != _engine_kind(services):
            raise BackupError(
                f"{manifest['engine']} のバックアップは {_engine_kind(services)} には復元できません"
            )
        progress("ファイルを展開しています…")
        # The "data" filter refuses absolute paths, "..", links out of the folder and devices.
        try:
            archive.extractall(tmp, filter="data")
        except tarfile.FilterError as error:
            raise BackupError(f"バックアップに不正な項目があります: {error}") from None
        progress("データベースを復元しています…")
        _restore_database(services, Path(tmp))
        # A search snapshot left in the folder belongs to another database, possibly at a later
        # revision than the restored one, and would be served as it is: the first start builds
        # a new one instead.
        shutil.rmtree(snapshot_directory(services.settings.data_dir), ignore_errors=True)
        unpacked = Path(tmp) / FILES
        storage.parent.mkdir(parents=True, exist_ok=True)
        if unpacked.is_dir():
            if storage.exists():
                storage.rmdir()
            shutil.move(str(unpacked), storage)
    upgrade(services.engine)  # an older backup is brought up to this code's schema
    missing = _missing_files(services)
    if missing:
        raise BackupError(
            f"復元しましたが、{len(missing)} 件のリソースのファイルがありません: "
            + ", ".join(missing[:10])
        )
    progress("復元しました。")
    return Summary(
        source,
        str(manifest["engine"]),
        current(services.engine),
        int(manifest["files"]),  # type: ignore[call-overload]
        int(manifest["file_bytes"]),  # type: ignore[call-overload]
    )


def _restore_database(services: Services, unpacked: Path) -> None:
    if _engine_kind(services) == "sqlite":
        services.engine.dispose()
        path = _sqlite_path(services)
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        shutil.copyfile(unpacked / SQLITE_MEMBER, path)
        return
    args, env = _libpq(services)
    _run(
        [
            _pg_tool("pg_restore"),
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "--single-transaction",
            *args,
            str(unpacked / PG_MEMBER),
        ],
        env,
    )


def _missing_files(services: Services) -> list[str]:
    with services.sessions() as session:
        keys = session.execute(
            select(Resource.id, Resource.storage_key).where(
                Resource.url_type == "upload", Resource.storage_key != ""
            )
        ).all()
    return [rid for rid, key in keys if not services.files.exists(key)]
