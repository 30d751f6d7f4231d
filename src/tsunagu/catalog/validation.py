"""Input checks shared by the catalog actions. Each collects field errors instead of failing fast,
so a publisher sees every problem with a form at once."""

from __future__ import annotations

import re
from typing import Any

from tsunagu.catalog.licenses import ALIASES, get_license
from tsunagu.catalog.local_codes import is_valid_local_gov_code

Errors = dict[str, list[str]]

NAME_RE = re.compile(r"^[a-z0-9_\-]{2,100}$")
TAG_RE = re.compile(r"^[\w \-.・ー]{1,100}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ORG_KINDS = ("prefecture", "prefectural_department", "municipality", "other")
MAX_TEXT = 100_000


def add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def as_text(data: dict[str, Any], field: str, errors: Errors, *, limit: int = MAX_TEXT) -> str:
    value = data.get(field)
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        add(errors, field, "文字列で指定してください (Must be a string)")
        return ""
    text = str(value).strip()
    if len(text) > limit:
        add(errors, field, f"{limit} 文字以内にしてください (Must be at most {limit} characters)")
    return text


def as_bool(data: dict[str, Any], field: str, errors: Errors, default: bool = False) -> bool:
    value = data.get(field, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "1", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "0", "no", "off", ""}:
        return False
    if isinstance(value, int):
        return bool(value)
    add(errors, field, "true か false で指定してください (Must be a boolean)")
    return default


def check_name(value: Any, field: str, errors: Errors) -> str:
    if not isinstance(value, str) or not value.strip():
        add(errors, field, "必須項目です (Missing value)")
        return ""
    name = value.strip()
    if not NAME_RE.match(name):
        add(
            errors,
            field,
            "半角英小文字・数字・「-」「_」の 2〜100 文字で指定してください "
            "(Must be 2-100 lowercase alphanumeric characters, - or _)",
        )
    return name


def check_email(value: str, field: str, errors: Errors) -> str:
    if value and not EMAIL_RE.match(value):
        add(errors, field, "メールアドレスの形式が正しくありません (Invalid e-mail address)")
    return value


def check_url(value: str, field: str, errors: Errors) -> str:
    if value and not re.match(r"^(https?|ftp)://", value, re.IGNORECASE):
        add(
            errors,
            field,
            "http:// か https:// で始まる URL を指定してください (Must be an http(s) URL)",
        )
    return value


def check_license(value: str, errors: Errors) -> str:
    if not value:
        return ""
    license = get_license(value)
    if license is None:
        add(errors, "license_id", f"不明なライセンスです: {value} (Unknown license)")
        return value
    return ALIASES.get(value, license.id)


def check_local_gov_code(value: str, errors: Errors) -> str | None:
    if not value:
        return None
    if not is_valid_local_gov_code(value):
        add(
            errors,
            "local_gov_code",
            "全国地方公共団体コードは検査数字付きの 6 桁です "
            "(Invalid 6-digit local government code or check digit)",
        )
    return value


def ref_names(data: dict[str, Any], field: str, errors: Errors) -> list[str] | None:
    """Group references as CKAN sends them: list of {"name"}/{"id"} dicts or plain strings."""
    if field not in data or data[field] is None:
        return None
    raw = data[field] if isinstance(data[field], list) else [data[field]]
    refs: list[str] = []
    for item in raw:
        ref = (item.get("name") or item.get("id")) if isinstance(item, dict) else item
        if not isinstance(ref, str) or not ref:
            add(errors, field, "名前か ID で指定してください (Must be given by name or id)")
            continue
        refs.append(ref)
    return refs


MAX_EXTRA_KEY = 200  # the dataset_extra.key column


def extras_list(data: dict[str, Any], errors: Errors) -> dict[str, str] | None:
    if "extras" not in data or data["extras"] is None:
        return None
    raw = data["extras"]
    if not isinstance(raw, list):
        add(
            errors,
            "extras",
            "key と value の組のリストで指定してください (Must be a list of key/value pairs)",
        )
        return {}
    extras: dict[str, str] = {}
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not item["key"]:
            add(errors, "extras", "各要素に key が必要です (Each extra needs a key)")
            continue
        if len(item["key"]) > MAX_EXTRA_KEY:
            add(
                errors,
                "extras",
                f"key は {MAX_EXTRA_KEY} 文字以内にしてください "
                f"(Each key must be at most {MAX_EXTRA_KEY} characters)",
            )
            continue
        if item.get("deleted"):
            continue
        value = item.get("value", "")
        extras[item["key"]] = value if isinstance(value, str) else str(value)
    return extras


MAX_SQL_INTEGER = 2**63 - 1


def paging(
    data: dict[str, Any],
    errors: Errors,
    *,
    default_limit: int | None = None,
    max_limit: int | None = None,
) -> tuple[int | None, int]:
    """CKAN's ``limit``/``offset`` pair, checked."""
    limit, offset = default_limit, 0
    for field in ("limit", "offset"):
        raw = data.get(field)
        if raw in (None, ""):
            continue
        try:
            number = int(raw)
            # The database takes at most a signed 64-bit OFFSET/LIMIT; larger is no page at all.
            if not 0 <= number <= MAX_SQL_INTEGER:
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            add(
                errors,
                field,
                f"0 以上 {MAX_SQL_INTEGER} 以下の整数で指定してください "
                f"(Must be a natural number up to {MAX_SQL_INTEGER})",
            )
            continue
        if field == "limit":
            limit = min(number, max_limit) if max_limit is not None else number
        else:
            offset = number
    return limit, offset
