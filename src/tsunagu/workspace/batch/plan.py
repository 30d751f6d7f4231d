"""The preview: every row of a batch judged ok or in error before anything is made.

Each row becomes the package a draft would be created with (or the patch an existing dataset
would get) and is checked by the catalog's own input checks (catalog/datasets.clean_package),
so whatever the preview passes, creating it passes too. On top: names and titles used twice in
the batch, a file named by two rows, files the sheet names that were not sent, and names taken
by datasets of other organisations.

A row whose URL name is already one of the organisation's datasets updates that dataset: only
what the sheet wrote changes, and each file replaces the resource of the same file name (or is
added), so uploading the same sheet again never makes a second copy.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from tsunagu.catalog.datasets import NAME_IN_USE, clean_package
from tsunagu.catalog.dictize import package_dict
from tsunagu.catalog.metadata import frequency, spatial
from tsunagu.catalog.models import Dataset, Group, Organization
from tsunagu.context import Context
from tsunagu.errors import ValidationError
from tsunagu.quality.standards import UnknownStandard, get_standard
from tsunagu.workspace.batch import guess
from tsunagu.workspace.batch.columns import standards_of
from tsunagu.workspace.batch.rows import (
    PlanRow,
    first_parsed,
    from_files,
    from_sheet,
    guessed_standard,
    split_list,
)
from tsunagu.workspace.batch.sheet import COLUMNS, Sheet
from tsunagu.workspace.batch.staging import StagedFile, name_key

# The catalog's field names → the sheet field whose column the message should name.
_FIELD_OF = {
    "name": "name",
    "title": "title",
    "notes": "notes",
    "license_id": "license",
    "frequency": "frequency",
    "tags": "tags",
    "groups": "category",
    "standard_id": "standard",
    "spatial": "spatial",
    "spatial_codes": "spatial",
    "temporal_start": "temporal_start",
    "temporal_end": "temporal_end",
    "contact_name": "contact_name",
    "contact_email": "contact_email",
    "contact_phone": "contact_phone",
}
# Package fields a row may set, in the order the preview shows them.
PACKAGE_FIELDS = (
    "name",
    "title",
    "notes",
    "license_id",
    "frequency",
    "tags",
    "groups",
    "standard_id",
    "spatial_codes",
    "temporal_start",
    "temporal_end",
    "issued",
    "contact_name",
    "contact_email",
    "contact_phone",
)
_CODE_SEPARATORS = re.compile(r"[、,，;；/／\s]+")


class _Context:
    """What judging the rows of one batch looks up once."""

    def __init__(self, context: Context, org: Organization, sheet: Sheet | None) -> None:
        self.context = context
        self.org = org
        self.sheet = sheet
        self._license: str | None = None
        self._groups: list[Group] | None = None

    def column(self, fld: str) -> str:
        return self.sheet.column(fld) if self.sheet else COLUMNS[fld][0]

    @property
    def usual_license(self) -> str:
        if self._license is None:
            self._license = guess.usual_license(self.context.session, self.org.id)
        return self._license

    def group(self, text: str) -> str | None:
        if self._groups is None:
            self._groups = list(
                self.context.session.scalars(select(Group).where(Group.state == "active"))
            )
        wanted = name_key(text)
        for group in self._groups:
            if wanted in (name_key(group.name), name_key(group.title or "")):
                return group.name
        return None

    def group_names(self) -> str:
        self.group("")
        return "、".join(g.title or g.name for g in self._groups or []) or "（なし）"


def _resolve(ctx: _Context, row: PlanRow, mode: str) -> None:
    """Turn the sheet's text and the guesses into the package fields of the row."""
    written: dict[str, str] = row.values.pop("sheet", {})
    parsed = first_parsed(row)
    standard_id, how = guessed_standard(row)
    where = row.label

    if text := written.get("standard"):
        try:
            row.set("standard_id", get_standard(text).id, explicit=True)
        except UnknownStandard:
            row.set("standard_id", text, explicit=True)  # clean_package names the choices
    elif standard_id:
        row.set("standard_id", standard_id, explicit=False)
        if how == "columns":
            row.warn(
                f"{where}: 列の名前から標準データセット「{standard_id}」と推測しました "
                f"(Standard dataset {standard_id} guessed from the columns)"
            )
    standard = _standard(row.values.get("standard_id", ""))

    if text := written.get("title"):
        row.set("title", text, explicit=True)
    elif parsed is not None:
        row.set("title", guess.title_for(parsed, standard, ctx.org.title), explicit=False)
    else:
        row.error(
            f"{where}: タイトルかファイル名を入れてください (Row needs a title or a file name)"
        )
        row.values["title"] = ""

    if text := written.get("name"):
        row.set("name", text.strip().lower(), explicit=True)
    elif parsed is not None and not (mode == "single" and written.get("title")):
        row.set("name", guess.name_for_file(parsed, ctx.org.name), explicit=False)
    else:
        row.set("name", guess.name_for_title(row.values["title"], ctx.org.name), explicit=False)

    if text := written.get("notes"):
        row.set("notes", text, explicit=True)

    if text := written.get("license"):
        found = guess.license_from_text(text)
        if found is None:
            row.error(
                f"{where}「{ctx.column('license')}」: 「{text}」がどのライセンスかわかりません。"
                f"次のどれかを書いてください: {guess.license_choices()} (Unknown licence)"
            )
        row.set("license_id", found or text, explicit=True)
    else:
        row.set("license_id", ctx.usual_license, explicit=False)

    if text := written.get("frequency"):
        code = frequency.from_text(text)
        if code is None:
            row.error(
                f"{where}「{ctx.column('frequency')}」: 「{text}」は更新頻度の一覧にありません。"
                f"次から選んでください: {frequency.choices_text()} (Unknown frequency)"
            )
        row.set("frequency", code or text, explicit=True)

    if text := written.get("tags"):
        row.set("tags", split_list(text), explicit=True)

    if text := written.get("category"):
        names = []
        for part in split_list(text):
            found_group = ctx.group(part)
            if found_group is None:
                row.error(
                    f"{where}「{ctx.column('category')}」: カテゴリ「{part}」はありません。"
                    f"あるもの: {ctx.group_names()} (Unknown category)"
                )
            elif found_group not in names:
                names.append(found_group)
        row.set("groups", names, explicit=True)

    if text := written.get("spatial"):
        codes = []
        for part in (p for p in _CODE_SEPARATORS.split(text) if p):
            code = spatial.code_for_text(part)
            if code is None or spatial.check_code(code):
                row.error(
                    f"{where}「{ctx.column('spatial')}」: 「{part}」に当てはまる地域がありません。"
                    f"地名か 6 桁の全国地方公共団体コードで書いてください (Unknown place)"
                )
            elif code not in codes:
                codes.append(code)
        row.set("spatial_codes", codes, explicit=True)
    elif parsed is not None and parsed.place is not None:
        row.set("spatial_codes", [parsed.code], explicit=False)

    for fld in ("temporal_start", "temporal_end", "issued"):
        if text := written.get(fld):
            row.set(fld, text, explicit=True)
    for fld in ("contact_name", "contact_email", "contact_phone"):
        if text := written.get(fld):
            row.set(fld, text, explicit=True)


