"""Turn catalog rows into the dictionaries CKAN clients expect.

Datasets are dictized in bulk with a handful of queries (not one per relation per dataset), because
the search index builds all of them at start-up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tsunagu.accounts.models import User
from tsunagu.catalog.foreign_fields import DATASET_COLUMNS, extras_as_list
from tsunagu.catalog.licenses import get_license
from tsunagu.catalog.metadata import frequency, freshness
from tsunagu.catalog.models import (
    Dataset,
    DatasetExtra,
    Group,
    Organization,
    Resource,
    Tag,
    dataset_group,
    dataset_tag,
)
from tsunagu.follows.models import Follow
from tsunagu.quality.rating import dataset_rating, rate_resource

_RESOURCE_FIELDS = (
    "id",
    "name",
    "description",
    "url_type",
    "format",
    "mimetype",
    "size",
    "hash",
    "position",
    "state",
)
_BATCH = 500


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def organization_summary(org: Organization) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "title": org.title,
        "display_name": org.title or org.name,
        "type": "organization",
        "description": org.description,
        "image_url": org.image_url,
        "created": iso(org.created),
        "is_organization": True,
        "approval_status": "approved",
        "state": org.state,
        "kind": org.kind,
        "local_gov_code": org.local_gov_code,
    }


def organization_dict(org: Organization, parent_name: str | None = None) -> dict[str, Any]:
    return {
        **organization_summary(org),
        "parent": parent_name,
        "contact_email": org.contact_email,
        "contact_phone": org.contact_phone,
        "url": org.url,
        "latitude": org.latitude,
        "longitude": org.longitude,
        "image_display_url": org.image_url,
        "num_followers": 0,
        "groups": [],
        "tags": [],
        "extras": extras_as_list(org.extras),
    }


def with_follower_counts(session: Session, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill in ``num_followers`` of organisation or group dicts with one grouped count (the
    followers ``*_follower_count`` counts: users not deleted)."""
    ids = [item["id"] for item in items]
    if not ids:
        return items
    counted = session.execute(
        select(Follow.object_id, func.count())
        .join(User, User.id == Follow.follower_id)
        .where(Follow.object_id.in_(ids), User.state != "deleted")
        .group_by(Follow.object_id)
    )
    counts: dict[str, int] = {object_id: count for object_id, count in counted}
    for item in items:
        item["num_followers"] = counts.get(item["id"], 0)
    return items


def group_summary(group: Group) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "title": group.title,
        "display_name": group.title or group.name,
        "description": group.description,
        "image_display_url": group.image_url,
    }


def group_dict(group: Group) -> dict[str, Any]:
    return {
        **group_summary(group),
        "type": "group",
        "image_url": group.image_url,
        "created": iso(group.created),
        "is_organization": False,
        "approval_status": "approved",
        "state": group.state,
        "num_followers": 0,
        "groups": [],
        "tags": [],
        "extras": extras_as_list(group.extras),
    }


def resource_url(site_url: str, dataset_id: str, resource: Resource) -> str:
    if resource.url_type == "datastore":
        return f"{site_url}/datastore/dump/{resource.id}"
    if resource.url_type != "upload":
        return resource.url
    filename = resource.url.rsplit("/", 1)[-1] or "file"
    return f"{site_url}/dataset/{dataset_id}/resource/{resource.id}/download/{quote(filename)}"


def resource_dict(
    resource: Resource, site_url: str, license_open: bool | None = None
) -> dict[str, Any]:
    """A resource as CKAN shows it; with `license_open` known, also its quality rating."""
    data: dict[str, Any] = {key: getattr(resource, key) for key in _RESOURCE_FIELDS}
    extras = resource.extras or {}
    data.update(
        {
            "package_id": resource.dataset_id,
            "url": resource_url(site_url, resource.dataset_id, resource),
            "last_modified": iso(resource.last_modified),
            "created": iso(resource.created),
            "metadata_modified": iso(resource.metadata_modified),
            "datastore_active": bool(extras.get("datastore_active", False)),
        }
    )
    # Extra keys a client sent are echoed back at top level, as CKAN does.
    for key, value in extras.items():
        if key != "quality":
            data.setdefault(key, value)
    if license_open is not None:
        data["quality"] = rate_resource(
            extras.get("quality"), license_open, resource.format, resource.url_type
        )
    return data


