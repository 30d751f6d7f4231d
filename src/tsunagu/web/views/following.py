"""Following from the portal: follow buttons on dataset and organisation pages, and the staff page
「フォロー中」 (what one follows, what changed, and the e-mail digest opt-in).

Every button is a POST form with a CSRF token and goes through the same actions as the API."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tsunagu.accounts.models import User
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, ValidationError
from tsunagu.registry import call_action
from tsunagu.web.session import has_session, page_context
from tsunagu.web.templating import render
from tsunagu.web.views.staff import login_required, read_form

# Page kind → (follow action, unfollow action, am_following action, follower count action)
_ACTIONS = {
    "dataset": (
        "follow_dataset",
        "unfollow_dataset",
        "am_following_dataset",
        "dataset_follower_count",
    ),
    "organization": (
        "follow_group",
        "unfollow_group",
        "am_following_group",
        "organization_follower_count",
    ),
}
# followee_list's types → the unfollow action
_UNFOLLOW = {
    "dataset": "unfollow_dataset",
    "group": "unfollow_group",
    "organization": "unfollow_group",
    "user": "unfollow_user",
}


def follow_state(context: Context, kind: str, object_id: str) -> dict[str, Any] | None:
    """For a page's follow button: whether the signed-in user follows it, and how many do."""
    if context.user is None:
        return None
    _, _, am_following, count = _ACTIONS[kind]
    return {
        "following": call_action(am_following, context, {"id": object_id}),
        "followers": call_action(count, context, {"id": object_id}),
    }


async def _toggle(request: Request, kind: str, follow: bool) -> Response:
    name = request.path_params["name"]
    page = f"/{kind}/{quote(name)}"
    if not has_session(request):
        return RedirectResponse(f"/user/login?next={page}", status_code=303)
    await read_form(request)
    action = _ACTIONS[kind][0 if follow else 1]

    def save() -> Response | None:
        with page_context(request) as context:
            try:
                call_action(action, context, {"id": name})
            except (ValidationError, NotFound):
                # Missing, or a dataset the user may not read: the same page as for a bad link.
                context.session.rollback()
                return render(request, "not_found.html", status_code=404)
        return None

    refused = await run_in_threadpool(save)
    return refused or RedirectResponse(page, status_code=303)


async def follow_dataset(request: Request) -> Response:
    return await _toggle(request, "dataset", True)


async def unfollow_dataset(request: Request) -> Response:
    return await _toggle(request, "dataset", False)


async def follow_organization(request: Request) -> Response:
    return await _toggle(request, "organization", True)


async def unfollow_organization(request: Request) -> Response:
    return await _toggle(request, "organization", False)


# -- the staff page -----------------------------------------------------------------------------


def _link(kind: str, obj: dict[str, Any]) -> str:
    name = quote(str(obj.get("name") or ""))
    if not name:
        return ""
    return {
        "dataset": f"/dataset/{name}",
        "package": f"/dataset/{name}",
        "organization": f"/organization/{name}",
        "group": f"/dataset?groups={name}",
    }.get(kind, "")


def _entry(activity: dict[str, Any], actors: dict[str, str]) -> dict[str, Any]:
    """An activity as the page shows it: who, what kind of change, and to what."""
    data = activity.get("data") or {}
    kind = activity["activity_type"].rpartition(" ")[2]
    obj = data.get("package") if isinstance(data.get("package"), dict) else data
    if kind not in ("package", "organization", "group") or not isinstance(obj, dict):
        obj = {}
    if activity["activity_type"] == "personal data override":
        obj, kind = {"title": data.get("resource_name") or ""}, "package"
    return {
        "timestamp": activity["timestamp"],
        "activity_type": activity["activity_type"],
        "is_new": activity.get("is_new", False),
        "actor": actors.get(activity.get("user_id") or "", ""),
        "title": obj.get("title") or obj.get("name") or "",
        "link": _link(kind, obj),
    }


def _actors(context: Context, activities: list[dict[str, Any]]) -> dict[str, str]:
    ids = {a["user_id"] for a in activities if a.get("user_id")}
    users = context.session.scalars(select(User).where(User.id.in_(ids)))
    return {u.id: u.fullname or u.name for u in users}


def following_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        if context.user is None:
            raise NotAuthorized()
        me = call_action("user_show", context, {"id": context.user.id})
        activities = call_action("dashboard_activity_list", context, {"limit": 50})
        new_count = call_action("dashboard_new_activities_count", context, {})
        followees = [
            {**f, "link": _link(f["type"], f["dict"])}
            for f in call_action("followee_list", context, {"id": context.user.id})
        ]
        actors = _actors(context, activities)
    return render(
        request,
        "staff/following.html",
        me=me,
        followees=followees,
        entries=[_entry(a, actors) for a in activities],
        new_count=new_count,
        saved=request.query_params.get("saved") == "1",
    )


async def set_notifications(request: Request) -> Response:
    """The digest opt-in, saved through user_patch (CKAN's activity_streams_email_notifications)."""
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await read_form(request)
    enabled = form.get("email_notifications") == "on"

    def save() -> None:
        with page_context(request) as context:
            if context.user is None:
                raise NotAuthorized()
            call_action(
                "user_patch",
                context,
                {"id": context.user.id, "activity_streams_email_notifications": enabled},
            )

    await run_in_threadpool(save)
    return RedirectResponse("/staff/following?saved=1", status_code=303)


async def mark_read(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    await read_form(request)

    def save() -> None:
        with page_context(request) as context:
            call_action("dashboard_mark_activities_old", context, {})

    await run_in_threadpool(save)
    return RedirectResponse("/staff/following", status_code=303)


async def unfollow(request: Request) -> Response:
    """Stop following one of the things listed on the staff page."""
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await read_form(request)
    action = _UNFOLLOW.get(str(form.get("type") or ""))
    object_id = str(form.get("id") or "")

    def save() -> None:
        with page_context(request) as context:
            call_action(action, context, {"id": object_id})

    if action is not None and object_id:
        await run_in_threadpool(save)
    return RedirectResponse("/staff/following", status_code=303)
