"""In-process notifications between capabilities, so the catalog need not import the datastore.

Listeners run inside the action's transaction: whatever they write commits or rolls back with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tsunagu.catalog.models import Resource
    from tsunagu.context import Context

ResourceListener = Callable[["Context", "Resource"], None]
_resource_saved: list[ResourceListener] = []


def on_resource_saved(listener: ResourceListener) -> ResourceListener:
    if listener not in _resource_saved:
        _resource_saved.append(listener)
    return listener


_resource_deleted: list[ResourceListener] = []


def resource_saved(context: Context, resource: Resource) -> None:
    for listener in _resource_saved:
        listener(context, resource)


def on_resource_deleted(listener: ResourceListener) -> ResourceListener:
    if listener not in _resource_deleted:
        _resource_deleted.append(listener)
    return listener


def resource_deleted(context: Context, resource: Resource) -> None:
    for listener in _resource_deleted:
        listener(context, resource)
