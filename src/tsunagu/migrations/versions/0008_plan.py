"""Plans and KPIs (issue 12): plans, their 版, the hierarchy, measures with their 工程表,
indicators and their actual values, and plan table imports (plan/models.py)

Other issue-12 capabilities (metrics, community, usage) add their tables here too, each in a
function of its own called from upgrade() and undone in downgrade().

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_PLAN_TABLES = (
    "plan_import",
    "plan_indicator_value",
    "plan_indicator",
    "plan_measure_stage",
    "plan_measure",
    "plan_node",
    "plan_revision",
    "plan",
)


# community/models.py: data requests and 活用事例 (use cases)
_COMMUNITY_TABLES = ("data_request_support", "data_request", "showcase_package", "showcase")


def upgrade() -> None:
    _create_plan_tables()
    _create_community_tables()
    _create_metrics_tables()
    _create_usage_tables()


def downgrade() -> None:
    op.drop_table("usage_daily")
    op.drop_table("metric_snapshot")
    for table in _COMMUNITY_TABLES:
        op.drop_table(table)
    for table in _PLAN_TABLES:
        op.drop_table(table)


def _create_plan_tables() -> None:
    op.create_table(
        "plan",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_org", sa.String(length=36), nullable=False),
        sa.Column("period_start", sa.Integer(), nullable=True),
        sa.Column("period_end", sa.Integer(), nullable=True),
        sa.Column("level_names", sa.JSON(), nullable=False),
        sa.Column("evaluation", sa.Text(), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("creator_user_id", sa.String(length=36), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("modified", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_org"], ["organization.id"], name=op.f("fk_plan_owner_org_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
        sa.UniqueConstraint("name", name=op.f("uq_plan_name")),
    )
    op.create_index(op.f("ix_plan_owner_org"), "plan", ["owner_org"])
    op.create_table(
        "plan_import",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("storage_key", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("sheet", sa.Text(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("modified", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_import_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_import")),
    )
    op.create_index(op.f("ix_plan_import_plan_id"), "plan_import", ["plan_id"])
    op.create_table(
        "plan_node",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("key", sa.String(length=1000), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["plan_node.id"],
            name=op.f("fk_plan_node_parent_id_plan_node"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_node_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_node")),
        sa.UniqueConstraint("plan_id", "key", name="uq_plan_node_plan_key"),
    )
    op.create_index(op.f("ix_plan_node_parent_id"), "plan_node", ["parent_id"])
    op.create_index(op.f("ix_plan_node_plan_id"), "plan_node", ["plan_id"])
    op.create_table(
        "plan_revision",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("date_label", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_revision_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_revision")),
    )
    op.create_index(op.f("ix_plan_revision_plan_id"), "plan_revision", ["plan_id"])
    op.create_table(
        "plan_measure",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("node_id", sa.String(length=36), nullable=True),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("departments", sa.JSON(), nullable=False),
        sa.Column("organizations", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("modified", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["plan_node.id"],
            name=op.f("fk_plan_measure_node_id_plan_node"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_measure_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_measure")),
    )
    op.create_index(op.f("ix_plan_measure_node_id"), "plan_measure", ["node_id"])
    op.create_index(op.f("ix_plan_measure_plan_id"), "plan_measure", ["plan_id"])
    op.create_table(
        "plan_indicator",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("measure_id", sa.String(length=36), nullable=True),
        sa.Column("node_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=50), nullable=False),
        sa.Column("scope", sa.String(length=50), nullable=False),
        sa.Column("direction", sa.String(length=20), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("baseline_value", sa.Float(), nullable=True),
        sa.Column("baseline_qualifier", sa.String(length=20), nullable=False),
        sa.Column("baseline_text", sa.Text(), nullable=False),
        sa.Column("baseline_label", sa.String(length=100), nullable=False),
        sa.Column("baseline_fiscal_year", sa.Integer(), nullable=True),
        sa.Column("baseline_date", sa.Date(), nullable=True),
        sa.Column("target_value", sa.Float(), nullable=True),
        sa.Column("target_qualifier", sa.String(length=20), nullable=False),
        sa.Column("target_text", sa.Text(), nullable=False),
        sa.Column("target_label", sa.String(length=100), nullable=False),
        sa.Column("target_fiscal_year", sa.Integer(), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("metric_key", sa.String(length=100), nullable=False),
        sa.Column("metric_params", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("modified", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["plan_measure.id"],
            name=op.f("fk_plan_indicator_measure_id_plan_measure"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["plan_node.id"],
            name=op.f("fk_plan_indicator_node_id_plan_node"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plan.id"],
            name=op.f("fk_plan_indicator_plan_id_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_indicator")),
    )
    op.create_index(op.f("ix_plan_indicator_measure_id"), "plan_indicator", ["measure_id"])
    op.create_index(op.f("ix_plan_indicator_node_id"), "plan_indicator", ["node_id"])
    op.create_index(op.f("ix_plan_indicator_plan_id"), "plan_indicator", ["plan_id"])
    op.create_table(
        "plan_measure_stage",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("measure_id", sa.String(length=36), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["plan_measure.id"],
            name=op.f("fk_plan_measure_stage_measure_id_plan_measure"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_measure_stage")),
        sa.UniqueConstraint("measure_id", "fiscal_year", name="uq_plan_measure_stage_measure_year"),
    )
    op.create_index(op.f("ix_plan_measure_stage_measure_id"), "plan_measure_stage", ["measure_id"])
    op.create_table(
        "plan_indicator_value",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("indicator_id", sa.String(length=36), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("qualifier", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["plan_indicator.id"],
            name=op.f("fk_plan_indicator_value_indicator_id_plan_indicator"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_indicator_value")),
        sa.UniqueConstraint("indicator_id", "date", name="uq_plan_indicator_value_indicator_date"),
    )
    op.create_index(
        op.f("ix_plan_indicator_value_indicator_id"), "plan_indicator_value", ["indicator_id"]
    )


def _create_community_tables() -> None:
    op.create_table(
        "showcase",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("author_email", sa.String(length=254), nullable=False),
        sa.Column("image_url", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("review_note", sa.Text(), nullable=False),
        sa.Column("reviewed_by", sa.String(length=36), nullable=True),
        sa.Column("reviewed", sa.DateTime(), nullable=True),
        sa.Column("creator_user_id", sa.String(length=36), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("modified", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_showcase")),
        sa.UniqueConstraint("name", name=op.f("uq_showcase_name")),
    )
    op.create_index(op.f("ix_showcase_state"), "showcase", ["state"])
    op.create_table(
        "showcase_package",
        sa.Column("showcase_id", sa.String(length=36), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["dataset.id"],
            name=op.f("fk_showcase_package_dataset_id_dataset"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["showcase_id"],
            ["showcase.id"],
            name=op.f("fk_showcase_package_showcase_id_showcase"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("showcase_id", "dataset_id", name=op.f("pk_showcase_package")),
    )
    op.create_index(op.f("ix_showcase_package_dataset_id"), "showcase_package", ["dataset_id"])
    op.create_table(
        "data_request",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("creator_user_id", sa.String(length=36), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("modified", sa.DateTime(), nullable=False),
        sa.Column("answered", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["dataset.id"],
            name=op.f("fk_data_request_dataset_id_dataset"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_data_request_organization_id_organization"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_request")),
    )
    op.create_index(op.f("ix_data_request_created"), "data_request", ["created"])
    op.create_index(op.f("ix_data_request_dataset_id"), "data_request", ["dataset_id"])
    op.create_index("ix_data_request_org_status", "data_request", ["organization_id", "status"])
    op.create_index(op.f("ix_data_request_status"), "data_request", ["status"])
    op.create_table(
        "data_request_support",
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("supporter", sa.String(length=80), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["data_request.id"],
            name=op.f("fk_data_request_support_request_id_data_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "supporter", name=op.f("pk_data_request_support")),
    )


def _create_metrics_tables() -> None:
    # metrics/models.py: daily snapshots of metric series.
    op.create_table(
        "metric_snapshot",
        sa.Column("metric_key", sa.String(length=100), nullable=False),
        sa.Column("params", sa.String(length=500), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("recorded", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("metric_key", "params", "date", name=op.f("pk_metric_snapshot")),
    )
    op.create_index(op.f("ix_metric_snapshot_date"), "metric_snapshot", ["date"])


def _create_usage_tables() -> None:
    # usage/models.py: counts per day per dataset, resource, organisation and the site.
    op.create_table(
        "usage_daily",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("object_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("page_views", sa.BigInteger(), nullable=False),
        sa.Column("api_views", sa.BigInteger(), nullable=False),
        sa.Column("downloads", sa.BigInteger(), nullable=False),
        sa.Column("api_downloads", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "object_id", "day", name=op.f("pk_usage_daily")),
    )
    op.create_index("ix_usage_daily_kind_day", "usage_daily", ["kind", "day"])
