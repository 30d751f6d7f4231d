"""Resource versions: every uploaded file is kept, numbered, with what changed in its table.

How the pieces meet:

* ``resource_saved`` (inside the action that stored a new upload): the new file becomes the
  resource's next version, and the dataset's activity entry for that change names it, so the
  history shows "第 2 版に差し替え".
* ``dataset_saving``: while a dataset is public, its current files are marked as seen by the
  public; only such files are offered to the public as earlier versions (a file replaced while
  the dataset was a draft or private, perhaps because it held personal data, stays with staff).
* ``table_staged`` (in the ingest worker, before the swap): the new file's staging table is
  compared with the published one (changes.py) and the summary is stored with the version.
* ``ingest_finished``: the version records whether its table was published or why not; a failed
  ingest leaves the earlier table published, and the version says so. ``datastore_changed`` with
  no table (deleted or withdrawn) leaves no version live.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select, update

from tsunagu.catalog import authz
from tsunagu.catalog.access import readable_dataset
from tsunagu.catalog.dictize import iso
from tsunagu.catalog.models import Activity, Dataset, Resource
from tsunagu.catalog.revision import lock_dataset
from tsunagu.context import Context, Services
from tsunagu.datastore.jobs import is_tabular, latest_job
from tsunagu.datastore.models import DatastoreTable
from tsunagu.errors import NotFound
from tsunagu.events import (
    IngestOutcome,
    StagedTable,
    on_dataset_saving,
    on_datastore_changed,
    on_ingest_finished,
    on_resource_saved,
    on_table_staged,
)
from tsunagu.quality.models import ResourceQuality
from tsunagu.quality.standards import (
    Standard,
    UnknownStandard,
    get_standard,
    guess_standard,
    map_columns,
)
from tsunagu.storage.types import utcnow
from tsunagu.workspace.versions import changes
from tsunagu.workspace.versions.models import ResourceVersion

log = logging.getLogger(__name__)

# The field of the standard data sets that identifies a row.
STANDARD_ID_FIELD = "ID"
# Where staff declare the standard a resource follows (quality.service.STANDARD_KEY).
_DECLARED_STANDARD = "standard"


# -- recording uploads ---------------------------------------------------------------------


def versions_of(session: Any, resource_id: str) -> list[ResourceVersion]:
    """A resource's versions, newest first."""
    return list(
        session.scalars(
            select(ResourceVersion)
            .where(ResourceVersion.resource_id == resource_id)
            .order_by(ResourceVersion.number.desc())
        )
    )


def _version_of_file(session: Any, resource_id: str, storage_key: str) -> ResourceVersion | None:
    if not storage_key:
        return None
    return session.scalars(
        select(ResourceVersion).where(
            ResourceVersion.resource_id == resource_id,
            ResourceVersion.storage_key == storage_key,
        )
    ).first()


def is_public(dataset: Dataset) -> bool:
    return dataset.state == "active" and not dataset.private


@on_resource_saved
def _keep_upload(context: Context, resource: Resource) -> None:
    """A resource now holding a file it never held before gets it as its next version."""
    if resource.url_type != "upload" or not resource.storage_key:
        return
    session = context.session
    if _version_of_file(session, resource.id, resource.storage_key) is not None:
        return  # the same file saved again (metadata changed, or the whole package re-sent)
    dataset = resource.dataset
    newest = session.scalar(
        select(func.max(ResourceVersion.number)).where(ResourceVersion.resource_id == resource.id)
    )
    version = ResourceVersion(
        resource_id=resource.id,
        number=int(newest or 0) + 1,
        storage_key=resource.storage_key,
        filename=resource.url.rsplit("/", 1)[-1],
        format=resource.format,
        mimetype=resource.mimetype,
        size=resource.size,
        hash=resource.hash,
        uploaded_by=context.user.id if context.user else None,
        uploaded=resource.last_modified or utcnow(),
        public=is_public(dataset),
        ingest_status="pending" if is_tabular(resource) else "",
    )
    session.add(version)
    session.flush()
    _note_in_history(context, dataset, resource, version)


