"""鮮度: published datasets whose data is overdue against their update frequency (毎月 and no
new data for 45 days …): the index's ``next_update_due`` range, the staff table's "overdue"
filter. The link goes to the newest file's replace form (a new monthly file is one upload)."""

from __future__ import annotations

from typing import Any

from tsunagu.workspace.attention import index
from tsunagu.workspace.attention.registry import attention_source
from tsunagu.workspace.attention.scope import Item, Line, Scope

MESSAGE = "更新頻度は「{frequency}」ですが、{due} から {days} 日、データが更新されていません。"


def _newest_upload(package: dict[str, Any]) -> dict[str, Any] | None:
    uploads = [r for r in package.get("resources") or [] if r.get("url_type") == "upload"]
    if not uploads:
        return None
    return max(uploads, key=lambda r: str(r.get("last_modified") or r.get("created") or ""))


def _fix_link(package: dict[str, Any]) -> str:
    newest = _newest_upload(package)
    if newest is not None:
        return index.staff_page(package, f"replace-{newest['id']}")
    return index.staff_page(package, "upload-heading")


@attention_source("overdue", label="更新が遅れているデータ（鮮度）", order=50, messages=(MESSAGE,))
def overdue(scope: Scope) -> Line:
    found = index.search(
        scope,
        # The date comparison last: it walks only the active datasets of the scope.
        ["state:active", f"next_update_due:[* TO {scope.now.isoformat()}]"],
        sort="next_update_due asc",
    )
    items = [
        Item(
            title=str(package.get("title") or package["name"]),
            message=MESSAGE,
            params={
                "frequency": package.get("frequency_label") or package.get("frequency") or "",
                "due": package.get("next_update_due") or "",
                "days": scope.days_since(package.get("next_update_due")),
            },
            link=_fix_link(package),
            organization=scope.organization_name(package.get("owner_org")),
            dataset=package["name"],
            dataset_id=package["id"],
            resource_id=(_newest_upload(package) or {}).get("id"),
            date=package.get("next_update_due"),
        )
        for package in found.results
    ]
    return Line(
        count=found.count,
        items=items,
        by_organization=scope.by_name(found.by_owner),
        more=index.table_link(scope, overdue="1", sort="due", dir="asc"),
    )
