"""統合マップ and 災害モード (issue 16): staff-added map layers and the built data of every layer
(maps/models.py).

Other issue-16 capabilities (disaster mode, choropleth) add their tables here too, each in a
function of its own called from upgrade() and undone in downgrade().

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _create_map_tables()


def downgrade() -> None:
    _drop_map_tables()


# -- maps/models.py ---------------------------------------------------------------------------


def _create_map_tables() -> None:
    op.create_table(
        "map_layer",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_org", sa.String(length=36), nullable=True),
        sa.Column("datasets", sa.JSON(), nullable=False),
        sa.Column("creator_user_id", sa.String(length=36), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_org"],
            ["organization.id"],
            name=op.f("fk_map_layer_owner_org_organization"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_map_layer")),
        sa.UniqueConstraint("name", name=op.f("uq_map_layer_name")),
    )
    op.create_index(op.f("ix_map_layer_owner_org"), "map_layer", ["owner_org"])
    op.create_table(
        "map_layer_build",
        sa.Column("layer", sa.String(length=100), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column("built", sa.DateTime(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("geojson_gzip", sa.LargeBinary(), nullable=False),
        sa.Column("geojson_br", sa.LargeBinary(), nullable=False),
        sa.Column("csv_gzip", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("layer", name=op.f("pk_map_layer_build")),
    )


def _drop_map_tables() -> None:
    op.drop_table("map_layer_build")
    op.drop_index(op.f("ix_map_layer_owner_org"), table_name="map_layer")
    op.drop_table("map_layer")
