"""Binding an indicator to a live catalog metric (tsunagu.metrics): the key must name a metric
this site knows and the parameters must suit it; the metric's own checks say what is wrong."""

from __future__ import annotations

from typing import Any

from tsunagu.context import Context
from tsunagu.errors import ValidationError


def unknown_metric(key: str) -> ValidationError:
    return ValidationError(
        {"metric_key": [f"カタログの数値（メトリクス）が見つかりません: {key} (Metric not found)"]}
    )


def check(context: Context, key: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters as the metric will use them; ValidationError when the key or the
    parameters are wrong."""
    raise unknown_metric(key)