def _standard(value: str) -> Any:
    try:
        return get_standard(value) if value else None
    except UnknownStandard:
        return None


_LISTS = ("tags", "groups")


def package_input(values: dict[str, Any], org_id: str) -> dict[str, Any]:
    """What package_create is given for a new dataset of a row (files aside)."""
    data: dict[str, Any] = {
        "owner_org": org_id,
        "state": "draft",
        **{
            k: values[k]
            for k in PACKAGE_FIELDS
            if k in values and k not in _LISTS and k != "issued"
        },
    }
    if "tags" in values:
        data["tags"] = [{"name": t} for t in values["tags"]]
    if "groups" in values:
        data["groups"] = [{"name": g} for g in values["groups"]]
    if values.get("issued"):
        data["extras"] = [{"key": "issued", "value": values["issued"]}]
    return data


def patch_input(
    values: dict[str, Any], explicit: list[str], current: dict[str, Any]
) -> dict[str, Any]:
    """What package_patch is given for an existing dataset: only what the sheet wrote. Tags from
    vocabularies and extras other than 公開日 stay as they are."""
    data: dict[str, Any] = {
        k: values[k]
        for k in explicit
        if k in PACKAGE_FIELDS and k not in _LISTS and k not in ("name", "issued")
    }
    if "tags" in explicit:
        kept = [
            {"name": t["name"], "vocabulary_id": t["vocabulary_id"]}
            for t in current.get("tags", [])
            if t.get("vocabulary_id")
        ]
        data["tags"] = [{"name": t} for t in values["tags"]] + kept
    if "groups" in explicit:
        data["groups"] = [{"name": g} for g in values["groups"]]
    if "issued" in explicit:
        extras = [e for e in current.get("extras", []) if e["key"] != "issued"]
        data["extras"] = [*extras, {"key": "issued", "value": values["issued"]}]
    if current.get("state") == "deleted":
        data["state"] = "draft"  # a deleted dataset named again comes back, as a draft
    return data


