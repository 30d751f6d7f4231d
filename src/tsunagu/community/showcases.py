"""活用事例 (use cases) as ckanext-showcase shows them: a package dict of type ``showcase`` with
``image_url`` (the uploaded file's name), ``image_display_url``, ``num_datasets`` and
``showcase_notes_formatted``, so CKAN clients that read showcases read ours.

Tsunagu keeps them in their own tables (not as datasets of another type, as the extension
does), so they never appear in package_search or package_list; a few keys are added: ``kind``
(app, service, analysis, visualization, other), ``datasets`` (summaries of the datasets used
that the caller may read) and, for moderators, ``review_note``.

States: ``pending`` (submitted by the public, waiting for staff), ``active`` (approved: public),
``rejected``. Only approved use cases are public; a pending or rejected one is seen by those who
may moderate it and by the signed-in user who submitted it.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import select

from tsunagu.catalog import authz
from tsunagu.catalog.dictize import iso
from tsunagu.catalog.models import Dataset, Organization
from tsunagu.community import rights
from tsunagu.community.models import Showcase, ShowcasePackage
from tsunagu.context import Context
from tsunagu.errors import NotFound

KINDS = {
    "app": "アプリ",
    "service": "サービス",
    "analysis": "分析",
    "visualization": "可視化",
    "other": "その他",
}
STATES = {"pending": "承認待ち", "active": "公開中", "rejected": "非承認"}
IMAGE_FOLDER = "showcase"


def image_key(file_name: str) -> str:
    """The storage key of an uploaded image (``image_url`` holds the file name)."""
    return f"{IMAGE_FOLDER}/{file_name}"


def by_ref(context: Context, ref: str) -> Showcase:
    """A use case by id or name, whatever its state (callers check rights)."""
    showcase = context.session.scalar(
        select(Showcase).where((Showcase.id == ref) | (Showcase.name == ref))
    )
    if showcase is None or showcase.state == "deleted":
        raise NotFound(f"活用事例が見つかりません (Showcase not found): {ref}")
    return showcase


def can_read(context: Context, showcase: Showcase) -> bool:
    if showcase.state == "active":
        return True
    if context.user is not None and context.user.id == showcase.creator_user_id:
        return True
    return rights.can_moderate_showcase(context, showcase)


def readable(context: Context, ref: str) -> Showcase:
    showcase = by_ref(context, ref)
    if not can_read(context, showcase):
        raise NotFound(f"活用事例が見つかりません (Showcase not found): {ref}")
    return showcase


def readable_datasets(context: Context, showcase_ids: list[str]) -> dict[str, list[Dataset]]:
    """Each use case's datasets that the caller may read (active ones), in title order."""
    if not showcase_ids:
        return {}
    rows = context.session.execute(
        select(ShowcasePackage.showcase_id, Dataset)
        .join(Dataset, Dataset.id == ShowcasePackage.dataset_id)
        .where(ShowcasePackage.showcase_id.in_(sorted(set(showcase_ids))))
        .where(Dataset.state == "active")
        .order_by(Dataset.title, Dataset.name)
    )
    out: dict[str, list[Dataset]] = {}
    for showcase_id, dataset in rows:
        if authz.can_read_dataset(
            context,
            dataset.owner_org,
            dataset.private,
            dataset.state,
            dataset.creator_user_id,
            dataset.id,
        ):
            out.setdefault(showcase_id, []).append(dataset)
    return out


def notes_formatted(notes: str) -> Markup:
    """The description as HTML that can only be text: escaped, paragraphs and line breaks."""
    paragraphs = [p for p in notes.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(escape(line) for line in p.split("\n")))
        for p in paragraphs
    )


def showcase_dicts(context: Context, showcases: list[Showcase]) -> list[dict[str, Any]]:
    if not showcases:  # the common case on a dataset page: no query at all
        return []
    datasets = readable_datasets(context, [s.id for s in showcases])
    org_ids = sorted({d.owner_org for ds in datasets.values() for d in ds if d.owner_org})
    orgs = {
        org.id: org
        for org in context.session.scalars(select(Organization).where(Organization.id.in_(org_ids)))
    }
    site = context.settings.site_url
    out = []
    for showcase in showcases:
        used = datasets.get(showcase.id, [])
        moderator = rights.can_moderate_showcase(context, showcase)
        shown: dict[str, Any] = {
            "id": showcase.id,
            "name": showcase.name,
            "title": showcase.title,
            "type": "showcase",
            "notes": showcase.notes,
            "url": showcase.url,
            "author": showcase.author,
            # ckanext-showcase shows the address to everyone; here it is the moderators'.
            "author_email": showcase.author_email if moderator else "",
            "maintainer": "",
            "maintainer_email": "",
            "license_id": "",
            "version": "",
            "state": showcase.state,
            "private": False,
            "owner_org": None,
            "organization": None,
            "creator_user_id": showcase.creator_user_id if moderator else None,
            "metadata_created": iso(showcase.created),
            "metadata_modified": iso(showcase.modified),
            "tags": [],
            "num_tags": 0,
            "extras": [],
            "resources": [],
            "num_resources": 0,
            "groups": [],
            "relationships_as_object": [],
            "relationships_as_subject": [],
            "image_url": showcase.image_url,
            "image_display_url": (
                f"{site}/uploads/{image_key(showcase.image_url)}" if showcase.image_url else ""
            ),
            "num_datasets": len(used),
            "showcase_notes_formatted": str(notes_formatted(showcase.notes)),
            "kind": showcase.kind,
            "kind_label": KINDS.get(showcase.kind, showcase.kind),
            "datasets": [
                {
                    "id": d.id,
                    "name": d.name,
                    "title": d.title or d.name,
                    "owner_org": d.owner_org,
                    "organization_title": (
                        (orgs[d.owner_org].title or orgs[d.owner_org].name)
                        if d.owner_org in orgs
                        else None
                    ),
                }
                for d in used
            ],
        }
        if moderator:
            shown["review_note"] = showcase.review_note
            shown["reviewed"] = iso(showcase.reviewed)
        out.append(shown)
    return out


def showcase_dict(context: Context, showcase: Showcase) -> dict[str, Any]:
    return showcase_dicts(context, [showcase])[0]
