"""Checking a dataset's controlled metadata on create and update (package_create/update/patch).

Field errors are collected like every other catalog check (catalog/validation.py), keyed by the
API field name so the form shows each next to its input.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagu.catalog import validation
from tsunagu.catalog.metadata import contact, frequency, spatial, temporal
from tsunagu.catalog.models import Dataset, Organization
from tsunagu.quality.standards import UnknownStandard, get_standard, list_standards

_CODE_LIST_SEPARATORS = re.compile(r"[\s,、]+")


def clean_metadata(
    session: Session,
    data: dict[str, Any],
    current: Dataset | None,
    owner_org: str | None,
    errors: validation.Errors,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    values.update(_frequency(data, current, errors))
    values.update(_spatial(session, data, current, owner_org, errors))
    values.update(_temporal(data, errors))
    values.update(_contact(data, errors))
    values["standard_id"] = _standard(data, errors)
    return values


def _frequency(
    data: dict[str, Any], current: Dataset | None, errors: validation.Errors
) -> dict[str, str]:
    text = validation.as_text(data, "frequency", errors, limit=200)
    code = frequency.from_text(text)
    if code is None:
        validation.add(
            errors,
            "frequency",
            f"「{text}」は更新頻度の一覧にありません。次から選んでください: "
            f"{frequency.choices_text()} (Unknown frequency)",
        )
        code = ""
    # Old text the migration could not map stays visible until a frequency is chosen.
    kept = current.frequency_unmapped if current is not None and not code else ""
    return {"frequency": code, "frequency_unmapped": kept or ""}


def _code_list(data: dict[str, Any], errors: validation.Errors) -> list[str] | None:
    raw = data.get("spatial_codes")
    if raw is None:
        return None
    if isinstance(raw, str):
        items: list[Any] = [c for c in _CODE_LIST_SEPARATORS.split(raw) if c]
    elif isinstance(raw, list):
        items = raw
    else:
        validation.add(
            errors,
            "spatial_codes",
            "全国地方公共団体コードのリストで指定してください (Must be a list of codes)",
        )
        return []
    codes: list[str] = []
    for item in items:
        code = str(item).strip() if isinstance(item, str | int) else ""
        if isinstance(item, int):
            code = code.zfill(6)
        problem = spatial.check_code(code)
        if problem:
            validation.add(errors, "spatial_codes", problem)
        elif code not in codes:
            codes.append(code)
    return codes


def _org_code(session: Session, owner_org: str | None) -> str | None:
    if not owner_org:
        return None
    return session.scalar(select(Organization.local_gov_code).where(Organization.id == owner_org))


def _spatial(
    session: Session,
    data: dict[str, Any],
    current: Dataset | None,
    owner_org: str | None,
    errors: validation.Errors,
) -> dict[str, Any]:
    label = validation.as_text(data, "spatial", errors, limit=500)
    codes = _code_list(data, errors)
    if codes is None:
        # Not sent (an older CKAN client): codes from the label when it names known places;
        # a new dataset with neither covers its organisation's own area.
        if label:
            codes = spatial.codes_for_label(label) or []
        elif current is None:
            codes = spatial.default_codes(_org_code(session, owner_org))
        else:
            codes = []
    previous = list(current.spatial_codes or []) if current is not None else []
    # No label, or one derived from the old codes: the label follows the codes.
    if not label or (
        current is not None and codes != previous and label == spatial.label_for(previous)
    ):
        label = spatial.label_for(codes)
    return {"spatial": label, "spatial_codes": codes}


def _temporal(data: dict[str, Any], errors: validation.Errors) -> dict[str, str]:
    values = {}
    for field, end in (("temporal_start", False), ("temporal_end", True)):
        text = validation.as_text(data, field, errors, limit=100)
        try:
            values[field] = temporal.parse_bound(text, end=end)
        except ValueError as error:
            validation.add(errors, field, f"{error} (Invalid date)")
            values[field] = text
    start, end_date = values["temporal_start"], values["temporal_end"]
    if (
        start
        and end_date
        and "temporal_start" not in errors
        and "temporal_end" not in errors
        and end_date[:10] < start[:10]
    ):
        validation.add(
            errors,
            "temporal_end",
            f"終了日（{end_date[:10]}）が開始日（{start[:10]}）より前です "
            "(End date is before the start date)",
        )
    return values


def _contact(data: dict[str, Any], errors: validation.Errors) -> dict[str, str]:
    email = validation.as_text(data, "contact_email", errors, limit=300)
    phone = contact.normalise_phone(validation.as_text(data, "contact_phone", errors, limit=100))
    if problem := contact.phone_problem(phone):
        validation.add(errors, "contact_phone", f"{problem} (Invalid phone number)")
    return {
        "contact_name": validation.as_text(data, "contact_name", errors, limit=200),
        "contact_email": validation.check_email(email, "contact_email", errors),
        "contact_phone": phone,
    }


def _standard(data: dict[str, Any], errors: validation.Errors) -> str:
    value = validation.as_text(data, "standard_id", errors, limit=100)
    if not value:
        return ""
    try:
        return get_standard(value).id
    except UnknownStandard:
        known = "、".join(f"{s.id}（{s.number} {s.title}）" for s in list_standards())
        validation.add(
            errors,
            "standard_id",
            f"「{value}」は自治体標準オープンデータセットにありません。指定できるもの: {known} "
            "(Unknown standard dataset)",
        )
        return ""
