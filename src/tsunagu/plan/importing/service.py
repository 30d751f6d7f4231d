"""A plan import's life: a table arrives (the preview: columns with suggested fields, every row
with what it will do and every problem), staff change the mapping and look again, then apply it
or throw it away. The uploaded file stays in file storage until then."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select

from tsunagu.catalog import validation
from tsunagu.catalog.resources import is_upload
from tsunagu.catalog.uploads import safe_filename
from tsunagu.context import Context
from tsunagu.errors import NotFound, ValidationError, require
from tsunagu.plan import access, fiscal, history
from tsunagu.plan.importing import apply as applying
from tsunagu.plan.importing import columns as cols
from tsunagu.plan.importing.drafts import Options
from tsunagu.plan.importing.reading import Table, read
from tsunagu.plan.importing.rows import read_rows
from tsunagu.plan.models import Plan, PlanImport
from tsunagu.storage.files import UploadTooLarge
from tsunagu.storage.types import new_id, utcnow

EXTENSIONS = ("csv", "tsv", "txt", "xlsx", "xlsm", "xls", "ods")
MAX_PROBLEMS_SHOWN = 2000
# A preview nobody applied or discarded gives its file up after this long.
PREVIEW_LIFETIME = dt.timedelta(hours=24)


def _folder(import_id: str) -> str:
    return f"plan-imports/{import_id}"


@contextmanager
def _local(context: Context, record: PlanImport) -> Iterator[Path]:
    files = context.services.files
    path = files.local_path(record.storage_key)
    if path is not None:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="tsunagu-plan-") as workdir:
        copy = Path(workdir) / (record.filename or "plan.csv")
        with files.open(record.storage_key) as stream, copy.open("wb") as out:
            while chunk := stream.read(1 << 20):
                out.write(chunk)
        yield copy


def find(context: Context, ref: str, *, lock: bool = False) -> tuple[PlanImport, Plan]:
    """The import and its plan; with ``lock``, the plan locked (see access.find_plan) and the
    import read again under the lock, so of two applies at once the second sees it applied."""
    record = context.session.get(PlanImport, ref)
    if record is None:
        raise NotFound("計画の取り込みが見つかりません (Plan import not found)")
    plan = access.find_plan(context, record.plan_id, lock=lock)
    access.require_manager(context, plan)
    if lock:
        context.session.refresh(record)
    return record, plan


def _store(context: Context, upload: Any, import_id: str) -> tuple[str, str]:
    name = safe_filename(getattr(upload, "filename", "") or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EXTENSIONS:
        raise ValidationError(
            {
                "upload": [
                    f"計画の表は CSV・Excel（.xlsx/.xls）・ODS で送ってください: {name} "
                    f"(Send the plan table as CSV, XLSX, XLS or ODS)"
                ]
            }
        )
    key = f"{_folder(import_id)}/{new_id()}.{extension}"
    try:
        context.services.files.store(key, upload.file, context.settings.max_upload_bytes)
    except UploadTooLarge as error:
        raise ValidationError(
            {"upload": [f"ファイルが大きすぎます（上限 {error.limit:,} バイト） (File too large)"]}
        ) from None
    return key, name


def discard_expired(context: Context) -> None:
    """Previews left for a day: their files go, and they say why."""
    stale = context.session.scalars(
        select(PlanImport)
        .where(PlanImport.state == "preview", PlanImport.modified < utcnow() - PREVIEW_LIFETIME)
        .limit(20)
    ).all()
    for record in stale:
        if record.storage_key:
            context.services.files.delete(record.storage_key)
        record.state = "discarded"
        record.result = {**(record.result or {}), "expired": True}


def _mapping(data: dict[str, Any], errors: validation.Errors) -> dict[str, str] | None:
    raw = data.get("mapping")
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError:
            validation.add(errors, "mapping", "JSON として読めません (Not valid JSON)")
            return None
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str | None) for k, v in raw.items()
    ):
        validation.add(
            errors,
            "mapping",
            "列名から項目への辞書で指定してください (Must map column names to fields)",
        )
        return None
    return {k: v or "" for k, v in raw.items()}


def _options(plan: Plan, record: PlanImport) -> Options:
    return Options(
        level_names=list(plan.level_names or []),
        period_start=plan.period_start,
        period_end=plan.period_end,
        continue_blank_years=bool((record.result or {}).get("continue_blank_years", True)),
    )


def _years(plan: Plan, table: Table) -> list[int]:
    found = set(fiscal.years(plan.period_start, plan.period_end))
    for column in table.columns:
        year = fiscal.fiscal_year_from_header(column)
        if year is not None:
            found.add(year[0])
    return sorted(found)


def judge(context: Context, plan: Plan, record: PlanImport, *, write: bool) -> dict[str, Any]:
    """Read the stored table with the record's mapping and say (or do) what it does."""
    with _local(context, record) as path:
        table = read(path, record.filename, record.sheet or None)
    levels = list(plan.level_names or [])
    suggested = cols.suggest(table.columns, levels)
    mapping = {c: record.mapping.get(c, suggested[c]) for c in table.columns}
    unknown = [f for f in mapping.values() if not cols.is_valid(f, levels)]
    if unknown:
        raise ValidationError(
            {"mapping": [f"この計画にない項目です: {'、'.join(unknown)} (Unknown fields)"]}
        )
    reading = read_rows(table, mapping, _options(plan, record))
    by_field: dict[str, str] = {}
    for column, fld in mapping.items():
        by_field.setdefault(fld, column)
    outcome = applying.apply(context, plan, reading, write=write, columns=by_field)
    problems = [p for row in reading.rows for p in row.problems] + outcome.problems
    problems.sort(key=lambda p: (p.line, p.severity != "error"))
    error_lines = {p.line for p in problems if p.severity == "error"}
    rows = []
    for row in reading.rows:
        action = outcome.actions.get(row.line, "")
        rows.append(
            {
                "line": row.line,
                "kind": row.kind,
                "number": row.number,
                "name": row.name,
                "indicator": row.indicator,
                "action": "" if row.line in error_lines else action,
                "error": row.line in error_lines,
                "problems": [p.as_dict() for p in row.problems],
            }
        )
    samples = {c: [cells[i] for _l, cells in table.rows[:3]] for i, c in enumerate(table.columns)}
    return {
        "sheet": table.sheet,
        "sheets": table.sheets,
        "header_line": table.header_line,
        "columns": [
            {
                "name": c,
                "field": mapping[c],
                "field_label": cols.label_of(mapping[c], levels),
                "suggested": suggested[c],
                "samples": samples[c],
            }
            for c in table.columns
        ],
        "choices": [
            {"field": ch.field, "label": ch.label}
            for ch in cols.choices(levels, _years(plan, table))
        ],
        "rows": rows,
        "problems": [p.as_dict() for p in problems[:MAX_PROBLEMS_SHOWN]],
        "counts": {
            "rows": len(reading.rows),
            "errors": len(error_lines),
            "notes": sum(p.severity == "note" for p in problems),
            **outcome.counts(),
        },
        "notes": table.notes,
        "warnings": table.warnings,
        "continue_blank_years": _options(plan, record).continue_blank_years,
    }


