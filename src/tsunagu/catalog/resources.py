"""Resource rows and their files."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tsunagu.catalog import validation
from tsunagu.catalog.foreign_fields import CKAN_COMPUTED_RESOURCE_KEYS
from tsunagu.catalog.models import Dataset, Resource
from tsunagu.catalog.uploads import Upload, check_upload
from tsunagu.context import Context
from tsunagu.errors import ValidationError, require
from tsunagu.storage.files import UploadTooLarge
from tsunagu.storage.types import new_id, utcnow

# Keys the platform maintains on a resource (datastore state, quality check summary): a client
# can neither set them nor clear them.
SYSTEM_KEYS = {"datastore_active", "datastore_notes", "quality"}
# Keys with a column of their own; anything else a client sends is kept in ``extras``.
CORE_KEYS = {
    "id",
    "package_id",
    "name",
    "description",
    "url",
    "url_type",
    "format",
    "mimetype",
    "size",
    "hash",
    "last_modified",
    "position",
    "state",
    "created",
    "metadata_modified",
    "upload",
    "clear_upload",
    "datastore_active",
    "storage_key",
}


def is_upload(value: Any) -> bool:
    return hasattr(value, "file") and hasattr(value, "filename")


def apply_resource(
    context: Context, dataset: Dataset, resource: Resource, data: dict[str, Any]
) -> None:
    """Set a resource's fields from CKAN-style input, storing an uploaded file if one came."""
    errors: validation.Errors = {}
    upload = data.get("upload")
    name = validation.as_text(data, "name", errors, limit=1000)
    description = validation.as_text(data, "description", errors)
    url = validation.as_text(data, "url", errors, limit=2000)
    fmt = validation.as_text(data, "format", errors, limit=50)
    if upload is not None and upload != "" and not is_upload(upload):
        validation.add(
            errors,
            "upload",
            "ファイルを multipart/form-data で送ってください "
            "(Upload must be a file sent as multipart/form-data)",
        )
    in_datastore = data.get("url_type") == "datastore" or (
        resource.url_type == "datastore"
        and not is_upload(upload)
        and (not url or url.endswith(f"/datastore/dump/{resource.id}"))
    )
    keeps_upload = not in_datastore and (
        resource.url_type == "upload"
        and not is_upload(upload)
        and (not url or url == resource.url or url.endswith("/" + resource.url))
    )
    if not is_upload(upload) and not keeps_upload and not in_datastore:
        if not url:
            validation.add(
                errors,
                "url",
                "URL かファイルのどちらかを指定してください (Provide a url or upload a file)",
            )
        else:
            validation.check_url(url, "url", errors)
    extras = {
        k: v
        for k, v in data.items()
        if k not in CORE_KEYS
        and k not in SYSTEM_KEYS
        and k not in CKAN_COMPUTED_RESOURCE_KEYS
        and not k.startswith("__")
    }
    stated_modified = _stated_last_modified(data, errors)
    require(errors)
    resource.name = name
    resource.description = description
    # Keys the platform maintains (datastore state) survive a client's update of the resource.
    system = {k: v for k, v in (resource.extras or {}).items() if k in SYSTEM_KEYS}
    resource.extras = {**extras, **system}
    resource.metadata_modified = utcnow()
    if in_datastore:
        resource.url = ""
        resource.url_type = "datastore"
        resource.storage_key = ""
        resource.format = fmt or "CSV"
    elif is_upload(upload):
        _store(context, resource, upload, fmt)
    elif not keeps_upload:
        # A link's data changes where it lives: the publisher may say when (CKAN's
        # last_modified), else a new URL counts as new data (freshness, catalog/metadata).
        if stated_modified is not None:
            resource.last_modified = stated_modified
        elif url != resource.url:
            resource.last_modified = utcnow()
        resource.url = url
        resource.url_type = ""
        resource.storage_key = ""
        resource.format = fmt or _format_from_url(url)
        resource.mimetype = validation.as_text(data, "mimetype", errors)
        resource.size = None
        resource.hash = ""
    else:
        resource.format = fmt or resource.format
    dataset.metadata_modified = utcnow()


def _stated_last_modified(data: dict[str, Any], errors: validation.Errors) -> datetime | None:
    value = data.get("last_modified")
    if value in (None, ""):
        return None
    try:
        stated = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        validation.add(
            errors,
            "last_modified",
            "日時は ISO 8601 形式で指定してください (Must be an ISO 8601 date-time)",
        )
        return None
    if stated.tzinfo is not None:
        stated = stated.astimezone(UTC).replace(tzinfo=None)
    return stated


def storage_folder(resource_id: str) -> str:
    """Where every file ever uploaded for a resource is kept (dataset_purge removes it whole)."""
    return f"resources/{resource_id}"


def _store(context: Context, resource: Resource, upload: Upload, fmt: str) -> None:
    checked = check_upload(upload)
    if not resource.id:
        resource.id = new_id()
    # A fresh folder per upload: the previous file stays intact until the change is committed
    # (and is then simply unreferenced), so a failed update cannot lose published data.
    key = f"{storage_folder(resource.id)}/{new_id()[:8]}/{checked.filename}"
    try:
        stored = context.services.files.store(key, upload.file, context.settings.max_upload_bytes)
    except UploadTooLarge as exc:
        raise ValidationError(
            {
                "upload": [
                    f"ファイルが大きすぎます（上限 {exc.limit // (1024 * 1024)} MB） "
                    f"(File exceeds the upload limit of {exc.limit} bytes)"
                ]
            }
        ) from None
    resource.storage_key = key
    resource.url = checked.filename
    resource.url_type = "upload"
    resource.format = fmt or checked.format
    resource.mimetype = checked.mimetype
    resource.size = stored.size
    resource.hash = f"sha256:{stored.sha256}"
    resource.last_modified = utcnow()


def _format_from_url(url: str) -> str:
    tail = url.split("?", 1)[0].rsplit("/", 1)[-1]
    return tail.rsplit(".", 1)[-1].upper() if "." in tail else ""


def new_resource(dataset: Dataset) -> Resource:
    positions = [r.position for r in dataset.resources if r.state != "deleted"]
    return Resource(
        id=new_id(),
        dataset_id=dataset.id,
        position=(max(positions) + 1) if positions else 0,
        extras={},
    )
