"""Datasets that put one item of each kind on the 要対応 (needs attention) home, made as the
system on a live server: a draft left for ten days, a file whose ingest fails, a file whose
check finds an error, a file the personal-data guard stops, a monthly dataset with no new data
for 400 days, and a PDF-only dataset (★1, below a minimum of ★3)."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from support.live_server import LiveServer
from support.uploads import Upload
from support.waiting import wait_until
from tsunagu.catalog.models import Dataset
from tsunagu.catalog.revision import bump_revision
from tsunagu.storage.types import utcnow

# Kinds in the order the home shows them.
KINDS = (
    "personal_data",
    "ingest_errors",
    "quality_errors",
    "stale_drafts",
    "overdue",
    "low_rating",
    "missing_standards",
)
PII_CSV = "氏名,携帯電話\n山田 太郎,090-1234-5678\n佐藤 花子,080-2345-6789\n".encode()
# Ingests (緯度 becomes a text column) but the check finds a malformed latitude: an error.
BAD_POINTS_CSV = "地点,緯度,経度\n市役所,33.9561,130.9411\n唐戸,北緯33度,130.9453\n".encode()
# A number column with a unit in row 1201: the ingest fails there.
BROKEN_CSV = "\n".join(
    ["番号,人数"] + [f"{i},{i * 2}" if i != 1200 else "1200,12人" for i in range(1, 1500)]
).encode()
CLEAN_CSV = "地区,人口\n中央,1200\n北,800\n".encode()
_serial = itertools.count(1)


@dataclass
class Made:
    names: dict[str, str]  # kind → the dataset made for it
    files: dict[str, str]  # kind → the file the item is about


def dataset(server: LiveServer, org: str, prefix: str, **fields: Any) -> str:
    name = f"{prefix}-{next(_serial)}"
    server.act(
        "package_create",
        {"name": name, "title": f"{prefix} のデータ", "owner_org": org, "license_id": "cc-by-4.0"}
        | fields,
    )
    return name


def upload(server: LiveServer, dataset_name: str, filename: str, content: bytes) -> str:
    resource = server.act(
        "resource_create",
        {
            "package_id": dataset_name,
            "name": filename,
            "upload": Upload(filename, io.BytesIO(content)),
        },
    )
    return str(resource["id"])


def ingested(server: LiveServer, resource_id: str) -> str:
    status = wait_until(
        lambda: server.act("datastore_ingest_status", {"resource_id": resource_id}),
        f"the ingest of {resource_id}",
        until=lambda s: s["status"] in ("complete", "error"),
    )
    return str(status["status"])


def checked(server: LiveServer, resource_id: str) -> dict[str, Any]:
    return dict(
        wait_until(
            lambda: server.act("resource_validation_show", {"id": resource_id}),
            f"the quality check of {resource_id}",
            until=lambda shown: shown.get("checked"),
        )
    )


def scanned(server: LiveServer, resource_id: str) -> dict[str, Any]:
    return dict(
        wait_until(
            lambda: server.act("resource_validation_show", {"id": resource_id}),
            f"the personal-data scan of {resource_id}",
            until=lambda shown: (shown.get("pii") or {}).get("report"),
        )
    )


def age(server: LiveServer, dataset_name: str, days: int) -> None:
    """Make a dataset look last changed ``days`` ago (and have the index see it)."""
    with server.services.sessions() as session:
        session.execute(
            update(Dataset)
            .where(Dataset.name == dataset_name)
            .values(
                metadata_modified=utcnow() - timedelta(days=days),
                revision=bump_revision(session),
            )
        )
        session.commit()


def make_items(server: LiveServer, org: str, prefix: str) -> Made:
    """One dataset per kind of item in ``org`` (missing standards come with any municipality)."""
    names: dict[str, str] = {}
    files: dict[str, str] = {}
    names["stale_drafts"] = dataset(server, org, f"{prefix}-draft", state="draft")
    age(server, names["stale_drafts"], 10)

    names["ingest_errors"] = dataset(server, org, f"{prefix}-ingest", private=True)
    files["ingest_errors"] = upload(server, names["ingest_errors"], "broken.csv", BROKEN_CSV)
    assert ingested(server, files["ingest_errors"]) == "error"

    names["quality_errors"] = dataset(server, org, f"{prefix}-quality")
    files["quality_errors"] = upload(server, names["quality_errors"], "points.csv", BAD_POINTS_CSV)
    assert ingested(server, files["quality_errors"]) == "complete"
    assert checked(server, files["quality_errors"])["report"]["summary"]["error"] > 0

    names["personal_data"] = dataset(server, org, f"{prefix}-pii", private=True)
    files["personal_data"] = upload(server, names["personal_data"], "meibo.csv", PII_CSV)
    ingested(server, files["personal_data"])
    assert scanned(server, files["personal_data"])["pii"]["blocked"] is True

    names["overdue"] = dataset(
        server,
        org,
        f"{prefix}-overdue",
        frequency="monthly",
        resources=[
            {
                "name": "2019年12月",
                "url": "https://example.jp/2019-12.pdf",
                "format": "PDF",
                "last_modified": (utcnow() - timedelta(days=400)).isoformat(),
            }
        ],
    )
    # ★1 (a PDF under an open licence): below a minimum of ★3.
    names["low_rating"] = dataset(
        server,
        org,
        f"{prefix}-rating",
        resources=[{"name": "報告書", "url": "https://example.jp/report.pdf", "format": "PDF"}],
    )
    return Made(names, files)
