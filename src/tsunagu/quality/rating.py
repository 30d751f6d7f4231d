"""The 5-star open data rating and the 0–100 quality score, from facts already stored.

Stars follow Tim Berners-Lee's scheme as the Digital Agency's guide explains it:
★ open licence, ★★ structured data, ★★★ a non-proprietary format, ★★★★ URIs that identify
things (RDF), ★★★★★ links to other people's data. A resource without an open licence has no
star at all, however good its format.

The score adds openness (8 points a star, 40 at most) to content quality (60 at most): a
validated table loses points per distinct rule it breaks (15 an error, 5 a warning, 1 a piece of
advice), so one systematic mistake in a million rows costs as much as in ten, and fixing one kind of
mistake always shows. A format nobody can validate as a table (PDF, images) earns no content points;
a structured format Tsunagu cannot check yet (XML, RDF, KML) earns half. A dataset takes its best
resource's stars (the data is available at that level) and the mean of its resources' scores.

Computed when a package is serialised, so a licence change re-rates every resource at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Formats a program can read the structure of (★★), and of those the non-proprietary ones (★★★).
_PROPRIETARY_STRUCTURED = frozenset({"XLS", "XLSX", "XLSM", "SHP", "MDB", "ACCDB"})
_OPEN_STRUCTURED = frozenset(
    {
        "CSV",
        "TSV",
        "TXT",
        "ODS",
        "JSON",
        "GEOJSON",
        "XML",
        "KML",
        "KMZ",
        "GML",
        "GPX",
        "RSS",
        "ATOM",
        "API",
        "WMS",
        "WFS",
        "GTFS",
        "PARQUET",
    }
)
# RDF serialisations: things get URIs (★★★★).
_RDF = frozenset(
    {"RDF", "RDF/XML", "TTL", "TURTLE", "N3", "NT", "N-TRIPLES", "NQ", "JSON-LD", "JSONLD", "TRIG"}
)
TABULAR = frozenset({"CSV", "TSV", "TXT", "XLS", "XLSX", "XLSM", "ODS", "JSON", "GEOJSON"})

STAR_LABELS = {
    0: "オープンなライセンスが指定されていません",
    1: "オープンなライセンスで公開されています（PDF など）",
    2: "機械が構造を読める形式です（Excel など）",
    3: "特定のソフトに依存しないオープンな形式です（CSV など）",
    4: "URI でものを識別しています（RDF）",
    5: "他のデータへのリンクがあります（Linked Data）",
}

_OPENNESS_POINTS = 8
_CONTENT_POINTS = 60
_PENALTY = {"error": 15, "warning": 5, "info": 1}


def normal_format(fmt: str | None) -> str:
    return (fmt or "").strip().lstrip(".").upper()


def resource_stars(
    *, license_open: bool, fmt: str | None, url_type: str = "", linked: bool = False
) -> int:
    """0–5 stars for one resource. `linked` is what a check found in an RDF file's content."""
    if not license_open:
        return 0
    kind = normal_format(fmt)
    if kind in _RDF:
        return 5 if linked else 4
    # The datastore's own tables are served as CSV/JSON through an open API.
    if kind in _OPEN_STRUCTURED or url_type == "datastore":
        return 3
    if kind in _PROPRIETARY_STRUCTURED:
        return 2
    return 1


def content_points(fmt: str | None, url_type: str, check: Mapping[str, Any] | None) -> int:
    """0–60 points for what the file holds: from the validation summary when there is one."""
    kind = normal_format(fmt)
    if check and check.get("status") == "complete":
        rules = check.get("rules") or {}
        penalty = sum(_PENALTY.get(severity, 0) * n for severity, n in rules.items())
        return max(0, _CONTENT_POINTS - penalty)
    if check and check.get("status") == "error":
        return 0  # the file could not be read as a table
    if kind in TABULAR or kind in _OPEN_STRUCTURED or kind in _RDF or url_type == "datastore":
        return _CONTENT_POINTS // 2  # not checked (yet): neither rewarded nor punished
    return 0


def resource_score(
    stars: int, fmt: str | None, url_type: str, check: Mapping[str, Any] | None
) -> int:
    return stars * _OPENNESS_POINTS + content_points(fmt, url_type, check)


def dataset_rating(resource_ratings: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """(stars, score) of a dataset from its resources' (stars, score)."""
    ratings = list(resource_ratings)
    if not ratings:
        return 0, 0
    stars = max(s for s, _ in ratings)
    score = round(sum(score for _, score in ratings) / len(ratings))
    return stars, score


def rate_resource(
    check: Mapping[str, Any] | None, license_open: bool, fmt: str | None, url_type: str
) -> dict[str, Any]:
    """The `quality` object of a resource dict: rating plus the stored check summary."""
    check = check if isinstance(check, Mapping) else None
    stars = resource_stars(
        license_open=license_open,
        fmt=fmt,
        url_type=url_type,
        linked=bool(check and check.get("linked")),
    )
    rated: dict[str, Any] = {
        "stars": stars,
        "stars_label": STAR_LABELS[stars],
        "score": resource_score(stars, fmt, url_type, check),
        "checked": None,
    }
    if check:
        rated.update(
            {
                "checked": check.get("checked"),
                "status": check.get("status"),
                "standard": check.get("standard"),
                "standard_guessed": bool(check.get("standard_guessed")),
                "findings": dict(check.get("findings") or {}),
            }
        )
    return rated
