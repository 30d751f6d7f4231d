"""The RDF serialisations served, and choosing one from an ``Accept`` header.

Content negotiation follows RFC 9110: each media range has a quality (``q``, default 1, ``q=0``
means "not this"), the most specific range that matches a type gives its quality, and the
highest quality wins. HTML is the default: it wins ties and is what ``*/*``, ``text/*`` and no
header at all get, so browsers and crawlers of pages never receive RDF by accident.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph

from tsunagu.dcat import vocab


@dataclass(frozen=True)
class RdfFormat:
    suffix: str  # in /catalog.{suffix}, /dataset/{name}.{suffix}
    media_type: str
    rdflib_name: str


TURTLE = RdfFormat("ttl", "text/turtle", "turtle")
RDF_XML = RdfFormat("rdf", "application/rdf+xml", "xml")
JSON_LD = RdfFormat("jsonld", "application/ld+json", "json-ld")
FORMATS = (TURTLE, RDF_XML, JSON_LD)
# ".xml" as ckanext-dcat also answers it.
BY_SUFFIX = {"ttl": TURTLE, "rdf": RDF_XML, "xml": RDF_XML, "jsonld": JSON_LD}

HTML = "text/html"
# In order of preference when qualities tie: HTML first (the default), then Turtle.
_CANDIDATES = (
    (HTML, None),
    ("application/xhtml+xml", None),
    (TURTLE.media_type, TURTLE),
    (RDF_XML.media_type, RDF_XML),
    (JSON_LD.media_type, JSON_LD),
)


def _ranges(accept: str) -> list[tuple[str, str, float]]:
    """``text/turtle;q=0.9, */*;q=0.1`` → [("text", "turtle", 0.9), ("*", "*", 0.1)]."""
    found = []
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            continue
        kind, _, sub = media.partition("/")
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(1.0, max(0.0, float(value.strip())))
                except ValueError:
                    quality = 0.0
        found.append((kind.strip(), sub.strip(), quality))
    return found


def _quality(media_type: str, ranges: list[tuple[str, str, float]]) -> float:
    kind, _, sub = media_type.partition("/")
    best: tuple[int, float] | None = None
    for r_kind, r_sub, quality in ranges:
        if r_kind == kind and r_sub == sub:
            specificity = 2
        elif r_kind == kind and r_sub == "*":
            specificity = 1
        elif r_kind == "*" and r_sub == "*":
            specificity = 0
        else:
            continue
        if best is None or specificity > best[0]:
            best = (specificity, quality)
    return best[1] if best else 0.0


def negotiate(accept: str | None) -> RdfFormat | None:
    """The RDF format the client prefers to HTML, or None for HTML."""
    if not accept:
        return None
    ranges = _ranges(accept)
    chosen: RdfFormat | None = None
    best = 0.0
    for media_type, fmt in _CANDIDATES:
        quality = _quality(media_type, ranges)
        if quality > best:  # strictly greater: earlier (HTML) wins ties
            chosen, best = fmt, quality
    return chosen


def serialise(graph: Graph, fmt: RdfFormat) -> bytes:
    if fmt is JSON_LD:
        context = {prefix: str(namespace) for prefix, namespace in vocab.PREFIXES.items()}
        data = graph.serialize(format="json-ld", context=context, auto_compact=True)
        return data.encode("utf-8")
    return graph.serialize(format=fmt.rdflib_name, encoding="utf-8")
