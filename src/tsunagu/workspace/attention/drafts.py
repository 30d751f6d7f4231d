"""Drafts nobody has touched for a week: started, then forgotten before publishing."""

from __future__ import annotations

from datetime import timedelta

from tsunagu.workspace.attention import index
from tsunagu.workspace.attention.registry import attention_source
from tsunagu.workspace.attention.scope import Item, Line, Scope

STALE_AFTER = timedelta(days=7)
MESSAGE = "下書きのまま {days} 日たっています。内容を確かめて公開するか、不要なら削除してください。"


@attention_source("stale_drafts", label="1 週間以上前の下書き", order=40, messages=(MESSAGE,))
def stale_drafts(scope: Scope) -> Line:
    before = (scope.now - STALE_AFTER).isoformat()
    found = index.search(
        scope,
        ["state:draft", f"metadata_modified:[* TO {before}]"],
        sort="metadata_modified asc",
    )
    items = []
    for package in found.results:
        modified = str(package.get("metadata_modified") or "")
        items.append(
            Item(
                title=str(package.get("title") or package["name"]),
                message=MESSAGE,
                params={"days": scope.days_since(modified)},
                link=index.staff_page(package, "publish-heading"),
                organization=scope.organization_name(package.get("owner_org")),
                dataset=package["name"],
                dataset_id=package["id"],
                date=modified[:10] or None,
            )
        )
    return Line(
        count=found.count,
        items=items,
        by_organization=scope.by_name(found.by_owner),
        more=index.table_link(scope, state="draft", sort="modified", dir="asc"),
    )
