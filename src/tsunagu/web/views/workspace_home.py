"""The staff home (/staff): what needs attention (要対応), per organisation or for the whole
prefecture for sysadmins, with each item linking to the page where it is fixed; the datasets
changed last; and an organisation admin's minimum ★ and score.

The lines come from ``staff_attention_list`` (workspace/attention), so the page shows whatever
lines the capabilities contribute, in their order, without knowing them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tsunagu.catalog import authz
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, ValidationError
from tsunagu.registry import call_action
from tsunagu.web.session import page_context
from tsunagu.web.templating import render
from tsunagu.web.views.staff import login_required, read_form
from tsunagu.workspace import table as staff_table
from tsunagu.workspace.attention.registry import sources

ITEMS_PER_LINE = 5
RECENT = 8
STAR_CHOICES = range(0, 6)


def attention_message_ids() -> set[str]:
    """What the page translates of the 要対応 lines: each source's label and item messages."""
    return {text for source in sources() for text in (source.label, *source.messages)}


def _recent(context: Context, current: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The datasets changed last (drafts and private ones included), for quick access: those of
    the organisation shown, else all the caller manages (the staff table's scope)."""
    scope = f'owner_org:"{current["id"]}"' if current else staff_table.staff_scope(context)
    found = call_action(
        "package_search",
        context,
        {
            "fq_list": [scope] if scope else [],
            "include_private": True,
            "include_drafts": True,
            "rows": RECENT,
            "sort": "metadata_modified desc",
            "fl": "name,title,state,private,metadata_modified,organization",
        },
    )
    return list(found["results"])


def _page(
    request: Request,
    context: Context,
    organization: str,
    *,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    orgs = call_action("organization_list_for_user", context, {"permission": "read"})
    if not organization and not context.is_sysadmin and len(orgs) == 1:
        # Staff of one organisation: its page, with its minimums, is the whole story.
        organization = str(orgs[0]["name"])
    try:
        attention = call_action(
            "staff_attention_list",
            context,
            {"organization": organization, "limit": ITEMS_PER_LINE},
        )
    except (NotFound, NotAuthorized):
        return render(request, "not_found.html", status_code=404)
    single = None if attention["everything"] or not organization else attention["organizations"][0]
    return render(
        request,
        "staff/home.html",
        status_code=status_code,
        attention=attention,
        org_titles={o["name"]: o["title"] for o in attention["organizations"]},
        orgs=orgs,
        current=single,
        chosen=organization,
        is_sysadmin=context.is_sysadmin,
        can_set_minimums=single is not None and authz.has_role(context, single["id"], "admin"),
        star_choices=STAR_CHOICES,
        recent=_recent(context, single),
        errors=errors or {},
        values=values or {},
        saved=request.query_params.get("saved") == "1",
    )


def home(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    organization = str(request.query_params.get("organization") or "").strip()[:100]
    with page_context(request) as context:
        return _page(request, context, organization)


async def set_minimums(request: Request) -> Response:
    """An organisation admin's minimum ★ and score, from the form on the home page."""
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await read_form(request)
    organization = str(form.get("organization") or "").strip()[:100]
    values = {key: str(form.get(key) or "").strip() for key in ("min_stars", "min_score")}

    def save() -> Response:
        with page_context(request) as context:
            try:
                call_action(
                    "organization_attention_update", context, {"id": organization, **values}
                )
            except ValidationError as error:
                context.session.rollback()
                return _page(
                    request,
                    context,
                    organization,
                    errors=error.errors,
                    values=values,
                    status_code=400,
                )
        query = urlencode({"organization": organization, "saved": "1"})
        return RedirectResponse(f"/staff?{query}#minimums-heading", status_code=303)

    return await run_in_threadpool(save)
