"""The metric registry: named catalog figures a plan's indicator can be bound to.

A metric has a stable key, a Japanese label, a unit, the parameters it takes (declared, so the
API, the plan pages and the snapshot job can check and show them) and a function computing
today's value from the catalog. Values count public data only unless the metric says otherwise,
and must be cheap: a search-index query (facets, counts) or an indexed SQL count, never a walk
over every dataset.

Capabilities register their own metrics in their own module, named in ``METRIC_MODULES``; the
list is imported on first use (as ``registry.ACTION_MODULES``), so this package never imports
them. Example, in ``tsunagu/community/metrics.py``::

    from sqlalchemy import func, select

    from tsunagu.metrics.registry import Param, metric

    @metric(
        "showcases",
        label="オープンデータ活用事例数",
        unit="件",
        params=(Param.organization(required=False),),
        description="公開が承認された活用事例の数。",
        headline=({},),  # stored every day even when no plan binds it
        scorecard=True,  # a column of the organisation scorecard, per organisation
    )
    def showcases(context: Context, params: dict[str, Any]) -> float:
        query = select(func.count()).select_from(Showcase).where(Showcase.state == "active")
        return float(context.session.scalar(query) or 0)

A scorecard metric may also give its value for every organisation at once (one grouped
query instead of one per organisation on the scorecard)::

    @by_organization("showcases")
    def showcases_by_organization(context: Context, params: dict[str, Any]) -> dict[str, float]:
        ...  # organisation id → value; organisations left out count 0

``params`` arrives checked and normalised (``check_params``): every declared parameter is
present (its default when not given), an organisation as its id. ``context`` is the system
acting for nobody (no user): what a search through it finds is what the public sees.

A capability that binds series (a plan's indicators) says which ones the daily snapshot must
store with ``@series_provider``: a function of a session returning ``(metric key, params)``
pairs (plan/… registers the bound indicators).
"""

from __future__ import annotations

import importlib
import json
import math
import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagu.context import Context
from tsunagu.errors import ValidationError

Compute = Callable[[Context, dict[str, Any]], float | int | None]
SeriesProvider = Callable[[Session], Iterable[tuple[str, dict[str, Any]]]]
# A scorecard metric's value for every organisation at once (organisation id → value), so the
# scorecard asks once instead of once per organisation. Optional: see by_organization.
Breakdown = Callable[[Context, dict[str, Any]], dict[str, float]]

# Organisation scopes a count can take (organisation.kind: prefecture / prefectural_department /
# municipality / other). "prefecture" is the prefecture and its departments.
KINDS: dict[str, str] = {
    "all": "すべての組織",
    "prefecture": "県（本庁・部局）",
    "municipality": "市区町村",
}

# Every module that registers metrics or series providers; importing one registers them.
METRIC_MODULES = (
    "tsunagu.metrics.catalog",
    "tsunagu.metrics.downloads",
    "tsunagu.community.metrics",
    "tsunagu.plan.metrics",
    "tsunagu.usage.metrics",
)


@dataclass(frozen=True)
class Param:
    """A declared parameter. ``type``: organization (id or name, kept as the id), kind (one of
    KINDS), standard (a 自治体標準オープンデータセット id or number, kept as the id), int,
    number, or choice (one of ``choices``)."""

    name: str
    label: str
    type: str
    required: bool = False
    default: Any = None
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    minimum: float | None = None
    maximum: float | None = None

    @staticmethod
    def organization(*, required: bool = True) -> Param:
        return Param("organization", "組織", "organization", required=required)

    @staticmethod
    def kind(default: str = "all") -> Param:
        return Param("kind", "組織の種類", "kind", default=default, choices=tuple(KINDS.items()))

    @staticmethod
    def standard(*, required: bool = True) -> Param:
        return Param("standard", "自治体標準オープンデータセット", "standard", required=required)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "required": self.required,
            "default": self.default,
        }
        if self.choices:
            out["choices"] = [{"value": v, "label": label} for v, label in self.choices]
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


@dataclass(frozen=True)
class Metric:
    key: str
    label: str  # Japanese; the message id of its English in web/locales/en.json
    unit: str  # 件, 団体, 回 …
    compute: Compute
    params: tuple[Param, ...] = ()
    description: str = ""
    # Parameter sets stored every day whether or not a plan binds them (the headline series).
    headline: tuple[dict[str, Any], ...] = ()
    # True only for a metric that deliberately counts non-public data (the label must say so).
    counts_private: bool = False
    order: int = 100  # position in metric_list
    # Shown per organisation on the scorecard (metrics/scorecard.py), computed with
    # {"organization": id}: the metric must declare an organization parameter.
    scorecard: bool = False

    def measure(self, context: Context, params: dict[str, Any]) -> float | None:
        """The value now, as stored and shown (metric_number). Computed in a savepoint: on
        PostgreSQL a failed statement would otherwise abort the caller's transaction."""
        with context.session.begin_nested():
            return metric_number(self.compute(context, dict(params)))

    def describe(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "unit": self.unit,
            "description": self.description,
            "params": [p.describe() for p in self.params],
            "counts_private": self.counts_private,
            "scorecard": self.scorecard,
        }


_METRICS: dict[str, Metric] = {}
_PROVIDERS: list[SeriesProvider] = []
_BREAKDOWNS: dict[str, Breakdown] = {}
_loaded = False


