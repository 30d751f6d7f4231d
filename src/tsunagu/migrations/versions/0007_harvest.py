"""Federation (issue 11): harvest sources, the record ↔ dataset map, job history and errors

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "harvest_source",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("api_key", sa.Text(), nullable=False),
        sa.Column("owner_org", sa.String(length=36), nullable=False),
        sa.Column("frequency", sa.String(length=20), nullable=False),
        sa.Column("next_run", sa.DateTime(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("creator_user_id", sa.String(length=36), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("modified", sa.DateTime(), nullable=False),
        sa.Column("last_listed", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_org"],
            ["organization.id"],
            name=op.f("fk_harvest_source_owner_org_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_source")),
        sa.UniqueConstraint("name", name=op.f("uq_harvest_source_name")),
    )
    op.create_index(op.f("ix_harvest_source_next_run"), "harvest_source", ["next_run"])
    op.create_index(op.f("ix_harvest_source_owner_org"), "harvest_source", ["owner_org"])
    op.create_table(
        "harvest_job",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("requested_by", sa.String(length=36), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("started", sa.DateTime(), nullable=True),
        sa.Column("gather_finished", sa.DateTime(), nullable=True),
        sa.Column("finished", sa.DateTime(), nullable=True),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("withdrawn", sa.Integer(), nullable=False),
        sa.Column("errored", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["harvest_source.id"],
            name=op.f("fk_harvest_job_source_id_harvest_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_job")),
    )
    op.create_index(op.f("ix_harvest_job_created"), "harvest_job", ["created"])
    op.create_index(op.f("ix_harvest_job_source_id"), "harvest_job", ["source_id"])
    op.create_table(
        "harvest_object",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=2000), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=True),
        sa.Column("remote_name", sa.String(length=200), nullable=False),
        sa.Column("original_url", sa.Text(), nullable=False),
        sa.Column("remote_modified", sa.String(length=40), nullable=False),
        sa.Column("remote_private", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("resources", sa.JSON(), nullable=False),
        sa.Column("managed", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("missing_since", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("last_job_id", sa.String(length=36), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["dataset.id"],
            name=op.f("fk_harvest_object_dataset_id_dataset"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["harvest_source.id"],
            name=op.f("fk_harvest_object_source_id_harvest_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_object")),
        sa.UniqueConstraint("source_id", "key", name="uq_harvest_object_source_key"),
    )
    op.create_index(op.f("ix_harvest_object_dataset_id"), "harvest_object", ["dataset_id"])
    op.create_index(op.f("ix_harvest_object_source_id"), "harvest_object", ["source_id"])
    op.create_table(
        "harvest_error",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["harvest_job.id"],
            name=op.f("fk_harvest_error_job_id_harvest_job"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_error")),
    )
    op.create_index(op.f("ix_harvest_error_job_id"), "harvest_error", ["job_id"])
    op.create_index(op.f("ix_harvest_error_source_id"), "harvest_error", ["source_id"])
    _add_ckan_migration_columns()


def _add_ckan_migration_columns() -> None:
    """Moving from CKAN (ckanapi load): organisation and group extras, and a parent named
    before it exists (catalog/hierarchy.py)."""
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_ref", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("extras", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.create_index(batch_op.f("ix_organization_parent_ref"), ["parent_ref"])
    with op.batch_alter_table("group", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extras", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("group", schema=None) as batch_op:
        batch_op.drop_column("extras")
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organization_parent_ref"))
        batch_op.drop_column("extras")
        batch_op.drop_column("parent_ref")
    # Harvested datasets stay (ordinary datasets with their provenance extras); only the
    # harvest bookkeeping goes.
    for table in ("harvest_error", "harvest_object", "harvest_job", "harvest_source"):
        op.drop_table(table)
