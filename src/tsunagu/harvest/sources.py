"""Harvest sources: checking what staff send, who may manage which, and the dicts shown back.

A source belongs to one organisation. Sysadmins manage every source; an organisation's admins
manage their own organisation's sources (and cannot create one in, or move one to, an
organisation they do not administer). Members and editors of the organisation may see its
sources and jobs; nobody else may.
"""

from __future__ import annotations

import socket
from typing import Any

import orjson
from sqlalchemy import func, select

from tsunagu.catalog import authz, validation
from tsunagu.catalog.lookup import by_id_or_name
from tsunagu.catalog.models import Organization
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, ValidationError, require
from tsunagu.harvest import schedule
from tsunagu.harvest.harvesters import harvester_for
from tsunagu.harvest.models import HarvestJob, HarvestSource
from tsunagu.harvest.settings import SHARED_DEFAULTS, check_shared
from tsunagu.net import fetch as net
from tsunagu.storage.types import utcnow

NAME_IN_USE = "この名前は既に使われています (That name is already in use)"
URL_IN_USE = (
    "この URL は既に収集元として登録されています (There already is a harvest source for this URL)"
)
NO_RIGHTS = (
    "この組織の収集元を管理する権限がありません "
    "(User not authorized to manage harvest sources of this organization)"
)


def find(context: Context, ref: str, *, deleted: bool = False) -> HarvestSource:
    source = context.session.scalar(
        select(HarvestSource).where((HarvestSource.id == ref) | (HarvestSource.name == ref))
    )
    if source is None or (source.state == "deleted" and not deleted):
        raise NotFound(f"収集元が見つかりません: {ref} (Harvest source not found)")
    return source


def require_manager(context: Context, organization_id: str) -> None:
    if not authz.has_role(context, organization_id, "admin"):
        raise NotAuthorized(NO_RIGHTS)


def require_reader(context: Context, source: HarvestSource) -> None:
    authz.require_login(context)
    if not authz.has_role(context, source.owner_org, "member"):
        raise NotAuthorized(
            "この収集元を見る権限がありません (User not authorized to see this harvest source)"
        )


def _config(raw: Any, errors: validation.Errors) -> dict[str, Any]:
    if raw in (None, ""):
        return {}
    if isinstance(raw, str):
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError:
            validation.add(errors, "config", "JSON として読めません (Config is not valid JSON)")
            return {}
    if not isinstance(raw, dict):
        validation.add(
            errors, "config", "JSON のオブジェクトで指定してください (Must be an object)"
        )
        return {}
    return raw


def _organization(context: Context, ref: Any, errors: validation.Errors) -> Organization | None:
    if not ref or not isinstance(ref, str):
        validation.add(
            errors, "owner_org", "組織を指定してください (An organization must be provided)"
        )
        return None
    try:
        return by_id_or_name(context.session, Organization, ref, deleted=False)
    except NotFound:
        validation.add(
            errors, "owner_org", f"組織が見つかりません: {ref} (Organization does not exist)"
        )
        return None


