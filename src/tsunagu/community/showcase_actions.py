"""活用事例 (use cases) through ckanext-showcase's actions, so CKAN clients can read and manage
them, plus ``showcase_review`` for approving what the public submits.

Differences from the extension, each on purpose:

* ``ckanext_showcase_create`` is open to everyone: a use case from anyone but the prefecture's
  ICT office (and sysadmins) is ``pending`` until staff approve it, and then must name at least
  one dataset it uses (``datasets``), so that the staff who publish those datasets see it.
* ``ckanext_showcase_update`` changes the fields given and keeps the others (like
  package_patch), and is for moderators (see rights.py).
* The image is an upload only (``image_upload``), checked as PNG, JPEG or WebP (images.py); an
  ``image_url`` pointing elsewhere is refused: the site's pages show images from its own origin
  only (Content-Security-Policy), and a moderator approves what is shown.
* ``author_email`` is private (moderators only).
"""

from __future__ import annotations

import io
import json
import secrets
from typing import Any

from sqlalchemy import select

from tsunagu.catalog import authz, validation
from tsunagu.catalog.access import readable_dataset
from tsunagu.catalog.lookup import by_id_or_name, require_id
from tsunagu.catalog.metadata.names import slug_from_title
from tsunagu.catalog.models import Dataset
from tsunagu.community import images, rights, spam
from tsunagu.community import showcases as service
from tsunagu.community.models import Showcase, ShowcasePackage
from tsunagu.community.showcase_mail import notify_author
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, ValidationError, require
from tsunagu.registry import action, call_action
from tsunagu.storage.types import utcnow
from tsunagu.storage.upsert import dialect_insert, flush_or_conflict, insert_missing

MAX_TITLE = 200
MAX_NOTES = 5000
NAME_TAKEN = "この URL 名はすでに使われています (That URL is already in use.)"


def _dataset_refs(data: dict[str, Any], errors: validation.Errors) -> list[str]:
    raw = data.get("datasets")
    if raw in (None, "", []):
        return []
    if isinstance(raw, str):
        text = raw.strip()
        try:
            raw = json.loads(text) if text.startswith("[") else text.split(",")
        except ValueError:
            raw = None
    if not isinstance(raw, list):
        validation.add(
            errors, "datasets", "データセットの名前か ID のリストです (Must be a list of datasets)"
        )
        return []
    refs = []
    for item in raw:
        ref = (item.get("id") or item.get("name")) if isinstance(item, dict) else item
        if isinstance(ref, str) and ref.strip():
            refs.append(ref.strip())
        else:
            validation.add(
                errors, "datasets", "データセットの名前か ID で指定してください (Bad dataset)"
            )
    return list(dict.fromkeys(refs))


def _public_datasets(
    context: Context, refs: list[str], errors: validation.Errors, field: str
) -> list[Dataset]:
    """The public, active datasets named (a use case shows them to everyone)."""
    found = []
    for ref in refs:
        dataset = context.session.scalar(
            select(Dataset).where((Dataset.id == ref) | (Dataset.name == ref))
        )
        if dataset is None or dataset.state != "active" or dataset.private:
            validation.add(
                errors,
                field,
                f"公開中のデータセットを指定してください (Must be a public dataset): {ref}",
            )
            continue
        found.append(dataset)
    return found


def _fields(
    context: Context, data: dict[str, Any], errors: validation.Errors, current: Showcase | None
) -> dict[str, Any]:
    """The fields given, checked; on create, missing ones take their defaults."""
    out: dict[str, Any] = {}
    creating = current is None
    if creating or "title" in data:
        out["title"] = validation.as_text(data, "title", errors, limit=MAX_TITLE)
        if not out["title"] and "title" not in errors:
            validation.add(errors, "title", "必須項目です (Missing value)")
    if creating or "notes" in data:
        out["notes"] = validation.as_text(data, "notes", errors, limit=MAX_NOTES)
    if creating or "url" in data:
        out["url"] = validation.check_url(
            validation.as_text(data, "url", errors, limit=2000), "url", errors
        )
    if creating or "author" in data:
        out["author"] = validation.as_text(data, "author", errors, limit=200)
    if creating or "author_email" in data:
        out["author_email"] = validation.check_email(
            validation.as_text(data, "author_email", errors, limit=254), "author_email", errors
        )
    if creating or "kind" in data:
        kind = validation.as_text(data, "kind", errors, limit=30) or "app"
        if kind not in service.KINDS:
            validation.add(
                errors,
                "kind",
                f"種類は {', '.join(service.KINDS)} のいずれかです (Unknown kind)",
            )
        out["kind"] = kind
    if "name" in data or creating:
        name = validation.as_text(data, "name", errors, limit=100)
        if not name and creating:
            name = _free_name(context, slug_from_title(out.get("title", "")) or "showcase")
        if name:
            validation.check_name(name, "name", errors)
            taken = context.session.scalar(
                select(Showcase.id).where(Showcase.name == name, Showcase.state != "deleted")
            )
            if taken is not None and (current is None or taken != current.id):
                validation.add(errors, "name", NAME_TAKEN)
            out["name"] = name
    image_url = data.get("image_url")
    if isinstance(image_url, str) and image_url.strip():
        kept = current is not None and image_url.strip() == current.image_url
        if not kept:
            validation.add(
                errors,
                "image_url",
                "画像は image_upload でアップロードしてください。ほかのサイトの画像は使えません "
                "(Upload the image as image_upload; images from other sites are not used)",
            )
    return out


