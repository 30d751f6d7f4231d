"""schema.org Dataset JSON-LD for a dataset page, so search engines understand the catalog."""

from __future__ import annotations

from typing import Any

from tsunagu.catalog.licenses import get_license


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
    if license and license.url:
        data["license"] = license.url
    if package.get("spatial"):
        data["spatialCoverage"] = {"@type": "Place", "name": package["spatial"]}
    if package.get("temporal_start"):
        data["temporalCoverage"] = (
            f"{package['temporal_start']}/{package.get('temporal_end') or '..'}"
        )
    return data