def _validate(ctx: _Context, row: PlanRow, current: Dataset | None, *, taken: bool) -> None:
    """The catalog's own checks, on exactly what applying the row would send."""
    context = ctx.context
    if current is None:
        data = package_input(row.values, ctx.org.id)
    else:
        shown = package_dict(context.session, current, context.settings.site_url)
        patch = patch_input(row.values, row.explicit, shown)
        data = {**shown, **patch, "owner_org": current.owner_org, "id": current.id}
        data.pop("resources", None)
    try:
        clean_package(context, data, current)
    except ValidationError as error:
        for fld, messages in error.errors.items():
            column = ctx.column(_FIELD_OF[fld]) if fld in _FIELD_OF else fld
            for message in messages:
                if (fld == "name" and message == NAME_IN_USE and taken) or (
                    fld == "title" and not row.values.get("title")
                ):
                    continue  # said already, with what to do about it
                row.error(f"{row.label}「{column}」: {message}")


def _existing(context: Context, names: list[str]) -> dict[str, Dataset]:
    if not names:
        return {}
    found = context.session.scalars(select(Dataset).where(Dataset.name.in_(names)))
    return {d.name: d for d in found}


def _match(ctx: _Context, row: PlanRow, dataset: Dataset | None) -> dict[str, Any]:
    """Create or update, and for an update what changes and which files replace which."""
    name = row.values.get("name", "")
    if dataset is None:
        return {"action": "create"}
    if dataset.owner_org != ctx.org.id:
        row.error(
            f"{row.label}: URL名「{name}」は既にほかのデータセットで使われています。"
            f"「{ctx.column('name')}」の列で別の名前を指定してください "
            "(That URL is already in use.)"
        )
        return {"action": "create"}
    if dataset.state == "deleted":
        row.warn(
            f"{row.label}: 削除済みのデータセット「{name}」を下書きとして戻します "
            f"(The deleted dataset {name} comes back as a draft)"
        )
    elif dataset.state == "active" and not dataset.private:
        row.warn(
            f"{row.label}: 公開中のデータセット「{name}」を更新します。"
            f"新しいファイルと変更はすぐに公開されます (Updates the public dataset {name})"
        )
    return {"action": "update", "dataset_id": dataset.id, "dataset_state": dataset.state}


def _file_changes(row: PlanRow, dataset: Dataset | None) -> list[dict[str, Any]]:
    current = {}
    if dataset is not None:
        for resource in dataset.resources:
            if resource.state == "active":
                current.setdefault(name_key(resource.url.rsplit("/", 1)[-1]), resource)
    out = []
    for staged in row.files:
        if staged.read_error:
            row.warn(
                f"{row.label}: 「{staged.name}」を表として読めません（{staged.read_error}）。"
                "下書きは作りますが、データの取り込みはエラーになります "
                f"(File {staged.name} cannot be read as a table)"
            )
        resource = current.get(name_key(staged.name))
        if resource is None:
            change, resource_id = "add", None
        elif resource.hash == f"sha256:{staged.sha256}":
            change, resource_id = "unchanged", resource.id
        else:
            change, resource_id = "replace", resource.id
        out.append(
            {
                "name": staged.name,
                "size": staged.size,
                "format": staged.format,
                "standard_id": row.file_standards.get(staged.name, ""),
                "change": change,
                "resource_id": resource_id,
            }
        )
    kept = []
    for missing in row.missing:
        if name_key(missing) in current:
            kept.append(missing)
        else:
            row.error(
                f"{row.label}: ファイル「{missing}」がアップロードされていません。ファイルを追加するか、"
                f"シートの名前を直してください (File {missing} named by the sheet was not uploaded)"
            )
    row.values["kept_files"] = kept
    return out


