"""What a file's name and columns say about the dataset it belongs to.

The Digital Agency names standard files ``<全国地方公共団体コード>_<english_name>.csv``
(``352012_evacuation_space.csv``): the code names the place, the rest the standard dataset.
A file named otherwise can still show its standard by its columns (quality/standards). The
licence is the one the organisation uses most, as a clerk would copy it from last year's data.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tsunagu.catalog.licenses import ALIASES, LICENSES
from tsunagu.catalog.local_codes import is_valid_local_gov_code
from tsunagu.catalog.metadata import spatial
from tsunagu.catalog.metadata.names import slug_from_title
from tsunagu.catalog.models import Dataset
from tsunagu.catalog.validation import NAME_RE
from tsunagu.quality.standards import Standard, UnknownStandard, get_standard, guess_standard

DEFAULT_LICENSE = "cc-by-4.0"
_CODE_FIRST = re.compile(r"^(\d{6})[\s_\-]+(.+)$")
_NOT_NAME = re.compile(r"[^a-z0-9_\-]+")
_PARENTHESES = re.compile(r"[(（]([^()（）]+)[)）]")
_LICENSE_NOISE = re.compile(r"[\s\-_.・,()（）「」]")


@dataclass(frozen=True)
class FileName:
    stem: str  # the name without its extension, NFKC
    code: str | None  # a valid 6-digit code in front of it
    place: spatial.Place | None  # the place that code names
    rest: str  # what follows the code (the whole stem when there is none)


def parse(filename: str) -> FileName:
    stem = unicodedata.normalize("NFKC", filename).strip()
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    m = _CODE_FIRST.match(stem)
    if m and is_valid_local_gov_code(m.group(1)):
        return FileName(stem, m.group(1), spatial.place(m.group(1)), m.group(2).strip())
    return FileName(stem, None, None, stem)


def standard_from_name(parsed: FileName) -> Standard | None:
    """The standard the name after the code says (``evacuation_space``, ``aed_location``,
    ``03``, ``指定緊急避難場所``); words added after it (``_2024``, ``_r6``) are allowed."""
    words = re.split(r"[_\-\s]+", parsed.rest.strip().lower())
    for end in range(len(words), 0, -1):
        for key in ("_".join(words[:end]), "".join(words[:end])):
            if not key:
                continue
            try:
                return get_standard(key)
            except UnknownStandard:
                continue
    return None


def standard_from_columns(columns: list[str] | None) -> Standard | None:
    if not columns:
        return None
    guess = guess_standard(columns)
    return guess.standard if guess is not None else None


def listing_title(standard: Standard) -> str:
    """指定緊急避難場所 → 指定緊急避難場所一覧, as municipal catalogs title these lists."""
    if standard.title.endswith(("一覧", "人口")):
        return standard.title
    return f"{standard.title}一覧"


def title_for(parsed: FileName, standard: Standard | None, org_title: str) -> str:
    place = parsed.place.name if parsed.place is not None else ""
    if standard is not None:
        return f"{place or org_title} {listing_title(standard)}".strip()
    words = re.sub(r"[_\-]+", " ", parsed.rest).strip() or parsed.stem
    return f"{place} {words}".strip() if place else words


def _trimmed(name: str) -> str:
    return name[:100].strip("-_")


def name_for_file(parsed: FileName, org_name: str) -> str:
    """A URL name that the same file name gives again next time (so a re-upload finds the
    dataset it made): the stem itself when it already is one and starts with a code, else the
    organisation's name and the stem (read in romaji when Japanese)."""
    ascii_name = _NOT_NAME.sub("-", parsed.stem.lower()).strip("-_")
    if parsed.stem.isascii() and ascii_name:
        name = ascii_name if parsed.code else f"{org_name}-{ascii_name}"
    else:
        slug = slug_from_title(parsed.stem)
        name = f"{org_name}-{slug}" if slug else f"{org_name}-dataset"
    name = _trimmed(name)
    return name if NAME_RE.match(name) else f"{org_name}-dataset"


def name_for_title(title: str, org_name: str) -> str:
    slug = slug_from_title(title)
    if slug.startswith(org_name.split("-")[0]):
        return _trimmed(slug)
    return _trimmed(f"{org_name}-{slug}" if slug else f"{org_name}-dataset")


def _fold(text: str) -> str:
    return _LICENSE_NOISE.sub("", unicodedata.normalize("NFKC", text)).casefold()


def _license_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for lic in LICENSES:
        keys[_fold(lic.id)] = lic.id
        keys[_fold(lic.title)] = lic.id
        for short in _PARENTHESES.findall(lic.title):
            keys.setdefault(_fold(short), lic.id)
        keys.setdefault(_fold(_PARENTHESES.sub("", lic.title)), lic.id)
    for alias, target in ALIASES.items():
        keys.setdefault(_fold(alias), target)
    # How people write them in sheets.
    spoken = {
        "ccby": "cc-by-4.0",
        "クリエイティブコモンズ表示": "cc-by-4.0",
        "クリエイティブコモンズ表示40": "cc-by-4.0",
        "クリエイティブコモンズ表示40国際": "cc-by-4.0",
        "公共データ利用規約": "pdl-1.0",
        "公共データ利用規約第10版": "pdl-1.0",
        "pdl": "pdl-1.0",
        "cc0": "cc0-1.0",
        "パブリックドメイン": "cc0-1.0",
        "ccbysa": "cc-by-sa-4.0",
    }
    for key, target in spoken.items():
        keys.setdefault(_fold(key), target)
    return keys


_LICENSES = _license_keys()


def license_from_text(text: str) -> str | None:
    """The licence id a sheet cell names ("CC BY 4.0", "公共データ利用規約", "cc0-1.0" …)."""
    return _LICENSES.get(_fold(text))


def license_choices() -> str:
    """For a message: the licences as people name them, then the ids."""
    return "CC BY 4.0、PDL1.0、CC0、CC BY-SA 4.0、ODC-BY または " + "、".join(
        lic.id for lic in LICENSES
    )


def usual_license(session: Session, org_id: str) -> str:
    """The licence most of the organisation's datasets carry, or CC BY 4.0."""
    row = session.execute(
        select(Dataset.license_id, func.count())
        .where(Dataset.owner_org == org_id, Dataset.state != "deleted", Dataset.license_id != "")
        .group_by(Dataset.license_id)
        .order_by(func.count().desc(), Dataset.license_id)
        .limit(1)
    ).first()
    return str(row[0]) if row else DEFAULT_LICENSE
