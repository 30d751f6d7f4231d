"""Actions for data requests (データ要望): post, show, list, support, answer, take down."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tsunagu.catalog import authz, validation
from tsunagu.catalog.lookup import by_id_or_name, require_id
from tsunagu.catalog.models import Dataset, Organization
from tsunagu.community import data_requests as service
from tsunagu.community import rights, spam
from tsunagu.community.models import DataRequest, DataRequestSupport
from tsunagu.community.request_mail import notify_requester
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, ValidationError, require
from tsunagu.registry import action
from tsunagu.storage.types import utcnow
from tsunagu.storage.upsert import insert_missing

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def _organization(context: Context, ref: str, errors: validation.Errors, field: str) -> str | None:
    if not ref:
        return None
    org = context.session.scalar(
        select(Organization).where(
            (Organization.id == ref) | (Organization.name == ref), Organization.state == "active"
        )
    )
    if org is None:
        validation.add(errors, field, f"組織が見つかりません (Organization not found): {ref}")
        return None
    return org.id


@action("data_request_create", write=True)
def data_request_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Ask for a dataset. Anyone may, signed in or not; the request is public at once.

    :param title: what data is wanted, in a line (required, at most 200 characters)
    :param description: what and why: what it would be used for (required, at most 5000)
    :param contact_email: where to tell the requester of the answer (optional, private: shown
        only to staff of the organisation handling it and to sysadmins)
    :param organization: the organisation whose data it is, if known (id or name); without it
        the prefecture's ICT office assigns it
    :returns: the request dict
    """
    errors: validation.Errors = {}
    title = validation.as_text(data, "title", errors, limit=service.MAX_TITLE)
    description = validation.as_text(data, "description", errors, limit=service.MAX_DESCRIPTION)
    contact = validation.as_text(data, "contact_email", errors, limit=254)
    validation.check_email(contact, "contact_email", errors)
    org_ref = validation.as_text(data, "organization", errors, limit=100)
    if not title and "title" not in errors:
        validation.add(errors, "title", "必須項目です (Missing value)")
    if not description and "description" not in errors:
        validation.add(errors, "description", "必須項目です (Missing value)")
    if context.user is None and not context.ignore_auth:
        for field, text in (("title", title), ("description", description)):
            if spam.has_link(text):
                validation.add(errors, field, spam.NO_LINKS)
    organization_id = _organization(context, org_ref, errors, "organization")
    require(errors)
    spam.count_post(context)
    now = utcnow()
    request = DataRequest(
        title=title,
        description=description,
        contact_email=contact,
        organization_id=organization_id,
        status="received",
        creator_user_id=context.user.id if context.user else None,
        created=now,
        modified=now,
    )
    context.session.add(request)
    context.session.flush()
    return service.request_dict(context, request, spam.supporter_key(context))


@action("data_request_show")
def data_request_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """One request (anyone may read it).

    :param id: the request's id
    :returns: the request dict: ``id``, ``title``, ``description``, ``status`` (received,
        reviewing, published, declined) and ``status_label`` (受付, 検討中, 公開済, 対応不可),
        ``organization`` (the one handling it, or null), ``dataset`` (the answer, when
        published and readable), ``answer``, ``supporters``, ``supported`` (by the caller),
        ``created``, ``modified``, ``answered``; ``contact_email`` only for staff of the
        handling organisation and sysadmins
    """
    request = service.find(context, require_id(data))
    return service.request_dict(context, request, spam.supporter_key(context))


def _statuses(data: dict[str, Any], errors: validation.Errors) -> list[str]:
    raw = data.get("status")
    if raw in (None, ""):
        return []
    values = raw if isinstance(raw, list) else str(raw).split(",")
    statuses = [str(v).strip() for v in values if str(v).strip()]
    unknown = [s for s in statuses if s not in service.STATUSES]
    if unknown:
        validation.add(
            errors,
            "status",
            f"状況は {', '.join(service.STATUSES)} のいずれかです (Unknown status: "
            f"{', '.join(unknown)})",
        )
    return statuses