def import_dict(record: PlanImport, plan: Plan, judged: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": record.id,
        "plan_id": plan.id,
        "plan_name": plan.name,
        "filename": record.filename,
        "state": record.state,
        "mapping": dict(record.mapping or {}),
        "created": record.created.isoformat(),
        "modified": record.modified.isoformat(),
        **judged,
    }


def preview(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    errors: validation.Errors = {}
    mapping = _mapping(data, errors)
    sheet = validation.as_text(data, "sheet", errors, limit=200)
    blank_years = (
        validation.as_bool(data, "continue_blank_years", errors, default=True)
        if "continue_blank_years" in data
        else None
    )
    upload = data.get("upload")
    if upload not in (None, "") and not is_upload(upload):
        validation.add(
            errors,
            "upload",
            "計画の表はファイルとして送ってください (The table must be a file sent as "
            "multipart/form-data)",
        )
    require(errors)
    if data.get("id"):
        record, plan = find(context, str(data["id"]))
        if record.state != "preview":
            raise ValidationError(
                {"id": [f"この取り込みは既に {record.state} です (Import is no longer a preview)"]}
            )
    else:
        plan = access.find_plan(context, str(data.get("plan_id") or ""))
        access.require_manager(context, plan)
        if not is_upload(upload):
            raise ValidationError({"upload": ["必須項目です (Missing value)"]})
        discard_expired(context)
        record = PlanImport(
            id=new_id(),
            plan_id=plan.id,
            created_by=context.user.id if context.user else None,
        )
        context.session.add(record)
    if is_upload(upload):
        if record.storage_key:
            context.services.files.delete(record.storage_key)
        record.storage_key, record.filename = _store(context, upload, record.id)
        record.mapping = {}
        record.sheet = ""
    if sheet:
        record.sheet = sheet
    if mapping is not None:
        record.mapping = {**(record.mapping or {}), **mapping}
    if blank_years is not None:
        record.result = {**(record.result or {}), "continue_blank_years": blank_years}
    record.modified = utcnow()
    context.session.flush()
    judged = judge(context, plan, record, write=False)
    return import_dict(record, plan, judged)


def apply(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    record, plan = find(context, str(data.get("id") or ""), lock=True)
    if record.state != "preview":
        raise ValidationError(
            {"id": [f"この取り込みは既に {record.state} です (Import is no longer a preview)"]}
        )
    errors: validation.Errors = {}
    mapping = _mapping(data, errors)
    require(errors)
    if mapping is not None:
        record.mapping = {**(record.mapping or {}), **mapping}
    judged = judge(context, plan, record, write=True)
    record.state = "applied"
    record.modified = utcnow()
    counts = judged["counts"]
    record.result = {
        **(record.result or {}),
        "counts": counts,
        "problems": judged["problems"][:200],
    }
    history.changed(
        context,
        plan,
        "plan_import_apply",
        f"表「{record.filename}」を取り込み: 施策 {counts['measures_created']} 件追加・"
        f"{counts['measures_updated']} 件更新、指標 {counts['indicators_created']} 件追加・"
        f"{counts['indicators_updated']} 件更新、読めなかった行 {counts['errors']} 行",
        {"import_id": record.id, "filename": record.filename, "counts": counts},
    )
    context.services.files.delete(record.storage_key)
    context.session.flush()
    return import_dict(record, plan, judged)


def discard(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    record, plan = find(context, str(data.get("id") or ""), lock=True)
    if record.state != "preview":
        raise ValidationError(
            {"id": [f"この取り込みは既に {record.state} です (Import is no longer a preview)"]}
        )
    if record.storage_key:
        context.services.files.delete(record.storage_key)
    record.state = "discarded"
    record.modified = utcnow()
    context.session.flush()
    return import_dict(record, plan, {})


def recent(context: Context, plan: Plan, limit: int = 10) -> list[PlanImport]:
    return list(
        context.session.scalars(
            select(PlanImport)
            .where(PlanImport.plan_id == plan.id)
            .order_by(PlanImport.created.desc())
            .limit(limit)
        )
    )
