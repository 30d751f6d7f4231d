"""Every table, imported in one place so metadata is complete (for Alembic and create_all)."""

from tsunagu.accounts.models import ApiToken, User
from tsunagu.catalog.models import (
    Activity,
    CatalogState,
    Dataset,
    DatasetExtra,
    Group,
    Membership,
    Organization,
    Resource,
    Tag,
)
from tsunagu.storage.database import Base

__all__ = [
    "Activity",
    "ApiToken",
    "Base",
    "CatalogState",
    "Dataset",
    "DatasetExtra",
    "Group",
    "Membership",
    "Organization",
    "Resource",
    "Tag",
    "User",
]
