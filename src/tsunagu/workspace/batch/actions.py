"""batch_upload_preview, batch_upload_apply, batch_upload_discard, batch_status, batch_list:
many files (or a zip) and a metadata sheet becoming draft datasets in one step. Editors of the
batch's organisation only (as package_create)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tsunagu.catalog import authz, validation
from tsunagu.catalog.lookup import by_id_or_name, require_id
from tsunagu.catalog.models import Organization
from tsunagu.context import Context
from tsunagu.errors import NotFound, ValidationError, require
from tsunagu.registry import action
from tsunagu.workspace.batch import service
from tsunagu.workspace.batch.models import UploadBatch
from tsunagu.workspace.batch.status import batch_dict, batch_summary


@action("batch_upload_preview", write=True)
def batch_upload_preview(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Upload files and an optional metadata sheet, and see what they would become.

    Every uploaded file (multipart/form-data, any parameter name but ``sheet``) is a data file;
    a ``.zip`` is unpacked (paths outside its folder, symbolic links, zips inside, too many or
    too large entries and zip bombs are refused). Nothing is created: the answer is the batch
    with one row per dataset, each ``ok`` or ``error`` with messages naming the row or file.
    Send more files, or a corrected sheet, with ``id`` to change the batch.

    :param owner_org: the organisation's id or name (editor rights needed); not with ``id``
    :param id: an existing batch still in preview, to add files or replace its sheet
    :param sheet: the metadata sheet (.xlsx/.xls/.ods/.csv): one row per dataset with
        タイトル, 説明, ファイル名またはURL, ライセンス, 更新頻度, タグ, カテゴリ … (see docs/api.md)
    :param mode: ``per_file`` (default: one dataset per file) or ``single`` (one dataset
        with every file as a resource)
    :param title: the dataset's title in ``single`` mode (guessed when not given)
    :returns: the batch, as ``batch_status`` shows it
    """
    batch = service.preview(context, data)
    return batch_dict(context, batch)


@action("batch_upload_apply", write=True)
def batch_upload_apply(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Make the batch's drafts: every row becomes a draft dataset (or updates the dataset of the
    same URL name), in one step on a background job. The rows are judged again first; a batch
    with a row in error is refused (409) naming every problem, and nothing is made. If making
    any draft fails, none is kept and the batch says why (``state`` ``failed``, ``error``).

    :param id: the batch's id
    :returns: the batch (``state`` ``queued``); follow it with ``batch_status``
    """
    batch = service.editable_batch(context, require_id(data))
    return batch_dict(context, service.queue_apply(context, batch))


@action("batch_upload_discard", write=True)
def batch_upload_discard(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Throw a batch away with its uploaded files (a preview, or a batch that failed).

    :param id: the batch's id
    :returns: the batch (``state`` ``discarded``)
    """
    batch = service.editable_batch(context, require_id(data))
    return batch_dict(context, service.discard(context, batch))


@action("batch_status")
def batch_status(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A batch: its files, its rows (ok or in error, create or update, what was guessed), and
    once applied each draft with the loading of its tables, and the progress:
    ``{"datasets", "rows", "tables", "loaded", "failed", "done"}``.

    :param id: the batch's id
    """
    return batch_dict(context, service.editable_batch(context, require_id(data)))


@action("batch_list")
def batch_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Recent batches of the organisations where the caller may add datasets, newest first.

    :param owner_org: only this organisation's batches (id or name)
    :param limit: at most this many (default 20, at most 100)
    :returns: ``{id, owner_org, state, mode, created, applied, sheet, counts, error}`` each
    """
    authz.require_login(context)
    errors: validation.Errors = {}
    limit, offset = validation.paging(data, errors, default_limit=20, max_limit=100)
    require(errors)
    stmt = select(UploadBatch).order_by(UploadBatch.created.desc())
    if ref := data.get("owner_org"):
        try:
            org = by_id_or_name(context.session, Organization, str(ref))
        except NotFound:
            raise ValidationError(
                {"owner_org": [f"組織が見つかりません: {ref} (Organization does not exist)"]}
            ) from None
        stmt = stmt.where(UploadBatch.owner_org == org.id)
    if not context.is_sysadmin:
        stmt = stmt.where(
            UploadBatch.owner_org.in_(authz.member_organization_ids(context, "editor"))
        )
    found = context.session.scalars(stmt.offset(offset).limit(limit or 20))
    return [batch_summary(context, batch) for batch in found]
