"""Reading one DCAT document into an rdflib graph: which syntax it is, and refusing what must
not be read.

The syntax comes from the Content-Type, then the URL's suffix, then the first bytes. An HTML
page (a portal's error page, a login wall) is named as such rather than fed to a parser.
JSON-LD may name its ``@context`` by URL; rdflib would fetch that itself with an unguarded
client, so remote contexts are resolved here through the caller's loader (the guarded fetcher)
or refused, and nothing reaches rdflib that could make it open a connection.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from rdflib import Graph

ContextLoader = Callable[[str], dict[str, Any]]
MAX_REMOTE_CONTEXTS = 5

_BY_MEDIA_TYPE = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "text/n3": "n3",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
}
_BY_SUFFIX = {
    ".ttl": "turtle",
    ".n3": "n3",
    ".nt": "nt",
    ".rdf": "xml",
    ".xml": "xml",
    ".owl": "xml",
    ".jsonld": "json-ld",
    ".json": "json-ld",
}
LABELS = {"turtle": "Turtle", "n3": "N3", "nt": "N-Triples", "xml": "RDF/XML", "json-ld": "JSON-LD"}


class DcatReadError(Exception):
    """A page that cannot be read as DCAT; the message names the page and why (Japanese first)."""


def detect_format(body: bytes, content_type: str = "", url: str = "", forced: str = "") -> str:
    """The rdflib parser name for the document; DcatReadError for HTML or nothing at all."""
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")) or (
        content_type.startswith("text/html") and not head.startswith(b"<?xml")
    ):
        raise DcatReadError(
            f"RDF ではなく HTML が返されました (The source answered HTML, not RDF): {url}"
        )
    if not head:
        raise DcatReadError(f"応答が空です (Empty response): {url}")
    if forced:
        return _BY_MEDIA_TYPE.get(forced, forced)
    media = content_type.split(";", 1)[0].strip().lower()
    if media in _BY_MEDIA_TYPE:
        return _BY_MEDIA_TYPE[media]
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    for suffix, name in _BY_SUFFIX.items():
        if path.endswith(suffix):
            return name
    if head.startswith((b"{", b"[")):
        return "json-ld"
    if head.startswith((b"<?xml", b"<rdf:rdf")):
        return "xml"
    return "turtle"


def _inline_contexts(
    value: Any, loader: ContextLoader | None, cache: dict[str, dict[str, Any]], url: str
) -> Any:
    """The JSON-LD document with every ``@context``/``@import`` given by URL replaced by the
    context the loader fetched (each URL once, at most MAX_REMOTE_CONTEXTS)."""
    if isinstance(value, list):
        return [_inline_contexts(v, loader, cache, url) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key in ("@context", "@import"):
            out[key] = _resolve_context(item, loader, cache, url)
        else:
            out[key] = _inline_contexts(item, loader, cache, url)
    return out


def _resolve_context(
    item: Any, loader: ContextLoader | None, cache: dict[str, dict[str, Any]], url: str
) -> Any:
    if isinstance(item, list):
        return [_resolve_context(i, loader, cache, url) for i in item]
    if isinstance(item, dict):
        return _inline_contexts(item, loader, cache, url)
    if not isinstance(item, str):
        return item
    if loader is None:
        raise DcatReadError(
            f"JSON-LD の @context を URL で指定した文書は読めません (Remote JSON-LD contexts are "
            f"not fetched): {item} in {url}"
        )
    if item not in cache:
        if len(cache) >= MAX_REMOTE_CONTEXTS:
            raise DcatReadError(
                f"JSON-LD の @context が多すぎます (More than {MAX_REMOTE_CONTEXTS} remote "
                f"contexts): {url}"
            )
        loaded = loader(item)
        if not isinstance(loaded, dict) or "@context" not in loaded:
            raise DcatReadError(f"@context として読めません (Not a JSON-LD context): {item}")
        cache[item] = loaded
        # A fetched context may itself name others by URL.
        cache[item] = _inline_contexts(loaded, loader, cache, item)
    return cache[item]["@context"]


def read_graph(
    body: bytes,
    *,
    url: str,
    content_type: str = "",
    forced_format: str = "",
    context_loader: ContextLoader | None = None,
) -> Graph:
    """The document as a graph; DcatReadError (naming the page, the syntax and the first
    problem) when it is not well-formed."""
    fmt = detect_format(body, content_type, url, forced_format)
    graph = Graph()
    try:
        if fmt == "json-ld":
            document = _inline_contexts(json.loads(body), context_loader, {}, url)
            graph.parse(data=json.dumps(document), format="json-ld", publicID=url or None)
        else:
            graph.parse(data=body, format=fmt, publicID=url or None)
    except DcatReadError:
        raise
    except Exception as error:  # rdflib's parsers raise many kinds for malformed input
        detail = " ".join(str(error).split())[:300]
        raise DcatReadError(
            f"{LABELS.get(fmt, fmt)} として読めません (Malformed {LABELS.get(fmt, fmt)}): "
            f"{url}: {type(error).__name__}: {detail}"
        ) from None
    return graph
