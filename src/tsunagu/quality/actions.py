"""Quality actions: standard schemas, validation reports, auto-fix, PII override, org summary."""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select

from tsunagu.catalog import authz, validation
from tsunagu.catalog.access import editable_dataset, readable_dataset
from tsunagu.catalog.dictize import package_dicts
from tsunagu.catalog.lookup import by_id_or_name, require_id, resource_by_id
from tsunagu.catalog.models import Dataset, Organization, Resource
from tsunagu.context import Context
from tsunagu.datastore.ingest.model import IngestError
from tsunagu.errors import NotAuthorized, NotFound, ValidationError, require
from tsunagu.quality.autofix import autofix_file

# Importing the gate registers the personal-data guard and the after-ingest checks.
from tsunagu.quality.gate import override, require_override_rights, scanned
from tsunagu.quality.models import ResourceQuality
from tsunagu.quality.progress import has_current_result, waiting_state
from tsunagu.quality.rating import STAR_LABELS
from tsunagu.quality.service import (
    check_resource,
    declared_standard,
    is_checkable,
    is_table_file,
    local_copy,
    signature,
    validation_dict,
)
from tsunagu.quality.standards import Standard, UnknownStandard, get_standard, list_standards
from tsunagu.registry import action, get_action


def _standard_summary(standard: Standard) -> dict[str, Any]:
    return {
        "id": standard.id,
        "number": standard.number,
        "title": standard.title,
        "source": standard.source,
        "num_fields": len(standard.fields),
        "required_fields": [f.name for f in standard.fields if f.required],
    }


@action("quality_standard_list")
def quality_standard_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    return [_standard_summary(s) for s in list_standards()]


@action("quality_standard_show")
def quality_standard_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    try:
        standard = get_standard(require_id(data))
    except UnknownStandard as error:
        raise NotFound(str(error)) from None
    return {**_standard_summary(standard), "schema": standard.schema}


def _can_edit(context: Context, dataset: Dataset) -> bool:
    try:
        editable_dataset(context, dataset.id, lock=False)
    except (NotFound, NotAuthorized):
        return False
    return True


@action("resource_validation_show")
def resource_validation_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The latest report; the personal-data scan only for those who may edit the dataset."""
    resource = resource_by_id(context.session, require_id(data))
    dataset = readable_dataset(context, resource.dataset)
    waiting = waiting_state(context.session, resource)  # first: see waiting_state
    record = context.session.get(ResourceQuality, resource.id, populate_existing=True)
    can_edit = _can_edit(context, dataset)
    checkable = is_checkable(resource)
    if has_current_result(record, resource):
        result = validation_dict(record, with_pii=can_edit)
        return {"resource_id": resource.id, "checkable": checkable, **result}
    # No result for the current file (yet): never an empty report that reads "no findings".
    status, job_id = waiting or ("not_checked", None)
    shown: dict[str, Any] = {
        "resource_id": resource.id,
        "checkable": checkable,
        "status": status,
        "job_id": job_id,
        "checked": None,
        "report": None,
    }
    if can_edit and record is not None and record.pii_signature == signature(resource):
        shown["pii"] = validation_dict(record, with_pii=True)["pii"]  # the guard's scan
    return shown


@action("resource_validation_run", write=True)
def resource_validation_run(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Check the resource's file now (after changing its declared standard, for instance)."""
    resource = resource_by_id(context.session, require_id(data))
    editable_dataset(context, resource.dataset_id)
    if not is_checkable(resource):
        raise ValidationError(
            {
                "id": [
                    "表形式（CSV・Excel・JSON など）と RDF のリソースだけを検査できます "
                    "(Only tabular and RDF resources can be checked)"
                ]
            }
        )
    record = check_resource(context.services, context.session, resource)
    return {"resource_id": resource.id, "checkable": True, **validation_dict(record, with_pii=True)}