def _free_name(context: Context, base: str) -> str:
    base = base[:80].strip("-") or "showcase"
    if len(base) < 2:
        base = f"showcase-{base}"
    taken = set(
        context.session.scalars(select(Showcase.name).where(Showcase.name.like(f"{base}%")))
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _read_image(
    context: Context, data: dict[str, Any], errors: validation.Errors
) -> images.CheckedImage | None:
    upload = data.get("image_upload")
    if upload in (None, ""):
        return None
    stream = getattr(upload, "file", None)
    if stream is None:
        validation.add(
            errors, "image_upload", "画像ファイルを送ってください (Must be a file upload)"
        )
        return None
    limit = context.settings.showcase_max_image_bytes
    content = stream.read(limit + 1)
    try:
        return images.check_image(content, limit)
    except ValidationError as error:
        for field, messages in error.errors.items():
            for message in messages:
                validation.add(errors, field, message)
        return None


def _store_image(context: Context, showcase: Showcase, image: images.CheckedImage) -> None:
    # A fresh name every time, so a replaced image is never served from a cache as the old one.
    file_name = f"{showcase.id}-{secrets.token_hex(8)}.{image.extension}"
    context.services.files.store(
        service.image_key(file_name), io.BytesIO(image.data), len(image.data)
    )
    showcase.image_url = file_name


def _link(context: Context, showcase: Showcase, datasets: list[Dataset]) -> None:
    # INSERT … ON CONFLICT DO NOTHING: two updates naming the same new dataset at once add it once.
    context.session.flush()  # the showcase's row, which the links refer to
    created = utcnow()
    insert_missing(
        context.session,
        ShowcasePackage,
        [
            {"showcase_id": showcase.id, "dataset_id": dataset_id, "created": created}
            for dataset_id in dict.fromkeys(d.id for d in datasets)
        ],
        ["showcase_id", "dataset_id"],
    )


@action("ckanext_showcase_create", write=True)
def ckanext_showcase_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Add a 活用事例 (use case). Anyone may: from the public it is ``pending`` until staff
    approve it (showcase_review); from the prefecture's ICT office or a sysadmin it is public at
    once, as in ckanext-showcase.

    :param title: required; :param name: URL name (made from the title when not given)
    :param notes: what it is and does; :param url: where it is (http/https)
    :param kind: app (default), service, analysis, visualization or other
    :param author: who made it (shown); :param author_email: contact (private)
    :param image_upload: a PNG, JPEG or WebP image (checked, metadata removed)
    :param datasets: the datasets it uses (ids or names, public ones; at least one unless the
        caller is the prefecture's office or a sysadmin)
    :returns: the showcase dict
    """
    errors: validation.Errors = {}
    fields = _fields(context, data, errors, None)
    datasets = _public_datasets(context, _dataset_refs(data, errors), errors, "datasets")
    admin = rights.is_triager(context)
    if not admin and not datasets and "datasets" not in errors:
        validation.add(
            errors,
            "datasets",
            "使ったデータセットを 1 つ以上選んでください (Name at least one dataset it uses)",
        )
    image = _read_image(context, data, errors)
    require(errors)
    spam.count_post(context)
    now = utcnow()
    showcase = Showcase(
        **fields,
        state="active" if admin else "pending",
        creator_user_id=context.user.id if context.user else None,
        created=now,
        modified=now,
    )
    if admin:
        showcase.reviewed = now
        showcase.reviewed_by = context.user.id if context.user else None
    context.session.add(showcase)
    flush_or_conflict(
        context.session,
        Showcase,
        field="name",
        value=showcase.name,
        own_id=None,
        message=NAME_TAKEN,
    )
    _link(context, showcase, datasets)
    if image is not None:
        _store_image(context, showcase, image)
    context.session.flush()
    return service.showcase_dict(context, showcase)


def _moderated(context: Context, ref: str) -> Showcase:
    showcase = service.by_ref(context, ref)
    if not rights.can_moderate_showcase(context, showcase):
        if not service.can_read(context, showcase):
            # Pending ones stay hidden from those who may not see them.
            raise NotFound(f"活用事例が見つかりません (Showcase not found): {ref}")
        raise NotAuthorized(
            "活用事例を扱えるのは、使われているデータセットの組織の編集者・管理者と県の担当者"
            "だけです (Only editors of the organizations whose datasets it uses, and the "
            "prefecture's office, can manage this showcase)"
        )
    return showcase


@action("ckanext_showcase_update", write=True)
def ckanext_showcase_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Change a use case (moderators). Fields not given are kept.

    :param id: the showcase's id or name
    :param title, name, notes, url, kind, author, author_email: as for create
    :param image_upload: a new image; :param clear_upload: true removes the image
    :param datasets: when given, the complete list of datasets it uses
    :returns: the showcase dict
    """
    showcase = _moderated(context, require_id(data))
    errors: validation.Errors = {}
    fields = _fields(context, data, errors, showcase)
    datasets = None
    if "datasets" in data:
        datasets = _public_datasets(context, _dataset_refs(data, errors), errors, "datasets")
    clear = validation.as_bool(data, "clear_upload", errors)
    image = _read_image(context, data, errors)
    require(errors)
    for field, value in fields.items():
        setattr(showcase, field, value)
    if datasets is not None:
        keep = {d.id for d in datasets}
        for link in context.session.scalars(
            select(ShowcasePackage).where(ShowcasePackage.showcase_id == showcase.id)
        ):
            if link.dataset_id not in keep:
                context.session.delete(link)
        context.session.flush()
        _link(context, showcase, datasets)
    if clear:
        showcase.image_url = ""
    if image is not None:
        _store_image(context, showcase, image)
    showcase.modified = utcnow()
    flush_or_conflict(
        context.session,
        Showcase,
        field="name",
        value=showcase.name,
        own_id=showcase.id,
        message=NAME_TAKEN,
    )
    return service.showcase_dict(context, showcase)


@action("ckanext_showcase_delete", write=True)
def ckanext_showcase_delete(context: Context, data: dict[str, Any]) -> None:
    """Delete a use case and its dataset links for good (moderators), as the extension purges
    it. Its image file is left for ``tsunagu files gc``.

    :param id: the showcase's id or name
    """
    showcase = _moderated(context, require_id(data))
    context.session.delete(showcase)


@action("showcase_review", write=True)
def showcase_review(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Approve or reject a submitted use case (moderators). Approved, it is public: listed,
    shown on the pages of the datasets it uses and counted as a 活用事例. The author hears of
    the decision if they left an address.

    :param id: the showcase's id or name
    :param decision: ``approve`` or ``reject``
    :param note: why it was rejected (sent to the author; not shown publicly)
    :returns: the showcase dict
    """
    showcase = _moderated(context, require_id(data))
    errors: validation.Errors = {}
    decision = validation.as_text(data, "decision", errors, limit=20)
    note = validation.as_text(data, "note", errors, limit=MAX_NOTES)
    if decision not in ("approve", "reject"):
        validation.add(
            errors, "decision", "approve か reject を指定してください (Must be approve or reject)"
        )
    require(errors)
    new_state = "active" if decision == "approve" else "rejected"
    changed = new_state != showcase.state
    showcase.state = new_state
    showcase.review_note = note if decision == "reject" else ""
    showcase.reviewed = showcase.modified = utcnow()
    showcase.reviewed_by = context.user.id if context.user else None
    if changed:
        notify_author(context, showcase)
    context.session.flush()
    return service.showcase_dict(context, showcase)


@action("ckanext_showcase_show")
def ckanext_showcase_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """One use case in ckanext-showcase's shape (approved ones to anyone; pending or rejected
    ones to their moderators and to the signed-in user who submitted them).

    :param id: the showcase's id or name
    :returns: the showcase dict
    """
    return service.showcase_dict(context, service.readable(context, require_id(data)))


@action("ckanext_showcase_list")
def ckanext_showcase_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every approved use case, newest first, as ckanext-showcase lists them (a list of
    showcase dicts). Tsunagu's extra parameters narrow it:

    :param state: ``pending`` or ``rejected`` lists those the caller moderates instead
    :param kind: only this kind; :param q: words in the title or description
    :param limit: :param offset: (default: all)
    :returns: a list of showcase dicts
    """
    errors: validation.Errors = {}
    state = validation.as_text(data, "state", errors, limit=20) or "active"
    kind = validation.as_text(data, "kind", errors, limit=30)
    q = validation.as_text(data, "q", errors, limit=200)
    limit, offset = validation.paging(data, errors)
    if state not in service.STATES:
        validation.add(errors, "state", "active, pending, rejected のいずれかです (Unknown state)")
    require(errors)
    query = select(Showcase).where(Showcase.state == state)
    if kind:
        query = query.where(Showcase.kind == kind)
    for word in q.split():
        like = f"%{word.replace('%', '').replace('_', '')}%"
        query = query.where(Showcase.title.ilike(like) | Showcase.notes.ilike(like))
    if state != "active":
        authz.require_login(context)
        orgs = rights.moderated_organization_ids(context)
        if orgs is not None:
            query = query.where(
                Showcase.id.in_(
                    select(ShowcasePackage.showcase_id)
                    .join(Dataset, Dataset.id == ShowcasePackage.dataset_id)
                    .where(Dataset.owner_org.in_(sorted(orgs)))
                )
            )
    query = query.order_by(Showcase.created.desc(), Showcase.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return service.showcase_dicts(context, list(context.session.scalars(query)))


def _association(context: Context, data: dict[str, Any]) -> tuple[Showcase, Dataset]:
    errors: validation.Errors = {}
    for field in ("showcase_id", "package_id"):
        if not isinstance(data.get(field), str) or not data[field].strip():
            validation.add(errors, field, "必須項目です (Missing value)")
    require(errors)
    showcase = _moderated(context, data["showcase_id"].strip())
    ref = data["package_id"].strip()
    dataset = context.session.scalar(
        select(Dataset).where((Dataset.id == ref) | (Dataset.name == ref))
    )
    if dataset is None or dataset.state == "deleted":
        raise NotFound(f"データセットが見つかりません (Dataset not found): {ref}")
    return showcase, dataset


@action("ckanext_showcase_package_association_create", write=True)
def ckanext_showcase_package_association_create(
    context: Context, data: dict[str, Any]
) -> dict[str, str]:
    """Say that a use case uses a dataset (moderators of the use case; a public dataset).

    :param showcase_id: the showcase's id or name
    :param package_id: the dataset's id or name
    :returns: ``{"package_id", "showcase_id"}``
    """
    showcase, dataset = _association(context, data)
    errors: validation.Errors = {}
    _public_datasets(context, [dataset.id], errors, "package_id")
    require(errors)
    # One INSERT … ON CONFLICT DO NOTHING decides, so of calls adding the same pair at once one
    # adds it and the rest are told it is there (a look-up first let them all insert: a 500).
    added = context.session.execute(
        dialect_insert(context.session, ShowcasePackage)
        .values(showcase_id=showcase.id, dataset_id=dataset.id, created=utcnow())
        .on_conflict_do_nothing(index_elements=["showcase_id", "dataset_id"])
        .returning(ShowcasePackage.dataset_id)
    ).first()
    if added is None:
        raise ValidationError(
            {
                "package_id": [
                    f"このデータセットはすでにこの活用事例に含まれています (The dataset, "
                    f"{dataset.title or dataset.name}, is already in the showcase)"
                ]
            }
        )
    showcase.modified = utcnow()
    context.session.flush()
    return {"package_id": dataset.id, "showcase_id": showcase.id}


@action("ckanext_showcase_package_association_delete", write=True)
def ckanext_showcase_package_association_delete(context: Context, data: dict[str, Any]) -> None:
    """Say that a use case no longer uses a dataset (moderators of the use case).

    :param showcase_id: the showcase's id or name
    :param package_id: the dataset's id or name
    """
    showcase, dataset = _association(context, data)
    link = context.session.get(ShowcasePackage, (showcase.id, dataset.id))
    if link is None:
        raise NotFound(
            "この活用事例とデータセットの組み合わせはありません "
            "(ShowcasePackageAssociation doesn't exist)"
        )
    context.session.delete(link)
    showcase.modified = utcnow()


@action("ckanext_showcase_package_list")
def ckanext_showcase_package_list(context: Context, data: dict[str, Any]) -> list[Any]:
    """The datasets a use case uses, as package_search results (those the caller may read).

    :param showcase_id: the showcase's id or name
    :returns: a list of package dicts
    """
    showcase = service.readable(context, require_id(data, "showcase_id"))
    used = service.readable_datasets(context, [showcase.id]).get(showcase.id, [])
    if not used:
        return []
    fq = " OR ".join(f'id:"{d.id}"' for d in used)
    found = call_action(
        "package_search", context, {"fq": fq, "rows": len(used), "include_private": True}
    )
    return list(found["results"])


@action("ckanext_package_showcase_list")
def ckanext_package_showcase_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The approved use cases built on a dataset (the caller must be able to read it).

    :param package_id: the dataset's id or name
    :returns: a list of showcase dicts
    """
    dataset = by_id_or_name(context.session, Dataset, require_id(data, "package_id"))
    readable_dataset(context, dataset)
    query = (
        select(Showcase)
        .join(ShowcasePackage, ShowcasePackage.showcase_id == Showcase.id)
        .where(ShowcasePackage.dataset_id == dataset.id, Showcase.state == "active")
        .order_by(Showcase.created.desc(), Showcase.id)
    )
    return service.showcase_dicts(context, list(context.session.scalars(query)))
