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
from tsunagu.datastore.models import DatastoreTable, IngestJob
from tsunagu.quality.models import ResourceQuality
from tsunagu.storage.database import Base
from tsunagu.usage.models import DatasetUsage

__all__ = [
    "Activity",
    "ApiToken",
    "Base",
    "CatalogState",
    "Dataset",
    "DatasetExtra",
    "DatasetUsage",
    "DatastoreTable",
    "Group",
    "IngestJob",
    "Membership",
    "Organization",
    "Resource",
    "ResourceQuality",
    "Tag",
    "User",
]