def _note_in_history(
    context: Context, dataset: Dataset, resource: Resource, version: ResourceVersion
) -> None:
    """Name the new version in the activity entry of the change that brought it.

    Every action that stores a file records the dataset's activity (datasets.touch) just before
    announcing the resource, under the dataset's lock, so the newest entry for the dataset is
    that change's own.
    """
    activity = context.session.scalars(
        select(Activity)
        .where(Activity.object_id == dataset.id)
        .order_by(Activity.timestamp.desc())
        .limit(1)
    ).first()
    if activity is None or not activity.activity_type.endswith(" package"):
        return
    data = dict(activity.data or {})
    data["resource_versions"] = [
        *(data.get("resource_versions") or []),
        {
            "resource_id": resource.id,
            "resource_name": resource.name,
            "version_id": version.id,
            "number": version.number,
            "filename": version.filename,
        },
    ]
    activity.data = data


@on_dataset_saving
def _mark_public_files(context: Context, dataset: Dataset) -> None:
    """The files a public dataset holds now have been public: they may stay downloadable as
    earlier versions once replaced."""
    if not is_public(dataset):
        return
    held = [
        (r.id, r.storage_key)
        for r in dataset.resources
        if r.state == "active" and r.url_type == "upload" and r.storage_key
    ]
    if not held:
        return
    context.session.execute(
        update(ResourceVersion)
        .where(
            ResourceVersion.public.is_(False),
            ResourceVersion.resource_id.in_([r for r, _ in held]),
            ResourceVersion.storage_key.in_([k for _, k in held]),
        )
        .values(public=True)
    )


# -- ingest: the change summary and the outcome --------------------------------------------


@on_table_staged
def _summarise(services: Services, staged: StagedTable) -> None:
    # Read, compare, then write, each on its own: the comparison of big tables takes seconds
    # and must hold no lock (on SQLite a pending write would hold the database's write lock).
    with services.sessions() as session:
        version = _version_of_file(session, staged.resource_id, staged.storage_key)
        if version is None:
            return  # a linked file: not a version
        version_id = version.id
        meta = session.get(DatastoreTable, staged.resource_id)
        live = session.scalars(
            select(ResourceVersion).where(
                ResourceVersion.resource_id == staged.resource_id, ResourceVersion.live.is_(True)
            )
        ).first()
        # The same file loaded again (with other column types) keeps the summary it has.
        compared = meta is not None and (live is None or live.id != version.id)
        published, keys = None, []
        if compared and meta is not None:
            published = changes.Table(meta.table_name, list(meta.fields))
            keys = _key_candidates(session, staged.resource_id, meta, staged.fields)
        before = {
            "compared_with": live.id if live is not None else None,
            "compared_number": live.number if live is not None else None,
        }
    summary = None
    if published is not None:
        with services.engine.connect() as connection:
            summary = changes.compare(
                connection, published, changes.Table(staged.staging_table, staged.fields), keys
            )
        summary.update(before)
    with services.sessions() as session:
        if not _lock_dataset_of(session, staged.resource_id):
            return
        version = session.get(ResourceVersion, version_id)
        if version is None:
            return
        version.rows = staged.rows
        version.columns = [{"id": f["id"], "type": f["type"]} for f in staged.fields]
        if summary is not None:
            version.changes = summary
        session.commit()


def _key_candidates(
    session: Any, resource_id: str, meta: DatastoreTable, fields: list[dict[str, Any]]
) -> list[str]:
    """Columns that may identify a row: the table's primary key, then the ID column of the
    standard data set the resource follows (declared, found by the checks, or recognised)."""
    keys = [str(meta.primary_key[0])] if len(meta.primary_key or []) == 1 else []
    columns = [str(f["id"]) for f in fields]
    standard = _standard_of(session, resource_id, columns)
    if standard is not None and standard.field(STANDARD_ID_FIELD) is not None:
        mapping, _ = map_columns(columns, standard)
        keys += [c for c, target in mapping.items() if target == STANDARD_ID_FIELD]
    return keys


def _standard_of(session: Any, resource_id: str, columns: list[str]) -> Standard | None:
    resource = session.get(Resource, resource_id)
    record = session.get(ResourceQuality, resource_id)
    named = [
        (resource.extras or {}).get(_DECLARED_STANDARD) if resource is not None else None,
        record.standard_id if record is not None else None,
        resource.dataset.standard_id if resource is not None else None,
    ]
    for value in named:
        if value:
            try:
                return get_standard(str(value))
            except UnknownStandard:
                continue
    guess = guess_standard(columns)
    return guess.standard if guess is not None else None


