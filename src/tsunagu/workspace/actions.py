"""Bulk actions of the staff workspace that CKAN has no action for: moving datasets to another
organisation, adding or removing categories and tags, re-running the quality checks; and
``bulk_update_preview``, which says what any bulk change would do (the confirmation page).

Unlike CKAN's bulk_update_* (all or nothing, one organisation), these take any selection: each
dataset the caller may not change is skipped and listed with the reason, the others change (see
workspace/bulk.py). A call where the caller may change none of the datasets is refused (403).
"""

from __future__ import annotations

from typing import Any

from tsunagu.catalog import authz
from tsunagu.catalog.lookup import require_id
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized
from tsunagu.registry import action
from tsunagu.workspace import bulk
from tsunagu.workspace.bulk_operations import operation_for


def _run(context: Context, operation: str, data: dict[str, Any]) -> dict[str, Any]:
    authz.require_login(context)
    refs = bulk.selection(data)
    outcome = bulk.run(context, operation_for(context, operation, data), refs)
    if outcome.refused_entirely():
        raise NotAuthorized(
            "選んだデータセットを変更する権限がありません "
            "(User not authorized to change any of these datasets)"
        )
    return outcome.as_dict()


@action("bulk_update_owner_org", write=True)
def bulk_update_owner_org(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Move datasets to another organisation (editors of both organisations).

    :param datasets: dataset ids or names
    :param owner_org: the target organisation's id or name
    :returns: ``changed``, ``unchanged`` and ``skipped`` datasets
    """
    return _run(context, "owner_org", data)


@action("bulk_update_groups", write=True)
def bulk_update_groups(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Add datasets to categories (groups) and take them out of others (dataset editors).

    :param datasets: dataset ids or names
    :param add: group ids or names to add the datasets to
    :param remove: group ids or names to take the datasets out of
    :returns: ``changed``, ``unchanged`` and ``skipped`` datasets
    """
    return _run(context, "groups", data)


@action("bulk_update_tags", write=True)
def bulk_update_tags(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Add free tags to datasets and take others off (dataset editors).

    :param datasets: dataset ids or names
    :param add: tag names to add
    :param remove: tag names to take off
    :returns: ``changed``, ``unchanged`` and ``skipped`` datasets
    """
    return _run(context, "tags", data)


@action("bulk_validation_run", write=True)
def bulk_validation_run(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Queue the quality checks of the datasets' tables again (dataset editors).

    :param datasets: dataset ids or names
    :returns: ``changed`` (datasets whose checks were queued, with the files), ``unchanged``
        (no table to check) and ``skipped`` datasets
    """
    return _run(context, "validation", data)


@action("bulk_update_preview")
def bulk_update_preview(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """What a bulk change would do now, without doing it.

    :param operation: ``public``, ``private``, ``delete`` (bulk_update_*), ``owner_org``,
        ``groups``, ``tags`` or ``validation``
    :param datasets: dataset ids or names
    :returns: ``changed`` (would change, and how), ``unchanged`` and ``skipped`` (with why)
    """
    authz.require_login(context)
    operation = operation_for(context, require_id(data, "operation"), data)
    return bulk.preview(context, operation, bulk.selection(data)).as_dict()
