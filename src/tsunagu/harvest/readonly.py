"""Harvested datasets are read-only here: their source is where they are edited.

The harvest records, for each dataset, the values it wrote for the fields the source controls
(``HarvestObject.managed``). A change by anyone else (staff through the API or the portal) that
would make one of those fields differ is refused inside the write (``dataset_saving``), so the
whole action rolls back. Fields the source's ``local_fields`` setting hands to staff, fields no
source gives (categories, a frequency the source does not state …), extras staff add beside the
source's own, and publishing decisions (private/public, deleting) stay with staff.

Trusted callers (the harvest itself, the CLI) act with ``ignore_auth`` and are not checked. A
deleted source lets go of its datasets: they become ordinary datasets.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from tsunagu.catalog.models import Dataset
from tsunagu.context import Context
from tsunagu.errors import ValidationError
from tsunagu.events import on_dataset_saving
from tsunagu.harvest.models import HarvestObject, HarvestSource

# Fields staff may be allowed to keep for themselves (the source's local_fields setting).
LOCAL_FIELD_CHOICES = (
    "notes",
    "tags",
    "url",
    "maintainer",
    "maintainer_email",
    "frequency",
    "spatial_codes",
    "temporal_start",
    "temporal_end",
    "contact_name",
    "contact_email",
    "contact_phone",
    "standard_id",
)
_COLUMNS = (
    "name",
    "owner_org",
    "title",
    "notes",
    "url",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "version",
    "license_id",
    "frequency",
    "temporal_start",
    "temporal_end",
    "contact_name",
    "contact_email",
    "contact_phone",
    "standard_id",
)
MESSAGE = (
    "収集したデータセットのため、この項目は収集元で変更してください "
    "(Harvested dataset: change this field at its source)"
)


def snapshot(dataset: Dataset, fields: Iterable[str], extra_keys: Iterable[str] = ()) -> dict:
    """The dataset's current values of ``fields``, in the form the harvest stores them."""
    out: dict[str, Any] = {}
    for field in fields:
        if field in _COLUMNS:
            out[field] = getattr(dataset, field) or ""
        elif field == "spatial_codes":
            out[field] = list(dataset.spatial_codes or [])
        elif field == "tags":
            out[field] = sorted(t.name for t in dataset.tags if not t.vocabulary_id)
        elif field == "extras":
            current = {e.key: e.value for e in dataset.extras}
            out[field] = {k: current.get(k) for k in extra_keys}
        elif field == "resources":
            out[field] = [
                [r.id, r.url, r.name, r.description, r.format]
                for r in sorted(dataset.resources, key=lambda r: r.position)
                if r.state == "active"
            ]
    return out


def changed_fields(dataset: Dataset, managed: dict[str, Any], local: Iterable[str]) -> list[str]:
    fields = [f for f in managed if f not in set(local)]
    extras = managed.get("extras") or {}
    now = snapshot(dataset, fields, extras.keys())
    return sorted(f for f in fields if now.get(f) != managed[f])


@on_dataset_saving
def keep_harvested_fields(context: Context, dataset: Dataset) -> None:
    if context.ignore_auth:
        return
    row = context.session.execute(
        select(HarvestObject.managed, HarvestSource.config)
        .join(HarvestSource, HarvestSource.id == HarvestObject.source_id)
        .where(HarvestObject.dataset_id == dataset.id, HarvestSource.state == "active")
        .limit(1)
    ).first()
    if row is None or not row.managed:
        return
    local = (row.config or {}).get("local_fields") or []
    changed = changed_fields(dataset, dict(row.managed), local)
    if changed:
        raise ValidationError({field: [MESSAGE] for field in changed})