def metric(
    key: str,
    *,
    label: str,
    unit: str,
    params: tuple[Param, ...] = (),
    description: str = "",
    headline: tuple[dict[str, Any], ...] = (),
    counts_private: bool = False,
    order: int = 100,
    scorecard: bool = False,
) -> Callable[[Compute], Compute]:
    def register(compute: Compute) -> Compute:
        _METRICS[key] = Metric(
            key=key,
            label=label,
            unit=unit,
            compute=compute,
            params=params,
            description=description,
            headline=headline,
            counts_private=counts_private,
            order=order,
            scorecard=scorecard,
        )
        return compute

    return register


def series_provider(provider: SeriesProvider) -> SeriesProvider:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def by_organization(key: str) -> Callable[[Breakdown], Breakdown]:
    """Register the per-organisation form of scorecard metric ``key``: called with the
    metric's parameters (defaults filled, no organisation), it returns organisation id → value
    for every organisation with a non-zero value (the others count 0)."""

    def register(breakdown: Breakdown) -> Breakdown:
        _BREAKDOWNS[key] = breakdown
        return breakdown

    return register


def breakdown(key: str) -> Breakdown | None:
    _load()
    return _BREAKDOWNS.get(key)


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in METRIC_MODULES:
        importlib.import_module(module)


def metrics() -> list[Metric]:
    """Every registered metric, in list order."""
    _load()
    return sorted(_METRICS.values(), key=lambda m: (m.order, m.key))


def get_metric(key: str) -> Metric | None:
    _load()
    return _METRICS.get(key)


def providers() -> list[SeriesProvider]:
    _load()
    return list(_PROVIDERS)


def unknown_metric(key: str, field_name: str = "key") -> ValidationError:
    return ValidationError(
        {field_name: [f"カタログの数値（メトリクス）が見つかりません: {key} (Metric not found)"]}
    )


def require_metric(key: Any, field_name: str = "key") -> Metric:
    found = get_metric(key) if isinstance(key, str) else None
    if found is None:
        raise unknown_metric(str(key or ""), field_name)
    return found


def metric_number(value: object) -> float | None:
    """A metric's value as stored and shown: a finite number, or None for "no figure today".
    Anything else is a fault of the metric, reported as its failure rather than stored or let
    through to fail the other series."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        raise TypeError(f"a metric gave {type(value).__name__}, not a number: {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"a metric gave {number}, not a finite number")
    return number


def params_key(params: dict[str, Any]) -> str:
    """The canonical text of normalised parameters: how a series is stored and looked up."""
    return json.dumps(params, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def check_params(context: Context, found: Metric, given: Any) -> dict[str, Any]:
    """The parameters as the metric uses them (declared ones only, defaults filled in, an
    organisation as its id, a standard as its id); ValidationError naming each wrong one."""
    if given in (None, ""):
        given = {}
    if isinstance(given, str):
        try:
            given = json.loads(given)
        except ValueError:
            given = None
    if not isinstance(given, dict):
        raise ValidationError(
            {"params": ["パラメータはオブジェクトで指定してください (Must be a JSON object)"]}
        )
    errors: dict[str, list[str]] = {}
    declared = {p.name: p for p in found.params}
    for name in given:
        if name not in declared:
            errors.setdefault(str(name), []).append(
                f"このメトリクスにはないパラメータです: {name} (Unknown parameter)"
            )
    out: dict[str, Any] = {}
    for param in found.params:
        value = given.get(param.name)
        if value in (None, ""):
            if param.required:
                errors.setdefault(param.name, []).append(
                    f"「{param.label}」を指定してください (Missing value)"
                )
            elif param.default is not None:
                out[param.name] = param.default
            continue
        try:
            out[param.name] = _convert(context, param, value)
        except ValueError as exc:
            errors.setdefault(param.name, []).append(str(exc))
    if errors:
        raise ValidationError(errors)
    return out


def _convert(context: Context, param: Param, value: Any) -> Any:
    if param.type == "organization":
        return _organization_id(context, value)
    if param.type == "standard":
        return _standard_id(value)
    if param.type in ("kind", "choice"):
        allowed = [v for v, _ in param.choices]
        if value not in allowed:
            raise ValueError(
                f"「{param.label}」は {' / '.join(allowed)} のいずれかです: {value} "
                "(Value must be one of the choices)"
            )
        return value
    if param.type in ("int", "number"):
        try:
            number = float(str(value).strip())
        except ValueError:
            raise ValueError(f"「{param.label}」は数で指定してください (Not a number)") from None
        if param.type == "int":
            if number != int(number):
                raise ValueError(f"「{param.label}」は整数で指定してください (Not an integer)")
            number = int(number)
        if param.minimum is not None and number < param.minimum:
            raise ValueError(
                f"「{param.label}」は {param.minimum:g} 以上です (Must be at least {param.minimum:g})"
            )
        if param.maximum is not None and number > param.maximum:
            raise ValueError(
                f"「{param.label}」は {param.maximum:g} 以下です (Must be at most {param.maximum:g})"
            )
        return number
    return str(value)


def _organization_id(context: Context, value: Any) -> str:
    from tsunagu.catalog.models import Organization

    text = str(value)
    org = context.session.scalar(
        select(Organization).where(
            (Organization.id == text) | (Organization.name == text),
            Organization.state == "active",
        )
    )
    if org is None:
        raise ValueError(f"組織が見つかりません: {text} (Organization not found)")
    return org.id


def _standard_id(value: Any) -> str:
    from tsunagu.quality.standards import UnknownStandard, get_standard

    try:
        return get_standard(str(value)).id
    except UnknownStandard as exc:
        raise ValueError(str(exc)) from None
