"""Backup while a writer keeps writing, then restore into an empty site: the same catalog,
datastore tables and files, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import ckanapi
import httpx
import pytest
from typer.testing import CliRunner

from support.databases import database_url_for
from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.bootstrap import build_services
from tsunagu.cli import app as cli
from tsunagu.config import Settings
from tsunagu.ops.backup import BackupError, backup, restore
from tsunagu.search.snapshot_store import snapshot_directory

CSV = "地区,人口\n中央,1200\n北,980\n南,1510\n".encode()


def _wait_for_table(ckan: ckanapi.RemoteCKAN, resource_id: str) -> None:
    wait_until(
        lambda: ckan.action.datastore_ingest_status(resource_id=resource_id)["status"],
        f"the ingest of {resource_id} to complete",
        until=lambda status: status == "complete",
    )


class Writer(threading.Thread):
    """Creates datasets over HTTP until stopped, remembering when each was acknowledged."""

    def __init__(self, ckan: ckanapi.RemoteCKAN, org: str) -> None:
        super().__init__(daemon=True)
        self.ckan, self.org = ckan, org
        self.acknowledged: list[tuple[float, str]] = []
        self.errors: list[Exception] = []
        self._halt = threading.Event()

    def run(self) -> None:
        number = 0
        while not self._halt.is_set():
            number += 1
            name = f"during-backup-{number}"
            try:
                self.ckan.action.package_create(
                    name=name, title=f"書き込み {number}", owner_org=self.org
                )
            except Exception as error:  # recorded and asserted on: the writer must never fail
                self.errors.append(error)
                return
            self.acknowledged.append((time.monotonic(), name))

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=30)


@pytest.fixture()
def site(server: LiveServer) -> Iterator[tuple[LiveServer, ckanapi.RemoteCKAN, str]]:
    token = server.make_user(f"backup-admin-{time.monotonic_ns()}", sysadmin=True)
    ckan = server.ckan(token)
    yield server, ckan, token


def test_backup_while_writing_then_restore_gives_the_same_site(
    site: tuple[LiveServer, ckanapi.RemoteCKAN, str], backend: str, tmp_path: Path
) -> None:
    server, ckan, token = site
    org = ckan.action.organization_create(name="backup-org", title="バックアップ市")
    ckan.action.group_create(name="backup-group", title="防災")
    package = ckan.action.package_create(
        name="backup-population",
        title="人口",
        owner_org=org["id"],
        groups=[{"name": "backup-group"}],
        tags=[{"name": "人口"}],
        extras=[{"key": "更新頻度", "value": "毎月"}],
    )
    resource = ckan.action.resource_create(
        package_id=package["id"], name="人口表", format="CSV", upload=("pop.csv", io.BytesIO(CSV))
    )
    _wait_for_table(ckan, resource["id"])

    writer = Writer(ckan, org["id"])
    writer.start()
    wait_until(
        lambda: len(writer.acknowledged) >= 3 or writer.errors,
        "the writer to have three datasets acknowledged",
    )
    started = time.monotonic()
    summary = backup(server.services, tmp_path / "site.tar")
    time.sleep(0.3)  # the writer keeps going after the snapshot
    writer.stop()
    assert not writer.errors, writer.errors
    before = {name for stamp, name in writer.acknowledged if stamp < started}
    everything = {name for _, name in writer.acknowledged}
    assert everything - before, "the writer should have gone on writing during the backup"
    assert summary.files >= 1

    target_dir = tmp_path / "restored"
    target = build_services(
        Settings(data_dir=target_dir, database_url=database_url_for(backend, target_dir))
    )
    stale = snapshot_directory(target_dir) / "snapshot-999999.idx"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"a search snapshot of another database")
    restore(target, tmp_path / "site.tar")
    target.engine.dispose()
    assert not stale.exists()

    url = target.engine.url.render_as_string(hide_password=False)
    restored = LiveServer(data_dir=target_dir, database_url=url).start()
    try:
        again = restored.ckan(token)  # tokens come back with their users
        names = set(again.action.package_list())
        assert before <= names <= everything | {"backup-population"}
        assert "backup-population" in names
        shown = again.action.package_show(id="backup-population")
        assert shown["id"] == package["id"]
        assert shown["organization"]["name"] == "backup-org"
        assert [g["name"] for g in shown["groups"]] == ["backup-group"]
        assert [t["name"] for t in shown["tags"]] == ["人口"]
        assert {"key": "更新頻度", "value": "毎月"} in shown["extras"]
        rows = again.action.datastore_search(resource_id=resource["id"])["records"]
        assert [r["地区"] for r in rows] == ["中央", "北", "南"]
        url = shown["resources"][0]["url"].replace(server.url, restored.url)
        assert httpx.get(url).content == CSV
        found = again.action.package_search(q="人口", fq="organization:backup-org")
        assert found["count"] >= 1
    finally:
        restored.stop()


def test_restore_refuses_a_site_that_is_not_empty(server: LiveServer, tmp_path: Path) -> None:
    backup(server.services, tmp_path / "site.tar")
    with pytest.raises(BackupError, match="空ではありません"):
        restore(server.services, tmp_path / "site.tar")


def test_restore_refuses_an_archive_that_escapes_its_folder(
    server: LiveServer, backend: str, tmp_path: Path
) -> None:
    archive = tmp_path / "site.tar"
    backup(server.services, archive)
    with tarfile.open(archive, "a") as tar:
        evil = tarfile.TarInfo("files/../../outside.txt")
        evil.size = 4
        tar.addfile(evil, io.BytesIO(b"evil"))
    target_dir = tmp_path / "restored"
    target = build_services(
        Settings(data_dir=target_dir, database_url=database_url_for(backend, target_dir))
    )
    try:
        with pytest.raises(BackupError, match="不正な項目"):
            restore(target, archive)
    finally:
        target.engine.dispose()
    assert not (tmp_path / "outside.txt").exists()


def test_restore_refuses_an_archive_without_a_manifest(tmp_path: Path) -> None:
    archive = tmp_path / "not-a-backup.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    target = build_services(Settings(data_dir=tmp_path / "site"))
    try:
        with pytest.raises(BackupError, match="manifest"):
            restore(target, archive)
    finally:
        target.engine.dispose()


def test_cli_backup_and_restore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    monkeypatch.setenv("TSUNAGU_DATA_DIR", str(tmp_path / "one"))
    monkeypatch.setenv("TSUNAGU_NEW_PASSWORD", "pw-cli-backup-0000")
    assert runner.invoke(cli, ["user", "create", "keeper", "--sysadmin"]).exit_code == 0
    made = runner.invoke(cli, ["backup", "--output", str(tmp_path / "b.tar")])
    assert made.exit_code == 0, made.output
    assert "バックアップを作成しました" in made.output
    monkeypatch.setenv("TSUNAGU_DATA_DIR", str(tmp_path / "two"))
    back = runner.invoke(cli, ["restore", str(tmp_path / "b.tar")])
    assert back.exit_code == 0, back.output
    assert "復元しました" in back.output
    again = runner.invoke(cli, ["restore", str(tmp_path / "b.tar")])
    assert again.exit_code == 1
    assert "空ではありません" in again.output
