"""Resource views: how a resource is previewed, in CKAN's resource_view shape.

The portal's own previews are views too, made when a resource's data becomes a datastore table
(`events.datastore_changed`, in the same transaction), and the portal shows the previews a
resource has views for:

- ``datatables_view`` (CKAN's name): the table, for every datastore table;
- ``tsunagu_map``: the map, when the table has a latitude and a longitude column (緯度/経度, or
  the point geometry a GeoJSON file is read into);
- ``tsunagu_chart``: the chart, when the table has a numeric column;
- ``tsunagu_choropleth``: 地図（市区町村別）, when the table has a 全国地方公共団体コード column and
  a numeric column that measures something (maps/choropleth.py: ``eligible``).

View types Tsunagu does not render (image_view, a harvested extension's view …) are kept and
listed as they came, so copying a site's views through the API loses nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tsunagu.catalog.models import Resource, ResourceView
from tsunagu.datastore.ingest.infer import point_columns
from tsunagu.events import on_datastore_changed
from tsunagu.storage.types import new_id

TABLE = "datatables_view"
MAP = "tsunagu_map"
CHART = "tsunagu_chart"
CHOROPLETH = "tsunagu_choropleth"
IMAGE = "image_view"
DATASTORE_TYPES = (TABLE, MAP, CHART, CHOROPLETH)
NUMERIC_TYPES = ("int", "numeric")
IMAGE_FORMATS = {"PNG", "JPG", "JPEG", "GIF", "WEBP"}
# Keys with a column of their own; every other key a client sends goes into `config` and is
# shown back at the top level, as CKAN's resource_view_dictize does.
CORE_KEYS = ("id", "resource_id", "package_id", "title", "description", "view_type", "config")


def view_dict(view: ResourceView, package_id: str) -> dict[str, Any]:
    shown: dict[str, Any] = {
        key: value for key, value in (view.config or {}).items() if key not in CORE_KEYS
    }
    shown.update(
        {
            "id": view.id,
            "resource_id": view.resource_id,
            "package_id": package_id,
            "title": view.title,
            "description": view.description,
            "view_type": view.view_type,
        }
    )
    return shown


def views_of(session: Session, resource_id: str) -> list[ResourceView]:
    return list(
        session.scalars(
            select(ResourceView)
            .where(ResourceView.resource_id == resource_id)
            .order_by(ResourceView.position, ResourceView.id)
        )
    )


def next_position(session: Session, resource_id: str) -> int:
    last = session.scalar(
        select(func.max(ResourceView.position)).where(ResourceView.resource_id == resource_id)
    )
    return 0 if last is None else int(last) + 1


def datastore_defaults(fields: list[dict[str, object]]) -> list[tuple[str, str, dict[str, Any]]]:
    """(view_type, title, config) of the previews a table with these columns gets."""
    names = [str(f["id"]) for f in fields]
    defaults: list[tuple[str, str, dict[str, Any]]] = [(TABLE, "表", {})]
    point = point_columns(names)
    if point is not None:
        config = {"latitude_field": names[point[0]], "longitude_field": names[point[1]]}
        defaults.append((MAP, "地図", config))
    numeric = [str(f["id"]) for f in fields if f.get("type") in NUMERIC_TYPES]
    if numeric:
        defaults.append((CHART, "グラフ", {"numeric_fields": numeric}))
    # Imported here: maps/ reads datastore and catalog modules that import this one.
    from tsunagu.maps.choropleth import code_field, eligible

    if eligible(fields):
        defaults.append((CHOROPLETH, "地図（市区町村別）", {"code_field": code_field(fields)}))
    return defaults


def file_defaults(resource: Resource) -> list[tuple[str, str, dict[str, Any]]]:
    """Views that need no datastore table: an image shown as itself (CKAN's image_view)."""
    if resource.format.upper() in IMAGE_FORMATS:
        return [(IMAGE, "画像", {})]
    return []


def add_missing(
    session: Session, resource_id: str, defaults: list[tuple[str, str, dict[str, Any]]]
) -> list[ResourceView]:
    """Create each default view whose type the resource does not have yet."""
    have = {v.view_type for v in views_of(session, resource_id)}
    position = next_position(session, resource_id)
    made = []
    for view_type, title, config in defaults:
        if view_type in have:
            continue
        view = ResourceView(
            id=new_id(),
            resource_id=resource_id,
            position=position,
            view_type=view_type,
            title=title,
            description="",
            config=config,
        )
        session.add(view)
        made.append(view)
        position += 1
    if made:
        session.flush()
    return made


@on_datastore_changed
def _views_for_new_table(
    session: Session, resource_id: str, fields: list[dict[str, object]] | None
) -> None:
    # A removed table keeps its views (as in CKAN); the portal shows nothing without data.
    if fields is not None:
        add_missing(session, resource_id, datastore_defaults(fields))
