"""bulk_update_private / bulk_update_public / bulk_update_delete: one organisation's datasets
changed together (CKAN's organisation bulk page).

As in CKAN, only an admin of the organisation (or a sysadmin) may, and only datasets that
organisation owns change; others named in ``datasets`` are left alone. Unlike CKAN's direct
UPDATE, each dataset that changes goes through ``datasets.touch`` like any other write: a new
revision (search and package_show show it at once), an activity entry, and the personal-data
guard, so a dataset holding blocked personal data is not made public by bulk either (the whole
call is then refused and nothing changes).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from tsunagu.catalog import authz
from tsunagu.catalog.datasets import touch
from tsunagu.catalog.lookup import by_id_or_name, require_id
from tsunagu.catalog.models import Dataset, Organization
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, ValidationError, require
from tsunagu.registry import action


def _targets(context: Context, data: dict[str, Any]) -> list[Dataset]:
    org = by_id_or_name(context.session, Organization, require_id(data, "org_id"), deleted=False)
    if not authz.has_role(context, org.id, "admin"):
        raise NotAuthorized(
            "組織のデータセットを一括変更できるのは組織の管理者だけです "
            "(User not authorized to update datasets of this organization)"
        )
    refs = data.get("datasets")
    if refs is None:
        refs = []
    if isinstance(refs, str):
        refs = [refs]
    if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
        raise ValidationError(
            {"datasets": ["データセット id のリストで指定してください (Must be a list of ids)"]}
        )
    if not refs:
        return []
    return list(
        context.session.scalars(
            select(Dataset)
            .where(
                or_(Dataset.id.in_(refs), Dataset.name.in_(refs)),
                Dataset.owner_org == org.id,
                Dataset.state != "deleted",
            )
            .order_by(Dataset.name)
        )
    )


def _apply(context: Context, datasets: list[Dataset], field: str, value: Any) -> None:
    refused: dict[str, list[str]] = {}
    for dataset in datasets:
        if getattr(dataset, field) == value:
            continue
        setattr(dataset, field, value)
        try:
            touch(context, dataset, "deleted package" if field == "state" else "changed package")
        except ValidationError as error:
            # Keep going so that the refusal names every dataset that cannot change; raising
            # below rolls the whole call back.
            for key, messages in error.errors.items():
                refused.setdefault(key, []).extend(f"{dataset.name}: {m}" for m in messages)
    require(refused)


@action("bulk_update_private", write=True)
def bulk_update_private(context: Context, data: dict[str, Any]) -> None:
    """Make datasets of one organisation private (its admins, sysadmins).

    :param datasets: dataset ids
    :param org_id: the organisation's id or name; datasets it does not own are left alone
    """
    _apply(context, _targets(context, data), "private", True)


@action("bulk_update_public", write=True)
def bulk_update_public(context: Context, data: dict[str, Any]) -> None:
    """Make datasets of one organisation public (its admins, sysadmins).

    :param datasets: dataset ids
    :param org_id: the organisation's id or name; datasets it does not own are left alone
    """
    _apply(context, _targets(context, data), "private", False)


@action("bulk_update_delete", write=True)
def bulk_update_delete(context: Context, data: dict[str, Any]) -> None:
    """Make datasets of one organisation deleted (its admins, sysadmins).

    :param datasets: dataset ids
    :param org_id: the organisation's id or name; datasets it does not own are left alone
    """
    _apply(context, _targets(context, data), "state", "deleted")
