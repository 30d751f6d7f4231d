"""harvest_source_*, harvest_run and harvest_job_*: managing sources and their jobs.

Names and shapes follow ckanext-harvest where that costs nothing (``source_type``, ``config`` as
JSON text, ``harvest_job_create`` with ``source_id``, job ``status`` New/Running/Finished/Aborted
and ``stats``), so existing clients recognise them; Tsunagu adds the full error list.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tsunagu.catalog import authz, validation
from tsunagu.catalog.lookup import by_id_or_name, require_id
from tsunagu.catalog.models import Organization
from tsunagu.context import Context
from tsunagu.errors import NotFound, ValidationError, require
from tsunagu.harvest import readonly, sources
from tsunagu.harvest.history import error_dicts, error_summary, job_dict
from tsunagu.harvest.jobs import KIND, queue_job
from tsunagu.harvest.models import HarvestJob, HarvestObject, HarvestSource
from tsunagu.jobs.models import Job
from tsunagu.jobs.queue import active_job
from tsunagu.registry import action
from tsunagu.storage.types import utcnow

assert readonly  # registers the listener that keeps harvested datasets read-only

ALREADY_QUEUED = (
    "既に実行待ちか実行中のジョブがあります (There already is an unrun job for this source)"
)


@action("harvest_source_create", write=True)
def harvest_source_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Create a harvest source in an organisation (sysadmins, or that organisation's admins).

    :param name: URL name of the source (2–100 lowercase letters, digits, - and _)
    :param title: its title (default: the name)
    :param notes: a description
    :param url: the catalog's address (a CKAN site's root, a DCAT file, an オープンデータ一覧)
    :param source_type: ``ckan``, ``dcat`` or ``opendata_list``
    :param owner_org: the organisation whose datasets it makes (id or name)
    :param frequency: ``manual`` (default), ``hourly``, ``daily`` or ``weekly``
    :param config: settings as a JSON object or its text (see docs/api.md)
    :param api_key: sent to the source to read its private datasets (never shown back)
    :returns: the source (as ``harvest_source_show``)
    """
    authz.require_login(context)
    values = sources.clean(context, data, None)
    sources.require_manager(context, values["owner_org"])
    source = HarvestSource(
        creator_user_id=context.user.id if context.user else None, **{"active": True, **values}
    )
    sources.touch_schedule(source, frequency_changed=True)
    context.session.add(source)
    context.session.flush()
    return sources.source_dict(context, source)


def _update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    source = sources.find(context, require_id(data))
    sources.require_manager(context, source.owner_org)
    values = sources.clean(context, data, source)
    if values.get("owner_org", source.owner_org) != source.owner_org:
        sources.require_manager(context, values["owner_org"])
    frequency_changed = values.get("frequency", source.frequency) != source.frequency
    for key, value in values.items():
        setattr(source, key, value)
    sources.touch_schedule(source, frequency_changed)
    context.session.flush()
    return sources.source_dict(context, source)


