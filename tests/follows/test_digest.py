"""The e-mail digest (send_email_notifications and ``tsunagu mail digest``), read from the real
local SMTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import ckanapi
import pytest
from typer.testing import CliRunner

from support.live_server import LiveServer
from support.smtp_server import SmtpServer, body_of
from tsunagu.accounts.models import User
from tsunagu.bootstrap import action_context, build_services
from tsunagu.cli import app
from tsunagu.config import Settings
from tsunagu.mail.sender import MailNotConfigured
from tsunagu.registry import call_action

_serial = itertools.count(1)


@dataclass
class World:
    server: LiveServer
    smtp: SmtpServer
    prefix: str  # names differ per database: both runs share one SMTP server
    admin: ckanapi.RemoteCKAN
    publisher: ckanapi.RemoteCKAN  # admin of the organisation
    org: str
    other_org: str  # where readers are never members

    def reader(self, *, opted_in: bool = True) -> tuple[str, str, ckanapi.RemoteCKAN]:
        """A fresh user (name, address, client), opted in to the digest unless told otherwise."""
        name = f"{self.prefix}-reader-{next(_serial)}"
        ckan = self.server.ckan(self.server.make_user(name))
        if opted_in:
            ckan.action.user_patch(id=name, activity_streams_email_notifications=True)
        return name, f"{name}@example.jp", ckan

    def dataset(self, org: str | None = None, **fields: Any) -> dict[str, Any]:
        name = f"{self.prefix}-ds-{next(_serial)}"
        values = {"name": name, "title": f"避難所一覧 {name}", "owner_org": org or self.org}
        return dict(self.publisher.action.package_create(**{**values, **fields}))

    def send(self) -> dict[str, Any]:
        return dict(self.admin.action.send_email_notifications())

    def mails_to(self, address: str) -> list[str]:
        return [body_of(m) for m in self.smtp.mailbox.to(address)]

    def digest_sent(self, name: str) -> datetime | None:
        with self.server.services.sessions() as session:
            user = session.query(User).filter(User.name == name).one()
            return user.digest_sent


@pytest.fixture(scope="module")
def world(server: LiveServer, smtp: SmtpServer, backend: str) -> World:
    prefix = f"dg{backend[:2]}"
    org, other = f"{prefix}-org", f"{prefix}-other-org"
    for name, title in ((org, "宇部市"), (other, "萩市")):
        server.act("organization_create", {"name": name, "title": title})
    admin = server.ckan(server.make_user(f"{prefix}-admin", sysadmin=True))
    publisher = server.ckan(server.make_user(f"{prefix}-publisher"))
    for name in (org, other):
        server.act(
            "organization_member_create",
            {"id": name, "username": f"{prefix}-publisher", "role": "admin"},
        )
    return World(server, smtp, prefix, admin, publisher, org, other)


def test_the_digest_lists_changes_to_what_the_user_follows(world: World) -> None:
    name, address, ckan = world.reader()
    dataset = world.dataset()
    ckan.action.follow_dataset(id=dataset["id"])
    ckan.action.dashboard_mark_activities_old()  # the dataset's creation is already seen
    world.publisher.action.package_patch(id=dataset["id"], title="避難所一覧（令和6年度）")
    result = world.send()
    assert result["sent"] >= 1
    assert name not in result["failed"]
    message = world.smtp.mailbox.wait_for(lambda m: address in str(m["To"]))
    assert "フォロー中のデータに 1 件の更新があります" in str(message["Subject"])
    body = body_of(message)
    assert f"{name} 様" in body
    assert "データセット「避難所一覧（令和6年度）」を更新しました" in body
    assert f"{world.server.url}/dataset/{dataset['name']}" in body
    assert f"{world.server.url}/staff/following" in body
    sent_at = world.digest_sent(name)
    assert sent_at is not None
    # The next run has nothing new for this user: no second mail, and the time moves on.
    world.send()
    assert len(world.mails_to(address)) == 1
    later = world.digest_sent(name)
    assert later is not None and later > sent_at


def test_a_first_digest_covers_the_last_two_days(world: World) -> None:
    _, address, ckan = world.reader()
    dataset = world.dataset()
    ckan.action.follow_dataset(id=dataset["id"])
    world.send()
    body = world.mails_to(address)[0]
    assert f"データセット「{dataset['title']}」を作成しました" in body


def test_no_mail_when_nothing_changed(world: World) -> None:
    name, address, ckan = world.reader()
    ckan.action.follow_dataset(id=world.dataset()["id"])
    ckan.action.dashboard_mark_activities_old()
    world.send()
    assert world.mails_to(address) == []
    assert world.digest_sent(name) is not None


def test_own_changes_and_unreadable_datasets_are_left_out(world: World) -> None:
    name, address, ckan = world.reader()
    world.server.act(
        "organization_member_create", {"id": world.org, "username": name, "role": "editor"}
    )
    mine = world.dataset(title="自分で直すデータ")
    public = world.dataset(title="みんなのデータ")
    secret = world.dataset(org=world.other_org, private=True, title="ひみつのデータ")
    ckan.action.follow_user(id=f"{world.prefix}-publisher")
    ckan.action.follow_dataset(id=mine["id"])
    ckan.action.dashboard_mark_activities_old()
    ckan.action.package_patch(id=mine["id"], notes="自分の変更")
    world.publisher.action.package_patch(id=public["id"], notes="公開の変更")
    world.publisher.action.package_patch(id=secret["id"], notes="非公開の変更")
    world.send()
    body = world.mails_to(address)[0]
    assert "「みんなのデータ」を更新しました" in body
    assert "自分で直すデータ" not in body
    assert "ひみつのデータ" not in body
    assert secret["name"] not in body
    ckan.action.unfollow_user(id=f"{world.prefix}-publisher")  # keep later tests' mail apart


def test_users_who_did_not_opt_in_or_have_no_address_get_nothing(world: World) -> None:
    quiet, quiet_address, quiet_ckan = world.reader(opted_in=False)
    silent, silent_address, silent_ckan = world.reader()
    with world.server.services.sessions() as session:
        session.query(User).filter(User.name == silent).one().email = ""
        session.commit()
    dataset = world.dataset()
    for ckan in (quiet_ckan, silent_ckan):
        ckan.action.follow_dataset(id=dataset["id"])
    world.publisher.action.package_patch(id=dataset["id"], notes="変更")
    world.send()
    assert world.mails_to(quiet_address) == []
    assert world.mails_to(silent_address) == []
    assert world.digest_sent(quiet) is None
    assert world.digest_sent(silent) is None


def test_a_failed_mail_does_not_stop_the_others(world: World) -> None:
    refused_name, refused_address, refused_ckan = world.reader()
    fine_name, fine_address, fine_ckan = world.reader()
    dataset = world.dataset()
    for ckan in (refused_ckan, fine_ckan):
        ckan.action.follow_dataset(id=dataset["id"])
        ckan.action.dashboard_mark_activities_old()
    world.publisher.action.package_patch(id=dataset["id"], title="届くかどうか")
    world.smtp.mailbox.refused.add(refused_address)
    try:
        result = world.send()
    finally:
        world.smtp.mailbox.refused.discard(refused_address)
    assert result["failed"] == [refused_name]
    assert "届くかどうか" in world.mails_to(fine_address)[0]
    assert world.digest_sent(fine_name) is not None
    assert world.digest_sent(refused_name) is None  # not marked sent: tried again next time
    again = world.send()
    assert again["failed"] == []
    assert "届くかどうか" in world.mails_to(refused_address)[0]
    assert len(world.mails_to(fine_address)) == 1


def test_only_sysadmins_send_digests(world: World) -> None:
    for ckan in (world.publisher, world.server.ckan(None)):
        with pytest.raises(ckanapi.NotAuthorized):
            ckan.action.send_email_notifications()


def test_without_mail_settings_nothing_is_marked_sent(world: World) -> None:
    name, _, ckan = world.reader()
    ckan.action.follow_dataset(id=world.dataset()["id"])
    services = world.server.services
    no_mail = dataclasses.replace(
        services, settings=dataclasses.replace(services.settings, smtp_host="")
    )
    with pytest.raises(MailNotConfigured), action_context(no_mail, ignore_auth=True) as context:
        call_action("send_email_notifications", context, {})
    assert world.digest_sent(name) is None


def test_the_mail_digest_command(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``tsunagu mail digest``, as a timer runs it, against a site of its own."""
    env = {
        "TSUNAGU_DATA_DIR": str(tmp_path),
        "TSUNAGU_SMTP_HOST": "127.0.0.1",
        "TSUNAGU_SMTP_PORT": str(smtp.port),
        "TSUNAGU_MAIL_FROM": "tsunagu@example.jp",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("TSUNAGU_DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    services = build_services(Settings.from_env())
    address = f"cli-digest-{next(_serial)}@example.jp"
    with action_context(services, ignore_auth=True) as system:
        call_action("organization_create", system, {"name": "cli-org", "title": "長門市"})
        call_action(
            "user_create",
            system,
            {"name": "cli-reader", "email": address, "password": "pw-cli-reader-0000"},
        )
        call_action(
            "package_create",
            system,
            {"name": "cli-ds", "title": "観光施設一覧", "owner_org": "cli-org"},
        )
        reader = system.session.query(User).filter(User.name == "cli-reader").one()
        reader.email_notifications = True
    with action_context(services, reader) as context:
        call_action("follow_dataset", context, {"id": "cli-ds"})
    result = runner.invoke(app, ["mail", "digest"])
    assert result.exit_code == 0, result.output
    assert "お知らせメールを 1 通送りました" in result.output
    assert "「観光施設一覧」を作成しました" in body_of(
        smtp.mailbox.wait_for(lambda m: address in str(m["To"]))
    )
    again = runner.invoke(app, ["mail", "digest"])
    assert "お知らせメールを 0 通送りました" in again.output
    services.engine.dispose()
