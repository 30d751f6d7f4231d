"""dataset_purge, group_purge, organization_purge: removing things for good (sysadmins only).

Unlike *_delete (a state change that can be undone), a purge deletes the rows. For a dataset
that is also its resources, their datastore tables (through ``events.resource_deleted``, as the
datastore listens for it), every file ever uploaded for them, its collaborators, follows and
activity, and its search index entry (through a ``purged_dataset`` record that every process's
index reads like any other change).

The activity history goes too. CKAN leaves it (with a TODO to remove it), but each entry holds a
full copy of the dataset: a purge, often done to take back data published by mistake, would
otherwise leave that data readable in the history.

Files are deleted only after the transaction commits, so a purge that fails loses nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, event, func, select, update
from sqlalchemy.orm import Session

from tsunagu.catalog import authz
from tsunagu.catalog.actions.groups import restamp_members
from tsunagu.catalog.lookup import by_id_or_name, require_id
from tsunagu.catalog.models import (
    Activity,
    Dataset,
    Group,
    Organization,
    PurgedDataset,
    dataset_group,
)
from tsunagu.catalog.resources import storage_folder
from tsunagu.catalog.revision import bump_revision, lock_dataset
from tsunagu.context import Context
from tsunagu.errors import NotFound, ValidationError
from tsunagu.events import resource_deleted
from tsunagu.follows.models import Follow
from tsunagu.registry import action

_FOLDERS_TO_DELETE = "tsunagu.purge.folders"


@event.listens_for(Session, "after_commit")
def _delete_files_after_commit(session: Session) -> None:
    for files, folder in session.info.pop(_FOLDERS_TO_DELETE, []):
        files.delete_folder(folder)


@event.listens_for(Session, "after_rollback")
def _keep_files_after_rollback(session: Session) -> None:
    session.info.pop(_FOLDERS_TO_DELETE, None)


def _delete_after_commit(context: Context, folder: str) -> None:
    context.session.info.setdefault(_FOLDERS_TO_DELETE, []).append((context.services.files, folder))


def _forget(context: Context, object_id: str) -> None:
    """Follows and activity of an object that no longer exists."""
    context.session.execute(delete(Follow).where(Follow.object_id == object_id))
    context.session.execute(delete(Activity).where(Activity.object_id == object_id))


@action("dataset_purge", write=True)
def dataset_purge(context: Context, data: dict[str, Any]) -> None:
    """Remove a dataset for good with its resources, datastore tables, stored files, activity and
    search entry (sysadmins). Cannot be undone.

    :param id: dataset id or name
    """
    ref = require_id(data)
    dataset = context.session.scalar(
        select(Dataset).where((Dataset.id == ref) | (Dataset.name == ref))
    )
    if dataset is None:
        raise NotFound(f"データセットが見つかりません: {ref} (Dataset was not found)")
    authz.require_sysadmin(context)
    # The dataset row before the revision counter, as every writer takes them (lock_dataset):
    # a file check finishing meanwhile holds the row and wants the counter.
    if lock_dataset(context.session, dataset.id) is None:
        raise NotFound(f"データセットが見つかりません: {ref} (Dataset was not found)")
    for resource in dataset.resources:
        # The datastore drops the resource's table and cancels its queued ingests.
        resource_deleted(context, resource)
        _delete_after_commit(context, storage_folder(resource.id))
    _forget(context, dataset.id)
    context.session.add(
        PurgedDataset(dataset_id=dataset.id, revision=bump_revision(context.session))
    )
    context.session.flush()
    # Resources go with the row (ORM cascade); collaborators, usage counts, quality reports,
    # views and ingest jobs by their foreign keys.
    context.session.delete(dataset)
    context.session.flush()


@action("group_purge", write=True)
def group_purge(context: Context, data: dict[str, Any]) -> None:
    """Remove a group for good; its datasets stay, outside it."""
    ref = require_id(data)
    try:
        group = by_id_or_name(context.session, Group, ref)
    except NotFound:
        raise NotFound(f"グループが見つかりません: {ref} (Group was not found)") from None
    authz.require_sysadmin(context)
    restamp_members(context, group.id)
    context.session.execute(delete(dataset_group).where(dataset_group.c.group_id == group.id))
    _forget(context, group.id)
    context.session.delete(group)  # its members' roles go by foreign key
    context.session.flush()
    authz.forget_capacities(context)


def _refuse_if_plans(context: Context, org_id: str) -> None:
    """A plan (plan/) belongs to its organisation: purging the organisation would lose it.
    Its deleted plans go with it (their history stays in the activity stream)."""
    from tsunagu.plan.models import Plan

    plans = context.session.scalar(
        select(func.count())
        .select_from(Plan)
        .where(Plan.owner_org == org_id, Plan.state != "deleted")
    )
    if not plans:
        context.session.execute(delete(Plan).where(Plan.owner_org == org_id))
        return
    raise ValidationError(
        {
            "id": [
                f"この組織の計画が {plans} 件あるため完全削除できません。計画の所管組織を"
                "変えるか、計画を削除してください "
                "(Organization cannot be purged while it owns plans)"
            ]
        }
    )


@action("organization_purge", write=True)
def organization_purge(context: Context, data: dict[str, Any]) -> None:
    """Remove an organisation for good. As CKAN without unowned datasets: refused while it
    still has datasets that are not deleted; its deleted ones are left without an owner."""
    ref = require_id(data)
    try:
        org = by_id_or_name(context.session, Organization, ref)
    except NotFound:
        raise NotFound(f"組織が見つかりません: {ref} (Organization was not found)") from None
    authz.require_sysadmin(context)
    remaining = context.session.scalar(
        select(func.count())
        .select_from(Dataset)
        .where(Dataset.owner_org == org.id, Dataset.state != "deleted")
    )
    if remaining:
        raise ValidationError(
            {
                "id": [
                    f"データセットが {remaining} 件残っているため完全削除できません "
                    "(Organization cannot be purged while it still has datasets)"
                ]
            }
        )
    _refuse_if_plans(context, org.id)
    context.session.execute(
        update(Dataset).where(Dataset.owner_org == org.id).values(owner_org=None)
    )
    context.session.execute(
        update(Organization).where(Organization.parent_id == org.id).values(parent_id=None)
    )
    _forget(context, org.id)
    context.session.delete(org)  # its members' roles go by foreign key
    context.session.flush()
    authz.forget_capacities(context)
