"""From a harvester's package draft to what the catalog's actions take.

Everything here is deterministic, so the same record gives the same input (and the same
digest, which is how an unchanged record is recognised without writing anything).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from tsunagu.catalog import validation
from tsunagu.catalog.metadata.fields import clean_metadata
from tsunagu.harvest.licenses import map_license
from tsunagu.harvest.protocol import PackageDraft, RecordError

# Fields every harvested dataset has from its source (absent from a draft: written empty).
CORE_FIELDS = (
    "title",
    "notes",
    "url",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "version",
)
# Tsunagu's own metadata: the source controls them only when its draft gives them.
OPTIONAL_FIELDS = (
    "frequency",
    "spatial_codes",
    "temporal_start",
    "temporal_end",
    "contact_name",
    "contact_email",
    "contact_phone",
    "standard_id",
)
PROVENANCE = (
    "harvest_object_id",
    "harvest_source_id",
    "harvest_source_title",
    "harvest_source_url",
    "harvest_original_url",
)
LICENSE_TEXT = "harvest_license"
_TAG_NOT_ALLOWED = re.compile(r"[^\w \-.・ー]+")
_TEXT_LIMIT = validation.MAX_TEXT
_MAX_EXTRA_KEY = 200


def clean_tag(tag: Any) -> str:
    """A tag as the catalog accepts it; Japanese is kept, other marks become spaces."""
    if not isinstance(tag, str | int | float):
        return ""
    text = str(tag).strip()
    if validation.TAG_RE.match(text):
        return text
    text = _TAG_NOT_ALLOWED.sub(" ", unicodedata.normalize("NFKC", text))
    text = " ".join(text.split())[:100].strip()
    return text if text and validation.TAG_RE.match(text) else ""


def _text(value: Any, limit: int = _TEXT_LIMIT) -> str:
    if value is None:
        return ""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value).strip()[:limit]
    return ""


def _url(value: Any) -> str:
    text = _text(value, 2000)
    return text if re.match(r"^(https?|ftp)://\S+$", text, re.IGNORECASE) else ""


def _resources(draft: PackageDraft) -> list[dict[str, str]]:
    """The draft's files with a usable URL, each with a key unique within the record."""
    out: list[dict[str, str]] = []
    keys: set[str] = set()
    for item in draft.get("resources") or []:
        if not isinstance(item, dict):
            continue
        url = _url(item.get("url"))
        if not url:
            continue  # a file without a reachable URL (e.g. the source's own datastore) is left
        key = _text(item.get("key"), 2000) or url
        while key in keys:
            key += "#"
        keys.add(key)
        resource = {
            "key": key,
            "name": _text(item.get("name"), 1000),
            "description": _text(item.get("description")),
            "url": url,
            "format": _text(item.get("format"), 50),
            "mimetype": _text(item.get("mimetype"), 200),
        }
        stated = _text(item.get("last_modified"), 40)
        if stated and _iso(stated):
            resource["last_modified"] = stated
        out.append(resource)
    return out


def _iso(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _optional(
    session: Session, draft: PackageDraft, owner_org: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """(the Tsunagu metadata the catalog accepts as given, the rest as extras)."""
    source: dict[str, Any] = dict(draft)
    given = {f: source[f] for f in OPTIONAL_FIELDS if source.get(f) not in (None, "", [])}
    if not given:
        return {}, {}
    errors: validation.Errors = {}
    clean_metadata(session, given, None, owner_org, errors)
    bad = {f for f in given if f in errors}
    if {"temporal_start", "temporal_end"} & bad:
        bad |= {"temporal_start", "temporal_end"} & set(given)
    kept = {f: v for f, v in given.items() if f not in bad}
    moved = {
        f"harvest_{f}": ", ".join(map(str, v)) if isinstance(v, list) else _text(v)
        for f, v in given.items()
        if f in bad
    }
    return kept, moved


def prepare(session: Session, draft: PackageDraft, owner_org: str) -> dict[str, Any]:
    """The draft, cleaned: what will be written for this record (ids and name aside)."""
    title = _text(draft.get("title"))
    if not title:
        raise RecordError("タイトルがありません (Missing title)")
    source: dict[str, Any] = dict(draft)
    values: dict[str, Any] = {f: _text(source.get(f)) for f in CORE_FIELDS}
    values["title"] = title
    values["url"] = _url(values["url"])
    for field in ("author_email", "maintainer_email"):
        if values[field] and not validation.EMAIL_RE.match(values[field]):
            values[field] = ""
    license_id, license_text = map_license(
        _text(draft.get("license_id"), 200),
        _text(draft.get("license_title"), 500),
        _text(draft.get("license_url"), 500),
    )
    values["license_id"] = license_id
    tags: list[str] = []
    for tag in draft.get("tags") or []:
        cleaned = clean_tag(tag)
        if cleaned and cleaned not in tags:
            tags.append(cleaned)
    values["tags"] = sorted(tags)
    extras: dict[str, str] = {}
    for key, value in (draft.get("extras") or {}).items():
        key = _text(key, _MAX_EXTRA_KEY)
        if key and not key.startswith("harvest_"):
            extras[key] = value if isinstance(value, str) else orjson.dumps(value).decode()
    if license_text:
        extras[LICENSE_TEXT] = license_text[:500]
    kept, moved = _optional(session, draft, owner_org)
    values.update(kept)
    extras.update(moved)
    values["extras"] = dict(sorted(extras.items()))
    values["resources"] = _resources(draft)
    values["private"] = bool(draft.get("private", False))
    return values


def digest(prepared: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(prepared, option=orjson.OPT_SORT_KEYS)).hexdigest()


def size_of(draft: PackageDraft) -> int:
    return len(orjson.dumps(draft, default=str))