@action("resource_pii_override", write=True)
def resource_pii_override(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """An org admin's written decision to publish a file the personal-data check flagged."""
    errors: validation.Errors = {}
    reason = validation.as_text(data, "reason", errors, limit=2000)
    if not reason:
        validation.add(errors, "reason", "公開してよい理由を書いてください (Missing value)")
    require(errors)
    resource = resource_by_id(context.session, require_id(data))
    dataset = editable_dataset(context, resource.dataset_id)
    require_override_rights(context, dataset)  # before the scan: refusals stay cheap
    record = scanned(context.services, context.session, resource)
    if not record.pii_blocked:
        raise ValidationError(
            {"id": ["このファイルには個人情報の可能性がある指摘がありません (Nothing to override)"]}
        )
    override(context, dataset, resource, record, reason)
    return validation_dict(record, with_pii=True)


@dataclass
class _LocalUpload:
    """A file on disk in the shape resource_create accepts as an upload."""

    file: BinaryIO
    filename: str


@action("resource_autofix", write=True)
def resource_autofix(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Make a machine-readable copy of a table as a new resource beside the original."""
    resource = resource_by_id(context.session, require_id(data))
    dataset = editable_dataset(context, resource.dataset_id)
    if not is_table_file(resource):
        raise ValidationError(
            {"id": ["表形式のリソースだけを自動修正できます (Only tabular resources can be fixed)"]}
        )
    standard = declared_standard(resource)
    record = context.session.get(ResourceQuality, resource.id)
    if standard is None and record is not None and record.standard_id:
        try:
            standard = get_standard(record.standard_id)
        except UnknownStandard:
            standard = None
    stem = Path(resource.url or resource.name or "data").stem or "data"
    with tempfile.TemporaryDirectory(prefix="tsunagu-autofix-") as workdir:
        dest = Path(workdir) / f"{stem}.csv"
        try:
            with local_copy(context.services, resource) as source:
                result = autofix_file(source, resource.format, dest, standard=standard)
        except IngestError as error:
            raise ValidationError({"id": [f"ファイルを読めません: {error}"]}) from None
        with dest.open("rb") as stream:
            created = get_action("resource_create")(
                context,
                {
                    "package_id": dataset.id,
                    "name": f"{resource.name or stem}（機械判読用に修正）",
                    "description": _describe_fix(resource, result.to_dict()),
                    "format": "CSV",
                    "upload": _LocalUpload(stream, f"{stem}_fixed.csv"),
                    "derived_from": resource.id,
                    **({"standard": result.standard_id} if result.standard_id else {}),
                },
            )
    return {"resource": created, "autofix": result.to_dict()}


def _describe_fix(resource: Resource, fix: dict[str, Any]) -> str:
    lines = [f"「{resource.name or resource.id}」を機械判読しやすい形に自動修正したものです。"]
    for change in fix.get("changes") or []:
        lines.append(f"- {change.get('description')}（{change.get('count')} 件）")
    for note in fix.get("notes") or []:
        lines.append(f"- 元のファイルの注記: {note}")
    return "\n".join(lines)


@action("organization_quality_show")
def organization_quality_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Ratings and findings over an organisation's datasets the caller may see."""
    org = by_id_or_name(context.session, Organization, require_id(data), deleted=False)
    ids = [
        d.id
        for d in context.session.scalars(
            select(Dataset).where(Dataset.owner_org == org.id, Dataset.state != "deleted")
        )
        if authz.can_read_dataset(context, d.owner_org, d.private, d.state, d.creator_user_id, d.id)
    ]
    packages = package_dicts(context.session, ids, context.settings.site_url)
    stars: Counter[int] = Counter()
    standards: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    scores = []
    resources = checked = 0
    for package in packages.values():
        stars[int(package.get("quality_stars") or 0)] += 1
        scores.append(int(package.get("quality_score") or 0))
        for res in package.get("resources") or []:
            resources += 1
            quality = res.get("quality") or {}
            if quality.get("checked"):
                checked += 1
            if quality.get("standard"):
                standards[str(quality["standard"])] += 1
    resource_ids = [r["id"] for p in packages.values() for r in p.get("resources") or []]
    if resource_ids:
        for record in context.session.scalars(
            select(ResourceQuality).where(ResourceQuality.resource_id.in_(resource_ids))
        ):
            for rule, info in ((record.report or {}).get("rules") or {}).items():
                rules[rule] += int(info.get("count", 0))
    return {
        "organization": org.name,
        "num_datasets": len(packages),
        "num_resources": resources,
        "resources_checked": checked,
        "score_mean": round(sum(scores) / len(scores), 1) if scores else None,
        "stars": {str(n): stars.get(n, 0) for n in range(6)},
        "stars_labels": {str(n): label for n, label in STAR_LABELS.items()},
        "standards": dict(standards.most_common()),
        "findings_by_rule": dict(rules.most_common(20)),
    }
