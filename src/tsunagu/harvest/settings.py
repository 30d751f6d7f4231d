"""A source's own settings (its ``config``), those every kind of source shares.

A harvester checks the rest of the config (its filters …) itself, in ``check_config``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tsunagu.harvest.readonly import LOCAL_FIELD_CHOICES

# key → default
SHARED_DEFAULTS: dict[str, Any] = {
    # Days a dataset may be missing at the source before it is withdrawn (0: at once).
    "withdraw_after_days": 7,
    # Withdraw nothing when more than this share of the source's datasets vanish at once.
    "max_withdraw_percent": 50,
    # Fields staff may change here although the source gives them (see readonly.py).
    "local_fields": [],
    # Hours between comparisons of every remote id with ours (deletion detection; 0: every run).
    "id_check_hours": 24,
}


@dataclass(frozen=True)
class SourceSettings:
    withdraw_after_days: float
    max_withdraw_percent: int
    local_fields: tuple[str, ...]
    id_check_hours: float

    @classmethod
    def of(cls, config: Mapping[str, Any] | None) -> SourceSettings:
        merged = {
            **SHARED_DEFAULTS,
            **{k: v for k, v in (config or {}).items() if k in SHARED_DEFAULTS},
        }
        return cls(
            float(merged["withdraw_after_days"]),
            int(merged["max_withdraw_percent"]),
            tuple(merged["local_fields"]),
            float(merged["id_check_hours"]),
        )


def _number(value: Any, minimum: float, maximum: float) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and minimum <= value <= maximum
    )


def check_shared(config: Mapping[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "withdraw_after_days" in config and not _number(config["withdraw_after_days"], 0, 3650):
        errors["withdraw_after_days"] = [
            "0 以上 3650 以下の日数で指定してください (Must be a number of days, 0-3650)"
        ]
    if "max_withdraw_percent" in config and not _number(config["max_withdraw_percent"], 0, 100):
        errors["max_withdraw_percent"] = [
            "0 以上 100 以下で指定してください (Must be a percentage, 0-100)"
        ]
    if "id_check_hours" in config and not _number(config["id_check_hours"], 0, 24 * 365):
        errors["id_check_hours"] = ["0 以上の時間数で指定してください (Must be a number of hours)"]
    fields = config.get("local_fields", [])
    if not isinstance(fields, list) or any(f not in LOCAL_FIELD_CHOICES for f in fields):
        errors["local_fields"] = [
            f"次の項目から選んでください: {', '.join(LOCAL_FIELD_CHOICES)} "
            "(Must be a list of these fields)"
        ]
    return errors
