"""The mail a requester gets when staff move their request on (only if they left an address).

Nothing is sent when a request is posted: the address is whatever the poster typed, and a
confirmation mail would let anyone make the site mail a stranger. A status change is made by
staff, so a mail then is an answer to a real request.
"""

from __future__ import annotations

from tsunagu.community.data_requests import STATUSES
from tsunagu.community.models import DataRequest
from tsunagu.context import Context
from tsunagu.mail.after_commit import send_after_commit

_NEXT = {
    "received": "担当者が内容を確認します。",
    "reviewing": "担当の組織で、公開できるかどうかを検討しています。",
    "published": "ご要望のデータを公開しました。下のページからご利用いただけます。",
    "declined": "検討の結果、このご要望にはお応えできないことになりました。理由は下のとおりです。",
}


def status_mail(
    context: Context, request: DataRequest, organization: str, dataset_name: str | None
) -> tuple[str, str]:
    site = context.settings.site_url
    label = STATUSES[request.status]
    subject = f"【{context.settings.site_title}】データ要望「{request.title}」：{label}"
    lines = [
        "データ要望をお寄せいただき、ありがとうございます。",
        "",
        f"要望：{request.title}",
        f"状況：{label}",
    ]
    if organization:
        lines.append(f"担当：{organization}")
    lines += ["", _NEXT[request.status]]
    if request.answer:
        lines += ["", "担当からの回答：", request.answer]
    if request.status == "published" and dataset_name:
        lines += ["", f"公開したデータ：{site}/dataset/{dataset_name}"]
    lines += [
        "",
        f"要望のページ：{site}/request/{request.id}",
        "",
        "このメールは、要望の送信時に連絡先としてこのアドレスが入力されたため、送信しています。"
        "お心当たりのない場合は、このメールを破棄してください。",
    ]
    return subject, "\n".join(lines) + "\n"


def notify_requester(
    context: Context, request: DataRequest, organization: str, dataset_name: str | None
) -> None:
    """Queue the status mail, sent once the change is committed."""
    if not request.contact_email:
        return
    subject, body = status_mail(context, request, organization, dataset_name)
    send_after_commit(context.session, context.settings, request.contact_email, subject, body)
