"""Which resources feed each layer: public ones only, with points.

A resource feeds a standard layer when its file's check found that standard (the resource's
``quality.standard``), or, when the check found none or has not run, when its dataset declares
it (``standard_id``). It has points when its datastore table has latitude and longitude columns,
or when it is an uploaded GeoJSON file. A GeoJSON file counts only for a dataset with no other
table with points in the layer (the demo's 下関市 publishes its shelters as CSV and GeoJSON: one
copy, not two). A staff layer takes every
resource with points of its datasets. Private, draft and deleted datasets, and datasets of a
deleted organisation, feed no layer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from tsunagu.catalog.models import Dataset, Organization, Resource
from tsunagu.datastore.ingest.infer import point_columns
from tsunagu.datastore.models import DatastoreTable
from tsunagu.maps.registry import STANDARD, LayerSpec

GEOJSON_FORMATS = frozenset({"geojson", "geo+json", "application/geo+json"})


@dataclass(frozen=True)
class Source:
    resource_id: str
    resource_name: str
    position: int
    dataset_id: str
    dataset_name: str
    dataset_title: str
    dataset_revision: int
    org_id: str | None
    org_name: str
    org_title: str
    org_code: str  # 全国地方公共団体コード of the publisher ("" when it has none)
    standard: str  # the standard the resource follows ("" for none)
    # A datastore table with points, or else an uploaded GeoJSON file.
    table_name: str | None
    table_fields: tuple[str, ...]
    table_modified: datetime | None
    storage_key: str
    file_hash: str
    is_geojson: bool  # the file is GeoJSON (read into a table or not)

    @property
    def is_table(self) -> bool:
        return self.table_name is not None

    def key(self) -> str:
        """What changes when the points may have: the dataset's revision (any change to it or
        its resources), the table's last load, the file."""
        modified = self.table_modified.isoformat() if self.table_modified else ""
        return (
            f"{self.resource_id}|{self.dataset_revision}|{modified}|{self.file_hash}|"
            f"{self.storage_key}|{self.org_title}|{self.org_code}"
        )


def _standard_of(resource: Resource, dataset: Dataset) -> str:
    quality = (resource.extras or {}).get("quality")
    found = quality.get("standard") if isinstance(quality, dict) else None
    return str(found or dataset.standard_id or "")


def _is_geojson(resource: Resource) -> bool:
    return (
        resource.format.strip().lower() in GEOJSON_FORMATS
        or resource.storage_key.lower().endswith(".geojson")
    )


def public_sources(session: Session, dataset_ids: set[str] | None = None) -> list[Source]:
    """Every active resource of a public, active dataset that has points, with what identifies
    its content; only the datasets named when `dataset_ids` is given."""
    public = and_(
        Dataset.private.is_(False),
        Dataset.state == "active",
        Resource.state == "active",
        or_(Organization.id.is_(None), Organization.state == "active"),
    )
    stmt = (
        select(Resource, Dataset, Organization, DatastoreTable)
        .join(Dataset, Resource.dataset_id == Dataset.id)
        .outerjoin(Organization, Dataset.owner_org == Organization.id)
        .outerjoin(DatastoreTable, DatastoreTable.resource_id == Resource.id)
        .where(public)
        .where(
            or_(
                DatastoreTable.resource_id.is_not(None),
                Resource.url_type == "upload",
            )
        )
        .order_by(Organization.local_gov_code, Dataset.name, Resource.position, Resource.id)
    )
    if dataset_ids is not None:
        stmt = stmt.where(Dataset.id.in_(sorted(dataset_ids)))
    found: list[Source] = []
    for resource, dataset, org, table in session.execute(stmt):
        columns = tuple(str(f["id"]) for f in (table.fields if table is not None else []))
        with_points = table is not None and point_columns(columns) is not None
        geojson = _is_geojson(resource)
        if not with_points and not (geojson and resource.url_type == "upload"):
            continue
        found.append(
            Source(
                resource_id=resource.id,
                resource_name=resource.name,
                position=resource.position,
                dataset_id=dataset.id,
                dataset_name=dataset.name,
                dataset_title=dataset.title or dataset.name,
                dataset_revision=int(dataset.revision or 0),
                org_id=org.id if org is not None else None,
                org_name=org.name if org is not None else "",
                org_title=(org.title or org.name) if org is not None else "",
                org_code=(org.local_gov_code or "") if org is not None else "",
                standard=_standard_of(resource, dataset),
                table_name=table.table_name if with_points and table is not None else None,
                table_fields=columns if with_points else (),
                table_modified=table.modified if with_points and table is not None else None,
                storage_key=resource.storage_key,
                file_hash=resource.hash,
                is_geojson=geojson,
            )
        )
    return found


def _one_copy(sources: list[Source]) -> list[Source]:
    """A dataset's GeoJSON only when it has no other table with points here: the same points
    published as CSV and GeoJSON are one copy (the CSV keeps every column)."""
    with_tables = {s.dataset_id for s in sources if s.is_table and not s.is_geojson}
    return [s for s in sources if not s.is_geojson or s.dataset_id not in with_tables]


def sources_by_layer(session: Session, specs: list[LayerSpec]) -> dict[str, list[Source]]:
    """The sources of every layer in `specs`, read with one query for the standard layers and
    one for the staff layers' datasets."""
    out: dict[str, list[Source]] = {spec.name: [] for spec in specs}
    standard_names = {spec.name for spec in specs if spec.kind == STANDARD}
    if standard_names:
        for source in public_sources(session):
            if source.standard in standard_names:
                out[source.standard].append(source)
    staff = [spec for spec in specs if spec.kind != STANDARD]
    wanted = {dataset_id for spec in staff for dataset_id in spec.dataset_ids}
    if wanted:
        by_dataset: dict[str, list[Source]] = {}
        for source in public_sources(session, wanted):
            by_dataset.setdefault(source.dataset_id, []).append(source)
        for spec in staff:
            out[spec.name] = [s for d in spec.dataset_ids for s in by_dataset.get(d, [])]
    return {name: _one_copy(found) for name, found in out.items()}


def signature(spec: LayerSpec, sources: list[Source]) -> str:
    digest = hashlib.sha256(spec.definition().encode())
    for source in sources:
        digest.update(b"\n" + source.key().encode())
    return digest.hexdigest()[:40]