@action("data_request_list")
def data_request_list(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The public list of requests, newest first, with filters.

    :param status: one status or several (a list or comma-separated): received, reviewing,
        published, declined
    :param organization: only requests assigned to this organisation (id or name)
    :param unassigned: only requests no organisation handles yet (true/false)
    :param q: words that must all appear in the title or description
    :param handled_by_me: only the requests the caller answers (staff)
    :param sort: ``newest`` (default), ``oldest``, ``updated`` or ``supporters``
    :param limit: at most 100 (default 20); :param offset:
    :returns: ``count`` and ``results`` (request dicts)
    """
    errors: validation.Errors = {}
    statuses = _statuses(data, errors)
    org_ref = validation.as_text(data, "organization", errors, limit=100)
    unassigned = validation.as_bool(data, "unassigned", errors)
    q = validation.as_text(data, "q", errors, limit=200)
    handled = validation.as_bool(data, "handled_by_me", errors)
    sort = validation.as_text(data, "sort", errors, limit=20) or "newest"
    if sort not in (*service.SORTS, "supporters"):
        validation.add(
            errors,
            "sort",
            "newest, oldest, updated, supporters のいずれかです (Unknown sort)",
        )
    limit, offset = validation.paging(
        data, errors, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT
    )
    organization_id = None
    if org_ref:
        organization_id = by_id_or_name(context.session, Organization, org_ref).id
    require(errors)
    if handled:
        authz.require_login(context)
    query = service.list_query(
        context,
        statuses=statuses,
        organization_id=organization_id,
        unassigned=unassigned,
        q=q,
        handled=handled,
    )
    count = context.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if sort == "supporters":
        ordered = query.order_by(service.supporters_order(), DataRequest.created.desc())
    else:
        ordered = query.order_by(*service.SORTS[sort])
    page = list(context.session.scalars(ordered.offset(offset).limit(limit)))
    return {
        "count": int(count),
        "results": service.request_dicts(context, page, spam.supporter_key(context)),
    }


@action("data_request_support", write=True)
def data_request_support(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Support an open request ("I want this too"). Each signed-in user, and each anonymous
    browser on the portal, counts once however often it asks; an anonymous API caller has no
    browser to count and is refused.

    :param id: the request's id
    :returns: ``id``, ``supporters`` (the count) and ``supported`` (true)
    """
    request = service.find(context, require_id(data))
    supporter = spam.supporter_key(context)
    if supporter is None:
        raise NotAuthorized(
            "賛同するにはサイトの要望ページから操作するか、ログインしてください "
            "(Support a request from its page on the portal, or sign in)"
        )
    if request.status not in service.OPEN or request.state != "active":
        raise ValidationError(
            {"id": ["回答済みの要望には賛同できません (The request has been answered)"]}
        )
    already = context.session.get(DataRequestSupport, (request.id, supporter))
    if already is None:
        spam.count_post(context, "support")
        insert_missing(
            context.session,
            DataRequestSupport,
            [{"request_id": request.id, "supporter": supporter, "created": utcnow()}],
            ["request_id", "supporter"],
        )
    counts = service.support_counts(context, [request.id])
    return {"id": request.id, "supporters": counts.get(request.id, 0), "supported": True}


def _require_handler(context: Context, request: DataRequest) -> None:
    if not rights.can_handle_request(context, request):
        raise NotAuthorized(
            "この要望を扱えるのは、担当の組織の編集者・管理者と県の担当者だけです "
            "(Only editors of the assigned organization and the prefecture's office can "
            "handle this request)"
        )


def _public_dataset(context: Context, ref: str, errors: validation.Errors) -> Dataset | None:
    dataset = context.session.scalar(
        select(Dataset).where((Dataset.id == ref) | (Dataset.name == ref))
    )
    if dataset is None or dataset.state != "active" or dataset.private:
        validation.add(
            errors,
            "dataset_id",
            f"公開中のデータセットを指定してください (Must be a public dataset): {ref}",
        )
        return None
    return dataset


@action("data_request_update", write=True)
def data_request_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Move a request on, assign it, or answer it (staff of the assigned organisation — editors
    and admins —, the prefecture's ICT office and sysadmins). Fields not given stay as they
    are. The requester is mailed when the status changes, if they left an address.

    :param id: the request's id
    :param status: received, reviewing, published (needs a public dataset) or declined (needs
        a public ``answer``: the reason)
    :param dataset_id: the public dataset that answers it (id or name), for published
    :param answer: staff's public answer (the reason, when declined)
    :param organization: hand it to another organisation (id or name; "" back to the
        prefecture's office)
    :returns: the request dict
    """
    request = service.find(context, require_id(data))
    _require_handler(context, request)
    errors: validation.Errors = {}
    status = request.status
    if "status" in data:
        status = validation.as_text(data, "status", errors, limit=20)
        if status not in service.STATUSES:
            validation.add(
                errors,
                "status",
                f"状況は {', '.join(service.STATUSES)} のいずれかです (Unknown status)",
            )
    answer = request.answer
    if "answer" in data:
        answer = validation.as_text(data, "answer", errors, limit=service.MAX_DESCRIPTION)
    dataset: Dataset | None = None
    dataset_ref = validation.as_text(data, "dataset_id", errors, limit=100)
    if dataset_ref:
        dataset = _public_dataset(context, dataset_ref, errors)
    elif request.dataset_id and status == "published" and "dataset_id" not in data:
        dataset = context.session.get(Dataset, request.dataset_id)
    organization_id = request.organization_id
    if "organization" in data:
        org_ref = validation.as_text(data, "organization", errors, limit=100)
        organization_id = _organization(context, org_ref, errors, "organization")
    if status == "published" and dataset is None and "dataset_id" not in errors:
        validation.add(
            errors,
            "dataset_id",
            "公開済にするには、公開したデータセットを指定してください "
            "(A published request needs the dataset that answers it)",
        )
    if status == "declined" and not answer and "answer" not in errors:
        validation.add(
            errors,
            "answer",
            "対応不可にするには、理由（公開されます）を書いてください "
            "(A declined request needs a public reason)",
        )
    require(errors)
    changed_status = status != request.status
    request.status = status
    request.answer = answer
    request.dataset_id = dataset.id if status == "published" and dataset is not None else None
    request.organization_id = organization_id
    now = utcnow()
    request.modified = now
    if changed_status:
        request.answered = now if status in service.ANSWERED else None
        org = context.session.get(Organization, organization_id) if organization_id else None
        notify_requester(
            context,
            request,
            (org.title or org.name) if org is not None else "",
            dataset.name if dataset is not None else None,
        )
    context.session.flush()
    return service.request_dict(context, request, spam.supporter_key(context))


@action("data_request_delete", write=True)
def data_request_delete(context: Context, data: dict[str, Any]) -> None:
    """Take a request down (spam, or personal data posted by mistake): it leaves every list and
    page; those who may handle it can still read it.

    :param id: the request's id
    """
    request = service.find(context, require_id(data))
    _require_handler(context, request)
    request.state = "deleted"
    request.modified = utcnow()
