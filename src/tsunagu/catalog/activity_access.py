"""Which activity entries a caller may see, as one SQL condition every activity stream applies.

The rules follow ``authz.can_read_dataset``, written in SQL so that streams can page in the
database:

* an entry about a dataset is shown to the public only while the dataset is public and active
  *now* (making a dataset private, a draft or deleting it hides its whole history), and only if
  the entry itself was public when recorded (``permission_private`` marks entries made while the
  dataset was private, a draft or deleted, and internal ones such as a personal-data override);
* members of the organisation an entry was recorded under see its private entries, except those
  of drafts they may not read (drafts need editor rights or authorship);
* a dataset's collaborators see its entries while they may read it;
* entries about anything else (organisations, groups, users) are public unless marked private,
  in which case only members of the organisation they were recorded under see them.

Sysadmins see everything.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, select, true

from tsunagu.catalog import authz
from tsunagu.catalog.dictize import iso
from tsunagu.catalog.models import Activity, Dataset
from tsunagu.context import Context


def activity_dict(activity: Activity) -> dict[str, Any]:
    return {
        "id": activity.id,
        "timestamp": iso(activity.timestamp),
        "user_id": activity.user_id,
        "object_id": activity.object_id,
        "activity_type": activity.activity_type,
        "data": activity.data,
    }


def _in(column: Any, values: set[str]) -> ColumnElement[bool]:
    # Never NULL (a NULL column reads as ""), so the negations below cannot turn an unknown into
    # "visible"; an empty list is plain false.
    return func.coalesce(column, "").in_(sorted(values)) if values else false()


def _draft_readable(context: Context, editor_orgs: set[str], collab_editor: set[str]) -> Any:
    """A condition on ``Dataset``: the caller may read it as a draft."""
    mine = _in(Dataset.creator_user_id, {context.user.id}) if context.user is not None else false()
    return or_(mine, _in(Dataset.owner_org, editor_orgs), _in(Dataset.id, collab_editor))


def visible_activity(context: Context) -> ColumnElement[bool]:
    """The condition on ``Activity`` rows the caller may see."""
    if context.is_sysadmin:
        return true()
    member_orgs = authz.member_organization_ids(context, "member")
    editor_orgs = authz.member_organization_ids(context, "editor")
    collab_member = authz.collaborations(context, "member")
    collab_editor = authz.collaborations(context, "editor")
    draft_readable = _draft_readable(context, editor_orgs, collab_editor)

    about_dataset = Dataset.id == Activity.object_id
    readable_now = or_(
        and_(Dataset.state == "active", Dataset.private.is_(False)),
        and_(
            Dataset.state == "active",
            or_(_in(Dataset.owner_org, member_orgs), _in(Dataset.id, collab_member)),
        ),
        and_(Dataset.state == "draft", draft_readable),
    )
    unreadable_dataset = exists().where(about_dataset, not_(readable_now))
    hidden_draft = exists().where(about_dataset, Dataset.state == "draft", not_(draft_readable))
    return or_(
        # The organisation's own members: everything recorded under it but drafts they may
        # not read.
        and_(_in(Activity.owner_org, member_orgs), not_(hidden_draft)),
        # A collaborator: the dataset's entries while they may read it.
        and_(
            _in(Activity.object_id, collab_member | collab_editor),
            not_(unreadable_dataset),
        ),
        # Everyone: public entries about something still readable.
        and_(Activity.permission_private.is_(False), not_(unreadable_dataset)),
    )


def can_see_activity(context: Context, activity: Activity) -> bool:
    if context.is_sysadmin:
        return True
    found = context.session.scalar(
        select(Activity.id).where(Activity.id == activity.id, visible_activity(context))
    )
    return found is not None
