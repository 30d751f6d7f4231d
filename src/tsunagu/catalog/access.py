"""Dataset access checks shared by every action that reads or changes a dataset or its data."""

from __future__ import annotations

from tsunagu.catalog import authz
from tsunagu.catalog.lookup import by_id_or_name
from tsunagu.catalog.models import Dataset
from tsunagu.catalog.revision import lock_for_update
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound


def readable_dataset(context: Context, dataset: Dataset) -> Dataset:
    if not authz.can_read_dataset(
        context,
        dataset.owner_org,
        dataset.private,
        dataset.state,
        dataset.creator_user_id,
        dataset.id,
    ):
        # Hiding existence: a private dataset looks the same as a missing one to outsiders.
        if dataset.state == "deleted" or not context.user:
            raise NotFound("データセットが見つかりません (Dataset not found)")
        # No name in the message: asked by id, the name itself would be a leak.
        raise NotAuthorized(
            "このデータセットを見る権限がありません (Not authorized to read this package)"
        )
    return dataset


def editable_dataset(context: Context, ref: str, *, lock: bool = True) -> Dataset:
    """The dataset, if the caller may change it; by default locked for the change.

    The lock makes concurrent writes to one dataset take turns, so each one reads the dataset's
    tags, extras, resources and datastore table as the previous one left them (two patches
    adding the same extra would otherwise both insert it). Pure permission checks pass
    ``lock=False``.
    """
    dataset = by_id_or_name(context.session, Dataset, ref)
    if lock:
        lock_for_update(context.session, dataset)
    if dataset.state == "deleted" and not context.is_sysadmin:
        raise NotFound("データセットが見つかりません (Dataset not found)")
    readable_dataset(context, dataset)
    if not (
        # An editor-collaborator edits (and, as in CKAN, deletes) the dataset too; moving it to
        # another organisation needs organisation rights (see package_update).
        authz.has_dataset_role(context, dataset.owner_org, dataset.id, "editor")
        or (
            dataset.state == "draft" and context.user and context.user.id == dataset.creator_user_id
        )
    ):
        raise NotAuthorized(
            f"このデータセットを編集する権限がありません (User not authorized to "
            f"edit package {dataset.name})"
        )
    return dataset
