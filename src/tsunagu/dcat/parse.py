"""DCAT (Turtle, RDF/XML, JSON-LD) read into package dicts, one page at a time, for the DCAT
harvester.

A page either reads (its datasets become records) or fails as a whole with a DcatReadError that
names the page and why (malformed RDF, HTML instead of RDF …). Within a page each dataset is its
own record: one without a title, without an identity or with too many distributions is an error
on that record, never on the page.

Identity (the record's ``key``) is the dataset's URI, or its dct:identifier when the dataset is
a blank node, never its title: a renamed dataset keeps its key, and re-harvesting finds the same
local dataset. The URI and identifier are also kept as extras ``uri`` and ``identifier``, which
export.py writes back out, so a catalog harvested from a harvester still names the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS

from tsunagu.dcat import mapping, vocab
from tsunagu.dcat.reading import ContextLoader, DcatReadError, read_graph
from tsunagu.dcat.vocab import HYDRA, SCHEMA

__all__ = ["DcatPage", "DcatReadError", "DcatRecord", "next_page", "parse_page", "read_records"]

DEFAULT_MAX_RESOURCES = 1000
# The paging node's class in current Hydra and in the form ckanext-dcat writes.
_PAGING_CLASSES = (HYDRA.PartialCollectionView, HYDRA.PagedCollection)


@dataclass(frozen=True)
class DcatRecord:
    """One dcat:Dataset of a page: a package dict, or the reason it cannot be taken."""

    key: str
    title: str
    modified: str  # dct:modified as the source wrote it ("" when absent)
    package: dict[str, Any] | None = None
    error: str = ""
    # Every dcat:theme URI (groups only holds the ones that name a group).
    themes: list[str] = field(default_factory=list)
    # The URL name a CKAN or Tsunagu source gives it (from its foaf:page), "" when unknown.
    name: str = ""
    # The dataset's page at the source: its URI when that is a web address, else its
    # landing page.
    page_url: str = ""


@dataclass(frozen=True)
class DcatPage:
    url: str
    records: list[DcatRecord]
    next_url: str | None
    total: int | None  # hydra:totalItems when the source states it


def next_page(graph: Graph) -> str | None:
    """The next page's URL: hydra:next first, then the legacy hydra:nextPage (as ckanext-dcat
    and udata read it), on a PartialCollectionView or a PagedCollection node."""
    for cls in _PAGING_CLASSES:
        for node in graph.subjects(RDF.type, cls):
            for predicate in (HYDRA.next, HYDRA.nextPage):
                for value in graph.objects(node, predicate):
                    return str(value).strip() or None
    return None


def total_items(graph: Graph) -> int | None:
    for cls in _PAGING_CLASSES:
        for node in graph.subjects(RDF.type, cls):
            for value in graph.objects(node, HYDRA.totalItems):
                try:
                    return int(str(value))
                except ValueError:
                    return None
    return None


def _distribution(graph: Graph, node: Any) -> dict[str, Any]:
    url = mapping.first_uri(graph, node, DCAT.downloadURL, DCAT.accessURL)
    fmt = ""
    mimetype = ""
    for value in graph.objects(node, DCAT.mediaType):
        if isinstance(value, URIRef):
            mimetype = vocab.media_type_of(str(value)) or mimetype
        elif isinstance(value, Literal) and "/" in str(value):
            mimetype = str(value).strip().lower()
    for value in graph.objects(node, DCTERMS["format"]):
        if isinstance(value, URIRef) and (found := vocab.file_type_for_uri(str(value))):
            fmt = found.format
        elif isinstance(value, Literal):
            fmt = str(value).strip()
        else:
            label = mapping.text(graph, value, RDFS.label, DCTERMS.title)
            found = vocab.file_type(label) if label else None
            fmt = found.format if found else label
        if fmt:
            break
    if not fmt and mimetype and (found := vocab.file_type_for_media_type(mimetype)):
        fmt = found.format
    resource: dict[str, Any] = {
        "name": mapping.text(graph, node, DCTERMS.title),
        "description": mapping.text(graph, node, DCTERMS.description),
        "url": url,
        "format": fmt[:50],
    }
    if mimetype:
        resource["mimetype"] = mimetype
    if isinstance(node, URIRef):
        resource["uri"] = str(node)
    modified = mapping.text(graph, node, DCTERMS.modified)
    if modified and modified[:4].isdigit():
        resource["last_modified"] = modified
    if not resource["name"]:
        tail = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        resource["name"] = tail or fmt or "データ"
    return resource


def _position(graph: Graph, distribution: Any) -> tuple[int, str, str]:
    """The files' order: schema:position as Tsunagu writes it, else when each was issued."""
    stated = graph.value(distribution, SCHEMA.position)
    try:
        position = int(str(stated)) if stated is not None else 1 << 30
    except ValueError:
        position = 1 << 30
    return position, mapping.text(graph, distribution, DCTERMS.issued), str(distribution)


def _key(graph: Graph, dataset: Any) -> tuple[str, str, str]:
    """(key, uri, identifier)."""
    uri = str(dataset) if isinstance(dataset, URIRef) else ""
    identifier = mapping.text(graph, dataset, DCTERMS.identifier)
    return uri or identifier, uri, identifier


