"""Checking what staff send to the plan actions. Like the catalog's checks, each collects every
field error before refusing, so a form shows all its problems at once.

A value (現状, 目標, 実績) is sent as written (「約409,000件」「－」「増加」「94.1%」) and read by
plan/values.py; ``<field>_value`` and ``<field>_qualifier`` set the number and qualifier when
the reading should be different. A period is sent as written too (「R元年度」「H30年中」「R2. 1月」),
or as an ISO date or a fiscal year number; ``<field>_date`` and ``<field>_fiscal_year`` set them
outright, and the label stays as written either way.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import orjson

from tsunagu.catalog import validation
from tsunagu.catalog.lookup import by_id_or_name
from tsunagu.catalog.models import Organization
from tsunagu.context import Context
from tsunagu.errors import NotFound
from tsunagu.plan import categories, fiscal, values
from tsunagu.plan.progress import DIRECTIONS

Errors = validation.Errors
MAX_LABEL = 100
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass
class ValueInput:
    number: float | None
    qualifier: str
    text: str
    unit: str


@dataclass
class PeriodInput:
    label: str
    fiscal_year: int | None
    date: dt.date | None


def year(data: dict[str, Any], field: str, errors: Errors) -> int | None:
    raw = data.get(field)
    if raw in (None, ""):
        return None
    if isinstance(raw, bool):
        validation.add(errors, field, "年度は西暦の整数で指定してください (Must be a year)")
        return None
    if isinstance(raw, str):
        try:
            return int(raw.strip())
        except ValueError:
            period = _parse_period(raw, field, errors)
            return period.fiscal_year if period else None
    if isinstance(raw, int) and 1900 <= raw <= 2200:
        return raw
    validation.add(errors, field, "年度は西暦の整数で指定してください (Must be a year)")
    return None


def _parse_period(text: str, field: str, errors: Errors) -> fiscal.Period | None:
    try:
        period = fiscal.parse_period(text)
    except ValueError as error:
        validation.add(errors, field, f"{error} (Not a valid period)")
        return None
    if period is None:
        validation.add(
            errors,
            field,
            f"「{text}」を年度や日付として読めません（例: R2年度、令和2年度、2020年度、H30年中、"
            f"R2. 1月、2020-03-31） (Not a fiscal year or date)",
        )
    return period


def iso_date(raw: Any, field: str, errors: Errors) -> dt.date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, str) and _ISO_DATE.fullmatch(raw.strip()):
        try:
            return dt.date.fromisoformat(raw.strip())
        except ValueError:
            pass
    validation.add(errors, field, "日付は YYYY-MM-DD で指定してください (Must be an ISO date)")
    return None


def period(data: dict[str, Any], field: str, errors: Errors) -> PeriodInput | None:
    """``<field>_period`` (as written), ``<field>_date``, ``<field>_fiscal_year``; None when
    none was sent."""
    sent = [k for k in (f"{field}_period", f"{field}_date", f"{field}_fiscal_year") if k in data]
    if not sent:
        return None
    raw = data.get(f"{field}_period")
    label = ""
    found: fiscal.Period | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        label = fiscal.wareki_short(raw)
        found = fiscal.Period(label, raw, fiscal.fiscal_year_end(raw), "fiscal_year")
    elif raw not in (None, ""):
        label = validation.as_text(data, f"{field}_period", errors, limit=MAX_LABEL)
        if _ISO_DATE.fullmatch(label):
            day = iso_date(label, f"{field}_period", errors)
            if day:
                found = fiscal.Period(label, fiscal.fiscal_year_of(day), day, "day")
        elif label:
            explicit = data.get(f"{field}_date") or data.get(f"{field}_fiscal_year")
            if explicit:
                try:
                    found = fiscal.parse_period(label)
                except ValueError:
                    found = None
            else:
                found = _parse_period(label, f"{field}_period", errors)
    day = iso_date(data.get(f"{field}_date"), f"{field}_date", errors)
    fy = year(data, f"{field}_fiscal_year", errors)
    if day is None and found is not None:
        day = found.end
    if fy is None:
        fy = found.fiscal_year if found else (fiscal.fiscal_year_of(day) if day else None)
    if day is None and fy is not None:
        day = fiscal.fiscal_year_end(fy)
    if not label and fy is not None and data.get(f"{field}_date") in (None, ""):
        label = fiscal.wareki_short(fy)
    return PeriodInput(label=label, fiscal_year=fy, date=day)


def value(data: dict[str, Any], field: str, errors: Errors) -> ValueInput | None:
    """``<field>`` as written, with ``<field>_value`` / ``<field>_qualifier`` overriding the
    reading; None when none was sent."""
    if not any(k in data for k in (field, f"{field}_value", f"{field}_qualifier")):
        return None
    raw = data.get(field)
    if (raw is not None and not isinstance(raw, str | int | float)) or isinstance(raw, bool):
        validation.add(errors, field, "文字列か数値で指定してください (Must be text or a number)")
        return None
    read = values.parse_value(raw)
    number, qualifier = read.number, read.qualifier
    if f"{field}_value" in data:
        explicit = data[f"{field}_value"]
        if explicit in (None, ""):
            number = None
        elif isinstance(explicit, int | float) and not isinstance(explicit, bool):
            number = float(explicit)
        elif isinstance(explicit, str):
            try:
                number = float(explicit.replace(",", ""))
            except ValueError:
                validation.add(
                    errors, f"{field}_value", "数値で指定してください (Must be a number)"
                )
        else:
            validation.add(errors, f"{field}_value", "数値で指定してください (Must be a number)")
    if f"{field}_qualifier" in data:
        q = data[f"{field}_qualifier"]
        if q is None:
            q = ""
        if q not in values.QUALIFIERS:
            validation.add(
                errors,
                f"{field}_qualifier",
                f"{'、'.join(repr(v) for v in values.QUALIFIERS)} のどれかです (Unknown qualifier)",
            )
        else:
            qualifier = str(q)
    text = read.text
    if not text and number is not None:
        text = values.plain(number)
    if number is None and qualifier in ("", "approx", "at_most", "at_least") and text:
        qualifier = "text"
    if number is None and not text:
        qualifier = "none"
    return ValueInput(number=number, qualifier=qualifier, text=text, unit=read.unit)


def direction(data: dict[str, Any], errors: Errors) -> str | None:
    if "direction" not in data:
        return None
    raw = data.get("direction") or ""
    if raw not in DIRECTIONS:
        validation.add(
            errors,
            "direction",
            f"{'、'.join(DIRECTIONS)} のどれかです (Must be one of {', '.join(DIRECTIONS)})",
        )
        return None
    return str(raw)


def text_list(data: dict[str, Any], field: str, errors: Errors) -> list[str] | None:
    """A list of texts, or one text with ・、, between them (「情報企画課・市町課」)."""
    if field not in data:
        return None
    raw = data[field]
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        parts = re.split(r"[、,，\n]|・(?=[^・]*課)", raw)
        return [p.strip() for p in parts if p.strip()]
    if isinstance(raw, list) and all(isinstance(p, str) for p in raw):
        return [p.strip() for p in raw if p.strip()]
    validation.add(errors, field, "文字列のリストで指定してください (Must be a list of strings)")
    return None


def organizations(context: Context, data: dict[str, Any], errors: Errors) -> list[str] | None:
    names = text_list(data, "organizations", errors)
    if names is None:
        return None
    found: list[str] = []
    for ref in names:
        try:
            org = by_id_or_name(context.session, Organization, ref, deleted=False)
        except NotFound:
            validation.add(
                errors, "organizations", f"組織が見つかりません: {ref} (Organization not found)"
            )
            continue
        if org.id not in found:
            found.append(org.id)
    return found


def category_codes(data: dict[str, Any], errors: Errors) -> list[str] | None:
    raw = data.get("categories")
    if "categories" not in data:
        return None
    if raw in (None, ""):
        return []
    items = raw if isinstance(raw, list) else [raw]
    codes: list[str] = []
    for item in items:
        if not isinstance(item, str):
            validation.add(errors, "categories", "文字列で指定してください (Must be strings)")
            continue
        found, unknown = categories.parse(item)
        for word in unknown:
            validation.add(
                errors,
                "categories",
                f"国の計画の分類として読めません: {word}（{'、'.join(categories.CATEGORIES)}） "
                f"(Unknown category)",
            )
        codes.extend(c for c in found if c not in codes)
    return codes


def stages(data: dict[str, Any], errors: Errors) -> dict[int, tuple[str, str]] | None:
    """工程表: ``[{"fiscal_year": 2020, "text": "検討", "label": "R2年度"}]`` or
    ``{"2020": "検討"}`` → {fiscal year: (label, text)}."""
    if "stages" not in data:
        return None
    raw = data["stages"]
    if raw in (None, ""):
        return {}
    items: list[tuple[Any, Any, Any]] = []
    if isinstance(raw, dict):
        items = [(k, v, "") for k, v in raw.items()]
    elif isinstance(raw, list):
        for item in raw:
            if not isinstance(item, dict):
                validation.add(errors, "stages", "各要素は辞書です (Each stage must be an object)")
                return None
            items.append((item.get("fiscal_year"), item.get("text"), item.get("label") or ""))
    else:
        validation.add(errors, "stages", "リストか辞書で指定してください (Must be a list)")
        return None
    found: dict[int, tuple[str, str]] = {}
    for fy_raw, text, label in items:
        fy = year({"fiscal_year": fy_raw}, "fiscal_year", errors)
        if fy is None:
            validation.add(errors, "stages", f"年度が読めません: {fy_raw} (Unknown fiscal year)")
            continue
        if not isinstance(text, str) or not isinstance(label, str):
            validation.add(errors, "stages", "text と label は文字列です (Must be strings)")
            continue
        found[fy] = (label.strip()[:MAX_LABEL] or fiscal.wareki_short(fy), text.strip())
    return found


def params(data: dict[str, Any], field: str, errors: Errors) -> dict[str, Any] | None:
    if field not in data:
        return None
    raw = data[field]
    if raw in (None, ""):
        return {}
    if isinstance(raw, str):
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError:
            validation.add(errors, field, "JSON として読めません (Not valid JSON)")
            return None
    if not isinstance(raw, dict):
        validation.add(errors, field, "JSON のオブジェクトで指定してください (Must be an object)")
        return None
    return raw
