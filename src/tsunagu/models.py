"""Every table, imported in one place so metadata is complete (for Alembic and create_all)."""

from tsunagu.accounts.models import AccountToken, ApiToken, LoginThrottle, User, UserSession
from tsunagu.catalog.models import (
    Activity,
    CatalogState,
    Dataset,
    DatasetExtra,
    Group,
    GroupMembership,
    Membership,
    Organization,
    PackageCollaborator,
    Resource,
    ResourceView,
    SystemInfo,
    Tag,
    Vocabulary,
)
from tsunagu.community.models import DataRequest, DataRequestSupport, Showcase, ShowcasePackage
from tsunagu.datastore.models import DatastoreTable, IngestJob
from tsunagu.follows.models import Follow
from tsunagu.harvest.models import HarvestError, HarvestJob, HarvestObject, HarvestSource
from tsunagu.jobs.models import Job
from tsunagu.maps.models import MapLayer, MapLayerBuild
from tsunagu.metrics.models import MetricSnapshot
from tsunagu.plan.models import (
    Indicator,
    IndicatorValue,
    Measure,
    MeasureStage,
    Plan,
    PlanImport,
    PlanNode,
    PlanRevision,
)
from tsunagu.quality.models import ResourceQuality
from tsunagu.search.postgres.models import (
    SearchDocument,
    SearchFacetCount,
    SearchFacetTitle,
    SearchState,
    SearchTerm,
)
from tsunagu.storage.database import Base
from tsunagu.usage.models import DatasetUsage, UsageDaily
from tsunagu.workspace.attention.models import AttentionSetting
from tsunagu.workspace.batch.models import UploadBatch
from tsunagu.workspace.versions.models import ResourceVersion

__all__ = [
    "AccountToken",
    "Activity",
    "ApiToken",
    "AttentionSetting",
    "Base",
    "CatalogState",
    "DataRequest",
    "DataRequestSupport",
    "Dataset",
    "DatasetExtra",
    "DatasetUsage",
    "DatastoreTable",
    "Follow",
    "Group",
    "GroupMembership",
    "HarvestError",
    "HarvestJob",
    "HarvestObject",
    "HarvestSource",
    "Indicator",
    "IndicatorValue",
    "IngestJob",
    "Job",
    "LoginThrottle",
    "MapLayer",
    "MapLayerBuild",
    "Measure",
    "MeasureStage",
    "Membership",
    "MetricSnapshot",
    "Organization",
    "PackageCollaborator",
    "Plan",
    "PlanImport",
    "PlanNode",
    "PlanRevision",
    "Resource",
    "ResourceQuality",
    "ResourceVersion",
    "ResourceView",
    "SearchDocument",
    "SearchFacetCount",
    "SearchFacetTitle",
    "SearchState",
    "SearchTerm",
    "Showcase",
    "ShowcasePackage",
    "SystemInfo",
    "Tag",
    "UploadBatch",
    "UsageDaily",
    "User",
    "UserSession",
    "Vocabulary",
]
