"""A batch's life: files and a sheet arrive (the preview), staff apply it (a background job makes
the drafts), or discard it.

What happens when something is wrong, by when it is found:

* in what was sent (a file type or size, an unsafe zip, an unreadable sheet): the request is
  refused with the file named, and nothing of it is kept;
* in the rows (merged cells, a file the sheet names but nobody sent, two rows with one name,
  an unknown licence …): the preview marks each row in error, and the batch cannot be applied
  until a corrected sheet or the missing files are sent;
* while the drafts are made (rights lost since the preview, a name taken meanwhile): the whole
  batch is rolled back and says why, so nothing of it stays;
* after the drafts exist, file by file (a table that cannot be loaded, quality errors, personal
  data): the drafts stay, unpublished, and each says why on its page and in the batch status.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagu.accounts.models import User
from tsunagu.catalog import authz, validation
from tsunagu.catalog.lookup import by_id_or_name, require_id
from tsunagu.catalog.models import Organization
from tsunagu.catalog.resources import is_upload
from tsunagu.context import Context, Services
from tsunagu.errors import NotAuthorized, NotFound, ValidationError, require
from tsunagu.jobs.models import Job
from tsunagu.jobs.queue import enqueue, finish_in
from tsunagu.storage.database import run_in_transaction, transaction
from tsunagu.storage.types import new_id, utcnow
from tsunagu.workspace.batch import plan as planning
from tsunagu.workspace.batch import staging
from tsunagu.workspace.batch.apply import BatchFailed, apply_rows
from tsunagu.workspace.batch.columns import local_file, read_columns
from tsunagu.workspace.batch.limits import PREVIEW_LIFETIME, Limits
from tsunagu.workspace.batch.models import UploadBatch
from tsunagu.workspace.batch.sheet import Sheet, read_sheet
from tsunagu.workspace.batch.staging import StagedFile

log = logging.getLogger(__name__)

KIND = "batch"  # the job queue the drafts are made on
MODES = ("per_file", "single")
# Parameters that are not data files (everything else uploaded is one).
_NOT_FILES = ("sheet",)


def _no_rights() -> NotAuthorized:
    return NotAuthorized(
        "この組織にデータセットを登録する権限がありません "
        "(User not authorized to add datasets to this organization)"
    )


def editable_batch(context: Context, ref: str) -> UploadBatch:
    """A batch the caller may work on: an editor of its organisation (as for package_create)."""
    authz.require_login(context)
    batch = context.session.get(UploadBatch, ref)
    if batch is None:
        raise NotFound("一括登録が見つかりません (Batch not found)")
    if not authz.has_role(context, batch.owner_org, "editor"):
        raise _no_rights()
    return batch


def _organization(context: Context, data: dict[str, Any]) -> Organization:
    ref = data.get("owner_org")
    if not ref or not isinstance(ref, str):
        raise ValidationError(
            {"owner_org": ["組織を指定してください (An organization must be provided)"]}
        )
    try:
        org = by_id_or_name(context.session, Organization, ref, deleted=False)
    except NotFound:
        raise ValidationError(
            {"owner_org": [f"組織が見つかりません: {ref} (Organization does not exist)"]}
        ) from None
    if not authz.has_role(context, org.id, "editor"):
        raise _no_rights()
    return org


def _uploads(data: dict[str, Any]) -> list[Any]:
    found = []
    for key, value in data.items():
        if key in _NOT_FILES:
            continue
        for item in value if isinstance(value, list) else [value]:
            if is_upload(item) and getattr(item, "filename", ""):
                found.append(item)
    return found


def _expired(batch: UploadBatch) -> bool:
    return batch.modified < utcnow() - PREVIEW_LIFETIME


def _require_preview(batch: UploadBatch) -> None:
    if batch.state != "preview":
        raise ValidationError(
            {"id": [f"この一括登録は既に {batch.state} です (Batch is no longer a preview)"]}
        )
    if _expired(batch):
        raise ValidationError(
            {
                "id": [
                    "プレビューから 24 時間を過ぎたため、ファイルを削除しました。もう一度アップ"
                    "ロードしてください (The preview expired; upload the files again)"
                ]
            }
        )


def discard_expired(context: Context) -> None:
    """Batches previewed but never applied: their files go after PREVIEW_LIFETIME."""
    stale = context.session.scalars(
        select(UploadBatch)
        .where(UploadBatch.state == "preview", UploadBatch.modified < utcnow() - PREVIEW_LIFETIME)
        .limit(20)
    ).all()
    for batch in stale:
        staging.discard(context.services, batch.id)
        batch.state = "discarded"
        batch.error = "プレビューのまま 24 時間が過ぎたため削除しました"


def _read_sheet(services: Services, sheet_file: dict[str, Any] | None) -> Sheet | None:
    if not sheet_file:
        return None
    staged = StagedFile.from_dict(sheet_file)
    with local_file(services, staged.key, staged.name) as path:
        return read_sheet(path, staged.name)


def make_plan(context: Context, batch: UploadBatch, files: list[StagedFile]) -> dict[str, Any]:
    """The preview of the batch as things are now (datasets made or renamed since count)."""
    org = context.session.get(Organization, batch.owner_org)
    assert org is not None  # the batch goes with its organisation (ON DELETE CASCADE)
    sheet_file = (batch.plan or {}).get("sheet_file")
    sheet = _read_sheet(context.services, sheet_file)
    judged = planning.build(
        context,
        org,
        mode=batch.mode,
        title=str((batch.plan or {}).get("title", "")),
        files=files,
        sheet=sheet,
    )
    return {
        "files": [f.as_dict() for f in files],
        "sheet_file": sheet_file,
        "sheet": {"name": sheet.name, "rows": len(sheet.rows), "columns": sheet.columns}
        if sheet
        else None,
        "title": (batch.plan or {}).get("title", ""),
        **judged,
    }


def preview(context: Context, data: dict[str, Any]) -> UploadBatch:
    """Take files (zips unpacked) and a metadata sheet into a new batch, or into the batch
    ``id`` (a file sent again replaces the earlier one, a sheet replaces the sheet), and judge
    every row."""
    authz.require_login(context)
    errors: validation.Errors = {}
    mode = validation.as_text(data, "mode", errors, limit=20)
    title = validation.as_text(data, "title", errors, limit=1000)
    if mode and mode not in MODES:
        validation.add(
            errors, "mode", "per_file か single を指定してください (Must be per_file or single)"
        )
    sheet_upload = data.get("sheet")
    if sheet_upload not in (None, "") and not is_upload(sheet_upload):
        validation.add(
            errors,
            "sheet",
            "メタデータシートはファイルとして送ってください "
            "(The sheet must be a file sent as multipart/form-data)",
        )
    require(errors)
    uploads = _uploads(data)
    if data.get("id"):
        batch = editable_batch(context, require_id(data))
        _require_preview(batch)
    else:
        org = _organization(context, data)
        if not uploads and not is_upload(sheet_upload):
            raise ValidationError(
                {"files": ["ファイルかメタデータシートを送ってください (Send files or a sheet)"]}
            )
        discard_expired(context)
        batch = UploadBatch(
            id=new_id(),
            owner_org=org.id,
            creator_user_id=context.user.id if context.user else None,
            state="preview",
            plan={},
            result={},
            error="",
        )
        context.session.add(batch)
    if mode:
        batch.mode = mode
    batch.mode = batch.mode or "per_file"
    plan = dict(batch.plan or {})
    if title or "title" not in plan:
        plan["title"] = title
    _take_files(context, batch, plan, uploads, sheet_upload)
    batch.plan = plan
    batch.plan = make_plan(context, batch, [StagedFile.from_dict(f) for f in plan["files"]])
    batch.modified = utcnow()
    context.session.flush()
    return batch


def _take_files(
    context: Context,
    batch: UploadBatch,
    plan: dict[str, Any],
    uploads: list[Any],
    sheet_upload: Any,
) -> None:
    """Stage what arrived into `plan`; on any refusal, nothing of this request is kept."""
    services = context.services
    limits = Limits.of(context.settings)
    existing = [StagedFile.from_dict(f) for f in plan.get("files", [])]
    new_sheet = None
    if is_upload(sheet_upload):
        new_sheet = staging.stage_sheet(services, batch.id, sheet_upload, limits)
    try:
        if new_sheet is not None:
            _read_sheet(services, new_sheet.as_dict())  # refused now if it is no sheet at all
        files = staging.stage(services, batch.id, uploads, existing, limits)
    except ValidationError:
        if new_sheet is not None:
            services.files.delete(new_sheet.key)
        raise
    known = {f.key for f in existing}
    for staged in files:
        if staged.key not in known:
            read_columns(services, staged)
    if new_sheet is not None:
        old = plan.get("sheet_file")
        if old:
            services.files.delete(old["key"])
        plan["sheet_file"] = new_sheet.as_dict()
    plan["files"] = [f.as_dict() for f in files]


def _row_errors(plan: dict[str, Any]) -> list[str]:
    return [message for row in plan["rows"] for message in row["errors"]]


def queue_apply(context: Context, batch: UploadBatch) -> UploadBatch:
    """Judge the batch again (the catalog may have changed since the preview) and queue the job
    that makes its drafts; a batch with a row in error is refused, naming every problem."""
    _require_preview(batch)
    files = [StagedFile.from_dict(f) for f in (batch.plan or {}).get("files", [])]
    plan = make_plan(context, batch, files)
    if not plan["rows"]:
        raise ValidationError({"rows": ["作成するデータセットがありません (Nothing to create)"]})
    if not plan["ready"]:
        raise ValidationError({"rows": _row_errors(plan)})
    org = context.session.get(Organization, batch.owner_org)
    batch.plan = plan
    batch.state = "queued"
    batch.applied_by = context.user.id if context.user else None
    batch.modified = utcnow()
    job, _ = enqueue(
        context.session,
        KIND,
        object_id=batch.id,
        title=f"一括登録: {org.title if org else ''}（{len(plan['rows'])} 件）",
        options={"user_id": batch.applied_by},
    )
    batch.job_id = job.id
    context.session.flush()
    return batch


def discard(context: Context, batch: UploadBatch) -> UploadBatch:
    job = context.session.get(Job, batch.job_id) if batch.job_id else None
    cancelled = job is not None and job.status == "cancelled" and batch.state == "queued"
    if batch.state not in ("preview", "failed") and not cancelled:
        raise ValidationError(
            {
                "id": [
                    f"この一括登録は {batch.state} のため取り消せません (Batch cannot be discarded)"
                ]
            }
        )
    staging.discard(context.services, batch.id)
    batch.state = "discarded"
    batch.modified = utcnow()
    context.session.flush()
    return batch


def _fail(services: Services, batch_id: str, job_id: str, job_status: str, error: str) -> str:
    """Mark the batch failed and end its job in one commit (see `run`); returns the status the
    job ended with."""
    with transaction(services.sessions) as session:
        batch = session.get(UploadBatch, batch_id)
        if batch is not None:
            batch.state = "failed"
            batch.error = error
            batch.modified = utcnow()
        return finish_in(session, job_id, job_status, error)


CANCELLED = (
    "ジョブが取り消されたため、何も作成しませんでした (The job was cancelled; nothing was made)"
)


def mark_cancelled(services: Services, batch_id: str, job_id: str) -> None:
    """A job asked to stop before it began: the batch fails, nothing is made."""
    _fail(services, batch_id, job_id, "cancelled", CANCELLED)


def _make_drafts(
    session: Session, services: Services, batch_id: str, job_id: str, user_id: str | None
) -> str:
    user = session.get(User, user_id) if user_id else None
    if user is None or user.state != "active":
        raise BatchFailed("一括登録を実行したユーザーがいません (The user is gone)")
    context = Context(services=services, session=session, user=user)
    batch = session.get(UploadBatch, batch_id)
    assert batch is not None
    files = [StagedFile.from_dict(f) for f in (batch.plan or {}).get("files", [])]
    plan = make_plan(context, batch, files)
    if not plan["ready"]:
        raise BatchFailed("; ".join(_row_errors(plan)) or "作成するものがありません")
    made = apply_rows(context, batch.owner_org, plan)
    batch.plan = plan
    batch.result = {"rows": made}
    batch.state = "applied"
    batch.applied = batch.modified = utcnow()
    return finish_in(session, job_id, "complete")


def run(services: Services, batch_id: str, job_id: str) -> str:
    """Make the drafts of a queued batch in one transaction, which also ends its job; returns
    the status the job ended with.

    The batch's end and its job's end are one commit, so a client that sees the batch applied
    or failed in batch_status also sees its job ended (never still "running").

    Safe to run again after a crash: until the transaction commits nothing exists, and once it
    has, the batch says so and is not made twice."""
    with transaction(services.sessions) as session:
        batch = session.get(UploadBatch, batch_id)
        if batch is None or batch.state not in ("queued", "applying"):
            return finish_in(session, job_id, "complete")
        batch.state = "applying"
        user_id = batch.applied_by
    try:
        # Run again from the start if PostgreSQL gives the transaction up in a deadlock (an
        # ingest finishing on one of the batch's datasets meanwhile).
        status = run_in_transaction(
            services.sessions,
            lambda session: _make_drafts(session, services, batch_id, job_id, user_id),
        )
    except BatchFailed as failure:
        return _fail(services, batch_id, job_id, "error", str(failure))
    except Exception as error:  # a bug must not leave the batch "applying" for ever
        log.exception("batch %s failed", batch_id)
        message = f"予期しないエラーのため、何も作成しませんでした: {error}"
        return _fail(services, batch_id, job_id, "error", message)
    staging.discard(services, batch_id)  # every file now lives with its resource
    return status
