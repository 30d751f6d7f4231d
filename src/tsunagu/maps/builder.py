"""Build a layer: its sources' points into one GeoJSON document, compressed once with gzip and
brotli, with a CSV beside it, and store it (`map_layer_build`) for every process to serve.

The document is a GeoJSON FeatureCollection with foreign members the map page needs and any
client may use: ``layer`` (name, titles, kind, standard), ``fields`` (the attributes with their
standard labels, in the standard's order), ``filters`` (the attributes with fixed values),
``sources`` (the datasets the points come from) and ``municipalities`` (code → name). Each
feature's ``properties`` hold the non-empty attributes plus ``_s`` (its source's index) and
``_m`` (its municipality's 全国地方公共団体コード). The body has no timestamp, so a rebuild of
unchanged data gives the same bytes and the same ETag: caches keep what they hold.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import brotli
import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tsunagu.context import Services
from tsunagu.datastore.dump import neutralise
from tsunagu.maps import feature_ids
from tsunagu.maps.models import MapLayerBuild
from tsunagu.maps.points import NO_COORDINATES, OUTSIDE_JAPAN, SWAPPED, source_points
from tsunagu.maps.registry import EXTRA_FIELDS, LayerSpec, layer_specs
from tsunagu.maps.sources import Source, signature, sources_by_layer
from tsunagu.quality.areas import area
from tsunagu.storage.types import utcnow
from tsunagu.storage.upsert import upsert

log = logging.getLogger(__name__)

# The points left off that a layer's summary lists (all are counted).
MAX_LISTED = 2000
GZIP_LEVEL = 9
# Brotli 9 compresses a 20,000-point layer about as well as 11 in a fraction of the time.
BROTLI_QUALITY = 9


@dataclass
class BuiltLayer:
    name: str
    etag: str
    signature: str
    points: int
    summary: dict[str, Any]
    geojson: bytes
    geojson_gzip: bytes
    geojson_br: bytes
    csv_gzip: bytes


def _source_dict(source: Source) -> dict[str, Any]:
    return {
        "dataset": source.dataset_name,
        "dataset_title": source.dataset_title,
        "organization": source.org_name,
        "organization_title": source.org_title,
        "resource": source.resource_id,
        "resource_name": source.resource_name,
        "url": f"/dataset/{source.dataset_name}",
    }


def _fields(spec: LayerSpec, features: list[dict[str, Any]]) -> list[dict[str, str]]:
    if spec.standard is not None:
        kept = [n for n in EXTRA_FIELDS if any(n in f["properties"] for f in features)]
        listed = [(f.name, f.title, f.description) for f in spec.fields]
        listed += [(name, name, "") for name in kept]
        return [{"name": n, "title": t, "description": d} for n, t, d in listed]
    seen: dict[str, None] = {}
    for feature in features:
        seen.update(dict.fromkeys(k for k in feature["properties"] if not k.startswith("_")))
    return [{"name": name, "title": name, "description": ""} for name in seen]


def _municipalities(features: list[dict[str, Any]], sources: list[Source]) -> dict[str, str]:
    by_code = {s.org_code: s.org_title for s in sources if s.org_code}
    codes = sorted({str(f["properties"]["_m"]) for f in features if "_m" in f["properties"]})
    names: dict[str, str] = {}
    for code in codes:
        known = area(code)
        names[code] = known.name if known is not None else by_code.get(code, code)
    return names


def _csv(
    fields: list[dict[str, str]],
    features: list[dict[str, Any]],
    sources: list[dict[str, Any]],
    municipalities: dict[str, str],
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    names = [f["name"] for f in fields]
    writer.writerow([*names, "緯度", "経度", "市区町村コード", "市区町村名", "データセット", "ID"])
    for feature in features:
        properties = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"]
        code = str(properties.get("_m", ""))
        source = sources[properties["_s"]]
        writer.writerow(
            [
                *(neutralise(_cell(properties.get(n))) for n in names),
                lat,
                lon,
                code,
                municipalities.get(code, ""),
                source["dataset"],
                feature["id"],
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: Any) -> Any:
    return "" if value is None else value


def build_layer(services: Services, spec: LayerSpec, sources: list[Source]) -> BuiltLayer:
    features: list[dict[str, Any]] = []
    left_off: list[dict[str, Any]] = []
    source_dicts: list[dict[str, Any]] = []
    totals = {OUTSIDE_JAPAN: 0, SWAPPED: 0, NO_COORDINATES: 0}
    for index, source in enumerate(sources):
        found = source_points(services, spec, source, index)
        features.extend(found.features)
        if len(left_off) < MAX_LISTED:
            left_off.extend(found.left_off[: MAX_LISTED - len(left_off)])
        for reason, count in found.counts.items():
            totals[reason] += count
        source_dicts.append(
            {
                **_source_dict(source),
                "org_id": source.org_id,
                "points": len(found.features),
                **found.counts,
                **({"error": found.error} if found.error else {}),
            }
        )
    fields = _fields(spec, features)
    municipalities = _municipalities(features, sources)
    public_sources = [
        {k: v for k, v in s.items() if k in _PUBLIC_SOURCE_KEYS} for s in source_dicts
    ]
    layer = {
        "name": spec.name,
        "title": spec.title,
        "title_en": spec.title_en,
        "kind": spec.kind,
        "standard": spec.standard.id if spec.standard is not None else None,
    }
    filters = [f.as_dict() for f in spec.filters]
    document = {
        "type": "FeatureCollection",
        "layer": layer,
        "fields": fields,
        "filters": filters,
        "sources": public_sources,
        "municipalities": municipalities,
        "features": feature_ids.served(features, public_sources),
    }
    raw = orjson.dumps(document)
    counts: dict[str, int] = {}
    for feature in features:
        code = str(feature["properties"].get("_m", ""))
        counts[code] = counts.get(code, 0) + 1
    summary = {
        "layer": layer,
        "fields": fields,
        "filters": filters,
        "sources": source_dicts,
        "municipalities": [
            {"code": code, "name": name, "points": counts.get(code, 0)}
            for code, name in municipalities.items()
        ],
        "left_off": left_off,
        "left_off_counts": totals,
        "bytes": len(raw),
    }
    return BuiltLayer(
        name=spec.name,
        etag=hashlib.sha256(raw).hexdigest()[:32],
        signature=signature(spec, sources),
        points=len(features),
        summary=summary,
        geojson=raw,
        geojson_gzip=gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0),
        geojson_br=brotli.compress(raw, mode=brotli.MODE_TEXT, quality=BROTLI_QUALITY),
        csv_gzip=gzip.compress(
            _csv(fields, features, public_sources, municipalities), GZIP_LEVEL, mtime=0
        ),
    )


_PUBLIC_SOURCE_KEYS = frozenset(
    {"dataset", "dataset_title", "organization", "organization_title", "resource",
     "resource_name", "url", "points"}
)  # fmt: skip


def store(session: Session, built: BuiltLayer) -> None:
    """Write the build (the last writer wins when two processes built the same inputs)."""
    upsert(
        session,
        MapLayerBuild,
        {
            "layer": built.name,
            "etag": built.etag,
            "signature": built.signature,
            "built": utcnow(),
            "points": built.points,
            "summary": built.summary,
            "geojson_gzip": built.geojson_gzip,
            "geojson_br": built.geojson_br,
            "csv_gzip": built.csv_gzip,
        },
        ["layer"],
        ["etag", "signature", "built", "points", "summary", "geojson_gzip", "geojson_br",
         "csv_gzip"],
    )  # fmt: skip


def rebuild_changed(
    services: Services,
    *,
    force: bool = False,
    finish: Callable[[Session], None] | None = None,
) -> list[BuiltLayer]:
    """Build every layer whose inputs changed since its last build (all with `force`), and
    drop the builds of layers that no longer exist. Returns what was built.

    Every build is stored in one commit at the end, with `finish` (the job's end): a client
    that sees the new layers finds the rebuild ended, and never half of them."""
    with services.sessions() as session:
        specs = layer_specs(session)
        stored = dict(session.execute(select(MapLayerBuild.layer, MapLayerBuild.signature)).all())
        sources = sources_by_layer(session, specs)
    built: list[BuiltLayer] = []
    for spec in specs:
        found = sources[spec.name]
        if not force and stored.get(spec.name) == signature(spec, found):
            continue
        try:
            layer = build_layer(services, spec, found)
        except Exception:  # one broken layer must not keep the others stale
            log.exception("map layer %s could not be built", spec.name)
            continue
        built.append(layer)
    gone = set(stored) - {spec.name for spec in specs}
    with services.sessions() as session:
        for layer in built:
            store(session, layer)
        if gone:
            session.execute(delete(MapLayerBuild).where(MapLayerBuild.layer.in_(sorted(gone))))
        if finish is not None:
            finish(session)
        session.commit()
    return built
