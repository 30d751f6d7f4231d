"""Binding an indicator to a live catalog metric (tsunagu.metrics): the key must name a metric
this site knows and the parameters must suit it; the metric's own checks say what is wrong."""

from __future__ import annotations

from typing import Any

from tsunagu.context import Context
from tsunagu.errors import ValidationError
from tsunagu.metrics import registry


def check(context: Context, key: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters as the metric will use them (normalised: an organisation as its id,
    defaults filled in); ValidationError on ``metric_key`` or ``metric_params`` when wrong."""
    found = registry.require_metric(key, "metric_key")
    try:
        return registry.check_params(context, found, params)
    except ValidationError as error:
        messages = [
            f"{name}: {message}" if name != "params" else message
            for name, listed in error.errors.items()
            for message in listed
        ]
        raise ValidationError({"metric_params": messages}) from None