def _changes(row: PlanRow, dataset: Dataset | None, shown: dict[str, Any]) -> list[dict[str, Any]]:
    if dataset is None:
        return []
    out = []
    for fld in row.explicit:
        if fld == "name":
            continue
        before: Any
        if fld == "tags":
            before = [t["name"] for t in shown.get("tags", []) if not t.get("vocabulary_id")]
        elif fld == "groups":
            before = [g["name"] for g in shown.get("groups", [])]
        elif fld == "issued":
            before = next((e["value"] for e in shown.get("extras", []) if e["key"] == fld), "")
        else:
            before = shown.get(fld, "")
        after = row.values.get(fld)
        if before != after:
            out.append({"field": fld, "before": before, "after": after})
    return out


def _duplicates(rows: list[PlanRow]) -> None:
    for fld, label, english in (("name", "URL名", "name"), ("title", "タイトル", "title")):
        seen: dict[str, list[PlanRow]] = defaultdict(list)
        for row in rows:
            value = row.values.get(fld, "")
            if value:
                seen[name_key(value)].append(row)
        for same in seen.values():
            if len(same) < 2:
                continue
            for row in same:
                others = "、".join(r.label for r in same if r is not row)
                row.error(
                    f"{row.label}: {label}「{row.values[fld]}」が {others} と同じです。"
                    f"1 つのデータセットにまとめるか、{label}を変えてください "
                    f"(Duplicate {english})"
                )
    users: dict[str, list[PlanRow]] = defaultdict(list)
    for row in rows:
        for staged in row.files:
            users[staged.key].append(row)
    for key, same in users.items():
        if len(same) > 1:
            name = next(f.name for f in same[0].files if f.key == key)
            labels = "、".join(r.label for r in same)
            for row in same:
                row.error(
                    f"{row.label}: ファイル「{name}」が {labels} で使われています "
                    f"(File {name} is named by more than one row)"
                )


def build(
    context: Context,
    org: Organization,
    *,
    mode: str,
    title: str,
    files: list[StagedFile],
    sheet: Sheet | None,
) -> dict[str, Any]:
    """The plan of a batch (see module docstring); JSON-ready."""
    ctx = _Context(context, org, sheet)
    by_key = {name_key(f.name): f for f in files}
    rows = from_sheet(sheet, by_key) if sheet else []
    used = {f.key for row in rows for f in row.files}
    extra = from_files(
        [f for f in files if f.key not in used], single=mode == "single", title=title
    )
    if sheet is not None:
        for row in extra:
            row.warn(
                f"{row.label}: シートにないファイルです。ファイル名と列から推測しました "
                "(Not in the sheet: guessed from its name and columns)"
            )
    rows += extra
    standards = standards_of(files)
    for row in rows:
        row.file_standards = {f.name: standards[f.key] for f in row.files if f.key in standards}
        _resolve(ctx, row, mode)
    existing = _existing(context, [r.values.get("name", "") for r in rows])
    out = []
    _duplicates(rows)
    for row in rows:
        dataset = existing.get(row.values.get("name", ""))
        match = _match(ctx, row, dataset)
        mine = dataset if match["action"] == "update" else None
        shown = package_dict(context.session, mine, context.settings.site_url) if mine else {}
        file_changes = _file_changes(row, mine)
        if not row.files and not row.urls and match["action"] == "create" and not row.missing:
            row.error(f"{row.label}: ファイル名か URL を入れてください (Row needs a file or a URL)")
        _validate(ctx, row, mine, taken=dataset is not None and mine is None)
        out.append(
            {
                "row": row.line,
                "label": row.label,
                "status": "error" if row.errors else "ok",
                **match,
                **{k: row.values[k] for k in PACKAGE_FIELDS if k in row.values},
                "explicit": row.explicit,
                "guessed": row.guessed,
                "files": file_changes,
                "urls": row.urls,
                "kept_files": row.values.get("kept_files", []),
                "changes": _changes(row, mine, shown),
                "errors": row.errors,
                "warnings": row.warnings,
            }
        )
    return {
        "rows": out,
        "counts": {
            "rows": len(out),
            "ok": sum(r["status"] == "ok" for r in out),
            "error": sum(r["status"] == "error" for r in out),
            "create": sum(r["action"] == "create" for r in out),
            "update": sum(r["action"] == "update" for r in out),
            "files": len(files),
        },
        "warnings": list(sheet.warnings) if sheet else [],
        "ready": bool(out) and all(r["status"] == "ok" for r in out),
    }
