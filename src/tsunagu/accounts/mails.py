"""The text of the mails the account pages send: plain Japanese, the site's title, and a link
built from the configured site URL (never from the request's Host header, which a client
chooses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tsunagu.accounts.models import User
from tsunagu.config import Settings

ROLE_NAMES = {"admin": "管理者", "editor": "編集者", "member": "メンバー"}


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


def reset_link(settings: Settings, secret: str) -> str:
    return f"{settings.site_url}/user/reset/{secret}"


def invite_link(settings: Settings, secret: str) -> str:
    return f"{settings.site_url}/user/invite/{secret}"


def _signature(settings: Settings) -> str:
    return f"--\n{settings.site_title}\n{settings.site_url}/\n"


def reset_mail(settings: Settings, user: User, secret: str) -> Mail:
    hours = settings.reset_token_hours
    body = (
        f"{user.fullname or user.name} 様\n\n"
        f"{settings.site_title} で、ユーザー名「{user.name}」のパスワードの再設定を"
        "受け付けました。\n"
        "次のリンクを開いて、新しいパスワードを設定してください。\n\n"
        f"{reset_link(settings, secret)}\n\n"
        f"このリンクの有効期限は {hours} 時間で、一度だけ使えます。"
        "もう一度申し込むと、前のリンクは使えなくなります。\n"
        "お心当たりがない場合は、このメールを破棄してください。パスワードは変わりません。\n\n"
        + _signature(settings)
    )
    return Mail(subject=f"【{settings.site_title}】パスワードの再設定", body=body)


def invite_mail(
    settings: Settings, secret: str, organization: str, role: str, inviter: str
) -> Mail:
    days = settings.invite_token_days
    body = (
        f"{settings.site_title} の「{organization}」に、"
        f"{ROLE_NAMES.get(role, role)}として招待されました（招待した人：{inviter}）。\n"
        "次のリンクを開いて、ユーザー名とパスワードを決めてください。"
        "決めるまではログインできません。\n\n"
        f"{invite_link(settings, secret)}\n\n"
        f"このリンクの有効期限は {days} 日間で、一度だけ使えます。\n"
        "お心当たりがない場合は、このメールを破棄してください。\n\n" + _signature(settings)
    )
    return Mail(subject=f"【{settings.site_title}】{organization} への招待", body=body)


# Who made a change to the account, as the notices say it.
_BY = {
    "self": "ご本人の操作で",
    "reset": "パスワード再設定のリンクから",
    "admin": "システム管理者によって",
}


def _japan_time(when: datetime) -> str:
    local = when + timedelta(hours=9)  # stored in UTC; Japan has no daylight saving
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}（日本時間）"


def password_changed_mail(settings: Settings, user: User, when: datetime, by: str) -> Mail:
    body = (
        f"{user.fullname or user.name} 様\n\n"
        f"{settings.site_title} のユーザー名「{user.name}」のパスワードが、"
        f"{_japan_time(when)}に{_BY.get(by, '')}変更されました。\n"
        "ほかのブラウザーや端末でのログインは終了しました。\n\n"
        "お心当たりがない場合は、すぐに次のページでパスワードを再設定し、"
        "サイトの管理者に連絡してください。\n"
        f"{settings.site_url}/user/reset\n\n" + _signature(settings)
    )
    return Mail(subject=f"【{settings.site_title}】パスワードが変更されました", body=body)


def address_changed_mail(
    settings: Settings, user: User, when: datetime, by: str, *, new: bool, password: bool
) -> Mail:
    """To the old address (``new`` False) or the new one, when an account's address changed."""
    how = f"{_japan_time(when)}に{_BY.get(by, '')}"
    if new:
        what = (
            f"このメールアドレスが、{settings.site_title} のユーザー名「{user.name}」の"
            f"登録メールアドレスになりました（{how}変更）。\n"
        )
    else:
        what = (
            f"{settings.site_title} のユーザー名「{user.name}」の登録メールアドレスが、"
            f"{how}別のアドレスに変更されました。\n"
            "これからのお知らせやパスワード再設定のメールは、新しいアドレスに届きます。\n"
        )
    if password:
        what += "同時にパスワードも変更され、ほかのブラウザーや端末でのログインは終了しました。\n"
    body = (
        f"{user.fullname or user.name} 様\n\n"
        + what
        + "\nお心当たりがない場合は、すぐにサイトの管理者に連絡してください。\n\n"
        + _signature(settings)
    )
    return Mail(subject=f"【{settings.site_title}】登録メールアドレスが変更されました", body=body)
