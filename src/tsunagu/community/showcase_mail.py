"""The mail a use case's author gets when staff approve or reject it (only if they left an
address; nothing is sent on submission, for the reason given in request_mail.py)."""

from __future__ import annotations

from tsunagu.community.models import Showcase
from tsunagu.context import Context
from tsunagu.mail.after_commit import send_after_commit


def notify_author(context: Context, showcase: Showcase) -> None:
    if not showcase.author_email or showcase.state not in ("active", "rejected"):
        return
    settings = context.settings
    approved = showcase.state == "active"
    label = "掲載しました" if approved else "掲載を見送りました"
    subject = f"【{settings.site_title}】活用事例「{showcase.title}」を{label}"
    lines = ["活用事例をお寄せいただき、ありがとうございます。", ""]
    if approved:
        lines += [
            f"「{showcase.title}」を活用事例として掲載しました。",
            f"{settings.site_url}/showcase/{showcase.name}",
        ]
    else:
        lines.append(f"「{showcase.title}」は、検討の結果、掲載を見送ることになりました。")
        if showcase.review_note:
            lines += ["", "担当からのコメント：", showcase.review_note]
    lines += [
        "",
        "このメールは、活用事例の送信時に連絡先としてこのアドレスが入力されたため、送信して"
        "います。お心当たりのない場合は、このメールを破棄してください。",
    ]
    send_after_commit(
        context.session, settings, showcase.author_email, subject, "\n".join(lines) + "\n"
    )
