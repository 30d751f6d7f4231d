"""The personal-data guard: nothing with 個人情報 in it becomes public unnoticed.

Runs whenever a dataset is saved (`events.dataset_saving`). When the dataset is, or is becoming,
public, every uploaded table in it is scanned (once per file: the result is kept by the file's
hash) and a finding blocks the save with a report naming the cells. An organisation admin may
publish anyway by sending `pii_override_reason` with the resource (or calling
`resource_pii_override`); the reason, who gave it and for which file is kept, and the activity
history records it. A new file needs a new decision.

Linked files are not fetched while staff wait: the ingest worker scans them, and a public
resource whose linked file holds personal data has its datastore table withdrawn, so Tsunagu
never serves the data through its API, search or SQL.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tsunagu.catalog import authz
from tsunagu.catalog.activity import record_activity
from tsunagu.catalog.models import Dataset, Resource
from tsunagu.context import Context, Services
from tsunagu.datastore import tables
from tsunagu.datastore.activation import mark_active
from tsunagu.datastore.models import DatastoreTable
from tsunagu.errors import NotAuthorized, ValidationError
from tsunagu.events import IngestOutcome, on_dataset_saving, on_ingest_finished
from tsunagu.jobs.queue import cancel_requested, finish_in
from tsunagu.quality.check_queue import hand_over
from tsunagu.quality.models import ResourceQuality
from tsunagu.quality.pii import scan_file
from tsunagu.quality.progress import has_current_result
from tsunagu.quality.service import (
    STANDARD_KEY,
    check_file,
    check_resource,
    declared_standard,
    is_table_file,
    local_copy,
    record_for,
    signature,
    store_pii,
)
from tsunagu.quality.standards import UnknownStandard, get_standard
from tsunagu.storage.types import utcnow

OVERRIDE_KEY = "pii_override_reason"
MIN_REASON_CHARS = 5
_LISTED_PER_RESOURCE = 5


def is_public(dataset: Dataset) -> bool:
    return dataset.state == "active" and not dataset.private


def is_overridden(record: ResourceQuality, resource: Resource) -> bool:
    override = record.pii_override or {}
    return bool(override) and override.get("signature") == signature(resource)


@on_dataset_saving
def guard_dataset(context: Context, dataset: Dataset) -> None:
    blocked: list[str] = []
    for resource in dataset.resources:
        if resource.state != "active":
            continue
        reason = _take_override_reason(resource)
        _check_declared_standard(resource)
        if resource.url_type != "upload" or not is_table_file(resource):
            continue
        if not (is_public(dataset) or reason):
            continue
        record = scanned(context.services, context.session, resource)
        if not record.pii_blocked:
            continue
        if reason:
            override(context, dataset, resource, record, reason)
        if not is_overridden(record, resource):
            blocked.extend(_block_messages(resource, record))
    if blocked:
        raise ValidationError({"pii": blocked})


def _take_override_reason(resource: Resource) -> str | None:
    extras = dict(resource.extras or {})
    reason = extras.pop(OVERRIDE_KEY, None)
    if reason is None:
        return None
    resource.extras = extras  # never stored as an ordinary (public) resource field
    return str(reason).strip()


def _check_declared_standard(resource: Resource) -> None:
    value = (resource.extras or {}).get(STANDARD_KEY)
    if not value:
        return
    try:
        get_standard(str(value))
    except UnknownStandard as error:
        raise ValidationError({STANDARD_KEY: [str(error)]}) from None


def scanned(services: Services, session: Session, resource: Resource) -> ResourceQuality:
    """The resource's PII scan, made now unless this very file was scanned before."""
    record = session.get(ResourceQuality, resource.id)
    if record is not None and record.pii_signature == signature(resource):
        return record
    record = record_for(session, resource.id)
    with local_copy(services, resource) as path:
        result = scan_file(path, resource.format, standard=declared_standard(resource))
    store_pii(record, resource, result)
    session.flush()
    return record


def require_override_rights(context: Context, dataset: Dataset) -> None:
    if not authz.has_role(context, dataset.owner_org, "admin"):
        raise NotAuthorized(
            "個人情報の可能性がある指摘を確認して公開できるのは、組織の管理者だけです "
            "(Only an organization admin can override the personal data check)"
        )


