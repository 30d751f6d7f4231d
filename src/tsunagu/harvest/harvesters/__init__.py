"""Harvesters by source kind. Each module registers its class with ``register`` when imported;
``KINDS`` names the modules, so adding a kind is one module and one line here."""

from __future__ import annotations

import importlib

from tsunagu.errors import ValidationError
from tsunagu.harvest.protocol import Harvester

# kind → module holding its harvester (imported on first use).
KINDS = {
    "ckan": "tsunagu.harvest.harvesters.ckan",
    "dcat": "tsunagu.harvest.harvesters.dcat",
    "opendata_list": "tsunagu.harvest.harvesters.opendata_list",
}
_REGISTERED: dict[str, type[Harvester]] = {}


def register(cls: type[Harvester]) -> type[Harvester]:
    _REGISTERED[cls.kind] = cls
    return cls


def available() -> dict[str, type[Harvester]]:
    """Every kind whose module is present (a kind still being written is left out)."""
    for kind, module in KINDS.items():
        if kind not in _REGISTERED:
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as error:
                if error.name != module:
                    raise
    return dict(_REGISTERED)


def harvester_for(kind: str) -> Harvester:
    found = available().get(kind)
    if found is None:
        known = "、".join(sorted(available()))
        raise ValidationError(
            {"source_type": [f"不明な種類です: {kind}（{known} のいずれか） (Unknown source type)"]}
        )
    return found()
