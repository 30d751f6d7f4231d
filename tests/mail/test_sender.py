"""Mail goes over real SMTP: a local aiosmtpd server receives what send_mail sends."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.live_server import free_port
from support.smtp_server import SmtpServer, body_of
from tsunagu.config import Settings
from tsunagu.mail.sender import MailFailed, MailNotConfigured, send_mail


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]


def test_a_japanese_message_arrives_intact(tmp_path: Path, smtp: SmtpServer) -> None:
    settings = _settings(
        tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.port, mail_from="tsunagu@example.jp"
    )
    send_mail(
        settings, "sender-test@example.jp", "パスワードの再設定", "次のリンクを開いてください。\n"
    )
    message = smtp.mailbox.wait_for(lambda m: "sender-test@example.jp" in str(m["To"]))
    assert message["Subject"] == "パスワードの再設定"
    assert message["From"] == "tsunagu@example.jp"
    assert "次のリンク" in body_of(message)


def test_without_a_host_mail_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(MailNotConfigured) as caught:
        send_mail(_settings(tmp_path), "a@example.jp", "件名", "本文")
    assert "TSUNAGU_SMTP_HOST" in caught.value.message


def test_an_unreachable_relay_is_a_clear_error(tmp_path: Path) -> None:
    settings = _settings(tmp_path, smtp_host="127.0.0.1", smtp_port=free_port())
    with pytest.raises(MailFailed) as caught:
        send_mail(settings, "a@example.jp", "件名", "本文")
    assert "メールを送信できませんでした" in caught.value.message