@on_ingest_finished
def _record_outcome(services: Services, outcome: IngestOutcome) -> None:
    with services.sessions() as session:
        if not _lock_dataset_of(session, outcome.resource_id):
            return
        if outcome.error is None:
            # Whichever file's table was just published is the live one (none, for a link),
            # unless the table was deleted (datastore_delete) while the ingest finished.
            published = session.get(DatastoreTable, outcome.resource_id) is not None
            session.execute(
                update(ResourceVersion)
                .where(ResourceVersion.resource_id == outcome.resource_id)
                .values(live=published and ResourceVersion.storage_key == outcome.storage_key)
            )
        version = _version_of_file(session, outcome.resource_id, outcome.storage_key)
        if version is not None:
            version.ingest_status = "error" if outcome.error is not None else "complete"
            version.ingest_error = outcome.error or ""
        session.commit()


def _lock_dataset_of(session: Any, resource_id: str) -> bool:
    """Take the dataset's lock before the ingest worker writes a resource's versions (False:
    the resource is gone). A dataset purge takes the dataset first, then deletes the versions;
    a worker updating several versions at once while the purge deleted them could each hold
    one the other wanted, a deadlock on PostgreSQL."""
    dataset_id = session.scalar(select(Resource.dataset_id).where(Resource.id == resource_id))
    return dataset_id is not None and lock_dataset(session, dataset_id) is not None


@on_datastore_changed
def _forget_dropped_table(session: Any, resource_id: str, fields: Any) -> None:
    """A table removed (datastore_delete, or withdrawn for personal data) is no file's any more."""
    if fields is None:
        session.execute(
            update(ResourceVersion)
            .where(ResourceVersion.resource_id == resource_id, ResourceVersion.live.is_(True))
            .values(live=False)
        )


# -- reading -------------------------------------------------------------------------------


def sees_every_version(context: Context, dataset: Dataset) -> bool:
    """Whether the caller reads the dataset as its staff would (as if it were private): they
    see every version; anyone else only the current file and files that were public."""
    return authz.can_read_dataset(
        context,
        dataset.owner_org,
        True,
        dataset.state,
        dataset.creator_user_id,
        dataset.id,
    )


def is_current(version: ResourceVersion, resource: Resource) -> bool:
    return resource.url_type == "upload" and version.storage_key == resource.storage_key


def visible(context: Context, resource: Resource, version: ResourceVersion) -> bool:
    """For a caller who may read the resource's dataset: may they have this version too."""
    return (
        version.public
        or is_current(version, resource)
        or sees_every_version(context, resource.dataset)
    )


VERSION_NOT_FOUND = "ファイルの版が見つかりません (Resource version not found)"


def find_visible(context: Context, version_id: str) -> tuple[ResourceVersion, Resource]:
    """A version the caller may have, with its resource: NotFound for a missing one (or one of
    a deleted resource, or one kept from this caller), NotAuthorized as for the dataset."""
    version = context.session.get(ResourceVersion, version_id)
    resource = context.session.get(Resource, version.resource_id) if version else None
    if version is None or resource is None or resource.state == "deleted":
        raise NotFound(VERSION_NOT_FOUND)
    readable_dataset(context, resource.dataset)
    if not visible(context, resource, version):
        raise NotFound(VERSION_NOT_FOUND)
    return version, resource


def download_url(site_url: str, dataset_id: str, version: ResourceVersion) -> str:
    filename = version.filename or "file"
    return (
        f"{site_url}/dataset/{dataset_id}/resource/{version.resource_id}"
        f"/version/{version.id}/download/{quote(filename)}"
    )


def version_dict(context: Context, resource: Resource, version: ResourceVersion) -> dict[str, Any]:
    current = is_current(version, resource)
    status, error = version.ingest_status, version.ingest_error
    if current and status == "pending":
        # A job that stopped without reporting (cancelled, or a fault) says why here.
        job = latest_job(context, resource.id)
        if job is not None and job.status in ("error", "cancelled"):
            status, error = "error", job.error
    return {
        "id": version.id,
        "resource_id": version.resource_id,
        "package_id": resource.dataset_id,
        "number": version.number,
        "current": current,
        "filename": version.filename,
        "format": version.format,
        "mimetype": version.mimetype,
        "size": version.size,
        "hash": version.hash,
        "uploaded_by": version.uploaded_by,
        "uploaded": iso(version.uploaded),
        "url": download_url(context.settings.site_url, resource.dataset_id, version),
        "ingest_status": status,
        "ingest_error": error,
        "datastore_live": version.live,
        "rows": version.rows,
        "columns": version.columns or [],
        "changes": version.changes or None,
    }
