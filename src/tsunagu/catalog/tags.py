"""Tags and tag vocabularies: finding them, making free tags, and checking a dataset's tags.

A free tag (``vocabulary_id`` "") is made the first time a dataset uses it. A vocabulary tag
belongs to a controlled list (CKAN's tag vocabularies, e.g. 更新頻度 → 毎月, 毎年) that only
sysadmins change; a dataset may carry it only if the vocabulary holds it.

What callers may learn: free tags exist only through datasets, so a free tag is shown only while
a public, active dataset carries it (whoever asks, as ``tag_list`` has always done). Vocabulary
tags are site configuration made by sysadmins and are shown as they are; the datasets listed
with any tag are public ones only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from tsunagu.catalog import validation
from tsunagu.catalog.models import Dataset, Tag, Vocabulary, dataset_tag
from tsunagu.catalog.revision import bump_revision
from tsunagu.errors import ValidationError
from tsunagu.storage.upsert import insert_missing

FREE = ""  # vocabulary_id of a free tag
# (tag name, vocabulary id or name as the client sent it; FREE for a free tag)
TagRef = tuple[str, str]


def find_vocabulary(session: Session, ref: str) -> Vocabulary | None:
    return session.scalar(
        select(Vocabulary).where(or_(Vocabulary.id == ref, Vocabulary.name == ref))
    )


def find_tag(session: Session, ref: str, vocabulary: Vocabulary | None) -> Tag | None:
    """As CKAN's Tag.get: by id (of any vocabulary unless one is given), else by name among the
    given vocabulary's tags (free tags when none is given)."""
    tag = session.get(Tag, ref)
    if tag is not None:
        return tag if vocabulary is None or tag.vocabulary_id == vocabulary.id else None
    vocabulary_id = vocabulary.id if vocabulary is not None else FREE
    return session.scalar(select(Tag).where(Tag.name == ref, Tag.vocabulary_id == vocabulary_id))


def tag_dict(tag: Tag) -> dict[str, Any]:
    return {
        "id": tag.id,
        "name": tag.name,
        "display_name": tag.name,
        "vocabulary_id": tag.vocabulary_id or None,
    }


def vocabulary_tags(session: Session, vocabulary_id: str) -> list[Tag]:
    return list(
        session.scalars(select(Tag).where(Tag.vocabulary_id == vocabulary_id).order_by(Tag.name))
    )


def vocabulary_dict(session: Session, vocabulary: Vocabulary) -> dict[str, Any]:
    return {
        "id": vocabulary.id,
        "name": vocabulary.name,
        "tags": [tag_dict(t) for t in vocabulary_tags(session, vocabulary.id)],
    }


def vocabulary_names(session: Session) -> dict[str, str]:
    """Vocabulary id → name (the search index names a vocabulary's field after it)."""
    return {vid: name for vid, name in session.execute(select(Vocabulary.id, Vocabulary.name))}


