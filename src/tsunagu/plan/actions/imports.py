"""plan_import_preview, plan_import_apply, plan_import_discard, plan_import_show: a plan's
measures and indicators from the Excel or CSV tables prefectures keep."""

from __future__ import annotations

from typing import Any

from tsunagu.catalog import authz
from tsunagu.catalog.lookup import require_id
from tsunagu.context import Context
from tsunagu.plan.importing import service
from tsunagu.registry import action


@action("plan_import_preview", write=True)
def plan_import_preview(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Upload a plan table and see what it would do to the plan (the plan's managers). Nothing
    in the plan changes: the answer lists every column with the field it is read as (suggested
    from its header), every row with what it will do (``create`` / ``update``) and every
    problem (``error``: that row or part is not imported, and why; ``note``: how a value was
    read). Send ``id`` with a new ``mapping`` (or a new file) to look again.

    :param plan_id: the plan (id or name); not with ``id``
    :param id: an import still in preview
    :param upload: the table (.csv, .xlsx, .xls, .ods; multipart/form-data)
    :param sheet: the sheet to read (default: the first with a table)
    :param mapping: column name → field (``number``, ``name``, ``departments``, ``summary``,
        ``indicator``, ``baseline``, ``baseline_period``, ``target``, ``target_period``,
        ``stage:2020``, ``actual:2020``, ``level:1`` …, "" to leave a column out), as an
        object or its JSON text; columns not named keep their suggestion
    :param continue_blank_years: a blank 工程表 year continues the year before (default true)
    :returns: the import with ``columns``, ``choices``, ``rows``, ``problems`` and ``counts``
    """
    authz.require_login(context)
    return service.preview(context, data)


@action("plan_import_apply", write=True)
def plan_import_apply(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Import the previewed table into the plan (the plan's managers). Rows in error are left
    out and listed; everything else is created or updated: the same table again updates the
    plan and never duplicates it, and an empty cell never erases what is stored.

    :param id: the import's id
    :param mapping: a last change to the mapping (optional)
    :returns: the import (``state`` ``applied``) with its counts and problems
    """
    authz.require_login(context)
    return service.apply(context, data)


@action("plan_import_discard", write=True)
def plan_import_discard(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Throw away an import still in preview, with its file.

    :param id: the import's id
    """
    authz.require_login(context)
    return service.discard(context, data)


@action("plan_import_show")
def plan_import_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """An import: its state, and while in preview what it would do now.

    :param id: the import's id
    """
    authz.require_login(context)
    record, plan = service.find(context, require_id(data))
    if record.state != "preview":
        return service.import_dict(record, plan, dict(record.result or {}))
    return service.import_dict(record, plan, service.judge(context, plan, record, write=False))
