"""★★★★★ needs links to other people's data: an RDF file's objects pointing outside its own hosts.

A link counts when a triple's object is an http(s) URI on a host none of the file's subjects use
(owl:sameAs to DBpedia, a 住所 pointing at a 地理院 or 法人番号 URI …). Class and property URIs
(the predicate, and the object of rdf:type) are vocabulary, not data, so they never count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rdflib import RDF, Graph, URIRef

from tsunagu.quality.rating import normal_format

# Resource formats and the rdflib parser for each.
RDF_PARSERS = {
    "RDF": "xml",
    "RDF/XML": "xml",
    "OWL": "xml",
    "TTL": "turtle",
    "TURTLE": "turtle",
    "N3": "n3",
    "NT": "nt",
    "N-TRIPLES": "nt",
    "NQ": "nquads",
    "TRIG": "trig",
    "JSON-LD": "json-ld",
    "JSONLD": "json-ld",
}
MAX_BYTES = 50 * 1024 * 1024  # parsed in memory: larger files are reported, not parsed
_EXAMPLES = 5


@dataclass
class LinkCheck:
    triples: int = 0
    links: int = 0
    examples: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def linked(self) -> bool:
        return self.links > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "triples": self.triples,
            "links": self.links,
            "examples": self.examples,
            "linked": self.linked,
            "error": self.error,
        }


def is_rdf(fmt: str | None) -> bool:
    return normal_format(fmt) in RDF_PARSERS


def _host(uri: str) -> str | None:
    parts = urlsplit(uri)
    return parts.hostname if parts.scheme in ("http", "https") else None


def check_links(path: Path, fmt: str | None) -> LinkCheck:
    """Parse the RDF file and count links to other hosts; never raises for a bad file."""
    if path.stat().st_size > MAX_BYTES:
        return LinkCheck(error=f"{MAX_BYTES // (1024 * 1024)} MB を超える RDF は検査しません")
    graph = Graph()
    try:
        graph.parse(str(path), format=RDF_PARSERS.get(normal_format(fmt), "turtle"))
    except Exception as error:  # rdflib raises many kinds for malformed input
        return LinkCheck(error=f"RDF として読めませんでした: {str(error)[:200]}")
    own = {_host(str(s)) for s in graph.subjects() if isinstance(s, URIRef)}
    own.discard(None)
    result = LinkCheck(triples=len(graph))
    for _subject, predicate, obj in graph:
        if predicate == RDF.type or not isinstance(obj, URIRef):
            continue
        host = _host(str(obj))
        if host is None or host in own:
            continue
        result.links += 1
        if len(result.examples) < _EXAMPLES:
            result.examples.append(str(obj))
    return result