def _record(graph: Graph, dataset: Any, max_resources: int) -> DcatRecord:
    key, uri, identifier = _key(graph, dataset)
    title = mapping.text(graph, dataset, DCTERMS.title)
    modified = mapping.text(graph, dataset, DCTERMS.modified)
    if not key:
        raise mapping.RecordError(
            "データセットに URI も dct:identifier もありません (A dataset with neither a URI nor "
            f"a dct:identifier cannot be tracked): {title or '(無題)'}"
        )
    if not title:
        raise mapping.RecordError(f"dct:title がありません (The dataset has no dct:title): {key}")
    distributions = sorted(
        graph.objects(dataset, DCAT.distribution), key=lambda d: _position(graph, d)
    )
    if len(distributions) > max_resources:
        raise mapping.RecordError(
            f"配布（リソース）が多すぎます: {len(distributions)} 件、上限 {max_resources} 件 "
            f"(Too many distributions: {len(distributions)} > {max_resources}): {key}"
        )
    licence_id, licence_original = mapping.licence(graph, dataset, distributions)
    frequency, frequency_original = mapping.frequency_code(graph, dataset)
    codes, place_label = mapping.places(graph, dataset)
    start, end = mapping.period(graph, dataset)
    contact, contact_kept = mapping.contact_point(graph, dataset)
    standard_id, conforms_to = mapping.standard(graph, dataset)
    groups, theme_uris = mapping.themes(graph, dataset)
    landing = mapping.first_uri(graph, dataset, DCAT.landingPage)
    # dct:description is mandatory, so exports (ours too) repeat the title when there is none.
    notes = mapping.text(graph, dataset, DCTERMS.description)
    package: dict[str, Any] = {
        "title": title,
        "notes": notes if notes != title else "",
        "tags": [{"name": t} for t in mapping.keywords(graph, dataset)],
        "license_id": licence_id,
        "url": landing,
        "version": mapping.version(graph, dataset),
        "frequency": frequency,
        "spatial_codes": codes,
        "spatial": place_label,
        "temporal_start": start,
        "temporal_end": end,
        "standard_id": standard_id,
        "groups": groups,
        **contact,
        "resources": [_distribution(graph, d) for d in distributions],
        "extras": mapping.extras(
            [
                ("uri", uri),
                ("identifier", identifier),
                ("issued", mapping.text(graph, dataset, DCTERMS.issued)),
                ("modified", modified),
                ("license_original", licence_original),
                ("frequency_original", frequency_original),
                ("conforms_to", " ".join(conforms_to)),
                *sorted(mapping.publisher(graph, dataset).items()),
                *sorted(contact_kept.items()),
            ]
        ),
    }
    return DcatRecord(
        key=key,
        title=title,
        modified=modified,
        package=package,
        themes=theme_uris,
        name=_name(graph, dataset),
        page_url=uri if uri.startswith(("http://", "https://")) else landing,
    )


_DATASET_PAGE = re.compile(r"/dataset/([a-z0-9_-]{2,100})/?$")


def _name(graph: Graph, dataset: Any) -> str:
    for page in graph.objects(dataset, FOAF.page):
        if isinstance(page, URIRef) and (m := _DATASET_PAGE.search(urlsplit(str(page)).path)):
            return m.group(1)
    return ""


def read_records(graph: Graph, max_resources: int = DEFAULT_MAX_RESOURCES) -> list[DcatRecord]:
    """Every dcat:Dataset of the graph as a record, in a stable order; a dataset whose key was
    already seen on this page is an error on that record (the first one stands)."""
    records: list[DcatRecord] = []
    seen: set[str] = set()
    datasets = sorted(set(graph.subjects(RDF.type, DCAT.Dataset)), key=_sort_key)
    for dataset in datasets:
        key, _, _ = _key(graph, dataset)
        title = mapping.text(graph, dataset, DCTERMS.title)
        if key and key in seen:
            records.append(
                DcatRecord(
                    key=key,
                    title=title,
                    modified="",
                    error=f"同じ識別子のデータセットが重複しています (Duplicate dataset): {key}",
                )
            )
            continue
        seen.add(key)
        try:
            records.append(_record(graph, dataset, max_resources))
        except mapping.RecordError as error:
            records.append(DcatRecord(key=key, title=title, modified="", error=str(error)))
        except Exception as error:  # one odd record must never stop the page
            records.append(
                DcatRecord(
                    key=key,
                    title=title,
                    modified="",
                    error=f"読み取れませんでした (Could not read the dataset): {type(error).__name__}: {error}",
                )
            )
    return records


def _sort_key(node: Any) -> tuple[int, str]:
    return (1 if isinstance(node, BNode) else 0, str(node))


def parse_page(
    body: bytes,
    *,
    url: str,
    content_type: str = "",
    forced_format: str = "",
    context_loader: ContextLoader | None = None,
    max_resources: int = DEFAULT_MAX_RESOURCES,
) -> DcatPage:
    """One fetched document as records and its paging; DcatReadError when it cannot be read."""
    graph = read_graph(
        body,
        url=url,
        content_type=content_type,
        forced_format=forced_format,
        context_loader=context_loader,
    )
    return DcatPage(
        url=url,
        records=read_records(graph, max_resources),
        next_url=next_page(graph),
        total=total_items(graph),
    )
