"""Pages for municipal staff: sign in, their organisations, guided publishing, members, tokens.

Every change goes through the same actions as the API (so the same rights and checks), and every
form carries a CSRF token.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from tsunagu.accounts.signin import sign_in
from tsunagu.catalog import authz
from tsunagu.catalog.access import editable_dataset
from tsunagu.catalog.actions.packages import package_show_dict
from tsunagu.catalog.licenses import LICENSES
from tsunagu.datastore.ingest.model import COLUMN_TYPES
from tsunagu.errors import ActionError, NotAuthorized, NotFound, ValidationError
from tsunagu.registry import call_action
from tsunagu.request_body import read_form as read_request_form
from tsunagu.web import dataset_form
from tsunagu.web.quality import standard_titles
from tsunagu.web.security import check_csrf
from tsunagu.web.session import (
    begin_session,
    finish_session,
    has_session,
    page_context,
    require_sign_in,
    services_of,
)
from tsunagu.web.templating import render

TYPE_LABELS = {
    "int": "整数",
    "numeric": "数値",
    "date": "日付",
    "timestamp": "日時",
    "time": "時刻",
    "bool": "真偽値",
    "text": "文字列",
}


def login_required(request: Request) -> Response | None:
    if not has_session(request):
        return RedirectResponse(f"/user/login?next={request.url.path}", status_code=303)
    require_sign_in(request)  # a session that has ended leads to the sign-in page too
    return None


async def read_form(request: Request) -> FormData:
    # A malformed or oversize body is an ActionError (400/413/415): the error page, not a 500.
    form = await read_request_form(request, max_files=1, max_fields=200)
    check_csrf(request, form)
    return form


# -- signing in -----------------------------------------------------------------------------


def login_page(request: Request) -> Response:
    with page_context(request):
        return render(
            request,
            "login.html",
            next=request.query_params.get("next", "/staff"),
            error=None,
            name="",
        )


async def login(request: Request) -> Response:
    form = await read_form(request)
    name = str(form.get("name") or "").strip()
    target = str(form.get("next") or "/staff")
    if not target.startswith("/") or target.startswith("//"):
        target = "/staff"  # only local redirects: no open redirect through the login form
    # The client address uvicorn resolved (X-Forwarded-For only from trusted proxies).
    address = request.client.host if request.client else "unknown"
    outcome = await run_in_threadpool(
        sign_in, services_of(request), name, str(form.get("password") or ""), address
    )
    if outcome.retry_after:
        with page_context(request):
            blocked = render(
                request,
                "login.html",
                status_code=429,
                next=target,
                name=name,
                error="ログインの失敗が続いたため、しばらくログインできません。"
                "時間をおいてからもう一度お試しください。",
            )
        blocked.headers["Retry-After"] = str(outcome.retry_after)
        return blocked
    if outcome.user_id is None:
        with page_context(request):
            return render(
                request,
                "login.html",
                status_code=400,
                next=target,
                name=name,
                error="ユーザー名またはパスワードが違います。",
            )
    # A new session on sign-in (against session fixation), stamped with the password's stamp.
    await run_in_threadpool(begin_session, request, outcome.user_id)
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    await read_form(request)
    await run_in_threadpool(finish_session, request)
    return RedirectResponse("/", status_code=303)


# -- datasets -------------------------------------------------------------------------------


PREFILLED = ("owner_org", "standard_id", "title")


def _editable_orgs(request: Request, context: Any) -> list[dict[str, Any]]:
    return call_action("organization_list_for_user", context, {"permission": "create_dataset"})


def new_dataset_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        orgs = _editable_orgs(request, context)
        groups = call_action("group_list", context, {"all_fields": True})
    # Links may fill some fields in (the 要対応 home's missing standard dataset: organisation,
    # standard and a title); the rest starts empty.
    values = {
        key: str(request.query_params[key])[:200]
        for key in PREFILLED
        if request.query_params.get(key)
    }
    return render(
        request,
        "staff/dataset_form.html",
        orgs=orgs,
        groups=groups,
        licenses=LICENSES,
        values=values,
        errors={},
        package=None,
        meta=dataset_form.form_meta(orgs, values),
    )


def _keeping_vocabulary_tags(data: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The form edits free tags only: the dataset's vocabulary tags (set through the API) stay."""
    kept = [
        {"name": t["name"], "vocabulary_id": t["vocabulary_id"]}
        for t in current["tags"]
        if t.get("vocabulary_id")
    ]
    if not kept:
        return data
    free = [{"name": n} for n in str(data.get("tag_string") or "").split(",") if n.strip()]
    return {**{k: v for k, v in data.items() if k != "tag_string"}, "tags": free + kept}


