"""The action registry: every capability is a named action that API, web and CLI all call."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from tsunagu.context import Context
from tsunagu.errors import NotFound

DataDict = dict[str, Any]
Action = Callable[[Context, DataDict], Any]

_ACTIONS: dict[str, Action] = {}
# Actions that change state must be called with POST over HTTP (as in CKAN).
_WRITE_ACTIONS: set[str] = set()


def action(name: str, *, write: bool = False) -> Callable[[Action], Action]:
    def register(fn: Action) -> Action:
        _ACTIONS[name] = fn
        if write:
            _WRITE_ACTIONS.add(name)
        return fn

    return register


# Every module that registers actions; importing one registers its actions.
ACTION_MODULES = (
    "tsunagu.accounts.actions",
    "tsunagu.catalog.actions.activity",
    "tsunagu.catalog.actions.activity_items",
    "tsunagu.catalog.actions.bulk",
    "tsunagu.catalog.actions.collaborators",
    "tsunagu.catalog.actions.config",
    "tsunagu.catalog.actions.groups",
    "tsunagu.catalog.actions.members",
    "tsunagu.catalog.actions.organizations",
    "tsunagu.catalog.actions.packages",
    "tsunagu.catalog.actions.purge",
    "tsunagu.catalog.actions.resource_search",
    "tsunagu.catalog.actions.resources",
    "tsunagu.catalog.actions.revise",
    "tsunagu.catalog.actions.site",
    "tsunagu.catalog.actions.tags",
    "tsunagu.catalog.actions.unsupported",
    "tsunagu.catalog.actions.views",
    "tsunagu.catalog.actions.vocabularies",
    "tsunagu.catalog.metadata.actions",
    "tsunagu.community.request_actions",
    "tsunagu.community.showcase_actions",
    "tsunagu.datastore.actions.read",
    "tsunagu.datastore.actions.write",
    "tsunagu.disaster.actions",
    "tsunagu.follows.actions",
    "tsunagu.follows.dashboard",
    "tsunagu.follows.digest",
    "tsunagu.harvest.actions",
    "tsunagu.jobs.actions",
    "tsunagu.maps.actions",
    "tsunagu.maps.choropleth",
    "tsunagu.metrics.actions",
    "tsunagu.plan.actions",
    "tsunagu.quality.actions",
    "tsunagu.usage.actions",
    "tsunagu.workspace.batch.actions",
    "tsunagu.workspace.actions",
    "tsunagu.workspace.attention.actions",
    "tsunagu.workspace.versions.actions",
)
_loaded = False


def _load() -> None:
    # Kept here so importers get a full registry even when some action module was imported
    # directly first.
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in ACTION_MODULES:
        importlib.import_module(module)


def get_action(name: str) -> Action:
    _load()
    try:
        return _ACTIONS[name]
    except KeyError:
        raise NotFound(f"アクションが見つかりません (Action name not known: {name})") from None


def is_write_action(name: str) -> bool:
    return name in _WRITE_ACTIONS


def action_names() -> list[str]:
    _load()
    return sorted(_ACTIONS)


def call_action(name: str, context: Context, data: DataDict | None = None) -> Any:
    return get_action(name)(context, dict(data or {}))
