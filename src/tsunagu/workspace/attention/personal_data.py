"""Files the personal-data guard stops: publishing the dataset is refused (or, for a public
linked file, its table was withdrawn) until the file is fixed or an organisation admin records
why it may be published anyway.

Answered by SQL: flagged files are few and ``resource_quality.pii_blocked`` is indexed. Whether
an admin's override still holds (it is given for one file, named by its hash or URL) is decided
here as in ``quality.gate.is_overridden``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import load_only

from tsunagu.catalog import authz
from tsunagu.catalog.models import Dataset, Resource
from tsunagu.quality.models import ResourceQuality
from tsunagu.quality.service import signature
from tsunagu.workspace.attention.registry import attention_source
from tsunagu.workspace.attention.scope import Item, Line, Scope

MESSAGE = (
    "ファイル「{file}」に個人情報の可能性があるデータがあるため、公開できません。"
    "該当する列や値を削除したファイルを登録し直してください。"
)
MESSAGE_ADMIN = (
    "ファイル「{file}」に個人情報の可能性があるデータがあるため、公開できません。"
    "直したファイルを登録し直すか、公開してよいものであれば理由を記録して許可してください。"
)


_RESOURCE_FIELDS = (
    Resource.id,
    Resource.dataset_id,
    Resource.name,
    Resource.url,
    Resource.url_type,
    Resource.hash,
    Resource.position,
)


def _still_blocked(resource: Resource, scanned: str, override: dict[str, Any] | None) -> bool:
    current = signature(resource)
    # A scan of an earlier file says nothing about this one (its own scan follows its ingest).
    if scanned != current:
        return False
    return not (override and override.get("signature") == current)


@attention_source(
    "personal_data",
    label="個人情報の可能性があり公開できないファイル",
    order=10,
    messages=(MESSAGE, MESSAGE_ADMIN),
)
def personal_data(scope: Scope) -> Line:
    rows = scope.context.session.execute(
        select(
            ResourceQuality.pii_signature,
            ResourceQuality.pii_override,
            Resource,
            Dataset.name,
            Dataset.title,
            Dataset.owner_org,
        )
        .join(Resource, Resource.id == ResourceQuality.resource_id)
        .join(Dataset, Dataset.id == Resource.dataset_id)
        .where(
            ResourceQuality.pii_blocked.is_(True),
            Resource.state == "active",
            scope.readable_datasets(),
        )
        # The latest scans first: what was just uploaded is what staff are working on.
        .order_by(ResourceQuality.checked.desc().nulls_last(), Resource.id)
        # What the signature and the item need: not the extras (JSON) of every flagged file.
        .options(load_only(*_RESOURCE_FIELDS))
    ).all()
    blocked = [row for row in rows if _still_blocked(row[2], row[0], row[1])]
    by_owner: dict[str | None, int] = {}
    for row in blocked:
        by_owner[row[5]] = by_owner.get(row[5], 0) + 1
    items = []
    for _scanned, _override, resource, name, title, owner_org in blocked[: scope.limit]:
        # An admin decides on the override form; others see the findings and whom to ask.
        admin = authz.has_role(scope.context, owner_org, "admin")
        items.append(
            Item(
                title=title or name,
                message=MESSAGE_ADMIN if admin else MESSAGE,
                params={"file": resource.name or resource.id},
                link=f"/staff/dataset/{name}#"
                + (f"pii-reason-{resource.id}" if admin else f"q-{resource.id}"),
                organization=scope.organization_name(owner_org),
                dataset=name,
                dataset_id=resource.dataset_id,
                resource_id=resource.id,
            )
        )
    return Line(count=len(blocked), items=items, by_organization=scope.by_name(by_owner))
