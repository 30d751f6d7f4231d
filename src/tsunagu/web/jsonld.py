"""schema.org Dataset JSON-LD for a dataset page, so search engines understand the catalog."""

from __future__ import annotations

from typing import Any

from tsunagu.catalog.licenses import get_license
from tsunagu.catalog.metadata import spatial


def dataset_jsonld(package: dict[str, Any], site_url: str) -> dict[str, Any]:
    org = package.get("organization") or {}
    license = get_license(package.get("license_id") or "")
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": package.get("title") or package["name"],
        "description": package.get("notes") or package.get("title") or package["name"],
        "url": f"{site_url}/dataset/{package['name']}",
        "identifier": package["id"],
        "keywords": [t["name"] for t in package.get("tags") or []],
        "dateModified": package.get("metadata_modified"),
        "datePublished": package.get("metadata_created"),
        "inLanguage": "ja",
        "isAccessibleForFree": True,
        "distribution": [
            {
                "@type": "DataDownload",
                "name": r.get("name") or r["id"],
                "encodingFormat": r.get("format") or None,
                "contentUrl": r.get("url"),
            }
            for r in package.get("resources") or []
        ],
    }
    if org:
        data["creator"] = {
            "@type": "GovernmentOrganization",
            "name": org.get("title"),
            "url": f"{site_url}/organization/{org.get('name')}",
        }
        if contact := _contact_point(package):
            # schema.org puts the contact point on the organisation, not the dataset.
            data["creator"]["contactPoint"] = contact
    if license and license.url:
        data["license"] = license.url
    if coverage := _spatial_coverage(package):
        data["spatialCoverage"] = coverage
    start, end = package.get("temporal_start") or "", package.get("temporal_end") or ""
    if start or end:
        # ISO 8601 interval; ".." is an open end.
        data["temporalCoverage"] = f"{start or '..'}/{end or '..'}"
    return data


def _spatial_coverage(package: dict[str, Any]) -> Any:
    """One Place per 全国地方公共団体コード, identified by the code; the label alone when the
    dataset has no codes."""
    codes = package.get("spatial_codes") or []
    places = []
    for code in codes:
        found = spatial.place(str(code))
        places.append(
            {
                "@type": "Place",
                "name": found.label if found else str(code),
                "identifier": {
                    "@type": "PropertyValue",
                    "propertyID": "全国地方公共団体コード",
                    "value": str(code),
                },
            }
        )
    if places:
        return places[0] if len(places) == 1 else places
    if package.get("spatial"):
        return {"@type": "Place", "name": package["spatial"]}
    return None


def _contact_point(package: dict[str, Any]) -> dict[str, Any] | None:
    fields = {
        "name": package.get("contact_name"),
        "email": package.get("contact_email"),
        "telephone": package.get("contact_phone"),
    }
    present = {k: v for k, v in fields.items() if v}
    return {"@type": "ContactPoint", **present} if present else None
