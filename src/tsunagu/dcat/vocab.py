"""The RDF vocabularies DCAT-AP 3 uses, and the controlled terms Tsunagu maps its fields to.

Both directions live here (export.py writes these terms, parse.py reads them back), so a term
is spelled in one place. Licence and file-type terms are read leniently: http or https, with or
without a trailing slash, a ``deed.ja`` or ``legalcode`` page of the same licence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, RDFS, SKOS, XSD

from tsunagu.catalog.licenses import get_license

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
SCHEMA = Namespace("http://schema.org/")
TIME = Namespace("http://www.w3.org/2006/time#")
# DCAT 3 terms rdflib's DCAT namespace (DCAT 2) does not define.
DCAT_VERSION = URIRef("http://www.w3.org/ns/dcat#version")

PREFIXES = {
    "dcat": DCAT,
    "dct": DCTERMS,
    "foaf": FOAF,
    "vcard": VCARD,
    "hydra": HYDRA,
    "dcatap": DCATAP,
    "adms": ADMS,
    "spdx": SPDX,
    "skos": SKOS,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "rdf": RDF,
    "schema": SCHEMA,
}

FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
IANA = "https://www.iana.org/assignments/media-types/"
LANGUAGE_JA = "http://publications.europa.eu/resource/authority/language/JPN"
AVAILABILITY_STABLE = "http://publications.europa.eu/resource/authority/planned-availability/STABLE"
PUBLISHER_TYPE = "http://purl.org/adms/publishertype/"
LICENCE_TYPE = "http://purl.org/adms/licencetype/"

# Organisation kind → ADMS publisher type (the vocabulary DCAT-AP names for foaf:Agent dct:type).
PUBLISHER_TYPES = {
    "prefecture": ("RegionalAuthority", "地方公共団体（都道府県）"),
    "prefectural_department": ("RegionalAuthority", "地方公共団体（都道府県）"),
    "municipality": ("LocalAuthority", "地方公共団体（市区町村）"),
}


@dataclass(frozen=True)
class LicenceTerm:
    """How a licence of ours is named in RDF: its URI and its ADMS licence types."""

    license_id: str
    uri: str
    types: tuple[str, ...]
    # Other URIs that name the same licence (SPDX, the EU licence authority, older pages).
    aliases: tuple[str, ...] = ()


# Creative Commons' own URIs (https since 2019) and the Digital Agency's page for PDL 1.0
# (公共データ利用規約 第1.0版), the URI its 出典記載例 tells users to cite.
LICENCES = (
    LicenceTerm(
        "cc-by-4.0",
        "https://creativecommons.org/licenses/by/4.0/",
        ("Attribution",),
        (
            "http://spdx.org/licenses/CC-BY-4.0",
            "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
        ),
    ),
    LicenceTerm(
        "cc0-1.0",
        "https://creativecommons.org/publicdomain/zero/1.0/",
        ("PublicDomain",),
        (
            "http://spdx.org/licenses/CC0-1.0",
            "http://publications.europa.eu/resource/authority/licence/CC0",
        ),
    ),
    LicenceTerm(
        "pdl-1.0",
        "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
        ("Attribution",),
        ("https://www.digital.go.jp/en/resources/open_data/public_data_license_v1.0",),
    ),
    LicenceTerm(
        "cc-by-sa-4.0",
        "https://creativecommons.org/licenses/by-sa/4.0/",
        ("Attribution", "ShareAlike"),
        (
            "http://spdx.org/licenses/CC-BY-SA-4.0",
            "http://publications.europa.eu/resource/authority/licence/CC_BYSA_4_0",
        ),
    ),
    LicenceTerm(
        "odc-by",
        "https://opendatacommons.org/licenses/by/",
        ("Attribution",),
        (
            "http://spdx.org/licenses/ODC-By-1.0",
            "http://opendatacommons.org/licenses/by/1.0/",
            "http://publications.europa.eu/resource/authority/licence/ODC_BY",
        ),
    ),
)
LICENCE_TYPE_LABELS = {
    "Attribution": "表示",
    "PublicDomain": "パブリックドメイン",
    "ShareAlike": "継承",
}
_LICENCE_BY_ID = {term.license_id: term for term in LICENCES}


def _uri_key(uri: str) -> str:
    """One spelling of a licence page's URI: no scheme, no trailing slash, no deed page."""
    key = re.sub(r"^https?://", "", uri.strip()).rstrip("/").lower()
    key = re.sub(r"/(deed\.[a-z-]+|legalcode(\.[a-z-]+)?)$", "", key)
    return key.removesuffix("/1.0") if key.startswith("opendatacommons.org/") else key


