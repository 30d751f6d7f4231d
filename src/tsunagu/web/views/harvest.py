"""Staff pages for harvest sources (/staff/harvest): the sources one may see, making and
changing one, "run now", each source's job history with its counts, and every error of a job.

Everything goes through the harvest actions, so the pages have the API's rights: members of an
organisation see its sources, its admins (and sysadmins) manage them.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tsunagu.catalog import authz
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, ValidationError
from tsunagu.harvest import schedule
from tsunagu.harvest.harvesters import available
from tsunagu.harvest.settings import SHARED_DEFAULTS
from tsunagu.harvest.sources import NO_RIGHTS, require_manager
from tsunagu.registry import call_action
from tsunagu.web.session import page_context
from tsunagu.web.templating import render
from tsunagu.web.views.staff import login_required, read_form

ERRORS_PER_PAGE = 200
STATUS_LABELS = {
    "pending": "実行待ち",
    "running": "実行中",
    "complete": "完了",
    "error": "失敗",
    "cancelled": "中止",
}
MODE_LABELS = {"full": "全件", "incremental": "差分"}
STAGE_LABELS = {"gather": "収集元", "import": "データセット", "withdraw": "取り下げ"}
LOCAL_FIELD_LABELS = {
    "notes": "説明",
    "tags": "タグ",
    "url": "ソースの URL",
    "maintainer": "メンテナー",
    "maintainer_email": "メンテナーのメールアドレス",
    "frequency": "更新頻度",
    "spatial_codes": "対象地域",
    "temporal_start": "対象期間（開始）",
    "temporal_end": "対象期間（終了）",
    "contact_name": "問い合わせ先（担当課）",
    "contact_email": "問い合わせ先のメールアドレス",
    "contact_phone": "問い合わせ先の電話番号",
    "standard_id": "準拠する標準データセット",
}
# Config keys with a field of their own on the form (the rest go in the JSON box).
_FORM_KEYS = (
    "withdraw_after_days",
    "local_fields",
    "organizations_filter_include",
    "tags_filter_include",
)


def labels() -> dict[str, Any]:
    return {
        "kinds": {kind: cls.label for kind, cls in sorted(available().items())},
        "frequencies": schedule.LABELS,
        "statuses": STATUS_LABELS,
        "modes": MODE_LABELS,
        "stages": STAGE_LABELS,
        "local_fields": LOCAL_FIELD_LABELS,
    }


def label_ids() -> set[str]:
    """What the pages translate of these labels (scripts/extract_messages.py reads them)."""
    return {label for mapping in labels().values() for label in mapping.values()}


def _managed_orgs(context: Context) -> list[dict[str, Any]]:
    if context.is_sysadmin:
        return list(call_action("organization_list", context, {"all_fields": True, "limit": 1000}))
    mine = call_action("organization_list_for_user", context, {})
    return [o for o in mine if o.get("capacity") == "admin"]


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.replace("、", ",").split(",") if w.strip()]


def _number(text: str) -> int | float | str:
    try:
        value = float(text)
    except ValueError:
        return text  # the action says what is wrong with it
    return int(value) if value.is_integer() else value


def _config(form: FormData, errors: dict[str, list[str]]) -> dict[str, Any]:
    raw = str(form.get("config_extra") or "").strip()
    config: dict[str, Any] = {}
    if raw:
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict):
            config = {k: v for k, v in parsed.items() if k not in _FORM_KEYS}
        else:
            errors["config_extra"] = [
                "JSON のオブジェクト（{ } で囲んだもの）で書いてください (Must be a JSON object)"
            ]
    days = str(form.get("withdraw_after_days") or "").strip()
    config["withdraw_after_days"] = (
        _number(days) if days else SHARED_DEFAULTS["withdraw_after_days"]
    )
    if fields := [str(f) for f in form.getlist("local_fields")]:
        config["local_fields"] = fields
    if orgs := _words(str(form.get("organizations") or "")):
        config["organizations_filter_include"] = orgs
    if tags := _words(str(form.get("tags") or "")):
        config["tags_filter_include"] = tags
    return config


def _input(form: FormData, errors: dict[str, list[str]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        key: str(form.get(key) or "").strip()
        for key in ("name", "title", "notes", "url", "source_type", "owner_org", "frequency")
    }
    data["config"] = _config(form, errors)
    data["active"] = form.get("active") == "on"
    if form.get("clear_api_key") == "on":
        data["api_key"] = ""
    elif key := str(form.get("api_key") or "").strip():
        data["api_key"] = key
    return data


def _values(source: dict[str, Any]) -> dict[str, Any]:
    """A source as the form shows it."""
    config = orjson.loads(source["config"]) if source.get("config") else {}
    extra = {k: v for k, v in config.items() if k not in _FORM_KEYS}
    return {
        **source,
        "withdraw_after_days": config.get(
            "withdraw_after_days", SHARED_DEFAULTS["withdraw_after_days"]
        ),
        "local_fields": config.get("local_fields", []),
        "organizations": "、".join(config.get("organizations_filter_include", [])),
        "tags": "、".join(config.get("tags_filter_include", [])),
        "config_extra": orjson.dumps(extra, option=orjson.OPT_INDENT_2).decode() if extra else "",
        "owner_org": (source.get("organization") or {}).get("name", source.get("owner_org")),
    }


def _form_values(form: FormData) -> dict[str, Any]:
    keys = ("name", "title", "notes", "url", "source_type", "owner_org", "frequency")
    values: dict[str, Any] = {k: str(form.get(k) or "") for k in keys}
    values.update(
        withdraw_after_days=str(form.get("withdraw_after_days") or ""),
        local_fields=[str(f) for f in form.getlist("local_fields")],
        organizations=str(form.get("organizations") or ""),
        tags=str(form.get("tags") or ""),
        config_extra=str(form.get("config_extra") or ""),
        active=form.get("active") == "on",
    )
    return values


def _field_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """The action's error keys (``config.page_size`` …) → the form's fields."""
    out: dict[str, list[str]] = {}
    fields = {
        "config.withdraw_after_days": "withdraw_after_days",
        "config.local_fields": "local_fields",
        "config.organizations_filter_include": "organizations",
        "config.tags_filter_include": "tags",
    }
    for key, messages in errors.items():
        field = fields.get(key, "config_extra" if key.startswith("config") else key)
        out.setdefault(field, []).extend(messages)
    return out


def sources_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        found = call_action("harvest_source_list", context, {"return_last_job_status": True})
        can_create = bool(_managed_orgs(context))
    return render(request, "staff/harvest.html", sources=found, can_create=can_create, **labels())


def _form_page(
    request: Request,
    context: Context,
    *,
    source: dict[str, Any] | None,
    values: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
) -> Response:
    return render(
        request,
        "staff/harvest_form.html",
        status_code=409 if errors else 200,
        source=source,
        values=values,
        errors=errors or {},
        orgs=_managed_orgs(context),
        **labels(),
    )


def new_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        if not _managed_orgs(context):
            raise NotAuthorized(NO_RIGHTS)
        defaults = {
            "source_type": "ckan",
            "frequency": "daily",
            "withdraw_after_days": SHARED_DEFAULTS["withdraw_after_days"],
            "local_fields": [],
            "active": True,
        }
        return _form_page(request, context, source=None, values=defaults)


async def create(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await read_form(request)

    def save() -> Response:
        errors: dict[str, list[str]] = {}
        data = _input(form, errors)
        with page_context(request) as context:
            try:
                if errors:
                    raise ValidationError(errors)
                made = call_action("harvest_source_create", context, data)
            except ValidationError as error:
                context.session.rollback()
                fields = _field_errors({**errors, **error.errors})
                return _form_page(
                    request, context, source=None, values=_form_values(form), errors=fields
                )
        return RedirectResponse(f"/staff/harvest/{made['name']}?saved=1", status_code=303)

    return await run_in_threadpool(save)


def source_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    name = request.path_params["name"]
    with page_context(request) as context:
        source = call_action("harvest_source_show", context, {"id": name})
        jobs = call_action("harvest_job_list", context, {"source_id": source["id"], "limit": 50})
        can_manage = authz.has_role(context, source["owner_org"], "admin")
    return render(
        request,
        "staff/harvest_source.html",
        source=source,
        values=_values(source),
        jobs=jobs,
        can_manage=can_manage,
        refused=request.query_params.get("refused"),
        **labels(),
    )


def edit_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    with page_context(request) as context:
        source = call_action("harvest_source_show", context, {"id": request.path_params["name"]})
        require_manager(context, source["owner_org"])
        return _form_page(request, context, source=source, values=_values(source))


async def update(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await read_form(request)
    name = request.path_params["name"]

    def save() -> Response:
        errors: dict[str, list[str]] = {}
        data = _input(form, errors)
        with page_context(request) as context:
            source = call_action("harvest_source_show", context, {"id": name})
            try:
                if errors:
                    raise ValidationError(errors)
                saved = call_action("harvest_source_update", context, {**data, "id": source["id"]})
            except ValidationError as error:
                context.session.rollback()
                fields = _field_errors({**errors, **error.errors})
                values = {**_form_values(form), "api_key": source["api_key"]}
                return _form_page(request, context, source=source, values=values, errors=fields)
        return RedirectResponse(f"/staff/harvest/{saved['name']}?saved=1", status_code=303)

    return await run_in_threadpool(save)


async def run_now(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    form = await read_form(request)
    name = request.path_params["name"]

    def save() -> str:
        with page_context(request) as context:
            try:
                call_action("harvest_run", context, {"id": name, "full": form.get("full") == "on"})
            except ValidationError:
                context.session.rollback()
                return "refused=1"
        return "queued=1"

    outcome = await run_in_threadpool(save)
    return RedirectResponse(f"/staff/harvest/{name}?{outcome}", status_code=303)


async def delete(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    await read_form(request)
    name = request.path_params["name"]

    def save() -> None:
        with page_context(request) as context:
            call_action("harvest_source_delete", context, {"id": name})

    await run_in_threadpool(save)
    return RedirectResponse("/staff/harvest?deleted=1", status_code=303)


def job_page(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    try:
        page = max(1, int(request.query_params.get("page") or 1))
    except ValueError:
        page = 1
    with page_context(request) as context:
        source = call_action("harvest_source_show", context, {"id": request.path_params["name"]})
        job = call_action(
            "harvest_job_show",
            context,
            {
                "id": request.path_params["job_id"],
                "errors_limit": ERRORS_PER_PAGE,
                "errors_offset": (page - 1) * ERRORS_PER_PAGE,
            },
        )
        can_manage = authz.has_role(context, source["owner_org"], "admin")
    if job["source_id"] != source["id"]:
        return render(request, "not_found.html", status_code=404)
    total = job["counts"]["errored"]
    pages = max(1, -(-total // ERRORS_PER_PAGE))
    return render(
        request,
        "staff/harvest_job.html",
        source=source,
        job=job,
        page=page,
        pages=pages,
        first_error=(page - 1) * ERRORS_PER_PAGE + 1,
        can_manage=can_manage,
        **labels(),
    )


async def abort(request: Request) -> Response:
    if (redirect := login_required(request)) is not None:
        return redirect
    await read_form(request)
    name, job_id = request.path_params["name"], request.path_params["job_id"]

    def save() -> None:
        with page_context(request) as context:
            try:
                call_action("harvest_job_abort", context, {"id": job_id})
            except ValidationError:
                context.session.rollback()  # it ended meanwhile

    await run_in_threadpool(save)
    return RedirectResponse(f"/staff/harvest/{name}/job/{job_id}", status_code=303)
