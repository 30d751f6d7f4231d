"""How a package dict becomes an index document: exact-match values, normalised text, sort keys."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from tsunagu.search.normalize import normalize_text, reading, tokenize, unigrams

# Free-text fields a query may name (title:避難所), and where their words are indexed.
TEXT_FIELDS = (
    "title",
    "notes",
    "author",
    "maintainer",
    "res_name",
    "res_description",
    "text",
    "url",
    "version",
)


@dataclass(slots=True)
class IndexDocument:
    id: str
    name: str
    owner_org: str | None
    private: bool
    state: str
    creator_user_id: str | None
    raw: bytes
    title_sort: str
    metadata_modified: str
    metadata_created: str
    num_resources: int
    num_tags: int
    quality_stars: int
    quality_score: int
    # ISO date from which the dataset is overdue (鮮度); "" when it has no schedule.
    next_update_due: str
    # Exact-match fields (organization, tags, res_format …) → display values.
    values: dict[str, list[str]]
    # Normalised text per free-text field, kept to confirm phrase matches.
    texts: dict[str, str]
    # Human titles of slug values, for facet display (organization name → title).
    titles: dict[str, dict[str, str]] = field(default_factory=dict)
    # Distinct index terms, kept to take the document out of the postings again. Tuples of
    # interned strings: 100k documents hold ~30M term references, and a set plus a private copy
    # of every bigram string per document cost ~3 GB at that size (about 0.3 GB this way).
    title_terms: tuple[str, ...] = ()
    body_terms: tuple[str, ...] = ()
    chars: tuple[str, ...] = ()
    # Hiragana reading of the title and tags, so ひなんじょ finds 避難所.
    reading: str = ""
    reading_terms: tuple[str, ...] = ()

    def term_families(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The document's terms per posting family, as every index files them."""
        return (
            ("title", self.title_terms),
            ("body", self.body_terms),
            ("char", self.chars),
            ("reading", self.reading_terms),
        )

    def field_keys(self) -> Iterator[tuple[str, str, str]]:
        """(field, lookup key, display value) for every exact-match value."""
        for field_name, values in self.values.items():
            for value in values:
                yield field_name, normalize_text(value), value


def _distinct(terms: Any) -> tuple[str, ...]:
    return tuple(sys.intern(term) for term in dict.fromkeys(terms))


def _strings(items: list[Any], key: str) -> list[str]:
    return [str(item[key]) for item in items if isinstance(item, dict) and item.get(key)]


def has_quality_errors(resources: list[Any]) -> bool:
    """Whether a check of one of the resources found errors, or could not read the file."""
    for resource in resources:
        quality = resource.get("quality") if isinstance(resource, dict) else None
        if not isinstance(quality, dict):
            continue
        findings = quality.get("findings") or {}
        if quality.get("status") == "error" or int(findings.get("error") or 0) > 0:
            return True
    return False