def _check_url(context: Context, url: str, errors: validation.Errors) -> str:
    url = url.strip()
    if not url:
        validation.add(errors, "url", "必須項目です (Missing value)")
        return url
    try:
        parsed = net.check_url(url)
    except net.FetchError:
        validation.add(
            errors,
            "url",
            "http:// か https:// で始まる URL を指定してください (Must be an http(s) URL)",
        )
        return url
    if url.rstrip("/").startswith(context.settings.site_url.rstrip("/")):
        validation.add(
            errors, "url", "このサイト自身は収集できません (Cannot harvest this site itself)"
        )
        return url
    # Refused now if it names an internal address, as every fetch will refuse it anyway; a name
    # that does not resolve yet is left to the first job, which says so.
    try:
        infos = socket.getaddrinfo(parsed.host, parsed.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return url
    allowed = net.networks(context.settings.harvest_private_networks)
    for info in infos:
        if not net.address_allowed(str(info[4][0]), False, allowed):
            validation.add(
                errors,
                "url",
                "内部ネットワークのアドレスは収集できません (Private and loopback addresses "
                "are refused)",
            )
            break
    return url


def clean(context: Context, data: dict[str, Any], current: HarvestSource | None) -> dict[str, Any]:
    """Checked values for a new source, or for changes to ``current`` (fields not sent stay)."""
    errors: validation.Errors = {}
    merged = dict(data)
    values: dict[str, Any] = {}
    if current is None or "name" in merged:
        values["name"] = validation.check_name(merged.get("name"), "name", errors)
    if current is None or "title" in merged:
        values["title"] = validation.as_text(merged, "title", errors, limit=500) or values.get(
            "name", current.name if current else ""
        )
    if "notes" in merged:
        values["notes"] = validation.as_text(merged, "notes", errors)
    kind = merged.get("source_type", merged.get("kind"))
    if current is None or kind is not None:
        kind = str(kind or "").strip()
        if not kind:
            validation.add(errors, "source_type", "必須項目です (Missing value)")
        else:
            try:
                harvester_for(kind)
                values["kind"] = kind
            except ValidationError as error:
                errors.update(error.errors)
    if current is None or "url" in merged:
        values["url"] = _check_url(
            context, validation.as_text(merged, "url", errors, limit=2000), errors
        )
    if current is None or "owner_org" in merged:
        org = _organization(context, merged.get("owner_org"), errors)
        if org is not None:
            values["owner_org"] = org.id
    if current is None or "frequency" in merged:
        frequency = schedule.normalise(str(merged.get("frequency") or "manual"))
        if frequency is None:
            validation.add(
                errors,
                "frequency",
                f"{'、'.join(schedule.FREQUENCIES)} のいずれかで指定してください (Unknown frequency)",
            )
        values["frequency"] = frequency or "manual"
    if current is None or "config" in merged:
        values["config"] = _config(merged.get("config"), errors)
    if "api_key" in merged:
        key = merged.get("api_key")
        values["api_key"] = (
            "" if key is None else validation.as_text(merged, "api_key", errors, limit=500)
        )
    if "active" in merged:
        values["active"] = validation.as_bool(merged, "active", errors, default=True)
    require(errors)
    kind = values.get("kind", current.kind if current else "")
    config = values.get("config", current.config if current else {})
    if "kind" in values or "config" in values:
        shared = {k: v for k, v in config.items() if k in SHARED_DEFAULTS}
        own = {k: v for k, v in config.items() if k not in SHARED_DEFAULTS}
        problems = {**check_shared(shared), **harvester_for(kind).check_config(own)}
        if problems:
            raise ValidationError(
                {f"config.{k}" if k != "config" else k: v for k, v in problems.items()}
            )
        _require_sysadmin_keys(context, kind, config, current)
    _unique(context, values, current)
    return values


def _require_sysadmin_keys(
    context: Context, kind: str, config: dict[str, Any], current: HarvestSource | None
) -> None:
    """Config keys that let a source write beyond its organisation (the harvester's
    ``sysadmin_config``) are set and changed by sysadmins only; others keep what is there."""
    if context.is_sysadmin or context.ignore_auth:
        return
    guarded = getattr(harvester_for(kind), "sysadmin_config", ())
    before = dict(current.config or {}) if current is not None else {}
    changed = [k for k in guarded if (config.get(k) or None) != (before.get(k) or None)]
    if changed:
        raise NotAuthorized(
            f"設定 {'、'.join(changed)} はシステム管理者だけが変更できます "
            "(Only sysadmins can change these config keys)"
        )


def _unique(context: Context, values: dict[str, Any], current: HarvestSource | None) -> None:
    own = current.id if current else ""
    if "name" in values:
        taken = context.session.scalar(
            select(HarvestSource.id).where(
                HarvestSource.name == values["name"], HarvestSource.id != own
            )
        )
        if taken:
            raise ValidationError({"name": [NAME_IN_USE]})
    url = values.get("url", current.url if current else "")
    kind = values.get("kind", current.kind if current else "")
    config = values.get("config", current.config if current else {})
    # As ckanext-harvest: one source per URL and config (the same site with other filters is
    # another source).
    same = context.session.scalars(
        select(HarvestSource.config).where(
            func.rtrim(HarvestSource.url, "/") == url.rstrip("/"),
            HarvestSource.kind == kind,
            HarvestSource.state == "active",
            HarvestSource.id != own,
        )
    )
    if any(dict(other or {}) == dict(config or {}) for other in same):
        raise ValidationError({"url": [URL_IN_USE]})


def masked(api_key: str) -> str:
    """Enough to recognise a key, never enough to use it."""
    if not api_key:
        return ""
    return "********" + (api_key[-4:] if len(api_key) >= 16 else "")


def source_dict(
    context: Context, source: HarvestSource, *, last_job: bool = True
) -> dict[str, Any]:
    org = context.session.get(Organization, source.owner_org)
    config = dict(source.config or {})
    data: dict[str, Any] = {
        "id": source.id,
        "name": source.name,
        "title": source.title,
        "notes": source.notes,
        "type": "harvest",
        "url": source.url,
        "source_type": source.kind,
        "frequency": source.frequency,
        # As ckanext-harvest shows it: the config as JSON text.
        "config": orjson.dumps(config).decode() if config else "",
        "api_key": masked(source.api_key),
        "owner_org": source.owner_org,
        "organization": {"id": org.id, "name": org.name, "title": org.title} if org else None,
        "active": source.active,
        "state": source.state,
        "creator_user_id": source.creator_user_id,
        "metadata_created": source.created.isoformat(),
        "metadata_modified": source.modified.isoformat(),
        "next_run": source.next_run.isoformat() if source.next_run else None,
        "last_listed": source.last_listed.isoformat() if source.last_listed else None,
    }
    if last_job:
        data["status"] = status(context, source)
    return data


def status(context: Context, source: HarvestSource) -> dict[str, Any]:
    from tsunagu.harvest.history import job_dict  # history imports this module

    count = context.session.scalar(
        select(func.count()).select_from(HarvestJob).where(HarvestJob.source_id == source.id)
    )
    last = context.session.scalar(
        select(HarvestJob)
        .where(HarvestJob.source_id == source.id)
        .order_by(HarvestJob.created.desc())
        .limit(1)
    )
    finished = context.session.scalar(
        select(HarvestJob.finished)
        .where(HarvestJob.source_id == source.id, HarvestJob.finished.is_not(None))
        .order_by(HarvestJob.finished.desc())
        .limit(1)
    )
    return {
        "job_count": int(count or 0),
        "last_job": job_dict(context, last) if last is not None else None,
        "last_harvest_request": finished.isoformat() if finished else "",
        "next_harvest": source.next_run.isoformat() if source.next_run else "",
    }


def touch_schedule(source: HarvestSource, frequency_changed: bool) -> None:
    if frequency_changed or (source.next_run is None and source.frequency != "manual"):
        source.next_run = schedule.first_run(source.frequency)
    source.modified = utcnow()