def public_dataset_ids(session: Session, tag_id: str, limit: int | None = None) -> list[str]:
    """Public, active datasets carrying the tag, by name."""
    stmt = (
        select(Dataset.id)
        .join(dataset_tag, dataset_tag.c.dataset_id == Dataset.id)
        .where(
            dataset_tag.c.tag_id == tag_id,
            Dataset.state == "active",
            Dataset.private.is_(False),
        )
        .order_by(Dataset.name)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def on_public_dataset(session: Session, tag_id: str) -> bool:
    return bool(
        session.scalar(
            select(
                exists()
                .where(dataset_tag.c.tag_id == tag_id, dataset_tag.c.dataset_id == Dataset.id)
                .where(Dataset.state == "active", Dataset.private.is_(False))
            )
        )
    )


def tag_refs(data: dict[str, Any], errors: validation.Errors) -> list[TagRef] | None:
    """A dataset's tags as CKAN sends them: ``tags`` (dicts with ``name`` and optionally
    ``vocabulary_id``, or plain strings) or ``tag_string`` ("a,b"); None when absent."""
    raw: list[Any]
    if "tags" in data and data["tags"] is not None:
        raw = data["tags"] if isinstance(data["tags"], list) else [data["tags"]]
    elif "tag_string" in data:
        raw = [t for t in str(data["tag_string"] or "").split(",")]
    else:
        return None
    refs: list[TagRef] = []
    for item in raw:
        name = item.get("name") if isinstance(item, dict) else item
        vocabulary = item.get("vocabulary_id") if isinstance(item, dict) else None
        if not isinstance(name, str) or not isinstance(vocabulary, str | None):
            validation.add(
                errors, "tags", "タグ名は文字列で指定してください (Tag names must be strings)"
            )
            continue
        name = name.strip()
        if not name:
            continue
        if not validation.TAG_RE.match(name):
            validation.add(
                errors,
                "tags",
                f"タグ「{name}」に使えない文字が含まれています (Tag contains invalid characters)",
            )
            continue
        ref = (name, (vocabulary or FREE).strip())
        if ref not in refs:
            refs.append(ref)
    return refs


def check_vocabulary_tags(
    session: Session, refs: Sequence[TagRef], errors: validation.Errors
) -> list[TagRef]:
    """The refs with each vocabulary given by its id; a tag its vocabulary does not hold (or an
    unknown vocabulary) is a field error, as CKAN's tag schema makes it."""
    checked: list[TagRef] = []
    for name, ref in refs:
        if ref == FREE:
            checked.append((name, FREE))
            continue
        vocabulary = find_vocabulary(session, ref)
        if vocabulary is None:
            validation.add(
                errors,
                "tags",
                f"タグの語彙が見つかりません: {ref} (Tag vocabulary was not found.)",
            )
            continue
        if not _holds(session, vocabulary, name):
            validation.add(
                errors,
                "tags",
                f"タグ「{name}」は語彙 {vocabulary.name} にありません "
                f"(Tag {name} does not belong to vocabulary {vocabulary.name})",
            )
            continue
        if (name, vocabulary.id) not in checked:
            checked.append((name, vocabulary.id))
    return checked


def _holds(session: Session, vocabulary: Vocabulary, name: str) -> bool:
    return (
        session.scalar(select(Tag.id).where(Tag.name == name, Tag.vocabulary_id == vocabulary.id))
        is not None
    )


def tags_for(session: Session, refs: Iterable[TagRef]) -> list[Tag]:
    """Tag rows for checked refs, in their order: free tags are made if new (safely when other
    requests make the same tag at the same moment), vocabulary tags must exist."""
    refs = list(refs)
    free = [name for name, vocabulary_id in refs if vocabulary_id == FREE]
    known = _existing(session, refs)
    missing = [n for n in free if (n, FREE) not in known]
    if missing:
        insert_missing(
            session,
            Tag,
            [{"name": n, "vocabulary_id": FREE} for n in missing],
            ["name", "vocabulary_id"],
        )
        known = _existing(session, refs)
    absent = [name for name, vocabulary_id in refs if (name, vocabulary_id) not in known]
    if absent:
        # A vocabulary tag deleted by a sysadmin since the check.
        raise ValidationError(
            {"tags": [f"タグが見つかりません: {', '.join(absent)} (Tag not found)"]}
        )
    return [known[ref] for ref in refs]


def _existing(session: Session, refs: Sequence[TagRef]) -> dict[TagRef, Tag]:
    names = {name for name, _ in refs}
    if not names:
        return {}
    rows = session.scalars(
        select(Tag).where(Tag.name.in_(names)).execution_options(populate_existing=True)
    )
    wanted = set(refs)
    return {(t.name, t.vocabulary_id): t for t in rows if (t.name, t.vocabulary_id) in wanted}


def reindex_carriers(session: Session, tag_ids: Sequence[str]) -> None:
    """Have the datasets carrying these tags indexed again (a vocabulary renamed, tags deleted).

    Their rows are locked before the revision counter, the order every dataset write takes
    (no deadlock on PostgreSQL). Only the revision changes: the datasets' own metadata did not.
    """
    if not tag_ids:
        return
    carriers = (
        select(dataset_tag.c.dataset_id).where(dataset_tag.c.tag_id.in_(list(tag_ids))).distinct()
    )
    ids = list(
        session.scalars(
            select(Dataset.id)
            .where(Dataset.id.in_(carriers))
            .order_by(Dataset.id)
            .with_for_update()
        )
    )
    if ids:
        revision = bump_revision(session)
        session.execute(update(Dataset).where(Dataset.id.in_(ids)).values(revision=revision))