async def save_dataset(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await read_form(request)
    editing = request.path_params.get("name")
    data = dataset_form.package_data(form, editing=bool(editing))

    def save() -> Response:
        with page_context(request) as context:
            current: dict[str, Any] = {}
            try:
                if editing:
                    current = package_show_dict(context, {"id": editing})
                    result = call_action(
                        "package_patch",
                        context,
                        {
                            **_keeping_vocabulary_tags(dataset_form.action_input(data), current),
                            "id": current["id"],
                        },
                    )
                else:
                    if not data["name"] and data["title"]:
                        # Without the form's script the name is left empty: take the suggestion.
                        data["name"] = call_action(
                            "package_name_suggest",
                            context,
                            {"title": data["title"], "owner_org": data["owner_org"]},
                        )["name"]
                    result = call_action(
                        "package_create",
                        context,
                        {**dataset_form.action_input(data), "state": "draft"},
                    )
            except ValidationError as error:
                context.session.rollback()
                orgs = _editable_orgs(request, context)
                values = {**data, "frequency_unmapped": current.get("frequency_unmapped", "")}
                return render(
                    request,
                    "staff/dataset_form.html",
                    status_code=400,
                    orgs=orgs,
                    groups=call_action("group_list", context, {"all_fields": True}),
                    licenses=LICENSES,
                    values=values,
                    errors=error.errors,
                    package={"name": editing, "id": current.get("id")} if editing else None,
                    meta=dataset_form.form_meta(orgs, values),
                )
        return RedirectResponse(f"/staff/dataset/{result['name']}", status_code=303)

    return await run_in_threadpool(save)


def manage_dataset(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        return manage_page(request, context, request.path_params["name"])


def manage_page(
    request: Request,
    context: Any,
    name: str,
    errors: dict[str, list[str]] | None = None,
    status_code: int = 200,
) -> Response:
    """The guided publishing page; `errors` (e.g. a refused publish) are shown at the top."""
    try:
        package = package_show_dict(context, {"id": name})
        editable_dataset(context, package["id"], lock=False)
    except (NotFound, NotAuthorized):
        return render(request, "not_found.html", status_code=404)
    statuses = {}
    reports = {}
    for resource in package["resources"]:
        try:
            statuses[resource["id"]] = call_action(
                "datastore_ingest_status", context, {"resource_id": resource["id"]}
            )
        except NotFound:
            statuses[resource["id"]] = None
        reports[resource["id"]] = call_action(
            "resource_validation_show", context, {"id": resource["id"]}
        )
    orgs = _editable_orgs(request, context)
    groups = call_action("group_list", context, {"all_fields": True})
    values = {
        **package,
        "tag_string": ",".join(t["name"] for t in package["tags"] if not t.get("vocabulary_id")),
        "groups": [{"name": g["name"]} for g in package["groups"]],
    }
    return render(
        request,
        "staff/dataset_manage.html",
        status_code=status_code,
        package=package,
        statuses=statuses,
        reports=reports,
        # Each file's versions, with what changed (web/views/versions.py replaces a file).
        versions={
            r["id"]: call_action("resource_version_list", context, {"id": r["id"]})
            for r in package["resources"]
        },
        standards=standard_titles(),
        is_admin=authz.has_role(context, package["owner_org"], "admin"),
        type_labels=TYPE_LABELS,
        column_types=COLUMN_TYPES,
        orgs=orgs,
        groups=groups,
        licenses=LICENSES,
        values=values,
        errors={},
        page_errors=errors or {},
        meta=dataset_form.form_meta(orgs, values),
    )


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def upload(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    try:
        form = await read_form(request)
    except NotAuthorized as error:
        return JSONResponse({"errors": {"csrf_token": [error.message]}}, status_code=403)
    except ActionError as error:  # too large, or not a readable form
        return JSONResponse({"errors": {"upload": [error.message]}}, status_code=error.status)
    name = request.path_params["name"]
    file = form.get("upload")

    def save() -> dict[str, Any]:
        with page_context(request) as context:
            package = package_show_dict(context, {"id": name})
            data: dict[str, Any] = {
                "package_id": package["id"],
                "name": str(form.get("resource_name") or "")
                or (file.filename if isinstance(file, UploadFile) else ""),
            }
            if isinstance(file, UploadFile) and file.filename:
                data["upload"] = file
            else:
                data["url"] = str(form.get("url") or "")
            return call_action("resource_create", context, data)

    try:
        resource = await run_in_threadpool(save)
    except ValidationError as error:
        if _wants_json(request):
            return JSONResponse({"errors": error.errors}, status_code=400)
        return RedirectResponse(f"/staff/dataset/{name}?error=upload", status_code=303)
    # A new query string (not just a fragment) so the browser really loads the page again.
    target = f"/staff/dataset/{name}?uploaded={resource['id']}#resource-{resource['id']}"
    if _wants_json(request):
        return JSONResponse({"redirect": target})
    return RedirectResponse(target, status_code=303)


async def set_types(request: Request) -> Response:
    """Staff correct the detected column types; the table is re-cast with them."""
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await read_form(request)
    resource_id = request.path_params["resource_id"]
    chosen = {
        key[len("type:") :]: str(value)
        for key, value in form.multi_items()
        if key.startswith("type:")
    }

    def save() -> None:
        with page_context(request) as context:
            current = call_action("datastore_info", context, {"id": resource_id})["fields"]
            # Only the columns staff changed become overrides; the rest stay inferred.
            changed = [
                {"id": f["id"], "info": {"type_override": chosen[f["id"]]}}
                for f in current
                if f["id"] in chosen and chosen[f["id"]] != f["type"]
            ]
            if changed:
                call_action(
                    "datastore_dictionary_update",
                    context,
                    {"resource_id": resource_id, "fields": changed},
                )

    await run_in_threadpool(save)
    return RedirectResponse(
        f"/staff/dataset/{request.path_params['name']}#resource-{resource_id}", status_code=303
    )


def _check_unscanned(context: Any, name: str) -> None:
    """The refused publish rolled its scans back with it: check the files the background check
    has not reached yet, so the page can show the findings and the admin's override form."""
    package = package_show_dict(context, {"id": name})
    for resource in package["resources"]:
        report = call_action("resource_validation_show", context, {"id": resource["id"]})
        if report["checkable"] and not (report.get("pii") or {}).get("report"):
            call_action("resource_validation_run", context, {"id": resource["id"]})
    context.session.commit()


async def publish(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    await read_form(request)
    name = request.path_params["name"]

    def save() -> Response:
        with page_context(request) as context:
            try:
                call_action("package_patch", context, {"id": name, "state": "active"})
            except ValidationError as error:  # e.g. the personal-data guard refused it
                context.session.rollback()
                if "pii" in error.errors:
                    _check_unscanned(context, name)
                return manage_page(request, context, name, error.errors, status_code=409)
        return RedirectResponse(f"/dataset/{name}", status_code=303)

    return await run_in_threadpool(save)
