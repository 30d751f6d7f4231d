"""The digest mail's words: one plain-Japanese line per change, with a link to what changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagu.accounts.models import User
from tsunagu.catalog.models import Activity, Dataset, Group, Organization

# Times are written in Japan time: the readers are Japanese residents and staff.
JST = timedelta(hours=9)
FOLLOWING_PAGE = "/staff/following"

_NOUNS = {
    "package": "データセット",
    "organization": "組織",
    "group": "カテゴリ",
    "user": "ユーザー",
    "view": "データセットの表示設定",
}
_VERBS = {
    "new": "を作成しました",
    "changed": "を更新しました",
    "deleted": "を削除しました",
    "follow": "をフォローしました",
}


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


@dataclass(frozen=True)
class _Names:
    """Current names and titles of what the entries are about, looked up once per mail."""

    users: dict[str, User]
    datasets: dict[str, Dataset]
    organizations: dict[str, Organization]
    groups: dict[str, Group]


def _names(session: Session, entries: list[Activity]) -> _Names:
    people = {a.user_id for a in entries if a.user_id} | {a.object_id for a in entries}
    objects = {a.object_id for a in entries}
    return _Names(
        users={u.id: u for u in session.scalars(select(User).where(User.id.in_(people)))},
        datasets={d.id: d for d in session.scalars(select(Dataset).where(Dataset.id.in_(objects)))},
        organizations={
            o.id: o
            for o in session.scalars(select(Organization).where(Organization.id.in_(objects)))
        },
        groups={g.id: g for g in session.scalars(select(Group).where(Group.id.in_(objects)))},
    )


def _when(timestamp: datetime) -> str:
    return (timestamp + JST).strftime("%Y年%m月%d日 %H:%M")


def _actor(names: _Names, activity: Activity) -> str:
    user = names.users.get(activity.user_id or "")
    if user is None:
        return "システム"
    return f"{user.fullname or user.name} さん"


def _object(site_url: str, names: _Names, activity: Activity) -> tuple[str, str, str]:
    """(noun, title, link) of what the entry is about."""
    data: dict[str, Any] = activity.data or {}
    if activity.object_id in names.datasets:
        dataset = names.datasets[activity.object_id]
        return "データセット", dataset.title or dataset.name, f"{site_url}/dataset/{dataset.name}"
    if activity.object_id in names.organizations:
        org = names.organizations[activity.object_id]
        return "組織", org.title or org.name, f"{site_url}/organization/{org.name}"
    if activity.object_id in names.groups:
        group = names.groups[activity.object_id]
        link = f"{site_url}/dataset?groups={quote(group.name)}"
        return "カテゴリ", group.title or group.name, link
    if activity.object_id in names.users:
        user = names.users[activity.object_id]
        return "ユーザー", user.fullname or user.name, ""
    package = data.get("package") if isinstance(data.get("package"), dict) else None
    title = str((package or data).get("title") or (package or data).get("name") or "")
    return _NOUNS.get(activity.activity_type.rpartition(" ")[2], "もの"), title, ""


def describe(site_url: str, names: _Names, activity: Activity) -> str:
    noun, title, link = _object(site_url, names, activity)
    thing = f"{noun}「{title}」" if title else noun
    if activity.activity_type == "personal data override":
        what = f"{thing}で、個人情報の検出を確認したうえで公開を許可しました"
    elif activity.activity_type.endswith("resource view"):
        verb = _VERBS.get(activity.activity_type.partition(" ")[0], "を変更しました")
        what = f"{thing}の表示設定{verb}"
    elif activity.activity_type == "changed organization" and "member" in (activity.data or {}):
        what = f"{thing}のメンバーを変更しました"
    else:
        what = f"{thing}{_VERBS.get(activity.activity_type.partition(' ')[0], 'を変更しました')}"
    line = f"・{_when(activity.timestamp)} {_actor(names, activity)}が{what}"
    return f"{line}\n  {link}" if link else line


def compose(
    session: Session,
    site_url: str,
    site_title: str,
    user: User,
    entries: list[Activity],
    total: int,
) -> Mail:
    """The digest for ``user``: ``entries`` (oldest first) of ``total`` changes."""
    names = _names(session, entries)
    lines = [describe(site_url, names, a) for a in entries]
    page = f"{site_url}{FOLLOWING_PAGE}"
    more = total - len(entries)
    parts = [
        f"{user.fullname or user.name} 様",
        "",
        f"{site_title} でフォローしているデータセット・組織・カテゴリ・ユーザーについて、"
        f"前回のお知らせ以降に {total} 件の更新がありました。",
        "",
        *lines,
    ]
    if more > 0:
        parts += ["", f"ほかに {more} 件の更新があります。続きは次のページでご覧ください。", page]
    parts += [
        "",
        "--",
        "このメールは、更新のお知らせをメールで受け取る設定にしている方にお送りしています。",
        f"受け取りをやめるには、{page} で設定を変更してください。",
    ]
    return Mail(
        subject=f"【{site_title}】フォロー中のデータに {total} 件の更新があります",
        body="\n".join(parts) + "\n",
    )
