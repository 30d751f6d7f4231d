"""Sending one plain-text message over SMTP.

Mail is sent from the request or job that needs it, with a short timeout, so a broken relay shows
up as a clear error instead of a queue that silently grows."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from tsunagu.config import Settings
from tsunagu.errors import ActionError

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 15


class MailNotConfigured(ActionError):
    error_type = "Mail Error"
    status = 503

    def __init__(self) -> None:
        super().__init__(
            "メール送信が設定されていません。管理者に TSUNAGU_SMTP_HOST の設定を依頼してください "
            "(Mail is not configured on this site)"
        )


class MailFailed(ActionError):
    error_type = "Mail Error"
    status = 502


def mail_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def build_message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or None)
    message.set_content(body)  # UTF-8, so Japanese text arrives intact
    return message


def _connect(settings: Settings) -> smtplib.SMTP:
    """A connection to the relay, secured and logged in as configured."""
    if settings.smtp_security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=TIMEOUT_SECONDS,
            context=ssl.create_default_context(),
        )
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS)
    try:
        if settings.smtp_security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password)
    except BaseException:
        client.close()
        raise
    return client


def _failed(exc: Exception) -> MailFailed:
    return MailFailed(
        f"メールを送信できませんでした。しばらくしてからもう一度お試しください "
        f"(Could not send mail: {exc.__class__.__name__})"
    )


def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    """Send one message; raises MailNotConfigured or MailFailed with the reason."""
    if not mail_configured(settings):
        raise MailNotConfigured()
    message = build_message(settings, to, subject, body)
    try:
        with _connect(settings) as client:
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail to %s failed: %s", to, exc)
        raise _failed(exc) from exc


def check_relay(settings: Settings) -> None:
    """Connect and log in to the relay without sending anything; raises as send_mail would.

    The password-reset page calls this when no account matches, so that an unknown name costs
    about the same time and fails the same way as a known one: neither the answer, nor its
    timing, nor a relay outage tells a visitor which accounts exist."""
    if not mail_configured(settings):
        raise MailNotConfigured()
    try:
        with _connect(settings) as client:
            client.noop()
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail relay check failed: %s", exc)
        raise _failed(exc) from exc
