"""Making the drafts of a batch, all in the caller's one transaction.

Every dataset is created (or updated) through the same actions the API offers, as the user who
applied the batch, so the same rights and checks hold. If any row fails, the caller rolls the
whole transaction back: the datasets, their resources and their queued ingest jobs go with it,
and nothing of the batch stays behind. (Files already copied to their resource's folder are
left unreferenced and removed by ``tsunagu files gc``.)
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, BinaryIO

from tsunagu.catalog.access import editable_dataset
from tsunagu.catalog.dictize import package_dict
from tsunagu.context import Context
from tsunagu.errors import ActionError, ValidationError
from tsunagu.registry import call_action
from tsunagu.workspace.batch.plan import package_input, patch_input
from tsunagu.workspace.batch.staging import StagedFile, name_key


class BatchFailed(Exception):
    """A row could not be made; the message names the row."""


@dataclass(frozen=True)
class _StoredUpload:
    """A staged file handed to the resource actions as an upload."""

    filename: str
    file: BinaryIO


def _message(error: ActionError) -> str:
    if isinstance(error, ValidationError):
        return " ".join(m for ms in error.errors.values() for m in ms)
    return error.message


def apply_rows(context: Context, org_id: str, plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Make every row of the plan; BatchFailed names the first row that could not be made."""
    files = {name_key(f["name"]): StagedFile.from_dict(f) for f in plan["files"]}
    made = []
    for row in plan["rows"]:
        try:
            with ExitStack() as stack:
                uploads = {
                    f["name"]: _open(context, stack, files[name_key(f["name"])])
                    for f in row["files"]
                    if f["change"] != "unchanged"
                }
                if row["action"] == "create":
                    made.append(_create(context, org_id, row, uploads))
                else:
                    made.append(_update(context, row, uploads))
        except ActionError as error:
            raise BatchFailed(f"{row['label']}: {_message(error)}") from error
    return made


def _open(context: Context, stack: ExitStack, staged: StagedFile) -> _StoredUpload:
    stream = stack.enter_context(context.services.files.open(staged.key))
    return _StoredUpload(staged.name, stream)


def _file_resource(row: dict[str, Any], entry: dict[str, Any], upload: _StoredUpload) -> dict:
    resource: dict[str, Any] = {"name": entry["name"], "upload": upload}
    # Declared only when the file's own columns follow the dataset's standard, so the quality
    # check validates it against that standard from the start.
    if entry.get("standard_id") and entry["standard_id"] == row.get("standard_id"):
        resource["standard"] = entry["standard_id"]
    return resource


def _link_name(url: str) -> str:
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or url


def _outcome(row: dict[str, Any], package: dict[str, Any], outcome: str) -> dict[str, Any]:
    return {
        "row": row["row"],
        "label": row["label"],
        "outcome": outcome,
        "dataset_id": package["id"],
        "name": package["name"],
        "title": package["title"],
    }


def _create(
    context: Context, org_id: str, row: dict[str, Any], uploads: dict[str, _StoredUpload]
) -> dict[str, Any]:
    resources = [_file_resource(row, f, uploads[f["name"]]) for f in row["files"]]
    resources += [{"name": _link_name(url), "url": url} for url in row["urls"]]
    package = call_action(
        "package_create", context, {**package_input(row, org_id), "resources": resources}
    )
    return {
        **_outcome(row, package, "created"),
        "resources": [{"id": r["id"], "name": r["name"]} for r in package["resources"]],
    }


def _update(
    context: Context, row: dict[str, Any], uploads: dict[str, _StoredUpload]
) -> dict[str, Any]:
    dataset_id = row["dataset_id"]
    dataset = editable_dataset(context, dataset_id)  # locked for writing, rights checked
    current = package_dict(context.session, dataset, context.settings.site_url)
    patch = patch_input(row, row["explicit"], current)
    if patch:
        call_action("package_patch", context, {"id": dataset_id, **patch})
    touched = []
    for entry in row["files"]:
        if entry["change"] == "unchanged":
            touched.append({"id": entry["resource_id"], "name": entry["name"]})
            continue
        upload = uploads[entry["name"]]
        if entry["change"] == "replace":
            resource = call_action(
                "resource_patch", context, {"id": entry["resource_id"], "upload": upload}
            )
        else:
            resource = call_action(
                "resource_create",
                context,
                {"package_id": dataset_id, **_file_resource(row, entry, upload)},
            )
        touched.append({"id": resource["id"], "name": resource["name"]})
    linked = {r["url"] for r in current["resources"]}
    for url in row["urls"]:
        if url not in linked:
            resource = call_action(
                "resource_create",
                context,
                {"package_id": dataset_id, "name": _link_name(url), "url": url},
            )
            touched.append({"id": resource["id"], "name": resource["name"]})
    shown = {"id": dataset.id, "name": dataset.name, "title": dataset.title}
    return {**_outcome(row, shown, "updated"), "resources": touched}
