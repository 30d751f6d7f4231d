"""A package dict as DCAT-AP 3 (dcat:Dataset and its distributions, publisher, contact …).

Mapped as ckanext-dcat's euro_dcat_ap_3 profile maps CKAN fields where the two meet (docs/api.md
§20.2 has the table), with Tsunagu's controlled fields in their DCAT places: 更新頻度 as the EU
frequency URI, 対象地域 as one dct:Location per 全国地方公共団体コード, 対象期間 as a
dct:PeriodOfTime, the 自治体標準オープンデータセット as dct:conformsTo. Text is Japanese, so
titles, descriptions and keywords are ``@ja`` literals.

URIs are this site's own addresses, chosen to stay put: a dataset is ``/dataset/{id}`` (not its
name, which may change), its publisher ``/organization/{id}``, a place ``/area/{code}`` (answered
by a redirect to the datasets about it). A dataset or distribution harvested from elsewhere
keeps the URI its source gave it (extra ``uri``), as ckanext-dcat does, so a chain of catalogs
agrees on one identity.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from tsunagu.catalog.licenses import get_license
from tsunagu.catalog.metadata import spatial
from tsunagu.dcat import vocab
from tsunagu.dcat.vocab import DCATAP, LOCN, SCHEMA, SPDX, VCARD
from tsunagu.quality import areas
from tsunagu.quality.standards.model import UnknownStandard, get_standard

Package = Mapping[str, Any]
JA = "ja"
WKT = URIRef("http://www.opengis.net/ont/geosparql#wktLiteral")


def _ja(text: str) -> Literal:
    return Literal(text, lang=JA)


def _extra(package: Package, key: str) -> str:
    for extra in package.get("extras") or []:
        if extra.get("key") == key:
            return str(extra.get("value") or "")
    return ""


def _timestamp(value: str | None) -> Literal | None:
    """A stored timestamp (UTC, no offset) as an xsd:dateTime that says it is UTC."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return Literal(moment)