def override(
    context: Context, dataset: Dataset, resource: Resource, record: ResourceQuality, reason: str
) -> None:
    """Record an org admin's decision to publish this file despite the findings."""
    require_override_rights(context, dataset)
    if len(reason) < MIN_REASON_CHARS:
        raise ValidationError(
            {
                OVERRIDE_KEY: [
                    f"公開してよい理由を {MIN_REASON_CHARS} 文字以上で書いてください "
                    "(Give the reason for publishing)"
                ]
            }
        )
    user = context.user
    record.pii_override = {
        "reason": reason,
        "user_id": user.id if user else None,
        "user_name": user.name if user else None,
        "signature": signature(resource),
        "timestamp": utcnow().isoformat(),
    }
    summary = (record.pii or {}).get("report", {}).get("summary", {})
    record_activity(
        context,
        dataset.id,
        "personal data override",
        {
            "resource_id": resource.id,
            "resource_name": resource.name,
            "reason": reason,
            "findings": summary,
        },
        owner_org=dataset.owner_org,
        private=True,  # for the organisation's members, not the public history
    )


def _block_messages(resource: Resource, record: ResourceQuality) -> list[str]:
    report: dict[str, Any] = (record.pii or {}).get("report") or {}
    findings = [f for f in report.get("findings") or [] if f.get("severity") == "error"]
    name = resource.name or resource.id
    total = sum(
        info.get("count", 0)
        for info in (report.get("rules") or {}).values()
        if info.get("severity") == "error"
    )
    messages = [
        f"リソース「{name}」に個人情報の可能性があるデータが {total} 件あるため公開できません。"
        "該当する列や値を削除してから登録し直してください。公開してよいものであれば、"
        f"組織の管理者が理由を添えて（{OVERRIDE_KEY}）公開できます。"
    ]
    for finding in findings[:_LISTED_PER_RESOURCE]:
        where = []
        if finding.get("row") is not None:
            where.append(f"{finding['row']} 行目")
        if finding.get("column"):
            where.append(f"「{finding['column']}」列")
        messages.append(f"{'の'.join(where) or name}: {finding.get('message', '')}")
    return messages


@on_ingest_finished
def check_after_ingest(services: Services, outcome: IngestOutcome) -> None:
    """Queue the check of the file the ingest just read (a job in the `job` table); the
    ingest worker goes on to its next file while a quality worker checks this one."""
    with services.sessions() as session:
        resource = session.get(Resource, outcome.resource_id)
        stored = resource is not None and resource.url_type == "upload"
    hand_over(services, outcome, stored_upload=stored)


def run_check(
    services: Services,
    resource_id: str,
    path: Path | None,
    sheet: str | None = None,
    *,
    job_id: str | None = None,
    fetch_link: bool = False,
    if_stale: bool = False,
) -> None:
    """Validate and scan a resource's file (`path`, or the stored upload when None; a linked
    file is fetched only when `fetch_link`) and store the result; a public table with personal
    data is withdrawn. A job asked to stop meanwhile stores nothing.

    With `job_id`, the job's row ends (complete, or cancelled when asked to stop) in the commit
    that stores the result: a client that sees the result never finds its check still running.
    When this raises, nothing is stored and the caller ends the job as failed."""
    with services.sessions() as session:
        _check(
            services,
            session,
            resource_id,
            path,
            sheet,
            job_id,
            fetch_link=fetch_link,
            if_stale=if_stale,
        )
        if job_id is not None:
            finish_in(session, job_id, "complete")
        session.commit()


def _check(
    services: Services,
    session: Session,
    resource_id: str,
    path: Path | None,
    sheet: str | None,
    job_id: str | None,
    *,
    fetch_link: bool,
    if_stale: bool,
) -> None:
    """run_check's work in the caller's transaction (which it commits)."""
    resource = session.get(Resource, resource_id)
    if resource is None or resource.state != "active" or not is_table_file(resource):
        return
    if if_stale and has_current_result(session.get(ResourceQuality, resource.id), resource):
        return
    if path is None:
        if resource.url_type != "upload" and not fetch_link:
            return  # a linked file is only fetched for its ingest or on demand
        record = check_resource(services, session, resource, sheet=sheet)
    elif not _is_current_file(resource, path):
        return  # replaced while this ingest ran: the new file's own ingest checks it
    else:
        record = check_file(session, resource, path, sheet=sheet)
    if job_id is not None and cancel_requested(session, job_id):
        session.rollback()
        return
    dataset = session.get(Dataset, resource.dataset_id)
    if (
        dataset is not None
        and is_public(dataset)
        and record.pii_blocked
        and not is_overridden(record, resource)
    ):
        withdraw_table(session, resource)


def _is_current_file(resource: Resource, path: Path) -> bool:
    """Whether `path` holds the resource's current upload. Results are stored under the current
    file's hash, so a check of an older file must not be stored (it would vouch for the new one)."""
    if resource.url_type != "upload" or not resource.hash.startswith("sha256:"):
        return True
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return resource.hash == f"sha256:{digest.hexdigest()}"


def withdraw_table(session: Session, resource: Resource) -> None:
    meta = session.get(DatastoreTable, resource.id)
    if meta is not None:
        tables.drop(session.connection(), meta.table_name)
        session.delete(meta)
    mark_active(session, resource.id, False)
