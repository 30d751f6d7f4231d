"""Find catalog objects by id or name, the way CKAN's ``id`` parameters accept either."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tsunagu.catalog.models import Dataset, Group, Organization, Resource
from tsunagu.errors import NotFound, ValidationError

T = TypeVar("T", Dataset, Organization, Group)

_LABELS = {
    Dataset: "データセット (Dataset)",
    Organization: "組織 (Organization)",
    Group: "グループ (Group)",
}


def require_id(data: dict[str, Any], field: str = "id") -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError({field: ["必須項目です (Missing value)"]})
    return value.strip()


def by_id_or_name(session: Session, model: type[T], ref: str, *, deleted: bool = True) -> T:
    obj = session.scalar(select(model).where(or_(model.id == ref, model.name == ref)))
    if obj is None or (not deleted and obj.state == "deleted"):
        raise NotFound(f"{_LABELS[model]}が見つかりません: {ref}")
    return obj


def resource_by_id(session: Session, ref: str) -> Resource:
    resource = session.get(Resource, ref)
    if resource is None or resource.state == "deleted":
        raise NotFound(f"リソースが見つかりません (Resource not found): {ref}")
    return resource
