"""The staff dataset table (/staff/datasets) and its bulk actions.

The table is a GET form over package_search (workspace/table.py), so every view of it is a URL
staff can bookmark or send to a colleague, and it works without JavaScript. A bulk action is
three steps: the selection is posted to a confirmation page that lists what will change and what
will be skipped and why (bulk_update_preview), the confirmation posts the same selection again,
and the result page says what changed. The selection is judged again when it is applied, so a
right lost or a dataset changed in between is honoured.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from tsunagu.errors import SearchQueryError, ValidationError
from tsunagu.registry import call_action
from tsunagu.request_body import read_form as read_request_form
from tsunagu.web.quality import standard_titles
from tsunagu.web.security import check_csrf
from tsunagu.web.session import page_context
from tsunagu.web.templating import render
from tsunagu.web.views.staff import login_required
from tsunagu.workspace import bulk, choices, table
from tsunagu.workspace.bulk_operations import operation_for

# What the bulk form offers → (operation, the form field that carries its parameter, and the
# parameter's name in the action's data).
CHOICES: dict[str, tuple[str, str | None, str | None]] = {
    "public": ("public", None, None),
    "private": ("private", None, None),
    "delete": ("delete", None, None),
    "move": ("owner_org", "target_org", "owner_org"),
    "group_add": ("groups", "group", "add"),
    "group_remove": ("groups", "group", "remove"),
    "tag_add": ("tags", "tag", "add"),
    "tag_remove": ("tags", "tag", "remove"),
    "validation": ("validation", None, None),
}
# Fields of the bulk form besides the selection (which is at most one page of the table).
_MAX_FIELDS = max(table.PAGE_SIZES) + 20


def _back(value: str) -> str:
    """The table URL to return to: only /staff/datasets with a query (no open redirect)."""
    return value if value.startswith("?") or not value else ""


def _lookups(context: Any) -> dict[str, Any]:
    """Organisations and categories the forms offer, and their titles for the result lists."""
    orgs = choices.organisations(context)
    groups = choices.categories(context)
    return {
        "orgs": orgs,
        "targets": choices.move_targets(orgs),
        "groups": groups,
        "org_titles": {o.name: o.title for o in orgs},
        "group_titles": {g.name: g.title for g in groups},
    }


def datasets_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    query = table.parse(request.query_params)
    error = None
    with page_context(request) as context:
        try:
            data = table.search_data(query, table.staff_scope(context))
            result = call_action("package_search", context, data)
        except SearchQueryError as exc:
            error = exc.message
            result = {"count": 0, "results": [], "facets": {}}
        lookups = _lookups(context)
    count = int(result["count"])
    formats = sorted(result["facets"].get("res_format", {}))
    if query.res_format and query.res_format not in formats:
        formats.append(query.res_format)
    params = table.url_params(query)
    return render(
        request,
        "staff/datasets.html",
        query=query,
        rows=table.table_rows(result["results"]),
        count=count,
        pages=max(1, math.ceil(count / query.rows)),
        formats=formats,
        standards=standard_titles(),
        sorts=_sort_links(query),
        # The sort chosen from a column heading stays when the filters change.
        sort_fields={k: v for k, v in params.items() if k in ("sort", "dir")},
        page_url=lambda page: "?" + urlencode(table.url_params(query, page=page)),
        back="?" + urlencode(params) if params else "",
        error=error,
        star_choices=table.STAR_CHOICES,
        page_sizes=table.PAGE_SIZES,
        **lookups,
    )


def _sort_links(query: table.TableQuery) -> dict[str, dict[str, str]]:
    """Per sortable column: its link (the other direction when it is the current sort) and its
    aria-sort value."""
    links = {}
    for column in table.SORTS:
        if column == "relevance":
            continue
        current = query.sort == column
        if current:
            direction = "asc" if query.direction == "desc" else "desc"
        else:
            direction = table.default_direction(column)
        params = table.url_params(query, sort=column, direction=direction, page=1)
        links[column] = {
            "href": "?" + urlencode(params),
            "aria_sort": (
                ("ascending" if query.direction == "asc" else "descending") if current else ""
            ),
        }
    return links


async def _read(request: Request) -> FormData:
    form = await read_request_form(request, max_files=0, max_fields=_MAX_FIELDS)
    check_csrf(request, form)
    return form


def _request_of(form: FormData) -> tuple[str, str, dict[str, Any], list[str]]:
    """(choice, operation, the action's data, the selected dataset ids) from a bulk form."""
    choice = str(form.get("choice") or "")
    operation, field, key = CHOICES.get(choice, (choice, None, None))
    selected = [str(v) for v in form.getlist("dataset") if str(v).strip()]
    data: dict[str, Any] = {"datasets": selected}
    if field is not None and key is not None:
        data[key] = str(form.get(field) or "").strip()
    return choice, operation, data, selected


def _bulk_page(
    request: Request,
    template: str,
    form: FormData,
    run: bool,
) -> Response:
    choice, operation, data, selected = _request_of(form)
    back = _back(str(form.get("back") or ""))
    errors: dict[str, list[str]] = {}
    outcome = None
    with page_context(request) as context:
        lookups = _lookups(context)
        try:
            chosen = operation_for(context, operation, data)
            refs = bulk.selection(data)
            if run:
                outcome = bulk.run(context, chosen, refs).as_dict()
            else:
                outcome = bulk.preview(context, chosen, refs).as_dict()
        except ValidationError as error:
            context.session.rollback()
            errors = error.errors
    return render(
        request,
        template,
        status_code=409 if errors else 200,
        choice=choice,
        fields={k: v for k, v in data.items() if k != "datasets"},
        form_values={
            "target_org": str(form.get("target_org") or ""),
            "group": str(form.get("group") or ""),
            "tag": str(form.get("tag") or ""),
        },
        selected=selected,
        outcome=outcome,
        errors=errors,
        back=back,
        **lookups,
    )


async def bulk_confirm(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await _read(request)
    return await run_in_threadpool(_bulk_page, request, "staff/bulk_confirm.html", form, False)


async def bulk_apply(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await _read(request)
    return await run_in_threadpool(_bulk_page, request, "staff/bulk_result.html", form, True)