@action("harvest_source_update", write=True)
def harvest_source_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Change a source (its organisation's admins, sysadmins). Fields not sent keep their
    value; ``api_key`` null or "" removes the key. Changing the URL, kind or config makes the
    next job a full one.

    :param id: the source's id or name
    """
    return _update(context, data)


@action("harvest_source_patch", write=True)
def harvest_source_patch(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The same as ``harvest_source_update`` (which already keeps what is not sent)."""
    return _update(context, data)


@action("harvest_source_delete", write=True)
def harvest_source_delete(context: Context, data: dict[str, Any]) -> None:
    """Delete a source (its organisation's admins, sysadmins): it runs no more, a waiting job is
    cancelled and a running one asked to stop. Its datasets stay published and become ordinary
    datasets, editable here; its job history stays readable by sysadmins.

    :param id: the source's id or name
    """
    source = sources.find(context, require_id(data))
    sources.require_manager(context, source.owner_org)
    source.state, source.active, source.next_run = "deleted", False, None
    source.modified = utcnow()
    _stop_jobs(context, source.id)
    context.session.flush()


@action("harvest_source_show")
def harvest_source_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A source with its last job (members of its organisation, sysadmins).

    :param id: id or name (or ``url``, as in ckanext-harvest)
    """
    if not data.get("id") and isinstance(data.get("url"), str):
        found = context.session.scalar(
            select(HarvestSource.id).where(
                HarvestSource.url == data["url"], HarvestSource.state == "active"
            )
        )
        if found is None:
            raise NotFound("収集元が見つかりません (Harvest source not found)")
        data = {"id": found}
    source = sources.find(context, require_id(data), deleted=context.is_sysadmin)
    sources.require_reader(context, source)
    return sources.source_dict(context, source)


@action("harvest_source_show_status")
def harvest_source_show_status(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """ckanext-harvest's summary of a source: ``job_count``, ``last_job``, ``next_harvest``,
    ``last_harvest_request`` and ``total_datasets`` (the datasets it holds here, withdrawn
    ones included). Members of its organisation, sysadmins.

    :param id: the source's id or name
    """
    source = sources.find(context, require_id(data), deleted=context.is_sysadmin)
    sources.require_reader(context, source)
    total = context.session.scalar(
        select(func.count())
        .select_from(HarvestObject)
        .where(HarvestObject.source_id == source.id, HarvestObject.dataset_id.is_not(None))
    )
    return {**sources.status(context, source), "total_datasets": int(total or 0)}


@action("harvest_source_list")
def harvest_source_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The sources the caller may see (sysadmins: all; others: their organisations').

    :param organization_id: only this organisation's (id or name)
    :param only_active: only sources that run (default false)
    :param return_last_job_status: include each source's last job (default false)
    """
    authz.require_login(context)
    errors: validation.Errors = {}
    only_active = validation.as_bool(data, "only_active", errors)
    with_status = validation.as_bool(data, "return_last_job_status", errors)
    require(errors)
    stmt = select(HarvestSource).where(HarvestSource.state == "active")
    if not context.is_sysadmin:
        stmt = stmt.where(HarvestSource.owner_org.in_(authz.member_organization_ids(context)))
    if org_ref := data.get("organization_id"):
        stmt = stmt.where(
            HarvestSource.owner_org == by_id_or_name(context.session, Organization, str(org_ref)).id
        )
    if only_active:
        stmt = stmt.where(HarvestSource.active.is_(True))
    found = context.session.scalars(stmt.order_by(HarvestSource.title, HarvestSource.name))
    return [sources.source_dict(context, s, last_job=with_status) for s in found]


def _run(context: Context, source_ref: str, full: bool) -> dict[str, Any]:
    source = sources.find(context, source_ref)
    sources.require_manager(context, source.owner_org)
    if not source.active:
        raise ValidationError(
            {"id": ["この収集元は停止中です (Can not create jobs on inactive sources)"]}
        )
    job = queue_job(
        context.session, source, full=full, requested_by=context.user.id if context.user else None
    )
    if job is None:
        raise ValidationError({"id": [ALREADY_QUEUED]})
    harvest_job = context.session.get(HarvestJob, job.id)
    assert harvest_job is not None
    return job_dict(context, harvest_job)


@action("harvest_run", write=True)
def harvest_run(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Run a source now ("run now"; its organisation's admins, sysadmins). 409 when a job of the
    source is already waiting or running.

    :param id: the source's id or name
    :param full: harvest everything, not only what changed since the last job (default false)
    :returns: the queued job (as ``harvest_job_show``)
    """
    errors: validation.Errors = {}
    full = validation.as_bool(data, "full", errors)
    require(errors)
    return _run(context, require_id(data), full)


@action("harvest_job_create", write=True)
def harvest_job_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """ckanext-harvest's name for "run now": ``source_id`` instead of ``id``."""
    return _run(context, require_id(data, "source_id"), False)


def _job(context: Context, job_id: str) -> tuple[HarvestJob, HarvestSource]:
    job = context.session.get(HarvestJob, job_id)
    if job is None:
        raise NotFound("ジョブが見つかりません (Harvest job not found)")
    source = context.session.get(HarvestSource, job.source_id)
    assert source is not None
    if source.state == "deleted" and not context.is_sysadmin:
        raise NotFound("ジョブが見つかりません (Harvest job not found)")
    sources.require_reader(context, source)
    return job, source


@action("harvest_job_show")
def harvest_job_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A job with its counts and every error (members of the source's organisation).

    :param id: the job's id
    :param errors_limit: at most this many errors (default: all of them)
    :param errors_offset: skip this many errors first (default 0)
    """
    errors: validation.Errors = {}
    paging = {"limit": data.get("errors_limit"), "offset": data.get("errors_offset")}
    limit, offset = validation.paging(paging, errors)
    require(errors)
    job, _source = _job(context, require_id(data))
    return {
        **job_dict(context, job),
        "errors": error_dicts(context, job.id, limit=limit, offset=offset),
        "object_error_summary": error_summary(context, job.id, ("import",)),
        "gather_error_summary": error_summary(context, job.id, ("gather", "withdraw")),
    }


@action("harvest_job_list")
def harvest_job_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """A source's jobs, newest first (members of its organisation).

    :param source_id: the source's id or name
    :param status: only jobs in this state (ckanext-harvest's New/Running/Finished/Aborted, or
        pending/running/complete/error/cancelled)
    :param limit: at most this many (default 100)
    :param offset: skip this many first
    """
    source = sources.find(context, require_id(data, "source_id"), deleted=context.is_sysadmin)
    sources.require_reader(context, source)
    errors: validation.Errors = {}
    limit, offset = validation.paging(data, errors, default_limit=100, max_limit=1000)
    require(errors)
    stmt = select(HarvestJob).where(HarvestJob.source_id == source.id)
    if status := data.get("status"):
        wanted = {
            "new": ("pending",),
            "running": ("running",),
            "finished": ("complete", "error"),
            "aborted": ("cancelled",),
        }.get(str(status).lower(), (str(status),))
        stmt = stmt.where(HarvestJob.status.in_(wanted))
    found = context.session.scalars(
        stmt.order_by(HarvestJob.created.desc()).offset(offset).limit(limit or 100)
    )
    return [job_dict(context, j) for j in found]


@action("harvest_job_abort", write=True)
def harvest_job_abort(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Stop a job (its organisation's admins, sysadmins): a waiting one is cancelled at once, a
    running one stops after the record it is writing (what it did stays; nothing is
    withdrawn). As in ckanext-harvest, ``source_id`` stops the source's current job.

    :param id: the job's id (or give ``source_id``)
    """
    if data.get("source_id") and not data.get("id"):
        source = sources.find(context, require_id(data, "source_id"))
        running = active_job(context.session, KIND, source.id)
        if running is None:
            raise NotFound("実行中のジョブがありません (No job to abort for this source)")
        job_id = running.id
    else:
        job_id = require_id(data)
    harvest_job, source = _job(context, job_id)
    sources.require_manager(context, source.owner_org)
    if harvest_job.status not in ("pending", "running"):
        raise ValidationError(
            {"id": [f"このジョブは終わっています: {harvest_job.status} (Job has already finished)"]}
        )
    _stop_job(context, job_id, harvest_job)
    context.session.flush()
    return job_dict(context, harvest_job)


def _stop_job(context: Context, job_id: str, harvest_job: HarvestJob) -> None:
    job = context.session.get(Job, job_id)
    if job is None or job.status == "pending":
        now = utcnow()
        if job is not None:
            job.status, job.finished = "cancelled", now
        harvest_job.status, harvest_job.finished = "cancelled", now
    elif job.status == "running":
        job.cancel_requested = True


def _stop_jobs(context: Context, source_id: str) -> None:
    for harvest_job in context.session.scalars(
        select(HarvestJob).where(
            HarvestJob.source_id == source_id, HarvestJob.status.in_(("pending", "running"))
        )
    ):
        _stop_job(context, harvest_job.id, harvest_job)