def package_dicts(
    session: Session, dataset_ids: Sequence[str], site_url: str
) -> dict[str, dict[str, Any]]:
    """Package dicts for many datasets at once, keyed by id."""
    result: dict[str, dict[str, Any]] = {}
    for start in range(0, len(dataset_ids), _BATCH):
        batch = list(dataset_ids[start : start + _BATCH])
        datasets = session.scalars(select(Dataset).where(Dataset.id.in_(batch))).all()
        result.update(_dictize_batch(session, datasets, site_url))
    return result


def package_dict(session: Session, dataset: Dataset, site_url: str) -> dict[str, Any]:
    return _dictize_batch(session, [dataset], site_url)[dataset.id]


def _dictize_batch(
    session: Session, datasets: Iterable[Dataset], site_url: str
) -> dict[str, dict[str, Any]]:
    datasets = list(datasets)
    ids = [d.id for d in datasets]
    if not ids:
        return {}
    org_ids = {d.owner_org for d in datasets if d.owner_org}
    orgs = {
        o.id: organization_summary(o)
        for o in session.scalars(select(Organization).where(Organization.id.in_(org_ids)))
    }
    tags: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for dataset_id, tag_id, tag_name, vocabulary_id in session.execute(
        select(dataset_tag.c.dataset_id, Tag.id, Tag.name, Tag.vocabulary_id)
        .join(Tag, Tag.id == dataset_tag.c.tag_id)
        .where(dataset_tag.c.dataset_id.in_(ids))
        .order_by(Tag.name, Tag.vocabulary_id)
    ):
        tags[dataset_id].append(
            {
                "id": tag_id,
                "name": tag_name,
                "display_name": tag_name,
                "state": "active",
                # As CKAN: the vocabulary's id for a vocabulary tag, null for a free tag.
                "vocabulary_id": vocabulary_id or None,
            }
        )
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for dataset_id, group in session.execute(
        select(dataset_group.c.dataset_id, Group)
        .join(Group, Group.id == dataset_group.c.group_id)
        .where(dataset_group.c.dataset_id.in_(ids), Group.state == "active")
        .order_by(Group.name)
    ):
        groups[dataset_id].append(group_summary(group))
    extras: dict[str, list[dict[str, str]]] = defaultdict(list)
    for extra in session.scalars(
        select(DatasetExtra).where(DatasetExtra.dataset_id.in_(ids)).order_by(DatasetExtra.key)
    ):
        extras[extra.dataset_id].append({"key": extra.key, "value": extra.value})
    resources: dict[str, list[Resource]] = defaultdict(list)
    for resource in session.scalars(
        select(Resource)
        .where(Resource.dataset_id.in_(ids), Resource.state == "active")
        .order_by(Resource.dataset_id, Resource.position)
    ):
        resources[resource.dataset_id].append(resource)

    out: dict[str, dict[str, Any]] = {}
    for dataset in datasets:
        license = get_license(dataset.license_id)
        license_open = bool(license and license.is_open)
        resource_dicts = [resource_dict(r, site_url, license_open) for r in resources[dataset.id]]
        stars, score = dataset_rating(
            (r["quality"]["stars"], r["quality"]["score"]) for r in resource_dicts
        )
        data: dict[str, Any] = {key: getattr(dataset, key) for key in DATASET_COLUMNS}
        last_update = freshness.last_data_update(
            ((r.last_modified, r.created) for r in resources[dataset.id]),
            dataset.metadata_modified,
        )
        data.update(
            {
                "frequency_label": frequency.label(dataset.frequency),
                "frequency_uri": frequency.uri(dataset.frequency),
                "spatial_codes": list(dataset.spatial_codes or []),
                "next_update_due": freshness.next_update_due(dataset.frequency, last_update),
                "license_title": license.title if license else dataset.license_id,
                "license_url": license.url if license else "",
                "isopen": license_open,
                "metadata_created": iso(dataset.metadata_created),
                "metadata_modified": iso(dataset.metadata_modified),
                "organization": orgs.get(dataset.owner_org) if dataset.owner_org else None,
                "tags": tags[dataset.id],
                "groups": groups[dataset.id],
                "extras": extras[dataset.id],
                "resources": resource_dicts,
                "num_tags": len(tags[dataset.id]),
                "num_resources": len(resource_dicts),
                "quality_stars": stars,
                "quality_score": score,
                "relationships_as_object": [],
                "relationships_as_subject": [],
            }
        )
        out[dataset.id] = data
    return out