def _is_uri(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def dataset_uri(package: Package, site_url: str) -> URIRef:
    kept = _extra(package, "uri")
    return URIRef(kept if _is_uri(kept) else f"{site_url}/dataset/{package['id']}")


def distribution_uri(package: Package, resource: Mapping[str, Any], site_url: str) -> URIRef:
    kept = str(resource.get("uri") or "")
    if _is_uri(kept):
        return URIRef(kept)
    return URIRef(f"{site_url}/dataset/{package['id']}#resource-{resource['id']}")


def organization_uri(org: Mapping[str, Any], site_url: str) -> URIRef:
    return URIRef(f"{site_url}/organization/{org['id']}")


def area_uri(code: str, site_url: str) -> URIRef:
    return URIRef(f"{site_url}/area/{code}")


def theme_uri(group_name: str, site_url: str) -> URIRef:
    return URIRef(f"{site_url}/dataset?groups={quote(group_name)}")


def theme_scheme_uri(site_url: str) -> URIRef:
    return URIRef(f"{site_url}/api/3/action/group_list")


def standard_uri(standard_id: str, site_url: str) -> URIRef:
    return URIRef(f"{site_url}/api/3/action/quality_standard_show?id={quote(standard_id)}")


def add_language(graph: Graph, subject: Node) -> None:
    language = URIRef(vocab.LANGUAGE_JA)
    graph.add((subject, DCTERMS.language, language))
    graph.add((language, RDF.type, DCTERMS.LinguisticSystem))


def _concept(graph: Graph, uri: str, label: str, lang: str = JA) -> URIRef:
    node = URIRef(uri)
    graph.add((node, RDF.type, SKOS.Concept))
    graph.add((node, SKOS.prefLabel, Literal(label, lang=lang)))
    return node


def add_publisher(graph: Graph, org: Mapping[str, Any], site_url: str) -> URIRef:
    """The organisation as a foaf:Agent: its name, its 全国地方公共団体コード (dct:identifier)
    and its kind as an ADMS publisher type."""
    agent = organization_uri(org, site_url)
    graph.add((agent, RDF.type, FOAF.Agent))
    graph.add((agent, RDF.type, FOAF.Organization))
    graph.add((agent, FOAF.name, _ja(str(org.get("title") or org.get("name") or ""))))
    if code := org.get("local_gov_code"):
        graph.add((agent, DCTERMS.identifier, Literal(str(code))))
    if kind := vocab.PUBLISHER_TYPES.get(str(org.get("kind") or "")):
        term, label = kind
        graph.add((agent, DCTERMS.type, _concept(graph, vocab.PUBLISHER_TYPE + term, label)))
    return agent


def _harvested_publisher(graph: Graph, package: Package) -> URIRef | None:
    """The publisher a harvested dataset's source named (extras publisher_*), if any."""
    uri = _extra(package, "publisher_uri")
    name = _extra(package, "publisher_name")
    if not (_is_uri(uri) and name):
        return None
    agent = URIRef(uri)
    graph.add((agent, RDF.type, FOAF.Agent))
    graph.add((agent, FOAF.name, _ja(name)))
    if identifier := _extra(package, "publisher_identifier"):
        graph.add((agent, DCTERMS.identifier, Literal(identifier)))
    return agent


def add_licence(graph: Graph, license_id: str) -> Node | None:
    """A dct:LicenseDocument for the licence, or None when there is none to state."""
    if not license_id or license_id == "notspecified":
        return None
    term = vocab.licence_term(license_id)
    if term is not None:
        node: Node = URIRef(term.uri)
        for kind in term.types:
            concept = _concept(
                graph, vocab.LICENCE_TYPE + kind, vocab.LICENCE_TYPE_LABELS[kind], lang=JA
            )
            graph.add((node, DCTERMS.type, concept))
    else:
        # A licence with no URI of its own (その他のオープンなライセンス …): named by its title.
        known = get_license(license_id)
        node = BNode()
        graph.add((node, RDFS.label, _ja(known.title if known else license_id)))
    graph.add((node, RDF.type, DCTERMS.LicenseDocument))
    return node


def _contact_point(graph: Graph, package: Package) -> BNode | None:
    name = package.get("contact_name") or package.get("maintainer") or ""
    email = package.get("contact_email") or package.get("maintainer_email") or ""
    phone = package.get("contact_phone") or ""
    if not (name or email or phone):
        return None
    node = BNode()
    graph.add((node, RDF.type, VCARD.Kind))
    graph.add((node, RDF.type, VCARD.Organization))
    org = package.get("organization") or {}
    graph.add((node, VCARD.fn, _ja(str(name or org.get("title") or ""))))
    if email:
        graph.add((node, VCARD.hasEmail, URIRef(f"mailto:{email}")))
    if phone and (tel := tel_uri(str(phone))):
        graph.add((node, VCARD.hasTelephone, URIRef(tel)))
    return node


def tel_uri(phone: str) -> str:
    """A Japanese number as a tel: URI (RFC 3966): 083-231-1111 内線12 → tel:+81-83-231-1111;ext=12."""
    extension = ""
    if m := re.search(r"(?:内線|内|ext\.?|x)\s*(\d{1,6})\D*$", phone, re.IGNORECASE):
        extension = f";ext={m.group(1)}"
        phone = phone[: m.start()]
    digits = re.sub(r"[^\d+]+", "-", phone).strip("-")
    if not digits:
        return ""
    if digits.startswith("+"):
        return f"tel:{digits}{extension}"
    if digits.startswith("0"):
        return f"tel:+81-{digits[1:].lstrip('-')}{extension}"
    return ""


def add_location(graph: Graph, code: str, site_url: str) -> URIRef:
    """A place by its 全国地方公共団体コード: its name, and the bounding box of quality/areas.csv
    (国土数値情報 N03, with a small margin) with the box's centre as dcat:centroid."""
    node = area_uri(code, site_url)
    graph.add((node, RDF.type, DCTERMS.Location))
    graph.add((node, DCTERMS.identifier, Literal(code)))
    if place := spatial.place(code):
        graph.add((node, SKOS.prefLabel, _ja(place.label)))
        graph.add((node, LOCN.geographicName, _ja(place.label)))
    if found := areas.area(code):
        box = found.bbox
        corners = (
            (box.min_lon, box.min_lat),
            (box.max_lon, box.min_lat),
            (box.max_lon, box.max_lat),
            (box.min_lon, box.max_lat),
            (box.min_lon, box.min_lat),
        )
        polygon = ", ".join(f"{lon} {lat}" for lon, lat in corners)
        graph.add((node, DCAT.bbox, Literal(f"POLYGON(({polygon}))", datatype=WKT)))
        centre = (
            f"POINT({(box.min_lon + box.max_lon) / 2:.3f} {(box.min_lat + box.max_lat) / 2:.3f})"
        )
        graph.add((node, DCAT.centroid, Literal(centre, datatype=WKT)))
    return node


def _spatial(graph: Graph, dataset: URIRef, package: Package, site_url: str) -> None:
    codes = [str(c) for c in package.get("spatial_codes") or []]
    for code in codes:
        graph.add((dataset, DCTERMS.spatial, add_location(graph, code, site_url)))
    if not codes and (label := str(package.get("spatial") or "")):
        node = BNode()
        graph.add((dataset, DCTERMS.spatial, node))
        graph.add((node, RDF.type, DCTERMS.Location))
        graph.add((node, LOCN.geographicName, _ja(label)))


def _temporal(graph: Graph, dataset: URIRef, package: Package) -> None:
    start = str(package.get("temporal_start") or "")
    end = str(package.get("temporal_end") or "")
    if not (start or end):
        return
    node = BNode()
    graph.add((dataset, DCTERMS.temporal, node))
    graph.add((node, RDF.type, DCTERMS.PeriodOfTime))
    if start:
        graph.add((node, DCAT.startDate, Literal(start[:10], datatype=XSD.date)))
    if end:
        graph.add((node, DCAT.endDate, Literal(end[:10], datatype=XSD.date)))


def _conforms_to(graph: Graph, dataset: URIRef, standard_id: str, site_url: str) -> None:
    try:
        standard = get_standard(standard_id)
    except UnknownStandard:
        return
    node = standard_uri(standard.id, site_url)
    graph.add((dataset, DCTERMS.conformsTo, node))
    graph.add((node, RDF.type, DCTERMS.Standard))
    graph.add(
        (
            node,
            DCTERMS.title,
            _ja(f"自治体標準オープンデータセット {standard.number} {standard.title}"),
        )
    )
    graph.add((node, DCTERMS.identifier, Literal(standard.id)))
    if page := str(standard.source.get("url") or ""):
        graph.add((node, FOAF.page, URIRef(page)))


def add_dataset(graph: Graph, package: Package, site_url: str) -> URIRef:
    """Add one dataset (with its distributions and the nodes they point to) to ``graph``."""
    dataset = dataset_uri(package, site_url)
    graph.add((dataset, RDF.type, DCAT.Dataset))
    title = str(package.get("title") or package.get("name") or "")
    graph.add((dataset, DCTERMS.title, _ja(title)))
    # dct:description is mandatory in DCAT-AP: a dataset without notes is described by its title.
    graph.add((dataset, DCTERMS.description, _ja(str(package.get("notes") or title))))
    graph.add(
        (dataset, DCTERMS.identifier, Literal(_extra(package, "identifier") or package["id"]))
    )
    for tag in package.get("tags") or []:
        if not tag.get("vocabulary_id"):
            graph.add((dataset, DCAT.keyword, _ja(str(tag["name"]))))
    for group in package.get("groups") or []:
        theme = _concept(
            graph, str(theme_uri(group["name"], site_url)), group.get("title") or group["name"]
        )
        graph.add((theme, SKOS.inScheme, theme_scheme_uri(site_url)))
        graph.add((dataset, DCAT.theme, theme))
    # A harvested dataset keeps the dates its source gave (extras issued/modified), as
    # ckanext-dcat does; the rest are dated by this catalog.
    if issued := _timestamp(_extra(package, "issued") or package.get("metadata_created")):
        graph.add((dataset, DCTERMS.issued, issued))
    if modified := _timestamp(_extra(package, "modified") or package.get("metadata_modified")):
        graph.add((dataset, DCTERMS.modified, modified))
    add_language(graph, dataset)
    landing = str(package.get("url") or "")
    if _is_uri(landing):
        graph.add((dataset, DCAT.landingPage, URIRef(landing)))
        graph.add((URIRef(landing), RDF.type, FOAF.Document))
    if version := package.get("version"):
        graph.add((dataset, vocab.DCAT_VERSION, Literal(str(version))))
    if periodicity := package.get("frequency_uri"):
        graph.add((dataset, DCTERMS.accrualPeriodicity, URIRef(str(periodicity))))
        graph.add((URIRef(str(periodicity)), RDF.type, DCTERMS.Frequency))
    org = package.get("organization")
    publisher = _harvested_publisher(graph, package)
    if publisher is None and org:
        publisher = add_publisher(graph, org, site_url)
    if publisher is not None:
        graph.add((dataset, DCTERMS.publisher, publisher))
    if contact := _contact_point(graph, package):
        graph.add((dataset, DCAT.contactPoint, contact))
    _spatial(graph, dataset, package, site_url)
    _temporal(graph, dataset, package)
    if standard_id := package.get("standard_id"):
        _conforms_to(graph, dataset, str(standard_id), site_url)
    # DCAT-AP states licences per distribution; DCAT 3 allows dct:license on any dcat:Resource,
    # so the dataset states it too and a dataset with no files still says its terms.
    if licence := add_licence(graph, str(package.get("license_id") or "")):
        graph.add((dataset, DCTERMS.license, licence))
    # The dataset's page here (documentation, ckanext-dcat's foaf:page); it also carries the
    # URL name, which a Tsunagu harvesting this export keeps.
    page = f"{site_url}/dataset/{package['name']}"
    graph.add((dataset, FOAF.page, URIRef(page)))
    graph.add((URIRef(page), RDF.type, FOAF.Document))
    for position, resource in enumerate(package.get("resources") or []):
        distribution = _distribution(graph, package, resource, site_url, page)
        graph.add((dataset, DCAT.distribution, distribution))
        # RDF keeps no order; schema:position lets a reader list the files as they are here.
        graph.add((distribution, SCHEMA.position, Literal(position, datatype=XSD.integer)))
    return dataset


def _distribution(
    graph: Graph, package: Package, resource: Mapping[str, Any], site_url: str, page: str
) -> URIRef:
    node = distribution_uri(package, resource, site_url)
    graph.add((node, RDF.type, DCAT.Distribution))
    fmt = str(resource.get("format") or "")
    found = vocab.file_type(fmt) if fmt else None
    name = str(resource.get("name") or "") or fmt or str(resource["id"])
    graph.add((node, DCTERMS.title, _ja(name)))
    if description := resource.get("description"):
        graph.add((node, DCTERMS.description, _ja(str(description))))
    url = str(resource.get("url") or "")
    # accessURL is mandatory: a resource without a URL is reached through the dataset's page.
    graph.add((node, DCAT.accessURL, URIRef(url if _is_uri(url) else page)))
    if _is_uri(url) and _downloadable(resource, found):
        graph.add((node, DCAT.downloadURL, URIRef(url)))
    if found is not None:
        file_type = URIRef(vocab.FILE_TYPE + found.authority)
        graph.add((node, DCTERMS["format"], file_type))
        graph.add((file_type, RDF.type, DCTERMS.MediaTypeOrExtent))
    elif fmt:
        other = BNode()
        graph.add((node, DCTERMS["format"], other))
        graph.add((other, RDF.type, DCTERMS.MediaTypeOrExtent))
        graph.add((other, RDFS.label, Literal(fmt)))
    mimetype = str(resource.get("mimetype") or "").split(";", 1)[0].strip().lower()
    if "/" not in mimetype:
        mimetype = found.media_type if found else ""
    if mimetype:
        media = URIRef(vocab.IANA + mimetype)
        graph.add((node, DCAT.mediaType, media))
        graph.add((media, RDF.type, DCTERMS.MediaType))
    if isinstance(resource.get("size"), int) and resource["size"] >= 0:
        graph.add((node, DCAT.byteSize, Literal(resource["size"], datatype=XSD.nonNegativeInteger)))
    digest = str(resource.get("hash") or "")
    if digest.startswith("sha256:") and len(digest) == 71:
        checksum = BNode()
        graph.add((node, SPDX.checksum, checksum))
        graph.add((checksum, RDF.type, SPDX.Checksum))
        graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        graph.add((checksum, SPDX.checksumValue, Literal(digest[7:], datatype=XSD.hexBinary)))
    if licence := add_licence(graph, str(package.get("license_id") or "")):
        # As ckanext-dcat's resource.inherit.license: a file is under its dataset's licence.
        graph.add((node, DCTERMS.license, licence))
    availability = _concept(graph, vocab.AVAILABILITY_STABLE, "stable", lang="en")
    graph.add((node, DCATAP.availability, availability))
    if issued := _timestamp(resource.get("created")):
        graph.add((node, DCTERMS.issued, issued))
    if modified := _timestamp(resource.get("last_modified") or resource.get("metadata_modified")):
        graph.add((node, DCTERMS.modified, modified))
    return node


def _downloadable(resource: Mapping[str, Any], found: vocab.FileType | None) -> bool:
    """Whether the URL is the file itself (an upload, a datastore dump, a link to a file) rather
    than a page about it."""
    if resource.get("url_type") in ("upload", "datastore"):
        return True
    return found is not None and found.format != "HTML"


def new_graph() -> Graph:
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in vocab.PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.bind("locn", LOCN)
    return graph


def dataset_graph(package: Package, site_url: str) -> Graph:
    graph = new_graph()
    add_dataset(graph, package, site_url)
    return graph
