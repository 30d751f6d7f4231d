"""tag_* actions (free tags and vocabulary tags, as CKAN 2.11) and license_list.

Free tags are shown only while a public, active dataset carries them, whoever asks (see
catalog/tags.py): a tag used only on private datasets or drafts never shows through these
actions. Vocabulary tags are shown as their vocabulary holds them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from tsunagu.catalog import authz, validation
from tsunagu.catalog import tags as tag_rows
from tsunagu.catalog.dictize import package_dicts
from tsunagu.catalog.licenses import LICENSES
from tsunagu.catalog.lookup import require_id
from tsunagu.catalog.models import Tag, Vocabulary
from tsunagu.catalog.search_params import search_query
from tsunagu.context import Context
from tsunagu.errors import NotFound, ValidationError, require
from tsunagu.registry import action
from tsunagu.search.normalize import normalize_text
from tsunagu.storage.upsert import flush_or_conflict

# As CKAN's tag_show: at most this many datasets are listed with include_datasets.
SHOW_DATASETS = 1000


def _not_found(ref: str) -> NotFound:
    return NotFound(f"タグが見つかりません: {ref} (Could not find tag)")


def _public_counts(context: Context, field: str) -> dict[str, int]:
    """Public datasets per value of a tag field (``tags`` or ``vocab_<name>``), from the index."""
    query = search_query(context, {"rows": 0, "facet.field": [field], "facet.limit": -1})
    context.services.search.refresh(context.session)
    return context.services.search.search(query).facets.get(field, {})


def _public_free_tags(context: Context) -> tuple[list[Tag], dict[str, int]]:
    """Free tags carried by public datasets, by name, and how many datasets carry each."""
    counts = _public_counts(context, "tags")
    if not counts:
        return [], {}
    found = context.session.scalars(
        select(Tag).where(Tag.vocabulary_id == tag_rows.FREE, Tag.name.in_(list(counts)))
    )
    return sorted(found, key=lambda t: t.name), counts


def _vocabulary_tags(context: Context, vocabulary: Vocabulary) -> tuple[list[Tag], dict[str, int]]:
    counts = _public_counts(context, f"vocab_{vocabulary.name}")
    return tag_rows.vocabulary_tags(context.session, vocabulary.id), counts


def _terms(data: dict[str, Any], errors: validation.Errors) -> list[str]:
    """``query`` (or ``q``): one string or a list of them; every term must be in a tag's name."""
    raw = data.get("query", data.get("q"))
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    terms = []
    for item in items:
        if not isinstance(item, str | int | float):
            validation.add(errors, "query", "文字列で指定してください (Must be a string)")
            continue
        term = normalize_text(str(item).strip())
        if term:
            terms.append(term)
    return terms


def _matching(tags: list[Tag], terms: list[str]) -> list[Tag]:
    return [t for t in tags if all(term in normalize_text(t.name) for term in terms)]


def _listed(context: Context, data: dict[str, Any]) -> tuple[list[Tag], dict[str, int]] | None:
    """The tags a listing covers: a vocabulary's (``vocabulary_id``) or the public free tags;
    None for an unknown vocabulary."""
    ref = data.get("vocabulary_id")
    if ref in (None, ""):
        return _public_free_tags(context)
    vocabulary = tag_rows.find_vocabulary(context.session, str(ref))
    if vocabulary is None:
        return None
    return _vocabulary_tags(context, vocabulary)


@action("tag_list")
def tag_list(context: Context, data: dict[str, Any]) -> list[Any]:
    """Free tags of public datasets, or with ``vocabulary_id`` the tags of that vocabulary;
    ``query`` keeps the names containing it, ``all_fields`` gives tag dicts (with the number of
    public datasets carrying each, ``count``)."""
    errors: validation.Errors = {}
    terms = _terms(data, errors)
    all_fields = validation.as_bool(data, "all_fields", errors)
    require(errors)
    listed = _listed(context, data)
    if listed is None:
        if terms:  # as CKAN: a search in an unknown vocabulary finds nothing
            return []
        raise NotFound(
            f"語彙が見つかりません: {data.get('vocabulary_id')} (Could not find vocabulary)"
        )
    tags, counts = listed
    tags = _matching(tags, terms)
    if all_fields:
        return [{**tag_rows.tag_dict(t), "count": counts.get(t.name, 0)} for t in tags]
    return [t.name for t in tags]


def _search(context: Context, data: dict[str, Any]) -> tuple[list[Tag], int]:
    errors: validation.Errors = {}
    terms = _terms(data, errors)
    limit, offset = validation.paging(data, errors)
    require(errors)
    if not terms:
        return [], 0
    listed = _listed(context, data)
    if listed is None:
        return [], 0
    found = _matching(listed[0], terms)
    end = offset + limit if limit is not None else None
    return found[offset:end], len(found)


