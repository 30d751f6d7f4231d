"""The PostgreSQL search backend: ``search_document.title_only``, the title terms that are not in
the body (search/postgres/models.py), so that ranking a broad search no longer reads every
match's body terms out of line; and the document's terms and normalised text kept in the row.

Existing documents are rewritten here; on SQLite the table stays empty.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_TERMS = ARRAY(sa.Text(collation="C")).with_variant(sa.JSON(), "sqlite")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.add_column(
        "search_document",
        sa.Column(
            "title_only",
            _TERMS,
            nullable=False,
            server_default=sa.text("'{}'" if postgresql else "'[]'"),
        ),
    )
    if postgresql:
        _inline_search_columns()


def _inline_search_columns() -> None:
    """``title_only`` (a few entries) in the row, as the title terms are; and the terms of the
    whole document and its normalised text in the row too, compressed: an OR of words, ranking
    by a term some matches lack and phrase checks read them for every candidate, and each read
    out of line was a lookup in the TOAST table (at 100,000 datasets, most of such a search's
    time). lz4 where the server has it: it decompresses several times faster than pglz."""
    op.execute("ALTER TABLE search_document ALTER COLUMN title_only SET STORAGE MAIN")
    for column in ("all_terms", "text_all"):
        op.execute(f"ALTER TABLE search_document ALTER COLUMN {column} SET STORAGE MAIN")
        op.execute(
            "DO $$ BEGIN"
            f" ALTER TABLE search_document ALTER COLUMN {column} SET COMPRESSION lz4;"
            " EXCEPTION WHEN feature_not_supported THEN NULL; END $$"
        )
    # Every row rewritten once: its title_only computed, and the two columns given new values
    # (an unchanged value would keep its out-of-line pointer).
    op.execute(
        "UPDATE search_document SET title_only = ARRAY(SELECT t FROM unnest(title_terms)"
        " WITH ORDINALITY AS u(t, i) WHERE NOT t = ANY(body_terms) ORDER BY i),"
        " all_terms = all_terms || CAST('{}' AS text[]), text_all = text_all || ''"
    )


def downgrade() -> None:
    op.drop_column("search_document", "title_only")
