"""vocabulary_* actions: controlled tag lists (CKAN's tag vocabularies), changed by sysadmins.

A vocabulary such as 更新頻度 holds the tags a dataset may carry under it (毎月, 毎年 …). Datasets
show those tags with the vocabulary's id, and search finds them as ``vocab_<name>:<tag>``, so
renaming a vocabulary or taking tags out of it has the datasets carrying them indexed again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from tsunagu.catalog import authz, validation
from tsunagu.catalog import tags as tag_rows
from tsunagu.catalog.lookup import require_id
from tsunagu.catalog.models import Tag, Vocabulary
from tsunagu.context import Context
from tsunagu.errors import NotFound, require
from tsunagu.registry import action
from tsunagu.storage.upsert import flush_or_conflict, insert_missing

NAME_IN_USE = "この語彙名は既に使われています (That vocabulary name is already in use.)"


def _vocabulary(context: Context, data: dict[str, Any]) -> Vocabulary:
    ref = require_id(data)
    vocabulary = tag_rows.find_vocabulary(context.session, ref)
    if vocabulary is None:
        raise NotFound(f"語彙が見つかりません: {ref} (Could not find vocabulary)")
    return vocabulary


def _check_name(
    context: Context, data: dict[str, Any], errors: validation.Errors, current: Vocabulary | None
) -> str:
    name = validation.as_text(data, "name", errors, limit=100)
    if not name:
        validation.add(errors, "name", "必須項目です (Missing value)")
    elif len(name) < 2:
        validation.add(
            errors, "name", "2 文字以上にしてください (Name must be at least 2 characters long)"
        )
    elif any(c.isspace() or c in ":：" for c in name):
        # The name becomes the search field vocab_<name>; a space or colon would break it.
        validation.add(
            errors,
            "name",
            "空白とコロンは使えません (Name must not contain spaces or colons)",
        )
    else:
        clash = context.session.scalar(select(Vocabulary.id).where(Vocabulary.name == name))
        if clash is not None and (current is None or clash != current.id):
            validation.add(errors, "name", NAME_IN_USE)
    return name


def _tag_names(data: dict[str, Any], errors: validation.Errors) -> list[str] | None:
    """``tags``: a list of tag dicts (``name``) or names; None when absent."""
    raw = data.get("tags")
    if raw is None:
        return None
    if not isinstance(raw, list):
        validation.add(errors, "tags", "タグのリストで指定してください (Must be a list of tags)")
        return []
    names: list[str] = []
    for item in raw:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name.strip():
            validation.add(errors, "tags", "各タグに name が必要です (Each tag needs a name)")
            continue
        name = name.strip()
        if not validation.TAG_RE.match(name):
            validation.add(
                errors,
                "tags",
                f"タグ「{name}」に使えない文字が含まれています (Tag contains invalid characters)",
            )
        elif name not in names:
            names.append(name)
    return names


def _save_name(context: Context, vocabulary: Vocabulary, own_id: str | None) -> None:
    # Another request may have taken the name since the check: a 409, not a 500.
    flush_or_conflict(
        context.session,
        Vocabulary,
        field="name",
        value=vocabulary.name,
        own_id=own_id,
        message=NAME_IN_USE,
    )


def _set_tags(context: Context, vocabulary: Vocabulary, names: list[str]) -> None:
    """Make the vocabulary hold exactly these tags; datasets lose the tags taken out."""
    current = tag_rows.vocabulary_tags(context.session, vocabulary.id)
    gone = [t.id for t in current if t.name not in names]
    if gone:
        tag_rows.reindex_carriers(context.session, gone)
        context.session.execute(delete(Tag).where(Tag.id.in_(gone)))
    insert_missing(
        context.session,
        Tag,
        [{"name": n, "vocabulary_id": vocabulary.id} for n in names],
        ["name", "vocabulary_id"],
    )
    context.session.expire_all()


def _result(context: Context, vocabulary_id: str) -> dict[str, Any]:
    vocabulary = context.session.get(Vocabulary, vocabulary_id)
    assert vocabulary is not None
    return tag_rows.vocabulary_dict(context.session, vocabulary)


@action("vocabulary_create", write=True)
def vocabulary_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A new vocabulary (sysadmins): ``name`` (unique, 2–100 characters, no spaces or colons)
    and optionally its ``tags`` (a list of ``{"name"}``)."""
    authz.require_sysadmin(context)
    errors: validation.Errors = {}
    if data.get("id") not in (None, ""):
        validation.add(errors, "id", "指定できません (The input field id was not expected.)")
    name = _check_name(context, data, errors, None)
    names = _tag_names(data, errors)
    require(errors)
    vocabulary = Vocabulary(name=name)
    context.session.add(vocabulary)
    _save_name(context, vocabulary, None)
    if names:
        _set_tags(context, vocabulary, names)
    return _result(context, vocabulary.id)


@action("vocabulary_update", write=True)
def vocabulary_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Rename (``name``) and/or replace the tags (``tags``) of a vocabulary."""
    authz.require_sysadmin(context)
    vocabulary = _vocabulary(context, data)
    errors: validation.Errors = {}
    renamed = "name" in data and data["name"] != vocabulary.name
    name = _check_name(context, data, errors, vocabulary) if renamed else vocabulary.name
    names = _tag_names(data, errors)
    require(errors)
    if renamed:
        vocabulary.name = name
        _save_name(context, vocabulary, vocabulary.id)
        # Search names the vocabulary's field after it: every dataset with its tags changes.
        tag_rows.reindex_carriers(
            context.session,
            [t.id for t in tag_rows.vocabulary_tags(context.session, vocabulary.id)],
        )
    if names is not None:
        _set_tags(context, vocabulary, names)
    return _result(context, vocabulary.id)


@action("vocabulary_delete", write=True)
def vocabulary_delete(context: Context, data: dict[str, Any]) -> None:
    """Delete a vocabulary and its tags; the datasets carrying them lose them."""
    authz.require_sysadmin(context)
    vocabulary = _vocabulary(context, data)
    _set_tags(context, vocabulary, [])
    context.session.execute(delete(Vocabulary).where(Vocabulary.id == vocabulary.id))


@action("vocabulary_list")
def vocabulary_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every tag vocabulary with its tags, by name."""
    vocabularies = context.session.scalars(select(Vocabulary).order_by(Vocabulary.name))
    return [tag_rows.vocabulary_dict(context.session, v) for v in vocabularies]


@action("vocabulary_show")
def vocabulary_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A vocabulary by ``id`` (id or name), with its tags."""
    return tag_rows.vocabulary_dict(context.session, _vocabulary(context, data))
