"""map_layer_list, map_layer_show, map_point_search; map_layer_create and map_layer_delete.

Layers hold public data only (sources.py), so anyone may read them. The points a layer leaves
off (outside Japan, latitude and longitude swapped, no coordinates) are listed to the staff of
the organisations that published them, and to sysadmins; everyone sees how many there are.
A staff layer is made by an editor of the organisation whose datasets it shows (a sysadmin may
mix organisations), and deleted by an editor of that organisation or a sysadmin.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from tsunagu.catalog import authz
from tsunagu.catalog.access import readable_dataset
from tsunagu.catalog.lookup import by_id_or_name
from tsunagu.catalog.models import Dataset
from tsunagu.catalog.validation import add, as_text, check_name, paging
from tsunagu.context import Context
from tsunagu.datastore.ingest.infer import point_columns
from tsunagu.datastore.models import DatastoreTable
from tsunagu.errors import NotFound, ValidationError
from tsunagu.maps import jobs  # also registers the rebuild listeners
from tsunagu.maps.models import MapLayer
from tsunagu.maps.registry import STANDARD, LayerSpec, find_layer, layer_specs, standard_layer
from tsunagu.maps.search import PointQuery, distances, find_place, index_of, matching
from tsunagu.maps.sources import GEOJSON_FORMATS
from tsunagu.maps.store import LoadedLayer, layer_store
from tsunagu.registry import action
from tsunagu.storage.upsert import flush_or_conflict

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
MAX_DATASETS = 50
NOT_BUILT = (
    "地図データを準備しています。しばらくしてからもう一度お試しください (Layer not built yet)"
)


def layer_urls(name: str) -> dict[str, str]:
    return {"geojson": f"/map/layers/{name}.geojson", "csv": f"/map/layers/{name}.csv"}


def _spec(context: Context, data: dict[str, Any], field: str = "id") -> LayerSpec:
    ref = data.get(field, data.get("layer", data.get("name")))
    if ref in (None, ""):
        raise ValidationError({field: ["必須項目です (Missing value)"]})
    spec = find_layer(context.session, str(ref))
    if spec is None:
        raise NotFound("地図レイヤーが見つかりません (Map layer not found)")
    return spec


def _built(context: Context, spec: LayerSpec) -> LoadedLayer | None:
    return layer_store(context.services).layer(spec.name)


def _describe(spec: LayerSpec, layer: LoadedLayer | None) -> dict[str, Any]:
    summary = layer.summary if layer is not None else {}
    counts = summary.get("left_off_counts") or {}
    return {
        "name": spec.name,
        "title": spec.title,
        "title_en": spec.title_en,
        "kind": spec.kind,
        "standard": spec.standard.id if spec.standard is not None else None,
        "standard_number": spec.standard.number if spec.standard is not None else None,
        "description": spec.description,
        "owner_org": spec.owner_org,
        "built": layer is not None,
        "points": layer.points if layer is not None else 0,
        "etag": layer.etag if layer is not None else None,
        "datasets": len({s["dataset"] for s in summary.get("sources") or []}),
        "left_off": sum(int(v) for v in counts.values()),
        "filters": [f.as_dict() for f in spec.filters],
        "urls": layer_urls(spec.name),
    }


@action("map_layer_list")
def map_layer_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every map layer: the standard data sets with coordinates and the staff layers, each with
    its point count and the URLs of its GeoJSON and CSV.

    :param with_points: only layers with at least one point (default false)
    """
    only_points = str(data.get("with_points", "")).lower() in ("1", "true", "yes")
    store = layer_store(context.services)
    out = []
    for spec in layer_specs(context.session):
        described = _describe(spec, store.layer(spec.name))
        if only_points and not described["points"]:
            continue
        out.append(described)
    return out


