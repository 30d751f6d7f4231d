"""Checking a resource's file: validation report, personal-data scan, and the stored summary.

Checks run after every ingest (on the worker, with the file the ingest just read) and on demand.
The full report lives in `resource_quality`; a small summary goes on the resource (system key
`quality`) so that package_show, search facets and the portal carry the rating without a query.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tsunagu.catalog.models import Dataset, Organization, Resource
from tsunagu.catalog.revision import bump_revision, lock_dataset
from tsunagu.context import Context, Services
from tsunagu.datastore.fetch import fetch_to_file
from tsunagu.datastore.ingest.model import IngestError
from tsunagu.events import on_resource_saved
from tsunagu.quality.areas import area_bbox
from tsunagu.quality.findings import Report
from tsunagu.quality.linked import LinkCheck, check_links, is_rdf
from tsunagu.quality.models import ResourceQuality
from tsunagu.quality.pii import PiiResult, scan_file
from tsunagu.quality.rating import TABULAR, normal_format
from tsunagu.quality.standards import Standard, UnknownStandard, get_standard
from tsunagu.quality.validate import ValidationOptions, ValidationResult, validate_file
from tsunagu.storage.types import utcnow
from tsunagu.storage.upsert import get_or_create

STANDARD_KEY = "standard"  # resource key where staff declare the standard dataset it follows


def signature(resource: Resource) -> str:
    """What identifies the checked content: the upload's hash, or the linked URL."""
    return resource.hash if resource.url_type == "upload" and resource.hash else resource.url


def is_table_file(resource: Resource) -> bool:
    return normal_format(resource.format) in TABULAR and resource.url_type != "datastore"


def is_checkable(resource: Resource) -> bool:
    """Tables are validated and scanned; RDF files are checked for links (★★★★★)."""
    return is_table_file(resource) or (is_rdf(resource.format) and resource.url_type != "datastore")


def declared_standard(resource: Resource) -> Standard | None:
    value = (resource.extras or {}).get(STANDARD_KEY)
    if not value:
        return None
    try:
        return get_standard(str(value))
    except UnknownStandard:
        return None  # rejected when saved; an old value is simply ignored


def _validation_options(
    session: Session, resource: Resource, sheet: str | None
) -> ValidationOptions:
    dataset = session.get(Dataset, resource.dataset_id)
    org = session.get(Organization, dataset.owner_org) if dataset and dataset.owner_org else None
    code = org.local_gov_code if org is not None and org.local_gov_code else None
    standard = declared_standard(resource)
    return ValidationOptions(
        standard=standard,
        guess=standard is None,
        local_gov_code=code,
        area=area_bbox(code) if code else None,
        sheet=sheet,
    )


def check_file(
    session: Session,
    resource: Resource,
    path: Path,
    *,
    sheet: str | None = None,
) -> ResourceQuality:
    """Validate and scan `path` (the resource's file) and store both; the caller commits."""
    if is_rdf(resource.format):
        links = check_links(path, resource.format)
        record = _locked_record(session, resource)
        _store_links(record, resource, links)
        _summarise(session, resource, record)
        return record
    options = _validation_options(session, resource, sheet)
    result = validate_file(path, resource.format, options)
    pii = scan_file(path, resource.format, sheet=sheet, standard=options.standard)
    record = _locked_record(session, resource)
    _store_validation(record, resource, result)
    store_pii(record, resource, pii)
    _summarise(session, resource, record)
    return record


def _locked_record(session: Session, resource: Resource) -> ResourceQuality:
    """The resource's row, taken after its dataset's lock: the order of an action saving the
    dataset, whose personal-data guard writes the same row (the other order deadlocks on
    PostgreSQL when a file is replaced while its check is being stored). The checks themselves
    run before, holding no lock."""
    lock_dataset(session, resource.dataset_id)
    return record_for(session, resource.id)


def record_for(session: Session, resource_id: str) -> ResourceQuality:
    """The resource's row, made if missing. The ingest worker and a request may both make it
    at once: the loser of that race takes the winner's row instead of failing."""
    return get_or_create(session, ResourceQuality, {"resource_id": resource_id})


def _store(
    record: ResourceQuality,
    resource: Resource,
    report: dict[str, Any],
    *,
    error: str = "",
    rows: int = 0,
    standard_id: str | None = None,
    guessed: bool = False,
) -> None:
    record.status = "error" if error else "complete"
    record.error = error
    record.signature = signature(resource)
    record.checked = utcnow()
    record.standard_id = standard_id
    record.standard_guessed = guessed
    record.rows = rows
    record.report = report


