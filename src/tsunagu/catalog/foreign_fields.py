"""Fields other CKAN sites send that Tsunagu has no column for: computed ones are dropped, the
rest are kept as extras.

A CKAN 2.9–2.11 site's package, organisation and group dicts (from ``ckanapi dump``, a harvest,
or a client that read one and writes it back) carry keys of three kinds:

* Tsunagu's own fields: checked and stored as usual;
* values CKAN computes from other data (``num_resources``, ``isopen``, ``license_title``,
  ``package_count`` …): dropped, Tsunagu computes its own;
* anything else — a ckanext-scheming field of a Japanese catalog (``publisher``,
  ``data_source``, ``update_frequency`` …), a field a newer CKAN added: kept as an extra under
  its own key, so nothing the old site held is lost and the 409 a stricter reading would give
  never stops a migration. Lists and objects are kept as JSON text.

docs/api.md ("Moving from CKAN") lists each decision.
"""

from __future__ import annotations

import json
from typing import Any

from tsunagu.catalog import validation
from tsunagu.catalog.local_codes import check_digit, is_valid_local_gov_code

MAX_KEY = 200  # dataset_extra.key

# Columns of Dataset that appear in package dicts as they are (catalog/dictize.py).
DATASET_COLUMNS = (
    "id",
    "name",
    "title",
    "notes",
    "type",
    "owner_org",
    "license_id",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "url",
    "version",
    "frequency",
    "spatial",
    "temporal_start",
    "temporal_end",
    "frequency_unmapped",
    "contact_name",
    "contact_email",
    "contact_phone",
    "standard_id",
    "private",
    "state",
    "creator_user_id",
)
# Every top-level key of Tsunagu's own package dict (catalog/dictize.py) and of package input
# (tag_string). tests/federation/test_ckanapi_migration.py checks package_show against it.
PACKAGE_KEYS = frozenset(DATASET_COLUMNS) | frozenset(
    {
        "frequency_label",
        "frequency_uri",
        "spatial_codes",
        "next_update_due",
        "license_title",
        "license_url",
        "isopen",
        "metadata_created",
        "metadata_modified",
        "organization",
        "tags",
        "tag_string",
        "groups",
        "extras",
        "resources",
        "num_tags",
        "num_resources",
        "quality_stars",
        "quality_score",
        "relationships_as_object",
        "relationships_as_subject",
    }
)
# Keys CKAN (or a common extension) computes or uses for bookkeeping: never stored.
# Relationships are dropped too: Tsunagu has no package relationships to hold them.
CKAN_COMPUTED_PACKAGE_KEYS = frozenset(
    {
        "revision_id",
        "revision_timestamp",
        "tracking_summary",
        "ratings_average",
        "ratings_count",
        "ckan_url",
        "display_name",
        "plugin_data",
        "save",
        "return_to",
        "pkg_name",
        "_ckan_phase",
        "include_plugin_data",
    }
)
# Keys of a CKAN resource dict that CKAN computes: not kept among the resource's extras.
CKAN_COMPUTED_RESOURCE_KEYS = frozenset(
    {
        "revision_id",
        "revision_timestamp",
        "tracking_summary",
        "ckan_url",
        "on_same_domain",
        "has_views",
        "datastore_contains_all_records_of_source_file",
    }
)
# Organisation and group dicts: Tsunagu's own keys, and what CKAN computes for them.
CONTAINER_KEYS = frozenset(
    {
        "id",
        "name",
        "title",
        "description",
        "image_url",
        "kind",
        "local_gov_code",
        "parent",
        "parent_pending",
        "contact_email",
        "contact_phone",
        "url",
        "latitude",
        "longitude",
        "users",
        "groups",
        "extras",
    }
)
CKAN_COMPUTED_CONTAINER_KEYS = frozenset(
    {
        "display_name",
        "image_display_url",
        "created",
        "is_organization",
        "approval_status",
        "state",
        "type",
        "num_followers",
        "package_count",
        "member_count",
        "packages",
        "tags",
        "capacity",
        "revision_id",
        "image_upload",
        "clear_upload",
        "include_datasets",
        "include_users",
        "include_extras",
    }
)
# Extras (or scheming fields) in which Japanese CKAN catalogs keep an organisation's
# 全国地方公共団体コード.
LOCAL_CODE_KEYS = (
    "local_gov_code",
    "lg_code",
    "local_government_code",
    "全国地方公共団体コード",
    "地方公共団体コード",
    "自治体コード",
    "団体コード",
)


def extra_value(value: Any) -> str:
    """How a value of any JSON type is kept as an extra (text)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _unknown(
    data: dict[str, Any], known: frozenset[str], computed: frozenset[str], errors: validation.Errors
) -> dict[str, str]:
    kept: dict[str, str] = {}
    for key, value in data.items():
        if key in known or key in computed or key.startswith("_") or value is None:
            continue
        if len(key) > MAX_KEY:
            validation.add(
                errors,
                "extras",
                f"項目名は {MAX_KEY} 文字以内にしてください (Extra keys must be at most "
                f"{MAX_KEY} characters)",
            )
            continue
        kept[key] = extra_value(value)
    return kept


def package_unknown_fields(data: dict[str, Any], errors: validation.Errors) -> dict[str, str]:
    """Top-level keys of a package dict that Tsunagu neither stores in a column nor computes."""
    return _unknown(data, PACKAGE_KEYS, CKAN_COMPUTED_PACKAGE_KEYS, errors)


def geojson_spatial(data: dict[str, Any]) -> str | None:
    """ckanext-spatial's ``spatial`` (a GeoJSON geometry, as text or an object), which is not
    Tsunagu's place label: returned as text to keep as the extra ``spatial``."""
    value = data.get("spatial")
    if isinstance(value, dict) and "type" in value:
        return extra_value(value)
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        if isinstance(parsed, dict) and "type" in parsed:
            return value
    return None


def container_extras(
    data: dict[str, Any], current: dict[str, str] | None, errors: validation.Errors
) -> dict[str, str]:
    """An organisation's or group's extras: its ``extras`` list (replacing the current ones when
    sent, as CKAN does) plus every top-level key Tsunagu does not know."""
    listed = validation.extras_list(data, errors)
    extras = dict(current or {}) if listed is None else listed
    extras.update(_unknown(data, CONTAINER_KEYS, CKAN_COMPUTED_CONTAINER_KEYS, errors))
    return extras


def local_code_from_extras(extras: dict[str, str]) -> str | None:
    """A valid 全国地方公共団体コード found among an organisation's extras (five digits get their
    check digit), else None."""
    for key in LOCAL_CODE_KEYS:
        raw = str(extras.get(key) or "").strip()
        raw = raw.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
        if len(raw) == 5 and raw.isdigit():
            raw += check_digit(raw)
        if is_valid_local_gov_code(raw):
            return raw
    return None


def extras_as_list(extras: dict[str, Any] | None) -> list[dict[str, str]]:
    """Extras as CKAN lists them: ``[{"key", "value"}]`` by key."""
    return [{"key": k, "value": extra_value(v)} for k, v in sorted((extras or {}).items())]