_LICENCE_BY_URI = {
    _uri_key(uri): term.license_id for term in LICENCES for uri in (term.uri, *term.aliases)
}


def licence_term(license_id: str) -> LicenceTerm | None:
    found = get_license(license_id)
    return _LICENCE_BY_ID.get(found.id) if found else None


def licence_for_uri(uri: str) -> str | None:
    """Our licence id for a licence URI, or None when it is not one we know."""
    return _LICENCE_BY_URI.get(_uri_key(uri))


@dataclass(frozen=True)
class FileType:
    format: str  # as Tsunagu writes it (resource.format)
    authority: str  # the EU file-type authority's code
    media_type: str  # the IANA media type, "" when it has none


FILE_TYPES = (
    FileType("CSV", "CSV", "text/csv"),
    FileType("TSV", "TSV", "text/tab-separated-values"),
    FileType("XLSX", "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    FileType("XLS", "XLS", "application/vnd.ms-excel"),
    FileType("ODS", "ODS", "application/vnd.oasis.opendocument.spreadsheet"),
    FileType("JSON", "JSON", "application/json"),
    FileType("GeoJSON", "GEOJSON", "application/geo+json"),
    FileType("JSON-LD", "JSON_LD", "application/ld+json"),
    FileType("XML", "XML", "application/xml"),
    FileType("RDF", "RDF_XML", "application/rdf+xml"),
    FileType("TTL", "RDF_TURTLE", "text/turtle"),
    FileType("PDF", "PDF", "application/pdf"),
    FileType("HTML", "HTML", "text/html"),
    FileType("TXT", "TXT", "text/plain"),
    FileType("ZIP", "ZIP", "application/zip"),
    FileType(
        "DOCX", "DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ),
    FileType("DOC", "DOC", "application/msword"),
    FileType(
        "PPTX",
        "PPTX",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    FileType("KML", "KML", "application/vnd.google-earth.kml+xml"),
    FileType("KMZ", "KMZ", "application/vnd.google-earth.kmz"),
    FileType("SHP", "SHP", ""),
    FileType("GML", "GML", "application/gml+xml"),
    FileType("PNG", "PNG", "image/png"),
    FileType("JPEG", "JPEG", "image/jpeg"),
    FileType("GIF", "GIF", "image/gif"),
    FileType("TIFF", "TIFF", "image/tiff"),
)
# Spellings of a format people write (upper-cased) → the entry above.
_FORMAT_SPELLINGS = {"JPG": "JPEG", "TURTLE": "TTL", "RDF/XML": "RDF", "TIF": "TIFF"}
_BY_FORMAT = {f.format.upper(): f for f in FILE_TYPES}
_BY_AUTHORITY = {f.authority: f for f in FILE_TYPES}
_BY_MEDIA_TYPE = {f.media_type: f for f in FILE_TYPES if f.media_type}


def file_type(fmt: str) -> FileType | None:
    key = fmt.strip().upper()
    return _BY_FORMAT.get(_FORMAT_SPELLINGS.get(key, key))


def file_type_for_uri(uri: str) -> FileType | None:
    """The entry an EU file-type or IANA media-type URI names."""
    if m := re.match(r"^https?://publications\.europa\.eu/resource/authority/file-type/(.+)$", uri):
        return _BY_AUTHORITY.get(m.group(1).upper())
    if media := media_type_of(uri):
        return _BY_MEDIA_TYPE.get(media)
    return None


def media_type_of(uri: str) -> str:
    """``https://www.iana.org/assignments/media-types/text/csv`` → ``text/csv`` ("" otherwise)."""
    m = re.match(r"^https?://www\.iana\.org/assignments/media-types/(.+)$", uri.strip())
    return m.group(1).lower() if m else ""


def file_type_for_media_type(media_type: str) -> FileType | None:
    return _BY_MEDIA_TYPE.get(media_type.split(";", 1)[0].strip().lower())