def _visible_left_off(context: Context, summary: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The points left off that the caller may see listed: staff see their organisations'
    rows, sysadmins all; None for everyone else."""
    if context.user is None and not context.ignore_auth:
        return None
    sources = summary.get("sources") or []
    if context.is_sysadmin:
        allowed = set(range(len(sources)))
    else:
        orgs = authz.member_organization_ids(context, "editor")
        if not orgs:
            return None
        allowed = {i for i, s in enumerate(sources) if s.get("org_id") in orgs}
    listed = []
    for item in summary.get("left_off") or []:
        index = item.get("source")
        if index in allowed:
            source = sources[index]
            listed.append(
                {
                    **{k: v for k, v in item.items() if k != "source"},
                    "dataset": source["dataset"],
                    "dataset_title": source["dataset_title"],
                    "organization": source["organization"],
                    "resource": source["resource"],
                }
            )
    return listed


@action("map_layer_show")
def map_layer_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """One layer: its attributes with their standard labels, the filters, municipalities and
    datasets with their point counts, and the points left off (counted for everyone; listed
    for the staff of the publishing organisations and sysadmins).

    :param id: the layer's name (``evacuation_space`` or a staff layer's name)
    """
    spec = _spec(context, data)
    layer = _built(context, spec)
    out = _describe(spec, layer)
    summary = layer.summary if layer is not None else {}
    sources = []
    for source in summary.get("sources") or []:
        sources.append({k: v for k, v in source.items() if k != "org_id"})
    out.update(
        fields=summary.get("fields") or [],
        municipalities=summary.get("municipalities") or [],
        sources=sources,
        left_off_counts=summary.get("left_off_counts") or {},
        built_bytes=summary.get("bytes"),
    )
    listed = _visible_left_off(context, summary)
    if listed is not None:
        out["left_off_points"] = listed
    return out


def _strings(value: Any) -> list[str]:
    """A list, a JSON list or a comma-separated text, as strings."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise ValidationError(
                    {"municipality": ["形式が正しくありません (Invalid)"]}
                ) from None
        else:
            return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def _filters(spec: LayerSpec, layer: LoadedLayer, data: dict[str, Any]) -> list[tuple[str, str]]:
    raw = data.get("filters")
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ValidationError(
                {"filters": ["JSON のオブジェクトで指定してください (Must be a JSON object)"]}
            ) from None
    if not isinstance(raw, dict):
        raise ValidationError(
            {"filters": ["JSON のオブジェクトで指定してください (Must be a JSON object)"]}
        )
    if spec.kind == STANDARD:
        allowed = {f.field: set(f.values) for f in spec.filters}
    else:
        allowed = {f["name"]: set() for f in layer.summary.get("fields") or []}
    chosen: list[tuple[str, str]] = []
    for field, value in raw.items():
        if field not in allowed:
            raise ValidationError(
                {"filters": [f"「{field}」では絞り込めません (Unknown filter field)"]}
            )
        text = str(value).strip()
        if text in ("", "any"):
            continue
        if allowed[field] and text not in allowed[field]:
            choices = "、".join(sorted(allowed[field]))
            raise ValidationError(
                {"filters": [f"「{field}」の値は {choices} です (Invalid value)"]}
            )
        chosen.append((str(field), text))
    return chosen


def _coordinate(data: dict[str, Any], field: str, low: float, high: float) -> float:
    try:
        value = float(data[field])
    except (TypeError, ValueError):
        value = float("nan")
    if not low <= value <= high:
        raise ValidationError(
            {field: [f"{low:g} から {high:g} の数で指定してください (Out of range)"]}
        )
    return value