def _store_validation(
    record: ResourceQuality, resource: Resource, result: ValidationResult
) -> None:
    unreadable = [f.message for f in result.report.findings if f.rule == "file.unreadable"]
    _store(
        record,
        resource,
        result.to_dict(),
        error=unreadable[0] if unreadable else "",
        rows=result.rows,
        standard_id=result.standard_id,
        guessed=result.guessed,
    )


def _store_links(record: ResourceQuality, resource: Resource, links: LinkCheck) -> None:
    report = {**Report().to_dict(), "rdf": links.to_dict()}
    _store(record, resource, report, error=links.error or "", rows=links.triples)


def store_pii(record: ResourceQuality, resource: Resource, result: PiiResult) -> None:
    record.pii_signature = signature(resource)
    record.pii = result.to_dict()
    record.pii_blocked = result.blocked


def _summarise(session: Session, resource: Resource, record: ResourceQuality) -> None:
    """Put the short summary on the resource and have its dataset reindexed."""
    dataset = lock_dataset(session, resource.dataset_id)
    report = record.report or {}
    rules = report.get("rules") or {}
    distinct: dict[str, int] = {"error": 0, "warning": 0, "info": 0}
    for info in rules.values():
        severity = str(info.get("severity"))
        if severity in distinct:
            distinct[severity] += 1
    resource.extras = {
        **(resource.extras or {}),
        "quality": {
            "status": record.status,
            "checked": record.checked.isoformat() if record.checked else None,
            "standard": record.standard_id,
            "standard_guessed": record.standard_guessed,
            "rows": record.rows,
            "rules": distinct,
            "findings": dict(report.get("summary") or {}),
            "linked": bool((report.get("rdf") or {}).get("linked")),
        },
    }
    if dataset is not None:
        dataset.revision = bump_revision(session)


@contextmanager
def local_copy(services: Services, resource: Resource) -> Iterator[Path]:
    """The resource's file on local disk: the stored upload, or the linked URL fetched."""
    with tempfile.TemporaryDirectory(prefix="tsunagu-quality-") as workdir:
        if resource.url_type == "upload":
            path = services.files.local_path(resource.storage_key)
            if path is None:
                path = Path(workdir) / "upload"
                with services.files.open(resource.storage_key) as stream, path.open("wb") as out:
                    while chunk := stream.read(1 << 20):
                        out.write(chunk)
            yield path
            return
        settings = services.settings
        yield fetch_to_file(
            resource.url,
            Path(workdir),
            max_bytes=settings.ingest_max_bytes,
            allow_private=settings.ingest_allow_private_urls,
        )


def check_resource(
    services: Services, session: Session, resource: Resource, *, sheet: str | None = None
) -> ResourceQuality:
    """Check a resource now (on demand): fetch or open its file, validate, scan, store."""
    try:
        with local_copy(services, resource) as path:
            return check_file(session, resource, path, sheet=sheet)
    except IngestError as error:  # the linked file could not be fetched
        record = record_for(session, resource.id)
        _store(record, resource, {}, error=error.message)
        _summarise(session, resource, record)
        return record


@on_resource_saved
def check_uploaded_rdf(context: Context, resource: Resource) -> None:
    """RDF has no ingest job: an uploaded file's links are counted while it is saved."""
    if resource.url_type != "upload" or not is_rdf(resource.format):
        return
    record = context.session.get(ResourceQuality, resource.id)
    if record is not None and record.signature == signature(resource):
        return
    with local_copy(context.services, resource) as path:
        check_file(context.session, resource, path)


def validation_dict(record: ResourceQuality | None, *, with_pii: bool) -> dict[str, Any]:
    if record is None:
        return {"status": "not_checked"}
    data: dict[str, Any] = {
        "status": record.status,
        "error": record.error or None,
        "checked": record.checked.isoformat() if record.checked else None,
        "standard": record.standard_id,
        "standard_guessed": record.standard_guessed,
        "rows": record.rows,
        "report": record.report,
    }
    if with_pii:
        data["pii"] = {
            **(record.pii or {}),
            "blocked": record.pii_blocked,
            "override": record.pii_override or None,
        }
    return data
