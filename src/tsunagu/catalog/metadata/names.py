"""URL names (CKAN's ``name``) suggested from a Japanese title, and checked as one types.

The title is read in romaji by pykakasi (the search index's reading already uses it), then made
a slug by the rules of CKAN's name validator: lowercase ASCII letters, digits, ``-`` and ``_``,
2 to 100 characters. Long vowels are written short (とうきょう → tokyo, カレンダー → karenda),
as in passport romaji, which keeps names short and the way people spell place names. A name
already taken (by a dataset in any state: names stay reserved until purged) gets -2, -3 ….
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagu.catalog.models import Dataset
from tsunagu.catalog.validation import NAME_RE
from tsunagu.search.normalize import _get_kakasi

MAX_BASE = 80  # leaves room for a -NN suffix within CKAN's 100
_LONG_VOWELS = re.compile(r"ou|uu|aa|ee|oo")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class NameCheck:
    name: str
    valid: bool
    available: bool
    reason: str  # Japanese first, English in brackets; "" when the name can be used


def slug_from_title(title: str) -> str:
    """ "下関市 指定緊急避難場所一覧" → "shimonosekishi-shitei-kinkyuhinan-basho-ichiran"."""
    text = unicodedata.normalize("NFKC", title).strip()
    if not text:
        return ""
    words = []
    for item in _get_kakasi().convert(text):
        romaji = str(item["hepburn"]).lower()
        if not item["orig"].isascii():
            romaji = _LONG_VOWELS.sub(lambda m: m.group(0)[0], romaji)
        words.append(romaji)
    slug = _NOT_SLUG.sub("-", "-".join(words)).strip("-")
    slug = re.sub(r"-{2,}", "-", slug)
    if len(slug) > MAX_BASE:
        cut = slug[:MAX_BASE]
        slug = cut.rsplit("-", 1)[0] if "-" in cut[MAX_BASE // 2 :] else cut
    return slug


def _taken(session: Session, names: list[str], own_id: str | None) -> set[str]:
    query = select(Dataset.name).where(Dataset.name.in_(names))
    if own_id:
        query = query.where(Dataset.id != own_id)
    return set(session.scalars(query))


def unique_name(session: Session, base: str, own_id: str | None = None) -> str:
    """``base``, or ``base-2``, ``base-3`` … whichever is free first."""
    start = 1
    while True:
        candidates = [base if n == 1 else f"{base}-{n}" for n in range(start, start + 50)]
        taken = _taken(session, candidates, own_id)
        for candidate in candidates:
            if candidate not in taken:
                return candidate
        start += 50


# Parts of organisation names that say what kind of body it is, not which one.
_GENERIC_PARTS = {"city", "town", "village", "pref", "prefecture", "ken", "shi", "cho", "machi"}


def _names_the_organisation(slug: str, org_name: str) -> bool:
    """Whether the slug starts with the organisation's own word (下関市 → "shimonosekishi"
    for "shimonoseki-city")."""
    parts = [p for p in org_name.split("-") if len(p) >= 3 and p not in _GENERIC_PARTS]
    return any(slug.startswith(p) for p in parts)


def suggest(
    session: Session, title: str, org_name: str | None = None, own_id: str | None = None
) -> str:
    """A free URL name for a title; the organisation's name goes first unless the title
    already starts with it, so two cities' "AED設置箇所一覧" get different names."""
    slug = slug_from_title(title)
    if org_name and not _names_the_organisation(slug, org_name):
        slug = f"{org_name}-{slug}" if slug else org_name
    if len(slug) < 2:
        slug = f"dataset-{slug}" if slug else "dataset"
    return unique_name(session, slug[:MAX_BASE].strip("-"), own_id)


def check(session: Session, name: str, own_id: str | None = None) -> NameCheck:
    name = name.strip()
    if not name:
        return NameCheck(name, False, False, "URL に使う名前を入力してください (Missing value)")
    if not NAME_RE.match(name):
        return NameCheck(
            name,
            False,
            False,
            "半角英小文字・数字・「-」「_」の 2〜100 文字で指定してください "
            "(Must be 2-100 lowercase alphanumeric characters, - or _)",
        )
    if _taken(session, [name], own_id):
        return NameCheck(
            name, True, False, "この URL は既に使われています (That URL is already in use.)"
        )
    return NameCheck(name, True, True, "")