def _result(layer: LoadedLayer, feature: dict[str, Any], distance: float | None) -> dict[str, Any]:
    document = layer.document
    properties = feature["properties"]
    source = document["sources"][properties["_s"]]
    code = str(properties.get("_m", ""))
    lon, lat = feature["geometry"]["coordinates"]
    item: dict[str, Any] = {
        "id": feature["id"],
        "name": properties.get("名称") or properties.get("name") or "",
        "lat": lat,
        "lon": lon,
        "municipality": {"code": code, "name": document["municipalities"].get(code, "")},
        "properties": {k: v for k, v in properties.items() if not k.startswith("_")},
        "dataset": {
            "name": source["dataset"],
            "title": source["dataset_title"],
            "organization_title": source["organization_title"],
            "url": source["url"],
        },
    }
    if distance is not None:
        item["distance_m"] = round(float(distance), 1)
    return item


@action("map_point_search")
def map_point_search(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The points of a layer that pass the filters, nearest first when an origin is given.

    :param layer: the layer's name
    :param municipality: 全国地方公共団体コード (one, a list or comma-separated)
    :param filters: ``{"災害種別_洪水": "1"}`` — attributes the standard defines with fixed
        values (any attribute of a staff layer), as an object or its JSON text
    :param q: words the name or address must contain
    :param lat, lon: the origin (e.g. the browser's location); or
    :param near: a typed address, 町名 or facility name, found among the layer's points and
        the municipality names (no outside geocoder)
    :param limit: default 20, at most 1000; ``offset``
    """
    spec = _spec(context, data, "layer")
    layer = _built(context, spec)
    if layer is None:
        raise ValidationError({"layer": [NOT_BUILT]})
    errors: dict[str, list[str]] = {}
    limit, offset = paging(data, errors, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT)
    q = as_text(data, "q", errors, limit=200)
    near = as_text(data, "near", errors, limit=200)
    if errors:
        raise ValidationError(errors)
    query = PointQuery(
        municipalities=frozenset(_strings(data.get("municipality"))),
        filters=tuple(_filters(spec, layer, data)),
        q=q,
    )
    index = index_of(layer)
    which = matching(index, query)
    origin: dict[str, Any] | None = None
    order = which
    found_distances: dict[int, float] = {}
    has_point = data.get("lat") not in (None, "") or data.get("lon") not in (None, "")
    if has_point:
        lat = _coordinate(data, "lat", -90, 90)
        lon = _coordinate(data, "lon", -180, 180)
        origin = {"lat": lat, "lon": lon, "label": "", "matched": "location", "matches": 1}
    elif near:
        others = [index_of(other) for other in _other_layers(context, spec)]
        place = find_place(near, [index, *others])
        origin = {"found": False, "query": near} if place is None else place.as_dict()
    if origin is not None and "lat" in origin:
        far = distances(index, float(origin["lat"]), float(origin["lon"]), which)
        ranked = sorted(range(len(which)), key=lambda k: (far[k], which[k]))
        order = [which[k] for k in ranked]
        found_distances = {which[k]: float(far[k]) for k in range(len(which))}
    elif origin is not None:
        order = []
    page = order[offset : offset + (limit or DEFAULT_LIMIT)]
    return {
        "layer": spec.name,
        "count": len(order),
        "origin": origin,
        "results": [
            _result(layer, index.features[i], found_distances.get(i) if origin else None)
            for i in page
        ],
    }


def _other_layers(context: Context, spec: LayerSpec) -> list[LoadedLayer]:
    """Other standard layers whose names help find a typed place (公共施設, 観光施設 …)."""
    store = layer_store(context.services)
    out = []
    for name in ("public_facility", "tourism", "preschool"):
        other = standard_layer(name)
        if other is not None and other.name != spec.name:
            loaded = store.layer(other.name)
            if loaded is not None:
                out.append(loaded)
    return out


# -- staff layers ------------------------------------------------------------------------------


def _has_points(context: Context, dataset: Dataset) -> bool:
    for resource in dataset.resources:
        if resource.state != "active":
            continue
        table = context.session.get(DatastoreTable, resource.id)
        if table is not None and point_columns([str(f["id"]) for f in table.fields]) is not None:
            return True
        if resource.url_type == "upload" and resource.format.strip().lower() in GEOJSON_FORMATS:
            return True
    return False


@action("map_layer_create", write=True)
def map_layer_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Add a layer of datasets with points (a datastore table with 緯度/経度, or an uploaded
    GeoJSON). Editors may add their organisation's datasets; a sysadmin any.

    :param name: URL name (lower-case letters, digits, - and _), not a standard's id
    :param title: the layer's title
    :param datasets: dataset ids or names (a list, or comma-separated)
    :param description: optional
    """
    authz.require_login(context)
    errors: dict[str, list[str]] = {}
    name = check_name(data.get("name"), "name", errors)
    title = as_text(data, "title", errors, limit=200)
    description = as_text(data, "description", errors, limit=2000)
    if not title and "title" not in errors:
        add(errors, "title", "必須項目です (Missing value)")
    if name and standard_layer(name) is not None:
        add(errors, "name", "標準データセットのレイヤー名は使えません (Reserved name)")
    elif name and context.session.scalar(select(MapLayer.id).where(MapLayer.name == name)):
        add(errors, "name", "この名前は既に使われています (That name is already in use)")
    refs = _strings(data.get("datasets"))
    if not refs:
        add(errors, "datasets", "データセットを 1 つ以上指定してください (Missing value)")
    elif len(refs) > MAX_DATASETS:
        add(errors, "datasets", f"{MAX_DATASETS} 件までです (Too many datasets)")
    datasets: list[Dataset] = []
    for ref in dict.fromkeys(refs):
        try:
            dataset = by_id_or_name(context.session, Dataset, ref)
        except NotFound:
            add(errors, "datasets", f"データセット「{ref}」が見つかりません (Not found)")
            continue
        readable_dataset(context, dataset)  # outsiders learn nothing of private datasets
        authz.require_role(context, dataset.owner_org, "editor")
        if dataset.state == "deleted":
            add(errors, "datasets", f"データセット「{ref}」が見つかりません (Not found)")
        elif not _has_points(context, dataset):
            add(
                errors,
                "datasets",
                f"「{dataset.title or dataset.name}」には緯度・経度の列も GeoJSON もありません "
                "(No points)",
            )
        datasets.append(dataset)
    if errors:
        raise ValidationError(errors)
    owners = {d.owner_org for d in datasets}
    layer = MapLayer(
        name=name,
        title=title,
        description=description,
        owner_org=owners.pop() if len(owners) == 1 else None,
        datasets=[d.id for d in datasets],
        creator_user_id=context.user.id if context.user is not None else None,
    )
    context.session.add(layer)
    flush_or_conflict(
        context.session,
        MapLayer,
        field="name",
        value=name,
        own_id=layer.id,
        message="この名前は既に使われています (That name is already in use)",
    )
    jobs.request_rebuild(context.session)
    spec = find_layer(context.session, name)
    assert spec is not None
    return _describe(spec, None)


@action("map_layer_delete", write=True)
def map_layer_delete(context: Context, data: dict[str, Any]) -> None:
    """Remove a staff layer (its datasets stay). Standard layers cannot be removed.

    :param id: the layer's name or id
    """
    ref = data.get("id", data.get("name"))
    if ref in (None, ""):
        raise ValidationError({"id": ["必須項目です (Missing value)"]})
    row = context.session.scalar(
        select(MapLayer).where((MapLayer.name == str(ref)) | (MapLayer.id == str(ref)))
    )
    if row is None:
        if standard_layer(str(ref)) is not None:
            authz.require_login(context)
            raise ValidationError(
                {"id": ["標準データセットのレイヤーは削除できません (Standard layers stay)"]}
            )
        raise NotFound("地図レイヤーが見つかりません (Map layer not found)")
    if row.owner_org is None:
        authz.require_sysadmin(context)
    else:
        authz.require_role(context, row.owner_org, "editor")
    context.session.delete(row)
    context.session.flush()
    jobs.request_rebuild(context.session)
