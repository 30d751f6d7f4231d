"""The RDF serialisations served, and choosing one from an ``Accept`` header.

Content negotiation follows RFC 9110: each media range has a quality (``q``, default 1, ``q=0``
means "not this"), the most specific range that matches a type gives its quality, and the
highest quality wins. HTML is the default: it wins ties and is what ``*/*``, ``text/*`` and no
header at all get, so browsers and crawlers of pages never receive RDF by accident.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import BNode, Graph
from rdflib.namespace import RDF
from rdflib.term import Node

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


def turtle(graph: Graph) -> bytes:
    """Turtle, one block per subject. rdflib's own Turtle writer takes time that grows faster
    than the graph (about 14 s for a 1000-dataset page, against 2 s here); this one is linear
    and names a term by its prefix where it can. Blank nodes get labels in the order they are
    first met (``_:b1`` …), so the same graph always gives the same bytes (and ETag)."""
    names = graph.namespace_manager
    labels: dict[BNode, str] = {}

    def term(node: Node) -> str:
        if isinstance(node, BNode):
            return labels.setdefault(node, f"_:b{len(labels) + 1}")
        return node.n3(names)

    def block(subject: Node) -> str:
        pairs = sorted(
            graph.predicate_objects(subject),
            key=lambda po: (
                po[0] != RDF.type,
                str(po[0]),
                isinstance(po[1], BNode),
                "" if isinstance(po[1], BNode) else po[1].n3(),
            ),
        )
        body = " ;\n    ".join(f"{'a' if p == RDF.type else term(p)} {term(o)}" for p, o in pairs)
        return f"{term(subject)} {body} .\n"

    lines = [f"@prefix {prefix}: <{namespace}> ." for prefix, namespace in graph.namespaces()]
    lines.append("")
    subjects = set(graph.subjects())
    lines += [block(s) for s in sorted((s for s in subjects if not isinstance(s, BNode)), key=str)]
    done: set[BNode] = set()
    while len(done) < len(labels):  # blank nodes met so far, and those they lead to
        for node in list(labels):
            if node not in done:
                done.add(node)
                if node in subjects:
                    lines.append(block(node))
    for node in subjects - set(labels):  # blank subjects nothing points to (none in ours)
        if isinstance(node, BNode):
            lines.append(block(node))
    return "\n".join(lines).encode("utf-8")


def serialise(graph: Graph, fmt: RdfFormat) -> bytes:
    if fmt is TURTLE:
        return turtle(graph)
    if fmt is JSON_LD:
        context = {prefix: str(namespace) for prefix, namespace in vocab.PREFIXES.items()}
        data = graph.serialize(format="json-ld", context=context, auto_compact=True)
        return data.encode("utf-8")
    return graph.serialize(format=fmt.rdflib_name, encoding="utf-8")
