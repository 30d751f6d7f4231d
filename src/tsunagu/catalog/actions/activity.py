"""Activity streams. Private datasets' history is shown only to those who may read them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, or_, select

from tsunagu.catalog import authz, validation
from tsunagu.catalog.access import readable_dataset
from tsunagu.catalog.dictize import iso
from tsunagu.catalog.lookup import by_id_or_name, require_id
from tsunagu.catalog.models import Activity, Dataset, Organization
from tsunagu.context import Context
from tsunagu.errors import require
from tsunagu.registry import action


def _as_dict(activity: Activity) -> dict[str, Any]:
    return {
        "id": activity.id,
        "timestamp": iso(activity.timestamp),
        "user_id": activity.user_id,
        "object_id": activity.object_id,
        "activity_type": activity.activity_type,
        "data": activity.data,
    }


def _hidden_drafts(context: Context) -> Select[tuple[str]]:
    """Ids of datasets now in draft that the caller may not read (drafts need editor rights, so
    a mere member of the owning organisation must not see their activity either)."""
    stmt = select(Dataset.id).where(
        Dataset.state == "draft",
        Dataset.owner_org.not_in(authz.member_organization_ids(context, "editor")),
    )
    if context.user is not None:
        stmt = stmt.where(
            or_(Dataset.creator_user_id.is_(None), Dataset.creator_user_id != context.user.id)
        )
    return stmt


def _page(data: dict[str, Any]) -> tuple[int, int]:
    errors: validation.Errors = {}
    limit, offset = validation.paging(data, errors, default_limit=31, max_limit=100)
    require(errors)
    return limit or 31, offset


@action("package_activity_list")
def package_activity_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    dataset = readable_dataset(context, by_id_or_name(context.session, Dataset, require_id(data)))
    limit, offset = _page(data)
    stmt = select(Activity).where(Activity.object_id == dataset.id)
    if not authz.has_role(context, dataset.owner_org, "member"):
        # Entries made while the dataset was private, and internal ones (a personal-data
        # override's reason), are for the organisation only.
        stmt = stmt.where(Activity.permission_private.is_(False))
    rows = context.session.scalars(
        stmt.order_by(Activity.timestamp.desc(), Activity.id).offset(offset).limit(limit)
    )
    return [_as_dict(a) for a in rows]


@action("organization_activity_list")
def organization_activity_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    org = by_id_or_name(context.session, Organization, require_id(data), deleted=False)
    limit, offset = _page(data)
    stmt = select(Activity).where(or_(Activity.owner_org == org.id, Activity.object_id == org.id))
    if not authz.has_role(context, org.id, "member"):
        stmt = stmt.where(Activity.permission_private.is_(False))
    elif not context.is_sysadmin:
        stmt = stmt.where(
            or_(
                Activity.permission_private.is_(False),
                Activity.object_id.not_in(_hidden_drafts(context)),
            )
        )
    rows = context.session.scalars(
        stmt.order_by(Activity.timestamp.desc(), Activity.id).offset(offset).limit(limit)
    )
    return [_as_dict(a) for a in rows]


@action("recently_changed_packages_activity_list")
def recently_changed_packages_activity_list(
    context: Context, data: dict[str, Any]
) -> list[dict[str, Any]]:
    limit, offset = _page(data)
    stmt = select(Activity).where(Activity.activity_type.like("% package"))
    if not context.is_sysadmin:
        readable = authz.member_organization_ids(context, "member")
        stmt = stmt.where(
            or_(
                Activity.permission_private.is_(False),
                and_(
                    Activity.owner_org.in_(readable),
                    Activity.object_id.not_in(_hidden_drafts(context)),
                ),
            )
        )
    rows = context.session.scalars(
        stmt.order_by(Activity.timestamp.desc(), Activity.id).offset(offset).limit(limit)
    )
    return [_as_dict(a) for a in rows]
