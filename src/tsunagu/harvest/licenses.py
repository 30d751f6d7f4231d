"""A licence as another catalog states it → one of ours, or kept as text.

Sources give licences as a CKAN id (``cc-by``, ``odc-odbl``), a title, a URL, or free text
("クリエイティブ・コモンズ 表示 4.0 国際", "政府標準利用規約（第2.0版）"). Only what names one of our
licences unambiguously is mapped; anything else stays as text in the ``harvest_license`` extra
and the dataset's licence is left unset, rather than guessed (a wrong licence is worse than
none) or failing the record.
"""

from __future__ import annotations

import re
import unicodedata

from tsunagu.catalog.licenses import LICENSES, get_license

# Tried in order on the folded text: the share-alike one before plain "by".
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"cc[\s_-]*by[\s_-]*sa[\s_-]*4|licenses/by-sa/4|表示[\s-]*継承\s*4"),
        "cc-by-sa-4.0",
    ),
    (re.compile(r"cc[\s_-]*by[\s_-]*4|licenses/by/4|表示\s*4\.0"), "cc-by-4.0"),
    (re.compile(r"\bcc0\b|cc[\s_-]*zero|publicdomain/zero"), "cc0-1.0"),
    (re.compile(r"公共データ利用規約|\bpdl[\s_-]*1|public_data_license"), "pdl-1.0"),
    (re.compile(r"\bodc[\s_-]*by\b|opendatacommons\.org/licenses/by"), "odc-by"),
)
_BY_TITLE = {lic.title: lic.id for lic in LICENSES}
_BY_URL = {lic.url.rstrip("/"): lic.id for lic in LICENSES if lic.url}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


def map_license(license_id: str = "", title: str = "", url: str = "") -> tuple[str, str]:
    """(our licence id or "", the source's own wording when it matched none of ours)."""
    for value in (license_id, title):
        if value and (known := get_license(value.strip())) is not None:
            return known.id, ""
    if title.strip() in _BY_TITLE:
        return _BY_TITLE[title.strip()], ""
    if url.strip().rstrip("/") in _BY_URL:
        return _BY_URL[url.strip().rstrip("/")], ""
    folded = _fold(" ".join(v for v in (license_id, title, url) if v))
    for pattern, found in _PATTERNS:
        if pattern.search(folded):
            return found, ""
    stated = next((v.strip() for v in (title, license_id, url) if v and v.strip()), "")
    return "", stated
