"""The dcat:Catalog node and the hydra paging node of one page of the catalog.

A page is built from at most ``MAX_PER_PAGE`` package dicts, so a catalog of 100,000 datasets
is never one graph: harvesters follow ``hydra:next`` page by page. The paging node is one
``hydra:PagedCollection`` carrying both the current property names (next, previous, first,
last) and the legacy ones (nextPage, previousPage, firstPage, lastPage) with string values, as
ckanext-dcat writes it, so both current and older harvesters (ckanext-dcat, udata) follow it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from tsunagu.dcat import export
from tsunagu.dcat.vocab import HYDRA

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000


@dataclass(frozen=True)
class CatalogInfo:
    """What describes the catalog itself (not one page of it)."""

    site_url: str
    title: str
    description: str
    # The prefecture's organisation when the catalog has one: publisher and spatial coverage.
    publisher: Mapping[str, Any] | None
    license_id: str
    issued: str | None  # the oldest public dataset's metadata_created
    modified: str | None  # the newest public dataset's metadata_modified


@dataclass(frozen=True)
class Paging:
    current: str
    first: str
    last: str
    next: str | None
    previous: str | None
    total: int
    per_page: int


def _add_paging(graph: Graph, paging: Paging) -> None:
    node = URIRef(paging.current)
    graph.add((node, RDF.type, HYDRA.PagedCollection))
    links = (
        (paging.next, (HYDRA.next, HYDRA.nextPage)),
        (paging.previous, (HYDRA.previous, HYDRA.previousPage)),
        (paging.first, (HYDRA.first, HYDRA.firstPage)),
        (paging.last, (HYDRA.last, HYDRA.lastPage)),
    )
    for value, predicates in links:
        if value:
            for predicate in predicates:
                graph.add((node, predicate, Literal(value)))
    graph.add((node, HYDRA.totalItems, Literal(paging.total, datatype=XSD.integer)))
    graph.add((node, HYDRA.itemsPerPage, Literal(paging.per_page, datatype=XSD.integer)))


def _add_catalog(graph: Graph, info: CatalogInfo) -> URIRef:
    site = info.site_url
    catalog = URIRef(site)
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, export._ja(info.title)))
    graph.add((catalog, DCTERMS.description, export._ja(info.description or info.title)))
    export.add_language(graph, catalog)
    homepage = URIRef(site + "/")
    graph.add((catalog, FOAF.homepage, homepage))
    graph.add((homepage, RDF.type, FOAF.Document))
    if info.publisher is not None:
        publisher = export.add_publisher(graph, info.publisher, site)
        code = info.publisher.get("local_gov_code")
        if code:
            graph.add((catalog, DCTERMS.spatial, export.add_location(graph, str(code), site)))
    else:
        publisher = BNode()
        graph.add((publisher, RDF.type, FOAF.Agent))
        graph.add((publisher, FOAF.name, export._ja(info.title)))
    graph.add((catalog, DCTERMS.publisher, publisher))
    if licence := export.add_licence(graph, info.license_id):
        graph.add((catalog, DCTERMS.license, licence))
    scheme = export.theme_scheme_uri(site)
    graph.add((catalog, DCAT.themeTaxonomy, scheme))
    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    graph.add((scheme, DCTERMS.title, export._ja("カテゴリ")))
    if issued := export._timestamp(info.issued):
        graph.add((catalog, DCTERMS.issued, issued))
    if modified := export._timestamp(info.modified):
        graph.add((catalog, DCTERMS.modified, modified))
    return catalog


def catalog_graph(
    info: CatalogInfo, packages: Iterable[Mapping[str, Any]], paging: Paging
) -> Graph:
    graph = export.new_graph()
    catalog = _add_catalog(graph, info)
    for package in packages:
        dataset = export.add_dataset(graph, package, info.site_url)
        graph.add((catalog, DCAT.dataset, dataset))
    _add_paging(graph, paging)
    return graph
