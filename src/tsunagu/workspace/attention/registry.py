"""The 要対応 sources: each capability contributes the lines it knows how to find.

A source is a function of a scope that returns a ``Line`` (or None when it has nothing to say
for that scope, e.g. standard datasets for an organisation that is not a municipality). It
registers itself with ``@attention_source`` in its own module, and the module is named in
``SOURCE_MODULES``; the list is imported on first use, like ``registry.ACTION_MODULES``, so a
capability adds a line to the staff home without the workspace importing it (its module
imports this one, never the other way round).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from tsunagu.workspace.attention.scope import Line, Scope

Collect = Callable[[Scope], Line | None]


@dataclass(frozen=True)
class Source:
    kind: str  # stable code, the key in the API answer
    label: str  # the line's heading (Japanese; the message id of its English)
    order: int  # position on the page: what blocks publishing first
    collect: Collect
    # Every item message it may give (Japanese with {placeholders}): the portal's translation
    # catalog lists them (scripts/extract_messages.py reads them here).
    messages: tuple[str, ...] = ()


# Every module that registers a source; importing one registers it.
SOURCE_MODULES = (
    "tsunagu.workspace.attention.personal_data",
    "tsunagu.workspace.attention.ingest",
    "tsunagu.workspace.attention.quality_errors",
    "tsunagu.workspace.attention.drafts",
    "tsunagu.workspace.attention.freshness",
    "tsunagu.workspace.attention.rating",
    "tsunagu.workspace.attention.standards",
    "tsunagu.community.attention",
    "tsunagu.harvest.attention",
)

_SOURCES: dict[str, Source] = {}
_loaded = False


def attention_source(
    kind: str, *, label: str, order: int, messages: tuple[str, ...] = ()
) -> Callable[[Collect], Collect]:
    def register(collect: Collect) -> Collect:
        _SOURCES[kind] = Source(kind, label, order, collect, messages)
        return collect

    return register


def sources() -> list[Source]:
    """Every registered source, in page order."""
    global _loaded
    if not _loaded:
        _loaded = True
        for module in SOURCE_MODULES:
            importlib.import_module(module)
    return sorted(_SOURCES.values(), key=lambda s: (s.order, s.kind))
