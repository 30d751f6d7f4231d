"""Staff workspace (issue 15): controlled dataset metadata (frequency codes, spatial codes,
contact point, declared standard), and the tables of the workspace helpers

Existing free-text frequencies become codes where the text is unambiguous (年1回 → annual,
月次 → monthly, 随時 → as_needed …); the rest keep their text in ``frequency_unmapped`` with
``frequency`` left empty, so staff see it and choose (the form asks "選んでください").
Existing datasets get ``spatial_codes`` from their ``spatial`` label when every part of it names
a known place (山口県下関市 → 352012), else from their organisation's own code when the label is
empty; a label naming something else (下関市彦島地区) keeps no code rather than a wrong one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 09:00:00
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

from tsunagu.catalog.metadata import frequency, spatial

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_dataset = sa.table(
    "dataset",
    sa.column("id", sa.String),
    sa.column("owner_org", sa.String),
    sa.column("frequency", sa.Text),
    sa.column("frequency_unmapped", sa.Text),
    sa.column("spatial", sa.Text),
    sa.column("spatial_codes", sa.JSON),
)
_organization = sa.table(
    "organization", sa.column("id", sa.String), sa.column("local_gov_code", sa.String)
)


def upgrade() -> None:
    with op.batch_alter_table("dataset", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("frequency_unmapped", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("spatial_codes", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("contact_name", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("contact_email", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("contact_phone", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("standard_id", sa.String(length=50), nullable=False, server_default="")
        )
    _map_existing_metadata()
    _create_resource_version()
    _create_upload_batch()
    _create_attention_setting()
    with op.batch_alter_table("resource_quality", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_quality_pii_blocked"), ["pii_blocked"])


def _map_existing_metadata() -> None:
    connection = op.get_bind()
    org_codes = dict(
        connection.execute(sa.select(_organization.c.id, _organization.c.local_gov_code)).all()
    )
    rows = connection.execute(
        sa.select(_dataset.c.id, _dataset.c.owner_org, _dataset.c.frequency, _dataset.c.spatial)
    ).all()
    for dataset_id, owner_org, text, label in rows:
        changes: dict[str, object] = {}
        if text:
            code = frequency.from_text(text)
            if code is None:
                changes.update(frequency="", frequency_unmapped=text)
            elif code != text:
                changes["frequency"] = code
        if label:
            codes = spatial.codes_for_label(label) or []
        else:
            codes = spatial.default_codes(org_codes.get(owner_org))
        if codes:
            changes["spatial_codes"] = codes
            if not label:
                changes["spatial"] = spatial.label_for(codes)
        if changes:
            connection.execute(
                sa.update(_dataset).where(_dataset.c.id == dataset_id).values(**changes)
            )


def _create_resource_version() -> None:
    """Every uploaded file kept as a numbered version (workspace/versions); each upload already
    there becomes its resource's version 1."""
    op.create_table(
        "resource_version",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=50), nullable=False),
        sa.Column("mimetype", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=36), nullable=True),
        sa.Column("uploaded", sa.DateTime(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("ingest_status", sa.String(length=20), nullable=False),
        sa.Column("ingest_error", sa.Text(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=True),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_resource_version_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_version")),
        sa.UniqueConstraint("resource_id", "number", name=op.f("uq_resource_version_resource_id")),
    )
    connection = op.get_bind()
    resource = sa.table(
        "resource",
        *(sa.column(name) for name in ("id", "dataset_id", "url", "url_type", "storage_key")),
        *(sa.column(name) for name in ("format", "mimetype", "size", "hash", "state")),
        sa.column("last_modified", sa.DateTime),
        sa.column("created", sa.DateTime),
    )
    dataset = sa.table(
        "dataset", sa.column("id"), sa.column("state"), sa.column("private", sa.Boolean)
    )
    datastore = sa.table("datastore_table", sa.column("resource_id"))
    uploads = connection.execute(
        sa.select(resource, dataset.c.state.label("dataset_state"), dataset.c.private)
        .join(dataset, dataset.c.id == resource.c.dataset_id)
        .where(resource.c.url_type == "upload", resource.c.storage_key != "")
    ).all()
    tables = set(connection.execute(sa.select(datastore.c.resource_id)).scalars())
    rows = [
        {
            "id": str(uuid.uuid4()),
            "resource_id": r.id,
            "number": 1,
            "storage_key": r.storage_key,
            "filename": (r.url or "").rsplit("/", 1)[-1],
            "format": r.format or "",
            "mimetype": r.mimetype or "",
            "size": r.size,
            "hash": r.hash or "",
            "uploaded_by": None,
            "uploaded": r.last_modified or r.created,
            "public": r.dataset_state == "active" and not r.private,
            "live": r.id in tables,
            "ingest_status": "complete" if r.id in tables else "",
            "ingest_error": "",
            "rows": None,
            "columns": [],
            "changes": {},
        }
        for r in uploads
    ]
    if rows:
        op.bulk_insert(_resource_version_table(), rows)


def _resource_version_table() -> sa.Table:
    return sa.table(
        "resource_version",
        *(
            sa.column(name)
            for name in (
                "id",
                "resource_id",
                "number",
                "storage_key",
                "filename",
                "format",
                "mimetype",
                "size",
                "hash",
                "uploaded_by",
                "ingest_status",
                "ingest_error",
                "rows",
            )
        ),
        sa.column("uploaded", sa.DateTime),
        sa.column("public", sa.Boolean),
        sa.column("live", sa.Boolean),
        sa.column("columns", sa.JSON),
        sa.column("changes", sa.JSON),
    )


def _create_upload_batch() -> None:
    """Batches of files and metadata sheets becoming draft datasets (workspace/batch)."""
    op.create_table(
        "upload_batch",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_org", sa.String(length=36), nullable=False),
        sa.Column("creator_user_id", sa.String(length=36), nullable=True),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("applied_by", sa.String(length=36), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("modified", sa.DateTime(), nullable=False),
        sa.Column("applied", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_org"],
            ["organization.id"],
            name=op.f("fk_upload_batch_owner_org_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_batch")),
    )
    with op.batch_alter_table("upload_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_upload_batch_owner_org"), ["owner_org"])
        batch_op.create_index(batch_op.f("ix_upload_batch_state"), ["state"])
        batch_op.create_index(batch_op.f("ix_upload_batch_created"), ["created"])


def _create_attention_setting() -> None:
    """Each organisation's minimum ★ and score for the 要対応 home (workspace/attention)."""
    op.create_table(
        "attention_setting",
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("min_stars", sa.Integer(), nullable=False),
        sa.Column("min_score", sa.Integer(), nullable=False),
        sa.Column("modified", sa.DateTime(), nullable=False),
        sa.Column("modified_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_attention_setting_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_attention_setting")),
    )


def downgrade() -> None:
    # Codes go back to their Japanese label and flagged text to the frequency it came from, so
    # a downgraded catalog still says what it said.
    connection = op.get_bind()
    for item in frequency.FREQUENCIES:
        connection.execute(
            sa.update(_dataset)
            .where(_dataset.c.frequency == item.code)
            .values(frequency=item.label)
        )
    connection.execute(
        sa.update(_dataset)
        .where(_dataset.c.frequency_unmapped != "")
        .values(frequency=_dataset.c.frequency_unmapped)
    )
    with op.batch_alter_table("resource_quality", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_quality_pii_blocked"))
    op.drop_table("attention_setting")
    op.drop_table("upload_batch")
    op.drop_table("resource_version")
    with op.batch_alter_table("dataset", schema=None) as batch_op:
        batch_op.drop_column("standard_id")
        batch_op.drop_column("contact_phone")
        batch_op.drop_column("contact_email")
        batch_op.drop_column("contact_name")
        batch_op.drop_column("spatial_codes")
        batch_op.drop_column("frequency_unmapped")