def build_document(
    package: dict[str, Any], vocabularies: Mapping[str, str] | None = None
) -> IndexDocument:
    """``vocabularies`` maps vocabulary ids to names: as CKAN indexes them, a vocabulary tag is
    a value of ``vocab_<vocabulary name>`` (and searchable text), not of ``tags``."""
    org = package.get("organization") or {}
    resources = package.get("resources") or []
    all_tags = [t for t in package.get("tags") or [] if isinstance(t, dict) and t.get("name")]
    tags = [str(t["name"]) for t in all_tags if not t.get("vocabulary_id")]
    vocab_values: dict[str, list[str]] = {}
    for tag in all_tags:
        vocabulary = (vocabularies or {}).get(str(tag.get("vocabulary_id") or ""))
        if vocabulary is not None:
            vocab_values.setdefault(f"vocab_{vocabulary}", []).append(str(tag["name"]))
    groups = package.get("groups") or []
    extras = {
        e["key"]: str(e.get("value", ""))
        for e in package.get("extras") or []
        if isinstance(e, dict) and e.get("key")
    }
    values: dict[str, list[str]] = {
        "id": [package["id"]],
        "name": [package["name"]],
        "organization": [org["name"]] if org.get("name") else [],
        "owner_org": [package["owner_org"]] if package.get("owner_org") else [],
        "groups": _strings(groups, "name"),
        "tags": tags,
        "res_format": sorted({str(r["format"]).upper() for r in resources if r.get("format")}),
        "license_id": [package["license_id"]] if package.get("license_id") else [],
        "state": [package.get("state") or "active"],
        "type": [package.get("type") or "dataset"],
        "capacity": ["private" if package.get("private") else "public"],
        "frequency": [package["frequency"]] if package.get("frequency") else [],
        "spatial": [package["spatial"]] if package.get("spatial") else [],
        "spatial_codes": [str(c) for c in package.get("spatial_codes") or []],
        "standard_id": [package["standard_id"]] if package.get("standard_id") else [],
        # Old free text no code was found for: `frequency_unmapped:*` finds what staff must fix.
        "frequency_unmapped": (
            [package["frequency_unmapped"]] if package.get("frequency_unmapped") else []
        ),
        "local_gov_code": [org["local_gov_code"]] if org.get("local_gov_code") else [],
        "kind": [org["kind"]] if org.get("kind") else [],
        "quality_stars": [str(int(package.get("quality_stars") or 0))],
        # Facetable too, so the organisation scorecard's mean score is one facet (metrics/).
        "quality_score": [str(int(package.get("quality_score") or 0))],
        # "true" when a file's check found errors or could not read it: the staff table's
        # "has errors" filter (quality_errors:true).
        "quality_errors": ["true" if has_quality_errors(resources) else "false"],
        # The standard datasets (自治体標準オープンデータセット) the resources follow.
        "quality_standard": sorted(
            {
                str(r["quality"]["standard"])
                for r in resources
                if isinstance(r.get("quality"), dict) and r["quality"].get("standard")
            }
        ),
    }
    for key, value in extras.items():
        values[f"extras_{key}"] = [value]
    values.update(vocab_values)
    res_names = " ".join(_strings(resources, "name"))
    res_descriptions = " ".join(_strings(resources, "description"))
    texts = {
        "title": normalize_text(package.get("title") or package["name"]),
        "notes": normalize_text(package.get("notes") or ""),
        "author": normalize_text(package.get("author") or ""),
        "maintainer": normalize_text(package.get("maintainer") or ""),
        "res_name": normalize_text(res_names),
        "res_description": normalize_text(res_descriptions),
        "url": normalize_text(package.get("url") or ""),
        "version": normalize_text(package.get("version") or ""),
    }
    # Everything a resident might type, beyond the title, goes into the body text.
    body_parts = [
        texts["notes"],
        texts["author"],
        texts["maintainer"],
        texts["res_name"],
        texts["res_description"],
        " ".join(tags),
        " ".join(v for names in vocab_values.values() for v in names),
        org.get("title") or "",
        org.get("name") or "",
        " ".join(_strings(groups, "title")),
        package.get("spatial") or "",
        package.get("contact_name") or "",
        package["name"].replace("-", " "),
        " ".join(extras.values()),
        texts["url"],
        texts["version"],
    ]
    body = normalize_text(" ".join(body_parts))
    texts["text"] = texts["title"] + " " + body
    return IndexDocument(
        id=package["id"],
        name=package["name"],
        owner_org=package.get("owner_org"),
        private=bool(package.get("private")),
        state=package.get("state") or "active",
        creator_user_id=package.get("creator_user_id"),
        # orjson over-allocates its output buffer (~3x for a package); copy to the exact size
        # since the index keeps this for as long as the process lives.
        raw=bytes(memoryview(orjson.dumps(package))),
        title_sort=texts["title"],
        metadata_modified=package.get("metadata_modified") or "",
        metadata_created=package.get("metadata_created") or "",
        num_resources=len(resources),
        num_tags=len(all_tags),
        quality_stars=int(package.get("quality_stars") or 0),
        quality_score=int(package.get("quality_score") or 0),
        next_update_due=package.get("next_update_due") or "",
        values=values,
        texts=texts,
        titles={
            "organization": {org["name"]: org.get("title") or org["name"]}
            if org.get("name")
            else {},
            "groups": {g["name"]: g.get("title") or g["name"] for g in groups if g.get("name")},
        },
        title_terms=_distinct(tokenize(texts["title"])),
        body_terms=_distinct(tokenize(body)),
        chars=_distinct(unigrams(texts["text"])),
        reading=(spoken := " ".join(reading(t) for t in [texts["title"], *tags])),
        reading_terms=_distinct(tokenize(spoken)),
    )
