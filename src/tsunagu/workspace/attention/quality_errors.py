"""Datasets with a file whose quality check found errors, or could not read the file: the
index's ``quality_errors:true``, the staff table's "has errors" filter. The link opens the first
such file's report, where each finding says how to fix it."""

from __future__ import annotations

from typing import Any

from tsunagu.search.documents import has_quality_errors
from tsunagu.workspace.attention import index
from tsunagu.workspace.attention.registry import attention_source
from tsunagu.workspace.attention.scope import Item, Line, Scope

MESSAGE = "ファイル「{file}」の検査でエラーが {errors} 件見つかりました。"
MESSAGE_UNREADABLE = "ファイル「{file}」を検査できませんでした。"


def _first_with_errors(package: dict[str, Any]) -> dict[str, Any] | None:
    for resource in package.get("resources") or []:
        if has_quality_errors([resource]):
            return dict(resource)
    return None


@attention_source(
    "quality_errors",
    label="品質の検査でエラーがあるデータ",
    order=30,
    messages=(MESSAGE, MESSAGE_UNREADABLE),
)
def quality_errors(scope: Scope) -> Line:
    found = index.search(scope, ["quality_errors:true"], sort="metadata_modified desc")
    items = []
    for package in found.results:
        resource = _first_with_errors(package) or {}
        quality = resource.get("quality") or {}
        unreadable = quality.get("status") == "error"
        items.append(
            Item(
                title=str(package.get("title") or package["name"]),
                message=MESSAGE_UNREADABLE if unreadable else MESSAGE,
                params={
                    "file": resource.get("name") or resource.get("id") or "",
                    **(
                        {}
                        if unreadable
                        else {"errors": (quality.get("findings") or {}).get("error", 0)}
                    ),
                },
                link=index.staff_page(package, f"q-{resource['id']}" if resource else ""),
                organization=scope.organization_name(package.get("owner_org")),
                dataset=package["name"],
                dataset_id=package["id"],
                resource_id=resource.get("id"),
                date=str(quality.get("checked") or "")[:10] or None,
            )
        )
    return Line(
        count=found.count,
        items=items,
        by_organization=scope.by_name(found.by_owner),
        more=index.table_link(scope, errors="1"),
    )