@action("tag_search")
def tag_search(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Tags whose names contain every ``query`` term (free tags, or a vocabulary's)."""
    found, count = _search(context, data)
    return {"count": count, "results": [tag_rows.tag_dict(t) for t in found]}


@action("tag_autocomplete")
def tag_autocomplete(context: Context, data: dict[str, Any]) -> list[str]:
    """Names of the tags containing every ``query`` string (free tags of public datasets, or
    with ``vocabulary_id`` a vocabulary's); ``limit``/``offset`` page them."""
    found, _ = _search(context, data)
    return [t.name for t in found]


def _find(context: Context, data: dict[str, Any]) -> Tag:
    """The tag named by ``id`` (id or name) and optional ``vocabulary_id``, as the caller may
    see it: a free tag no public dataset carries is not found."""
    ref = require_id(data)
    vocabulary = None
    if data.get("vocabulary_id"):
        vocabulary = tag_rows.find_vocabulary(context.session, str(data["vocabulary_id"]))
        if vocabulary is None:
            raise _not_found(ref)
    tag = tag_rows.find_tag(context.session, ref, vocabulary)
    if tag is None:
        raise _not_found(ref)
    hidden = tag.vocabulary_id == tag_rows.FREE and not context.is_sysadmin
    if hidden and not tag_rows.on_public_dataset(context.session, tag.id):
        raise _not_found(ref)
    return tag


@action("tag_show")
def tag_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A tag by ``id`` (id or name; ``vocabulary_id`` for a vocabulary tag's name).
    ``include_datasets`` adds ``packages``: the public datasets carrying it (at most 1000). A free
    tag no public dataset carries is not found."""
    errors: validation.Errors = {}
    include_datasets = validation.as_bool(data, "include_datasets", errors)
    require(errors)
    tag = _find(context, data)
    result = tag_rows.tag_dict(tag)
    if include_datasets:
        ids = tag_rows.public_dataset_ids(context.session, tag.id, SHOW_DATASETS)
        found = package_dicts(context.session, ids, context.settings.site_url)
        result["packages"] = [found[i] for i in ids if i in found]
    return result


@action("tag_create", write=True)
def tag_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A new tag in a vocabulary (free tags are made by adding them to a dataset)."""
    authz.require_sysadmin(context)
    errors: validation.Errors = {}
    if data.get("id") not in (None, ""):
        validation.add(errors, "id", "指定できません (The input field id was not expected.)")
    name = validation.as_text(data, "name", errors, limit=100)
    if not name:
        validation.add(errors, "name", "必須項目です (Missing value)")
    elif not validation.TAG_RE.match(name):
        validation.add(
            errors,
            "name",
            f"タグ「{name}」に使えない文字が含まれています (Tag contains invalid characters)",
        )
    vocabulary = None
    ref = validation.as_text(data, "vocabulary_id", errors)
    if not ref:
        validation.add(errors, "vocabulary_id", "必須項目です (Missing value)")
    else:
        vocabulary = tag_rows.find_vocabulary(context.session, ref)
        if vocabulary is None:
            validation.add(
                errors, "vocabulary_id", "語彙が見つかりません (Tag vocabulary was not found.)"
            )
    taken = ""
    if vocabulary is not None and name:
        taken = (
            f"タグ「{name}」は既に語彙 {vocabulary.name} にあります "
            f"(Tag {name} already belongs to vocabulary {vocabulary.id})"
        )
        if tag_rows.find_tag(context.session, name, vocabulary) is not None:
            validation.add(errors, "vocabulary_id", taken)
    require(errors)
    assert vocabulary is not None
    tag = Tag(name=name, vocabulary_id=vocabulary.id)
    context.session.add(tag)
    # The same tag created twice at once: the second is told it exists (409), not a 500.
    flush_or_conflict(
        context.session,
        Tag,
        field="name",
        value=name,
        own_id=None,
        message=taken,
        scope={"vocabulary_id": vocabulary.id},
        error_key="vocabulary_id",  # where CKAN's tag_not_in_vocabulary puts it
    )
    return tag_rows.tag_dict(tag)


@action("tag_delete", write=True)
def tag_delete(context: Context, data: dict[str, Any]) -> None:
    """Delete a tag (a free one, or with ``vocabulary_id`` a vocabulary's): every dataset loses
    it, as in CKAN."""
    if not data.get("id"):
        raise ValidationError({"id": ["必須項目です (id not in data)"]})
    authz.require_sysadmin(context)
    tag = _find(context, data)
    tag_rows.reindex_carriers(context.session, [tag.id])
    context.session.execute(delete(Tag).where(Tag.id == tag.id))
    context.session.expire_all()


@action("license_list")
def license_list(context: Context, data: dict[str, Any]) -> list[dict[str, object]]:
    """The licences a dataset may declare."""
    return [lic.as_dict() for lic in LICENSES]
