"""Tables of the PostgreSQL search backend (migrations 0010 and 0011).

One row per indexed dataset holds everything a query needs: the index terms as arrays (GIN
indexes answer "has every bigram of 避難所" as one index lookup), the exact-match values, the
normalised texts that confirm phrases, the sort keys (B-tree indexes) and the package as JSON.
Beside it: how many documents hold each term (for ranking), the revision the index has caught
up to, and the titles facets show for slugs.

On SQLite the tables exist (the migrations are the same on both databases) but stay empty: the
embedded engine is the only one there. Arrays are JSON on SQLite for that reason only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Index,
    Integer,
    LargeBinary,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tsunagu.storage.database import Base

# Terms and values compare by code point, as Python compares the embedded engine's strings:
# the "C" collation orders UTF-8 bytewise, which is code point order.
Terms = ARRAY(Text(collation="C")).with_variant(JSON(), "sqlite")
Ordered = Text().with_variant(Text(collation="C"), "postgresql")
Texts = JSON().with_variant(JSONB(), "postgresql")


class SearchDocument(Base):
    __tablename__ = "search_document"
    __table_args__ = (
        Index("ix_search_document_all_terms", "all_terms", postgresql_using="gin"),
        Index("ix_search_document_title_terms", "title_terms", postgresql_using="gin"),
        Index("ix_search_document_chars", "chars", postgresql_using="gin"),
        Index("ix_search_document_reading_terms", "reading_terms", postgresql_using="gin"),
        Index("ix_search_document_vals", "vals", postgresql_using="gin"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    # Order of indexing: the last tie-break, as the embedded engine's docid (an updated
    # dataset is indexed anew and goes last).
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(Ordered, index=True)
    owner_org: Mapped[str | None] = mapped_column(Text, nullable=True)
    private: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(Text)
    creator_user_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    title_sort: Mapped[str] = mapped_column(Ordered, index=True)
    metadata_modified: Mapped[str] = mapped_column(Ordered, index=True)
    metadata_created: Mapped[str] = mapped_column(Ordered, index=True)
    # "" when the dataset has no schedule; next_update_sort puts those last ("~").
    next_update_due: Mapped[str] = mapped_column(Ordered)
    next_update_sort: Mapped[str] = mapped_column(Ordered, index=True)
    num_resources: Mapped[int] = mapped_column(Integer)
    num_tags: Mapped[int] = mapped_column(Integer)
    quality_stars: Mapped[int] = mapped_column(Integer)
    quality_score: Mapped[int] = mapped_column(Integer)
    title_terms: Mapped[list[str]] = mapped_column(Terms)
    body_terms: Mapped[list[str]] = mapped_column(Terms)
    # Title and body terms together: a free-text word is one lookup in one GIN index. Kept in
    # the row, compressed (migration 0011), as is text_all: both are read for every candidate of
    # an OR of words or a phrase, and out of line each read was a TOAST lookup.
    all_terms: Mapped[list[str]] = mapped_column(Terms)
    # Title terms not in the body (migration 0011): a term of ``all_terms`` is in the body unless
    # it is here, so ranking reads this short array instead of ``body_terms``.
    title_only: Mapped[list[str]] = mapped_column(Terms, default=list)
    chars: Mapped[list[str]] = mapped_column(Terms)
    reading_terms: Mapped[list[str]] = mapped_column(Terms)
    reading: Mapped[str] = mapped_column(Text)
    # "field\x1fnormalised value" of every exact-match field, and beside each its display form.
    vals: Mapped[list[str]] = mapped_column(Terms)
    shown: Mapped[list[str]] = mapped_column(Terms)
    # The ``vals`` entries of the facets every portal search asks for (rows.FACET_COLUMNS).
    f_organization: Mapped[list[str]] = mapped_column(Terms)
    f_groups: Mapped[list[str]] = mapped_column(Terms)
    f_tags: Mapped[list[str]] = mapped_column(Terms)
    f_res_format: Mapped[list[str]] = mapped_column(Terms)
    f_license_id: Mapped[list[str]] = mapped_column(Terms)
    # Normalised text of the whole document (title and body), and of each free-text field.
    text_all: Mapped[str] = mapped_column(Text)
    texts: Mapped[dict[str, Any]] = mapped_column(Texts)


class SearchTerm(Base):
    """How many documents hold a term in their title and in their body (ranking's idf), and
    the term list a prefix (``spo*``) is expanded over."""

    __tablename__ = "search_term"

    term: Mapped[str] = mapped_column(Ordered, primary_key=True)
    title_df: Mapped[int] = mapped_column(Integer)
    body_df: Mapped[int] = mapped_column(Integer)


class SearchState(Base):
    """The one row saying how far the shared index has caught up."""

    __tablename__ = "search_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)
    documents: Mapped[int] = mapped_column(Integer)
    # The last seq given to a document.
    seq: Mapped[int] = mapped_column(BigInteger)


class SearchFacetCount(Base):
    """How many documents hold each exact value, per scope of visibility, kept exact on every
    change: the counts and facets of a search without q or fq (a portal's front page, the
    catalog's facets) are read here instead of counted over every row, and every value's
    display form is the one first indexed (as the embedded engine keeps it).

    Scopes: 0 public (active, not private), 1 every active dataset, 2 every indexed dataset.
    The key "" counts the documents themselves."""

    __tablename__ = "search_facet_count"

    scope: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(Ordered, primary_key=True)
    shown: Mapped[str] = mapped_column(Text)
    n: Mapped[int] = mapped_column(Integer)


class SearchFacetTitle(Base):
    """The human title of a slug facet value (organization name → 宇部市), latest indexed
    first, as the embedded engine keeps them."""

    __tablename__ = "search_facet_title"

    field: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[str] = mapped_column(Text, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
