"""Checking many resources at once: after an upgrade, or when the standard schemas change."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from sqlalchemy import select

from tsunagu.catalog.models import Dataset, Resource
from tsunagu.context import Services
from tsunagu.quality.models import ResourceQuality
from tsunagu.quality.service import check_resource, is_checkable, signature


@dataclass(frozen=True)
class Checked:
    resource_id: str
    name: str
    status: str
    errors: int
    warnings: int
    pii_blocked: bool
    message: str = ""


def resources_to_check(
    services: Services, *, everything: bool = False, uploads_only: bool = False
) -> list[str]:
    """Ids of active checkable resources never checked, or checked on another file than now;
    `uploads_only` leaves out linked files (checking them means fetching them)."""
    with services.sessions() as session:
        # Only the columns the checks below read, and only the signatures of the reports: every
        # app process runs this at start, and loading whole Resource objects left about 130 MB
        # more in each process of a 30,000-dataset catalog (freed to Python's allocator, not to
        # the system).
        rows = session.execute(
            select(
                Resource.id,
                Resource.format,
                Resource.url_type,
                Resource.url,
                Resource.hash,
                ResourceQuality.signature,
            )
            .join(Dataset, Dataset.id == Resource.dataset_id)
            .outerjoin(ResourceQuality, ResourceQuality.resource_id == Resource.id)
            .where(Resource.state == "active", Dataset.state != "deleted")
            .order_by(Dataset.name, Resource.position)
        ).all()
        return [
            row.id
            for row in rows
            # The rows carry the attributes these functions read from a Resource.
            if is_checkable(cast(Resource, row))
            and not (uploads_only and row.url_type != "upload")
            and (everything or row.signature != signature(cast(Resource, row)))
        ]


def check_many(services: Services, resource_ids: list[str]) -> Iterator[Checked]:
    """Check each resource in its own transaction, so one bad file never stops the rest."""
    for resource_id in resource_ids:
        with services.sessions() as session:
            resource = session.get(Resource, resource_id)
            if resource is None:
                continue
            try:
                record = check_resource(services, session, resource)
                session.commit()
            except Exception as error:  # reported, and the batch goes on
                session.rollback()
                yield Checked(resource_id, resource.name, "error", 0, 0, False, str(error))
                continue
            summary = (record.report or {}).get("summary") or {}
            yield Checked(
                resource_id,
                resource.name,
                record.status,
                int(summary.get("error", 0)),
                int(summary.get("warning", 0)),
                record.pii_blocked,
                record.error,
            )
