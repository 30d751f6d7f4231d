"""The activity history: every change to an organisation, group or dataset is recorded."""

from __future__ import annotations

from typing import Any

from tsunagu.catalog.models import Activity
from tsunagu.context import Context


def record_activity(
    context: Context,
    object_id: str,
    activity_type: str,
    data: dict[str, Any],
    *,
    owner_org: str | None = None,
    private: bool = False,
) -> None:
    context.session.add(
        Activity(
            user_id=context.user.id if context.user else None,
            object_id=object_id,
            activity_type=activity_type,
            owner_org=owner_org,
            permission_private=private,
            data=data,
        )
    )
