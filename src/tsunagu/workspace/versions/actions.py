"""resource_version_list / resource_version_show: a resource's files, newest first.

Replacing a file is CKAN's own ``resource_update`` / ``resource_patch`` with a new ``upload``;
the earlier file is kept as a version by the listeners in service.py.
"""

from __future__ import annotations

from typing import Any

from tsunagu.catalog.access import readable_dataset
from tsunagu.catalog.lookup import require_id, resource_by_id
from tsunagu.context import Context
from tsunagu.registry import action
from tsunagu.workspace.versions.service import find_visible, version_dict, versions_of, visible


@action("resource_version_list")
def resource_version_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The uploaded files of a resource, newest (the current one) first, each with its download
    URL and, once its table was loaded, its rows, columns and what changed from the table
    published before it.

    The dataset's staff see every version; other readers see the current file and files that
    were public (a file replaced while the dataset was private or a draft stays with staff).

    :param id: the resource's id
    """
    resource = resource_by_id(context.session, require_id(data))
    readable_dataset(context, resource.dataset)
    return [
        version_dict(context, resource, version)
        for version in versions_of(context.session, resource.id)
        if visible(context, resource, version)
    ]


@action("resource_version_show")
def resource_version_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """One version of a resource's file.

    :param id: the version's id
    """
    version, resource = find_visible(context, require_id(data))
    return version_dict(context, resource, version)
