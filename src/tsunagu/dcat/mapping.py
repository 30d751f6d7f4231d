"""One dcat:Dataset node read back into a Tsunagu package dict (the reverse of export.py).

Controlled fields are mapped to Tsunagu's codes where the source's terms say which: frequency
URIs (EU authority, Dublin Core) or Japanese text → 更新頻度 codes; place URIs (this site's
``/area/{code}``, e-Stat's 標準地域コード), Location identifiers or place names →
全国地方公共団体コード; licence URIs or titles → licence ids. What cannot be mapped is kept as an
extra (``license_original``, ``frequency_original``, ``contact_phone_original`` …) rather than
guessed or dropped. Japanese text is preferred when a property has several languages.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDFS, SKOS
from rdflib.term import Node

from tsunagu.catalog import validation
from tsunagu.catalog.licenses import LICENSES, get_license
from tsunagu.catalog.local_codes import check_digit, is_valid_local_gov_code
from tsunagu.catalog.metadata import contact, frequency, spatial
from tsunagu.dcat import vocab
from tsunagu.dcat.vocab import LOCN, SCHEMA, TIME, VCARD
from tsunagu.quality.standards.model import UnknownStandard, get_standard


class RecordError(Exception):
    """This dataset cannot be taken (the others on the page still can)."""


def _literals(graph: Graph, node: Node, predicate: URIRef) -> list[Literal]:
    return [o for o in graph.objects(node, predicate) if isinstance(o, Literal)]


def _rank(literal: Literal) -> int:
    lang = (literal.language or "").lower()
    if lang == "ja":
        return 0
    if not lang:
        return 1
    if lang.startswith("ja-"):
        return 2
    return 3 if lang == "en" else 4


def text(graph: Graph, node: Node, *predicates: URIRef) -> str:
    """The best literal of the first predicate that has one: Japanese, then untagged, then any."""
    for predicate in predicates:
        found = _literals(graph, node, predicate)
        if found:
            return str(sorted(found, key=_rank)[0]).strip()
    return ""


def _first(graph: Graph, node: Node, predicate: URIRef) -> Node | None:
    return next(iter(graph.objects(node, predicate)), None)


def _date(value: str, *, end: bool) -> str:
    """An ISO date from a date, date-time, year (2024) or year-month (2024-04); "" otherwise."""
    value = value.strip()
    if m := re.match(r"^(\d{4}-\d{2}-\d{2})", value):
        return m.group(1)
    if m := re.fullmatch(r"(\d{4})-(\d{2})", value):
        if not end:
            return f"{m.group(1)}-{m.group(2)}-01"
        last = calendar.monthrange(int(m.group(1)), int(m.group(2)))[1]
        return f"{m.group(1)}-{m.group(2)}-{last:02d}"
    if re.fullmatch(r"\d{4}", value):
        return f"{value}-12-31" if end else f"{value}-01-01"
    return ""


# -- licence --------------------------------------------------------------------------------

_LICENCE_TEXT = (
    (re.compile(r"公共データ利用規約|pdl\s*-?\s*1\.0"), "pdl-1.0"),
    (re.compile(r"cc\s*0|cc-?zero|publicdomain/zero|パブリックドメイン"), "cc0-1.0"),
    (re.compile(r"(cc[\s-]*by[\s-]*sa|表示\s*-?\s*継承)[^\d]*4\.0"), "cc-by-sa-4.0"),
    (
        re.compile(r"(cc[\s-]*by|表示)(?![\s-]*(sa|nc|nd|継承|非営利|改変禁止))[^\d]*4\.0"),
        "cc-by-4.0",
    ),
)


def licence_from_text(value: str) -> str | None:
    """Our licence id for a licence URI, id or title, or a text that names one unambiguously
    (「CC BY 4.0」, 「クリエイティブ・コモンズ 表示 4.0 国際」, 「公共データ利用規約」)."""
    stripped = value.strip()
    if not stripped:
        return None
    if stripped.startswith(("http://", "https://")):
        return vocab.licence_for_uri(stripped)
    known = get_license(stripped)
    if known is not None:
        return known.id
    folded = unicodedata.normalize("NFKC", stripped).lower()
    for licence in LICENSES:
        if folded == unicodedata.normalize("NFKC", licence.title).lower():
            return licence.id
    for pattern, license_id in _LICENCE_TEXT:
        if pattern.search(folded):
            return license_id
    return None


def _licence_node(graph: Graph, node: Node) -> tuple[str | None, str]:
    """(our licence id or None, the text or URI the source gave)."""
    if isinstance(node, Literal):
        return licence_from_text(str(node)), str(node)
    if isinstance(node, URIRef) and (found := vocab.licence_for_uri(str(node))):
        return found, str(node)
    label = text(graph, node, DCTERMS.title, RDFS.label, SKOS.prefLabel, FOAF.name)
    if label and (found := licence_from_text(label)):
        return found, label
    return None, str(node) if isinstance(node, URIRef) else label


def licence(graph: Graph, dataset: Node, distributions: list[Node]) -> tuple[str, str]:
    """The dataset's licence id ("" when none is known) and the original when it is not ours.

    The dataset's own dct:license first, then its distributions' (the first we know), then
    dct:rights text, as ckanext-dcat and udata read them."""
    originals: list[str] = []
    candidates = list(graph.objects(dataset, DCTERMS.license))
    for distribution in distributions:
        candidates += list(graph.objects(distribution, DCTERMS.license))
    candidates += list(graph.objects(dataset, DCTERMS.rights))
    for candidate in candidates:
        found, original = _licence_node(graph, candidate)
        if found:
            return found, ""
        if original and original not in originals:
            originals.append(original)
    return "", originals[0] if originals else ""


# -- frequency, place, time -----------------------------------------------------------------

_DUBLIN_CORE_FREQUENCY = "http://purl.org/cld/freq/"


def frequency_code(graph: Graph, dataset: Node) -> tuple[str, str]:
    """(the 更新頻度 code, the original when it maps to none)."""
    node = _first(graph, dataset, DCTERMS.accrualPeriodicity)
    if node is None:
        return "", ""
    if isinstance(node, URIRef):
        uri = str(node)
        for known in frequency.FREQUENCIES:
            if uri.rstrip("/") in (known.uri, known.uri.replace("http://", "https://")):
                return known.code, ""
        if uri.startswith(_DUBLIN_CORE_FREQUENCY):
            found = frequency.from_text(uri.removeprefix(_DUBLIN_CORE_FREQUENCY))
            if found:
                return found, ""
        label = text(graph, node, SKOS.prefLabel, RDFS.label)
        found = frequency.from_text(label) if label else None
        return (found, "") if found else ("", uri)
    if isinstance(node, Literal):
        found = frequency.from_text(str(node))
        return (found, "") if found else ("", str(node))
    label = text(graph, node, SKOS.prefLabel, RDFS.label)
    found = frequency.from_text(label) if label else None
    return (found, "") if found else ("", label)


_AREA_PATH = re.compile(r"/area/(\d{6})$")
_ESTAT_SAC = re.compile(r"/lod/sac/C(\d{5})(?:-\d{8})?$")


def _code_of(value: str) -> str | None:
    value = value.strip()
    if re.fullmatch(r"\d{5}", value):
        value += check_digit(value)
    if is_valid_local_gov_code(value) and spatial.place(value) is not None:
        return value
    return None


def places(graph: Graph, dataset: Node) -> tuple[list[str], str]:
    """(全国地方公共団体コード, a label for places that have no code)."""
    codes: list[str] = []
    labels: list[str] = []
    for node in graph.objects(dataset, DCTERMS.spatial):
        code = None
        if isinstance(node, URIRef):
            path = urlsplit(str(node)).path
            if m := _AREA_PATH.search(path) or _ESTAT_SAC.search(path):
                code = _code_of(m.group(1))
        if code is None and not isinstance(node, Literal):
            for identifier in _literals(graph, node, DCTERMS.identifier):
                code = code or _code_of(str(identifier))
        label = (
            str(node)
            if isinstance(node, Literal)
            else text(graph, node, SKOS.prefLabel, LOCN.geographicName, RDFS.label)
        )
        if code is None and label:
            found = spatial.codes_for_label(label)
            if found:
                codes.extend(found)
                continue
            labels.append(label)
            continue
        if code is not None:
            codes.append(code)
    return list(dict.fromkeys(codes)), "、".join(dict.fromkeys(labels))


def period(graph: Graph, dataset: Node) -> tuple[str, str]:
    """(temporal_start, temporal_end) over every dct:temporal the dataset has."""
    starts: list[str] = []
    ends: list[str] = []
    for node in graph.objects(dataset, DCTERMS.temporal):
        if isinstance(node, Literal):
            start, _, end = str(node).partition("/")
            starts.append(_date(start, end=False))
            ends.append(_date(end, end=True))
            continue
        start = text(graph, node, DCAT.startDate, SCHEMA.startDate)
        end = text(graph, node, DCAT.endDate, SCHEMA.endDate)
        if not start and (instant := _first(graph, node, TIME.hasBeginning)) is not None:
            start = text(
                graph, instant, TIME.inXSDDate, TIME.inXSDDateTimeStamp, TIME.inXSDDateTime
            )
        if not end and (instant := _first(graph, node, TIME.hasEnd)) is not None:
            end = text(graph, instant, TIME.inXSDDate, TIME.inXSDDateTimeStamp, TIME.inXSDDateTime)
        starts.append(_date(start, end=False))
        ends.append(_date(end, end=True))
    starts = [s for s in starts if s]
    ends = [e for e in ends if e]
    start, end = (min(starts) if starts else ""), (max(ends) if ends else "")
    if start and end and end < start:
        return start, ""
    return start, end


# -- contact, standard, themes, publisher ---------------------------------------------------


def _value(graph: Graph, node: Node) -> str:
    """A vCard value given as a URI, a literal, or a node with vcard:hasValue."""
    if isinstance(node, (URIRef, Literal)):
        return str(node)
    inner = _first(graph, node, VCARD.hasValue)
    return str(inner) if inner is not None else ""


def domestic_phone(value: str) -> str:
    """``tel:+81-83-231-1111;ext=12`` → ``083-231-1111 内線12``; other text as it is."""
    number = value.strip().removeprefix("tel:")
    extension = ""
    if ";ext=" in number:
        number, extension = number.split(";ext=", 1)
        extension = extension.split(";", 1)[0]
    number = number.split(";", 1)[0]
    if number.startswith("+81"):
        number = "0" + number[3:].lstrip("-")
    return f"{number} 内線{extension}" if extension else number


def contact_point(graph: Graph, dataset: Node) -> tuple[dict[str, str], dict[str, str]]:
    """(contact_* fields, extras for values Tsunagu would refuse)."""
    node = _first(graph, dataset, DCAT.contactPoint)
    if node is None:
        return {}, {}
    fields: dict[str, str] = {}
    kept: dict[str, str] = {}
    if name := text(graph, node, VCARD.fn, VCARD["organization-name"], FOAF.name):
        fields["contact_name"] = name[:200]
    if (email_node := _first(graph, node, VCARD.hasEmail)) is not None:
        email = _value(graph, email_node).removeprefix("mailto:").strip()
        if validation.EMAIL_RE.match(email):
            fields["contact_email"] = email
        elif email:
            kept["contact_email_original"] = email
    if (phone_node := _first(graph, node, VCARD.hasTelephone)) is not None:
        phone = contact.normalise_phone(domestic_phone(_value(graph, phone_node)))
        if phone and contact.phone_problem(phone) is None:
            fields["contact_phone"] = phone
        elif phone:
            kept["contact_phone_original"] = phone
    return fields, kept


def standard(graph: Graph, dataset: Node) -> tuple[str, list[str]]:
    """(the 自治体標準オープンデータセット id, other dct:conformsTo values kept as they are)."""
    others: list[str] = []
    for node in graph.objects(dataset, DCTERMS.conformsTo):
        keys: list[str] = []
        if isinstance(node, URIRef):
            keys += parse_qs(urlsplit(str(node)).query).get("id", [])
        keys += [str(v) for v in _literals(graph, node, DCTERMS.identifier)]
        title = text(graph, node, DCTERMS.title, RDFS.label)
        if title:
            keys.append(re.sub(r"^自治体標準オープンデータセット\s*(\d+\s*)?", "", title).strip())
        for key in keys:
            try:
                return get_standard(key).id, []
            except UnknownStandard:
                continue
        others.append(str(node) if isinstance(node, URIRef) else title)
    return "", [o for o in others if o]


def themes(graph: Graph, dataset: Node) -> tuple[list[dict[str, str]], list[str]]:
    """(groups named by a theme URI of a Tsunagu or CKAN catalog, every theme URI)."""
    groups: list[dict[str, str]] = []
    uris: list[str] = []
    for node in graph.objects(dataset, DCAT.theme):
        if not isinstance(node, URIRef):
            continue
        uris.append(str(node))
        parts = urlsplit(str(node))
        name = (parse_qs(parts.query).get("groups") or [""])[0]
        if not name and (m := re.search(r"/group/([a-z0-9_-]{2,100})/?$", parts.path)):
            name = m.group(1)
        if validation.NAME_RE.match(name):
            title = text(graph, node, SKOS.prefLabel, RDFS.label, DCTERMS.title) or name
            groups.append({"name": name, "title": title})
    return groups, uris


def publisher(graph: Graph, dataset: Node) -> dict[str, str]:
    node = _first(graph, dataset, DCTERMS.publisher)
    if node is None:
        return {}
    found = {
        "publisher_name": text(graph, node, FOAF.name, SKOS.prefLabel, RDFS.label),
        "publisher_identifier": text(graph, node, DCTERMS.identifier),
        "publisher_uri": str(node) if isinstance(node, URIRef) else "",
    }
    return {k: v for k, v in found.items() if v}


def keywords(graph: Graph, dataset: Node) -> list[str]:
    """dcat:keyword as Tsunagu tags: characters a tag cannot hold become spaces, at most 100
    characters, Japanese kept as it is (never munged to an empty slug)."""
    tags: list[str] = []
    for literal in _literals(graph, dataset, DCAT.keyword):
        tag = re.sub(r"[^\w \-.・ー]+", " ", unicodedata.normalize("NFKC", str(literal)))
        tag = " ".join(tag.split())[:100].strip()
        if tag and validation.TAG_RE.match(tag) and tag not in tags:
            tags.append(tag)
    return tags


def version(graph: Graph, dataset: Node) -> str:
    return text(graph, dataset, vocab.DCAT_VERSION, OWL.versionInfo)


def first_uri(graph: Graph, node: Node, *predicates: URIRef) -> str:
    for predicate in predicates:
        for value in graph.objects(node, predicate):
            if isinstance(value, URIRef) and str(value).startswith(("http://", "https://")):
                return str(value)
    return ""


def extras(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in pairs if v]
