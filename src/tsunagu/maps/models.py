"""Map layers staff added, and the built data of every layer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tsunagu.storage.database import Base
from tsunagu.storage.types import new_id, utcnow


class MapLayer(Base):
    """A layer staff made of datasets with points that follow no standard (バス停, 消火栓 …)."""

    __tablename__ = "map_layer"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # The organisation whose staff may delete it; None when it spans several (sysadmins only).
    owner_org: Mapped[str | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # Dataset ids, in the order staff gave them.
    datasets: Mapped[list[str]] = mapped_column(JSON, default=list)
    creator_user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class MapLayerBuild(Base):
    """One layer as last built: what every process serves. The bytes are deferred, so the
    processes' once-a-second look at the ETags reads only the small columns."""

    __tablename__ = "map_layer_build"

    layer: Mapped[str] = mapped_column(String(100), primary_key=True)
    # Quoted-free hash of the GeoJSON body: equal bodies have equal ETags across rebuilds.
    etag: Mapped[str] = mapped_column(String(64))
    # Digest of what the layer was built from (resources, their datasets' revisions, tables),
    # so a rebuild check skips layers whose inputs did not change.
    signature: Mapped[str] = mapped_column(String(64))
    built: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    points: Mapped[int] = mapped_column(Integer, default=0)
    # Sources, fields, municipalities and the points left off (see builder.py).
    summary: Mapped[dict[str, object]] = mapped_column(JSON, default=dict, deferred=True)
    geojson_gzip: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    geojson_br: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    csv_gzip: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
